"""Very long model code (issue 15, item 10).

A 50,000-line reset was still compiling after 120 s: numba's compile time grows
quadratically with the definitions of one variable, and each kernel pastes its
body several times. The numba target now writes each reassignment under a fresh
name (and each pasted copy with its own names), which makes compile time about
linear (2000 reassignments of one variable: 216 s before, 7 s after), and refuses
blocks longer than ``prefs.codegen.numba_max_statements`` with a clear error;
the numpy target takes any length.
"""

import ast
import collections
import pathlib

import numpy as np
import pytest

from sim import ModelValueError, Network, NeuronGroup, ms, prefs

_MIXED = ["v = v*1.01 + w", "w += 0.5*v", "v -= w/3", "k2 = v + w", "w = k2*0.1",
          "v *= 0.9", "w /= 1.5"]


def _reset(n):
    return "\n".join(_MIXED[k % len(_MIXED)] for k in range(n))


def _run(target, n, **kwargs):
    prefs.codegen.target = target
    G = NeuronGroup(3, "dv/dt = 1/ms : 1\nw : 1", threshold="v > 0.05", reset=_reset(n),
                    **kwargs)
    G.w = [0.0, 1.0, -1.0]
    Network(G).run(0.3 * ms)
    return G.v[:].copy(), G.w[:].copy()


def test_long_resets_agree_exactly_on_numpy_and_numba():
    a = _run("numpy", 300)
    b = _run("numba", 300)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert np.all(np.isfinite(a[0])) and not np.all(a[0] == 0)


def test_no_name_is_defined_once_per_statement_in_a_numba_kernel(tmp_path, monkeypatch):
    """The property that keeps numba's compile time linear."""
    monkeypatch.setenv("HEARSIM_CACHE_DIR", str(tmp_path))
    _run("numba", 400)
    worst = 0
    for path in pathlib.Path(tmp_path).rglob("hearsim_kernel_*.py"):
        defined = collections.Counter(
            target.id for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Assign) for target in node.targets
            if isinstance(target, ast.Name))
        worst = max(worst, max(defined.values(), default=0))
    assert 0 < worst <= 8  # the few pasted copies of a body, not the 400 statements


def test_a_block_beyond_the_numba_limit_is_refused_clearly():
    prefs.codegen.numba_max_statements = 50
    with pytest.raises(ModelValueError, match=r"'reset' code has 51 statements.*"
                                              r"numba_max_statements = 50.*'numpy'"):
        _run("numba", 51)
    prefs.codegen.numba_max_statements = 51
    v, _ = _run("numba", 51)
    np.testing.assert_array_equal(v, _run("numpy", 51)[0])


def test_the_limit_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="numba_max_statements"):
        prefs.codegen.numba_max_statements = 0


def test_the_numpy_target_takes_thousands_of_lines():
    v, w = _run("numpy", 5000)
    assert v.shape == (3,)


@pytest.mark.slow
def test_a_50000_line_reset_runs_on_numpy_and_is_refused_on_numba():
    v, _ = _run("numpy", 50_000)
    assert v.shape == (3,)
    with pytest.raises(ModelValueError, match="50000 statements"):
        _run("numba", 50_000)

"""Issue 17: objects hand the loop builder target-neutral fragments; codegen knows no class.

* every module of ``sim/codegen`` imports nothing from the object modules (read with ``ast``:
  module level, inside functions, and ``importlib.import_module``/``__import__`` strings);
* the filterbank base class imports none of its subclasses' modules;
* a new object class, defined here, joins the compiled run loop through ``loop_fragment``
  alone (the worked example of docs/architecture.md), and an object without it, or one that
  raises ``NotCompilable``, makes the run use the Python loop with the reason recorded.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import Network, NeuronGroup, SpikeMonitor, ms, prefs
from sim.base import SimObject
from sim.codegen import loop_ops as ops

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("sim.groups", "sim.synapses", "sim.monitors", "sim.inputs", "sim.operations",
             "sim.network", "sim.brian1", "hears")


def _imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, wherever it is."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("import_module", "__import__") and node.args and isinstance(
                    node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def _is_under(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_codegen_imports_no_object_module():
    files = sorted((ROOT / "sim" / "codegen").glob("*.py"))
    assert len(files) >= 10
    bad = [f"{path.name}:{line}: {module}" for path in files
           for line, module in _imported_modules(path, "sim.codegen")
           if _is_under(module, FORBIDDEN)]
    assert not bad, "sim/codegen imports object classes:\n" + "\n".join(bad)


def test_import_reader_catches_each_form(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text("import sim.groups\nfrom ..monitors import StateMonitor\n"
                    "def f():\n    from sim.synapses import Synapses\n"
                    "    importlib.import_module('hears.group')\n")
    modules = [m for _, m in _imported_modules(path, "sim.codegen")]
    assert [m for m in modules if _is_under(m, FORBIDDEN)] == [
        "sim.groups", "sim.monitors", "sim.monitors.StateMonitor", "sim.synapses",
        "sim.synapses.Synapses", "hears.group"]


def test_filterbank_base_imports_no_subclass_module():
    subclasses = [f"hears.filterbanks.{m}" for m in
                  ("structural", "linear", "fir", "library", "compressive", "drnl")]
    path = ROOT / "hears" / "filterbanks" / "base.py"
    bad = [m for _, m in _imported_modules(path, "hears.filterbanks.base")
           if _is_under(m, subclasses)]
    assert not bad
    # and its arithmetic still builds the subclasses' filterbanks
    from hears import Gammatone
    from hears.filterbanks.structural import FunctionFilterbank, SumFilterbank
    from sounds import tone

    fb = Gammatone(tone(1000 * sim.Hz, 10 * ms), [500, 1000] * sim.Hz)
    assert isinstance(fb + fb, SumFilterbank) and isinstance(-fb, FunctionFilterbank)
    assert np.allclose((2 * fb - fb).process(), fb.process())


class TableFeeder(SimObject):
    """The worked example: a new object class that writes row k of a table into a group's
    variable at step k, in the compiled loop, without any change to sim/codegen."""

    add_to_magic_network = False

    def __init__(self, group, table: np.ndarray):
        super().__init__(clock=group.clock, when="before_groups", name="tablefeeder")
        self.group = group
        self.table = np.ascontiguousarray(table, dtype=float)
        self.position = np.zeros(1, dtype=np.int64)

    def step_function(self):  # the Python loop's form (other targets, other clocks)
        target = self.group.variables["I"].array

        def step(i):
            target[:] = self.table[self.position[0]]
            self.position[0] += 1

        return step

    def loop_fragment(self):
        target = self.group.variables["I"].array
        return ops.LoopFragment(self, [ops.CopyRow(self.table, self.position, target)],
                                [ops.Room(self.position, self.table)])


def _feeder_run(target: str, cls=TableFeeder):
    prefs.codegen.target = target
    try:
        G = NeuronGroup(3, "dv/dt = (I - v)/(2*ms) : 1\nI : 1", threshold="v > 0.6",
                        reset="v = 0", method="exact", dt=0.1 * ms)
        table = np.zeros((100, 3))
        table[:, 1] = 1.0
        table[40:, 2] = 2.0
        feeder = cls(G, table)
        M = SpikeMonitor(G)
        net = Network(G, feeder, M)
        net.run(10 * ms)
        return net, M, feeder
    finally:
        prefs.codegen.target = "numba"


def test_new_object_class_joins_the_compiled_loop():
    net, M, feeder = _feeder_run("numba")
    assert net.used_compiled_loop, net.compiled_loop_unavailable
    assert feeder.position[0] == 100
    _, M_numpy, _ = _feeder_run("numpy")
    assert M.count[0] == 0 and M.count[1] > 0 and M.count[2] > M.count[1] / 2
    assert np.array_equal(M.i[:], M_numpy.i[:]) and np.array_equal(M.t_, M_numpy.t_)


class _NoFragment(TableFeeder):
    loop_fragment = None


class _Refuses(TableFeeder):
    def loop_fragment(self):
        raise ops.NotCompilable("it wants Python")


@pytest.mark.parametrize("cls, reason", [(_NoFragment, "has no compiled form"),
                                         (_Refuses, "it wants Python")])
def test_objects_without_a_fragment_use_the_python_loop(cls, reason):
    net, M, feeder = _feeder_run("numba", cls)
    assert not net.used_compiled_loop
    assert "'tablefeeder'" in net.compiled_loop_unavailable
    assert reason in net.compiled_loop_unavailable
    _, M_loop, _ = _feeder_run("numba")
    assert np.array_equal(M.i[:], M_loop.i[:]) and np.array_equal(M.t_, M_loop.t_)


CALLEE = '''
from numba import njit


@njit(cache=False)
def decay(t, dt, x, rate):
    for k in range(x.shape[0]):
        x[k] -= dt * rate * x[k]


def not_compiled(t, dt, x, rate):
    pass
'''


class _Decayer(SimObject):
    """An object whose step is a compiled function of its own (CallCompiled)."""

    add_to_magic_network = False
    function = "decay"

    def __init__(self, group, rate: float):
        super().__init__(clock=group.clock, when="groups", name="decayer")
        self.x = group.variables["v"].array
        self.rate = rate

    def step_function(self):
        dt = self.clock.dt_

        def step(i):
            self.x -= dt * self.rate * self.x

        return step

    def loop_fragment(self):
        return ops.LoopFragment(self, [ops.CallCompiled("hs_probe_callee", self.function,
                                                         [self.x, self.rate])])


def test_call_compiled_runs_the_objects_own_function(tmp_path, monkeypatch):
    (tmp_path / "hs_probe_callee.py").write_text(CALLEE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import sim.codegen.numba_loop as numba_loop

    sources = []
    build = numba_loop.build_loop

    def spy(objects, clock):
        loop, python_ops = build(objects, clock)
        sources.append(loop.source)
        return loop, python_ops

    monkeypatch.setattr(numba_loop, "build_loop", spy)
    results = {}
    for cls_function in ("decay", "not_compiled"):
        G = NeuronGroup(4, "v : 1", dt=0.1 * ms)
        G.v = 1.0
        obj = _Decayer(G, 100.0)
        obj.function = cls_function
        net = Network(G, obj)
        net.run(1 * ms)
        results[cls_function] = (net.used_compiled_loop, net.compiled_loop_unavailable,
                                 G.v[:].copy())
    used, reason, v = results["decay"]
    assert used, reason
    assert np.allclose(v, (1 - 1e-4 * 100.0) ** 10)
    assert "import hs_probe_callee  # source " in sources[0]
    used, reason, _ = results["not_compiled"]
    assert not used and "hs_probe_callee.not_compiled is not a numba function" in reason

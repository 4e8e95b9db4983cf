"""A self-test of an installation: ``sample_run()`` (Brian 1's ``brian_sample_run``) and
``test()`` (the project's own quick tests).

``sample_run()`` runs small networks on every available target and checks them against
analytic results and against each other, in about a minute on a fresh install (most of
it compiling the numba kernels once; they are cached on disk).  ``test()`` runs the test
suite of a source checkout with pytest (the default, quick selection), or, where only
the package is installed, says so and runs ``sample_run()``.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["sample_run", "test", "SelfTestError"]


class SelfTestError(AssertionError):
    """A check of :func:`sample_run` failed (the message says which, on which target)."""


def available_targets() -> dict[str, str | None]:
    """Each code generation target and why it cannot run here (None: it can)."""
    targets: dict[str, str | None] = {"numpy": None}
    targets["numba"] = None if importlib.util.find_spec("numba") else "numba is not installed"
    from sim.codegen.cuda_runtime import CudaUnavailable, get_backend

    try:
        get_backend()  # prefs.codegen.cuda_backend: a GPU (auto), or 'host' where chosen
        targets["cuda"] = None
    except CudaUnavailable as exc:
        targets["cuda"] = str(exc).split(". ")[0]
    return targets


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise SelfTestError(what)


def _lif_period(target: str) -> float:
    """Constant drive: the interspike interval against the analytic one (relative error)."""
    import sim

    sim.start_scope()
    sim.prefs.codegen.target = target
    sim.defaultclock.dt = 0.01 * sim.ms
    tau, v0, vt, vr, ref = 10e-3, 1.5, 1.0, 0.0, 2e-3
    G = sim.NeuronGroup(1, "dv/dt = (v0 - v)/tau : 1 (unless refractory)",
                        threshold="v > vt", reset="v = vr", refractory=ref * sim.second,
                        method="exact",
                        namespace={"tau": tau * sim.second, "v0": v0, "vt": vt, "vr": vr})
    M = sim.SpikeMonitor(G)
    sim.Network(G, M).run(100 * sim.ms)
    t = np.asarray(M.t_)
    _check(t.size >= 5, f"{target}: a driven LIF neuron fired {t.size} times in 100 ms")
    expected = ref + tau * math.log((v0 - vr) / (v0 - vt))
    period = float(np.mean(np.diff(t)))
    # spikes fall on the time grid: the period is within a step (1e-5 s) of the analytic one
    _check(abs(period - expected) < 1e-5, f"{target}: LIF period {period} s, analytic "
                                          f"{expected} s (dt = 1e-5 s)")
    return abs(period - expected) / expected


def _network(target: str) -> dict[str, Any]:
    """A noisy recurrent network with delays, synaptic noise and monitors."""
    import sim

    sim.start_scope()
    sim.seed(2024)
    sim.prefs.codegen.target = target
    sim.defaultclock.dt = 0.1 * sim.ms
    eqs = """
    dv/dt = (1.2 - v + ge)/(10*ms) + 0.2*xi/sqrt(10*ms) : 1 (unless refractory)
    dge/dt = -ge/(5*ms) : 1
    """
    G = sim.NeuronGroup(400, eqs, threshold="v > 1", reset="v = rand()*0.2",
                        refractory=2 * sim.ms, method="euler")
    G.v = "rand()"
    S = sim.Synapses(G, G, "w : 1", on_pre="ge += w")
    S.connect(p=0.05)
    S.w = "0.1*rand()"
    S.delay = "(1 + 2*rand())*ms"
    M = sim.SpikeMonitor(G)
    R = sim.PopulationRateMonitor(G)
    V = sim.StateMonitor(G, "v", record=[0, 399])
    sim.Network(G, S, M, R, V).run(100 * sim.ms)
    return {"i": np.asarray(M.i), "t": np.asarray(M.t_), "synapses": len(S),
            "rate": np.asarray(R.rate_), "v": np.asarray(V.v_)}


def sample_run(targets: list[str] | None = None, verbose: bool = True) -> dict[str, Any]:
    """Run a short self-test of this installation and return its figures.

    Checks, on every available target (or those in ``targets``): a driven LIF neuron
    fires at the analytic period; a noisy recurrent network with delays gives the
    same spikes, synapses and traces on every target (the targets draw the same
    random numbers); every spike is seen by the spike and rate monitors alike.
    Raises :class:`SelfTestError` naming the failed check.

    Parameters
    ----------
    targets : list of str, optional
        Targets to test (default: all available here).
    verbose : bool
        Print what is checked and how long it took.
    """
    import sim

    available = available_targets()
    chosen = targets or [t for t, why in available.items() if why is None]
    for target in chosen:
        if target not in available:
            raise ValueError(f"sample_run: unknown target {target!r} "
                             f"(targets: {', '.join(available)})")
        if available[target] is not None:
            raise ValueError(f"sample_run: target {target!r} cannot run here: "
                             f"{available[target]}")
    say: Callable[[str], None] = print if verbose else (lambda _msg: None)
    saved = sim.prefs.codegen.target
    report: dict[str, Any] = {"targets": {}, "skipped": {t: why for t, why in available.items()
                                                         if why is not None}}
    results = {}
    try:
        for target in chosen:
            t0 = time.perf_counter()
            error = _lif_period(target)
            net = _network(target)
            _check(net["i"].size > 200, f"{target}: the network fired {net['i'].size} spikes")
            spikes_from_rate = np.sum(net["rate"]) * 400 * 1e-4
            _check(abs(spikes_from_rate - net["i"].size) < 1e-6 * net["i"].size + 1e-6,
                   f"{target}: the rate monitor saw {spikes_from_rate} spikes, the spike "
                   f"monitor {net['i'].size}")
            results[target] = net
            seconds = time.perf_counter() - t0
            report["targets"][target] = {"seconds": seconds, "spikes": int(net["i"].size),
                                         "lif_period_error": error}
            say(f"sample_run: {target}: {net['i'].size} spikes, LIF period within "
                f"{error:.1e} of the analytic one ({seconds:.1f} s)")
        names = list(results)
        for other in names[1:]:
            a, b = results[names[0]], results[other]
            _check(a["synapses"] == b["synapses"], f"{names[0]} and {other} made "
                                                   f"{a['synapses']} and {b['synapses']} synapses")
            _check(np.array_equal(a["i"], b["i"]) and np.array_equal(a["t"], b["t"]),
                   f"{names[0]} and {other} gave different spikes")
            _check(np.allclose(a["v"], b["v"], rtol=1e-12, atol=1e-12),
                   f"{names[0]} and {other} gave different traces")
            say(f"sample_run: {names[0]} and {other} agree (same spikes and traces)")
        for target, why in report["skipped"].items():
            say(f"sample_run: {target}: skipped ({why})")
    finally:
        sim.start_scope()
        sim.prefs.codegen.target = saved
    report["passed"] = True
    return report


def _tests_folder() -> Path | None:
    """The test suite of a source checkout (next to the package), if there is one."""
    here = Path(__file__).resolve().parent.parent
    folder = here / "tests"
    if (folder / "conftest.py").is_file() and (here / "pyproject.toml").is_file():
        return folder
    return None


def test(quick: bool = True, extra_args: list[str] | None = None) -> bool:
    """Run the project's own tests; True when they pass.

    In a source checkout this runs the suite with pytest: the default (quick) selection,
    or everything (``quick=False``: ``-m`` with no marker filter, the slow tests too).
    Where only the package is installed there is no test suite to run: it says so and
    runs :func:`sample_run` instead.  Needs pytest (``pip install "hearsim[test]"``).
    """
    folder = _tests_folder()
    if folder is None:
        print("sim.test: the test suite is in the source repository (this installation has "
              "only the package); running sim.sample_run() instead")
        sample_run()
        return True
    try:
        import pytest
    except ImportError:
        raise ImportError('sim.test() needs pytest: pip install "hearsim[test]"') from None
    args = [str(folder), "-q", "-p", "no:cacheprovider"]
    if not quick:
        args += ["-m", ""]
    args += list(extra_args or [])
    return pytest.main(args) == 0

"""A failed round (metric error, dead worker, broken executor, Ctrl-C) leaves the fit usable.

Issue #15 (5): after one failed round every later ``fit()`` raised ``CMAOptimizer.ask()
called twice``. Also here: times given to the fitters and metrics without units are refused.
"""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import numpy as np
import pytest

from sim import amp, ms, ohm, second, volt
from sim.fitting import (
    CMAOptimizer,
    DEOptimizer,
    GammaFactor,
    MSEMetric,
    PSOOptimizer,
    RandomSearch,
    SpikeFitter,
    TraceFitter,
)
from sim.units import DimensionMismatchError

PASSIVE = """dv/dt = (R*I - v)/tau : volt
R : ohm (constant)
tau : second (constant)"""
LIF = """dv/dt = (R*I - v)/tau : volt (unless refractory)
R : ohm (constant)
tau : second (constant)"""
DT = 0.1 * ms
METHOD = "exponential_euler"  # exact for these linear models, and cheap
BOUNDS = {"R": [10e6 * ohm, 100e6 * ohm], "tau": [2 * ms, 50 * ms]}
N_SAMPLES = 6

OPTIMIZERS = {
    "cma": lambda: CMAOptimizer(seed=1),
    "de": lambda: DEOptimizer(seed=1),
    "pso": lambda: PSOOptimizer(seed=1),
    "random": lambda: RandomSearch(seed=1),
}


def _currents(n_traces: int = 1, n_steps: int = 300) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (0.6 + 0.2 * rng.standard_normal((n_traces, n_steps))) * 1e-9


def _fitter(n_steps: int = 300) -> TraceFitter:
    """A small passive-membrane fit: one trace of 30 ms, a few ms per round."""
    currents = _currents(1, n_steps)
    maker = TraceFitter(PASSIVE, input={"I": currents * amp},
                        output={"v": np.zeros((1, n_steps)) * volt}, dt=DT, method=METHOD)
    truth = {"R": 40e6 * ohm, "tau": 15 * ms}
    maker.prepare(**{k: [v, v] for k, v in truth.items()})
    traces = maker.generate_traces(truth)
    return TraceFitter(PASSIVE, input={"I": currents * amp}, output={"v": traces}, dt=DT,
                       method=METHOD, n_samples=N_SAMPLES)


class FailOnCalls(MSEMetric):
    """MSE, but raising ``error`` on the given calls (1-based) of this metric object."""

    def __init__(self, calls: set[int], error: BaseException) -> None:
        super().__init__()
        self.fail_on = set(calls)
        self.error = error
        self.calls = 0

    def get_features(self, model_results, target_results, dt):
        self.calls += 1
        if self.calls in self.fail_on:
            raise self.error
        return super().get_features(model_results, target_results, dt)


class KillWorkerOnce(MSEMetric):
    """MSE, but the first evaluation (over all processes) kills the worker running it.

    The flag file records across processes that the kill has happened.
    """

    def __init__(self, flag: str) -> None:
        super().__init__()
        self.flag = flag

    def get_features(self, model_results, target_results, dt):
        if not os.path.exists(self.flag):
            Path(self.flag).write_text("killed")
            os._exit(1)  # as an out-of-memory kill would: no exception, no clean-up
        return super().get_features(model_results, target_results, dt)


class SubmitFailsOnce(concurrent.futures.ThreadPoolExecutor):
    """A thread pool whose ``fail_on``-th ``submit`` raises (a scheduler hiccup)."""

    def __init__(self, fail_on: int = 2) -> None:
        super().__init__(max_workers=2)
        self.fail_on = fail_on
        self.submits = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submits += 1
        if self.submits == self.fail_on:
            raise ConnectionError("scheduler unreachable (submit number 2)")
        return super().submit(fn, *args, **kwargs)


def _notes(exc_info: pytest.ExceptionInfo) -> str:
    return " ".join(getattr(exc_info.value, "__notes__", []))


# ---------------------------------------------------------------------------
# The optimisers: forget()
# ---------------------------------------------------------------------------


def _sphere(c: dict[str, float]) -> float:
    return (c["x"] - 1.0) ** 2 + (c["y"] + 2.0) ** 2


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_forget_discards_a_pending_round_and_the_search_goes_on(make):
    opt = make()
    popsize = opt.initialize(["x", "y"], {"x": (-5.0, 5.0), "y": (-5.0, 5.0)}, popsize=8)
    assert opt.forget() == 0  # nothing pending: harmless
    first = opt.ask()
    opt.tell(first, [_sphere(c) for c in first])
    told, best = opt.tested_parameters.copy(), opt.recommend()
    lost = opt.ask()
    assert opt.forget() == popsize == len(lost)
    # nothing of the forgotten round was recorded
    assert np.array_equal(opt.tested_parameters, told) and opt.recommend() == best
    if opt.generational:
        with pytest.raises(RuntimeError, match="without a preceding ask"):
            opt.tell(lost, [0.0] * len(lost))
    for _ in range(40):  # a second ask() works, and the search still converges
        candidates = opt.ask()
        if _ == 5:
            opt.forget()
            candidates = opt.ask()
        opt.tell(candidates, [_sphere(c) for c in candidates])
    assert opt.recommend()[1] < 0.5


def test_ask_twice_says_how_to_give_up_a_round():
    opt = DEOptimizer(seed=0)
    opt.initialize(["x"], {"x": (0.0, 1.0)}, popsize=5)
    opt.ask()
    with pytest.raises(RuntimeError, match=r"forget\(\)"):
        opt.ask()


# ---------------------------------------------------------------------------
# The fitters: a failed round, then the next fit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_metric_error_propagates_intact_and_the_next_fit_works(make):
    fitter = _fitter()
    metric = FailOnCalls({1}, ValueError("feature extraction failed on candidate 3"))
    with pytest.raises(ValueError) as info:
        fitter.fit(n_rounds=3, optimizer=make(), metric=metric, **BOUNDS)
    assert info.value is metric.error  # the user's own exception, message untouched
    assert str(info.value) == "feature extraction failed on candidate 3"
    assert "round 1 of fit()" in _notes(info)  # where it happened: in a note beside it
    with pytest.raises(RuntimeError, match="No results yet"):
        fitter.results()  # the failed round left no trace
    # the same search continues (same optimiser and metric; the metric now works)
    best, error = fitter.fit(n_rounds=2)
    assert metric.calls == 3
    assert len(fitter.results()) == 2 * N_SAMPLES
    assert error == min(r["error"] for r in fitter.results())
    assert set(best) == set(BOUNDS)
    # and a fresh search too
    fitter.fit(n_rounds=1, restart=True, optimizer=make(), **BOUNDS)
    assert len(fitter.results()) == 3 * N_SAMPLES


def test_metric_error_in_a_later_round_keeps_the_completed_rounds():
    fitter = _fitter()
    metric = FailOnCalls({3}, RuntimeError("boom in round 3"))
    with pytest.raises(RuntimeError, match="boom in round 3") as info:
        fitter.fit(n_rounds=5, optimizer=CMAOptimizer(seed=2), metric=metric, **BOUNDS)
    assert "round 3 of fit() (2 round(s) of this fit completed)" in _notes(info)
    assert len(fitter.results()) == 2 * N_SAMPLES
    fitter.fit(n_rounds=2)
    assert len(fitter.results()) == 4 * N_SAMPLES


def test_executor_submit_failure_then_the_next_fit_works():
    fitter = _fitter()
    with SubmitFailsOnce(fail_on=2) as executor:
        # the first chunk is already submitted when the second submit fails
        with pytest.raises(ConnectionError, match="scheduler unreachable"):
            fitter.fit(n_rounds=2, optimizer=CMAOptimizer(seed=3), executor=executor,
                       n_chunks=3, **BOUNDS)
        fitter.fit(n_rounds=2, executor=executor, n_chunks=3)
    assert len(fitter.results()) == 2 * N_SAMPLES


def test_killed_worker_then_a_new_pool_continues_the_fit(tmp_path):
    fitter = _fitter()
    fitter.prepare(optimizer=CMAOptimizer(seed=4), **BOUNDS)
    metric = KillWorkerOnce(str(tmp_path / "killed.flag"))
    with fitter.process_pool(max_workers=1) as pool, \
            pytest.raises(concurrent.futures.process.BrokenProcessPool) as info:
        fitter.fit(n_rounds=2, metric=metric, executor=pool)
    assert (tmp_path / "killed.flag").exists()
    assert "executor is broken" in _notes(info)
    with fitter.process_pool(max_workers=1) as pool:
        best, error = fitter.fit(n_rounds=2, executor=pool)
    assert len(fitter.results()) == 2 * N_SAMPLES
    assert np.isfinite(error)


# ---------------------------------------------------------------------------
# Ctrl-C
# ---------------------------------------------------------------------------


def _fit_catching_interrupt(fitter, **kwargs):
    """fit(); a KeyboardInterrupt escaping it fails the test instead of ending pytest."""
    try:
        return fitter.fit(**kwargs)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped fit() although rounds had completed")


def test_ctrl_c_in_the_metric_of_round_3_returns_the_best_so_far():
    fitter = _fitter()
    metric = FailOnCalls({3}, KeyboardInterrupt())
    with pytest.warns(UserWarning, match=r"interrupted .*after 2 of 10 round"):
        best, error = _fit_catching_interrupt(
            fitter, n_rounds=10, optimizer=CMAOptimizer(seed=5), metric=metric, **BOUNDS)
    results = fitter.results()
    assert len(results) == 2 * N_SAMPLES
    assert error == min(r["error"] for r in results) == fitter.best_error
    assert best == fitter.best_params
    fitter.fit(n_rounds=1)  # the interrupted round's candidates were forgotten
    assert len(fitter.results()) == 3 * N_SAMPLES


def test_ctrl_c_in_the_callback_of_round_3_returns_the_best_so_far():
    fitter = _fitter()
    seen = []

    def callback(params, errors, best_params, best_error, index):
        seen.append(index)
        if index == 2:
            raise KeyboardInterrupt

    with pytest.warns(UserWarning, match=r"interrupted .*after 3 of 10 round"):
        _, error = _fit_catching_interrupt(fitter, n_rounds=10, optimizer=DEOptimizer(seed=5),
                                           callback=callback, **BOUNDS)
    assert seen == [0, 1, 2]
    assert len(fitter.results()) == 3 * N_SAMPLES  # round 3 itself was complete
    assert error == fitter.best_error
    fitter.fit(n_rounds=1)
    assert len(fitter.results()) == 4 * N_SAMPLES


def test_ctrl_c_before_any_round_completed_is_raised():
    fitter = _fitter()
    metric = FailOnCalls({1}, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        fitter.fit(n_rounds=3, optimizer=CMAOptimizer(seed=6), metric=metric, **BOUNDS)
    fitter.fit(n_rounds=1)
    assert len(fitter.results()) == N_SAMPLES


# ---------------------------------------------------------------------------
# Times without units
# ---------------------------------------------------------------------------


def test_unitless_dt_is_refused_naming_dt_and_the_unit():
    currents = _currents(1, 100) * amp
    with pytest.raises(DimensionMismatchError, match=r"'dt' must be a time .*second"):
        TraceFitter(PASSIVE, input={"I": currents}, output={"v": np.zeros((1, 100)) * volt},
                    dt=0.1, method=METHOD)
    with pytest.raises(DimensionMismatchError, match=r"'dt' must be a time .*0\.1\*ms"):
        SpikeFitter(LIF, input={"I": currents}, output=[np.array([0.001])], dt=0.1,
                    threshold="v > 1*volt", reset="v = 0*volt", method=METHOD)
    with pytest.raises(DimensionMismatchError, match="'dt'"):
        SpikeFitter(LIF, input={"I": currents}, output=[np.array([0.001])], dt=0.1 * ohm,
                    threshold="v > 1*volt", reset="v = 0*volt", method=METHOD)


def test_other_unitless_times_are_refused():
    currents = _currents(1, 100) * amp
    with pytest.raises(DimensionMismatchError, match=r"'overlap' must be a time .*second"):
        TraceFitter(PASSIVE, input={"I": currents}, output={"v": np.zeros((1, 100)) * volt},
                    dt=DT, method=METHOD, slices=2, overlap=5)
    with pytest.raises(DimensionMismatchError, match=r"'delta' must be a time .*second"):
        GammaFactor(delta=4, time=1 * second)
    with pytest.raises(DimensionMismatchError, match="'time'"):
        GammaFactor(delta=4 * ms, time=1.0)
    with pytest.raises(DimensionMismatchError, match="'t_start'"):
        MSEMetric(t_start=0.01)
    fitter = SpikeFitter(LIF, input={"I": currents}, output=[np.array([0.001])], dt=DT,
                         threshold="v > 1*volt", reset="v = 0*volt", method=METHOD)
    with pytest.raises(DimensionMismatchError, match="'refractory'"):
        fitter.fit(R=[1e9 * ohm, 9e9 * ohm], tau=[10 * ms, 40 * ms], refractory=[0, 0.005])

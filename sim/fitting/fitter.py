"""Fitting neuron models to recorded spike trains (`SpikeFitter`) and traces (`TraceFitter`).

Names and arguments follow brian2modelfitting::

    fitter = SpikeFitter(model='''dv/dt = (R*I - v)/tau : volt (unless refractory)
                                  R : ohm (constant)
                                  tau : second (constant)''',
                         input={'I': currents},        # (n_traces, n_steps), with units
                         output=[spikes_0, spikes_1],  # one spike-time array per trace
                         dt=0.1 * ms, threshold='v > 1*volt', reset='v = 0*volt',
                         n_samples=40)
    best, error = fitter.fit(n_rounds=10, metric=GammaFactor(4 * ms, duration),
                             R=[1e9 * ohm, 9e9 * ohm], tau=[10 * ms, 40 * ms],
                             refractory=[0 * ms, 10 * ms])

How a round runs. The optimiser proposes ``n_samples`` candidates; all of them
on all input traces become ONE `NeuronGroup` of ``n_samples * n_traces``
neurons (neuron ``c * n_traces + k`` is candidate ``c`` on trace ``k``), the
inputs one 2-D `TimedArray` read with a per-neuron ``fit_input_index``, run in
ONE `Network.run`. The input variable (``I`` above) must not be defined in the
model: the fitter adds ``I = fit_input_I(t, fit_input_index) : amp``.

Parameters fitted per candidate are the model's parameters named in the
bounds, plus two Brian-1 extras for `SpikeFitter` when the model has no
variable of that name: ``refractory=[low, high]`` fits the refractory period
(the group's ``refractory`` becomes a per-neuron parameter; the ``refractory``
argument is then ignored), and ``delay=[low, high]`` fits a delay added to every
model spike time before the comparison with the data.

Parallelism. ``fit(..., executor=ex)`` splits a round's candidates into
chunks (``n_chunks``, by default the executor's worker count) and evaluates
them with ``ex.submit``: any `concurrent.futures.Executor` (thread pool,
process pool, a Dask ``client.get_executor()``). For processes on one machine,
``with fitter.process_pool(2) as ex:`` puts the inputs and targets into
`multiprocessing.shared_memory` blocks once; each worker attaches to them in
its initializer, and the chunks carry only the candidates. Each neuron's
simulation does not depend on the others, so (for models without noise) the
errors do not depend on the chunking: a pooled fit equals the in-process fit
at the same optimiser seed.
"""

from __future__ import annotations

import concurrent.futures
import math
import multiprocessing
import pickle
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing import shared_memory
from typing import Any

import numpy as np

from sim.equations import Equations
from sim.fitting.metrics import GammaFactor, Metric, MSEMetric
from sim.fitting.optimizers import CMAOptimizer, DEOptimizer, Optimizer
from sim.functions import TimedArray
from sim.groups import NeuronGroup
from sim.monitors import SpikeMonitor, StateMonitor
from sim.network import Network
from sim.prefs import prefs
from sim.random import seed as set_seed
from sim.units import (
    DIMENSIONLESS,
    DimensionMismatchError,
    Quantity,
    get_dimensions,
    get_unit,
    second,
)

__all__ = ["Fitter", "SpikeFitter", "TraceFitter", "SharedMemoryPool"]

_TIME = second.dim
_INDEX = "fit_input_index"
_REFRACTORY = "fit_refractory"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _unit_text(dim: Any) -> str:
    if dim is DIMENSIONLESS:
        return "1"
    return get_unit(dim).name


def _with_units(value: Any, dim: Any) -> Any:
    if dim is DIMENSIONLESS:
        return value
    return value * get_unit(dim)


def _si(value: Any, dim: Any, what: str) -> np.ndarray:
    """``value`` as float64 in SI units, checking its dimension against ``dim``."""
    value_dim = get_dimensions(value)
    if value_dim is not dim:
        raise DimensionMismatchError(
            f"{what} has units that do not match ({_unit_text(dim)} expected)", value_dim, dim
        )
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be numeric, got {value!r}") from None
    return array


def _time(value: Any, what: str, example: str) -> float:
    """A scalar time Quantity as float seconds; a plain number is refused.

    A bare ``0.1`` could mean seconds or milliseconds; taking it as seconds
    silently made a 0.1 ms recording step 1000 times too long, so the unit
    must be explicit (``example`` shows how).
    """
    if not isinstance(value, Quantity):
        raise DimensionMismatchError(
            f"{what} must be a time with units (e.g. {example}); got {value!r} without "
            "units, which could be in any unit (expected unit: second)",
            get_dimensions(value), _TIME,
        )
    array = _si(value, _TIME, what)
    if array.ndim != 0 or not math.isfinite(float(array)):
        raise ValueError(f"{what} must be a finite scalar time, got {value!r}")
    return float(array)


@dataclass
class _Spec:
    """Everything a worker needs to simulate candidates (picklable, no big arrays)."""

    model: str
    threshold: str | None
    reset: str | None
    refractory: Any
    method: str | None
    dt: float
    n_steps: int
    n_traces: int
    input_names: list[str]
    input_dims: list[Any]
    param_names: list[str]  # columns of the candidate array set on the group
    param_dims: list[Any]
    param_init: dict[str, Any]
    output: str  # 'spikes' or the recorded variable
    delay_column: int | None = None
    namespace: dict[str, Any] = field(default_factory=dict)
    target: str = "numba"
    cuda_backend: str = "auto"  # (the workers of a process pool run on the same backend)
    seed: int | None = None
    slices: int = 1
    overlap_steps: int = 0
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


def _slice_windows(spec: _Spec) -> list[tuple[int, int, int]]:
    """(first simulated step, first kept step, end step) of each time slice.

    Slice k keeps steps [k*L, (k+1)*L) and starts ``overlap_steps`` earlier (except
    the first), so that its state has forgotten the initial condition by then."""
    length = -(-spec.n_steps // spec.slices)
    windows = []
    for k in range(spec.slices):
        keep = k * length
        end = min(spec.n_steps, keep + length)
        if keep >= end:
            break
        windows.append((max(0, keep - spec.overlap_steps), keep, end))
    return windows


def _simulate(spec: _Spec, inputs: np.ndarray, params: np.ndarray) -> Any:
    """Run all candidates (rows of ``params``) on all traces in one group.

    ``inputs`` has shape ``(n_inputs, n_traces, n_steps)`` (SI units). Returns
    for spikes a list (candidates) of lists (traces) of spike-time arrays in
    seconds; for traces an array ``(n_candidates, n_traces, n_steps)``.
    With time slices, every slice of every trace is one more neuron, simulated
    over the slice and its overlap; the kept parts are put back together.
    """
    if spec.slices <= 1:
        return _simulate_whole(spec, inputs, params)
    windows = _slice_windows(spec)
    steps = max(end - start for start, _, end in windows)
    n_inputs, n_traces, _ = inputs.shape
    sliced = np.zeros((n_inputs, n_traces * len(windows), steps))
    for t in range(n_traces):
        for k, (start, _, end) in enumerate(windows):
            part = inputs[:, t, start:end]
            sliced[:, t * len(windows) + k, :part.shape[1]] = part
            sliced[:, t * len(windows) + k, part.shape[1]:] = part[:, -1:]
    sub = replace(spec, n_steps=steps, n_traces=n_traces * len(windows), slices=1,
                  overlap_steps=0)
    results = _simulate_whole(sub, sliced, params)
    dt = spec.dt
    if spec.output == "spikes":
        out = []
        for cand in results:
            trains = []
            for t in range(n_traces):
                parts = []
                for k, (start, keep, end) in enumerate(windows):
                    times = cand[t * len(windows) + k] + start * dt
                    parts.append(times[(times >= keep * dt - 1e-12 * dt)
                                       & (times < end * dt - 1e-12 * dt)])
                trains.append(np.concatenate(parts))
            out.append(trains)
        return out
    full = np.zeros((results.shape[0], n_traces, spec.n_steps))
    for t in range(n_traces):
        for k, (start, keep, end) in enumerate(windows):
            full[:, t, keep:end] = results[:, t * len(windows) + k,
                                           keep - start: end - start]
    return full


def _simulate_whole(spec: _Spec, inputs: np.ndarray, params: np.ndarray) -> Any:
    """One group of candidates x traces over the whole input."""
    old_target, old_backend = prefs.codegen.target, prefs.codegen.cuda_backend
    if spec.target == "cuda":
        prefs.codegen.cuda_backend = spec.cuda_backend
    prefs.codegen.target = spec.target
    try:
        n_cand = params.shape[0]
        n_traces = spec.n_traces
        n = n_cand * n_traces
        namespace = dict(spec.namespace)
        for j, (name, dim) in enumerate(zip(spec.input_names, spec.input_dims, strict=True)):
            values = np.ascontiguousarray(inputs[j].T)  # (time, trace)
            namespace[f"fit_input_{name}"] = TimedArray(
                _with_units(values, dim), dt=spec.dt * second
            )
        group = NeuronGroup(
            n,
            spec.model,
            threshold=spec.threshold,
            reset=spec.reset,
            refractory=spec.refractory,
            method=spec.method,
            dt=spec.dt * second,
        )
        setattr(group, _INDEX, np.tile(np.arange(n_traces), n_cand))
        for name, value in spec.param_init.items():
            setattr(group, name, value)
        for j, (name, dim) in enumerate(zip(spec.param_names, spec.param_dims, strict=True)):
            if j == spec.delay_column:
                continue
            setattr(group, name, _with_units(np.repeat(params[:, j], n_traces), dim))
        if spec.output == "spikes":
            monitor = SpikeMonitor(group)
        else:
            monitor = StateMonitor(group, spec.output, record=True)
        if spec.seed is not None:
            set_seed(spec.seed)
        Network(group, monitor).run(spec.n_steps * spec.dt * second, namespace=namespace)
        if spec.output == "spikes":
            indices = np.asarray(monitor.i, dtype=np.int64)
            times = np.asarray(monitor.t, dtype=np.float64)
            order = np.argsort(indices, kind="stable")
            indices, times = indices[order], times[order]
            bounds = np.searchsorted(indices, np.arange(n + 1))
            delays = (
                params[:, spec.delay_column] if spec.delay_column is not None
                else np.zeros(n_cand)
            )
            return [
                [
                    times[bounds[c * n_traces + k]: bounds[c * n_traces + k + 1]] + delays[c]
                    for k in range(n_traces)
                ]
                for c in range(n_cand)
            ]
        values = np.asarray(getattr(monitor, spec.output), dtype=np.float64)
        return values[:, : spec.n_steps].reshape(n_cand, n_traces, spec.n_steps)
    finally:
        prefs.codegen.target, prefs.codegen.cuda_backend = old_target, old_backend


def _errors(spec: _Spec, inputs: np.ndarray, targets: Any, metric: Metric,
            params: np.ndarray) -> np.ndarray:
    results = _simulate(spec, inputs, params)
    errors = metric.calc(results, targets, spec.dt)
    if errors.shape != (params.shape[0],):
        raise ValueError(
            f"{type(metric).__name__}.get_errors must give one error per candidate "
            f"({params.shape[0]}), got shape {errors.shape}"
        )
    return errors


def _evaluate_chunk(spec: _Spec, inputs: np.ndarray, targets: Any, metric: Metric,
                    params: np.ndarray) -> np.ndarray:
    """Task for any executor: everything travels with the task."""
    return _errors(spec, inputs, targets, metric, params)


# -- shared memory process pool ----------------------------------------------

_WORKER_STATE: dict[str, Any] = {}


def _attach(spec: _Spec, blocks: dict[str, tuple[str, tuple[int, ...], str]],
            devices: tuple[int, ...] = (), started: Any = None) -> None:
    """Worker initializer: attach to the shared blocks of inputs and targets; with
    ``devices``, take the next GPU of the list (the ``started`` counter numbers the
    workers) before anything touches CUDA in this process."""
    _WORKER_STATE["started"] = started
    if devices:
        with started.get_lock():
            number = started.value
            started.value += 1
        prefs.codegen.cuda_device = int(devices[number % len(devices)])
    arrays = {}
    handles = []
    for key, (name, shape, dtype) in blocks.items():
        shm = shared_memory.SharedMemory(name=name)
        handles.append(shm)
        arrays[key] = np.ndarray(shape, dtype=np.dtype(dtype), buffer=shm.buf)
    targets: Any
    if spec.output == "spikes":
        times, offsets = arrays["times"], arrays["offsets"]
        targets = [times[offsets[k]: offsets[k + 1]] for k in range(offsets.size - 1)]
    else:
        targets = arrays["targets"]
    _WORKER_STATE[spec.token] = (spec, arrays["inputs"], targets, handles)


def _evaluate_shared(token: str, metric: Metric, params: np.ndarray) -> np.ndarray:
    """Task for a `SharedMemoryPool`: only the candidates travel."""
    spec, inputs, targets, _ = _WORKER_STATE[token]
    return _errors(spec, inputs, targets, metric, params)


class SharedMemoryPool(concurrent.futures.ProcessPoolExecutor):
    """A process pool whose workers share one fitter's inputs and targets.

    Made by `Fitter.process_pool`; use it as a context manager (the shared
    blocks are released at shutdown). The stimulus and targets are copied
    once into `multiprocessing.shared_memory` blocks; each worker attaches to
    them in its initializer, and each task carries only its candidates.
    """

    def __init__(self, spec: _Spec, inputs: np.ndarray, targets: Any,
                 max_workers: int | None = None, mp_context: Any = None,
                 cuda_devices: Any = None) -> None:
        arrays: dict[str, np.ndarray] = {"inputs": np.ascontiguousarray(inputs)}
        if spec.output == "spikes":
            arrays["times"] = np.concatenate([np.asarray(t, dtype=np.float64) for t in targets])
            arrays["offsets"] = np.cumsum([0] + [len(t) for t in targets]).astype(np.int64)
        else:
            arrays["targets"] = np.ascontiguousarray(targets, dtype=np.float64)
        self._blocks: list[shared_memory.SharedMemory] = []
        layout = {}
        for key, array in arrays.items():
            shm = shared_memory.SharedMemory(create=True, size=max(array.nbytes, 1))
            np.ndarray(array.shape, dtype=array.dtype, buffer=shm.buf)[...] = array
            self._blocks.append(shm)
            layout[key] = (shm.name, array.shape, array.dtype.str)
        self.hearsim_token = spec.token
        self.spec_bytes = pickle.dumps(spec)
        if mp_context is None:
            mp_context = multiprocessing.get_context("spawn")
        elif isinstance(mp_context, str):
            mp_context = multiprocessing.get_context(mp_context)
        devices = tuple(int(d) for d in (cuda_devices or ()))
        if cuda_devices is not None and (not devices or min(devices) < 0):
            raise ValueError(f"cuda_devices must list GPU numbers (0, 1, ...), got "
                             f"{cuda_devices!r}")
        if devices and max_workers is None:
            max_workers = len(devices)  # one worker per GPU
        #: how many workers have started (each takes the next GPU of cuda_devices)
        self.workers_started = mp_context.Value("i", 0)
        super().__init__(max_workers=max_workers, mp_context=mp_context,
                         initializer=_attach,
                         initargs=(spec, layout, devices, self.workers_started))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        for shm in self._blocks:
            shm.close()
            try:
                shm.unlink()
            except FileNotFoundError:
                pass
        self._blocks = []


# ---------------------------------------------------------------------------
# Fitters
# ---------------------------------------------------------------------------


class Fitter:
    """Common machinery of `SpikeFitter` and `TraceFitter` (not used directly).

    Parameters
    ----------
    model : str or Equations
        Model equations; the fitted parameters are ``(constant)`` parameters.
    input : dict
        ``{'I': traces}``: each input variable (used in the model, not defined
        there) to a Quantity of shape ``(n_traces, n_steps)`` (or ``(n_steps,)``
        for one trace) sampled every ``dt``.
    dt : Quantity (time)
        Sampling step of the inputs and outputs, and the simulation step
        (e.g. ``0.1 * ms``); a number without units is refused.
    n_samples : int, optional
        Candidates per round (the optimiser's population); by default the
        optimiser's own default.
    method : str, optional
        Integration method (by default the simulator's choice).
    threshold, reset, refractory : str, Quantity or None
        As for `NeuronGroup`.
    param_init : dict, optional
        Initial values of model variables, e.g. ``{'v': -70 * mV}``.
    input_var : str, optional
        Old style: the input variable's name, with ``input`` the traces.
    namespace : dict, optional
        External constants and functions the model refers to (e.g.
        ``{'El': -70 * mV}``); a fit resolves nothing from the caller's frame.
    slices : int, optional
        Cut each trace into this many time slices, simulated in parallel as
        more neurons (Brian 1's time slicing for long recordings); the outputs
        are joined back before the metric sees them.
    overlap : Quantity (time), optional
        Each slice but the first starts this much earlier, and what it does
        then is discarded: the time its state needs to forget its initial
        condition (reliable for fluctuation-driven neurons; a mean-driven
        oscillator keeps the phase it starts with). A number without units
        is refused.
    """

    _output_kind = "traces"

    def __init__(
        self,
        model: str | Equations,
        input: Any,
        dt: Any,
        n_samples: int | None = None,
        method: str | None = None,
        threshold: str | None = None,
        reset: str | None = None,
        refractory: Any = False,
        param_init: Mapping[str, Any] | None = None,
        input_var: str | None = None,
        namespace: Mapping[str, Any] | None = None,
        slices: int = 1,
        overlap: Any = 0 * second,
    ) -> None:
        self.namespace = dict(namespace or {})
        for key in self.namespace:
            if key.startswith("fit_input_"):
                raise ValueError(f"Names starting with 'fit_input_' are reserved: {key!r}")
        self.model_text = str(model) if isinstance(model, Equations) else model
        if not isinstance(self.model_text, str):
            raise TypeError(f"'model' must be an equations string, got {type(model).__name__}")
        self.equations = Equations(self.model_text)
        self.dt = _time(dt, "'dt'", "dt=0.1*ms")
        if not self.dt > 0:
            raise ValueError(f"'dt' must be positive, got {dt!r}")
        if n_samples is not None and (
            isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer))
            or n_samples < 1
        ):
            raise ValueError(f"'n_samples' must be a positive integer, got {n_samples!r}")
        self.n_samples = None if n_samples is None else int(n_samples)
        self.method = method
        self.threshold = threshold
        self.reset = reset
        self.refractory = refractory
        if input_var is not None:
            if isinstance(input, Mapping):
                raise TypeError("Give either input={'name': traces} or input_var= with input=")
            input = {input_var: input}
        if not isinstance(input, Mapping) or not input:
            raise TypeError("'input' must be a dict {'I': traces} (input variable -> traces)")
        names = list(self.equations.names)
        self.input_names: list[str] = []
        self.input_dims: list[Any] = []
        arrays = []
        for name, traces in input.items():
            if name in names:
                raise ValueError(
                    f"The input variable '{name}' is defined in the model: remove its "
                    "definition, the fitter defines it from the input traces"
                )
            if not name.isidentifier():
                raise ValueError(f"Invalid input variable name {name!r}")
            dim = get_dimensions(traces)
            array = np.asarray(traces, dtype=np.float64)
            if array.ndim == 1:
                array = array[None, :]
            if array.ndim != 2 or array.shape[1] == 0:
                raise ValueError(
                    f"Input '{name}' must have shape (n_traces, n_steps), got {array.shape}"
                )
            if not np.all(np.isfinite(array)):
                raise ValueError(f"Input '{name}' contains NaN or infinite values")
            if arrays and array.shape != arrays[0].shape:
                raise ValueError(
                    f"Inputs have different shapes: '{self.input_names[0]}' "
                    f"{arrays[0].shape}, '{name}' {array.shape}"
                )
            self.input_names.append(name)
            self.input_dims.append(dim)
            arrays.append(array)
        self.inputs = np.stack(arrays)  # (n_inputs, n_traces, n_steps)
        self.n_traces = self.inputs.shape[1]
        self.n_steps = self.inputs.shape[2]
        self.duration = self.n_steps * self.dt
        self.param_init = self._check_param_init(param_init or {})
        if isinstance(slices, bool) or not isinstance(slices, (int, np.integer)) or slices < 1:
            raise ValueError(f"'slices' must be a positive integer, got {slices!r}")
        if slices > self.n_steps:
            raise ValueError(f"'slices' ({slices}) exceeds the number of samples ({self.n_steps})")
        self.slices = int(slices)
        overlap_s = _time(overlap, "'overlap'", "overlap=100*ms")
        if overlap_s < 0:
            raise ValueError(f"'overlap' must not be negative, got {overlap!r}")
        self.overlap_steps = int(round(overlap_s / self.dt))
        self.metric: Metric | None = None
        self.optimizer: Optimizer | None = None
        self.bounds: dict[str, tuple[Any, Any]] = {}
        self._spec: _Spec | None = None
        self._raw_bounds: dict[str, Any] = {}
        self._history_params: list[np.ndarray] = []
        self._history_errors: list[np.ndarray] = []
        self.best_params: dict[str, Any] | None = None
        self.best_error: float = math.inf

    # -- checks ------------------------------------------------------------

    def _check_param_init(self, param_init: Mapping[str, Any]) -> dict[str, Any]:
        result = {}
        for name, value in param_init.items():
            if name not in self.equations.names:
                raise ValueError(
                    f"'param_init' sets '{name}', which is not a variable of the model "
                    f"(variables: {sorted(self.equations.names)})"
                )
            dim = self.equations[name].dim
            if get_dimensions(value) is not dim:
                raise DimensionMismatchError(
                    f"param_init['{name}'] has units that do not match the model's "
                    f"({self.equations[name].unit_text})", get_dimensions(value), dim,
                )
            result[name] = value
        return result

    def _extra_parameters(self) -> dict[str, Any]:
        """Fittable names that are not model parameters: name -> dimension."""
        return {}

    def fittable_parameters(self) -> dict[str, Any]:
        """Names that can take bounds in `fit`, with their dimensions."""
        result = {
            name: self.equations[name].dim
            for name in self.equations.parameter_names
            if self.equations[name].var_type == "float"
        }
        for name, dim in self._extra_parameters().items():
            if name not in self.equations.names:
                result[name] = dim
        return result

    def _check_bounds(self, bounds: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
        if not bounds:
            raise ValueError("Give bounds for the fitted parameters, e.g. tau=[1*ms, 50*ms]")
        fittable = self.fittable_parameters()
        result = {}
        for name, pair in bounds.items():
            if name not in fittable:
                raise ValueError(
                    f"Unknown parameter '{name}' in the bounds: the model's fittable "
                    f"parameters are {sorted(fittable)}"
                )
            if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
                raise ValueError(f"The bounds of '{name}' must be a pair [low, high], got {pair!r}")
            dim = fittable[name]
            low, high = (
                float(_si(v, dim, f"The bound {v!r} of '{name}'")) for v in pair
            )
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ValueError(f"The bounds of '{name}' must be finite, got {pair!r}")
            if low > high:
                raise ValueError(f"The bounds of '{name}' have low > high: {pair!r}")
            result[name] = (low, high)
        missing = [
            n for n in self.equations.parameter_names
            if n not in result and n not in self.param_init and n not in self.input_names
            and self.equations[n].var_type == "float"
        ]
        if missing:
            raise ValueError(
                f"Model parameter(s) {missing} have neither bounds nor a value in 'param_init'"
            )
        return result

    def _check_metric(self, metric: Metric | None) -> Metric:
        if metric is None:
            metric = self.default_metric()
        if not isinstance(metric, Metric):
            raise TypeError(f"'metric' must be a Metric, got {type(metric).__name__}")
        if metric.kind != self._output_kind:
            raise TypeError(
                f"{type(self).__name__} needs a metric on {self._output_kind}, "
                f"got {type(metric).__name__} (on {metric.kind})"
            )
        return metric

    def default_metric(self) -> Metric:
        raise NotImplementedError

    # -- spec ----------------------------------------------------------------

    def _make_spec(self, names: Sequence[str]) -> _Spec:
        lines = [self.model_text]
        for name, dim in zip(self.input_names, self.input_dims, strict=True):
            lines.append(f"{name} = fit_input_{name}(t, {_INDEX}) : {_unit_text(dim)}")
        lines.append(f"{_INDEX} : integer (constant)")
        refractory = self.refractory
        param_names, param_dims = [], []
        delay_column = None
        for j, name in enumerate(names):
            if name in self.equations.names:
                param_names.append(name)
                param_dims.append(self.equations[name].dim)
            elif name == "refractory":
                lines.append(f"{_REFRACTORY} : second (constant)")
                refractory = _REFRACTORY
                param_names.append(_REFRACTORY)
                param_dims.append(_TIME)
            elif name == "delay":
                delay_column = j
                param_names.append("delay")
                param_dims.append(_TIME)
        return _Spec(
            model="\n".join(lines),
            threshold=self.threshold,
            reset=self.reset,
            refractory=refractory,
            method=self.method,
            dt=self.dt,
            n_steps=self.n_steps,
            n_traces=self.n_traces,
            input_names=list(self.input_names),
            input_dims=list(self.input_dims),
            param_names=param_names,
            param_dims=param_dims,
            param_init=dict(self.param_init),
            output=self._output_var(),
            delay_column=delay_column,
            namespace=dict(self.namespace),
            target=prefs.codegen.target,
            cuda_backend=prefs.codegen.cuda_backend,
            slices=self.slices,
            overlap_steps=self.overlap_steps,
        )

    def _output_var(self) -> str:
        return "spikes"

    def _targets(self) -> Any:
        raise NotImplementedError

    # -- evaluation ----------------------------------------------------------

    def _evaluate(self, spec: _Spec, metric: Metric, params: np.ndarray,
                  executor: concurrent.futures.Executor | None,
                  n_chunks: int | None) -> np.ndarray:
        if executor is None:
            return _errors(spec, self.inputs, self._targets(), metric, params)
        if n_chunks is None:
            n_chunks = getattr(executor, "_max_workers", None) or 2
        chunks = [c for c in np.array_split(params, max(1, int(n_chunks))) if c.shape[0]]
        shared = isinstance(executor, SharedMemoryPool)
        if shared and executor.spec_bytes != pickle.dumps(spec):
            raise ValueError(
                "This process pool was made for another fitter or another set-up (model, "
                "fitted parameters, seed); make it with fitter.process_pool() after prepare()"
            )
        futures: list[concurrent.futures.Future] = []
        try:
            for chunk in chunks:
                if shared:
                    futures.append(executor.submit(_evaluate_shared, executor.hearsim_token,
                                                   metric, chunk))
                else:
                    futures.append(executor.submit(_evaluate_chunk, spec, self.inputs,
                                                   self._targets(), metric, chunk))
            return np.concatenate([f.result() for f in futures])
        except BaseException:
            # the round is lost: do not leave its other chunks queued on the executor,
            # where they would hold up the workers when the fit is resumed
            for future in futures:
                future.cancel()
            raise

    # -- fitting ---------------------------------------------------------------

    def fit(
        self,
        n_rounds: int = 1,
        optimizer: Optimizer | None = None,
        metric: Metric | None = None,
        callback: Callable[..., Any] | str | None = None,
        restart: bool = False,
        n_samples: int | None = None,
        executor: concurrent.futures.Executor | None = None,
        n_chunks: int | None = None,
        seed: int | None = None,
        **bounds: Any,
    ) -> tuple[dict[str, Any], float]:
        """Run ``n_rounds`` rounds of the optimiser; return ``(best_params, best_error)``.

        Parameters
        ----------
        n_rounds : int
            Number of rounds (generations) of ``n_samples`` candidates.
        optimizer : Optimizer, optional
            Default `CMAOptimizer` (or `DEOptimizer` when ``cma`` is missing).
        metric : Metric, optional
            Default `GammaFactor` (4 ms, recording duration) for spikes,
            `MSEMetric` for traces.
        callback : callable or 'text', optional
            Called after every round as ``callback(parameters, errors,
            best_parameters, best_error, index)`` (parameters as a list of dicts
            with units); returning True stops the fit. ``'text'`` prints a line
            per round.
        restart : bool
            Start a fresh search (new optimiser state, history kept). Without
            it, a second `fit` continues the previous search (same bounds,
            optimiser and metric unless given).
        n_samples : int, optional
            Overrides the constructor's ``n_samples`` for a fresh search.
        executor : concurrent.futures.Executor, optional
            Evaluate each round in chunks through this executor (see module
            docstring); by default in this process, as one group.
        n_chunks : int, optional
            Chunks per round (default: the executor's worker count).
        seed : int, optional
            Seed for the optimiser (and the simulator's noise, if any).
        **bounds
            ``name=[low, high]`` with the parameter's units, for each fitted
            parameter.

        Returns
        -------
        best_params : dict
            Best parameters found so far (over all fits), with units.
        best_error : float

        A round that fails leaves the fitter ready for the next `fit`: its
        candidates are discarded (`Optimizer.forget`) and nothing of it is
        recorded. An exception (in a metric, a worker, the executor) then
        propagates unchanged, with a note saying which round failed. A
        KeyboardInterrupt (Ctrl-C) after at least one completed round of
        this call ends the fit with a UserWarning saying how many rounds
        completed, and the best result so far is returned; before the first
        round completes it propagates. Either way a later ``fit()`` continues
        the search.
        """
        if isinstance(n_rounds, bool) or not isinstance(n_rounds, (int, np.integer)) \
                or n_rounds < 1:
            raise ValueError(f"'n_rounds' must be a positive integer, got {n_rounds!r}")
        fresh = (
            restart or self.optimizer is None
            or (optimizer is not None and optimizer is not self.optimizer)
            or (bool(bounds) and self._check_bounds(bounds) != self.bounds)
        )
        if fresh:
            self.prepare(optimizer, metric if metric is not None else self.metric,
                         n_samples=n_samples, seed=seed, **(bounds or self._raw_bounds))
        elif metric is not None:
            self.metric = self._check_metric(metric)
        opt, spec, metric = self.optimizer, self._spec, self.metric
        n_rounds = int(n_rounds)
        completed = 0
        for index in range(n_rounds):
            try:
                params = opt.ask_array()
                errors = self._evaluate(spec, metric, params, executor, n_chunks)
                opt.tell(params, errors)
            except KeyboardInterrupt:
                # a generational optimiser would refuse every later ask() while the
                # candidates of this round are pending
                opt.forget()
                if completed == 0:
                    raise
                self._warn_interrupted(completed, n_rounds)
                break
            except BaseException as exc:
                opt.forget()
                exc.add_note(self._failure_note(exc, index, completed))
                raise
            self._record(params, errors)
            completed += 1
            if callback is not None:
                try:
                    stop = self._call_back(callback, params, errors, index)
                except KeyboardInterrupt:
                    # the round itself is complete and recorded: nothing to undo
                    self._warn_interrupted(completed, n_rounds)
                    break
                if stop is True:
                    break
        return dict(self.best_params), self.best_error

    @staticmethod
    def _warn_interrupted(completed: int, n_rounds: int) -> None:
        warnings.warn(
            f"fit() interrupted (KeyboardInterrupt) after {completed} of {n_rounds} "
            "round(s); returning the best result so far (call fit() again to continue "
            "the search)",
            UserWarning,
            stacklevel=3,
        )

    @staticmethod
    def _failure_note(exc: BaseException, index: int, completed: int) -> str:
        note = (
            f"hearsim: raised in round {index + 1} of fit() ({completed} round(s) of this "
            "fit completed); the round's candidates were discarded (optimizer.forget()), "
            "so fit() can be called again to continue the search"
        )
        if isinstance(exc, concurrent.futures.BrokenExecutor):
            note += "; this executor is broken (a worker died): make a new one"
        return note

    def _record(self, params: np.ndarray, errors: np.ndarray) -> None:
        self._history_params.append(params.copy())
        self._history_errors.append(np.asarray(errors, dtype=np.float64).copy())
        safe = np.where(np.isnan(errors), np.inf, errors)
        best = int(np.argmin(safe))
        if self.best_params is None or safe[best] < self.best_error:
            self.best_error = float(safe[best])
            self.best_params = self._as_dict(params[best])

    def _as_dict(self, row: np.ndarray) -> dict[str, Any]:
        fittable = self.fittable_parameters()
        return {
            name: _with_units(float(v), fittable[name])
            for name, v in zip(self.bounds, row, strict=True)
        }

    def _call_back(self, callback: Any, params: np.ndarray, errors: np.ndarray,
                   index: int) -> Any:
        if callback == "text":
            print(f"Round {index}: best error {np.nanmin(errors):.6g}; overall best "
                  f"{self.best_error:.6g} at {self.best_params}")
            return None
        if not callable(callback):
            raise TypeError(f"'callback' must be callable or 'text', got {callback!r}")
        return callback([self._as_dict(r) for r in params], errors, dict(self.best_params),
                        self.best_error, index)

    # -- results ---------------------------------------------------------------

    def results(self, format: str = "list", use_units: bool = True) -> Any:
        """Every candidate evaluated so far, with its error, in evaluation order.

        ``format='list'``: a list of dicts ``{name: value, ..., 'error': e}``;
        ``'dict'``: ``{name: array, ..., 'error': array}``; ``'dataframe'``: a
        pandas DataFrame (pandas needed; values in SI units, columns without
        units). ``use_units`` attaches units in the list and dict formats.
        """
        if not self._history_params:
            raise RuntimeError("No results yet: call fit() first")
        params = np.concatenate(self._history_params)
        errors = np.concatenate(self._history_errors)
        fittable = self.fittable_parameters()
        names = list(self.bounds)
        if format == "dataframe":
            try:
                import pandas as pd
            except ImportError as exc:
                raise ImportError("results(format='dataframe') needs pandas") from exc
            frame = pd.DataFrame(params, columns=names)
            frame["error"] = errors
            return frame
        wrap = (lambda v, n: _with_units(v, fittable[n])) if use_units else (lambda v, n: v)
        if format == "dict":
            out = {n: wrap(params[:, j], n) for j, n in enumerate(names)}
            out["error"] = errors
            return out
        if format == "list":
            return [
                {**{n: wrap(float(row[j]), n) for j, n in enumerate(names)}, "error": float(e)}
                for row, e in zip(params, errors, strict=True)
            ]
        raise ValueError(f"'format' must be 'list', 'dict' or 'dataframe', got {format!r}")

    # -- generating output and refining -------------------------------------------

    def _row(self, params: Mapping[str, Any] | None) -> np.ndarray:
        if params is None:
            if self.best_params is None:
                raise RuntimeError("No fitted parameters yet: call fit() or pass params")
            params = self.best_params
        if not self.bounds:
            raise RuntimeError("Call fit() first (it fixes the fitted parameters)")
        fittable = self.fittable_parameters()
        unknown = sorted(set(params) - set(self.bounds))
        if unknown:
            raise ValueError(f"Unknown parameter(s) {unknown}; fitted: {list(self.bounds)}")
        missing = [n for n in self.bounds if n not in params]
        if missing:
            raise ValueError(f"Missing parameter(s) {missing}")
        return np.array([
            float(_si(params[n], fittable[n], f"Parameter '{n}'")) for n in self.bounds
        ])

    def _generate(self, params: Mapping[str, Any] | None) -> Any:
        row = self._row(params)
        return _simulate(self._spec, self.inputs, row[None, :])[0]

    def process_pool(self, max_workers: int | None = None,
                     mp_context: Any = None, cuda_devices: Any = None) -> SharedMemoryPool:
        """A `SharedMemoryPool` for the fits of this fitter with the given bounds.

        The workers need the model with its fitted-parameter layout, which the
        bounds fix, so call `fit` once (even with one round) or `prepare` with
        the bounds before making the pool; a fit whose set-up (model, fitted
        parameters, seed) differs from the pool's is refused.

        Parameters
        ----------
        max_workers : int, optional
            Number of worker processes (default: the number of cores).
        mp_context : str or multiprocessing context, optional
            Start method (default 'spawn', safe with numba's threads).
        cuda_devices : list of int, optional
            With the cuda target: the GPUs to use, one worker per GPU (the default
            number of workers is then their number); worker ``k`` runs its rounds on
            ``cuda_devices[k % len(cuda_devices)]`` (``prefs.codegen.cuda_device``).
        """
        if self._spec is None:
            raise RuntimeError("Call prepare(**bounds) (or fit) before process_pool()")
        return SharedMemoryPool(self._spec, self.inputs, self._targets(),
                                max_workers=max_workers, mp_context=mp_context,
                                cuda_devices=cuda_devices)

    def prepare(self, optimizer: Optimizer | None = None, metric: Metric | None = None,
                n_samples: int | None = None, seed: int | None = None,
                **bounds: Any) -> None:
        """Check the bounds and set up a fresh search without running a round."""
        checked = self._check_bounds(bounds)
        metric = self._check_metric(metric)
        if optimizer is None:
            try:
                import cma  # noqa: F401
                optimizer = CMAOptimizer(seed=seed)
            except ImportError:
                optimizer = DEOptimizer(seed=seed)
        names = list(checked)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"'optimizer' must be an Optimizer, got {type(optimizer).__name__}")
        spec = self._make_spec(names)
        spec.seed = seed
        if self._spec is not None and self._spec.model == spec.model \
                and self._spec.param_names == spec.param_names:
            spec.token = self._spec.token  # an existing process pool still fits
        popsize = n_samples if n_samples is not None else self.n_samples
        optimizer.initialize(names, checked, popsize=popsize, seed=seed)
        self.optimizer, self.metric, self.bounds, self._spec = optimizer, metric, checked, spec
        self._raw_bounds = dict(bounds)

    def _unit_box(self, bounds: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        checked = self._check_bounds(bounds) if bounds else self.bounds
        if list(checked) != list(self.bounds):
            raise ValueError(f"refine() needs bounds for exactly {list(self.bounds)}")
        low = np.array([checked[n][0] for n in self.bounds])
        high = np.array([checked[n][1] for n in self.bounds])
        return low, high


class SpikeFitter(Fitter):
    """Fit a spiking model to recorded spike trains (one train per input trace).

    Parameters
    ----------
    model, input, dt, n_samples, method, param_init, input_var, namespace
        See `Fitter`.
    output : list of arrays
        Target spike times, one sorted array per input trace (Quantity of time,
        or floats in seconds), within the recording ``[0, n_steps * dt]``.
    threshold : str
        Spike condition (required).
    reset : str, optional
        Reset statements.
    refractory : Quantity, str or False
        Refractory period (or a bound ``refractory=[low, high]`` in `fit`).

    In `fit`, besides the model's ``(constant)`` parameters, ``refractory`` and
    ``delay`` (a time added to every model spike) may take bounds when the
    model has no variable of that name.
    """

    _output_kind = "spikes"

    def __init__(
        self,
        model: str | Equations,
        input: Any,
        output: Sequence[Any],
        dt: Any,
        threshold: str,
        reset: str | None = None,
        refractory: Any = False,
        n_samples: int | None = None,
        method: str | None = None,
        param_init: Mapping[str, Any] | None = None,
        input_var: str | None = None,
        namespace: Mapping[str, Any] | None = None,
        slices: int = 1,
        overlap: Any = 0 * second,
    ) -> None:
        if not isinstance(threshold, str) or not threshold.strip():
            raise ValueError("SpikeFitter needs a 'threshold' condition, e.g. 'v > -50*mV'")
        super().__init__(model, input, dt, n_samples=n_samples, method=method,
                         threshold=threshold, reset=reset, refractory=refractory,
                         param_init=param_init, input_var=input_var, namespace=namespace,
                         slices=slices, overlap=overlap)
        if isinstance(output, Mapping) or isinstance(output, (str, bytes)):
            raise TypeError("'output' must be a list of spike-time arrays, one per input trace")
        if isinstance(output, np.ndarray) and output.ndim == 1 and self.n_traces == 1 \
                and (output.size == 0 or np.ndim(output[0]) == 0):
            output = [output]
        trains = []
        for k, train in enumerate(output):
            if isinstance(train, Quantity):
                times = _si(train, _TIME, f"Output spike train {k}")
            else:
                times = np.asarray(train, dtype=np.float64)
            times = np.sort(times.reshape(-1))
            if not np.all(np.isfinite(times)):
                raise ValueError(f"Output spike train {k} contains NaN or infinite times")
            if times.size and (times[0] < 0 or times[-1] > self.duration * (1 + 1e-9)):
                raise ValueError(
                    f"Output spike train {k} has spikes outside the recording "
                    f"[0, {self.duration:g} s]"
                )
            if times.size == 0:
                raise ValueError(
                    f"Output spike train {k} has no spikes: a spike fit needs target spikes"
                )
            trains.append(times)
        if len(trains) != self.n_traces:
            raise ValueError(
                f"Mismatched input and output: {self.n_traces} input trace(s) but "
                f"{len(trains)} output spike train(s)"
            )
        self.output = trains

    def _extra_parameters(self) -> dict[str, Any]:
        return {"refractory": _TIME, "delay": _TIME}

    def _targets(self) -> list[np.ndarray]:
        return self.output

    def default_metric(self) -> Metric:
        """`GammaFactor` with delta = 4 ms over the recording's duration."""
        return GammaFactor(4e-3 * second, self.duration * second)

    def generate_spikes(self, params: Mapping[str, Any] | None = None) -> list[Quantity]:
        """Spike trains of the model, one per input trace (best fit by default).

        Model spike times include the fitted ``delay``, if any.
        """
        return [Quantity(t, dim=_TIME) for t in self._generate(params)]

    def refine(
        self,
        params: Mapping[str, Any] | None = None,
        metric: Metric | None = None,
        method: str = "Nelder-Mead",
        maxiter: int = 200,
        **bounds: Any,
    ) -> tuple[dict[str, Any], float]:
        """Polish a fit with a local gradient-free search (scipy.optimize.minimize).

        Parameters
        ----------
        params : dict, optional
            Start (default: the best fit).
        metric : Metric, optional
            Default: the metric of the last fit.
        method : 'Nelder-Mead' or 'Powell'
            Local method; both respect the bounds.
        maxiter : int
            Most iterations.
        **bounds
            Bounds (default: those of the last fit).

        Returns
        -------
        (params, error)
            The refined parameters (with units) and their error; the scipy
            result is kept in ``self.refine_result``.
        """
        from scipy.optimize import minimize

        if method not in ("Nelder-Mead", "Powell"):
            raise ValueError(f"'method' must be 'Nelder-Mead' or 'Powell', got {method!r}")
        x0 = self._row(params)
        low, high = self._unit_box(bounds)
        metric = self._check_metric(metric if metric is not None else self.metric)
        span = np.where(high > low, high - low, 1.0)
        targets = self._targets()

        def error(u: np.ndarray) -> float:
            row = low + np.clip(u, 0.0, 1.0) * span
            return float(_errors(self._spec, self.inputs, targets, metric, row[None, :])[0])

        u0 = np.clip((x0 - low) / span, 0.0, 1.0)
        result = minimize(error, u0, method=method, bounds=[(0.0, 1.0)] * len(u0),
                          options={"maxiter": int(maxiter)})
        self.refine_result = result
        row = low + np.clip(result.x, 0.0, 1.0) * span
        return self._as_dict(row), float(result.fun)


class TraceFitter(Fitter):
    """Fit a model to recorded traces of one of its variables.

    Parameters
    ----------
    model, input, dt, n_samples, method, threshold, reset, refractory,
    param_init, input_var, namespace
        See `Fitter`.
    output : dict
        ``{'v': traces}``: the recorded variable to a Quantity of shape
        ``(n_traces, n_steps)``, the same shape as the inputs; sample ``n`` is
        the value at ``t = n * dt`` (as a `StateMonitor` records it).
    output_var : str, optional
        Old style: the variable's name, with ``output`` the traces.
    """

    _output_kind = "traces"

    def __init__(
        self,
        model: str | Equations,
        input: Any,
        output: Any,
        dt: Any,
        n_samples: int | None = None,
        method: str | None = None,
        threshold: str | None = None,
        reset: str | None = None,
        refractory: Any = False,
        param_init: Mapping[str, Any] | None = None,
        input_var: str | None = None,
        output_var: str | None = None,
        namespace: Mapping[str, Any] | None = None,
        slices: int = 1,
        overlap: Any = 0 * second,
    ) -> None:
        super().__init__(model, input, dt, n_samples=n_samples, method=method,
                         threshold=threshold, reset=reset, refractory=refractory,
                         param_init=param_init, input_var=input_var, namespace=namespace,
                         slices=slices, overlap=overlap)
        if output_var is not None:
            if isinstance(output, Mapping):
                raise TypeError("Give either output={'v': traces} or output_var= with output=")
            output = {output_var: output}
        if not isinstance(output, Mapping) or len(output) != 1:
            raise TypeError("'output' must be a dict with one entry {'v': traces}")
        ((name, traces),) = output.items()
        if name not in self.equations.names or name in self.equations.parameter_names:
            raise ValueError(
                f"The output variable '{name}' is not a state variable or subexpression of "
                "the model"
            )
        dim = self.equations[name].dim
        array = _si(traces, dim, f"Output '{name}'")
        if array.ndim == 1:
            array = array[None, :]
        if array.shape != self.inputs.shape[1:]:
            raise ValueError(
                f"Mismatched input and output: inputs have shape {self.inputs.shape[1:]} "
                f"(n_traces, n_steps), output '{name}' has shape {array.shape}"
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(f"Output '{name}' contains NaN or infinite values")
        self.output_var = name
        self.output_dim = dim
        self.output = np.ascontiguousarray(array)

    def _output_var(self) -> str:
        return self.output_var

    def _targets(self) -> np.ndarray:
        return self.output

    def default_metric(self) -> Metric:
        """`MSEMetric` over the whole traces."""
        return MSEMetric()

    def generate_traces(self, params: Mapping[str, Any] | None = None) -> Quantity:
        """Traces of the output variable, shape ``(n_traces, n_steps)`` (best fit by default)."""
        return _with_units(self._generate(params), self.output_dim)

    def refine(
        self,
        params: Mapping[str, Any] | None = None,
        t_start: Any = None,
        max_nfev: int | None = 100,
        **bounds: Any,
    ) -> tuple[dict[str, Any], float]:
        """Polish a fit by least squares (scipy.optimize.least_squares, 'trf').

        The residuals are the differences between model and recorded traces
        (from ``t_start``, by default the last fit's `MSEMetric` ``t_start``);
        the Jacobian comes from forward differences, all perturbed parameter
        sets simulated in one group.

        Returns
        -------
        (params, error)
            The refined parameters (with units) and their mean squared error;
            the scipy result is kept in ``self.refine_result``.
        """
        from scipy.optimize import least_squares

        x0 = self._row(params)
        low, high = self._unit_box(bounds)
        metric = self.metric if isinstance(self.metric, MSEMetric) else MSEMetric()
        if t_start is not None:
            metric = MSEMetric(t_start=t_start)
        start = metric.first_index(self.dt)
        span = np.where(high > low, high - low, 1.0)
        target = self.output[:, start:]
        scale = 1.0 / math.sqrt(target.size)
        step = 1e-6

        def rows(u: np.ndarray) -> np.ndarray:
            return low + np.clip(u, 0.0, 1.0) * span

        def residuals_of(params_array: np.ndarray) -> np.ndarray:
            traces = _simulate(self._spec, self.inputs, params_array)[:, :, start:]
            return (traces - target[None]).reshape(params_array.shape[0], -1) * scale

        def fun(u: np.ndarray) -> np.ndarray:
            return residuals_of(rows(u)[None, :])[0]

        def jac(u: np.ndarray) -> np.ndarray:
            d = u.size
            shifts = np.where(u + step <= 1.0, step, -step)
            points = np.repeat(u[None, :], d + 1, axis=0)
            points[np.arange(1, d + 1), np.arange(d)] += shifts
            res = residuals_of(low + points * span)
            return ((res[1:] - res[0]) / shifts[:, None]).T

        u0 = np.clip((x0 - low) / span, 0.0, 1.0)
        result = least_squares(fun, u0, jac=jac, bounds=(0.0, 1.0), method="trf",
                               max_nfev=max_nfev, x_scale=1.0)
        self.refine_result = result
        error = float(np.sum(result.fun**2))
        return self._as_dict(rows(result.x)), error

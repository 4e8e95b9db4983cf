"""Input sources: Poisson groups, Poisson inputs, and spike generators.

All of them are generated code except the spike generator, whose work is a
table look-up per time step (which spikes fall in this step), with spike times
converted to integer steps once per run.
"""

from __future__ import annotations

import math

import numpy as np

from sim import random as _random
from sim.base import SimObject
from sim.clocks import as_fraction
from sim.codegen.ir import CodeBlock
from sim.equations import _ALL_FUNCTIONS
from sim.groups import CodeRunner, Group, NeuronGroup, _subgroup, group_size
from sim.parsing import Statement, generated_code, parse_expression, parse_statements
from sim.units import (
    DIMENSIONLESS,
    Hz,
    Quantity,
    fail_for_dimension_mismatch,
    second,
)
from sim.variables import Variable

__all__ = ["PoissonGroup", "PoissonInput", "SpikeGeneratorGroup"]


def _own_statements(code: str) -> list[Statement]:
    """Parse statements written here (they use this module's own '_' names)."""
    with generated_code():
        return parse_statements(code, functions=_ALL_FUNCTIONS)


class PoissonGroup(NeuronGroup):
    """``N`` independent Poisson spike sources.

    ``rates``: a rate quantity (scalar or one per neuron), or a string
    expression of ``t`` and ``i`` (e.g. ``'10*Hz + 5*Hz*sin(2*pi*t/second)'``
    or a TimedArray call).  Each step, neuron ``i`` spikes with probability
    ``rates*dt`` (a Bernoulli process, as in Brian 2).

    With rates given as values, the group does not draw a number per neuron and
    step: it draws the number of steps to each neuron's next spike (geometric,
    the same process in distribution) at each spike, which costs per spike, not
    per step.  The waiting times are drawn again at the start of a run when
    ``rates`` or ``dt`` changed since they were drawn; a change made *during* a
    run (from a network operation) takes effect at each neuron's next spike — use
    string rates for rates that change within a run.
    """

    def __init__(self, N: int | float, rates, dt=None, clock=None, when: str = "thresholds",
                 order: int = 0, namespace: dict | None = None, name: str | None = None):
        N = group_size(N, "PoissonGroup")
        fixed = not isinstance(rates, str)
        if fixed:
            # the threshold and reset below are the group's own: they may use its hidden
            # '_countdown' (set before NeuronGroup.__init__ parses them)
            object.__setattr__(self, "_internal_names", frozenset({"_countdown"}))
            fail_for_dimension_mismatch(rates, Hz, "PoissonGroup: rates must be a rate (Hz)")
            model = "rates : Hz"
            threshold = "_countdown <= 0"
            reset = "_countdown = 1 + geometric(rates*dt)"
        else:
            model = f"rates = {rates} : Hz"
            threshold, reset = "rand() < rates*dt", None
        super().__init__(N, model, threshold=threshold, reset=reset, dt=dt, clock=clock,
                         order=order, namespace=namespace, name=name or None)
        self._drawn_for = None
        if fixed:
            values = np.asarray(rates, dtype=float)
            if np.any(values < 0):
                raise ValueError("PoissonGroup: rates must not be negative")
            if values.ndim and values.shape != (N,):
                raise ValueError(f"PoissonGroup: rates must be a scalar or have {N} entries, "
                                 f"got shape {values.shape}")
            self.variables["_countdown"] = Variable(
                "_countdown", DIMENSIONLESS, "array", np.dtype(np.int64),
                np.zeros(self.N, dtype=np.int64),
            )
            countdown = CodeRunner(
                self, lambda namespace: (CodeBlock(_own_statements(
                    "_countdown = _countdown - 1"), None, "countdown"), {}, {}),
                "groups", order, name=f"{self.name}_countdown",
            )
            self.contained_objects.insert(0, countdown)
            self.rates = rates

    def before_run(self, namespace: dict) -> None:
        super().before_run(namespace)
        if "_countdown" not in self.variables:
            return
        # redrawn when rates or dt change, and after a restore() that gave new random
        # streams (the waiting times are memoryless: redrawing keeps the process)
        drawn_for = (self.variables["rates"].array.copy(), self.clock._dt_frac,
                     _random.epoch())
        if self._drawn_for is None or self._drawn_for[1:] != drawn_for[1:] or not (
            np.array_equal(self._drawn_for[0], drawn_for[0])
        ):
            # steps to each neuron's first spike: the step about to run counts as step 1
            with self._own_strings():
                self._assign_expression(self.variables["_countdown"], np.arange(self.N),
                                        "1 + geometric(rates*dt)", level=0)
            object.__setattr__(self, "_drawn_for", drawn_for)

    def _get_state(self) -> dict:
        state = super()._get_state()
        state["drawn_for"] = self._drawn_for
        return state

    def _set_state(self, state: dict) -> None:
        super()._set_state(state)
        object.__setattr__(self, "_drawn_for", state["drawn_for"])


class PoissonInput(CodeRunner):
    """Adds Poisson input to a variable without simulating the sources (Brian 2).

    Each step, ``target_var`` of every neuron increases by ``weight`` times a
    binomial draw of ``N`` sources each spiking with probability ``rate*dt``.
    ``weight`` is a quantity or a string expression with the units of the variable.
    """

    add_to_magic_network = True

    def __init__(self, target: NeuronGroup, target_var: str, N: int | float, rate, weight,
                 when: str = "synapses", order: int = 0, name: str | None = None):
        if target_var not in target.variables:
            raise KeyError(f"PoissonInput: '{target.name}' has no variable '{target_var}'")
        N = group_size(N, "PoissonInput")
        fail_for_dimension_mismatch(rate, Hz, "PoissonInput: rate must be a rate (Hz)")
        if float(rate) < 0:
            raise ValueError("PoissonInput: rate must not be negative")
        self.N = int(N)
        self.rate = rate
        self.weight = weight
        self.target_var = target_var
        if isinstance(weight, str):
            # the user's part is checked as a user string before it joins our own code
            parse_expression(weight, functions=_ALL_FUNCTIONS)
        weight_code = f"({weight})" if isinstance(weight, str) else "_poissoninput_weight"
        code = f"{target_var} += binomial(_poissoninput_N, _poissoninput_rate*dt)*{weight_code}"
        self._statements = _own_statements(code)
        super().__init__(target, self._block, when, order, name=name)

    def namespace_hook(self, namespace):
        own = {"_poissoninput_N": self.N, "_poissoninput_rate": self.rate}
        if not isinstance(self.weight, str):
            own["_poissoninput_weight"] = self.weight
        return self.group.scoped_namespace(own, namespace)

    def _block(self, namespace):
        self.group._check_statements(self._statements, namespace, f"'{self.name}'")
        return CodeBlock(list(self._statements), None, "poissoninput"), {}, {}


def _spike_indices(indices) -> np.ndarray:
    """A spike generator's neuron indices as int64: integers, or floats with whole values
    (``np.array([0.0, 1.0])``, as Brian 2 accepts them); anything else is refused."""
    if isinstance(indices, Quantity) and not indices.is_dimensionless:
        raise TypeError("SpikeGeneratorGroup: indices must be plain numbers (neuron indices), "
                        f"got a quantity with units {indices.dim}")
    idx = np.asarray(indices)
    if idx.ndim != 1:
        raise TypeError(f"SpikeGeneratorGroup: indices must be a 1-D array of integers, got "
                        f"shape {idx.shape}")
    if not len(idx):
        return idx.astype(np.int64)
    if idx.dtype.kind in "iu":
        return idx.astype(np.int64)
    if idx.dtype.kind != "f":
        raise TypeError(f"SpikeGeneratorGroup: indices must be a 1-D array of integers, got "
                        f"dtype {idx.dtype}")
    whole = np.isfinite(idx) & (idx == np.round(idx))
    if not np.all(whole):
        k = int(np.flatnonzero(~whole)[0])
        raise ValueError(f"SpikeGeneratorGroup: indices must be whole numbers, got {idx[k]!r} "
                         f"at position {k}")
    return idx.astype(np.int64)


class SpikeGeneratorGroup(Group, SimObject):
    """Neurons that spike at given times: ``SpikeGeneratorGroup(N, indices, times)``.

    A spike at time ``t`` is delivered in the time step that contains it
    (``k*dt <= t < (k+1)*dt``), computed with integer arithmetic on a grid of
    1 ns and the clock's step.  Two spikes of one neuron in one step are an
    error.  With ``period``, the pattern repeats every ``period``.  ``indices`` are
    integers, or floats with whole values (``np.array([0.0, 2.0])``), as Brian 2 takes them.
    """

    def __init__(self, N: int | float, indices, times, period=0 * second, dt=None, clock=None,
                 when: str = "thresholds", order: int = 0, sorted: bool = False,
                 name: str | None = None):
        SimObject.__init__(self, dt=dt, clock=clock, when=when, order=order, name=name)
        N = group_size(N, "SpikeGeneratorGroup")
        self.N = int(N)
        self.namespace = None
        self.variables = {
            "i": Variable("i", DIMENSIONLESS, "array", np.dtype(np.int64), np.arange(self.N),
                          read_only=True),
            "N": Variable("N", DIMENSIONLESS, "constant", value=self.N, read_only=True),
        }
        self._events = {"spike": np.zeros(0, dtype=np.int64)}
        self.set_spikes(indices, times, period)
        self._frozen = True

    def set_spikes(self, indices, times, period=0 * second) -> None:
        """Replace the spike pattern (between runs)."""
        idx = _spike_indices(indices)
        if isinstance(times, list | tuple) and any(isinstance(x, Quantity) for x in times):
            times = Quantity(times)  # [1*ms, 2*ms], as Brian 2 accepts
        fail_for_dimension_mismatch(times, second, "SpikeGeneratorGroup: times must be times")
        if not isinstance(times, Quantity) and len(np.atleast_1d(times)) and np.any(
            np.asarray(times) != 0
        ):
            raise TypeError("SpikeGeneratorGroup: times need units (e.g. [1, 2]*ms)")
        t = np.asarray(times, dtype=float).ravel()
        if len(idx) != len(t):
            raise ValueError(f"SpikeGeneratorGroup: {len(idx)} indices but {len(t)} times")
        if len(idx) and (idx.min() < 0 or idx.max() >= self.N):
            raise IndexError(f"SpikeGeneratorGroup: indices must lie in [0, {self.N})")
        if np.any(t < 0) or not np.all(np.isfinite(t)):
            raise ValueError("SpikeGeneratorGroup: spike times must be finite and >= 0")
        fail_for_dimension_mismatch(period, second, "SpikeGeneratorGroup: period must be a time")
        period_s = float(period)
        if period_s < 0:
            raise ValueError("SpikeGeneratorGroup: period must not be negative")
        if period_s > 0 and len(t) and t.max() >= period_s:
            raise ValueError(
                f"SpikeGeneratorGroup: with period={period}, every spike time must be shorter "
                f"than the period (latest: {t.max()} s)"
            )
        self._indices = idx.astype(np.int64)
        self._times = t
        self.period = period_s
        self._prepare(self.clock)

    def _prepare(self, clock) -> None:
        """Spike steps for the clock's dt, sorted, with duplicate detection."""
        dt = clock._dt_frac
        per_second = math.lcm(dt.denominator, 10**9)
        per_step = int(dt * per_second)
        ticks = np.rint(self._times * per_second).astype(np.int64)
        steps = ticks // per_step
        order = np.lexsort((self._indices, steps))
        steps, indices = steps[order], self._indices[order]
        same = (np.diff(steps) == 0) & (np.diff(indices) == 0)
        if np.any(same):
            k = int(np.flatnonzero(same)[0])
            raise ValueError(
                f"SpikeGeneratorGroup '{self.name}': neuron {indices[k]} has two spikes in the "
                f"time step starting at {steps[k] * float(dt)} s (dt = {float(dt)} s); use a "
                f"smaller dt or remove one spike"
            )
        self._steps = steps
        self._sorted_indices = indices
        self._period_steps = 0
        if self.period > 0:
            ratio = as_fraction(self.period) / dt
            if ratio.denominator != 1:
                raise ValueError(
                    f"SpikeGeneratorGroup '{self.name}': the period ({self.period} s) must be "
                    f"a multiple of dt ({float(dt)} s)"
                )
            self._period_steps = int(ratio)
        self._prepared_for = dt

    def before_run(self, namespace: dict) -> None:
        if self._prepared_for != self.clock._dt_frac:
            self._prepare(self.clock)

    def step_function(self):
        steps, indices = self._steps, self._sorted_indices
        period = self._period_steps
        events = self._events
        empty = np.zeros(0, dtype=np.int64)

        def step(i):
            k = i % period if period else i
            lo = np.searchsorted(steps, k, "left")
            hi = np.searchsorted(steps, k, "right")
            events["spike"] = indices[lo:hi] if hi > lo else empty

        return step

    def loop_fragment(self):
        """Its part of a compiled run loop: this step's spikes read off the schedule."""
        from sim.codegen import loop_ops as ops

        return ops.LoopFragment(self, [ops.EventsFromSchedule(
            ops.Events(self, "spike"), self._steps, self._sorted_indices, self._period_steps)])

    @property
    def _spikes(self) -> np.ndarray:
        return self._events["spike"]

    @property
    def spikes(self) -> np.ndarray:
        return self._events["spike"]

    def event_indices(self, event: str) -> np.ndarray:
        return self._events.get(event, np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return self.N

    def __getitem__(self, item):
        return _subgroup(self, item)

    def _get_state(self) -> dict:
        return {"events": {k: v.copy() for k, v in self._events.items()}}

    def _set_state(self, state: dict) -> None:
        self._events = {k: v.copy() for k, v in state["events"].items()}

    def __repr__(self) -> str:
        return f"SpikeGeneratorGroup({self.N}, {len(self._times)} spikes, name={self.name!r})"


"""Synapses: sparse connectivity, synaptic variables, delays, plasticity.

As in Brian 2: ``Synapses(source, target, model, on_pre, on_post, delay)``,
``S.connect(...)``, synaptic variables with units, ``x_pre``/``x_post`` for
the variables of the pre- and postsynaptic neurons (and post-synaptic
variables without suffix), ``(event-driven)``, ``(clock-driven)`` and
``(summed)`` equations, and several pathways.

Storage: one array per synaptic variable, plus the presynaptic index ``i``
and postsynaptic index ``j`` of every synapse (relative to the source and
target (sub)groups).  Everything that runs during a simulation is generated
code over these arrays: propagation, event-driven updates, summed variables,
clock-driven state updates.

Spike delivery: each pathway keeps a ring buffer of the spikes of its source
over the last ``max_delay/dt`` steps (bounded memory: steps x source size).
At every step it delivers, oldest spikes first, the synapses whose delay (in
steps) equals the age of the spike, found by binary search in the synapses of
that neuron sorted by delay.  When delays change between runs, spikes already
emitted keep the delays they were emitted with (they are turned into explicit
synapse events), so no spike is lost or delivered twice.
"""

from __future__ import annotations

import ast
import math
import re

import numpy as np

from sim import random as _random
from sim.base import SimObject
from sim.codegen.ir import CodeBlock
from sim.codegen.stateupdate import IntegrationProblem, UnsupportedEquationsException, integrate
from sim.equations import (
    _ALL_FUNCTIONS,
    DIFFERENTIAL_EQUATION,
    PARAMETER,
    SUBEXPRESSION,
    EquationError,
    Equations,
)
from sim.errors import ModelValueError
from sim.groups import CodeRunner, Group, Subgroup, _caller_namespace, conditional_writes
from sim.parsing import (
    Statement,
    generated_code,
    get_identifiers,
    infer_dimensions,
    is_boolean_expression,
    linear_split,
    parse_expression,
    parse_statements,
    substitute,
    to_source,
)
from sim.units import (
    DIMENSIONLESS,
    DimensionMismatchError,
    Quantity,
    fail_for_dimension_mismatch,
    second,
)
from sim.variables import Resolved, Variable, VariableView

__all__ = ["Synapses", "SynapticPathway", "SynapticIndexing", "SynapticSubgroup"]

_SYNAPSE_FLAGS = {
    DIFFERENTIAL_EQUATION: {"event-driven", "clock-driven"},
    SUBEXPRESSION: {"summed", "shared", "constant over dt"},
    PARAMETER: {"constant", "shared"},
}


def _group_parts(group):
    """(parent group, offset, size) of a group or subgroup."""
    parent = getattr(group, "source", group)
    return parent, group._index_offset(), group.N


class _SynapticView(VariableView):
    """``S.w[...]``: indexing by synapse number, by (pre, post) pairs, or a condition."""

    __slots__ = ()

    def __getitem__(self, key):
        indices = self.group._synapse_indices(key, level=1)
        return self._quantity(self._values()[indices])

    def __setitem__(self, key, value) -> None:
        indices = self.group._synapse_indices(key, level=1)
        self.group._set_values(self.variable, indices, value, level=1)


class SynapticPathway(SimObject):
    """Delivers the events of one side (``'pre'`` or ``'post'``) to the synapses.

    Runs in the ``synapses`` slot (order -1 for ``'pre'``, +1 for ``'post'``, as
    in Brian 2) on the clock of its source group.
    """

    add_to_magic_network = False

    def __init__(self, synapses: Synapses, code: str, prepost: str, name: str,
                 delay=None, event: str = "spike"):
        source = synapses.source if prepost == "pre" else synapses.target
        super().__init__(clock=source.clock, when="synapses",
                         order=-1 if prepost == "pre" else 1,
                         name=f"{synapses.name}_{name}")
        self.synapses = synapses
        self.prepost = prepost
        self.pathway = name
        self.event = event
        self.source = source
        self.statements = parse_statements(code, functions=_ALL_FUNCTIONS) if code else []
        self.homogeneous_delay = None
        if delay is not None:
            fail_for_dimension_mismatch(delay, second, f"The delay of pathway '{name}' must "
                                        f"be a time")
            if np.size(delay) != 1:
                raise TypeError(f"The delay of pathway '{name}' given at construction must be "
                                f"a scalar; set per-synapse delays with S.delay = ...")
            self.homogeneous_delay = float(np.asarray(delay))
        self._ring = np.zeros((1, max(source.N, 1)), dtype=np.int64)
        self._ring_n = np.zeros(1, dtype=np.int64)
        self._ring_clock = None  # (dt fraction) the ring was built for
        self._legacy_steps = np.zeros(0, dtype=np.int64)
        self._legacy_syn = np.zeros(0, dtype=np.int64)
        self._legacy_ptr = np.zeros(1, dtype=np.int64)
        self._delay_steps_used = None
        self._kernel = None

    # -- preparation -----------------------------------------------------------
    def _delay_seconds(self) -> np.ndarray | float:
        """The synapses' delays in seconds: an array, or one value for all."""
        syn = self.synapses
        if self.pathway == "pre" and "delay" in syn.variables:
            var = syn.variables["delay"]
            return float(var.array[0]) if var.shared else var.array[:syn.N]
        return self.homogeneous_delay or 0.0

    def _delays_in_steps(self, seconds: np.ndarray | float) -> np.ndarray:
        """Delays in whole steps, rounded as Brian 2's compiled spike queue does,
        ``int(delay/dt + 0.5)`` in double precision (half a step rounds up)."""
        n = self.synapses.N
        values = np.asarray(seconds)
        if not np.all(np.isfinite(values)):
            k = int(np.flatnonzero(~np.isfinite(np.atleast_1d(values)))[0])
            raise ModelValueError(
                f"Delays in '{self.synapses.name}' must be finite: synapse {k} has delay "
                f"{float(np.atleast_1d(values)[k])} s")
        if np.any(values < 0):
            raise ValueError(f"Negative delays in '{self.synapses.name}'")
        dt = float(self.clock.dt_)
        if np.ndim(seconds) == 0:
            return np.full(n, int(float(seconds) / dt + 0.5), dtype=np.int64)
        return (np.asarray(seconds, dtype=np.float64) / dt + 0.5).astype(np.int64)

    def _structure_unchanged(self, seconds, dt) -> bool:
        """Whether synapses, delays and dt are those the delivery tables were built for
        (checking is far cheaper than sorting millions of synapses again each run)."""
        cached = getattr(self, "_prepared_for", None)
        if cached is None or cached[0] != self.synapses.N or cached[1] != dt:
            return False
        before = cached[2]
        if np.ndim(seconds) == 0 or np.ndim(before) == 0:
            return np.ndim(seconds) == np.ndim(before) and float(seconds) == float(before)
        return np.array_equal(seconds, before)

    def _prepare(self) -> None:
        syn = self.synapses
        n = syn.N
        dt = self.clock._dt_frac
        seconds = self._delay_seconds()
        if self._structure_unchanged(seconds, dt):
            steps = self._steps
        else:
            sources = (syn._pre if self.prepost == "pre" else syn._post)[:n]
            steps = self._delays_in_steps(seconds)
            if np.any(steps < 0):
                raise ValueError(f"Negative delays in '{syn.name}'")
            order = np.lexsort((np.arange(n), steps, sources)).astype(np.int64)
            size = self.source.N
            offsets = np.zeros(size + 1, dtype=np.int64)
            np.add.at(offsets, sources + 1, 1)
            self._order = order
            self._offsets = np.cumsum(offsets)
            self._sorted_steps = steps[order]
            # the compiled loop's fast path: one delay for every synapse, and synapses
            # stored in delivery order (each neuron's synapses a contiguous range)
            self._single_delay = int(steps[0]) if n and np.all(steps == steps[0]) else -1
            self._in_order = bool(np.all(order == np.arange(n)))
            self._steps = steps
            self._ring_length = int(steps.max()) + 1 if n else 1
            self._prepared_for = (n, dt, seconds if np.ndim(seconds) == 0 else seconds.copy())
        length = self._ring_length
        previous = self._delay_steps_used
        if self._ring_clock is not None and self._ring_clock != dt:
            self._reset_ring(length)  # a new dt: step numbers no longer match the ring
        elif previous is not None and previous is not steps and (
                len(previous) != n or np.any(previous != steps)):
            self._keep_pending_events(previous, length)
        elif len(self._ring) != length:
            self._resize_ring(length)
        self._ring_clock = dt
        self._delay_steps_used = steps
        needed = max(n + len(self._legacy_syn), 1)
        if getattr(self, "_deliver", None) is None or len(self._deliver) < needed:
            self._deliver = np.zeros(needed, dtype=np.int64)
        if getattr(self, "_spans", None) is None or len(self._spans) < self.source.N:
            self._spans = np.zeros((max(self.source.N, 1), 2), dtype=np.int64)

    def _reset_ring(self, length: int) -> None:
        self._ring = np.zeros((length, max(self.source.N, 1)), dtype=np.int64)
        self._ring_n = np.zeros(length, dtype=np.int64)

    def _resize_ring(self, length: int) -> None:
        """Keep the spikes of the last steps when the ring length changes."""
        old, old_n = self._ring, self._ring_n
        now = self.clock._i
        self._reset_ring(length)
        for age in range(min(len(old), length)):
            step = now - 1 - age
            if step < 0:
                break
            src, dst = step % len(old), step % length
            self._ring[dst, :old_n[src]] = old[src, :old_n[src]]
            self._ring_n[dst] = old_n[src]

    def _keep_pending_events(self, previous_steps: np.ndarray, length: int) -> None:
        """Delays changed: undelivered spikes keep the delays they were emitted with."""
        now = self.clock._i  # first step of the coming run
        old, old_n = self._ring, self._ring_n
        syn = self.synapses
        n_old = len(previous_steps)
        sources = (syn._pre if self.prepost == "pre" else syn._post)[:n_old]
        steps, synapses = list(self._legacy_steps[self._legacy_ptr[0]:]), list(
            self._legacy_syn[self._legacy_ptr[0]:]
        )
        for age in range(len(old)):
            emitted = now - 1 - age
            if emitted < 0:
                break
            slot = emitted % len(old)
            for neuron in old[slot, :old_n[slot]]:
                mine = np.flatnonzero(sources == neuron)
                due = emitted + previous_steps[mine]
                keep = due >= now
                steps.extend(due[keep])
                synapses.extend(mine[keep])
        order = np.lexsort((np.arange(len(steps)), np.asarray(steps, dtype=np.int64)))
        self._legacy_steps = np.asarray(steps, dtype=np.int64)[order]
        self._legacy_syn = np.asarray(synapses, dtype=np.int64)[order]
        self._legacy_ptr = np.zeros(1, dtype=np.int64)
        self._reset_ring(length)

    def before_run(self, namespace: dict) -> None:
        syn = self.synapses
        syn._check_ready()
        parent = getattr(self.source, "source", self.source)
        known = list(getattr(parent, "_events", {}))
        if self.event not in known:
            raise ValueError(f"The '{self.pathway}' pathway of '{syn.name}' fires on the event "
                             f"'{self.event}', which '{parent.name}' does not have (events: "
                             f"{', '.join(known) or 'none'})")
        self._prepare()
        statements = syn._event_driven_statements() + list(self.statements)
        if syn._event_driven_names:
            statements += parse_statements("lastupdate = t")
        context = f"the '{self.pathway}' code of '{syn.name}'"
        syn._check_statements(list(self.statements), namespace, context)
        if statements:
            block = conditional_writes(CodeBlock(statements, None, f"pathway_{self.pathway}"),
                                       syn._conditional_write_map())
            self._kernel, self._args = syn.compile(
                block, namespace, context, stream=getattr(self, "_stream_name", self.name)
            )
        else:
            self._kernel = None

    # -- running -----------------------------------------------------------------
    def _collect(self, step: int, spikes: np.ndarray) -> np.ndarray:
        """Store this step's spikes; return the synapses to deliver now, in order."""
        length = len(self._ring)
        slot = step % length
        self._ring[slot, :len(spikes)] = spikes
        self._ring_n[slot] = len(spikes)
        parts = []
        ptr = self._legacy_ptr[0]
        if ptr < len(self._legacy_steps):
            end = ptr
            while end < len(self._legacy_steps) and self._legacy_steps[end] <= step:
                end += 1
            if end > ptr:
                parts.append(self._legacy_syn[ptr:end])
                self._legacy_ptr[0] = end
        # one delay for every synapse: only the spikes of `delay` steps ago are due,
        # all of their synapses (as the compiled loop's numba_delivery.due_synapses)
        ages = [self._single_delay] if self._single_delay >= 0 else range(length - 1, -1, -1)
        for age in ages:
            emitted = step - age
            if emitted < 0:
                continue
            s = emitted % length
            count = self._ring_n[s]
            if not count:
                continue
            neurons = self._ring[s, :count]
            starts = self._offsets[neurons]
            stops = self._offsets[neurons + 1]
            if self._single_delay >= 0:
                due = _concat_ranges(starts, stops)
                parts.append(due if self._in_order else self._order[due])
                continue
            firsts = _searchsorted_ranges(self._sorted_steps, starts, stops, age, "left")
            lasts = _searchsorted_ranges(self._sorted_steps, starts, stops, age, "right")
            keep = lasts > firsts
            if np.any(keep):
                parts.append(self._order[_concat_ranges(firsts[keep], lasts[keep])])
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(parts)

    def step_function(self):
        source = self.source
        parent, lo, size = _group_parts(source)
        hi = lo + size
        kernel, args = self._kernel, getattr(self, "_args", ())
        dt = self.clock.dt_
        event = self.event

        def step(i):
            spikes = parent._events[event]
            if lo or hi != parent.N:
                spikes = spikes[(spikes >= lo) & (spikes < hi)] - lo
            deliver = self._collect(i, spikes)
            if kernel is not None and len(deliver):
                kernel(deliver, len(deliver), i * dt, dt, *args, step=i)

        return step

    def loop_fragment(self):
        """Its part of a compiled run loop: spikes into the delay ring, the due synapses'
        ``on_pre``/``on_post`` kernel (tables read again whenever the loop resumes)."""
        from sim.codegen import loop_ops as ops

        parent, lo, size = _group_parts(self.source)
        fields = {"ring": "_ring", "ring_n": "_ring_n", "legacy_steps": "_legacy_steps",
                  "legacy_syn": "_legacy_syn", "legacy_ptr": "_legacy_ptr",
                  "offsets": "_offsets", "sorted_steps": "_sorted_steps", "order": "_order",
                  "deliver": "_deliver", "in_order": "_in_order", "spans": "_spans"}
        tables = {name: (lambda attr=attr: getattr(self, attr)) for name, attr in fields.items()}
        tables["single_delay"] = np.int64(self._single_delay)
        kernel = ops.Kernel(self._kernel, self._args) if self._kernel is not None else None
        return ops.LoopFragment(self, [ops.DeliverSpikes(ops.Events(parent, self.event), lo,
                                                         lo + size, tables, kernel)])

    @property
    def delay(self):
        """The pathway's delay: one value for every synapse (as a 1-element quantity,
        ``S.pre1.delay[:]``), or the synapses' ``delay`` variable."""
        if self.homogeneous_delay is not None:
            return Quantity(np.array([self._delay_seconds()]), dim=second.dim)
        return self.synapses.delay

    @delay.setter
    def delay(self, value) -> None:
        """Set a pathway's delay (one value; per synapse for the 'pre' pathway without a
        delay given at construction, through ``S.delay``)."""
        if self.homogeneous_delay is None:
            self.synapses.delay = value
            return
        fail_for_dimension_mismatch(value, second, f"The delay of pathway '{self.pathway}' "
                                    f"must be a time")
        if np.size(value) != 1:
            raise TypeError(f"The delay of pathway '{self.pathway}' is one value for all "
                            f"synapses; got {np.size(value)} values")
        seconds = float(np.asarray(value).reshape(()))
        self.homogeneous_delay = seconds
        shared = self.synapses.variables.get("delay") if self.pathway == "pre" else None
        if shared is not None and shared.shared:
            shared.array[0] = seconds

    def _get_state(self) -> dict:
        return {"ring": self._ring.copy(), "ring_n": self._ring_n.copy(),
                "legacy": (self._legacy_steps.copy(), self._legacy_syn.copy(),
                           self._legacy_ptr.copy()),
                "used": None if self._delay_steps_used is None else
                self._delay_steps_used.copy(), "clock": self._ring_clock}

    def _set_state(self, state: dict) -> None:
        self._ring = state["ring"].copy()
        self._ring_n = state["ring_n"].copy()
        steps, syn, ptr = state["legacy"]
        self._legacy_steps, self._legacy_syn, self._legacy_ptr = steps.copy(), syn.copy(), \
            ptr.copy()
        self._delay_steps_used = state["used"]
        self._ring_clock = state["clock"]


def _searchsorted_ranges(values, starts, stops, target, side) -> np.ndarray:
    """For each range [start, stop) of sorted ``values``: position of ``target``."""
    out = np.empty(len(starts), dtype=np.int64)
    for k in range(len(starts)):
        out[k] = starts[k] + np.searchsorted(values[starts[k]:stops[k]], target, side)
    return out


def _concat_ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(start, stop)`` for every pair, vectorised."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    return np.arange(total, dtype=np.int64) + offsets


class _SummedUpdater(SimObject):
    """Writes ``var_post = sum over synapses of expr`` before the target's state update."""

    add_to_magic_network = False

    def __init__(self, synapses: Synapses, varname: str, expr: str, target, target_var: str,
                 side: str = "post"):
        # scheduled just before the state update of the group that holds the variable
        # (a subgroup's is its parent's; a Synapses target's is its own, not its source's)
        owner = target.source if isinstance(target, Subgroup) else target
        super().__init__(clock=target.clock, when="groups", order=owner.order - 1,
                         name=f"{synapses.name}_summed_{target_var}")
        self.synapses = synapses
        self.target = target
        self.target_var = target_var
        self.expr = expr
        self.varname = varname
        self.side = side

    def before_run(self, namespace: dict) -> None:
        syn = self.synapses
        syn._check_ready()
        target = self.target
        var = target.variables.get(self.target_var)
        if var is None or var.kind != "array" or var.read_only:
            raise TypeError(f"The summed variable '{self.varname}' of '{syn.name}' needs a "
                            f"parameter '{self.target_var}' in '{target.name}'")
        context = f"the summed variable '{self.varname}' of '{syn.name}'"
        node = parse_expression(self.expr, functions=_ALL_FUNCTIONS)
        dims = infer_dimensions(syn._inline_subexpressions(node), syn._dims_of(namespace, context),
                                self.expr, value_of=syn._value_of(namespace, context),
                                functions=syn._functions(namespace, context))
        if dims != var.dim:
            raise DimensionMismatchError(f"In {context}: the expression and '{self.target_var}' "
                                         f"of '{target.name}' have different units", var.dim, dims)
        zero = CodeBlock(parse_statements(f"{self.target_var} = 0"), None, "summed_zero")
        self._zero, self._zero_args = target.compile(zero, namespace, context)
        name = f"{self.target_var}_{self.side}"
        add = CodeBlock([Statement(name, "+=", node, f"{name} += {self.expr}")], None,
                        "summed_add")
        self._add, self._add_args = syn.compile(add, namespace, context,
                                                stream=getattr(self, "_stream_name", self.name))

    def step_function(self):
        target, syn = self.target, self.synapses
        full = slice(target._index_offset(), target._index_offset() + target.N)
        n_target = target.N
        zero, zero_args = self._zero, self._zero_args
        add, add_args = self._add, self._add_args
        dt = self.clock.dt_

        def step(i):
            zero(full, n_target, i * dt, dt, *zero_args, step=i)
            n = syn.N
            if n:
                add(slice(0, n), n, i * dt, dt, *add_args, step=i)

        return step

    def loop_fragment(self):
        """Its part of a compiled run loop: zero the target variable, add every synapse."""
        from sim.codegen import loop_ops as ops

        target = self.target
        return ops.LoopFragment(self, [
            ops.RunKernel(ops.Kernel(self._zero, self._zero_args),
                          ops.Range(target._index_offset(), target.N)),
            ops.RunKernel(ops.Kernel(self._add, self._add_args), ops.Range(0, self.synapses.N)),
        ])


def _neuron_indices(part, group) -> np.ndarray:
    """The neuron numbers of ``group`` selected by one index of ``S.indices[pre, post]``:
    an integer, a sequence, a boolean mask, a slice (over the group's size, as Brian 2) or a
    subgroup."""
    if hasattr(part, "_index_offset") and hasattr(part, "N"):  # a subgroup of the group
        start = part._index_offset() - group._index_offset()
        return np.arange(start, start + part.N)
    if hasattr(part, "_indices") and callable(part._indices):
        return np.asarray(part._indices(), dtype=np.int64)
    try:  # negative numbers count from the end; numbers out of range select nothing
        return np.atleast_1d(np.arange(group.N)[part])
    except IndexError:
        return np.array([], dtype=np.int64)


class SynapticIndexing:
    """Brian 2's ``Synapses.indices``: ``S.indices[i, j]`` (``[i, j, k]``, a slice, an
    array, a condition string) gives the numbers of the synapses selected."""

    def __init__(self, synapses: Synapses):
        self.synapses = synapses

    def __call__(self, index=None) -> np.ndarray:
        """The synapse numbers of ``index`` (all synapses for ``None`` or ``'True'``)."""
        s = self.synapses
        if index is None or (isinstance(index, str) and index == "True"):
            index = slice(None)
        if isinstance(index, slice):
            return np.arange(s.N)[index]
        if isinstance(index, str):
            return s._synapse_indices(index, level=1)
        if isinstance(index, tuple) or hasattr(index, "_indices"):
            return np.asarray(s._synapse_indices(index, level=1), dtype=np.int64)
        # synapse numbers: checked against the number of synapses (an IndexError beyond it
        # ends iteration over S[k]); negative numbers count from the end
        return np.arange(s.N)[index]

    def __getitem__(self, item) -> np.ndarray:
        return self(item)


class SynapticSubgroup:
    """Brian 2's ``S[i, j]``: a fixed set of synapse numbers of ``synapses``, usable as an
    index (``record=``, ``S.w[sub]``)."""

    def __init__(self, synapses: Synapses, indices):
        self.synapses = synapses
        self._stored_indices = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        self._source_N = synapses.N

    def _indices(self, index_var: str = "_idx") -> np.ndarray:
        if self.synapses.N != self._source_N:
            raise RuntimeError("Synapses have been added/removed since this synaptic "
                               "subgroup has been created")
        return self._stored_indices

    def __len__(self) -> int:
        return len(self._stored_indices)

    def __repr__(self) -> str:
        return (f"<SynapticSubgroup, storing {len(self._stored_indices)} indices of "
                f"{self.synapses.name}>")


class Synapses(Group, SimObject):
    """Synapses between two groups (Brian 2's ``Synapses``).

    ``model``: synaptic equations (parameters such as ``w : volt``, and
    ``(event-driven)``, ``(clock-driven)`` or ``(summed)`` equations);
    ``on_pre``/``on_post``: statements run when the pre/postsynaptic neuron
    spikes (a dict gives several named pathways); ``delay``: a time (the same
    for all synapses of the pre pathway) or a dict per pathway; per-synapse
    delays are set later with ``S.delay = ...``.
    """

    def __init__(self, source, target=None, model: str | Equations = "", on_pre=None,
                 on_post=None, delay=None, on_event="spike", method=("exact", "euler", "heun"),
                 namespace: dict | None = None, dt=None, clock=None, order: int = 0,
                 name: str | None = None, pre=None, post=None,
                 multisynaptic_index: str | None = None):
        on_pre = on_pre if on_pre is not None else pre  # Brian 1 style names
        on_post = on_post if on_post is not None else post
        target = source if target is None else target
        SimObject.__init__(self, dt=dt, clock=clock or (None if dt else source.clock),
                           when="groups", order=order, name=name)
        self.source = source
        self.target = target
        self.namespace = namespace
        self.method = method
        eqs = model if isinstance(model, Equations) else Equations(model)
        for eq in eqs:
            bad = set(eq.flags) - _SYNAPSE_FLAGS[eq.type]
            if bad:
                raise EquationError(f"Flag(s) {', '.join(sorted(bad))} not allowed for a "
                                    f"{eq.type} in Synapses: '{eq.line or eq}'")
        self.method_used: str | None = None
        self._own_constants: dict = {}
        self._summed = [eq for eq in eqs if "summed" in eq.flags]
        self._event_driven_names = [eq.varname for eq in eqs
                                    if eq.type == DIFFERENTIAL_EQUATION
                                    and "event-driven" in eq.flags]
        self.equations = eqs
        self.N = 0
        self._capacity = 0
        self._pre = np.zeros(0, dtype=np.int64)
        self._post = np.zeros(0, dtype=np.int64)
        self._connect_called = False
        variables: dict[str, Variable] = {}
        for eq in eqs:
            if eq.type == SUBEXPRESSION:
                if "summed" in eq.flags:
                    continue
                variables[eq.varname] = Variable(eq.varname, eq.dim, "subexpression",
                                                 expr=eq.expr)
                continue
            dtype = {"float": np.float64, "bool": bool, "int": np.int64}[eq.var_type]
            variables[eq.varname] = Variable(eq.varname, eq.dim, "array", np.dtype(dtype),
                                             np.zeros(0, dtype=dtype),
                                             constant="constant" in eq.flags,
                                             shared="shared" in eq.flags)
            if "shared" in eq.flags:
                variables[eq.varname].array = np.zeros(1, dtype=dtype)
        if self._event_driven_names:
            variables["lastupdate"] = Variable("lastupdate", second.dim, "array",
                                               np.dtype(np.float64), np.zeros(0))
        variables["i"] = Variable("i", DIMENSIONLESS, "array", np.dtype(np.int64), self._pre,
                                  read_only=True)
        variables["j"] = Variable("j", DIMENSIONLESS, "array", np.dtype(np.int64), self._post,
                                  read_only=True)
        # as Brian 2: per synapse, the number of synapses of its target / from its source
        for counted in ("N_incoming", "N_outgoing"):
            variables[counted] = Variable(counted, DIMENSIONLESS, "array", np.dtype(np.int64),
                                          np.zeros(0, dtype=np.int64), read_only=True)
        variables["N_pre"] = Variable("N_pre", DIMENSIONLESS, "constant", value=source.N,
                                      read_only=True)
        variables["N_post"] = Variable("N_post", DIMENSIONLESS, "constant", value=target.N,
                                       read_only=True)
        variables["N"] = Variable("N", DIMENSIONLESS, "constant", value=0, read_only=True)
        delays = delay if isinstance(delay, dict) else {"pre": delay}
        pre_codes = on_pre if isinstance(on_pre, dict) else (
            {"pre": on_pre} if on_pre is not None else {})
        post_codes = on_post if isinstance(on_post, dict) else (
            {"post": on_post} if on_post is not None else {})
        if "pre" in pre_codes and delays.get("pre") is None:
            variables["delay"] = Variable("delay", second.dim, "array", np.dtype(np.float64),
                                          np.zeros(0))
        elif "pre" in pre_codes and np.size(delays["pre"]) == 1:
            # a delay given here is one value for every synapse (Brian 2: a scalar
            # variable): S.delay reads it, S.delay = 2*ms changes it between runs
            fail_for_dimension_mismatch(delays["pre"], second, "The delay of pathway "
                                        "'pre' must be a time")
            variables["delay"] = Variable("delay", second.dim, "array", np.dtype(np.float64),
                                          np.array([float(np.asarray(delays["pre"]))]),
                                          shared=True)
        self._multisynaptic_index = multisynaptic_index
        if multisynaptic_index is not None:
            if not str(multisynaptic_index).isidentifier() or multisynaptic_index in variables:
                raise ValueError(f"multisynaptic_index={multisynaptic_index!r}: give a new "
                                 f"variable name")
            variables[multisynaptic_index] = Variable(
                multisynaptic_index, DIMENSIONLESS, "array", np.dtype(np.int64),
                np.zeros(0, dtype=np.int64), read_only=True)
        self.variables = variables
        self._pathways: list[SynapticPathway] = []
        for pname, code in pre_codes.items():
            self._pathways.append(SynapticPathway(self, code, "pre", pname, delays.get(pname),
                                                  event=self._event_of(on_event, pname)))
        for pname, code in post_codes.items():
            self._pathways.append(SynapticPathway(self, code, "post", pname, delays.get(pname),
                                                  event=self._event_of(on_event, pname)))
        for pathway in self._pathways:
            object.__setattr__(self, pathway.pathway, pathway)
        self.contained_objects.extend(self._pathways)
        clock_driven = [eq for eq in eqs if eq.type == DIFFERENTIAL_EQUATION
                        and "event-driven" not in eq.flags]
        if clock_driven:
            self.state_updater = CodeRunner(self, self._state_update_block, "groups", order,
                                            name=f"{self.name}_stateupdater")
            self.contained_objects.append(self.state_updater)
        #: Brian 2's: the updater of each (summed) variable, by name (its ``when`` and
        #: ``order`` may be changed: ``S.summed_updaters['v_post'].when = 'after_groups'``)
        self.summed_updaters = {}
        for eq in self._summed:
            if not eq.varname.endswith("_post") and not eq.varname.endswith("_pre"):
                raise EquationError(f"A (summed) variable must name its target with _post or "
                                    f"_pre: '{eq.line}'")
            side, var = ("post", eq.varname[:-5]) if eq.varname.endswith("_post") else (
                "pre", eq.varname[:-4])
            group = target if side == "post" else source
            updater = _SummedUpdater(self, eq.varname, eq.expr, group, var, side)
            self.summed_updaters[eq.varname] = updater
            self.contained_objects.append(updater)
        self._frozen = True

    # -- growing the model after construction (Brian 1's STDP/STP factories) ----------
    def _extend_model(self, text: str) -> None:
        """Add parameters and event-driven equations to existing synapses."""
        added = Equations(text)
        for eq in added:
            if eq.type == SUBEXPRESSION or (eq.type == DIFFERENTIAL_EQUATION
                                            and "event-driven" not in eq.flags):
                raise EquationError(f"Only parameters and (event-driven) equations can be "
                                    f"added to existing synapses: '{eq.line}'")
        self.equations = self.equations + added
        for eq in added:
            dtype = {"float": np.float64, "bool": bool, "int": np.int64}[eq.var_type]
            self.variables[eq.varname] = Variable(eq.varname, eq.dim, "array", np.dtype(dtype),
                                                  np.zeros(self.N, dtype=dtype))
            if eq.type == DIFFERENTIAL_EQUATION:
                self._event_driven_names.append(eq.varname)
        if self._event_driven_names and "lastupdate" not in self.variables:
            self.variables["lastupdate"] = Variable("lastupdate", second.dim, "array",
                                                    np.dtype(np.float64), np.zeros(self.N))

    def _add_pathway(self, code: str, prepost: str, name: str | None = None) -> SynapticPathway:
        name = name or prepost
        if any(p.pathway == name for p in self._pathways):
            raise ValueError(f"'{self.name}' already has a pathway named '{name}'")
        pathway = SynapticPathway(self, code, prepost, name)
        self._pathways.append(pathway)
        object.__setattr__(self, name, pathway)
        self.contained_objects.append(pathway)
        return pathway

    # -- sizes and storage --------------------------------------------------------
    def __len__(self) -> int:
        return self.N

    def _resize(self, n: int) -> None:
        for var in self.variables.values():
            if var.kind == "array" and not var.shared and var.name not in (
                    "i", "j", "N_incoming", "N_outgoing", self._multisynaptic_index):
                new = np.zeros(n, dtype=var.dtype)
                new[:len(var.array)] = var.array[:n]
                var.array = new
        self.variables["N"].value = n
        object.__setattr__(self, "N", n)

    def _check_ready(self) -> None:
        if not self._connect_called:
            raise TypeError(f"Synapses '{self.name}' has no synapses: call connect() first (or "
                            f"set {self.name}.active = False)")

    # -- name resolution: pre/post variables -------------------------------------
    def _resolve(self, name: str, namespace, context: str) -> Resolved:
        if name in self.variables:
            return super()._resolve(name, namespace, context)
        for suffix, group, index in (("_pre", self.source, self._pre),
                                     ("_post", self.target, self._post)):
            if name.endswith(suffix) and name[:-len(suffix)] in group.variables:
                return self._side_variable(group, name[:-len(suffix)], index, name)
        if name in self.target.variables and name not in ("i", "N", "t", "dt"):
            return self._side_variable(self.target, name, self._post, name)
        return super()._resolve(name, namespace, context)

    @staticmethod
    def _event_of(on_event, pathway: str) -> str:
        """The event a pathway fires on: ``on_event`` (one name for all, or a dict by
        pathway name), ``'spike'`` by default, as Brian 2."""
        if isinstance(on_event, dict):
            return on_event.get(pathway, "spike")
        return on_event or "spike"

    def _conditional_write_map(self) -> dict[str, str]:
        """Pre/post variables frozen by refractoriness: synaptic writes to them wait
        until the neuron is no longer refractory (Brian 2's conditional writes)."""
        found: dict[str, str] = {}
        for suffix, group in (("_pre", self.source), ("_post", self.target)):
            parent = getattr(group, "source", group)
            for name, cond in parent._conditional_write_map().items():
                found[name + suffix] = cond + suffix
                if suffix == "_post" and name not in self.variables:
                    found[name] = cond + suffix  # unsuffixed post variables
        return found

    def _side_variable(self, group, varname: str, index: np.ndarray, alias: str) -> Resolved:
        var = group.variables[varname]
        if var.kind == "constant":
            return Resolved("variable", var.dim, variable=var)
        if var.kind == "subexpression":
            # as Brian 2: the neuron's subexpression, over that neuron's variables
            expr = self._side_expression(group, var, alias[len(varname):] or "_post")
            return Resolved("variable", var.dim,
                            variable=Variable(alias, var.dim, "subexpression", expr=expr))
        if var.kind != "array":
            raise TypeError(f"'{alias}' refers to '{varname}' of '{group.name}', which "
                            f"synapses cannot use")
        parent, offset, _ = _group_parts(group)
        if var.linked or var.shared:
            raise TypeError(f"'{alias}': linked or shared variables of '{group.name}' cannot be "
                            f"used through synapses")
        full_index = index[:self.N] + offset
        side = Variable(alias, var.dim, "array", var.dtype, var.array, read_only=var.read_only,
                        index=full_index)
        return Resolved("variable", var.dim, variable=side)

    @staticmethod
    def _side_expression(group, var: Variable, suffix: str) -> str:
        """A neuron subexpression's code with that group's variables suffixed
        (``I = g*(E - v)`` read as ``I_post``: ``g_post*(E_post - v_post)``); names
        of its own namespace (constants) are kept."""
        parent = getattr(group, "source", group)
        node = parse_expression(var.expr, functions=_ALL_FUNCTIONS)
        mapping = {n: f"{n}{suffix}" for n in get_identifiers(node)
                   if n in parent.variables and n not in ("t", "dt")}
        return to_source(substitute(node, mapping)) if mapping else var.expr

    def _inline_subexpressions(self, node: ast.expr) -> ast.expr:
        """The synapses' subexpressions, and those of the neurons read through them
        (``I_post``, ``I_pre``, an unsuffixed postsynaptic ``I``), replaced by their code."""
        node = super()._inline_subexpressions(node)
        for _ in range(64):
            mapping = {}
            for name in get_identifiers(node):
                if name in self.variables:
                    continue
                for suffix, group in (("_pre", self.source), ("_post", self.target),
                                      ("", self.target)):
                    base = name[:len(name) - len(suffix)] if suffix else name
                    if suffix and not name.endswith(suffix):
                        continue
                    var = group.variables.get(base)
                    if var is not None and var.kind == "subexpression":
                        mapping[name] = f"({self._side_expression(group, var, suffix or '_post')})"
                        break
            if not mapping:
                return node
            node = super()._inline_subexpressions(substitute(node, mapping))
        raise EquationError(f"Circular subexpressions in '{to_source(node)}'")

    def _written_variable(self, name: str, namespace, context: str):
        if name in self.variables:
            return self.variables[name]
        try:
            resolved = self._resolve(name, namespace, context)
        except KeyError:
            return None
        return resolved.variable if resolved.kind == "variable" else None

    # -- state access --------------------------------------------------------------
    def __getattr__(self, name: str):
        if name.startswith("__") or "variables" not in self.__dict__:
            raise AttributeError(name)
        variables = self.__dict__["variables"]
        if name in variables:
            return _SynapticView(self, variables[name])
        return Group.__getattr__(self, name)

    def _raw_view(self, var: Variable) -> np.ndarray:
        if var.name == "i":
            return self._pre[:self.N]
        if var.name == "j":
            return self._post[:self.N]
        if var.shared:
            return var.array
        return var.array[:self.N]

    def _synapse_indices(self, key, level: int):
        n = self.N
        if isinstance(key, str):
            return self._indices_from_condition(key, level=level + 1)
        if hasattr(key, "_indices") and not isinstance(key, tuple):  # S[0, :] as an index
            return np.asarray(key._indices(), dtype=np.int64)
        if isinstance(key, tuple):
            if len(key) not in (2, 3):
                raise IndexError("Synapses are indexed by S.var[pre, post] or "
                                 "S.var[pre, post, k] (k: the multisynaptic index)")
            mask = np.ones(n, dtype=bool)
            for part, idx, group in zip(key[:2], (self._pre[:n], self._post[:n]),
                                        (self.source, self.target), strict=True):
                if not (isinstance(part, slice) and part == slice(None)):
                    mask &= np.isin(idx, _neuron_indices(part, group))
            if len(key) == 3 and not (isinstance(key[2], slice) and key[2] == slice(None)):
                name = self._multisynaptic_index
                if name is None:
                    raise IndexError("To index by the third dimension you need to switch on "
                                     "the calculation of the 'multisynaptic_index' when you "
                                     "create the Synapses object")
                number = self._raw_view(self.variables[name])
                mask &= np.isin(number, np.arange(int(number.max()) + 1 if n else 0)[key[2]]
                                if isinstance(key[2], slice) else np.atleast_1d(key[2]))
            return np.flatnonzero(mask)
        return key

    @property
    def N_incoming_post(self) -> np.ndarray:  # noqa: N802  (Brian 2's name)
        """Brian 2's: the number of incoming synapses of each neuron of the target group
        (an integer array of the target's size)."""
        return np.bincount(self._post[:self.N], minlength=self.target.N).astype(np.int32)

    @property
    def N_outgoing_pre(self) -> np.ndarray:  # noqa: N802  (Brian 2's name)
        """Brian 2's: the number of outgoing synapses of each neuron of the source group
        (an integer array of the source's size)."""
        return np.bincount(self._pre[:self.N], minlength=self.source.N).astype(np.int32)

    @property
    def indices(self) -> SynapticIndexing:
        """Brian 2's ``S.indices[pre, post]`` (or ``[pre, post, k]``, a synapse number or
        slice, a condition string): the numbers of the synapses selected, as an integer
        array (``S.w[S.indices[:, 5:10]] = ...``)."""
        return SynapticIndexing(self)

    def __getitem__(self, item) -> SynapticSubgroup:
        """``S[pre, post]`` (any index of ``S.indices``): the selected synapses as a
        `SynapticSubgroup`, usable as ``StateMonitor(S, 'w', record=S[0, :])``."""
        return SynapticSubgroup(self, self.indices[item])

    def _assign_expression(self, var: Variable, indices: np.ndarray, expr: str, level: int):
        super()._assign_expression(var, indices, expr, level + 1)

    def _set_values(self, var, key, value, level: int) -> None:
        if callable(value) and not isinstance(value, str | Quantity | np.ndarray):
            idx = np.arange(self.N)[key]
            value = value(self._pre[:self.N][idx], self._post[:self.N][idx])
            key = idx
        super()._set_values(var, key, value, level + 1)

    # -- connectivity --------------------------------------------------------------
    def connect(self, condition=None, i=None, j=None, p=1.0, n=1,
                skip_if_invalid: bool = False, namespace: dict | None = None,
                level: int = 0) -> None:
        """Create synapses (Brian 2's ``connect``).

        ``connect()`` / ``connect(True)``: all to all; ``connect(i=..., j=...)``:
        explicit index arrays; ``condition``: a boolean expression of ``i``,
        ``j`` and pre/post variables (or a callable of arrays i, j); ``p``: a
        probability (number, expression or callable of i and j); ``n``: synapses
        per pair (number or expression); ``j='k for k in range(i-3, i+4) if k != i'``,
        ``j='k for k in sample(N_post, p=0.1)'`` or ``i='...'`` (over the postsynaptic
        neurons): Brian 2's generator syntax.  ``rand()`` may appear in conditions,
        probabilities, multiplicities and generators: its numbers come from this call's
        stream, counted by the pair (or by outer index and candidate), so ``seed(n)``
        gives the same synapses on every target.
        """
        if namespace is None:
            namespace = _caller_namespace(level + 1)
        # a numpy generator seeded from this connect call's stream: the same script
        # (same seed, same sequence of random operations) makes the same synapses
        stream = _random.next_assignment_stream("connect")
        rng = np.random.default_rng(_random.stream_keys(stream, 1)[0])
        n_pre, n_post = self.source.N, self.target.N
        if isinstance(i, str) or isinstance(j, str):
            name, other = ("i", j) if isinstance(i, str) else ("j", i)
            if other is not None:
                raise TypeError(f"connect: the generator syntax for {name}= cannot be "
                                f"combined with {'j' if name == 'i' else 'i'}=")
            if condition is not None:
                raise TypeError(f"connect: the generator syntax for {name}= cannot be "
                                f"combined with a condition (put it in the generator's if)")
            if isinstance(p, str) or p != 1:
                raise ValueError("connect: the generator syntax cannot be combined with p=; "
                                 "use 'k for k in sample(N_post, p=...)'")
            pre, post = self._connect_generator(i if name == "i" else j, namespace, rng,
                                                skip_if_invalid, stream,
                                                over_presynaptic=name == "j")
        elif i is not None or j is not None:
            if condition is not None or (p != 1.0):
                raise TypeError("connect: give either i/j arrays or a condition/probability")
            if i is None or j is None:
                raise TypeError("connect: give both i= and j= (or a generator string i=... or "
                                "j=...)")
            pre, post = np.broadcast_arrays(_indices(i, "i"), _indices(j, "j"))
            pre, post = pre.ravel(), post.ravel()
            bad = (pre < 0) | (pre >= n_pre) | (post < 0) | (post >= n_post)
            if np.any(bad):
                if not skip_if_invalid:
                    k = int(np.flatnonzero(bad)[0])
                    raise IndexError(f"connect: synapse {pre[k]} -> {post[k]} outside the "
                                     f"groups ({n_pre} x {n_post} neurons)")
                pre, post = pre[~bad], post[~bad]
        else:
            pre, post = self._connect_condition(condition, p, namespace, rng, stream)
        copies = self._connect_multiplicity(n, pre, post, namespace, stream)
        if copies is not None:
            pre, post = np.repeat(pre, copies), np.repeat(post, copies)
        self._add_synapses(pre, post)
        self._connect_called = True

    def _add_synapses(self, pre: np.ndarray, post: np.ndarray) -> None:
        old = self.N
        total = old + len(pre)
        new_pre = np.zeros(total, dtype=np.int64)
        new_post = np.zeros(total, dtype=np.int64)
        new_pre[:old], new_post[:old] = self._pre[:old], self._post[:old]
        new_pre[old:], new_post[old:] = pre, post
        self._pre, self._post = new_pre, new_post
        self.variables["i"].array = new_pre
        self.variables["j"].array = new_post
        self._resize(total)
        incoming = np.bincount(new_post, minlength=self.target.N)
        outgoing = np.bincount(new_pre, minlength=self.source.N)
        self.variables["N_incoming"].array = incoming[new_post].astype(np.int64)
        self.variables["N_outgoing"].array = outgoing[new_pre].astype(np.int64)
        if self._multisynaptic_index is not None:
            # Brian 2's multisynaptic index: 0, 1, 2... over the synapses of each pair
            key = new_pre * max(self.target.N, 1) + new_post
            order = np.argsort(key, kind="stable")
            sorted_key = key[order]
            starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
            first = np.repeat(starts, np.diff(np.r_[starts, len(key)]))
            rank = np.empty(total, dtype=np.int64)
            rank[order] = np.arange(total) - first
            self.variables[self._multisynaptic_index].array = rank
        for pathway in self._pathways:
            if pathway.homogeneous_delay is None and pathway.pathway != "pre":
                continue

    def _pair_values(self, expr: str, pre: np.ndarray, post: np.ndarray, namespace, context,
                     stream: str | None = None):
        """Values of an expression of i, j and pre/post variables for pairs of neurons.

        Random functions (``rand()``...) draw from ``stream``, one number per pair
        counted by (i, j), so the pairs drawn do not depend on how they are chunked;
        without a stream they are refused."""
        node = self._inline_subexpressions(parse_expression(expr, functions=_ALL_FUNCTIONS))
        return self._node_values(node, expr, pre, post, namespace, context, stream), node

    def _node_values(self, node: ast.expr, expr: str, pre: np.ndarray, post: np.ndarray,
                     namespace, context, stream: str | None = None) -> np.ndarray:
        """:meth:`_pair_values` of an expression already parsed (and inlined)."""
        env: dict[str, object] = {"i": pre, "j": post, "N_pre": self.source.N,
                                  "N_post": self.target.N}
        dims = {"i": DIMENSIONLESS, "j": DIMENSIONLESS, "N_pre": DIMENSIONLESS,
                "N_post": DIMENSIONLESS}
        for name in get_identifiers(node):
            if name in env:
                continue
            for suffix, group, idx in (("_pre", self.source, pre), ("_post", self.target, post)):
                if name.endswith(suffix) and name[:-len(suffix)] in group.variables:
                    var = group.variables[name[:-len(suffix)]]
                    values = group._get_values(var)
                    env[name] = values[idx] if np.ndim(values) else values
                    dims[name] = var.dim
                    break
            else:
                resolved = self._resolve(name, namespace, context) if name not in \
                    self.target.variables else None
                if resolved is None or resolved.kind == "variable":
                    raise KeyError(f"'{name}' cannot be used in {context} (use i, j, x_pre, "
                                   f"x_post or external constants)")
                env[name] = resolved.value
                dims[name] = resolved.dim
        infer_dimensions(node, lambda nm: dims[nm] if nm in dims else
                         self._resolve(nm, namespace, context).dim, expr)
        namespace_values = dict(env)
        rand_calls = sum(1 for sub in ast.walk(node) if isinstance(sub, ast.Call)
                         and getattr(sub.func, "id", "") in ("rand", "randn"))
        if rand_calls and stream is None:
            raise TypeError(f"rand() is not allowed in {context}; use p= for probabilities")
        return np.broadcast_to(_draw_evaluate(node, namespace_values, len(pre), stream or "",
                                              pre, post), pre.shape)

    def _connect_condition(self, condition, p, namespace, rng, stream: str | None = None):
        n_pre, n_post = self.source.N, self.target.N
        if condition is None or condition is True:
            condition = None
        elif condition is False:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if isinstance(condition, str) and not callable(p):
            found = self._connect_one_candidate(condition, p, namespace, rng, stream)
            if found is not None:
                return found
        if isinstance(p, int | float | np.number) and not isinstance(p, bool):
            # independent Bernoulli draws per pair, then the (deterministic) condition on
            # the drawn pairs only: the same distribution, without visiting all N x M pairs.
            # Candidates come in bounded chunks, each filtered by the condition at once,
            # so memory follows the synapses made, not the N_pre x N_post pairs
            # (a condition with p=1 over 3200 x 640,000 pairs would be 2e9 candidates)
            pres, posts = [], []
            for pre, post in _bernoulli_chunks(n_pre, n_post, float(p), rng):
                if condition is not None and len(pre):
                    if callable(condition):
                        keep = np.asarray(condition(pre, post), dtype=bool)
                    else:
                        keep, node = self._pair_values(str(condition), pre, post, namespace,
                                                       f"the condition '{condition}'",
                                                       stream=stream and f"{stream}/condition")
                        if not is_boolean_expression(node):
                            raise TypeError(f"connect: the condition '{condition}' must be a "
                                            f"boolean expression")
                    keep = np.broadcast_to(keep, pre.shape)
                    pre, post = pre[keep], post[keep]
                pres.append(pre)
                posts.append(post)
            if not pres:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            return (pres[0], posts[0]) if len(pres) == 1 else (np.concatenate(pres),
                                                                np.concatenate(posts))
        # general case: evaluate row blocks of the full matrix
        pres, posts = [], []
        block = max(1, _PAIR_BLOCK // max(n_post, 1))
        for start in range(0, n_pre, block):
            rows = np.arange(start, min(n_pre, start + block))
            pre = np.repeat(rows, n_post)
            post = np.tile(np.arange(n_post), len(rows))
            keep = np.ones(len(pre), dtype=bool)
            if condition is not None:
                if callable(condition):
                    keep &= np.asarray(condition(pre, post), dtype=bool)
                else:
                    values, node = self._pair_values(str(condition), pre, post, namespace,
                                                     f"the condition '{condition}'",
                                                     stream=stream and f"{stream}/condition")
                    if not is_boolean_expression(node):
                        raise TypeError(f"connect: the condition '{condition}' must be a "
                                        f"boolean expression")
                    keep &= values
            if isinstance(p, str):
                prob, _ = self._pair_values(p, pre, post, namespace, f"the probability '{p}'",
                                            stream=stream and f"{stream}/p")
                _check_probabilities(prob, keep, f"the probability '{p}'")
            elif callable(p):
                prob = np.asarray(p(pre, post), dtype=float)
                _check_probabilities(prob, keep, "the probability callable")
            else:
                fail_for_dimension_mismatch(p, 1, "connect: p must be dimensionless")
                prob = float(p)
            if not (isinstance(prob, float) and prob >= 1.0):
                keep &= rng.random(len(pre)) < prob
            pres.append(pre[keep])
            posts.append(post[keep])
        return np.concatenate(pres), np.concatenate(posts)

    def _one_candidate_clause(self, node: ast.expr) -> tuple[str, ast.expr] | None:
        """A clause ``i == f`` (or ``f == i``) of a condition (alone or joined to others by
        ``and``) where ``f`` depends on neither ``i`` nor presynaptic variables and draws no
        random numbers: ``('i', f)``; the same with ``j`` and postsynaptic variables:
        ``('j', f)``; else None."""
        clauses = [node]
        while any(isinstance(c, ast.BoolOp) and isinstance(c.op, ast.And) for c in clauses):
            clauses = [part for c in clauses for part in (
                c.values if isinstance(c, ast.BoolOp) and isinstance(c.op, ast.And) else [c])]
        for clause in clauses:
            if not (isinstance(clause, ast.Compare) and len(clause.ops) == 1
                    and isinstance(clause.ops[0], ast.Eq)):
                continue
            left, right = clause.left, clause.comparators[0]
            for index, other in ((left, right), (right, left)):
                if not (isinstance(index, ast.Name) and index.id in ("i", "j")):
                    continue
                suffix, group = (("_pre", self.source) if index.id == "i"
                                 else ("_post", self.target))
                names = get_identifiers(other)
                if index.id in names or any(
                        n.endswith(suffix) and n[:-len(suffix)] in group.variables
                        for n in names) or _draws_random_numbers(other):
                    continue
                return index.id, other
        return None

    def _connect_one_candidate(self, condition: str, p, namespace, rng, stream):
        """``connect(condition)`` where the condition fixes, for every postsynaptic element,
        its one possible presynaptic index (``i == f(j, x_post...)``, and other clauses
        joined by ``and``), or the reverse (``j == f(i, x_pre...)``): the condition and
        ``p`` are evaluated on those candidate pairs only, not on all N_pre x N_post pairs.
        The synapses, their order and the random numbers are those of the general path:
        the pairs come sorted by (i, j); a number ``p`` keeps the pairs of the same
        Bernoulli draws; a ``p`` expression compares each pair with the number the general
        path draws for it (at position i*N_post + j of this call's generator).  None when
        the condition has no such clause (or ``p`` is unusual): the general path decides."""
        n_pre, n_post = self.source.N, self.target.N
        number = isinstance(p, int | float | np.number) and not isinstance(p, bool)
        if (number and not 0 < p <= 1) or n_pre * n_post == 0:
            return None  # p = 0, invalid p (the general path's error), empty groups
        context = f"the condition '{condition}'"
        try:
            node = self._inline_subexpressions(parse_expression(condition,
                                                                functions=_ALL_FUNCTIONS))
            clause = self._one_candidate_clause(node)
            if clause is None:
                return None
            index, expr = clause
            count, size = (n_post, n_pre) if index == "i" else (n_pre, n_post)
            along = np.arange(count, dtype=np.int64)
            dummy = np.zeros(count, dtype=np.int64)  # the index f does not depend on
            values = self._node_values(expr, condition, *((dummy, along) if index == "i"
                                                          else (along, dummy)),
                                       namespace, context)
            candidate = _candidate_indices(values, count, size)
        except Exception:  # noqa: BLE001 - the general path gives the condition's error
            return None
        if candidate is None:
            return None
        if number and p < 1:  # the general path's Bernoulli draws, then this condition
            pres, posts = [], []
            for pre, post in _bernoulli_chunks(n_pre, n_post, float(p), rng):
                hit = candidate[post] == pre if index == "i" else candidate[pre] == post
                pres.append(pre[hit])
                posts.append(post[hit])
            pre = np.concatenate(pres) if pres else np.zeros(0, dtype=np.int64)
            post = np.concatenate(posts) if posts else np.zeros(0, dtype=np.int64)
        elif index == "i":
            post = np.flatnonzero(candidate >= 0)
            pre = candidate[post]
            order = np.argsort(pre, kind="stable")  # row-major: by i, then j
            pre, post = pre[order], post[order]
        else:
            pre = np.flatnonzero(candidate >= 0)
            post = candidate[pre]
        # the whole condition on the candidates: True for the clause, and the other clauses
        # (and any error of the condition) as the general path gives them for these pairs
        values, node = self._pair_values(condition, pre, post, namespace, context,
                                         stream=stream and f"{stream}/condition")
        if not is_boolean_expression(node):
            raise TypeError(f"connect: the condition '{condition}' must be a boolean "
                            f"expression")
        keep = np.array(np.broadcast_to(values, pre.shape), dtype=bool)
        if number:
            return pre[keep], post[keep]
        if isinstance(p, str):
            prob, _ = self._pair_values(p, pre, post, namespace, f"the probability '{p}'",
                                        stream=stream and f"{stream}/p")
            _check_probabilities(prob, keep, f"the probability '{p}'")
        else:
            fail_for_dimension_mismatch(p, 1, "connect: p must be dimensionless")
            prob = float(p)
        if not (isinstance(prob, float) and prob >= 1.0):
            keep &= _draws_at(rng, pre * n_post + post, n_pre * n_post) < prob
        return pre[keep], post[keep]

    def _connect_multiplicity(self, n, pre, post, namespace, stream: str | None = None):
        if isinstance(n, int | np.integer) and not isinstance(n, bool):
            if n < 0:
                raise ValueError("connect: n must not be negative")
            return None if n == 1 else np.full(len(pre), int(n))
        if isinstance(n, str):
            values, _ = self._pair_values(n, pre, post, namespace, f"the multiplicity '{n}'",
                                          stream=stream and f"{stream}/n")
            return _counts(values, f"the multiplicity '{n}'", len(pre))
        if callable(n):
            return _counts(n(pre, post), "the multiplicity callable", len(pre))
        raise TypeError(f"connect: n must be an integer, an expression or a callable, got {n!r}")

    def _connect_generator(self, text: str, namespace, rng, skip_if_invalid: bool,
                           stream: str, over_presynaptic: bool = True):
        """Brian 2's generator syntax: ``j='k for k in range(...) if cond'`` (over the
        presynaptic neurons) or ``i='...'`` (over the postsynaptic neurons).

        As Brian 2: the iterator's arguments may use the outer index (``i`` for ``j=``)
        and the outer side's variables; the element and the condition may use the inner
        variable, the outer index, the result index (``j`` for ``j=``, the element's
        value) and the variables of both sides; ``rand()`` and the other random functions
        draw one number per candidate, counted by (outer index, inner value) on this
        connect call's stream, so a seed gives the same synapses on every target.
        Rows are handled in vectorised blocks.
        """
        outer, result = ("i", "j") if over_presynaptic else ("j", "i")
        outer_group, result_group = ((self.source, self.target) if over_presynaptic
                                     else (self.target, self.source))
        outer_suffix, result_suffix = ("_pre", "_post") if over_presynaptic else ("_post",
                                                                                  "_pre")
        outer_size, result_size = outer_group.N, result_group.N
        text = text.strip()
        if not re.search(r"\bfor\b", text):
            # Brian 2's short forms: j='i' and j='int(i/4) if i % 2 == 0'
            parts = text.split(" if ")
            if len(parts) > 2:
                raise SyntaxError(f"connect: cannot parse '{text}'; use the generator syntax, "
                                  f"e.g. 'k for k in range({outer}-10, {outer}+10)'")
            text = f"{parts[0]} for _ in range(1)" + (f" if {parts[1]}" if len(parts) == 2
                                                      else "")
        try:
            tree = ast.parse(f"[{text}]", mode="eval").body
        except SyntaxError as exc:
            raise SyntaxError(f"connect: cannot parse the generator '{text}' ({exc.msg}); "
                              f"e.g. 'k for k in range({outer}-10, {outer}+10)'") from None
        if not isinstance(tree, ast.ListComp) or len(tree.generators) != 1 or \
                not isinstance(tree.generators[0].target, ast.Name):
            raise SyntaxError(f"connect: unsupported generator syntax '{text}' (one "
                              f"'for' over a single name)")
        gen = tree.generators[0]
        var = gen.target.id
        call = gen.iter
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or \
                call.func.id not in ("range", "sample"):
            raise SyntaxError(f"connect: the generator must iterate over range(...) or "
                              f"sample(...): '{text}'")
        kind = call.func.id
        keywords = {k.arg: k.value for k in call.keywords}
        if kind == "range" and keywords:
            raise SyntaxError("connect: range() takes no keyword arguments")
        if kind == "sample":
            if set(keywords) - {"p", "size"}:
                raise SyntaxError(f"connect: sample() takes p= or size=, not "
                                  f"{', '.join(sorted(set(keywords) - {'p', 'size'}))}=")
            if len(keywords) != 1:
                raise SyntaxError("connect: sample() needs one of p= or size=")
        if not 1 <= len(call.args) <= 3:
            raise SyntaxError(f"connect: {kind}() takes 1 to 3 positional arguments: '{text}'")
        condition = None
        if gen.ifs:
            condition = gen.ifs[0] if len(gen.ifs) == 1 else ast.BoolOp(ast.And(), gen.ifs)
        nodes = {"element": tree.elt, "condition": condition,
                 **{f"argument {k + 1}": a for k, a in enumerate(call.args)},
                 **{f"{k}=": v for k, v in keywords.items()}}
        for label, node in nodes.items():
            if node is not None:  # functions and syntax as everywhere else
                nodes[label] = parse_expression(ast.unparse(node), functions=_ALL_FUNCTIONS)
        # what each name is: an index, a variable of one side, or an external constant
        constants: dict[str, object] = {"N_pre": self.source.N, "N_post": self.target.N}
        dims: dict[str, object] = {n: DIMENSIONLESS for n in (var, "i", "j", "N_pre",
                                                              "N_post")}
        side_of: dict[str, tuple[str, object, Variable]] = {}
        for node in nodes.values():
            for name in get_identifiers(node) if node is not None else ():
                if name in dims:
                    continue
                if name in ("N_incoming", "N_outgoing"):
                    raise ValueError(f"connect: the generator '{text}' cannot refer to "
                                     f"'{name}' (it depends on the synapses being made)")
                for suffix, group, side in ((outer_suffix, outer_group, "outer"),
                                            (result_suffix, result_group, "result")):
                    if name.endswith(suffix) and name[:-len(suffix)] in group.variables:
                        v = group.variables[name[:-len(suffix)]]
                        side_of[name] = (side, group, v)
                        dims[name] = v.dim
                        break
                else:
                    r = self._resolve(name, namespace, "connect") if name not in \
                        self.target.variables else None
                    if r is None or r.kind != "constant":
                        raise KeyError(f"connect: '{name}' cannot be used in the generator "
                                       f"'{text}' (use {var}, i, j, x_pre, x_post or external "
                                       f"constants)")
                    constants[name] = r.value
                    dims[name] = r.dim
        for label, node in nodes.items():
            if node is None:
                continue
            names = get_identifiers(node)
            if label != "element" and label != "condition":
                bad = sorted(n for n in names if n in (var, result) or
                             side_of.get(n, ("",))[0] == "result")
                if bad:
                    raise ValueError(f"connect: the {kind}() {label} '{ast.unparse(node)}' "
                                     f"of '{text}' depends on '{bad[0]}'; it may use only "
                                     f"'{outer}' and the variables of its side")
            if label == "element" and result in names:
                raise ValueError(f"connect: the element of '{text}' defines '{result}' and "
                                 f"cannot use it")
            found = infer_dimensions(node, dims.__getitem__, ast.unparse(node))
            if label == "condition":
                if not is_boolean_expression(node):
                    raise TypeError(f"connect: the condition '{ast.unparse(node)}' of "
                                    f"'{text}' must be a boolean expression")
            elif not found.is_dimensionless:
                raise DimensionMismatchError(f"connect: the {label} '{ast.unparse(node)}' of "
                                             f"'{text}' must be dimensionless", found)
        reads_result = condition is not None and any(
            side_of.get(n, ("",))[0] == "result" for n in get_identifiers(nodes["condition"]))
        clip = (skip_if_invalid and kind == "range" and isinstance(tree.elt, ast.Name)
                and tree.elt.id == var)
        values_cache: dict[str, np.ndarray] = {}

        def side_values(name: str, at: np.ndarray) -> np.ndarray:
            if name not in values_cache:
                _, group, v = side_of[name]
                values_cache[name] = group._get_values(v)
            values = values_cache[name]
            return values[at] if np.ndim(values) else np.broadcast_to(values, at.shape)

        def env_for(rows: np.ndarray, names) -> dict:
            env = dict(constants)
            env[outer] = rows
            for name in names:
                if side_of.get(name, ("",))[0] == "outer":
                    env[name] = side_values(name, rows)
            return env

        pres, posts = [], []
        zeros = np.zeros(0, dtype=np.int64)
        row_block = max(1, _PAIR_BLOCK // 8)
        for start in range(0, outer_size, row_block):
            rows = np.arange(start, min(outer_size, start + row_block), dtype=np.int64)
            # the iterator's arguments, one value per row
            args = [_draw_evaluate(nodes[f"argument {k + 1}"], env_for(rows, get_identifiers(
                nodes[f"argument {k + 1}"])), len(rows), f"{stream}/argument{k}", rows,
                np.zeros(len(rows), dtype=np.int64)) for k in range(len(call.args))]
            args = [_whole(a, len(rows), f"the {kind}() argument '{ast.unparse(node)}' of "
                           f"'{text}'") for a, node in zip(args, call.args, strict=True)]
            if len(args) == 1:
                args = [np.zeros(len(rows), dtype=np.int64), args[0]]
            low, high = args[0], args[1]
            step = args[2] if len(args) == 3 else np.ones(len(rows), dtype=np.int64)
            if np.any(step == 0):
                raise ValueError(f"connect: the {kind}() step of '{text}' is 0 for "
                                 f"{outer}={int(rows[np.flatnonzero(step == 0)[0]])}")
            lengths = _range_lengths(low, high, step)
            if clip:  # only existing targets can be kept: cut the ranges to them first
                low, lengths = _clip_ranges(low, step, lengths, result_size)
            if np.any(lengths > _MAX_CANDIDATES):
                k = int(np.flatnonzero(lengths > _MAX_CANDIDATES)[0])
                raise ModelValueError(
                    f"connect: the generator '{text}' gives {int(lengths[k])} candidates for "
                    f"{outer}={int(rows[k])} (more than {_MAX_CANDIDATES}); check its range "
                    f"(with skip_if_invalid=True, 'k for k in range(...)' is cut to the "
                    f"existing targets)")
            chance = size = None
            if kind == "sample":
                (key, node), = keywords.items()
                value = _draw_evaluate(nodes[f"{key}="], env_for(rows, get_identifiers(
                    nodes[f"{key}="])), len(rows), f"{stream}/{key}", rows,
                    np.zeros(len(rows), dtype=np.int64))
                if key == "p":
                    chance = np.broadcast_to(np.asarray(value, dtype=float), rows.shape)
                    _check_probabilities(chance, lengths > 0, f"sample(p=...) in '{text}'")
                else:
                    size = _whole(value, len(rows), f"sample(size=...) in '{text}'")
            # candidates in bounded chunks of rows
            ends = np.cumsum(lengths)
            first = 0
            while first < len(rows):
                done = ends[first - 1] if first else 0
                last = max(first + 1, int(np.searchsorted(ends, done + _PAIR_BLOCK, "right")))
                part = slice(first, last)
                first = last
                row_of, ks = _expand_ranges(rows[part], low[part], step[part], lengths[part])
                if chance is not None:
                    keep = rng.random(len(ks)) < np.repeat(chance[part], lengths[part])
                    row_of, ks = row_of[keep], ks[keep]
                elif size is not None:
                    row_of, ks = _sample_sizes(row_of, ks, rows[part], lengths[part],
                                               size[part], rng, skip_if_invalid, text)
                if not len(ks):
                    continue
                names = get_identifiers(nodes["element"])
                env = env_for(row_of, names)
                env[var] = ks
                targets = _draw_evaluate(nodes["element"], env, len(ks), f"{stream}/element",
                                         row_of, ks)
                targets = np.broadcast_to(targets, ks.shape).astype(np.int64)
                if condition is not None:
                    if reads_result:  # the condition reads the other side at the targets
                        row_of, ks, targets = self._in_range(
                            row_of, ks, targets, result_size, skip_if_invalid, outer, result,
                            " (the condition reads a variable of that side)")
                    names = get_identifiers(nodes["condition"])
                    env = env_for(row_of, names)
                    env[var] = ks
                    env[result] = targets
                    for name in names:
                        if side_of.get(name, ("",))[0] == "result":
                            env[name] = side_values(name, targets)
                    keep = _draw_evaluate(nodes["condition"], env, len(ks),
                                          f"{stream}/condition", row_of, ks)
                    keep = np.broadcast_to(np.asarray(keep, dtype=bool), ks.shape)
                    row_of, ks, targets = row_of[keep], ks[keep], targets[keep]
                row_of, ks, targets = self._in_range(row_of, ks, targets, result_size,
                                                     skip_if_invalid, outer, result, "")
                pres.append(row_of)
                posts.append(targets)
        if not pres:
            return zeros, zeros.copy()
        outer_idx, result_idx = np.concatenate(pres), np.concatenate(posts)
        return (outer_idx, result_idx) if over_presynaptic else (result_idx, outer_idx)

    @staticmethod
    def _in_range(rows, ks, targets, size: int, skip_if_invalid: bool, outer: str,
                  result: str, why: str):
        """Drop (skip_if_invalid) or refuse generated indices outside [0, size)."""
        bad = (targets < 0) | (targets >= size)
        if not np.any(bad):
            return rows, ks, targets
        if not skip_if_invalid:
            k = int(np.flatnonzero(bad)[0])
            raise IndexError(f"connect: index {result}={int(targets[k])} (from {outer}="
                             f"{int(rows[k])}) outside [0, {size}){why}; use "
                             f"skip_if_invalid=True to drop it")
        return rows[~bad], ks[~bad], targets[~bad]

    def _valid_pairs(self, pre, post, skip_if_invalid):
        bad = (post < 0) | (post >= self.target.N)
        if np.any(bad):
            if not skip_if_invalid:
                k = int(np.flatnonzero(bad)[0])
                raise IndexError(f"connect: target index {post[k]} (from i={pre[k]}) outside "
                                 f"[0, {self.target.N}); use skip_if_invalid=True to drop it")
            pre, post = pre[~bad], post[~bad]
        return pre, post

    # -- code --------------------------------------------------------------------
    def _event_driven_statements(self) -> list[Statement]:
        """Exact updates of the event-driven variables over ``t - lastupdate``."""
        statements: list[Statement] = []
        names = set(self._event_driven_names)
        for name in self._event_driven_names:
            expr = self.equations.substituted_expression(name)
            split = linear_split(expr, name)
            if split is None or (get_identifiers(split[0]) | get_identifiers(split[1])) & (
                names | {"t"}
            ):
                raise UnsupportedEquationsException(
                    f"The event-driven equation for '{name}' must be linear in '{name}' alone "
                    f"with constant coefficients; use (clock-driven) instead"
                )
            a, b = (to_source(x) for x in split)
            with generated_code():  # the exponent is our own temporary, '_A_ed_<name>'
                statements.append(Statement(f"_A_ed_{name}", "=", parse_expression(
                    f"({a})*(t - lastupdate)"), ""))
                statements.append(Statement(name, "=", parse_expression(
                    f"{name}*exp(_A_ed_{name}) + ({b})*(t - lastupdate)*exprel(_A_ed_{name})"),
                    f"{name} (event-driven)"))
        return statements

    def _state_update_block(self, namespace):
        self._check_ready()
        clock_eqs = Equations([eq for eq in self.equations
                               if not (eq.type == DIFFERENTIAL_EQUATION
                                       and "event-driven" in eq.flags)
                               and "summed" not in eq.flags])
        context = f"the equations of '{self.name}'"
        functions = self._functions(namespace, context)
        clock_eqs.check_dimensions(self._dims_of(namespace, context),
                                   value_of=self._value_of(namespace, context),
                                   functions=functions)
        self._check_constant_divisors(self.equations, namespace, context)
        problem = IntegrationProblem.from_equations(
            clock_eqs, scalar=self._scalar_name(namespace),
            locally_constant=functions.locally_constant(clock_eqs, self.clock._dt_frac))
        update = integrate(problem, self.method)
        self.method_used = update.method
        constants, arrays = {}, {}
        if update.propagators:
            for k, v in self._propagator_values(update.propagators, namespace, context).items():
                (arrays if isinstance(v, np.ndarray) else constants)[k] = v
        return CodeBlock(update.statements, None, "synapses_stateupdate"), constants, arrays

    def compile(self, block, namespace, context, extra_constants=None, extra_arrays=None,
                stream=None):
        return super().compile(block, namespace, context, extra_constants, extra_arrays,
                               stream=stream)

    def before_run(self, namespace: dict) -> None:
        self._check_ready()

    def step_function(self):
        return None

    def _get_state(self) -> dict:
        arrays = {n: v.array[:self.N].copy() if not v.shared else v.array.copy()
                  for n, v in self.variables.items() if v.kind == "array"
                  and n not in ("i", "j")}
        return {"N": self.N, "pre": self._pre[:self.N].copy(),
                "post": self._post[:self.N].copy(), "arrays": arrays}

    def _set_state(self, state: dict) -> None:
        self._pre = state["pre"].copy()
        self._post = state["post"].copy()
        self.variables["i"].array = self._pre
        self.variables["j"].array = self._post
        self._resize(state["N"])
        for n, values in state["arrays"].items():
            self.variables[n].array[...] = values

    def __repr__(self) -> str:
        return f"Synapses({self.source.name} -> {self.target.name}, {self.N} synapses)"

    def loop_fragment(self) -> None:
        """Nothing of its own in a compiled run loop: its pathways and runners do its work."""
        return None


#: Most values one source's generator range may list (j='k for k in range(...)').
_MAX_CANDIDATES = 10**8


def _per_row(draw):
    """A random function of generated code (``_rng_rand(..., key, step, elements)``)
    that takes one step per element: the elements of each run of equal steps are drawn
    together (connect draws at step = outer index, element = inner value)."""

    def call(*args):
        *params, key, steps, elements = args
        elements = np.asarray(elements, dtype=np.int64)
        steps = np.broadcast_to(np.asarray(steps, dtype=np.int64), elements.shape)
        params = [np.broadcast_to(p, elements.shape) if np.ndim(p) else p for p in params]
        out = None
        n = len(elements)
        cuts = np.flatnonzero(steps[1:] != steps[:-1]) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, n], strict=True):
            if a == b:
                continue
            part = draw(*[p[a:b] if np.ndim(p) else p for p in params], key, int(steps[a]),
                        elements[a:b] & 0xFFFFFFFF)
            if out is None:
                out = np.empty(n, dtype=np.asarray(part).dtype)
            out[a:b] = part
        return out if out is not None else np.zeros(0)

    return call


def _draw_evaluate(node: ast.expr | None, values: dict, n: int, stream: str,
                   steps: np.ndarray, elements: np.ndarray):
    """Evaluate an expression with the numpy target; its random calls draw from
    ``stream`` (one key per call site) at counter (``steps[m]``, ``elements[m]``)."""
    from sim.codegen import numpy_target

    translator = numpy_target._Translator()
    src = translator(node)
    namespace = dict(numpy_target._HELPERS)
    namespace.update(values)
    namespace["_n"] = n
    sites = translator.random_sites
    if sites:
        for name, func in numpy_target._HELPERS.items():
            if name.startswith("_rng_"):
                namespace[name] = _per_row(func)
        namespace["_rng_keys"] = _random.stream_keys(stream, sites)
        namespace["_step"] = steps
        namespace["_elements"] = elements
    else:
        namespace["_step"] = 0
    return eval(compile(src, "<connect>", "eval"), namespace)  # noqa: S307


def _draws_random_numbers(node: ast.expr) -> bool:
    """Whether an expression calls a random function (its numbers depend on the pair)."""
    from sim.codegen import numpy_target

    translator = numpy_target._Translator()
    translator(node)
    called = {getattr(sub.func, "id", "") for sub in ast.walk(node) if isinstance(sub, ast.Call)}
    return bool(translator.random_sites) or bool(called & {"rand", "randn"})


def _candidate_indices(values, count: int, size: int) -> np.ndarray | None:
    """For values of ``f`` in a clause ``i == f``: the index each element's ``f`` names,
    -1 where it names none (not a whole number, NaN, outside 0..size-1); None for values
    that are not numbers (the general path decides)."""
    values = np.broadcast_to(np.asarray(values), (count,))
    kind = values.dtype.kind
    if kind == "b":
        values, kind = values.astype(np.int64), "i"
    if kind in "iu":
        ok = (values >= 0) & (values < size)
    elif kind == "f":
        with np.errstate(invalid="ignore"):
            ok = (values >= 0) & (values < size) & (values == np.floor(values))
    else:
        return None
    candidate = np.full(count, -1, dtype=np.int64)
    candidate[ok] = values[ok].astype(np.int64)
    return candidate


#: draws of the general path within this distance are made at once by _draws_at
_DRAW_WINDOW = 1 << 12


def _draws_at(rng, flat: np.ndarray, total: int) -> np.ndarray:
    """``rng.random(total)[flat]`` (``flat`` ascending) without drawing all ``total``
    numbers: the bit generator jumps over the gaps (PCG64's ``advance``: one 64-bit
    output per double, so position k of the stream is the k-th number)."""
    out = np.empty(len(flat))
    bits = rng.bit_generator
    if not hasattr(bits, "advance"):  # pragma: no cover - numpy's default_rng is PCG64
        for start in range(0, total, _PAIR_BLOCK):
            block = rng.random(min(_PAIR_BLOCK, total - start))
            lo, hi = np.searchsorted(flat, [start, start + len(block)])
            out[lo:hi] = block[flat[lo:hi] - start]
        return out
    position = 0
    k = 0
    while k < len(flat):
        first = int(flat[k])
        end = int(np.searchsorted(flat, first + _DRAW_WINDOW, "left"))
        if first > position:
            bits.advance(first - position)
        last = int(flat[end - 1])
        out[k:end] = rng.random(last - first + 1)[flat[k:end] - first]
        position = last + 1
        k = end
    return out


def _whole(values, n: int, what: str) -> np.ndarray:
    """Integer values (one per row) of a generator's iterator argument, as Brian 2:
    range and sample bounds must be integers."""
    array = np.broadcast_to(np.asarray(values), (n,))
    if array.dtype.kind == "b" or array.dtype.kind not in "iuf":
        raise TypeError(f"connect: {what} must be an integer, got {array.dtype} values")
    if array.dtype.kind == "f":
        if np.any(_not_whole(array)):
            bad = float(array[_not_whole(array)][0])
            raise TypeError(f"connect: {what} must be an integer, got {bad!r} (use int() "
                            f"or //)")
        if np.any(np.abs(array) >= 2.0**62):
            raise ModelValueError(f"connect: {what} is too large: "
                                  f"{float(array[np.abs(array) >= 2.0**62][0])!r}")
    return array.astype(np.int64)


def _range_lengths(low: np.ndarray, high: np.ndarray, step: np.ndarray) -> np.ndarray:
    """``len(range(low, high, step))`` for arrays (step != 0)."""
    up = np.floor_divide(high - low + step - 1, np.where(step > 0, step, 1))
    down = np.floor_divide(low - high - step - 1, np.where(step < 0, -step, 1))
    return np.maximum(np.where(step > 0, up, down), 0)


def _clip_ranges(low, step, lengths, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut each range ``low + m*step`` (0 <= m < length) to its values in [0, size)."""
    pos = step > 0
    s = np.abs(step)
    # first and last+1 m with a value in [0, size)
    m_up_lo = -np.floor_divide(low, s)               # ceil(-low / s)
    m_up_hi = -np.floor_divide(low - size, s)        # ceil((size - low) / s)
    m_dn_lo = np.floor_divide(low - size, s) + 1     # low - m*s < size
    m_dn_hi = np.floor_divide(low, s) + 1            # low - m*s >= 0
    m0 = np.clip(np.where(pos, m_up_lo, m_dn_lo), 0, lengths)
    m1 = np.clip(np.where(pos, m_up_hi, m_dn_hi), 0, lengths)
    return low + m0 * step, np.maximum(m1 - m0, 0)


def _expand_ranges(rows, low, step, lengths) -> tuple[np.ndarray, np.ndarray]:
    """Every (row, value) of the rows' ranges, row by row in the ranges' own order."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    position = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
    return (np.repeat(rows, lengths),
            np.repeat(low, lengths) + position * np.repeat(step, lengths))


def _sample_sizes(row_of, ks, rows, lengths, size, rng, skip_if_invalid: bool, text: str):
    """``sample(..., size=n)``: n values of each row's range, without replacement,
    sorted (Brian 2); a negative n or one over the range's length is refused (or, with
    skip_if_invalid, gives none or all)."""
    keep_rows, keep_ks = [], []
    start = 0
    for row, length, n in zip(rows, lengths, size, strict=True):
        values = ks[start:start + length]
        start += length
        if length == 0 or n == 0:
            continue
        if n < 0 or n > length:
            if not skip_if_invalid:
                raise IndexError(f"connect: sample(size={int(n)}) in '{text}' for row {row} "
                                 f"of a range of {int(length)} values; use "
                                 f"skip_if_invalid=True to take none or all")
            if n < 0:
                continue
            n = length
        chosen = values if n == length else np.sort(rng.choice(values, size=int(n),
                                                               replace=False))
        keep_ks.append(chosen)
        keep_rows.append(np.full(int(n), row, dtype=np.int64))
    if not keep_ks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(keep_rows), np.concatenate(keep_ks)


def _not_whole(array: np.ndarray) -> np.ndarray:
    """Where a float array holds no whole number (fractions, inf, NaN)."""
    return ~(np.isfinite(array) & (array == np.round(array)))


def _indices(values, name: str) -> np.ndarray:
    """Explicit connect indices as int64; 0.5 is refused, not truncated to 0."""
    if hasattr(values, "_indices"):  # a part of a morphology (j=morpho[25*um], Brian 2's)
        values = values._indices()
    array = np.atleast_1d(np.asarray(values))
    if array.dtype.kind == "f" and np.any(_not_whole(array)):
        bad = float(array[_not_whole(array)][0])
        raise ModelValueError(f"connect: {name}= must hold integer indices, got {bad!r}")
    if array.dtype.kind not in "iubf":
        raise TypeError(f"connect: {name}= must hold integer indices, got {array.dtype} values")
    return array.astype(np.int64)


def _counts(values, what: str, size: int) -> np.ndarray:
    """Synapse multiplicities: whole numbers >= 0 (2.5 is refused, not truncated)."""
    array = np.broadcast_to(np.asarray(values), (size,))
    if array.dtype.kind == "f" and np.any(_not_whole(array)):
        bad = float(array[_not_whole(array)][0])
        raise ModelValueError(f"connect: {what} must give whole numbers of synapses, got "
                              f"{bad!r}")
    if array.dtype.kind == "f" and np.any(np.abs(array) >= 2.0**62):
        bad = float(array[np.abs(array) >= 2.0**62][0])
        raise ModelValueError(f"connect: {what} gives {bad!r} synapses for a pair")
    array = array.astype(np.int64)
    if np.any(array < 0):
        raise ValueError(f"connect: {what} must not be negative, got {array[array < 0][0]}")
    return array


def _check_probabilities(prob, keep: np.ndarray, what: str) -> None:
    """Connection probabilities lie in [0, 1] (NaN refused), as a number p must."""
    values = np.broadcast_to(np.asarray(prob, dtype=float), keep.shape)[keep]
    bad = ~((values >= 0) & (values <= 1))
    if np.any(bad):
        raise ModelValueError(f"connect: {what} must lie in [0, 1], got {float(values[bad][0])!r}")


_PAIR_BLOCK = 1 << 21  # candidate pairs (or random draws) handled at a time by connect


def _bernoulli_chunks(n_pre: int, n_post: int, p: float, rng):
    """Every pair independently with probability p, without forming the matrix, as
    (pre, post) chunks in row-major order of at most about _PAIR_BLOCK pairs (or one
    row, when a row is longer): the gaps between chosen pairs are geometric. The
    draws are made in bounded batches; numpy's draws are sequential, so the pairs do
    not depend on the batch size."""
    if not 0 <= p <= 1:
        raise ValueError(f"connect: p must lie in [0, 1], got {p}")
    total = n_pre * n_post
    if p == 0 or total == 0:
        return
    if p == 1:
        block = max(1, _PAIR_BLOCK // n_post)
        for start in range(0, n_pre, block):
            rows = np.arange(start, min(n_pre, start + block), dtype=np.int64)
            yield np.repeat(rows, n_post), np.tile(np.arange(n_post, dtype=np.int64), len(rows))
        return
    position = -1
    expected = int(total * p + 10 * math.sqrt(total * p) + 16)
    while True:
        gaps = rng.geometric(p, size=min(expected, _PAIR_BLOCK))
        positions = position + np.cumsum(gaps)
        flat = positions[positions < total]
        if len(flat):
            yield flat // n_post, flat % n_post
        if positions[-1] >= total:
            break
        position = int(positions[-1])
        expected = max(16, int((total - position) * p * 1.2) + 16)


def _bernoulli_pairs(n_pre: int, n_post: int, p: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """All the pairs of _bernoulli_chunks at once."""
    chunks = list(_bernoulli_chunks(n_pre, n_post, p, rng))
    if not chunks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return (np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks]))

"""The numba target's lowering of a run loop: one ``@njit`` function over steps.

``build_loop(objects, clock)`` takes the shared plan (``loop_plan.plan_loop``:
fragments in schedule order, parts cut by Python operations, clock ratios,
event spaces) and lowers each operation of each fragment
(``loop_ops``) to a few lines of numba source: a call of the kernel's
compiled module, or the bookkeeping that moves event indices into a
monitor's buffer.  The lines are pasted in schedule order into a ``while``
loop over steps.  Every array and value the lines use is an argument of the
loop function (named ``_o{object}_{op}_{field}``; event spaces ``_ev{n}``), so
the source depends only on the network's structure and numba's disk cache
reuses its compiled code across runs and processes.

At the start of each step the loop checks every fragment's :class:`Room`
(a fragment on a slower clock only at its own ticks) and returns when one is
short, so that Python grows the buffers before it continues: no sample and
no spike is lost.  The lowering knows operations and numba kernels, never the
objects that made them.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import re

import numpy as np

from sim.codegen.loop_ops import (
    CallCompiled,
    CopyRow,
    DeliverSpikes,
    EventsFromSchedule,
    Kernel,
    NotCompilable,
    OnEvents,
    Range,
    RecordEvents,
    RecordRate,
    RecordState,
    RunKernel,
)
from sim.codegen.loop_plan import (
    CompiledLoop,
    LoopPlan,
    LoopUnavailable,
    ScheduledFragment,
    plan_loop,
    python_positions,
)

__all__ = ["CompiledLoop", "LoopUnavailable", "build_loop", "python_positions"]


class _Lowering:
    """The arguments and imports of the loop being written."""

    def __init__(self, plan: LoopPlan):
        self.plan = plan
        self.values: dict[str, object] = {}  # argument name -> value or () -> value
        self.imports: set[str] = set()

    def arg(self, name: str, value) -> str:
        self.values[name] = value
        return name

    def events(self, events) -> tuple[str, str]:
        """Names of an event space's index buffer and count."""
        n, buf, count = self.plan.events.get(events)
        return self.arg(f"_ev{n}", buf), self.arg(f"_ev{n}n", count)

    def call(self, p: str, kernel: Kernel, idx: str, n: str, extra: list[str]) -> str:
        """Call text of a numba kernel from the loop."""
        from sim.codegen.numba_target import NumbaBlock

        block = kernel.block
        if not isinstance(block, NumbaBlock):
            raise NotCompilable("its code is not a numba kernel")
        if len(kernel.args) != len(block.arg_names):
            raise ValueError(f"kernel {block.module_name}: {len(kernel.args)} argument values "
                             f"for {len(block.arg_names)} arguments")
        self.imports.add(block.module_name)
        head = [idx, n, "t", "dt"]
        if block.uses_random:
            head += ["_step", self.arg(f"{p}keys", lambda: block.keys)]
        names = [self.arg(f"{p}a{k}", v) for k, v in enumerate(kernel.args)]
        return f"{block.module_name}._kernel({', '.join(head + extra + names)})"

    def arguments(self) -> list:
        return [v() if callable(v) else v for v in self.values.values()]


def _contiguous(start: int) -> np.ndarray:
    from sim.codegen.numba_target import contiguous

    return contiguous(start)


# -- one lowering per operation ---------------------------------------------------------
def _run_kernel(op: RunKernel, p: str, low: _Lowering) -> list[str]:
    if getattr(op.kernel.block, "n_outputs", 0):
        raise NotCompilable("its code is not a numba kernel")
    if isinstance(op.over, Range):
        idx = low.arg(f"{p}idx", _contiguous(op.over.start))
        n = low.arg(f"{p}n", np.int64(op.over.n))
        if op.detects is None:  # (a range may be empty: synapses not yet made)
            return [f"if {n} > 0:", f"    {low.call(p, op.kernel, idx, n, [])}"]
        buf, count = low.events(op.detects)
        return [f"{count}[0] = {low.call(p, op.kernel, idx, n, [buf])}"]
    if not isinstance(op.over, OnEvents) or op.detects is not None:
        raise NotCompilable("a condition run on events")
    buf, count = low.events(op.over.events)
    return [f"if {count}[0] > 0:", f"    {low.call(p, op.kernel, buf, f'{count}[0]', [])}"]


def _record_state(op: RecordState, p: str, low: _Lowering) -> list[str]:
    idx = low.arg(f"{p}idx", np.asarray(op.indices.indices, dtype=np.int64))
    n = low.arg(f"{p}n", np.int64(len(op.indices.indices)))
    row = low.arg(f"{p}row", op.row)
    times = low.arg(f"{p}tb", op.times)
    outs = [f"{low.arg(f'{p}b{j}', buf)}[_r]" for j, buf in enumerate(op.buffers)]
    ndim = np.ndim(op.times() if callable(op.times) else op.times)
    return [
        f"_r = {row}[0] % {times}.shape[0]" if op.ring else f"_r = {row}[0]",
        low.call(p, op.kernel, idx, n, outs),
        f"{times}[_r, 0] = t" if ndim == 2 else f"{times}[_r] = t",
        f"{row}[0] += 1",
    ]


def _record_events(op: RecordEvents, p: str, low: _Lowering) -> list[str]:
    ev, evn = low.events(op.events)
    counts, ib, tb, cnt = (low.arg(f"{p}{name}", value) for name, value in
                           (("count", op.counts), ("ib", op.ibuf), ("tb", op.tbuf),
                            ("cnt", op.n)))
    lo, hi = low.arg(f"{p}lo", np.int64(op.lo)), low.arg(f"{p}hi", np.int64(op.hi))
    record = low.arg(f"{p}record", bool(op.record))
    absolute = low.arg(f"{p}abs", np.zeros(max(op.events.source.N, 1), dtype=np.int64))
    lines = [
        f"_c = {cnt}[0]",
        "_m = 0",
        f"for _q in range({evn}[0]):",
        f"    _e = {ev}[_q]",
        f"    if _e >= {lo} and _e < {hi}:",
        f"        {counts}[_e - {lo}] += 1",
        f"        if {record}:",
        f"            {ib}[_c + _m, 0] = _e - {lo}",
        f"            {tb}[_c + _m, 0] = t",
        f"            {absolute}[_m] = _e",
        "            _m += 1",
    ]
    if op.kernel is not None:
        outs = [f"{low.arg(f'{p}vb{j}', buf)}[_c:_c + _m, 0]" for j, buf in enumerate(op.values)]
        lines += ["if _m > 0:", f"    {low.call(p, op.kernel, absolute, '_m', outs)}"]
    lines.append(f"{cnt}[0] = _c + _m")
    return lines


def _record_rate(op: RecordRate, p: str, low: _Lowering) -> list[str]:
    ev, evn = low.events(op.events)
    lo, hi = low.arg(f"{p}lo", np.int64(op.lo)), low.arg(f"{p}hi", np.int64(op.hi))
    row, rb = low.arg(f"{p}row", op.row), low.arg(f"{p}rb", op.buffer)
    scale = low.arg(f"{p}scale", float(op.scale))
    return [
        "_c = 0",
        f"for _q in range({evn}[0]):",
        f"    if {ev}[_q] >= {lo} and {ev}[_q] < {hi}:",
        "        _c += 1",
        f"_r = {row}[0]",
        f"{rb}[_r, 0] = t",
        f"{rb}[_r, 1] = _c * {scale}",
        f"{row}[0] = _r + 1",
    ]


def _events_from_schedule(op: EventsFromSchedule, p: str, low: _Lowering) -> list[str]:
    ev, evn = low.events(op.events)
    steps, idx = low.arg(f"{p}steps", op.steps), low.arg(f"{p}idx", op.indices)
    period = low.arg(f"{p}period", np.int64(op.period))
    return [
        f"_kk = _step % {period} if {period} > 0 else _step",
        f"_lo = np.searchsorted({steps}, _kk, 'left')",
        f"_hi = np.searchsorted({steps}, _kk, 'right')",
        f"{evn}[0] = _hi - _lo",
        "for _q in range(_hi - _lo):",
        f"    {ev}[_q] = {idx}[_lo + _q]",
    ]


_TABLES = ("ring", "ring_n", "legacy_steps", "legacy_syn", "legacy_ptr", "offsets",
           "sorted_steps", "order", "deliver", "single_delay", "in_order", "spans")


def _deliver_spikes(op: DeliverSpikes, p: str, low: _Lowering) -> list[str]:
    """``numba_delivery.due_synapses`` stores this step's events in the ring and lists the
    synapses due now (numbers, then ranges of consecutive synapses: with one delay and
    synapses stored by source, the kernel runs on each spiking neuron's range directly)."""
    ev, evn = low.events(op.events)
    lo, hi = low.arg(f"{p}lo", np.int64(op.lo)), low.arg(f"{p}hi", np.int64(op.hi))
    t = {name: low.arg(f"{p}{name}", op.tables[name]) for name in _TABLES}
    low.imports.add("sim.codegen.numba_delivery")
    lines = [f"_nd, _ns = sim.codegen.numba_delivery.due_synapses(_step, {ev}, {evn}, {lo}, "
             f"{hi}, {', '.join(t.values())})"]
    if op.kernel is not None:
        span = low.arg(f"{p}span", _contiguous(0))
        lines += [
            "if _nd > 0:",
            f"    {low.call(p, op.kernel, t['deliver'], '_nd', [])}",
            "for _q in range(_ns):",
            f"    {span}[0] = {t['spans']}[_q, 0]",
            f"    {low.call(p, op.kernel, span, t['spans'] + '[_q, 1]', [])}",
        ]
    return lines


def _copy_row(op: CopyRow, p: str, low: _Lowering) -> list[str]:
    pos, src = low.arg(f"{p}pos", op.position), low.arg(f"{p}src", op.source)
    target = low.arg(f"{p}target", op.target)
    return [
        f"_r = {pos}[0]",
        f"for _c in range({src}.shape[1]):",
        f"    {target}[_c] = {src}[_r, _c]",
        f"{pos}[0] = _r + 1",
    ]


def _call_compiled(op: CallCompiled, p: str, low: _Lowering) -> list[str]:
    try:
        function = getattr(importlib.import_module(op.module), op.function)
    except (ImportError, AttributeError) as exc:
        raise NotCompilable(f"{op.module}.{op.function} cannot be imported ({exc})") from None
    if not hasattr(function, "py_func"):
        raise NotCompilable(f"{op.module}.{op.function} is not a numba function")
    # numba's cache of the loop would keep an old callee compiled in: the callee module's
    # source hash is part of the loop's source, so a changed callee makes a new loop file
    source = inspect.getsource(importlib.import_module(op.module))
    low.imports.add(f"{op.module}  # source {hashlib.sha1(source.encode()).hexdigest()[:16]}")
    names = [low.arg(f"{p}c{k}", value) for k, value in enumerate(op.args)]
    head = ["t", "dt"] if op.with_time else []
    return [f"{op.module}.{op.function}({', '.join(head + names)})"]


_LOWER = {RunKernel: _run_kernel, RecordState: _record_state, RecordEvents: _record_events,
          RecordRate: _record_rate, EventsFromSchedule: _events_from_schedule,
          DeliverSpikes: _deliver_spikes, CopyRow: _copy_row, CallCompiled: _call_compiled}


def _fragment_lines(s: ScheduledFragment, low: _Lowering) -> tuple[list[str], list[str]]:
    """The lines and the room checks of one scheduled fragment."""
    lines: list[str] = []
    for j, op in enumerate(s.fragment.ops):
        lower = _LOWER.get(type(op))
        if lower is None:
            raise NotCompilable(f"the numba loop cannot lower {type(op).__name__}")
        lines += lower(op, f"_o{s.number}_{j}_", low)
    checks = []
    for j, room in enumerate(s.fragment.rooms):
        count = low.arg(f"_o{s.number}_room{j}_n", room.count)
        buffer = low.arg(f"_o{s.number}_room{j}_b", room.buffer)
        needed = low.arg(f"_o{s.number}_room{j}_k", np.int64(room.needed))
        checks.append(f"{count}[0] + {needed} <= {buffer}.shape[0]")
    if s.every == 1:
        return lines, checks
    # on a slower clock: only at its own ticks, with its own t, dt and step; room is
    # needed only at those ticks (a monitor that reserved exactly its run's rows is full
    # after its last tick while the main clock goes on)
    r, odt = s.every, low.arg(f"_o{s.number}_odt", float(s.dt))
    body = [re.sub(r"\b_step\b", "_ostep", line) for line in lines]
    lines = [
        f"if _step % {r} == 0:",
        f"    _ostep = _step // {r}",
        "    _t_main = t",
        "    _dt_main = dt",
        f"    dt = {odt}",
        f"    t = _ostep * {odt}",
        *(f"    {line}" for line in body),
        "    t = _t_main",
        "    dt = _dt_main",
    ]
    return lines, [f"(_step % {r} != 0 or ({check}))" for check in checks]


def build_loop(objects: list, clock) -> tuple[CompiledLoop, list]:
    """A compiled loop for these (sorted) objects driven by one regular clock.

    Returns the loop and ``[(part, op)]`` for the Python operations; raises
    LoopUnavailable (naming the object and why) when an object cannot take part.
    """
    from sim.codegen.numba_target import generated_module, load_module

    plan = plan_loop(objects, clock)
    low = _Lowering(plan)
    per_part: dict[int, list[str]] = {}
    checks: list[str] = []
    for s in plan.fragments:
        try:
            lines, room = _fragment_lines(s, low)
        except NotCompilable as exc:
            raise LoopUnavailable(f"'{s.fragment.owner.name}': {exc}") from None
        per_part.setdefault(s.part, []).extend(lines)
        checks += room
    body: list[str] = []
    for p in range(plan.n_parts):
        body.append(f"if _part == {p}:")
        body.append(f"    if _step == _stop_step and _stop_part == {p}:")
        body.append(f"        return _step, {p}, False")
        if p == 0 and checks:
            body.append(f"    if not ({' and '.join(checks)}):")
            body.append("        return _step, 0, True")
        body.append("    t = _step * dt")
        body.extend(f"    {line}" for line in per_part.get(p, []))
        body.append(f"    _part = {p + 1}")
    source = generated_module([f"import {m}" for m in sorted(low.imports)], [
        f"def _loop(_step, _end, _part, _stop_step, _stop_part, dt, {', '.join(low.values)}):",
        "    while _step < _end:",
        *(f"        {line}" for line in body),
        "        _part = 0",
        "        _step += 1",
        "    return _step, 0, False",
    ])
    module = load_module(source, prefix="hearsim_loop")
    return CompiledLoop(module._loop, plan, low.arguments, source), plan.python_ops

"""What one object does in a step of the compiled run loop, said once for every target.

A run's objects describe their part of a time step as a :class:`LoopFragment`:
a short list of *operations* (the dataclasses below) over named arrays, plus
the room it needs in its buffers, how Python makes that room, and how its
counters sync back.  The operations are target-neutral: they name the kernels
the active target compiled from the objects' IR blocks, the arrays those
kernels and the bookkeeping read and write, and the event spaces they consume
and produce (:class:`Events`).  Each target's loop builder lowers them
(``numba_loop`` writes numba source, a CUDA builder would write launches); no
builder knows which object class produced a fragment, and this module knows
none either: objects import it, never the reverse.

An object takes part through one method, ``loop_fragment()``, returning a
:class:`LoopFragment`, ``None`` (nothing to do in the loop: a group whose work
its code runners do), or :data:`PYTHON_STEP` (a Python callable that splits
the loop at its ticks: network operations).  An object without the method, or
that raises :class:`NotCompilable`, makes the run use the step-by-step Python
loop, with the reason recorded.

Array fields: an operation's array may be given as the array itself, or as a
zero-argument callable returning it, for buffers that Python replaces when
they grow (read again every time the loop resumes).  Scalars are plain ints or
floats, fixed for the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "PYTHON_STEP", "CallCompiled", "CopyRow", "DeliverSpikes", "Events", "EventsFromSchedule",
    "Indices", "Kernel", "LoopFragment", "NotCompilable", "OnEvents", "Range", "RecordEvents",
    "RecordRate", "RecordState", "Room", "RunKernel",
]


class NotCompilable(Exception):
    """Raised by ``loop_fragment()`` when an object cannot run inside a compiled loop."""


class _PythonStep:
    """The marker returned by objects whose step is a Python call (network operations)."""

    def __repr__(self) -> str:
        return "PYTHON_STEP"


PYTHON_STEP = _PythonStep()


@dataclass(frozen=True)
class Events:
    """An event space: the elements of ``source`` that had ``event`` in this step.

    ``source`` is the object that owns the elements (never a subgroup: a
    subgroup's events are its parent's, filtered by range); it has ``N`` and a
    dict ``_events`` of index arrays, which the loop fills after each segment
    and reads back before it (Python operations may change it)."""

    source: object
    event: str = "spike"

    @property
    def key(self) -> tuple[int, str]:
        return (id(self.source), self.event)


@dataclass
class Kernel:
    """A kernel the active target compiled from one IR block, and its argument values."""

    block: object
    args: Sequence = ()


# -- where a kernel runs ---------------------------------------------------------------
@dataclass
class Range:
    """Elements ``start .. start + n - 1`` (a group, a subgroup, all synapses)."""

    start: int
    n: int


@dataclass
class OnEvents:
    """The elements that had an event this step (skipped when there are none)."""

    events: Events


@dataclass
class Indices:
    """A fixed list of element indices (a monitor's recorded elements)."""

    indices: object  # int64 array


# -- operations ------------------------------------------------------------------------
@dataclass
class RunKernel:
    """Run a kernel over elements; with ``detects``, the kernel's condition gives the
    elements of that event for this step (thresholds, custom events)."""

    kernel: Kernel
    over: Range | OnEvents
    detects: Events | None = None


@dataclass
class RecordState:
    """Append one row: the kernel writes each recorded variable of ``indices`` into row
    ``row[0]`` of its buffer, ``times[row]`` gets ``t``, and ``row[0]`` grows by one.

    With ``ring``, rows wrap around (``row[0] % len(times)``), as in a recent-state ring;
    otherwise the fragment's :class:`Room` must ask for the row."""

    kernel: Kernel
    indices: Indices
    buffers: list  # arrays (rows, n) or callables returning them, one per variable
    times: object  # (rows,) or (rows, 1)
    row: object  # int64 array of one element
    ring: bool = False


@dataclass
class RecordEvents:
    """An event monitor: for each event of ``events`` in ``[lo, hi)``, count it in
    ``counts[e - lo]`` and, with ``record``, append ``e - lo`` and ``t`` to ``ibuf`` and
    ``tbuf`` (shape (rows, 1)) at ``n[0]``; the kernel, if any, writes the recorded
    variables of those elements into ``values`` (shape (rows, 1) each) at the same rows."""

    events: Events
    lo: int
    hi: int
    counts: object
    record: bool
    ibuf: object
    tbuf: object
    n: object
    kernel: Kernel | None = None
    values: list = field(default_factory=list)


@dataclass
class RecordRate:
    """A population rate: the number of events in ``[lo, hi)`` times ``scale`` (1/(N dt))
    goes to ``buffer[row, 1]`` with ``t`` in ``buffer[row, 0]``; ``row[0]`` grows by one."""

    events: Events
    lo: int
    hi: int
    scale: float
    buffer: object
    row: object


@dataclass
class EventsFromSchedule:
    """Events read from a sorted schedule: the elements ``indices[a:b]`` where
    ``steps[a:b]`` equals this step (modulo ``period`` steps when ``period > 0``)."""

    events: Events
    steps: object
    indices: object
    period: int


@dataclass
class DeliverSpikes:
    """A synaptic pathway: the events of ``events`` in ``[lo, hi)`` enter the delay ring,
    and the synapses due this step run the kernel (if any).

    The tables are those of ``sim.synapses``' delivery (see ``numba_delivery.due_synapses``
    for their meaning): ``ring``, ``ring_n``, ``legacy_steps``, ``legacy_syn``,
    ``legacy_ptr``, ``offsets``, ``sorted_steps``, ``order``, ``deliver``,
    ``single_delay``, ``in_order``, ``spans``."""

    events: Events
    lo: int
    hi: int
    tables: dict
    kernel: Kernel | None = None


@dataclass
class CopyRow:
    """Copy row ``position[0]`` of ``source`` (rows, n) into ``target`` (n) and advance
    the position (a filterbank's output feeding a group, one sample per step)."""

    source: object
    position: object
    target: object


@dataclass
class CallCompiled:
    """Call a compiled function the object provides: ``module.function(t, dt, *args)``
    (without ``t, dt`` unless ``with_time``).  For work that is not generated code (a
    tree solve, a filter): the function is the object's own, compiled for the target (on
    numba an ``@njit`` function of an importable module), and ``args`` are its arrays and
    scalars in order."""

    module: str
    function: str
    args: list = field(default_factory=list)
    with_time: bool = True
    #: the same work for the cuda loop: CUDA C source defining ``extern "C" __global__
    #: void <cuda_kernel>(const int64_t* _clock, int64_t _every, double dt, args...)``
    #: over the device twins of ``args`` in order (arrays as pointers, numpy integers as
    #: ``int64_t``, other numbers as ``double``), launched with ``cuda_threads`` threads
    #: (the kernel strides over its work); it returns at once unless ``_clock[0] %
    #: _every == 0``, and its step is ``_clock[0] / _every``, its time that step times
    #: ``dt`` (``HS_OWN_STEP`` of ``cuda_loop.LOOP_KERNELS`` does both); None: no CUDA form
    cuda_source: str | None = None
    cuda_kernel: str = ""
    cuda_threads: int = 1


@dataclass
class Room:
    """The loop runs a step only if ``count[0] + needed <= len(buffer)``; otherwise it
    returns to Python, which calls the fragment's ``grow``, and resumes."""

    count: object
    buffer: object
    needed: int = 1


@dataclass
class LoopFragment:
    """One object's part of a step: its operations in order, and its bookkeeping."""

    owner: object
    ops: list
    rooms: list[Room] = field(default_factory=list)
    #: called when the loop returned for lack of room: grow buffers, fetch a chunk
    grow: Callable[[], None] | None = None
    #: called after every segment: bring counters the loop does not keep up to date
    sync_out: Callable[[], None] | None = None
    #: a loop whose state lives on a device calls this instead of ``grow`` when only
    #: this fragment's rooms are short, with the loop's device arrays (``array(host,
    #: written=...)`` gives a host array's twin, ``peek``/``poke`` read and write a
    #: counter's first element, ``backend``): room made there, with no hand-over of the
    #: whole state to Python (a filterbank chunk fetched straight into the device)
    grow_on_device: Callable[[object], None] | None = None

"""The cuda target's lowering of a run loop: state resident on the device for a whole run.

``build_loop(objects, clock)`` takes the shared plan (``loop_plan.plan_loop``) and
lowers each operation of each fragment (``loop_ops``) to launches on the CUDA
backend (:mod:`sim.codegen.cuda_runtime`), as ``numba_loop`` lowers them to
lines of numba source:

* every kernel of the network in its loop form
  (``cuda_target.generate_kernel(loop=True)``) and the loop's own bookkeeping
  kernels (:data:`LOOP_KERNELS`: event monitors, rates, delivery, schedules)
  in **one module**: one compile per network structure, cached by its hash as
  every CUDA module is;
* every array a kernel or the bookkeeping uses has a **device twin**
  (:class:`DeviceArrays`): made when the run starts, updated from the host
  only when Python has run (a network operation, buffers grown, a new run),
  and copied back only before Python runs again and at the end of the run.
  Between those points a segment of steps is a sequence of launches with no
  copy: event counts stay on the device (the kernels that run on events read
  their count there, ``_n_ptr``), monitors write their rows where the device
  says (``_out_base``), and spikes enter the pathways' delay rings there;
* room in the monitors' buffers is checked once per segment, not per step: the
  number of steps whose events are sure to fit (from the counts at the
  segment's start and the most a step can add) bounds the segment, and the
  loop returns to Python to grow the buffers when that bound is reached, so no
  spike or sample is lost.

Every launch of a step has the same arguments at every step: the step number lives
on the device (a clock that one kernel advances after each step; each kernel derives
its own step and ``t = step * dt`` from it, a fragment on a slower clock returning at
once between its ticks), so a step is a fixed *program* of prepared launches, built
when the loop binds and replayed from Python step after step without reading
anything back: no per-step synchronisation (and what a CUDA graph would capture).

Ordering, where it matters: a kernel's condition writes one flag per element, and
the events are compacted from the flags in order (partial counts, an exclusive scan,
a scatter: no atomics), so monitors, delivery and serial kernels see Brian 2's
ascending order on any device.  The pathways' bookkeeping (which synapses are due at
a step) is one thread, in the CPU's order (``numba_delivery.due_synapses``); the due
synapses then run in parallel.

The lowering knows operations and CUDA kernels, never the objects that made them.
``CallCompiled`` (an object's own work, e.g. a tree solve) runs the CUDA kernel the
object gives with it (``cuda_source``); one without a CUDA form makes the run go
step by step from Python, each kernel still on the device (the per-call form of
:class:`~sim.codegen.cuda_target.CudaBlock`).
"""

from __future__ import annotations

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
from sim.codegen.loop_plan import CompiledLoop, LoopPlan, LoopUnavailable, plan_loop

__all__ = ["DeviceArrays", "DeviceLoop", "LOOP_KERNELS", "build_loop"]

#: threads per block of the loop's parallel kernels
BLOCK = 128
#: the most blocks of one launch (grid-stride loops cover the rest)
MAX_BLOCKS = 4096

#: The loop's bookkeeping kernels (one thread unless said): the work of
#: ``numba_loop``'s pasted lines and of ``numba_delivery.due_synapses``, in their order.
LOOP_KERNELS = r"""
#define HS_ONE_THREAD if (blockIdx.x != 0 || threadIdx.x != 0) return;
// the step a launch is for: the device clock counts the fastest clock's steps; a fragment
// on a clock _every times slower runs at its own ticks only, with its own step and t
#define HS_OWN_STEP \
    if (_clock[0] % _every != 0) return; \
    const int64_t _step = _clock[0] / _every; \
    const double t = (double)_step * dt; \
    (void)t; (void)_step;
extern "C" __global__ void hs_tick(int64_t* clock) {
    HS_ONE_THREAD
    clock[0] += 1;
}
// events from flags, in order: partial counts of `parts` ranges, their exclusive scan
// (and the total), then each range's elements to its place
extern "C" __global__ void hs_flag_counts(const int64_t* _clock, int64_t _every, double dt,
                                          const uint8_t* flags, int64_t n,
                                          int64_t parts, int64_t* sums) {
    HS_OWN_STEP
    for (int64_t p = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; p < parts;
         p += (int64_t)gridDim.x * blockDim.x) {
        int64_t c = 0;
        for (int64_t k = p * n / parts; k < (p + 1) * n / parts; ++k) c += flags[k];
        sums[p] = c;
    }
}
extern "C" __global__ void hs_flag_scan(const int64_t* _clock, int64_t _every, double dt,
                                        int64_t* sums, int64_t parts,
                                        int64_t* count) {
    HS_ONE_THREAD
    HS_OWN_STEP
    int64_t total = 0;
    for (int64_t p = 0; p < parts; ++p) { int64_t c = sums[p]; sums[p] = total; total += c; }
    count[0] = total;
}
extern "C" __global__ void hs_flag_scatter(const int64_t* _clock, int64_t _every, double dt,
                                           const uint8_t* flags, int64_t n,
                                           int64_t parts, const int64_t* sums,
                                           int64_t* events) {
    HS_OWN_STEP
    for (int64_t p = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; p < parts;
         p += (int64_t)gridDim.x * blockDim.x) {
        int64_t at = sums[p];
        for (int64_t k = p * n / parts; k < (p + 1) * n / parts; ++k)
            if (flags[k]) events[at++] = k;
    }
}
// RecordState: the row this tick writes (a ring wraps), its time, the row count
extern "C" __global__ void hs_state_row(const int64_t* _clock, int64_t _every, double dt,
                                        int64_t* row, int64_t rows, int64_t ring,
                                        int64_t n, double* times, int64_t* base) {
    HS_ONE_THREAD
    HS_OWN_STEP
    int64_t r = ring ? row[0] % rows : row[0];
    base[0] = r * n;
    times[r] = t;
    row[0] += 1;
}
// RecordEvents: count the events of [lo, hi), append them and their time
extern "C" __global__ void hs_record_events(const int64_t* _clock, int64_t _every, double dt,
                                            const int64_t* ev, const int64_t* evn,
                                            int64_t lo, int64_t hi, int64_t* counts,
                                            int64_t record, int64_t* ib, double* tb,
                                            int64_t* n, int64_t* absolute, int64_t* m_out,
                                            int64_t* base) {
    HS_ONE_THREAD
    HS_OWN_STEP
    int64_t c = n[0], m = 0;
    for (int64_t q = 0; q < evn[0]; ++q) {
        int64_t e = ev[q];
        if (e >= lo && e < hi) {
            counts[e - lo] += 1;
            if (record) {
                ib[c + m] = e - lo;
                tb[c + m] = t;
                absolute[m] = e;
                m += 1;
            }
        }
    }
    base[0] = c;
    m_out[0] = m;
    n[0] = c + m;
}
// RecordRate: (t, events of [lo, hi) * scale) into the next row
extern "C" __global__ void hs_record_rate(const int64_t* _clock, int64_t _every, double dt,
                                          const int64_t* ev, const int64_t* evn,
                                          int64_t lo, int64_t hi, double scale, double* rb,
                                          int64_t* row) {
    HS_ONE_THREAD
    HS_OWN_STEP
    int64_t c = 0;
    for (int64_t q = 0; q < evn[0]; ++q)
        if (ev[q] >= lo && ev[q] < hi) c += 1;
    int64_t r = row[0];
    rb[2 * r] = t;
    rb[2 * r + 1] = (double)c * scale;
    row[0] = r + 1;
}
// EventsFromSchedule: the elements whose scheduled step is this one
extern "C" __global__ void hs_events_from_schedule(const int64_t* _clock, int64_t _every, double dt,
                                                   int64_t* ev, int64_t* evn,
                                                   const int64_t* steps, int64_t nsteps,
                                                   const int64_t* idx, int64_t period) {
    HS_ONE_THREAD
    HS_OWN_STEP
    int64_t kk = period > 0 ? _step % period : _step;
    int64_t a = 0, b = nsteps;  // first position with steps[.] >= kk
    while (a < b) { int64_t mid = (a + b) >> 1; if (steps[mid] < kk) a = mid + 1; else b = mid; }
    int64_t lo = a;
    b = nsteps;  // first position with steps[.] > kk
    while (a < b) { int64_t mid = (a + b) >> 1; if (steps[mid] <= kk) a = mid + 1; else b = mid; }
    evn[0] = a - lo;
    for (int64_t q = 0; q < a - lo; ++q) ev[q] = idx[lo + q];
}
// CopyRow: one sample of every channel (parallel), then the position (hs_advance)
extern "C" __global__ void hs_copy_row(const int64_t* _clock, int64_t _every, double dt,
                                       const double* src, int64_t ncols,
                                       const int64_t* pos, double* target) {
    HS_OWN_STEP
    int64_t r = pos[0];
    for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < ncols;
         c += (int64_t)gridDim.x * blockDim.x)
        target[c] = src[r * ncols + c];
}
extern "C" __global__ void hs_advance(const int64_t* _clock, int64_t _every, double dt,
                                      int64_t* pos) {
    HS_ONE_THREAD
    HS_OWN_STEP
    pos[0] += 1;
}
// DeliverSpikes (numba_delivery.due_synapses): this step's spikes of [lo, hi) into the
// ring, then the synapses due now: explicit (legacy) ones and, unless each neuron's
// synapses are one range, the others into deliver[]; the ranges into spans[] with the
// position prefix[q] each takes in deliver[] (hs_expand_spans fills them in parallel)
extern "C" __global__ void hs_due_synapses(const int64_t* _clock, int64_t _every, double dt,
        const int64_t* ev, const int64_t* evn, int64_t lo, int64_t hi,
        int64_t* ring, int64_t length, int64_t width, int64_t* ringn, const int64_t* lsteps,
        int64_t nlegacy, const int64_t* lsyn, int64_t* lptr, const int64_t* offsets,
        const int64_t* sdelays, const int64_t* order, int64_t* deliver, int64_t single,
        int64_t in_order, int64_t* spans, int64_t* prefix, int64_t* nd_out, int64_t* ns_out) {
    HS_ONE_THREAD
    HS_OWN_STEP
    const int64_t step = _step;
    int64_t slot = step % length;
    int64_t count = 0;
    for (int64_t q = 0; q < evn[0]; ++q) {
        int64_t e = ev[q];
        if (e >= lo && e < hi) { ring[slot * width + count] = e - lo; count += 1; }
    }
    ringn[slot] = count;
    int64_t nd = 0, ns = 0;
    while (lptr[0] < nlegacy && lsteps[lptr[0]] <= step) {
        deliver[nd] = lsyn[lptr[0]];
        nd += 1;
        lptr[0] += 1;
    }
    if (single >= 0) {
        int64_t emitted = step - single;
        if (emitted >= 0) {
            int64_t s = emitted % length;
            int64_t total = nd;
            if (in_order) {
                for (int64_t q = 0; q < ringn[s]; ++q) {
                    int64_t neuron = ring[s * width + q];
                    int64_t a = offsets[neuron], b = offsets[neuron + 1];
                    if (b > a) {
                        spans[2 * ns] = a;
                        spans[2 * ns + 1] = b - a;
                        prefix[ns] = total;
                        total += b - a;
                        ns += 1;
                    }
                }
                nd = total;
            } else {
                for (int64_t q = 0; q < ringn[s]; ++q) {
                    int64_t neuron = ring[s * width + q];
                    for (int64_t f = offsets[neuron]; f < offsets[neuron + 1]; ++f) {
                        deliver[nd] = order[f];
                        nd += 1;
                    }
                }
            }
        }
        nd_out[0] = nd;
        ns_out[0] = ns;
        return;
    }
    for (int64_t age = length - 1; age >= 0; --age) {
        int64_t emitted = step - age;
        if (emitted < 0) continue;
        int64_t s = emitted % length;
        for (int64_t q = 0; q < ringn[s]; ++q) {
            int64_t neuron = ring[s * width + q];
            int64_t a = offsets[neuron], b = offsets[neuron + 1];
            int64_t f = a, hi_f = b;  // the first synapse of delay >= age
            while (f < hi_f) {
                int64_t mid = (f + hi_f) >> 1;
                if (sdelays[mid] < age) f = mid + 1; else hi_f = mid;
            }
            while (f < b && sdelays[f] == age) { deliver[nd] = order[f]; nd += 1; f += 1; }
        }
    }
    nd_out[0] = nd;
    ns_out[0] = 0;
}
extern "C" __global__ void hs_expand_spans(const int64_t* _clock, int64_t _every, double dt,
                                           const int64_t* spans,
                                           const int64_t* prefix, const int64_t* ns,
                                           int64_t* deliver) {
    HS_OWN_STEP
    for (int64_t q = blockIdx.x; q < ns[0]; q += gridDim.x) {
        int64_t a = spans[2 * q], c = spans[2 * q + 1], at = prefix[q];
        for (int64_t f = threadIdx.x; f < c; f += blockDim.x) deliver[at + f] = a + f;
    }
}
"""


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


class DeviceArrays:
    """The device twins of the host arrays a loop uses.

    A view of a host array (a subgroup's slice, a buffer's row) is a view of the twin
    of the array it belongs to, so that writes through one are seen through the other,
    as on the host.  ``begin()``/``end()`` bracket a binding of the loop's arguments:
    twins made in between are fresh copies, the others are brought up to date from the
    host, and twins of arrays no longer used are dropped."""

    def __init__(self, backend):
        self.backend = backend
        self._twins: dict[int, tuple[np.ndarray, object]] = {}  # id(root) -> (root, twin)
        self._written: set[int] = set()
        self._fresh: set[int] = set()
        self._used: set[int] = set()

    def begin(self) -> None:
        self._fresh, self._used = set(), set()

    def end(self) -> None:
        for key in list(self._twins):
            if key not in self._used:
                del self._twins[key]
                self._written.discard(key)
        for key, (host, twin) in self._twins.items():
            if key not in self._fresh:
                self.backend.copy_to_device(twin, host)

    def array(self, host: np.ndarray, written: bool = False):
        """The device array of a host array (made when first asked for)."""
        root = _root(host)
        key = id(root)
        entry = self._twins.get(key)
        # (a buffer resized in place keeps its identity: its twin must follow its shape)
        if entry is None or entry[0] is not root or tuple(entry[1].shape) != root.shape:
            if not root.flags.c_contiguous:
                raise ValueError("cuda loop: arrays must be C-contiguous (got an array of "
                                 f"shape {root.shape} and strides {root.strides})")
            entry = (root, self.backend.to_device(root))
            self._twins[key] = entry
            self._fresh.add(key)
        self._used.add(key)
        if written:
            self._written.add(key)
        if root is host:
            return entry[1]
        if not host.flags.c_contiguous:
            raise ValueError("cuda loop: a view given to a kernel must be C-contiguous")
        offset = host.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        return self.backend.view(entry[1], offset, host.shape, host.dtype)

    def value(self, value, name: str, written: bool = False):
        """A kernel argument's device value (arrays' twins; constants as doubles)."""
        if callable(value):
            value = value()
        if isinstance(value, np.ndarray):
            return self.array(value, written)
        if name.startswith("_arr_") or name.startswith("_index_"):
            return self.array(np.ascontiguousarray(value), written)
        return np.float64(value)

    def scratch(self, shape, dtype):
        """A device-only array (never copied)."""
        return self.backend.zeros(shape, dtype)

    def peek(self, host: np.ndarray) -> int:
        """The first element of a host array's twin (a counter the device keeps)."""
        twin = self.array(host)
        value = twin if self.backend.name == "host" else self.backend.to_host(twin[:1])
        return int(value.reshape(-1)[0])

    def poke(self, host: np.ndarray, value: int) -> None:
        """Set a counter's first element on the host and on its twin."""
        host.reshape(-1)[0] = value
        twin = self.array(host)
        self.backend.copy_to_device(twin[:1], host.reshape(-1)[:1])

    def download(self) -> None:
        """Copy the arrays the loop writes back into their host arrays."""
        for key in self._written:
            host, twin = self._twins[key]
            host[...] = self.backend.to_host(twin)


class _Launches:
    """The module being written: kernel names, the grid of a launch, prepared launches."""

    def __init__(self, plan: LoopPlan, backend):
        self.plan = plan
        self.backend = backend
        self.sources: dict[tuple, str] = {}  # (id(block), output dtypes) -> kernel name
        self.texts: list[str] = []
        self.module = None

    def kernel_name(self, kernel: Kernel, out_types: tuple = ()) -> str:
        from sim.codegen.cuda_target import CudaBlock

        block = kernel.block
        if not isinstance(block, CudaBlock) or block.loop_form is None:
            raise NotCompilable("its code is not a CUDA kernel")
        if len(kernel.args) != len(block.arg_names):
            raise ValueError(f"kernel {block.module_name}: {len(kernel.args)} argument values "
                             f"for {len(block.arg_names)} arguments")
        key = (id(block), out_types)
        if key not in self.sources:
            name = f"hs_k{len(self.sources)}"
            self.sources[key] = name
            self.texts.append(block.loop_form(name, list(out_types) or None)[0])
        return self.sources[key]

    def grid(self, capacity: int, serial: bool = False) -> tuple[tuple, tuple]:
        """The launch shape of a kernel over at most ``capacity`` elements: one thread on
        the host backend (it runs threads one after the other anyway) or for serial work."""
        if serial or self.backend.name == "host":
            return (1,), (1,)
        blocks = min(max(1, (int(capacity) + BLOCK - 1) // BLOCK), MAX_BLOCKS)
        return (blocks,), (BLOCK,)

    def parts(self, n: int) -> int:
        """Ranges the event compaction splits ``n`` flags into (one per thread)."""
        return 1 if self.backend.name == "host" else max(1, min(int(n), MAX_BLOCKS))

    def launch(self, name: str, grid, threads, args) -> object:
        """A prepared launch of kernel ``name``: a callable with no arguments."""
        return self.module.function(name).prepare(grid, threads, tuple(args))

    def one(self, name: str, args) -> object:
        return self.launch(name, (1,), (1,), args)


def _i(value) -> np.int64:
    return np.int64(value)


class _KernelLaunch:
    """A loop-form kernel over elements: ``bind`` gives its prepared launch."""

    def __init__(self, out: _Launches, kernel: Kernel, outputs: list = ()):
        # outputs: the arrays (or callables) the kernel writes its values into
        types = tuple(np.dtype((b() if callable(b) else b).dtype).str for b in outputs)
        self.name = out.kernel_name(kernel, types)
        self.kernel = kernel
        self.out = out

    def bind(self, ctx: _Context, idx, n_ptr, capacity: int, flags=None, outs=(),
             out_base=None):
        block = self.kernel.block
        dev = ctx.dev
        written = set(block._written)
        values = tuple(dev.value(v, name, k in written) for k, (v, name) in
                       enumerate(zip(self.kernel.args, block.arg_names, strict=True)))
        head = [idx, n_ptr, *ctx.clock]
        if block.n_sites:
            head.append(dev.array(np.ascontiguousarray(block.keys, dtype=np.int64)))
        if flags is not None:
            head.append(flags)
        if block.int_messages:
            err = dev.scratch(1, np.int32)
            ctx.errors.append((err, block.int_messages))
            head.append(err)
        if out_base is not None:
            head.append(out_base)
        grid, threads = self.out.grid(capacity, block.serial)
        return self.out.launch(self.name, grid, threads, (*head, *outs, *values))


class _Context:
    """What an operation's ``bind`` needs: device arrays, event spaces, the clock
    arguments of its fragment, error flags."""

    def __init__(self, loop: DeviceLoop):
        self.loop = loop
        self.dev = loop.devices
        self.out = loop.launches
        self.errors: list = []
        self.clock: tuple = ()  # (device clock, every, dt) of the fragment being bound

    def events(self, events):
        """(device index buffer, device count, capacity) of an event space."""
        _, buf, count = self.loop.plan.events.get(events)
        return self.dev.array(buf, True), self.dev.array(count, True), len(buf)

    def constant(self, value: int):
        """A device int64 holding ``value`` (an element count that never changes)."""
        key = int(value)
        if key not in self.loop.constants:
            self.loop.constants[key] = self.out.backend.to_device(np.array([key], np.int64))
        return self.loop.constants[key]

    def arange(self, start: int, n: int):
        key = (int(start), int(n))
        if key not in self.loop.ranges:
            self.loop.ranges[key] = self.out.backend.to_device(
                np.arange(start, start + max(n, 1), dtype=np.int64))
        return self.loop.ranges[key]

    def one(self, name: str, *args):
        """A prepared one-thread launch of a bookkeeping kernel (after the clock)."""
        return self.out.one(name, (*self.clock, *args))


# -- one lowering per operation: (context) -> [prepared launches] --------------------------
def _run_kernel(op: RunKernel, out: _Launches):
    if getattr(op.kernel.block, "n_outputs", 0):
        raise NotCompilable("its code is not a CUDA kernel of the loop")
    if not isinstance(op.over, Range | OnEvents) or (isinstance(op.over, OnEvents)
                                                     and op.detects is not None):
        raise NotCompilable("a condition run on events")
    kernel = _KernelLaunch(out, op.kernel)

    def bind(ctx: _Context):
        if isinstance(op.over, OnEvents):
            buf, count, capacity = ctx.events(op.over.events)
            return [kernel.bind(ctx, buf, count, capacity)]
        n = op.over.n
        idx, n_ptr = ctx.arange(op.over.start, n), ctx.constant(n)
        if op.detects is None:
            return [kernel.bind(ctx, idx, n_ptr, n)] if n else []
        # the condition's flags, compacted into the event space in order
        buf, count, _ = ctx.events(op.detects)
        flags = ctx.dev.scratch(max(n, 1), np.uint8)
        parts = ctx.out.parts(n)
        sums = ctx.dev.scratch(parts, np.int64)
        grid, threads = ctx.out.grid(parts)
        return [kernel.bind(ctx, idx, n_ptr, n, flags=flags),
                ctx.out.launch("hs_flag_counts", grid, threads,
                               (*ctx.clock, flags, _i(n), _i(parts), sums)),
                ctx.one("hs_flag_scan", sums, _i(parts), count),
                ctx.out.launch("hs_flag_scatter", grid, threads,
                               (*ctx.clock, flags, _i(n), _i(parts), sums, buf))]

    return bind


def _record_state(op: RecordState, out: _Launches):
    kernel = _KernelLaunch(out, op.kernel, op.buffers)
    indices = np.asarray(op.indices.indices, dtype=np.int64)

    def bind(ctx: _Context):
        dev = ctx.dev
        n = len(indices)
        rows = (op.times() if callable(op.times) else op.times).shape[0]
        base = dev.scratch(1, np.int64)
        outs = tuple(dev.value(b, "_arr_", True) for b in op.buffers)
        place = ctx.one("hs_state_row", dev.value(op.row, "_arr_", True), _i(rows),
                        _i(bool(op.ring)), _i(n), dev.value(op.times, "_arr_", True), base)
        return [place, kernel.bind(ctx, dev.array(indices), ctx.constant(n), n, outs=outs,
                                   out_base=base)]

    return bind


def _record_events(op: RecordEvents, out: _Launches):
    kernel = _KernelLaunch(out, op.kernel, op.values) if op.kernel is not None else None

    def bind(ctx: _Context):
        dev = ctx.dev
        ev, evn, capacity = ctx.events(op.events)
        absolute = dev.scratch(max(capacity, 1), np.int64)
        m, base = dev.scratch(1, np.int64), dev.scratch(1, np.int64)
        launches = [ctx.one("hs_record_events", ev, evn, _i(op.lo), _i(op.hi),
                            dev.value(op.counts, "_arr_", True), _i(bool(op.record)),
                            dev.value(op.ibuf, "_arr_", True), dev.value(op.tbuf, "_arr_", True),
                            dev.value(op.n, "_arr_", True), absolute, m, base)]
        if kernel is not None:
            outs = tuple(dev.value(b, "_arr_", True) for b in op.values)
            launches.append(kernel.bind(ctx, absolute, m, capacity, outs=outs, out_base=base))
        return launches

    return bind


def _record_rate(op: RecordRate, out: _Launches):
    def bind(ctx: _Context):
        ev, evn, _ = ctx.events(op.events)
        return [ctx.one("hs_record_rate", ev, evn, _i(op.lo), _i(op.hi), np.float64(op.scale),
                        ctx.dev.value(op.buffer, "_arr_", True),
                        ctx.dev.value(op.row, "_arr_", True))]

    return bind


def _events_from_schedule(op: EventsFromSchedule, out: _Launches):
    def bind(ctx: _Context):
        ev, evn, _ = ctx.events(op.events)
        nsteps = len(op.steps() if callable(op.steps) else op.steps)
        return [ctx.one("hs_events_from_schedule", ev, evn, ctx.dev.value(op.steps, "_arr_"),
                        _i(nsteps), ctx.dev.value(op.indices, "_arr_"), _i(op.period))]

    return bind


def _copy_row(op: CopyRow, out: _Launches):
    def bind(ctx: _Context):
        source = op.source() if callable(op.source) else op.source
        target = op.target() if callable(op.target) else op.target
        if source.dtype != np.float64 or target.dtype != np.float64:
            raise TypeError("cuda loop: a copied row must be float64 on both sides")
        pos = ctx.dev.value(op.position, "_arr_", True)
        grid, threads = ctx.out.grid(source.shape[1])
        return [ctx.out.launch("hs_copy_row", grid, threads,
                               (*ctx.clock, ctx.dev.array(source), _i(source.shape[1]), pos,
                                ctx.dev.array(target, True))),
                ctx.one("hs_advance", pos)]

    return bind


def _deliver_spikes(op: DeliverSpikes, out: _Launches):
    kernel = _KernelLaunch(out, op.kernel) if op.kernel is not None else None

    def bind(ctx: _Context):
        dev = ctx.dev

        def table(name, written=False):
            value = op.tables[name]
            value = value() if callable(value) else value
            return value if not isinstance(value, np.ndarray) else (value, dev.array(value,
                                                                                     written))

        ev, evn, _ = ctx.events(op.events)
        ring, d_ring = table("ring", True)
        _, d_ringn = table("ring_n", True)
        lsteps, d_lsteps = table("legacy_steps")
        _, d_lsyn = table("legacy_syn")
        _, d_lptr = table("legacy_ptr", True)
        _, d_offsets = table("offsets")
        _, d_sdelays = table("sorted_steps")
        _, d_order = table("order")
        deliver, d_deliver = table("deliver", True)
        spans, d_spans = table("spans", True)
        single, in_order = int(table("single_delay")), int(bool(table("in_order")))
        prefix = dev.scratch(max(len(spans), 1), np.int64)
        nd, ns = dev.scratch(1, np.int64), dev.scratch(1, np.int64)
        launches = [ctx.one("hs_due_synapses", ev, evn, _i(op.lo), _i(op.hi), d_ring,
                            _i(ring.shape[0]), _i(ring.shape[1]), d_ringn, d_lsteps,
                            _i(len(lsteps)), d_lsyn, d_lptr, d_offsets, d_sdelays, d_order,
                            d_deliver, _i(single), _i(in_order), d_spans, prefix, nd, ns)]
        if kernel is not None:
            if single >= 0 and in_order:  # each neuron's synapses one range: fill them in
                grid, threads = ctx.out.grid(len(spans) * BLOCK)
                launches.append(ctx.out.launch("hs_expand_spans", grid, threads,
                                               (*ctx.clock, d_spans, prefix, ns, d_deliver)))
            launches.append(kernel.bind(ctx, d_deliver, nd, len(deliver)))
        return launches

    return bind


def _call_compiled(op: CallCompiled, out: _Launches):
    """An object's own work as its CUDA kernel (``CallCompiled.cuda_source``): its
    arguments are the clock's (``const int64_t* _clock, int64_t _every, double dt``:
    ``HS_OWN_STEP`` gives its step and ``t``), then the device twins of ``args``."""
    if op.cuda_source is None or not op.cuda_kernel:
        raise NotCompilable(f"{op.module}.{op.function} has no CUDA form")
    if op.cuda_source not in out.texts:
        out.texts.append(op.cuda_source)

    def bind(ctx: _Context):
        values = []
        for value in op.args:
            value = value() if callable(value) else value
            if isinstance(value, np.ndarray):
                values.append(ctx.dev.array(value, True))
            elif isinstance(value, bool | np.bool_ | int | np.integer):
                values.append(np.int64(value))
            else:
                values.append(np.float64(value))
        grid, threads = ctx.out.grid(op.cuda_threads)
        return [ctx.out.launch(op.cuda_kernel, grid, threads, (*ctx.clock, *values))]

    return bind


_LOWER = {RunKernel: _run_kernel, CallCompiled: _call_compiled, RecordState: _record_state,
          RecordEvents: _record_events, RecordRate: _record_rate,
          EventsFromSchedule: _events_from_schedule, DeliverSpikes: _deliver_spikes,
          CopyRow: _copy_row}


class DeviceLoop(CompiledLoop):
    """A run loop whose state stays on the device between the points where Python runs.

    ``function`` (the ``CompiledLoop`` contract) runs a segment of steps as the step's
    program of prepared launches; ``_resume`` binds every operation to the device twins
    of its arrays (copying down what Python may have changed) and ``_leave`` copies back
    what the device wrote."""

    def __init__(self, plan: LoopPlan, launches: _Launches, lowered: list, source: str,
                 dt: float):
        super().__init__(self._segment, plan, list, source)
        self.launches = launches
        self.devices = DeviceArrays(launches.backend)
        self.lowered = lowered  # (scheduled fragment, [bind per op])
        self.dt = float(dt)
        self.constants: dict[int, object] = {}
        self.ranges: dict[tuple[int, int], object] = {}
        self._clock = np.zeros(1, dtype=np.int64)  # the device clock's host twin
        self._on_device = False
        self._parts: list[list] = []
        self._tick = None
        self._graph = None
        self._rooms: list = []
        self._errors: list = []

    # -- hand-over with Python -----------------------------------------------------------
    def _segment_done(self) -> None:
        for err, messages in self._errors:
            flag = err if self.launches.backend.name == "host" else \
                self.launches.backend.to_host(err)
            site = int(flag[0])
            if site:
                from sim.errors import ModelValueError

                raise ModelValueError(messages[site - 1])

    def _resume(self) -> None:
        ctx = _Context(self)
        self.devices.begin()
        clock = self.devices.array(self._clock, True)
        parts: list[list] = [[] for _ in range(self.plan.n_parts)]
        rooms = []
        for s, binds in self.lowered:
            ctx.clock = (clock, _i(s.every), np.float64(s.dt if s.every > 1 else self.dt))
            for bind in binds:
                parts[s.part].extend(bind(ctx))
            for room in s.fragment.rooms:
                rooms.append((s, room))
        self._tick = self.launches.one("hs_tick", (clock,))
        self.devices.end()
        self._parts, self._rooms, self._errors = parts, rooms, ctx.errors
        self._graph = None
        from sim.prefs import prefs

        if prefs.codegen.cuda_graphs and self.plan.n_parts == 1:
            # one step, every fragment and the tick, as one graph (the step's arguments
            # never change; a part boundary, a Python operation, keeps separate launches)
            self._graph = self.launches.backend.capture([*parts[0], self._tick])
        self._on_device = True

    def _leave(self) -> None:
        if not self._on_device:
            return
        self._on_device = False
        self.launches.backend.synchronize()
        self.devices.download()
        self._sync_out()

    def _room_left(self, room) -> int:
        """How many more ticks of its fragment a room holds (counts read on the device)."""
        buffer = room.buffer() if callable(room.buffer) else room.buffer
        count = room.count() if callable(room.count) else room.count
        return max((buffer.shape[0] - self.devices.peek(count)) // max(int(room.needed), 1),
                   0)

    def _make_room(self) -> None:
        """Fragments that make room on the device (``grow_on_device``) do so there when
        theirs are the only short rooms; otherwise the state goes to Python to grow."""
        short = {id(s.fragment): s.fragment for s, room in self._rooms
                 if self._room_left(room) == 0}
        if short and all(f.grow_on_device is not None for f in short.values()):
            for fragment in short.values():
                fragment.grow_on_device(self.devices)
            return
        super()._make_room()

    def _budget(self, step: int) -> int:
        """How many steps from ``step`` on are sure to find room in every buffer: a
        fragment whose next ``k`` ticks fit allows the steps before its ``k + 1``-th."""
        budget = 1 << 62
        for s, room in self._rooms:
            ticks = self._room_left(room)
            first = -(-step // s.every) * s.every  # its next tick
            budget = min(budget, first + ticks * s.every - step)
        return budget

    def _segment(self, step, end, part, stop_step, stop_part, dt):
        graph = self._graph
        if graph is None:
            return self._steps(step, end, part, stop_step, stop_part)
        backend = self.launches.backend
        backend.synchronize()  # (uploads and earlier launches done: the graph's stream)
        try:
            with graph.stream:
                return self._steps(step, end, part, stop_step, stop_part, graph)
        finally:
            backend.synchronize()

    def _steps(self, step, end, part, stop_step, stop_part, graph=None):
        step, end, part = int(step), int(end), int(part)
        stop_step, stop_part = int(stop_step), int(stop_part)
        self.devices.poke(self._clock, step)  # (Python may have moved time since)
        parts, tick, n_parts = self._parts, self._tick, self.plan.n_parts
        budget = None
        while step < end:
            if graph is not None and part == 0 and step != stop_step:
                if budget is None or budget <= 0:
                    budget = self._budget(step)
                    if budget <= 0:
                        return step, 0, True
                graph()  # the whole step, the tick included
                step += 1
                budget -= 1
                continue
            for p in range(part, n_parts):
                if step == stop_step and stop_part == p:
                    return step, p, False
                if p == 0 and (budget is None or budget <= 0):
                    budget = self._budget(step)
                    if budget <= 0:
                        return step, 0, True
                for launch in parts[p]:
                    launch()
            tick()
            part = 0
            step += 1
            if budget is not None:
                budget -= 1
        return step, 0, False


def build_loop(objects: list, clock) -> tuple[DeviceLoop, list]:
    """A device-resident loop for these (sorted) objects driven by one regular clock.

    Returns the loop and ``[(part, op)]`` for the Python operations; raises
    LoopUnavailable (naming the object and why) when an object cannot take part."""
    from sim.codegen.cuda_runtime import get_backend
    from sim.codegen.cuda_target import SUPPORT

    plan = plan_loop(objects, clock)
    backend = get_backend()
    launches = _Launches(plan, backend)
    lowered = []
    for s in plan.fragments:
        binds = []
        try:
            for op in s.fragment.ops:
                lower = _LOWER.get(type(op))
                if lower is None:
                    raise NotCompilable(f"the cuda loop cannot lower {type(op).__name__}")
                binds.append(lower(op, launches))
        except NotCompilable as exc:
            raise LoopUnavailable(f"'{s.fragment.owner.name}': {exc}") from None
        lowered.append((s, binds))
    source = "\n".join([SUPPORT, LOOP_KERNELS, *launches.texts])
    launches.module = backend.compile(source)
    return DeviceLoop(plan, launches, lowered, source, clock.dt_), plan.python_ops

"""FilterbankGroup: a filterbank's output drives a variable of a group of neurons.

``FilterbankGroup(filterbank, 'I', model, threshold=..., reset=...)`` is a
NeuronGroup with one neuron per channel and ``dt = 1/samplerate``; at every
time step, before the state update, the parameter ``I`` of every neuron is set
to the filterbank's output sample of that step.  The output is fetched in
chunks of ``buffersize`` samples, so a sound of any length (or a sound file
streamed from disk) runs in bounded memory.  On the numba target the compiled
run loop reads the chunk directly and returns to Python only to fetch the next
chunk.  On the cuda target the chunk is fetched straight into its device twin
(from the filterbank's device output when it runs on the device: no copy;
else one copy per chunk), the group's state staying on the device.
"""

from __future__ import annotations

import numpy as np

from sim.base import SimObject
from sim.groups import NeuronGroup
from sim.units import second

__all__ = ["FilterbankGroup"]


class _FilterbankFeeder(SimObject):
    """Copies one output sample per channel into the target variable every step."""

    add_to_magic_network = False

    def __init__(self, group: FilterbankGroup, buffersize: int):
        super().__init__(clock=group.clock, when="before_groups", order=group.order,
                         name=f"{group.name}_feeder")
        self.group = group
        self.buffersize = int(buffersize)
        self.chunk = np.zeros((self.buffersize, group.N))
        self.position = np.full(1, self.buffersize, dtype=np.int64)  # row within the chunk
        self.next_sample = 0  # first filterbank sample of the next chunk
        self._initialised = False

    def _next_window(self):
        """(filterbank, first sample, end) of the next chunk, the filterbank initialised
        before the first one; the chunk after it comes next."""
        fb = self.group.filterbank
        if not self._initialised:
            fb.buffer_init()
            self._initialised = True
        start = self.next_sample
        self.next_sample = start + self.buffersize
        return fb, start, self.next_sample

    def refill(self) -> None:
        """Fetch the next chunk of filterbank output."""
        fb, start, end = self._next_window()
        self.chunk[...] = fb.buffer_fetch(start, end)
        self.position[0] = 0

    def step_function(self):
        target = self.group.variables[self.group.targetvar].array
        chunk, position = self.chunk, self.position

        def step(i):
            if position[0] >= len(chunk):
                self.refill()
            target[:] = chunk[position[0]]
            position[0] += 1

        return step

    def loop_fragment(self):
        """Its part of a compiled run loop (``sim.codegen.loop_ops``): copy a row of the
        chunk into the target variable; the loop returns to Python when the chunk is used
        up, and Python fetches the next one."""
        from sim.codegen import loop_ops as ops

        target = self.group.variables[self.group.targetvar].array

        def refill_if_empty():
            if self.position[0] >= len(self.chunk):
                self.refill()

        return ops.LoopFragment(self, [ops.CopyRow(self.chunk, self.position, target)],
                                [ops.Room(self.position, self.chunk)], grow=refill_if_empty,
                                grow_on_device=self.refill_on_device)

    def refill_on_device(self, devices) -> None:
        """The next chunk straight into the chunk's device twin (a device loop): from the
        filterbank's own device output when it runs on the same backend (no copy), else
        one copy of the host chunk; the rest of the state stays on the device."""
        if devices.peek(self.position) < len(self.chunk):
            return
        fb, start, end = self._next_window()
        backend = devices.backend
        twin = devices.array(self.chunk, written=True)
        fetch = getattr(fb, "device_fetch", None)
        chunk = fetch(start, end, backend) if fetch is not None else None
        if chunk is not None and backend.xp is not None:
            twin[...] = chunk  # a device copy (and a cast from float32 where needed)
        else:
            if chunk is None:
                chunk = fb.buffer_fetch(start, end)
            else:  # a backend without an array module: through the host
                chunk = backend.to_host(chunk)
            backend.copy_to_device(twin, np.ascontiguousarray(chunk, dtype=np.float64))
        devices.poke(self.position, 0)

    def _get_state(self) -> dict:
        return {"chunk": self.chunk.copy(), "position": self.position.copy(),
                "next": self.next_sample, "init": self._initialised}

    def _set_state(self, state: dict) -> None:
        if state["next"] != self.next_sample:
            raise ValueError("A FilterbankGroup cannot be restored to another point of its "
                             "sound: the filterbank only moves forward in time")
        self.chunk[...] = state["chunk"]
        self.position[...] = state["position"]


class FilterbankGroup(NeuronGroup):
    """A NeuronGroup whose ``targetvar`` follows a filterbank's output, one channel per neuron.

    ``targetvar`` must be a parameter of the model (e.g. ``I : amp`` or ``x : 1``);
    the filterbank's output is taken in the variable's SI units.  The group's time
    step is one sample of the filterbank (``dt`` and ``clock`` may not be given).
    ``buffersize``: samples fetched from the filterbank at a time.
    """

    def __init__(self, filterbank, targetvar: str, model, *args, buffersize: int = 256,
                 **kwds):
        if "dt" in kwds or "clock" in kwds:
            raise TypeError("FilterbankGroup: the time step is the filterbank's sample "
                            "period; do not give dt= or clock=")
        samplerate = float(np.asarray(filterbank.samplerate))
        if not samplerate > 0:
            raise ValueError(f"FilterbankGroup: bad filterbank samplerate {samplerate}")
        if int(buffersize) < 1:
            raise ValueError("FilterbankGroup: buffersize must be a positive integer")
        super().__init__(filterbank.nchannels, model, *args, dt=(1.0 / samplerate) * second,
                         **kwds)
        if targetvar not in self.variables:
            raise KeyError(f"FilterbankGroup: the model has no variable '{targetvar}' to drive")
        var = self.variables[targetvar]
        if var.kind != "array" or var.shared or self.equations[targetvar].type != "parameter":
            raise TypeError(f"FilterbankGroup: '{targetvar}' must be a (non-shared) parameter "
                            f"of the model, e.g. '{targetvar} : 1'")
        object.__setattr__(self, "filterbank", filterbank)
        object.__setattr__(self, "targetvar", targetvar)
        feeder = _FilterbankFeeder(self, buffersize)
        object.__setattr__(self, "feeder", feeder)
        self.contained_objects.insert(0, feeder)

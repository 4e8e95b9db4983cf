"""Which synapses a pathway delivers at a step, for the compiled run loop.

One function, the same for every model (compiled once per machine and cached by
numba), so that a generated run loop only calls the pathway's own kernel: the
bookkeeping is not pasted, and compiled again, into every loop.
"""

from __future__ import annotations

from numba import njit

__all__ = ["due_synapses"]


@njit(cache=True, nogil=True, error_model="numpy")
def due_synapses(step, ev, evn, lo, hi, ring, ringn, lsteps, lsyn, lptr, offsets, sdelays,
                 order, deliver, single, in_order, spans):
    """Store this step's spikes of the source range [lo, hi) in the ring, then list the
    synapses due now, in delivery order: explicit (legacy) events first, then the
    oldest spikes first.

    Returns ``(nd, ns)``: ``deliver[:nd]`` are synapse numbers, then ``spans[:ns]``
    ranges ``(first synapse, count)`` of consecutive synapses.  Spans are used when
    every synapse has the same delay ``single`` (>= 0) and the synapses are stored in
    delivery order (``in_order``): each spiking neuron's synapses are one range, and
    the kernel runs on it directly.  With one delay only the spikes of ``single``
    steps ago are due; otherwise each neuron's synapses of each age are found by
    bisection in its delay-sorted range ``sdelays[offsets[n]:offsets[n + 1]]``.
    """
    length = ring.shape[0]
    slot = step % length
    count = 0
    for q in range(evn[0]):
        e = ev[q]
        if e >= lo and e < hi:
            ring[slot, count] = e - lo
            count += 1
    ringn[slot] = count
    nd = 0
    while lptr[0] < lsteps.shape[0] and lsteps[lptr[0]] <= step:
        deliver[nd] = lsyn[lptr[0]]
        nd += 1
        lptr[0] += 1
    ns = 0
    if single >= 0:
        emitted = step - single
        if emitted < 0:
            return nd, ns
        s = emitted % length
        for q in range(ringn[s]):
            neuron = ring[s, q]
            a = offsets[neuron]
            b = offsets[neuron + 1]
            if in_order:
                if b > a:
                    spans[ns, 0] = a
                    spans[ns, 1] = b - a
                    ns += 1
            else:
                for f in range(a, b):
                    deliver[nd] = order[f]
                    nd += 1
        return nd, ns
    for age in range(length - 1, -1, -1):
        emitted = step - age
        if emitted < 0:
            continue
        s = emitted % length
        for q in range(ringn[s]):
            neuron = ring[s, q]
            a = offsets[neuron]
            b = offsets[neuron + 1]
            f = a  # the first synapse of delay >= age
            hi_f = b
            while f < hi_f:
                mid = (f + hi_f) >> 1
                if sdelays[mid] < age:
                    f = mid + 1
                else:
                    hi_f = mid
            while f < b and sdelays[f] == age:
                deliver[nd] = order[f]
                nd += 1
                f += 1
    return nd, ns

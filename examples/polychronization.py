"""Polychronization (Izhikevich 2006, Neural Computation 18:245-282), with STDP.

    python examples/polychronization.py [output.png] [--short] [--duration SECONDS]

1000 Izhikevich neurons: 800 excitatory regular-spiking and 200 inhibitory fast-spiking
cells.  Every neuron makes 100 synapses: excitatory cells onto random cells of the whole
network, with axonal delays drawn from 1-20 ms, inhibitory cells onto random excitatory cells
with a 1 ms delay.  Thalamic input: each millisecond a neuron receives a 20 mV/ms input with
probability 1/1000 (about one random neuron per millisecond, as in the paper).  Excitatory
synapses learn with spike-timing-dependent plasticity; as in the paper, the STDP changes are
accumulated in a derivative ``sd`` and applied once a second (``w += 0.01 + sd``, clipped to
[0, 10], then ``sd *= 0.9``).  Weights start at 6; under STDP their distribution becomes
bimodal while the initial epileptic-like bursts give way to gamma-like rhythmic activity.

Short mode (``--short`` or HEARSIM_EXAMPLE_SHORT=1) simulates 2 s of biological time; the
full mode 300 s (about 15 s of computing on 2 cores once the kernels are compiled, 10 s more
the first time).  ``--duration`` sets any other length: 3600 s, one hour as in the paper's
figures, takes about 6 minutes and ends with bimodal weights and gamma-like bursts.  The
figure shows the raster of the first and the last second, the final weight distribution and
the mean weight once a second.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from sim import (
    Network,
    NeuronGroup,
    SpikeMonitor,
    Synapses,
    defaultclock,
    ms,
    network_operation,
    second,
    seed,
)

NE, NI, M, DMAX = 800, 200, 100, 20  # cells, synapses per cell, largest delay (ms)
N = NE + NI
W_INIT, W_MAX = 6.0, 10.0

IZHIKEVICH = """
dv/dt = (0.04*v**2 + 5*v + 140 - u + I)/ms : 1
du/dt = a*(b*v - u)/ms : 1
I : 1
a : 1
b : 1
d : 1
"""

# per-synapse traces of the pre (at the spike's arrival) and post spikes
STDP_MODEL = """
w : 1
sd : 1
dapre/dt = -apre/(20*ms) : 1 (event-driven)
dapost/dt = -apost/(20*ms) : 1 (event-driven)
"""


def random_targets(rng, nsources: int, pool: int, exclude_self: bool) -> np.ndarray:
    """M distinct random targets in range(pool) for each source, without self-connections."""
    targets = np.empty((nsources, M), dtype=int)
    for k in range(nsources):
        candidates = np.arange(pool)
        if exclude_self:
            candidates = np.delete(candidates, k)
        targets[k] = rng.choice(candidates, M, replace=False)
    return targets.ravel()


def build(rng):
    defaultclock.dt = 0.5 * ms
    cells = NeuronGroup(N, IZHIKEVICH, threshold="v >= 30", reset="v = -65; u += d",
                        method="euler", name="cells", namespace={"p_thalamic": 1.0 / N})
    cells.a = np.r_[np.full(NE, 0.02), np.full(NI, 0.1)]
    cells.b = 0.2
    cells.d = np.r_[np.full(NE, 8.0), np.full(NI, 2.0)]
    cells.v = -65
    cells.u = 0.2 * -65
    # thalamic input, held for one millisecond
    cells.run_regularly("I = 20*int(rand() < p_thalamic)", dt=1 * ms)

    excitatory = Synapses(cells[:NE], cells, STDP_MODEL, on_pre="""
        v_post += w
        apre += 0.1
        sd -= 1.2*apost
        """, on_post="""
        apost += 0.1
        sd += apre
        """, name="excitatory", namespace={"w_max": W_MAX})
    excitatory.connect(i=np.repeat(np.arange(NE), M), j=random_targets(rng, NE, N, True))
    excitatory.w = W_INIT
    excitatory.delay = rng.integers(1, DMAX + 1, NE * M) * ms
    excitatory.run_regularly("w = clip(w + 0.01 + sd, 0, w_max); sd = 0.9*sd", dt=1 * second,
                             when="end")

    inhibitory = Synapses(cells[NE:], cells[:NE], "w : 1", on_pre="v_post += w",
                          delay=1 * ms, name="inhibitory")
    inhibitory.connect(i=np.repeat(np.arange(NI), M), j=random_targets(rng, NI, NE, False))
    inhibitory.w = -5.0
    return cells, excitatory, inhibitory


def main(out: str = "polychronization.png", duration_s: float = 300.0) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seed(2006)
    rng = np.random.default_rng(2006)
    cells, excitatory, inhibitory = build(rng)
    spikes = SpikeMonitor(cells)
    mean_w = []

    @network_operation(dt=1 * second, when="end")
    def record_mean_weight():
        mean_w.append(float(np.mean(excitatory.w[:])))

    net = Network(cells, excitatory, inhibitory, spikes, record_mean_weight)
    w_start = float(np.mean(excitatory.w[:]))
    started = time.perf_counter()
    net.run(1 * second)                       # first second: recorded
    first_t, first_i = np.asarray(spikes.t / ms), np.asarray(spikes.i)
    if duration_s > 2:
        spikes.active = False                 # the middle: not recorded
        net.run((duration_s - 2) * second)
        spikes.active = True
    n_before = spikes.num_spikes
    net.run(1 * second)                       # last second: recorded
    last_t, last_i = np.asarray(spikes.t / ms)[n_before:], np.asarray(spikes.i)[n_before:]
    elapsed = time.perf_counter() - started

    w = np.asarray(excitatory.w[:])
    rate_first = len(first_t) / N
    rate_last = len(last_t) / N
    print(f"simulated {duration_s:g} s in {elapsed:.1f} s")
    print(f"mean rate: first second {rate_first:.1f} Hz, last second {rate_last:.1f} Hz")
    print(f"mean excitatory weight: start {w_start:.3f}, end {w.mean():.3f} "
          f"(std {w.std():.3f}; {np.mean(w > 0.9 * W_MAX):.1%} above 9, "
          f"{np.mean(w < 1):.1%} below 1)")

    fig = plt.figure(figsize=(10, 8))
    grid = fig.add_gridspec(2, 2)
    ax = fig.add_subplot(grid[0, 0])
    ax.plot(first_t, first_i, ".k", ms=1)
    ax.set(title=f"first second ({rate_first:.1f} Hz)", xlabel="time (ms)", ylabel="neuron",
           ylim=(0, N))
    ax.axhline(NE, color="r", lw=0.5)
    ax = fig.add_subplot(grid[0, 1])
    t0_ms = (duration_s - 1) * 1e3
    ax.plot(last_t - t0_ms, last_i, ".k", ms=1)
    ax.set(title=f"last second, t = {duration_s - 1:g}-{duration_s:g} s ({rate_last:.1f} Hz)",
           xlabel=f"time - {t0_ms:.0f} ms", ylim=(0, N))
    ax.axhline(NE, color="r", lw=0.5)
    ax = fig.add_subplot(grid[1, 0])
    ax.hist(w, bins=50, range=(0, W_MAX), color="C0")
    ax.set(title="excitatory weights at the end", xlabel="w (mV)", ylabel="synapses",
           yscale="log")
    ax = fig.add_subplot(grid[1, 1])
    ax.plot(np.arange(len(mean_w)), mean_w, "o-" if len(mean_w) < 20 else "-")
    ax.set(title="mean excitatory weight", xlabel="time (s)", ylabel="mean w (mV)")
    fig.suptitle("Izhikevich (2006) polychronization network, 800 RS + 200 FS cells, STDP")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=100)
    print(f"wrote {path.resolve()}")
    return path


def parse(argv: list[str]) -> tuple[str, float]:
    short = "--short" in argv or os.environ.get("HEARSIM_EXAMPLE_SHORT") == "1"
    duration = 2.0 if short else 300.0
    if "--duration" in argv:
        duration = float(argv[argv.index("--duration") + 1])
    if duration < 2:
        raise SystemExit("--duration: at least 2 s (the first and last seconds are plotted)")
    values = [a for k, a in enumerate(argv)
              if not a.startswith("--") and (k == 0 or argv[k - 1] != "--duration")]
    return (values[0] if values else "polychronization.png"), duration


if __name__ == "__main__":
    out_png, seconds = parse(sys.argv[1:])
    main(out_png, seconds)

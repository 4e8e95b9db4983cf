"""TimedArray stimuli driving leaky integrate-and-fire neurons.

    python examples/timedarray_input.py [output.png] [--short]

Two kinds of time-varying input, both read by the model string as a function of time:

* a 1-D TimedArray, ``step(t)``: a staircase current (0, 1, 2, 3, 4 x 0.6 nA) plus noise,
  shared by five LIF neurons of different membrane resistances;
* a 2-D TimedArray, ``frozen(t, i)``: one independent noisy current per neuron (shape
  time x neuron), whose mean grows with the neuron's index.

The figure shows each stimulus and the membrane potentials it causes.  Printed: the spike
counts of one shared-stimulus neuron on each step, and of each neuron driven by its own
current; both grow with the mean drive.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from sim import (
    Mohm,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    ms,
    mV,
    nA,
)

LIF = """
dv/dt = (E_L - v + R*I)/tau : volt (unless refractory)
I = {current} : amp
R : ohm
"""
CONSTANTS = {"E_L": -70 * mV, "tau": 10 * ms, "V_t": -50 * mV, "V_r": -65 * mV}


def lif_group(n: int, current: str, stimulus: TimedArray, name: str) -> NeuronGroup:
    """n LIF neurons whose current is ``current``, an expression of t and i calling
    ``stimulus``; the group has an explicit namespace, so the TimedArray goes in it too."""
    group = NeuronGroup(n, LIF.format(current=current), threshold="v > V_t", reset="v = V_r",
                        refractory=2 * ms, method="euler",
                        namespace={**CONSTANTS, stimulus.name: stimulus}, name=name)
    group.v = CONSTANTS["E_L"]
    return group


def main(out: str = "timedarray_input.png", short: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(14)
    nsteps = 5
    step_len = 40 * ms if short else 200 * ms
    duration = nsteps * step_len
    dt_stim = 0.5 * ms
    nsamples = int(round(float(duration / dt_stim)))

    # 1-D: a staircase (one level per step_len) plus noise, sampled every dt_stim
    level = np.repeat(np.arange(nsteps), int(round(float(step_len / dt_stim))))
    staircase = (0.6 * level + 0.15 * rng.standard_normal(nsamples)) * nA
    step = TimedArray(staircase, dt=dt_stim, name="step")
    shared = lif_group(5, "step(t)", step, "shared")
    shared.R = np.linspace(30, 50, 5) * Mohm

    # 2-D: one noisy current per neuron; column i has the mean 0.4 + 0.15*i nA
    nfrozen = 8
    means = 0.4 + 0.15 * np.arange(nfrozen)
    noise = 0.8 * rng.standard_normal((nsamples, nfrozen))
    frozen = TimedArray((means + noise) * nA, dt=dt_stim, name="frozen")
    own = lif_group(nfrozen, "frozen(t, i)", frozen, "own")
    own.R = 40 * Mohm

    v_shared, s_shared = StateMonitor(shared, ["v", "I"], record=True), SpikeMonitor(shared)
    v_own, s_own = StateMonitor(own, ["v", "I"], record=True), SpikeMonitor(own)
    Network(shared, own, v_shared, s_shared, v_own, s_own).run(duration)

    edges = np.arange(nsteps + 1) * float(step_len / ms)
    last = len(shared) - 1
    per_step = np.histogram(np.asarray(s_shared.t / ms)[np.asarray(s_shared.i) == last],
                            bins=edges)[0]
    print(f"1-D staircase, spikes of neuron {last} per step:", " ".join(map(str, per_step)))
    print("2-D per-neuron input, spike counts:", " ".join(map(str, s_own.count[:])))

    fig, axes = plt.subplots(4, 1, figsize=(9, 10), sharex=True,
                             gridspec_kw={"height_ratios": [1, 2, 1.4, 2]})
    t = np.asarray(v_shared.t / ms)
    axes[0].plot(t, v_shared.I[0] / nA, lw=0.5, color="k")
    axes[0].set(ylabel="I (nA)", title="1-D TimedArray step(t), shared by 5 neurons")
    for k in range(len(shared)):
        axes[1].plot(t, v_shared.v[k] / mV + 25 * k, lw=0.6,
                     label=f"R = {float(shared.R[k] / Mohm):.0f} Mohm")
    axes[1].set(ylabel="v (mV), +25 mV each")
    axes[1].legend(loc="upper left", fontsize=7, ncol=5)
    axes[2].imshow(v_own.I / nA, aspect="auto", origin="lower", cmap="viridis",
                   extent=(0, float(duration / ms), -0.5, nfrozen - 0.5))
    axes[2].set(ylabel="neuron i",
                title="2-D TimedArray frozen(t, i): one noisy current per neuron (colour)")
    for k in range(nfrozen):
        axes[3].plot(t, v_own.v[k] / mV + 25 * k, lw=0.5)
    axes[3].set(ylabel="v (mV), +25 mV each", xlabel="time (ms)")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=100)
    print(f"wrote {path.resolve()}")
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    is_short = "--short" in args or os.environ.get("HEARSIM_EXAMPLE_SHORT") == "1"
    files = [a for a in args if not a.startswith("--")]
    main(files[0] if files else "timedarray_input.png", is_short)

"""Linked variables: neurons reading a driving variable of another group with ``linked_var``.

    python examples/linked_var.py [output.png] [--short]

Four "pacemaker" units each hold a state variable ``x``: a low-pass filtered 5 Hz sinusoid
of amplitude 0.6, 0.8, 1.0 and 1.2.  Two groups read it without copying:

* 40 noisy LIF neurons in four blocks of ten: ``drive : 1 (linked)`` set with
  ``linked_var(pacemakers, 'x', index=i // 10)``, so each block follows one pacemaker;
* four slow leaky integrators, linked one-to-one with ``linked_var(pacemakers.x)``.

Halfway through, pacemaker 0's amplitude is raised to 1.4: the linked readers follow at
once, as the link reads the source's current value at every step.  The figure shows the
pacemakers, the raster of the LIF blocks and the integrators.  Printed: the largest
difference between a linked variable and its source (zero), and the spikes of each block
in each half.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from sim import (
    Hz,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    linked_var,
    ms,
)

NBLOCKS, PER_BLOCK = 4, 10


def main(out: str = "linked_var.png", short: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    half = 200 * ms if short else 1000 * ms
    pacemakers = NeuronGroup(NBLOCKS, """
        dx/dt = (amp*(1 + sin(2*pi*f*t)) - x)/(5*ms) : 1
        amp : 1
        f : Hz
        """, method="euler", name="pacemakers")
    pacemakers.amp = np.linspace(0.6, 1.2, NBLOCKS)
    pacemakers.f = 5 * Hz

    # many-to-one: each LIF neuron reads the x of pacemaker i // PER_BLOCK
    lif = NeuronGroup(NBLOCKS * PER_BLOCK, """
        dv/dt = (drive - v)/(10*ms) + 0.15*sqrt(2/(10*ms))*xi : 1 (unless refractory)
        drive : 1 (linked)
        """, threshold="v > 1", reset="v = 0", refractory=2 * ms, method="euler",
        name="lif")
    lif.drive = linked_var(pacemakers, "x", index=np.arange(len(lif)) // PER_BLOCK)

    # one-to-one: the same number of slow integrators, element k reads pacemaker k
    integrators = NeuronGroup(NBLOCKS, """
        dz/dt = (y - z)/(100*ms) : 1
        y : 1 (linked)
        """, method="exact", name="integrators")
    integrators.y = linked_var(pacemakers.x)

    x_mon = StateMonitor(pacemakers, "x", record=True)
    drive_mon = StateMonitor(lif, "drive", record=np.arange(0, len(lif), PER_BLOCK))
    z_mon = StateMonitor(integrators, ["y", "z"], record=True)
    spikes = SpikeMonitor(lif)
    net = Network(pacemakers, lif, integrators, x_mon, drive_mon, z_mon, spikes)
    net.run(half)
    pacemakers.amp[0] = 1.4          # the readers see the change at once
    net.run(half)

    link_error = max(float(np.max(np.abs(drive_mon.drive - x_mon.x))),
                     float(np.max(np.abs(z_mon.y - x_mon.x))))
    print(f"largest |linked - source| difference: {link_error:g}")
    t_sp, i_sp = np.asarray(spikes.t / ms), np.asarray(spikes.i)
    block = i_sp // PER_BLOCK
    first = np.bincount(block[t_sp < float(half / ms)], minlength=NBLOCKS)
    second = np.bincount(block[t_sp >= float(half / ms)], minlength=NBLOCKS)
    print("spikes per block, first half:", " ".join(map(str, first)))
    print("spikes per block, second half:", " ".join(map(str, second)))

    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True,
                             gridspec_kw={"height_ratios": [1, 2, 1]})
    t = np.asarray(x_mon.t / ms)
    colours = [f"C{k}" for k in range(NBLOCKS)]
    for k in range(NBLOCKS):
        axes[0].plot(t, x_mon.x[k], color=colours[k], label=f"pacemaker {k}")
        axes[1].plot(t_sp[block == k], i_sp[block == k], "|", color=colours[k], ms=4)
        axes[2].plot(t, z_mon.z[k], color=colours[k])
    for ax in axes:
        ax.axvline(float(half / ms), color="k", ls=":", lw=0.8)
    axes[0].set(ylabel="x", title="pacemakers (amplitude of 0 raised at the dotted line)")
    axes[0].legend(fontsize=7, ncol=4, loc="upper left")
    axes[1].set(ylabel="LIF neuron", ylim=(-1, len(lif)),
                title="LIF blocks: drive = linked_var(pacemakers, 'x', index=i // 10)")
    axes[2].set(ylabel="z", xlabel="time (ms)",
                title="integrators: y = linked_var(pacemakers.x), one-to-one")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=100)
    print(f"wrote {path.resolve()}")
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    is_short = "--short" in args or os.environ.get("HEARSIM_EXAMPLE_SHORT") == "1"
    files = [a for a in args if not a.startswith("--")]
    main(files[0] if files else "linked_var.png", is_short)

"""Deriving classes from NeuronGroup and Network, as Brian 1's examples did.

    python examples/derived_classes.py [output.png] [--short]

``LIFPopulation(NeuronGroup)`` builds its own model in ``__init__`` (a leaky integrate-and-
fire neuron with an exponentially decaying synaptic current; its time constants and
threshold are constructor arguments, passed to the group's namespace) and adds a method.
``DrivenPopulation(Network)`` holds its objects as attributes (Poisson inputs, the
population, the synapses and two monitors), adds them to itself and offers a
``mean_rate()`` method.  Two such networks, with different input rates, are built and run
independently.  The figure shows each network's raster and population rate; printed: the
mean output rate of each, higher for the stronger input.
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
    PoissonGroup,
    PopulationRateMonitor,
    SpikeMonitor,
    Synapses,
    ms,
    mV,
)


class LIFPopulation(NeuronGroup):
    """N leaky integrate-and-fire neurons with an exponential synaptic current ``I``
    (in volts): its model is built here, from the constructor's parameters."""

    MODEL = """
    dv/dt = (E_L - v + I)/tau_m : volt (unless refractory)
    dI/dt = -I/tau_s : volt
    """

    def __init__(self, N, tau_m=20 * ms, tau_s=5 * ms, E_L=-70 * mV, V_t=-54 * mV,
                 V_r=-60 * mV, refractory=3 * ms, **kwds):
        constants = {"tau_m": tau_m, "tau_s": tau_s, "E_L": E_L, "V_t": V_t, "V_r": V_r}
        # plain attributes go in before NeuronGroup.__init__: afterwards, as in Brian 2,
        # only model variables may be set on the group
        self.E_L, self.V_t = E_L, V_t
        super().__init__(N, self.MODEL, threshold="v > V_t", reset="v = V_r",
                         refractory=refractory, method="exact", namespace=constants, **kwds)
        self.v = E_L

    def randomise(self, rng) -> None:
        """Start every membrane potential somewhere between rest and threshold."""
        self.v = self.E_L + rng.uniform(0, 1, len(self)) * (self.V_t - self.E_L)


class DrivenPopulation(Network):
    """A LIFPopulation driven by Poisson inputs, with its monitors, as one Network."""

    def __init__(self, input_rate, n_inputs=400, n_neurons=100, p=0.1, w=6 * mV, rng=None):
        super().__init__()
        self.input_rate = input_rate
        self.inputs = PoissonGroup(n_inputs, rates=input_rate)
        self.neurons = LIFPopulation(n_neurons)
        self.synapses = Synapses(self.inputs, self.neurons, on_pre="I_post += w",
                                 namespace={"w": w})
        self.synapses.connect(p=p)
        self.spikes = SpikeMonitor(self.neurons)
        self.rate = PopulationRateMonitor(self.neurons)
        if rng is not None:
            self.neurons.randomise(rng)
        self.add(self.inputs, self.neurons, self.synapses, self.spikes, self.rate)

    def mean_rate(self) -> float:
        """Mean firing rate of the population so far, in Hz."""
        return self.spikes.num_spikes / len(self.neurons) / float(self.t)


def main(out: str = "derived_classes.png", short: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim import seed

    seed(1)
    rng = np.random.default_rng(1)
    duration = 300 * ms if short else 2000 * ms
    networks = [DrivenPopulation(rate, rng=rng) for rate in (10 * Hz, 15 * Hz)]
    for net in networks:
        net.run(duration)
    for net in networks:
        print(f"input {float(net.input_rate):g} Hz: {len(net.synapses)} synapses, "
              f"mean output rate {net.mean_rate():.2f} Hz")

    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True,
                             gridspec_kw={"height_ratios": [2, 1]})
    for col, net in enumerate(networks):
        axes[0, col].plot(net.spikes.t / ms, net.spikes.i, "|k", ms=2)
        axes[0, col].set(title=f"DrivenPopulation(input_rate={float(net.input_rate):g} Hz)",
                         ylabel="neuron", ylim=(-1, len(net.neurons)))
        smooth = net.rate.smooth_rate(window="flat", width=10 * ms) / Hz
        axes[1, col].plot(net.rate.t / ms, smooth)
        axes[1, col].axhline(net.mean_rate(), color="r", ls="--", lw=0.8,
                             label=f"mean {net.mean_rate():.1f} Hz")
        axes[1, col].set(xlabel="time (ms)", ylabel="rate (Hz)")
        axes[1, col].legend(fontsize=8, loc="upper right")
    fig.suptitle("subclasses: LIFPopulation(NeuronGroup) inside DrivenPopulation(Network)")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=100)
    print(f"wrote {path.resolve()}")
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    is_short = "--short" in args or os.environ.get("HEARSIM_EXAMPLE_SHORT") == "1"
    files = [a for a in args if not a.startswith("--")]
    main(files[0] if files else "derived_classes.png", is_short)

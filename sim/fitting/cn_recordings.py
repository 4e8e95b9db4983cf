"""Synthetic cochlear-nucleus recordings for fitting (issue 8's use case).

Rothman & Manis (2003) type I-c (stellate, regular firing) and type II (bushy,
onset firing) models, each driven by a noisy current (a mean plus an
Ornstein-Uhlenbeck process with a 2 ms time constant), integrated with
``exponential_euler`` at 25 us; the current is held over 0.1 ms samples, which
is the resolution at which it is stored.  :func:`generate` makes a recording
with this project's simulator; :func:`load` reads the ones shipped with the
package (made by ``generate(cell_type)`` with the defaults below).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["generate", "load", "SETTINGS", "DATA_DIR"]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Mean and standard deviation (pA) of the injected current, per cell type.
SETTINGS = {"type1c": (90.0, 60.0), "type2": (250.0, 250.0)}


def _current(mean_pA: float, std_pA: float, n: int, dt: float, seed: int) -> np.ndarray:
    """Mean + Ornstein-Uhlenbeck noise (tau 2 ms), exact discretisation, in amp."""
    rng = np.random.default_rng(seed)
    decay = np.exp(-dt / 2e-3)
    kicks = rng.standard_normal(n) * np.sqrt(1 - decay**2)
    noise = np.empty(n)
    value = 0.0
    for k in range(n):
        value = value * decay + kicks[k]
        noise[k] = value
    return (mean_pA + std_pA * noise) * 1e-12


def generate(cell_type: str, duration: float = 2.0, seed: int = 2003,
             dt_input: float = 1e-4) -> dict[str, np.ndarray]:
    """Simulate a recording: ``{'current': amp every dt_input, 'spikes': seconds,
    'dt': dt_input}``.  ``duration`` in seconds."""
    from sim import Network, NeuronGroup, SpikeMonitor, TimedArray, amp, ms, mV, second
    from sim.models import rothman_manis

    if cell_type not in SETTINGS:
        raise ValueError(f"No recording settings for {cell_type!r} (known: {list(SETTINGS)})")
    n = int(round(duration / dt_input))
    current = _current(*SETTINGS[cell_type], n, dt_input, seed)
    eqs, namespace = rothman_manis.model(cell_type)
    eqs = eqs.replace("\nI : amp\n", "\nI = drive(t) : amp\n")
    namespace = dict(namespace, drive=TimedArray(current * amp, dt=dt_input * second))
    G = NeuronGroup(1, eqs, method="exponential_euler", threshold="v > -20*mV",
                    refractory="v > -20*mV", namespace=namespace, dt=0.025 * ms)
    G.v = -64 * mV
    G.m, G.h, G.n, G.p, G.r = 0.03, 0.6, 0.2, 0.1, 0.1
    G.w, G.z, G.a, G.b, G.c = 0.5, 0.6, 0.1, 0.6, 0.6
    spikes = SpikeMonitor(G)
    Network(G, spikes).run(duration * second)
    return {"current": current, "spikes": np.asarray(spikes.t_), "dt": np.float64(dt_input)}


def load(cell_type: str) -> dict[str, np.ndarray]:
    """The shipped recording of a cell type (see :func:`generate`)."""
    path = DATA_DIR / f"cn_{cell_type}.npz"
    if not path.exists():
        raise FileNotFoundError(f"No shipped recording for {cell_type!r} at {path}")
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


if __name__ == "__main__":  # regenerate the shipped files
    DATA_DIR.mkdir(exist_ok=True)
    for name in SETTINGS:
        rec = generate(name)
        np.savez_compressed(DATA_DIR / f"cn_{name}.npz", current=rec["current"],
                            spikes=rec["spikes"], dt=rec["dt"])
        print(name, len(rec["spikes"]), "spikes")

"""Random numbers for simulations: counter-based streams, the same on every target.

Every random call site in generated code draws from its own Philox-4x32-10
stream, keyed by (seed, object, call site) and counted by (time step, element
index): the numbers do not depend on the target, on vectorisation, or on how
a run is split into several ``run()`` calls.  ``seed(n)`` makes runs
reproducible; without it a seed is drawn from the operating system once per
process (and by ``seed()``).
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["seed", "get_seed", "stream_keys", "next_assignment_stream", "get_state", "set_state",
           "new_epoch", "epoch"]


def _fresh_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")


#: ``epoch``: how many times a network was restored without its random state; the
#: streams of each epoch are new ones, so trials run from one stored state draw new
#: noise (Brian 2's generator carries on across ``restore()``)
_state: dict[str, int] = {"seed": _fresh_seed(), "assignments": 0, "explicit": 0,
                          "epoch": 0}


def seed(value: int | None = None) -> None:
    """Seed the simulator's random numbers (``None``: fresh entropy), and numpy's global
    generator, as Brian 2 does."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0
        or value >= 2**64
    ):
        raise ValueError(f"seed must be an integer in [0, 2**64) or None, got {value!r}")
    _state["seed"] = _fresh_seed() if value is None else int(value)
    _state["explicit"] = int(value is not None)
    _state["assignments"] = 0
    _state["epoch"] = 0
    # as Brian 2's seed(): numpy's global generator too (sounds' noise, user code)
    np.random.seed(None if value is None else int(value) % 2**32)


def get_seed() -> int:
    """The seed in use."""
    return _state["seed"]


def stream_keys(stream: str, n_sites: int) -> np.ndarray:
    """Philox keys (``n_sites`` x 2, int64) of the call sites of one object's code."""
    from sim.codegen.philox import stream_key

    keys = np.zeros((max(n_sites, 1), 2), dtype=np.int64)
    epoch = _state.get("epoch", 0)
    name = stream if epoch == 0 else f"{stream}@{epoch}"
    for site in range(n_sites):
        keys[site] = stream_key(_state["seed"], name, site)
    return keys


def new_epoch() -> None:
    """Streams from now on are new ones (after ``restore()`` without the random state)."""
    _state["epoch"] = _state.get("epoch", 0) + 1


def epoch() -> int:
    return _state.get("epoch", 0)


def next_assignment_stream(kind: str = "assignment") -> str:
    """Stream name for the next random operation outside a run (``G.v = 'rand()'``,
    ``S.connect(p=0.1)``): counted since the last :func:`seed`, so the same script
    draws the same numbers."""
    _state["assignments"] += 1
    return f"{kind}#{_state['assignments']}"


def get_state() -> dict:
    """What determines future random numbers (for store/restore)."""
    return dict(_state)


def set_state(state: dict) -> None:
    _state.update(state)

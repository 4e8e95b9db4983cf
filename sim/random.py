"""Random numbers for simulations: one seeded generator per target.

``seed(n)`` makes runs reproducible.  The numpy target draws from a numpy
``Generator``; ``seed()`` without argument re-seeds from the operating system.
"""

from __future__ import annotations

import numpy as np

__all__ = ["seed", "get_numpy_generator", "get_seed"]

_state: dict[str, object] = {"seed": None, "generator": np.random.default_rng()}


def seed(value: int | None = None) -> None:
    """Seed the simulator's random numbers (``None``: fresh entropy)."""
    if value is not None and (not isinstance(value, int | np.integer) or value < 0):
        raise ValueError(f"seed must be a non-negative integer or None, got {value!r}")
    _state["seed"] = None if value is None else int(value)
    _state["generator"] = np.random.default_rng(_state["seed"])


def get_seed() -> int | None:
    """The seed last given to :func:`seed` (``None`` if unseeded)."""
    return _state["seed"]


def get_numpy_generator() -> np.random.Generator:
    """The generator the numpy target draws from."""
    return _state["generator"]


def get_state() -> dict:
    """The generator's state (for store/restore)."""
    return {"seed": _state["seed"], "bit_generator": _state["generator"].bit_generator.state}


def set_state(state: dict) -> None:
    _state["seed"] = state["seed"]
    gen = np.random.default_rng()
    gen.bit_generator.state = state["bit_generator"]
    _state["generator"] = gen

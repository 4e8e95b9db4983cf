"""Shared fixtures of the hears tests."""

import numpy as np
import pytest

from sounds import Sound

SR = 44100.0


@pytest.fixture
def noise() -> Sound:
    """100 ms of reproducible white noise at 44.1 kHz (mono)."""
    return Sound(np.random.default_rng(1).standard_normal(4410), samplerate=SR)


@pytest.fixture
def stereo_noise() -> Sound:
    """50 ms of reproducible two-channel white noise at 44.1 kHz."""
    return Sound(np.random.default_rng(2).standard_normal((2205, 2)), samplerate=SR)


@pytest.fixture
def make_impulse():
    """``make_impulse(n, samplerate=44100)``: a unit impulse followed by zeros (a Sound)."""

    def make(n: int, samplerate: float = SR) -> Sound:
        x = np.zeros(n)
        x[0] = 1.0
        return Sound(x, samplerate=samplerate)

    return make

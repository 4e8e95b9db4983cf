"""Test isolation: every test starts a fresh scope with default preferences."""

import pytest

from sim import defaultclock, prefs, start_scope
from sim.units import ms


@pytest.fixture(autouse=True)
def _fresh_scope():
    start_scope()
    prefs.reset()
    defaultclock.dt = 0.1 * ms
    yield
    prefs.reset()
    defaultclock.dt = 0.1 * ms

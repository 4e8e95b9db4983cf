"""Test isolation: every test starts a fresh scope with default preferences."""

import os

import pytest

from sim import defaultclock, prefs, start_scope
from sim.prefs import TARGETS
from sim.units import ms


@pytest.fixture(autouse=True)
def _fresh_scope():
    start_scope()
    prefs.reset()
    if os.environ.get("HEARSIM_TEST_TARGET"):
        prefs.codegen.target = os.environ["HEARSIM_TEST_TARGET"]
    defaultclock.dt = 0.1 * ms
    yield
    prefs.reset()
    defaultclock.dt = 0.1 * ms


@pytest.fixture(params=[t for t in ("numpy", "numba") if t in TARGETS])
def codegen_target(request):
    """Run a test once per code-generation target (the conformance suite)."""
    prefs.codegen.target = request.param
    return request.param

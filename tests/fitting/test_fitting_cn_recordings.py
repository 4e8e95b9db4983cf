"""The shipped cochlear-nucleus recordings: made by the project's own code, and fittable."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.fitting import cn_recordings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cell_type", ["type1c", "type2"])
def test_shipped_recordings_regenerate_from_the_models(cell_type):
    rec = cn_recordings.load(cell_type)
    assert rec["current"].shape == (20000,) and float(rec["dt"]) == 1e-4
    spikes = rec["spikes"]
    assert np.all(np.diff(spikes) > 0) and spikes[-1] < 2.0
    again = cn_recordings.generate(cell_type, duration=0.3)
    assert np.array_equal(again["current"], rec["current"][:3000])
    assert np.allclose(again["spikes"], spikes[spikes < 0.3], atol=1e-9)


def test_cell_types_differ_as_published():
    # type I-c fires regularly through the stimulus; type II (large KLT) fires only
    # on fast rising transients despite a larger drive
    stellate = cn_recordings.load("type1c")
    bushy = cn_recordings.load("type2")
    assert len(stellate["spikes"]) > 1.5 * len(bushy["spikes"])
    assert bushy["current"].mean() > stellate["current"].mean()
    with pytest.raises(ValueError, match="known"):
        cn_recordings.generate("type9")


@pytest.mark.slow
def test_adaptive_model_fits_the_stellate_recording():
    spec = importlib.util.spec_from_file_location("fit_cn", ROOT / "examples" /
                                                  "fit_cochlear_nucleus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fit_cn"] = module
    spec.loader.exec_module(module)
    assert module.main("type1c") > 0.5

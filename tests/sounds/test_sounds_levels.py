"""Levels in dB SPL and the dB type."""

import numpy as np
import pytest

from sim.units import kHz, ms
from sounds import Sound, dB, dB_error, dB_type, gain, silence, tone, whitenoise


@pytest.mark.parametrize("amplitude", [1.0, 0.02, 3.5])
def test_tone_level_matches_rms_formula(amplitude):
    s = amplitude * tone(1 * kHz, 100 * ms)  # exactly 100 cycles
    rms = np.sqrt(np.mean(np.asarray(s) ** 2))
    assert isinstance(s.level, dB_type)
    assert float(s.level) == pytest.approx(20 * np.log10(rms / 20e-6), abs=1e-9)
    assert float(s.level) == pytest.approx(20 * np.log10(amplitude / np.sqrt(2) / 20e-6),
                                           abs=1e-9)


@pytest.mark.parametrize("target", [0.0, 35.5, 60.0, 94.0, 120.0])
def test_atlevel_then_level_round_trips(target):
    for s in (tone(440, 1234), whitenoise(5000, rng=1), tone([300, 3000], 0.05) * [1.0, 1e-3]):
        out = s.atlevel(target * dB)
        levels = np.atleast_1d(np.asarray(out.level, dtype=float))
        np.testing.assert_allclose(levels, target, atol=1e-9, rtol=0)


def test_set_level_per_channel_in_place_and_maxlevel():
    s = whitenoise(4000, nchannels=3, rng=2)
    s.level = [50 * dB, 60 * dB, 70 * dB]
    np.testing.assert_allclose(s.level, [50, 60, 70], atol=1e-9)
    assert isinstance(s.maxlevel, dB_type) and float(s.maxlevel) == pytest.approx(70)
    t = s.atmaxlevel(80 * dB)
    np.testing.assert_allclose(t.level, [60, 70, 80], atol=1e-9)  # differences kept
    np.testing.assert_allclose(s.level, [50, 60, 70], atol=1e-9)  # original untouched
    s.set_level(40 * dB)
    np.testing.assert_allclose(s.level, [40, 40, 40], atol=1e-9)


def test_level_errors():
    s = tone(1 * kHz, 10 * ms)
    with pytest.raises(dB_error, match="level must be in dB"):
        s.atlevel(60)
    with pytest.raises(ValueError, match="2 levels for a sound with 1 channel"):
        s.atlevel([60 * dB, 70 * dB])
    with pytest.raises(ValueError, match="silent channel"):
        silence(10).atlevel(60 * dB)
    assert float(silence(10).level) == -np.inf


def test_normalized_and_peak():
    s = Sound(np.column_stack([np.linspace(-2, 1, 50), np.linspace(0, 0.5, 50)]), 1000)
    n = s.normalized()
    assert n.peak == pytest.approx(1.0) and n[0, 0] == pytest.approx(-1.0)
    np.testing.assert_allclose(n[:, 1] / n[:, 0].max(), s[:, 1] / s[:, 0].max())  # ratios kept
    assert s.normalized(0.25).peak == pytest.approx(0.25)
    with pytest.raises(ValueError, match="silent"):
        silence(10).normalized()


def test_dB_type_arithmetic():
    assert 60 * dB + 3 * dB == 63 * dB
    assert isinstance(70 * dB - 10 * dB, dB_type) and float(70 * dB - 10 * dB) == 60
    assert float((60 * dB) / 2) == 30 and float(-(3 * dB)) == -3
    assert 50 * dB < 60 * dB and 60 * dB >= 60 * dB
    assert repr(60 * dB) == "60.0*dB"
    assert gain(20 * dB) == pytest.approx(10.0) and (6 * dB).gain() == pytest.approx(1.9953, 1e-4)
    for bad in (lambda: 60 * dB + 3, lambda: 3 - 60 * dB, lambda: (60 * dB) * (2 * dB),
                lambda: 60 * dB < 70, lambda: 60 * dB == 60, lambda: 2 ** (3 * dB),
                lambda: gain(6)):
        with pytest.raises(dB_error):
            bad()
    assert (60 * dB == "60") is False
    louder = tone(1 * kHz, 100 * ms) * gain(6 * dB)
    assert float(louder.level - tone(1 * kHz, 100 * ms).level) == pytest.approx(6, abs=1e-9)

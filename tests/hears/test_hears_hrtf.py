"""HRTFs (brian2hears' HRTF, HRTFSet, HeadlessDatabase): values brian2hears 0.9.2 gives
for the same script."""

import numpy as np
import pytest

from hears import (
    HRTF,
    HeadlessDatabase,
    HRTFSet,
    Repeat,
    Sound,
    make_coordinates,
)
from sim import kHz


@pytest.fixture()
def setup():
    hrtfset = HeadlessDatabase(13, samplerate=44.1 * kHz).load_subject()
    rng = np.random.RandomState(2)
    snd = Sound(rng.randn(441), samplerate=44.1 * kHz)
    return hrtfset, snd


def test_headless_database_itds_and_delays(setup):
    hrtfset, _ = setup
    assert len(hrtfset) == 13 and hrtfset.num_samples == 30
    assert np.allclose(hrtfset.coordinates["itd"][:3] * 1e6, [-650, -627.852, -562.917],
                       atol=1e-3)
    # itd < 0: the left ear leads, the right one is delayed by round(|itd| * rate)
    first = hrtfset[0]
    assert np.argmax(np.asarray(first.left)[:, 0]) == 0
    assert np.argmax(np.asarray(first.right)[:, 0]) == round(650e-6 * 44100)


def test_apply_subset_and_filterbank_match_brian2hears(setup):
    hrtfset, snd = setup
    h = hrtfset(azim=hrtfset.coordinates["azim"][2])
    out = h.apply(snd)
    assert out.shape == (441, 2)
    assert np.allclose(np.asarray(out)[25:30].ravel(),
                       [-0.236184, -0.416758, -0.637655, -0.056267, -1.187612, -2.136196,
                        -1.421217, 1.640271, -0.153495, -1.793436], atol=1e-6)
    sub = hrtfset.subset(lambda azim: azim > 0)
    assert np.allclose(sub.coordinates["azim"], np.pi / 12 * np.arange(1, 7))
    o = hrtfset.filterbank(Repeat(snd, 2 * len(hrtfset))).process()
    assert o.shape == (441, 26)
    assert np.allclose(o[30, [0, 13, 5, 18]], [-0.269057, -0.056267, -0.269057, -0.988779],
                       atol=1e-6)
    assert np.array_equal(hrtfset.fir_interleaved[1], hrtfset.fir_serial[13])


def test_hrtf_errors_are_clear(setup):
    hrtfset, snd = setup
    with pytest.raises(ValueError, match="mono"):
        hrtfset[0].apply(Sound(np.zeros((10, 2)), samplerate=44.1 * kHz))
    with pytest.raises(ValueError, match="sample rate"):
        hrtfset[0].apply(Sound(np.zeros(10), samplerate=20 * kHz))
    with pytest.raises(IndexError, match="No HRTF"):
        hrtfset(azim=5.0)
    with pytest.raises(ValueError, match="shape"):
        HRTFSet(np.zeros((3, 2, 4)), 44.1 * kHz, make_coordinates(a=[0, 1]))
    pair = HRTF(Sound(np.r_[1.0, 0.0], samplerate=44.1 * kHz),
                Sound(np.r_[0.0, 1.0], samplerate=44.1 * kHz))
    assert pair.fir.shape == (2, 2) and len(pair) == 2


def test_fractional_itds_use_windowed_sinc_delays_as_brian2hears():
    db = HeadlessDatabase(5, samplerate=44.1 * kHz, fractional_itds=True)
    hs = db.load_subject()
    assert hs.num_samples == 2048 and np.isclose(float(db.delay_offset), 1024 / 44100)
    assert np.allclose(hs.data[0, 1, 1020:1026],
                       [0.021292, -0.018307, 0.016056, -0.014298, 0.012887, -0.011729],
                       atol=1e-6)
    assert np.allclose(hs.data[1, 0, 1030:1034], [0.033029, -0.037534, 0.043463, -0.051614],
                       atol=1e-6)


def test_brian2hears_names_for_fir_filterbanks_and_sample_rates():
    from hears import (
        BaseSound,
        FFTFIRFilterbank,
        FIRFilterbank,
        LinearFIRFilterbank,
        get_default_samplerate,
        get_samplerate,
    )

    assert BaseSound is Sound and get_samplerate(None) == get_default_samplerate()
    assert get_samplerate(20 * kHz) == 20 * kHz
    rng = np.random.RandomState(0)
    snd = Sound(rng.randn(400), samplerate=20 * kHz)
    ir = rng.randn(3, 50)
    ref = FIRFilterbank(Repeat(snd, 3), ir).process()
    assert np.allclose(LinearFIRFilterbank(Repeat(snd, 3), ir).process(), ref)
    assert np.allclose(FFTFIRFilterbank(Repeat(snd, 3), ir).process(), ref)


def test_exprel_at_python_level():
    from sim import exprel, mV

    assert exprel(0) == 1.0 and np.isclose(exprel(1.0), np.e - 1)
    with pytest.raises(Exception, match="dimensionless"):
        exprel(2 * mV)

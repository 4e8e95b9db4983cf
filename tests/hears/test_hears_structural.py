"""Nonlinear and structural filterbanks: routing, functions, sums, arithmetic, control."""

import numpy as np
import pytest

from hears import (
    CombinedFilterbank,
    ControlFilterbank,
    Filterbank,
    FunctionFilterbank,
    Gammatone,
    Interleave,
    Join,
    LinearFilterbank,
    Repeat,
    RestructureFilterbank,
    Sound,
    SumFilterbank,
    Tile,
)
from sim.units import ms

SR = 44100.0


def labelled(*labels, n=20):
    """A Sound whose channel i is the constant labels[i] (to follow channels through)."""
    return Sound(np.tile(np.asarray(labels, dtype=float), (n, 1)), samplerate=SR)


def channels(fb, buffersize=7):
    out = fb.process(buffersize=buffersize)
    assert np.all(out == out[0])  # constant in time
    return out[0].tolist()


def test_repeat_tile_join_interleave_route_channels():
    ab = labelled(1, 2)
    cd = labelled(3, 4)
    assert channels(Repeat(ab, 3)) == [1, 1, 1, 2, 2, 2]
    assert channels(Tile(ab, 3)) == [1, 2, 1, 2, 1, 2]
    assert channels(Join(ab, cd)) == [1, 2, 3, 4]
    assert channels(Join([ab, cd, ab])) == [1, 2, 3, 4, 1, 2]
    assert channels(Interleave(ab, cd)) == [1, 3, 2, 4]
    assert channels(RestructureFilterbank((ab, cd), 2, "serial", 3)) == [1, 1, 2, 2, 3, 3, 4, 4] * 3
    assert channels(RestructureFilterbank((ab, cd), 2, "interleave")) == [1, 3, 1, 3, 2, 4, 2, 4]
    assert channels(RestructureFilterbank((ab, cd), indexmapping=[3, 0, 0])) == [4, 1, 1]
    # restructuring filterbanks nest
    assert channels(Interleave(Repeat(ab, 2), Tile(cd, 2))) == [1, 3, 1, 4, 2, 3, 2, 4]


def test_restructure_bad_input_is_named():
    ab = labelled(1, 2)
    with pytest.raises(ValueError, match="equal channel counts"):
        Interleave(ab, labelled(1, 2, 3))
    with pytest.raises(ValueError, match="indexmapping values"):
        RestructureFilterbank(ab, indexmapping=[0, 2])
    with pytest.raises(ValueError, match="numrepeat"):
        Repeat(ab, 0)
    with pytest.raises(ValueError, match="type"):
        RestructureFilterbank(ab, type="zigzag")
    with pytest.raises(ValueError, match="same sample rate"):
        Join(ab, Sound(np.zeros((20, 2)), samplerate=8000))


def test_function_filterbank_rectification_and_compression(noise):
    g = Gammatone(noise, [500, 1000, 2000])
    y = g.process()
    rect = FunctionFilterbank(g, lambda x: np.clip(x, 0, np.inf) ** (1 / 3))
    np.testing.assert_array_equal(rect.process(buffersize=11), np.clip(y, 0, np.inf) ** (1 / 3))
    # keyword parameters are passed to the function
    scaled = FunctionFilterbank(g, lambda x, k: k * x, k=4.0)
    np.testing.assert_array_equal(scaled.process(), 4.0 * y)
    # changing the channel count needs nchannels
    summed = FunctionFilterbank(g, lambda x: x.sum(axis=1, keepdims=True), nchannels=1)
    np.testing.assert_allclose(summed.process(buffersize=100)[:, 0], y.sum(axis=1), rtol=1e-13)
    # as brian2hears, a result that broadcasts to the chunk is accepted: one value per sample
    # is repeated in every channel (with a warning: nchannels=1 may have been forgotten)
    per_sample = FunctionFilterbank(g, lambda x: x.sum(axis=1, keepdims=True))
    with pytest.warns(UserWarning, match="set nchannels=1"):
        out = per_sample.process(buffersize=100)
    np.testing.assert_allclose(out, np.repeat(y.sum(axis=1, keepdims=True), 3, axis=1),
                               rtol=1e-13)
    held = FunctionFilterbank(g, lambda x: 2.5)  # a scalar held over each chunk
    np.testing.assert_array_equal(held.process(buffersize=7), np.full(y.shape, 2.5))
    gains = FunctionFilterbank(g, lambda x: np.array([1, 2, 3]))  # one per channel, ints
    np.testing.assert_array_equal(gains.process()[5], [1.0, 2.0, 3.0])
    bad = FunctionFilterbank(g, lambda x: np.ones(4))
    with pytest.raises(ValueError, match="returned shape \\(4,\\).*does not broadcast"):
        bad.process()
    with pytest.raises(TypeError, match="callable"):
        FunctionFilterbank(g, 3)


def test_function_of_several_sources(noise):
    g1 = Gammatone(noise, [500, 2000])
    g2 = Gammatone(noise, [700, 3000])
    y1, y2 = g1.process(), g2.process()
    hyp = FunctionFilterbank((g1, g2), lambda a, b: np.hypot(a, b))
    np.testing.assert_array_equal(hyp.process(buffersize=50), np.hypot(y1, y2))
    with pytest.raises(ValueError, match="same number of channels"):
        FunctionFilterbank((g1, Gammatone(noise, [100])), np.add)


def test_sum_filterbank_and_arithmetic(noise):
    g1 = Gammatone(noise, [500, 2000])
    g2 = Gammatone(noise, [800, 1600])
    y1, y2 = g1.process(), g2.process()
    np.testing.assert_array_equal(SumFilterbank((g1, g2)).process(), y1 + y2)
    np.testing.assert_array_equal(SumFilterbank((g1, g2), (2, -0.5)).process(), 2 * y1 - 0.5 * y2)
    cases = {
        "g1 + g2": (g1 + g2, y1 + y2),
        "g1 - g2": (g1 - g2, y1 - y2),
        "g1 * g2": (g1 * g2, y1 * y2),
        "g1 / (g2 + 10)": (g1 / (g2 + 10), y1 / (y2 + 10)),
        "3 - g1": (3 - g1, 3 - y1),
        "2 * g1 + 1": (2 * g1 + 1, 2 * y1 + 1),
        "1 / (g1 + 5)": (1 / (g1 + 5), 1 / (y1 + 5)),
        "-g1": (-g1, -y1),
        "g1 * [1, -2]": (g1 * np.array([1.0, -2.0]), y1 * np.array([1.0, -2.0])),
    }
    for name, (fb, expected) in cases.items():
        assert isinstance(fb, Filterbank), name
        np.testing.assert_allclose(fb.process(buffersize=13), expected, rtol=1e-14, err_msg=name)
    # a Sound as the other operand
    stereo = Sound(np.column_stack([np.asarray(noise)[:, 0]] * 2), samplerate=SR)
    np.testing.assert_allclose((stereo + g1).process(), np.asarray(stereo) + y1, rtol=1e-14)
    np.testing.assert_allclose((g1 - stereo).process(), y1 - np.asarray(stereo), rtol=1e-14)


def test_arithmetic_bad_operands_are_named(noise):
    g = Gammatone(noise, [500, 2000])
    with pytest.raises(ValueError, match="channel counts differ"):
        g + Gammatone(noise, [500, 1000, 2000])
    with pytest.raises(ValueError, match="one value per channel"):
        g * np.ones(3)
    with pytest.raises(ValueError, match="sample rates"):
        g + Sound(np.zeros((10, 2)), samplerate=8000)
    with pytest.raises(TypeError):
        g + "abc"


class Gain(Filterbank):
    def __init__(self, source, gain=1.0):
        Filterbank.__init__(self, source)
        self.gain = gain

    def buffer_apply(self, input):
        return self.gain * input


class GainController:
    """brian2hears' example: the gain drifts towards target_rms/rms."""

    def __init__(self, target, target_rms, tau):
        self.target, self.target_rms, self.tau = target, target_rms, tau
        self.sizes = []

    def reinit(self):
        self.sumsquare = 0.0
        self.numsamples = 0
        self.sizes = []
        self.target.gain = 1.0

    def __call__(self, input):
        self.sizes.append(input.shape[0])
        T = input.shape[0] / SR
        self.sumsquare += np.sum(input ** 2)
        self.numsamples += input.size
        rms = np.sqrt(self.sumsquare / self.numsamples)
        g = self.target.gain
        g_tgt = self.target_rms / rms
        self.target.gain = g_tgt + np.exp(-T / self.tau) * (g - g_tgt)


def test_control_filterbank_updates_targets_at_max_interval(noise):
    gain_fb = Gain(noise)
    updater = GainController(gain_fb, 0.2, 5 * 1e-3)
    control = ControlFilterbank(gain_fb, noise, gain_fb, updater, 1 * ms)
    out = control.process(buffersize=100)
    assert max(updater.sizes) == 44  # 1 ms at 44.1 kHz
    assert sum(updater.sizes) == noise.nsamples
    # the gain is constant within each 44-sample update interval ...
    ratio = out[:, 0] / np.asarray(noise)[:, 0]
    np.testing.assert_allclose(ratio[:44], 1.0)
    np.testing.assert_allclose(ratio[44:88], ratio[44], rtol=1e-12)
    # ... and drives the output RMS to the target
    assert abs(np.sqrt(np.mean(out[-1000:, 0] ** 2)) - 0.2) < 0.03
    # reinit() on buffer_init: a second run gives the same output
    np.testing.assert_array_equal(control.process(buffersize=100), out)


def test_time_varying_linear_filter_through_control(noise):
    # a one-pole low-pass whose coefficient is switched after 10 ms
    lp = LinearFilterbank(noise, [[0.5, 0, 0]], [[1.0, -0.5, 0]])

    class Switch:
        def reinit(self):
            self.n = 0
            lp.filt_b[0, 0, 0], lp.filt_a[0, 1, 0] = 0.5, -0.5

        def __call__(self, x):
            self.n += x.shape[0]
            if self.n >= 441:
                lp.filt_b[0, 0, 0], lp.filt_a[0, 1, 0] = 0.1, -0.9

    out = ControlFilterbank(lp, noise, lp, Switch(), 441).process(buffersize=441)[:, 0]
    x = np.asarray(noise)[:, 0]
    # transposed direct form: the state written at sample i uses sample i's coefficients
    y = np.zeros_like(x)
    z = 0.0
    for i, xi in enumerate(x):
        b0, a1 = (0.5, -0.5) if i < 441 else (0.1, -0.9)
        y[i] = b0 * xi + z
        z = -a1 * y[i]
    np.testing.assert_allclose(out, y, rtol=1e-12, atol=1e-14)


def test_combined_filterbank_reroutes_on_source_change(noise):
    class RectifiedGammatone(CombinedFilterbank):
        def __init__(self, source, cf):
            CombinedFilterbank.__init__(self, source)
            src = self.get_modified_source()
            self.set_output(FunctionFilterbank(Gammatone(src, cf), lambda x: np.maximum(x, 0)))

    fb = RectifiedGammatone(noise, [500, 1000, 1500])
    assert fb.nchannels == 3
    np.testing.assert_array_equal(fb.process(), np.maximum(Gammatone(noise, [500, 1000, 1500])
                                                           .process(), 0))
    other = Sound(np.random.default_rng(7).standard_normal(2000), samplerate=SR)
    fb.source = other
    out = fb.process()
    assert out.shape == (2000, 3)
    np.testing.assert_array_equal(out, np.maximum(Gammatone(other, [500, 1000, 1500])
                                                  .process(), 0))

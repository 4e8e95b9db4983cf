"""Issue 18: brian2hears' time-varying filter and IIR filterbank examples run with only their
imports changed. FunctionFilterbank results broadcast to the chunk as brian2hears' buffer
assignment does; IIRFilterbank accepts brian2hears' band forms and designs scipy's filters."""

import warnings

import numpy as np
import pytest
from scipy import signal

from hears import (
    ControlFilterbank,
    FunctionFilterbank,
    IIRFilterbank,
    LinearFilterbank,
    Sound,
    Tile,
)
from sim.units import DimensionMismatchError, Hz, kHz, ms

SR = 20000.0


@pytest.fixture
def noise():
    return Sound(np.random.default_rng(18).standard_normal(600), samplerate=SR * Hz)


def _noise3(noise):
    return Tile(noise, 3)


# ---------------------------------------------------------------------------------------------
# FunctionFilterbank: broadcastable results
# ---------------------------------------------------------------------------------------------

class _Counter:
    """Returns the number of earlier calls, in the shape ``shape`` (a per-chunk value)."""

    def __init__(self, shape=()):
        self.calls = 0
        self.sizes = []
        self.shape = shape

    def __call__(self, x):
        self.sizes.append(x.shape[0])
        k = self.calls
        self.calls += 1
        return np.full(self.shape, float(k))


def _held(sizes, nchannels):
    """Expected output: call k's value held over its chunk."""
    return np.repeat(np.arange(len(sizes), dtype=float), sizes)[:, None] * np.ones(nchannels)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 3), (3,)])
def test_a_per_chunk_value_is_held_over_the_chunk_in_every_channel(noise, shape):
    counter = _Counter(shape)
    fb = FunctionFilterbank(_noise3(noise), counter)
    out = fb.process(buffersize=7)
    assert out.shape == (600, 3)
    assert sum(counter.sizes) == 600 and counter.sizes[:2] == [7, 7]
    np.testing.assert_array_equal(out, _held(counter.sizes, 3))


def test_one_value_per_channel_and_per_sample(noise):
    three = _noise3(noise)
    per_channel = FunctionFilterbank(three, lambda x: np.array([1.0, -2.0, 5.0]))
    np.testing.assert_array_equal(per_channel.process(buffersize=11),
                                  np.tile([1.0, -2.0, 5.0], (600, 1)))
    x = np.asarray(noise)[:, 0]
    # (samples,) with one channel: one value per sample
    mono = FunctionFilterbank(noise, lambda s: 2 * s[:, 0])
    np.testing.assert_array_equal(mono.process(buffersize=13)[:, 0], 2 * x)
    # (samples, 1) with three channels: repeated in every channel (brian2hears), warned once
    rep = FunctionFilterbank(three, lambda s: s.sum(axis=1, keepdims=True))
    with pytest.warns(UserWarning, match="one value per sample") as rec:
        out = rep.process(buffersize=50)
    assert len([w for w in rec if "one value per sample" in str(w.message)]) == 1
    np.testing.assert_allclose(out, np.tile(3 * x[:, None], (1, 3)), rtol=1e-14)


def test_results_that_do_not_broadcast_name_the_function_and_the_shapes(noise):
    three = _noise3(noise)

    def two_columns(x):
        return x[:, :2]

    with pytest.raises(ValueError, match=r"two_columns.*\(7, 2\).*\(7, 3\)"):
        FunctionFilterbank(three, two_columns).process(buffersize=7)
    # a 1D array of the chunk length with several channels: brian2hears does not accept it
    with pytest.raises(ValueError, match=r"per_sample.*\(7,\).*\(7, 1\)"):
        def per_sample(x):
            return x[:, 0]
        FunctionFilterbank(three, per_sample).process(buffersize=7)
    with pytest.raises(ValueError, match=r"_Counter.*\(2,\)"):
        FunctionFilterbank(three, _Counter((2,))).process(buffersize=7)
    with pytest.raises(TypeError, match="dtype"):
        FunctionFilterbank(three, lambda x: np.array(["a"])).process(buffersize=7)
    # the existing hint for functions that change the channel count stays
    with pytest.raises(ValueError, match="set nchannels="):
        FunctionFilterbank(three, lambda x: x[:, :2]).process()


def test_quantities_give_si_values_and_ints_give_floats(noise):
    fb = FunctionFilterbank(_noise3(noise), lambda x: 5 * kHz)
    out = fb.process(buffersize=100)
    assert out.dtype.kind == "f"
    np.testing.assert_array_equal(out, np.full((600, 3), 5000.0))
    ints = FunctionFilterbank(noise, lambda x: np.ones(x.shape, dtype=int))
    got = ints.process()
    assert got.dtype == np.float64 and np.all(got == 1.0)


def test_maximum_buffer_size_calls_the_function_per_piece(noise):
    """brian2hears' time_varying_filter1 returns shape (1,) for each piece of at most
    update_interval samples: each piece holds its own value."""
    counter = _Counter((1,))
    fb = FunctionFilterbank(noise, counter)
    fb.maximum_buffer_size = 4
    out = fb.process(buffersize=10)
    assert max(counter.sizes) == 4 and counter.sizes[:3] == [4, 4, 2]
    np.testing.assert_array_equal(out, _held(counter.sizes, 1))


def _biquad(fc, q=5.0):
    w0 = 2 * np.pi * np.asarray(fc, dtype=float) / SR
    bw = 2 * np.arcsinh(1.0 / 2 / q) * 1.44269
    alpha = np.sin(w0) * np.sinh(np.log(2) / 2 * bw * w0 / np.sin(w0))
    b = np.array([np.sin(w0) / 2, 0.0 * w0, -np.sin(w0) / 2])
    a = np.array([1 + alpha, -2 * np.cos(w0), 1 - alpha])
    return b, a


def test_control_path_with_a_scalar_function_is_a_time_varying_biquad(noise):
    """time_varying_filter2's structure: a FunctionFilterbank returning a scalar centre
    frequency per sample drives a biquad's coefficients through a ControlFilterbank; the output
    equals a sample-by-sample scipy filter whose coefficients at sample n come from sample
    n - 1."""
    n = 400
    snd = Sound(np.asarray(noise)[:n], samplerate=SR * Hz)
    fcs = 4000 + 1500 * np.sin(2 * np.pi * 40 * np.arange(n) / SR)

    class Generator:
        def __init__(self):
            self.i = 0

        def __call__(self, x):
            fc = fcs[self.i] * Hz  # a scalar quantity, as in the example
            self.i += 1
            return fc

    b0, a0 = _biquad(5000.0)
    bp = LinearFilterbank(snd, b0[None, :], a0[None, :])

    def update(x):
        b, a = _biquad(x[-1, 0])
        bp.filt_b[0, :, 0] = b
        bp.filt_a[0, :, 0] = a

    ctrl = ControlFilterbank(bp, FunctionFilterbank(snd, Generator()), bp, update, 1)
    out = ctrl.process(buffersize=32)[:, 0]
    x = np.asarray(snd)[:, 0]
    ref = np.empty(n)
    zi = np.zeros((1, 2))
    b, a = b0, a0
    for i in range(n):
        sos = np.concatenate((b, a))[None, :] / a[0]
        y, zi = signal.sosfilt(sos, x[i:i + 1], zi=zi)
        ref[i] = y[0]
        b, a = _biquad(fcs[i])
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# IIRFilterbank: brian2hears' band forms, scipy's filters
# ---------------------------------------------------------------------------------------------

def _scipy_sos(wp, ws, gp, gs, ftype):
    return signal.iirdesign(wp, ws, gp, gs, ftype=ftype, output="sos", fs=SR)


def _assert_channel_is(fb, i, sos):
    """Channel i's sections are scipy's (padded with identity sections)."""
    k = sos.shape[0]
    np.testing.assert_allclose(fb.filt_b[i, :, :k], sos[:, :3].T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fb.filt_a[i, :, :k], sos[:, 3:].T, rtol=1e-12, atol=1e-15)
    assert np.all(fb.filt_b[i, :, k:] == np.array([[1.0], [0.0], [0.0]]))


@pytest.mark.parametrize("layout", ["1d", "row", "column", "list_of_quantities"])
def test_lowpass_edges_per_channel_in_every_layout(noise, layout):
    wp = np.array([500.0, 1000.0, 3000.0])
    ws = wp * 1.4
    arg = {"1d": lambda v: v * Hz, "row": lambda v: v[None, :] * Hz,
           "column": lambda v: v[:, None] * Hz,
           "list_of_quantities": lambda v: [f / 1000 * kHz for f in v]}[layout]
    fb = IIRFilterbank(noise, 3, arg(wp), arg(ws), 1, 40, "low", "cheby1")
    assert fb.nchannels == 3 and fb.btype == "low"
    for i in range(3):
        _assert_channel_is(fb, i, _scipy_sos(wp[i], ws[i], 1, 40, "cheby1"))
    np.testing.assert_allclose(np.asarray(fb.passband), wp)
    assert fb.order == max(len(signal.iirdesign(a, b, 1, 40, ftype="cheby1", output="zpk",
                                                fs=SR)[1]) for a, b in zip(wp, ws, strict=True))
    x = np.asarray(noise)[:, 0]
    out = fb.process()
    for i in range(3):
        np.testing.assert_allclose(out[:, i], signal.sosfilt(
            _scipy_sos(wp[i], ws[i], 1, 40, "cheby1"), x), rtol=1e-10, atol=1e-13)


def test_bands_common_and_per_channel(noise):
    common = IIRFilterbank(noise, 4, [1 * kHz, 2 * kHz], [700 * Hz, 2600 * Hz], 0.5, 30,
                           "bandpass", "ellip")
    ref = _scipy_sos([1000, 2000], [700, 2600], 0.5, 30, "ellip")
    for i in range(4):
        _assert_channel_is(common, i, ref)
    assert common.passband.shape == (4, 2)
    cf = np.linspace(500.0, 3000.0, 5)
    bw = np.linspace(100.0, 600.0, 5)
    wp = np.vstack((cf - bw / 2, cf + bw / 2))
    ws = np.vstack((cf - 1.5 * bw, cf + 1.5 * bw))
    per = IIRFilterbank(noise, 5, wp * Hz, ws * Hz, [1, 1, 2, 2, 3], 20, "bandpass", "cheby2")
    for i, g in enumerate([1, 1, 2, 2, 3]):
        _assert_channel_is(per, i, _scipy_sos(wp[:, i], ws[:, i], g, 20, "cheby2"))
    stop = IIRFilterbank(noise, 5, ws * Hz, wp * Hz, 1, 20, "bandstop", "butter")
    assert stop.btype == "bandstop"
    for i in range(5):
        _assert_channel_is(stop, i, _scipy_sos(ws[:, i], wp[:, i], 1, 20, "butter"))
    # with two channels a 1D pair is one band for both (brian2hears' common pair)
    two = IIRFilterbank(noise, 2, [1000, 2000], [700, 2600], 1, 30, "bandpass", "ellip")
    _assert_channel_is(two, 1, _scipy_sos([1000, 2000], [700, 2600], 1, 30, "ellip"))
    # ... and one edge per channel for btype 'low'
    low2 = IIRFilterbank(noise, 2, [1000, 2000], [1500, 3000], 1, 30, "low", "ellip")
    _assert_channel_is(low2, 1, _scipy_sos(2000, 3000, 1, 30, "ellip"))


def test_the_edges_decide_the_filter_type_as_in_brian2hears(noise):
    """brian2hears passes the edges to iirdesign without btype: its IIRfilterbank example
    asks for 'bandstop' with the passband inside the stopband and gets band-pass filters."""
    cf = np.linspace(200.0, 1000.0, 6)
    bw = np.linspace(50.0, 300.0, 6)
    wp = np.vstack((cf - bw / 2, cf + bw / 2))
    ws = np.vstack((cf - 1.1 * bw, cf + 1.1 * bw))
    with pytest.warns(UserWarning, match="btype='bandstop'.*'bandpass'.*6 of 6"):
        fb = IIRFilterbank(noise, 6, wp * Hz, ws * Hz, 1, 10, "bandstop", "cheby1")
    assert fb.btype == "bandpass"
    for i in range(6):
        _assert_channel_is(fb, i, _scipy_sos(wp[:, i], ws[:, i], 1, 10, "cheby1"))
    with pytest.warns(UserWarning, match="'high'"):
        hp = IIRFilterbank(noise, 1, 2000, 1000, 1, 40, "low", "butter")
    _assert_channel_is(hp, 0, _scipy_sos(2000, 1000, 1, 40, "butter"))
    with pytest.warns(UserWarning, match="1 of 2"):
        mixed = IIRFilterbank(noise, 2, [1000, 3000], [1500, 2000], 1, 40, "low", "butter")
    assert mixed.btype == ("low", "high")
    # a band btype with one edge per channel (shape (1, n)) gives low/high-pass filters
    with pytest.warns(UserWarning):
        IIRFilterbank(noise, 3, [[500, 1000, 1500]], [[800, 1400, 2000]], 1, 30, "bandpass",
                      "ellip")
    # no warning when btype agrees
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        IIRFilterbank(noise, 1, 1000, 2000, 1, 40, "low", "butter")


def test_scipy_names_for_btype_and_ftype(noise):
    ref = IIRFilterbank(noise, 2, 1000, 1600, 1, 40, "low", "ellip")
    for btype in ("lowpass", "lp", "l"):
        fb = IIRFilterbank(noise, 2, 1000, 1600, 1, 40, btype, "ellip")
        np.testing.assert_array_equal(fb.filt_b, ref.filt_b)
    for ftype in ("elliptic", "cauer"):
        fb = IIRFilterbank(noise, 2, 1000, 1600, 1, 40, "low", ftype)
        np.testing.assert_array_equal(fb.filt_a, ref.filt_a)
    bp = IIRFilterbank(noise, 1, [1000, 2000], [700, 2600], 1, 30, "bp", "chebyshev1")
    _assert_channel_is(bp, 0, _scipy_sos([1000, 2000], [700, 2600], 1, 30, "cheby1"))


def test_iir_errors_name_the_culprit(noise):
    with pytest.raises(ValueError, match="Bessel"):
        IIRFilterbank(noise, 1, 1000, 2000, 1, 40, "low", "bessel")
    with pytest.raises(ValueError, match="ftype"):
        IIRFilterbank(noise, 1, 1000, 2000, 1, 40, "low", "gauss")
    with pytest.raises(ValueError, match="btype"):
        IIRFilterbank(noise, 1, 1000, 2000, 1, 40, "notch", "ellip")
    with pytest.raises(ValueError, match=r"passband.*\(2, 3\).*transpose"):
        IIRFilterbank(noise, 3, np.ones((3, 2)) * 1000, np.ones((3, 2)) * 800, 1, 40,
                      "bandpass", "ellip")
    with pytest.raises(ValueError, match=r"stopband.*shape \(4,\)"):
        IIRFilterbank(noise, 3, [1000, 1100, 1200], [1500, 1600, 1700, 1800], 1, 40, "low",
                      "ellip")
    with pytest.raises(ValueError, match="two values"):
        IIRFilterbank(noise, 3, [1000, 2000], [700, 2600], 1, 40, "low", "ellip")
    with pytest.raises(ValueError, match="both be single edges or both bands"):
        IIRFilterbank(noise, 1, [[1000], [2000]], 1500, 1, 40, "bandpass", "ellip")
    with pytest.raises(ValueError, match="strictly inside.*channel 1"):
        IIRFilterbank(noise, 2, [[1000, 1000], [2000, 2000]], [[700, 1200], [2600, 2600]],
                      1, 30, "bandpass", "ellip")
    with pytest.raises(ValueError, match="Nyquist"):
        IIRFilterbank(noise, 1, 9000, 11000, 1, 40, "low", "ellip")
    with pytest.raises(ValueError, match="equal"):
        IIRFilterbank(noise, 1, 1000, 1000, 1, 40, "low", "ellip")
    with pytest.raises(ValueError, match=r"gpass <= gstop.*channel 1"):
        IIRFilterbank(noise, 2, 1000, 2000, [1, 50], 40, "low", "ellip")
    with pytest.raises(ValueError, match="gpass"):
        IIRFilterbank(noise, 2, 1000, 2000, [1, 2, 3], 40, "low", "ellip")
    with pytest.raises(DimensionMismatchError, match="passband"):
        IIRFilterbank(noise, 1, 1 * ms, 2000, 1, 40, "low", "ellip")


# ---------------------------------------------------------------------------------------------
# brian2hears' examples with only the imports changed (short durations, Agg backend)
# ---------------------------------------------------------------------------------------------

_TIME_VARYING_FILTER2 = '''
from sim import *
from hears import *

samplerate = 20*kHz
SoundDuration = 30*ms
sound = whitenoise(SoundDuration, samplerate).ramp()
nchannels = 1
fc_init = 5000*Hz
Q = 5
update_interval = 1
mean_center_freq = 4*kHz
amplitude = 1500*Hz
frequency = 10*Hz

class CenterFrequencyGenerator(object):
    def __init__(self):
        self.t=0*second

    def __call__(self, input):
        fc = mean_center_freq+amplitude*sin(2*pi*frequency*self.t)
        self.t = self.t+1./samplerate
        return fc

center_frequency = CenterFrequencyGenerator()
fc_generator = FunctionFilterbank(sound, center_frequency)

class CoeffController(object):
    def __init__(self, target):
        self.BW = 2*arcsinh(1./2/Q)*1.44269
        self.target=target

    def __call__(self, input):
        fc = input[-1,:]
        w0 = 2*pi*fc/array(samplerate)
        alpha = sin(w0)*sinh(log(2)/2*self.BW*w0/sin(w0))
        self.target.filt_b[:, 0, 0] = sin(w0)/2
        self.target.filt_b[:, 1, 0] = 0
        self.target.filt_b[:, 2, 0] = -sin(w0)/2
        self.target.filt_a[:, 0, 0] = 1+alpha
        self.target.filt_a[:, 1, 0] = -2*cos(w0)
        self.target.filt_a[:, 2, 0] = 1-alpha

w0 = 2*pi*fc_init/samplerate
BW = 2*arcsinh(1./2/Q)*1.44269
alpha = sin(w0)*sinh(log(2)/2*BW*w0/sin(w0))
filt_b = zeros((nchannels, 3, 1))
filt_a = zeros((nchannels, 3, 1))
filt_b[:, 0, 0] = sin(w0)/2
filt_b[:, 1, 0] = 0
filt_b[:, 2, 0] = -sin(w0)/2
filt_a[:, 0, 0] = 1+alpha
filt_a[:, 1, 0] = -2*cos(w0)
filt_a[:, 2, 0] = 1-alpha
bandpass_filter = LinearFilterbank(sound, filt_b, filt_a)
updater = CoeffController(bandpass_filter)
control = ControlFilterbank(bandpass_filter, fc_generator, bandpass_filter,
                            updater, update_interval)
time_varying_filter_mon = control.process()

figure(1)
pxx, freqs, bins, im = specgram(squeeze(time_varying_filter_mon),
                                NFFT=256, Fs=float(samplerate), noverlap=240)
imshow(flipud(pxx), aspect='auto')
show()
'''

_TIME_VARYING_FILTER1_OU = '''
from sim import *
from hears import *

samplerate = 20*kHz
SoundDuration = 30*ms
sound = whitenoise(SoundDuration, samplerate).ramp()
nchannels = 1
fc_init = 5000*Hz
Q = 5
update_interval = 4
s_i = 1200*Hz
tau_i = 100*ms
mu_i = fc_init/tau_i
sigma_i = sqrt(2)*s_i/sqrt(tau_i)
deltaT = defaultclock.dt

noise = lambda x: mu_i*deltaT+sigma_i*randn(1)*sqrt(deltaT)
noise_generator = FunctionFilterbank(sound, noise)
'''


def _run_example(source):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = {}
    try:
        exec(compile(source, "<brian2hears example>", "exec"), ns)
    finally:
        plt.close("all")
    return ns


def test_time_varying_filter2_example_runs_and_follows_the_centre_frequency():
    ns = _run_example(_TIME_VARYING_FILTER2)
    out = np.asarray(ns["time_varying_filter_mon"])
    assert out.shape == (600, 1) and np.all(np.isfinite(out))
    # the coefficients in the end are those of the last centre frequency
    t_last = 599 / SR
    fc = 4000 + 1500 * np.sin(2 * np.pi * 10 * t_last)
    b, a = _biquad(fc)
    np.testing.assert_allclose(ns["bandpass_filter"].filt_a[0, :, 0], a, rtol=1e-12)
    np.testing.assert_allclose(ns["bandpass_filter"].filt_b[0, :, 0], b, rtol=1e-12, atol=1e-15)


def test_time_varying_filter1_noise_generator_holds_one_value_per_update():
    ns = _run_example(_TIME_VARYING_FILTER1_OU)
    gen = ns["noise_generator"]
    gen.maximum_buffer_size = 4  # what ControlFilterbank(..., update_interval=4) sets
    out = np.asarray(gen.process(buffersize=32))[:, 0]
    assert out.shape == (600,)
    blocks = out.reshape(-1, 4)
    assert np.all(blocks == blocks[:, :1])  # one value per 4-sample update
    assert np.unique(blocks[:, 0]).size == 150  # a new draw each update
    # the values are the example's noise term in Hz: mean mu*dt = 5 Hz, spread
    # sigma*sqrt(dt) = sqrt(2)*1200 Hz*sqrt(dt/tau) = 53.7 Hz
    spread = np.sqrt(2) * 1200 * np.sqrt(1e-4 / 0.1)
    assert abs(blocks[:, 0].mean() - 5.0) < 5 * spread / np.sqrt(150)
    assert 0.7 * spread < blocks[:, 0].std() < 1.3 * spread


def test_iir_filterbank_example_runs():
    src = '''
from sim import *
from hears import *

sound = whitenoise(20*ms).ramp()
sound.level = 50*dB
nchannels = 50
center_frequencies = linspace(200*Hz, 1000*Hz, nchannels)
bw = linspace(50*Hz, 300*Hz, nchannels)
gpass = 1.*dB
gstop = 10.*dB
passband = vstack((center_frequencies-bw/2, center_frequencies+bw/2))
stopband = vstack((center_frequencies-1.1*bw, center_frequencies+1.1*bw))
filterbank = IIRFilterbank(sound, nchannels, passband, stopband, gpass, gstop,
                           'bandstop', 'cheby1')
filterbank_mon = filterbank.process()
figure()
subplot(211)
imshow(flipud(filterbank_mon.T), aspect='auto')
nchannels = 50
cutoff_frequencies = linspace(100*Hz, 1000*Hz, nchannels)
width_transition = linspace(50*Hz, 300*Hz, nchannels)
gpass = 1*dB
gstop = 10*dB
passband = cutoff_frequencies-width_transition/2
stopband = cutoff_frequencies+width_transition/2
filterbank2 = IIRFilterbank(sound, nchannels, passband, stopband, gpass, gstop,
                           'low','cheby1')
filterbank_mon2=filterbank2.process()
subplot(212)
imshow(flipud(filterbank_mon2.T), aspect='auto')
show()
'''
    with pytest.warns(UserWarning, match="'bandpass'"):
        ns = _run_example(src)
    fb, fb2 = ns["filterbank"], ns["filterbank2"]
    n = ns["sound"].shape[0]
    assert np.asarray(ns["filterbank_mon"]).shape == (n, 50)
    assert np.asarray(ns["filterbank_mon2"]).shape == (n, 50)
    cf = np.linspace(200.0, 1000.0, 50)
    bw = np.linspace(50.0, 300.0, 50)
    sr = float(ns["sound"].samplerate)
    for i in (0, 25, 49):
        sos = signal.iirdesign([cf[i] - bw[i] / 2, cf[i] + bw[i] / 2],
                               [cf[i] - 1.1 * bw[i], cf[i] + 1.1 * bw[i]], 1, 10,
                               ftype="cheby1", output="sos", fs=sr)
        np.testing.assert_allclose(fb.sos()[i, :sos.shape[0]], sos, rtol=1e-9, atol=1e-14)
        c = np.linspace(100.0, 1000.0, 50)[i]
        w = np.linspace(50.0, 300.0, 50)[i]
        sos2 = signal.iirdesign(c - w / 2, c + w / 2, 1, 10, ftype="cheby1", output="sos",
                                fs=sr)
        np.testing.assert_allclose(fb2.sos()[i, :sos2.shape[0]], sos2, rtol=1e-9, atol=1e-14)

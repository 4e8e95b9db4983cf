"""FilterbankGroup: a filterbank's output drives neurons, one sample per time step."""

import numpy as np
import pytest

from hears import (
    FilterbankGroup,
    FunctionFilterbank,
    Gammatone,
    dB,
    erbspace,
    tone,
    whitenoise,
)
from sim import (
    Hz,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    kHz,
    ms,
    second,
)

pytestmark = pytest.mark.usefixtures("codegen_target")

EQS = """
dv/dt = (I - v)/(1*ms) : 1 (unless refractory)
I : 1
"""


def _cochlea(sound, n=12):
    cf = erbspace(100 * Hz, 5 * kHz, n)
    return FunctionFilterbank(Gammatone(sound, cf),
                              lambda x: 3 * np.clip(x, 0, None) ** (1 / 3))


@pytest.mark.parametrize("buffersize", [1, 7, 100, 5000])
def test_spikes_equal_those_driven_by_a_timed_array_of_the_output(buffersize):
    sound = whitenoise(60 * ms, samplerate=20 * kHz, rng=4).atlevel(65 * dB)
    fb = _cochlea(sound)
    G = FilterbankGroup(fb, "I", EQS, threshold="v > 0.3", reset="v = 0",
                        refractory=0.5 * ms, buffersize=buffersize)
    M = SpikeMonitor(G)
    Network(G, M).run(sound.duration)

    output = _cochlea(sound).process()
    drive = TimedArray(np.asarray(output), dt=second / 20000)
    H = NeuronGroup(fb.nchannels, EQS.replace("I : 1", "I = drive(t, i) : 1"),
                    threshold="v > 0.3", reset="v = 0", refractory=0.5 * ms,
                    dt=second / 20000, namespace={"drive": drive})
    N = SpikeMonitor(H)
    Network(H, N).run(sound.duration)
    assert M.num_spikes > 50
    assert np.array_equal(M.i, N.i)
    assert np.array_equal(M.t_, N.t_)


def test_input_variable_follows_the_filterbank_sample_by_sample():
    sound = tone(440 * Hz, 20 * ms, samplerate=16 * kHz)
    fb = _cochlea(sound, n=3)
    G = FilterbankGroup(fb, "I", EQS, buffersize=64)
    M = StateMonitor(G, "I", record=True, when="after_groups")  # after this step's sample
    Network(G, M).run(20 * ms)
    expected = np.asarray(_cochlea(sound, n=3).process()).T
    assert M.I.shape == expected.shape
    assert np.array_equal(M.I, expected)


def test_runs_continue_through_the_sound_and_past_its_end():
    sound = tone(300 * Hz, 10 * ms, samplerate=10 * kHz)
    fb = _cochlea(sound, n=2)
    G = FilterbankGroup(fb, "I", EQS, buffersize=30)
    M = StateMonitor(G, "I", record=True, when="after_groups")  # after this step's sample
    net = Network(G, M)
    net.run(4 * ms)
    net.run(10 * ms)  # past the end: the filters ring down on silence
    expected = np.asarray(_cochlea(sound, n=2).process(duration=14 * ms)).T
    assert np.allclose(M.I, expected, rtol=1e-12, atol=1e-15)


def test_bad_arguments():
    sound = tone(300 * Hz, 10 * ms, samplerate=10 * kHz)
    fb = _cochlea(sound, n=2)
    with pytest.raises(KeyError, match="no variable 'J'"):
        FilterbankGroup(fb, "J", EQS)
    with pytest.raises(TypeError, match="parameter"):
        FilterbankGroup(fb, "v", EQS)
    with pytest.raises(TypeError, match="dt="):
        FilterbankGroup(fb, "I", EQS, dt=0.1 * ms)

"""brian2hears names and semantics (issue 20, item 6): TanCarneySignal, the module path
``brian2hears.filtering.tan_carney``, and levels with the DC removed."""

import numpy as np
import pytest
from scipy.signal import lfilter

from hears import MiddleEar, Sound, TanCarney, TanCarneySignal, dB, tone
from sim.units import Hz, kHz, ms


def _stapes():
    return MiddleEar(tone(1 * kHz, 15 * ms, samplerate=50 * kHz).atlevel(60 * dB), gain=1)


def test_tan_carney_is_its_signal_path_through_the_inner_hair_cell():
    """TanCarney's output is TanCarneySignal's passed through the hair cell's saturation
    and seven first-order low-passes (brian2hears' TanCarneyIHC), to rounding."""
    cf = [500, 1000, 3000] * Hz
    full = np.asarray(TanCarney(_stapes(), cf, update_interval=1).process())
    model = TanCarneySignal(_stapes(), cf, update_interval=1)
    signal = np.asarray(model.process())
    a0, b, c, d = model._prm[3:7]
    w = signal
    neg = np.abs(w) ** c
    w = np.where(w >= 0, a0 * np.log(np.abs(w) * b + 1.0),
                 -a0 * (neg + d) / (3.0 * neg + d) * np.log(np.abs(w) * b + 1.0))
    for ch in range(w.shape[1]):
        x = w[:, ch]
        for k in range(7):
            s = model._lps[ch, k]
            x = lfilter(s[:3], [1.0, s[3], s[4]], x)
        w[:, ch] = x
    np.testing.assert_allclose(w, full, rtol=1e-9, atol=1e-12 * np.abs(full).max())
    assert np.abs(signal).max() > 0 and not np.allclose(signal, full)


def test_the_brian2hears_module_path_gives_the_same_classes():
    from hears.filtering.tan_carney import MiddleEar as ME
    from hears.filtering.tan_carney import TanCarneySignal as TCS

    assert TCS is TanCarneySignal and ME is MiddleEar
    import hears.filtering as filtering

    assert filtering.Gammatone is __import__("hears").Gammatone


def test_level_removes_the_dc_as_brian2hears_does():
    t = np.arange(4400) / 44100.0  # 44 whole periods
    ac = 0.02 * np.sqrt(2) * np.sin(2 * np.pi * 441 * t)  # RMS 0.02 Pa: 60 dB SPL
    s = Sound(ac + 0.5, samplerate=44100 * Hz)  # a large DC offset
    assert float(s.level) == pytest.approx(60.0, abs=1e-9)
    assert float(s.get_level(remove_dc=False)) == pytest.approx(
        20 * np.log10(np.sqrt(0.02**2 + 0.25) / 2e-5), abs=1e-9)
    s2 = s.atlevel(40 * dB)  # the AC part is scaled to 40 dB
    assert float(s2.level) == pytest.approx(40.0, abs=1e-9)
    stereo = Sound(np.column_stack([ac + 1.0, 2 * ac]), samplerate=44100 * Hz)
    np.testing.assert_allclose(stereo.level, [60.0, 60.0 + 20 * np.log10(2)], atol=1e-9)


def test_log_frequency_axis_labels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hears import log_frequency_xaxis_labels, log_frequency_yaxis_labels

    fig, ax = plt.subplots()
    ax.semilogx([150, 5000], [1, 2])
    ax.set_xlim(150, 5000)
    log_frequency_xaxis_labels(ax)
    # brian2hears' first tick set that covers 150-5000 Hz
    assert list(ax.xaxis.get_major_locator().locs) == [125, 250, 500, 1000, 2000, 4000, 8000,
                                                       16000]
    ax.set_yscale("log")
    log_frequency_yaxis_labels(ax, freqs=[1, 2])
    assert list(ax.yaxis.get_major_locator().locs) == [1, 2]
    plt.close(fig)


def _ircam_file(folder, subject, n_dirs=3, length=8, compensated=False, new_layout=False):
    from scipy.io import savemat

    kind, tag, affix = (("COMPENSATED", "C", "_eq_hrir_S") if compensated
                        else ("RAW", "R", "_hrir_S"))
    path = folder / f"IRC_{subject}" / kind / "MAT" / "HRIR"
    path.mkdir(parents=True)
    rng = np.random.default_rng(int(subject))
    azim = np.array([0.0, 15.0, 30.2])[:n_dirs]
    elev = np.array([-45.0, 0.0, 7.47])[:n_dirs]
    shape = (1, n_dirs) if new_layout else (n_dirs, 1)
    left = rng.normal(size=(n_dirs, length))
    right = rng.normal(size=(n_dirs, length))
    savemat(path / f"IRC_{subject}_{tag}_HRIR.mat", {
        f"l{affix}": {"azim_v": azim.reshape(shape), "elev_v": elev.reshape(shape),
                      "content_m": left},
        f"r{affix}": {"azim_v": azim.reshape(shape), "elev_v": elev.reshape(shape),
                      "content_m": right}})
    return azim, elev, left, right


def test_ircam_listen_reads_the_databases_files(tmp_path, monkeypatch):
    from hears import IRCAM_LISTEN

    azim, elev, left, right = _ircam_file(tmp_path, "1002")
    _ircam_file(tmp_path, "1003", compensated=True)
    other = tmp_path / "new"
    other.mkdir()
    _ircam_file(other, "3001", new_layout=True)
    db = IRCAM_LISTEN([tmp_path, other])
    assert db.subjects == [1002, 1003, 3001]
    hrtfs = db.load_subject(1002)
    assert hrtfs.name == "IRCAM_1002" and float(hrtfs.samplerate) == 44100
    np.testing.assert_array_equal(hrtfs.coordinates["azim"], azim)
    np.testing.assert_array_equal(hrtfs.data[0], left)
    np.testing.assert_array_equal(hrtfs.data[1], right)
    new = db.load_subject("3001", rounddot5=True)
    assert float(new.samplerate) == 192000  # the IRC_30xx recordings
    np.testing.assert_array_equal(new.coordinates["azim"], [0.0, 15.0, 30.0])
    np.testing.assert_array_equal(new.coordinates["elev"], [-45.0, 0.0, 7.47])
    compensated = IRCAM_LISTEN(tmp_path, compensated=True).load_subject(1003)
    assert compensated.data.shape == (2, 3, 8)
    monkeypatch.setenv("IRCAM_LISTEN", str(tmp_path))
    assert IRCAM_LISTEN().subjects == [1002, 1003]


def test_ircam_listen_errors_name_what_is_missing(tmp_path, monkeypatch):
    from hears import IRCAM_LISTEN

    monkeypatch.delenv("IRCAM_LISTEN", raising=False)
    with pytest.raises(ValueError, match="environment variable IRCAM_LISTEN"):
        IRCAM_LISTEN()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        IRCAM_LISTEN(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="sample rate"):
        IRCAM_LISTEN(tmp_path, samplerate=48 * kHz)
    with pytest.raises(FileNotFoundError, match="no HRTF file for subject 1010.*IRC_1010_R"):
        IRCAM_LISTEN(tmp_path).load_subject(1010)

"""Level-dependent (compressive) cochlear filterbanks with compiled control loops:
:class:`DCGC` (Irino and Patterson) and :class:`TanCarney` (Tan and Carney 2003).

brian2hears builds these from a chain of filterbanks and a ``ControlFilterbank`` whose Python
updater recomputes filter coefficients after every chunk of ``update_interval`` samples. Here
each model is one filterbank whose whole chain (filters, nonlinearities, level detectors and
coefficient updates) runs in one numba kernel per chunk (:mod:`._dynamic_kernels`), with the
same update rule: the coefficients used for sample ``n`` come from the control signals at the
last update at or before sample ``n - 1``, updates happening after samples
``update_interval - 1``, ``2 update_interval - 1``, ... counted from time zero.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numba
import numpy as np

from sim.units import Hz, ms

from . import _dynamic_kernels as _k
from . import _kernels
from ._args import is_int, nsamples, times_s
from ._device import DeviceStage
from .base import Filterbank, as_source, source_rate
from .library import (
    _ac_params,
    _ac_sections,
    _centre_frequencies,
    erb_filters_to_ba,
    make_erb_filters,
)

__all__ = ["DCGC", "TanCarney", "TanCarneySignal", "dcgc_parameters", "tan_carney_parameters"]

#: channel-samples per chunk from which the per-channel loops run on several threads
_PARALLEL_MIN = 1 << 14


def _override(params: dict, param: dict | None, model: str, extra: tuple[str, ...] = ()) -> None:
    if not param:
        return
    if not isinstance(param, dict):
        raise TypeError(f"{model}: param must be a dict, got {type(param).__name__}")
    for key, value in param.items():
        if key not in params and key not in extra:
            raise KeyError(f"{key!r} is not a {model} parameter; valid keys: "
                           f"{', '.join(sorted((*params, *extra)))}")
        params[key] = value


def _interval(update_interval: Any, fs: float) -> int:
    if isinstance(update_interval, (bool, np.bool_)):
        raise TypeError("update_interval must be an int number of samples or a time")
    if is_int(update_interval) and int(update_interval) < 1:
        raise ValueError(f"update_interval must be at least 1 sample, got {update_interval!r}")
    return nsamples(update_interval, fs, "update_interval")


# ---------------------------------------------------------------------------------------------
# DCGC
# ---------------------------------------------------------------------------------------------


def dcgc_parameters(cf: Any, param: dict | None = None) -> dict:
    """The DCGC parameters for centre frequencies ``cf`` (Hz), as in brian2hears (after Irino
    and Patterson 2006), with the entries of ``param`` overriding them::

        b1 = 1.81, c1 = -2.96        passive gammachirp (bandwidth factor, glide)
        b2 = 2.17, c2 = 2.2          high-pass asymmetric compensation
        decay_tcst = 0.5 ms          half-life of the level detectors' decay
        lev_weight = 0.5             weight of the first level detector
        level_ref = 50.              reference level (dB SPL)
        level_pwr1 = 1.5, level_pwr2 = 0.5
        RMStoSPL = 30.               dB SPL of an rms of 1
        frat0 = 0.2330, frat1 = 0.005   frequency ratio: fr2 = fp1 (frat0 + frat1 level_dB)
        lct_ERB = 1.5                control channel: this many ERBs above the signal channel
        frat_control = 1.08          control-path compensation at frat_control * fp1
        order_gc = 4
        ERBrate = 21.4 log10(4.37 cf/kHz + 1), ERBwidth = 24.7 (4.37 cf/kHz + 1) (Hz)
    """
    f = np.atleast_1d(np.asarray(cf, dtype=float))
    params: dict = {
        "b1": 1.81, "c1": -2.96, "b2": 2.17, "c2": 2.2, "decay_tcst": 0.5 * ms,
        "lev_weight": 0.5, "level_ref": 50.0, "level_pwr1": 1.5, "level_pwr2": 0.5,
        "RMStoSPL": 30.0, "frat0": 0.2330, "frat1": 0.005, "lct_ERB": 1.5,
        "frat_control": 1.08, "order_gc": 4,
        "ERBrate": 21.4 * np.log10(4.37 * f / 1000.0 + 1.0),
        "ERBwidth": 24.7 * (4.37 * f / 1000.0 + 1.0),
    }
    _override(params, param, "DCGC")
    return params


class _ControlOnDevice(DeviceStage):
    """The device path of the control filterbanks (``_cuda_control``): the model's kernel
    with the control loop inside, given the chunk's first sample and the update interval."""

    _device_model = ""  # the class of hears.filterbanks._cuda_control running the model

    def _make_device_impl(self, backend):
        from . import _cuda_control

        return getattr(_cuda_control, self._device_model)(backend, self)

    def _device_state_to_host(self, impl) -> None:
        impl.to_host()

    def _apply_on_device(self, impl, x):
        return impl.apply(x, self.next_sample - int(x.shape[0]), self.update_interval)


class DCGC(_ControlOnDevice, Filterbank):
    """The dynamic compressive gammachirp filterbank (Irino and Patterson, JASA 2001 and
    IEEE TASLP 2006), as brian2hears' ``DCGC``.

    ``DCGC(source, cf, update_interval=1, param=None, *, device=None)``

    ``source``
        A sound or filterbank in pascals, mono (shared by every channel) or one channel per
        centre frequency.
    ``cf``
        Centre frequencies (Hz); the passive gammachirp's peak ``fp1 = cf + c1 ERBwidth b1 /
        order_gc`` must be positive (``cf`` above about 39 Hz with the default parameters).
    ``update_interval``
        Samples (int) or time between updates of the signal path's filters (1: every sample).
    ``param``
        Overrides of :func:`dcgc_parameters`.
    ``device``
        ``'cpu'``, ``'cuda'`` or None (``prefs.hears.device``, read when processing starts),
        as for :class:`LinearFilterbank`: on ``'cuda'`` the passive gammachirp and the
        control path's filter run as the linear filterbanks' SOS kernel and the signal path
        with its level detectors and coefficient updates as one kernel (one thread per
        channel, the control loop inside, the CPU kernel's operations in the same order), the
        state on the device between chunks. With the host backend the output is the CPU's bit
        for bit; on a GPU it agrees to rounding (CUDA's ``exp``/``log``/``sin``/``cos``/
        ``pow`` are not glibc's to the last bit).

    Signal path: a passive gammachirp (``LogGammachirp`` with ``b1``, ``c1``) and a high-pass
    asymmetric compensation filter (``b2``, ``c2``) at ``fr2 = fp1 (frat0 + frat1 L)``, where
    ``L`` (dB) is the level estimated by the control path: the passive gammachirp of the channel
    ``lct_ERB`` ERBs higher (``round(lct_ERB / mean ERB-rate step)`` channels, clamped to the
    last one), and that output through a fixed compensation filter at ``frat_control fp1``.
    Each of the two level detectors holds the peak of its (half-wave rectified) input, decaying
    with a half-life of ``decay_tcst``; ``L = 20 log10(max(w R (l1/R)**pwr1 + (1-w) R
    (l2/R)**pwr2, 10**(-RMStoSPL/20))) + RMStoSPL`` with ``R = 10**((level_ref -
    RMStoSPL)/20)``. The output does not depend on the buffer size.

    The level detectors run every sample (as in Irino's GCFB); the signal path's filter is
    recomputed after every ``update_interval``-th sample from the levels at that sample, and
    used from the next sample on (as brian2hears; GCFB uses the same sample's level).

    Differences from brian2hears (defects fixed): the reference level ``R`` is the linear value
    ``10**((level_ref - RMStoSPL)/20)`` as in GCFB (brian2hears overwrote it with
    ``level_ref`` itself, 50); with ``update_interval > 1`` the detectors follow every sample
    and decay with ``decay_tcst``'s half-life per sample, as in GCFB (brian2hears saw only the
    last sample of each interval and decayed once per interval, ``update_interval`` times too
    slowly); the update times do not depend on the buffer size (brian2hears' did when it was
    not a multiple of ``update_interval``); a single channel has no channel shift
    (brian2hears failed on ``mean(diff([]))``); ``fp1 <= 0`` raises. Unlike GCFB (and like
    brian2hears), no final gain normalisation at a reference level is applied.
    """

    def __init__(self, source: Any, cf: Any, update_interval: Any = 1,
                 param: dict | None = None, *, device: str | None = None) -> None:
        src = as_source(source)
        fs = source_rate(src)
        f = _centre_frequencies(cf, fs)
        n = f.size
        if src.nchannels not in (1, n):
            raise ValueError(f"DCGC: the source has {src.nchannels} channels for {n} centre "
                             "frequencies; give a mono source or one channel per frequency")
        Filterbank.__init__(self, src)
        self.nchannels = n
        self.update_interval = _interval(update_interval, fs)
        p = dcgc_parameters(f, param)
        self.parameters = p
        self.cf = f * Hz
        b1, c1, b2, c2 = (float(p[k]) for k in ("b1", "c1", "b2", "c2"))
        erbw = np.broadcast_to(np.asarray(p["ERBwidth"], dtype=float), (n,))
        fp1 = f + c1 * erbw * b1 / float(p["order_gc"])
        if np.any(fp1 <= 0):
            i = int(np.argmax(fp1 <= 0))
            raise ValueError(f"DCGC: centre frequency {f[i]:g} Hz is too low: the passive "
                             f"gammachirp's peak fp1 = {fp1[i]:g} Hz must be positive")
        self.fp1 = fp1 * Hz
        erbrate = np.broadcast_to(np.asarray(p["ERBrate"], dtype=float), (n,))
        shift = int(round(float(p["lct_ERB"]) / np.mean(np.diff(erbrate)))) if n > 1 else 0
        self.indch1_control = np.clip(np.arange(n) + shift, 0, n - 1).astype(np.intp)
        fr2_control = float(p["frat_control"]) * fp1[self.indch1_control]
        if np.any(fr2_control >= 0.5 * fs):
            raise ValueError("DCGC: the control path's compensation frequencies "
                             "frat_control * fp1 must lie below the Nyquist frequency")
        bb1, cc1 = np.full(n, b1), np.full(n, c1)
        bb2, cc2 = np.full(n, b2), np.full(n, c2)
        gb, ga = erb_filters_to_ba(make_erb_filters(fs, f, bb1))
        ab, aa = _ac_sections(fs, f, bb1, cc1, 4)
        # the fixed (linear) stages run in the vectorised SOS kernel of LinearFilterbank
        self._pgc_b = np.ascontiguousarray(np.concatenate((gb, ab), axis=2))
        self._pgc_a = np.ascontiguousarray(np.concatenate((ga, aa), axis=2))
        cb, ca = _ac_sections(fs, fr2_control, bb2, cc2, 4)
        self._ctl_b, self._ctl_a = np.ascontiguousarray(cb), np.ascontiguousarray(ca)
        sb, sa = _ac_sections(fs, fp1 * float(p["frat0"]), bb2, cc2, 4)
        self._sig0 = _k.pack_sections(sb, sa)
        p0, p1, p2, _, p4 = _ac_params(np.float64(b2), np.float64(c2))
        self._ac = np.array([fs, b2, c2], dtype=float)
        self._kf = np.array([[p1 * (p0 / p4) ** k, (p0 * p4) ** k * p2] for k in range(4)])
        decay_s = float(times_s(p["decay_tcst"], "decay_tcst"))
        if not decay_s > 0:
            raise ValueError(f"DCGC: decay_tcst must be positive, got {p['decay_tcst']!r}")
        rms_to_spl = float(p["RMStoSPL"])
        per_sample = math.exp(-math.log(2.0) / (decay_s * fs))
        self._lp = np.array([per_sample, float(p["lev_weight"]),
                             10 ** ((float(p["level_ref"]) - rms_to_spl) / 20.0),
                             float(p["level_pwr1"]), float(p["level_pwr2"]),
                             10 ** (-rms_to_spl / 20.0), rms_to_spl, float(p["frat0"]),
                             float(p["frat1"])])
        self._fp1 = np.ascontiguousarray(fp1)
        self._sig = self._sig0.copy()
        self._zp = np.zeros((self._pgc_b.shape[2], 2, n))
        self._zc = np.zeros((4, 2, n))
        self._zs = np.zeros((n, self._sig.shape[1], 2))
        self._lev = np.zeros((n, 2))
        self._on_device = None  # the model on a CUDA backend, once used
        self.device = device

    # -- the CUDA path (DeviceStage) ----------------------------------------------------------
    def _device_key(self) -> tuple:
        return (self.nchannels,)

    _device_model = "DeviceDCGC"

    def buffer_init(self) -> None:
        Filterbank.buffer_init(self)
        self._sig[...] = self._sig0
        for a in (self._zp, self._zc, self._zs, self._lev):
            a[...] = 0.0
        self._device_reset()

    @property
    def level_db(self) -> np.ndarray:
        """The control path's level estimate per channel (dB SPL) at the last update."""
        lp = self._lp
        lev = self._lev if self._on_device is None else self._on_device.host("_lev")
        l1, l2 = lev[:, 0], lev[:, 1]
        ref = lp[2]
        total = lp[1] * ref * (l1 / ref) ** lp[3] + (1 - lp[1]) * ref * (l2 / ref) ** lp[4]
        return 20 * np.log10(np.maximum(total, lp[5])) + lp[6]

    def buffer_apply(self, input: np.ndarray) -> np.ndarray:  # noqa: A002
        if self.device == "cuda":
            return self._checked_device_apply(input)
        self._leave_device()  # moved back to the CPU: continue from the device's state
        x = np.ascontiguousarray(input, dtype=np.float64)
        nt = x.shape[0]
        out = np.empty((nt, self.nchannels))
        if nt:
            start = self.next_sample - nt
            nthreads = numba.get_num_threads()
            pgc = np.empty((nt, self.nchannels))
            _kernels.sos_filter(x, self._pgc_b, self._pgc_a, self._zp, pgc, nthreads)
            ctl = np.empty((nt, self.nchannels))
            _kernels.sos_filter(np.ascontiguousarray(pgc[:, self.indch1_control]), self._ctl_b,
                                self._ctl_a, self._zc, ctl, nthreads)
            run = _k.dcgc_signal
            if nthreads > 1 and self.nchannels >= 8 and nt * self.nchannels >= _PARALLEL_MIN:
                run = _k.dcgc_signal_parallel
            run(pgc, ctl, out, self._sig, self._zs, self._lev, self.indch1_control, self._fp1,
                self._ac, self._kf, self._lp, start, self.update_interval)
        return out


# ---------------------------------------------------------------------------------------------
# Tan and Carney (2003)
# ---------------------------------------------------------------------------------------------


def tan_carney_parameters(cf: Any, param: dict | None = None) -> dict:
    """The parameters of :class:`TanCarney` for centre frequencies ``cf`` (Hz), as in
    brian2hears (Tan and Carney 2003), with the entries of ``param`` overriding them::

        fc_LP_control = 800 (Hz)     control-path low-pass cut-off
        fc_LP_fb = 500 (Hz)          feedback low-pass cut-off
        fp1 = 1.0854 cf - 106.0034   signal-path pole frequency (Hz)
        ta = 10**(1.0230 log10(cf) + 0.1607)          (rad/s)
        tb = 10**(1.4292 log10(cf) - 1.1550) - 1000   (rad/s)
        gain80 = 10**(0.5732 log10(cf) + 1.5220)
        rgain = 10**(0.4 log10(cf) + 1.9)             (rad/s)
        average_control = 0.3357
        zero_r = -10**(1.5 log10(cf) - 0.9)           (rad/s)
        nlgain = (gain80 - rgain) / average_control   (unless given)
    """
    f = np.atleast_1d(np.asarray(cf, dtype=float))
    lcf = np.log10(f)
    params: dict = {
        "fc_LP_control": 800.0, "fc_LP_fb": 500.0, "fp1": 1.0854 * f - 106.0034,
        "ta": 10 ** (lcf * 1.0230 + 0.1607), "tb": 10 ** (lcf * 1.4292 - 1.1550) - 1000,
        "gain80": 10 ** (lcf * 0.5732 + 1.5220), "rgain": 10 ** (lcf * 0.4 + 1.9),
        "average_control": 0.3357, "zero_r": -10 ** (lcf * 1.5 - 0.9),
    }
    _override(params, param, "TanCarney", extra=("nlgain",))
    if "nlgain" not in params:
        params["nlgain"] = (np.asarray(params["gain80"]) - np.asarray(params["rgain"])) \
            / params["average_control"]
    return params


def _hz(value: Any) -> float:
    return float(np.asarray(value / Hz if hasattr(value, "dim") else value, dtype=float))


def _first_order_lowpass(fs2: float, fc: float) -> tuple[float, float, float]:
    """``b0 = b1``, ``a1`` of brian2hears' ``LowPass_filter`` (bilinear transform of
    ``1/(s + w)``, so a DC gain of ``1/w``)."""
    w = 2 * math.pi * fc
    return 1.0 / (fs2 + w), 1.0 / (fs2 + w), -(fs2 - w) / (fs2 + w)


class TanCarney(_ControlOnDevice, Filterbank):
    """The nonlinear auditory-nerve model of Tan and Carney (JASA 2003), as brian2hears'
    ``TanCarney``: its output is the inner-hair-cell potential ``V_ihc`` that drives
    :class:`~hears.ZhangSynapse`.

    ``TanCarney(source, cf, update_interval=1, param=None, *, device=None)``

    ``source``
        The stapes input: usually ``MiddleEar(sound)`` of a sound in pascals (the middle ear
        is a separate stage, as in brian2hears); mono or one channel per centre frequency.
    ``cf``
        Centre frequencies (Hz).
    ``update_interval``
        Samples (int) or time between filter updates (1: every sample).
    ``param``
        Overrides of :func:`tan_carney_parameters`.
    ``device``
        ``'cpu'``, ``'cuda'`` or None (``prefs.hears.device``, read when processing starts),
        as for :class:`LinearFilterbank`: on ``'cuda'`` the whole model runs as one kernel
        (one thread per channel, the control loop inside, the CPU kernel's operations in the
        same order), its state on the device between chunks. With the host backend the
        output is the CPU's bit for bit; on a GPU it agrees to rounding (CUDA's ``exp``/
        ``log``/``pow`` are not glibc's to the last bit).

    The model is meant for a 50 kHz sample rate (a warning is given otherwise). Control path:
    a band-pass (three pole pairs at ``-2 pi cf/4 - u_fb +- 2 pi i (cf + f_shift)`` and a
    differentiator, gain-normalised), ``sign(x) 2.5 log(1 + 100 |x|**0.6)``, a Boltzmann
    nonlinearity times ``nlgain``, three first-order low-passes at ``fc_LP_control`` (gain
    ``1.5 (2 pi fc)**3``): the control signal ``u``; a further low-pass at ``fc_LP_fb`` (gain
    ``10 (2 pi fc)``) gives the feedback ``u_fb``. Signal path: ten pole pairs whose real parts
    are ``-rgain - u`` (and ``ta`` further left), a zero at ``zero_r`` per section, fixed gain;
    then the inner hair cell: a saturating logarithmic nonlinearity and seven first-order
    low-passes at 3.8 kHz. The output does not depend on the buffer size.

    Differences from brian2hears (defects fixed): the control band-pass's differentiator had a
    pole on the unit circle (``z = -1``, a marginally stable state that keeps any error),
    cancelled here analytically against a zero of the same band-pass (same transfer function);
    a given ``nlgain`` is used (brian2hears silently recomputed it); the signal path's pole real
    part is kept at or below -1 rad/s (brian2hears computed such a guard but never applied it;
    it only matters above about 57 kHz); update times do not depend on the buffer size.
    """

    _with_ihc = True  # TanCarneySignal stops before the inner hair cell

    def __init__(self, source: Any, cf: Any, update_interval: Any = 1,
                 param: dict | None = None, *, device: str | None = None) -> None:
        src = as_source(source)
        fs = source_rate(src)
        f = _centre_frequencies(cf, fs)
        n = f.size
        if src.nchannels not in (1, n):
            raise ValueError(f"TanCarney: the source has {src.nchannels} channels for {n} "
                             "centre frequencies; give a mono source or one channel per "
                             "frequency")
        if int(fs) != 50000:
            warnings.warn("TanCarney: the model is meant for a sample rate of 50 kHz, the "
                          f"source has {fs:g} Hz", stacklevel=2)
        Filterbank.__init__(self, src)
        self.nchannels = n
        self.update_interval = _interval(update_interval, fs)
        p = tan_carney_parameters(f, param)
        self.parameters = p
        self.cf = f * Hz
        fs2 = 2.0 * fs

        def per_ch(name: str) -> np.ndarray:
            return np.ascontiguousarray(np.broadcast_to(np.asarray(p[name], dtype=float), (n,)))

        rgain, ta, tb, fp1, zero, nlgain = (per_ch(k) for k in
                                            ("rgain", "ta", "tb", "fp1", "zero_r", "nlgain"))
        # signal-path gain normalisation at zero control (brian2hears' gain_norm / 3)
        pr0 = -rgain
        pr4 = pr0 - ta
        pr2 = 0.5 * (pr0 + pr4)
        pi0 = 2 * math.pi * fp1
        pi4 = pi0 - tb
        pi2 = 0.5 * (pi0 + pi4)
        preal = np.stack([pr0, pr0, pr2, pr2, pr4, pr4, pr0, pr0, pr4, pr4] * 2, axis=1)
        pimg = np.stack([pi0, -pi0, pi2, -pi2, pi4, -pi4, pi0, -pi0, pi4, -pi4] * 2, axis=1)
        w_cf = 2 * math.pi * f
        gain_norm = np.sqrt(np.prod((w_cf[:, None] - pimg) ** 2 + preal ** 2, axis=1))
        gain_norm = gain_norm / np.sqrt(w_cf ** 2 + zero ** 2) ** 10
        self._sp = np.ascontiguousarray(np.stack((rgain, ta, tb, fp1, zero, gain_norm / 3.0,
                                                  nlgain), axis=1))
        x_cf = 11.9 * np.log10(0.8 + f / 456.0)
        self._fshift = np.ascontiguousarray((10 ** ((x_cf + 1.2) / 11.9) - 0.8) * 456.0 - f)
        self._cf = np.ascontiguousarray(f)
        # low-pass filters: control (3 sections, gain in the last), feedback (1 section)
        fc_con, fc_fb = _hz(p["fc_LP_control"]), _hz(p["fc_LP_fb"])
        lpc = np.zeros((n, 4, 5))
        b0, b1, a1 = _first_order_lowpass(fs2, fc_con)
        lpc[:, :3, 0], lpc[:, :3, 1], lpc[:, :3, 3] = b0, b1, a1
        g_con = (2 * math.pi * fc_con) ** 3 * 1.5
        lpc[:, 2, :2] *= g_con
        b0, b1, a1 = _first_order_lowpass(fs2, fc_fb)
        g_fb = fc_fb * 2 * math.pi * 10
        lpc[:, 3, 0], lpc[:, 3, 1], lpc[:, 3, 3] = b0 * g_fb, b1 * g_fb, a1
        self._lpc = lpc
        # inner-hair-cell low-pass: 7 first-order sections at 3800 Hz
        w = 2 * math.pi * 3800.0
        c1 = (fs2 - w) / (fs2 + w)
        c2 = w / (w + fs2)
        lps = np.zeros((n, 7, 5))
        lps[:, :, 0], lps[:, :, 1], lps[:, :, 3] = c2, c2, -c1
        self._lps = lps
        shift = 1.0 / (1.0 + 7.0)
        x0 = 8.0 * math.log((1.0 / shift - 1) / (1 + math.exp(5.0 / 3.0)))
        self._prm = np.array([fs2, x0, shift, 0.1, 2000.0, 1.74, 6.87e-9,
                              1.0 if self._with_ihc else 0.0])
        self._bpc = np.zeros((n, 3, 5))
        self._bps = np.zeros((n, 10, 5))
        self._gc = np.zeros(n)
        self._st = np.zeros((n, 2))
        self._zbc = np.zeros((n, 3, 2))
        self._zbs = np.zeros((n, 10, 2))
        self._zlc = np.zeros((n, 4, 2))
        self._zls = np.zeros((n, 7, 2))
        self._reset_coefficients()
        self._on_device = None  # the model on a CUDA backend, once used
        self.device = device

    # -- the CUDA path (DeviceStage) ----------------------------------------------------------
    def _device_key(self) -> tuple:
        return (self.nchannels, self._with_ihc)

    _device_model = "DeviceTanCarney"

    def _reset_coefficients(self) -> None:
        fs2 = float(self._prm[0])
        sp = self._sp
        for c in range(self.nchannels):
            self._gc[c] = _k.tc_control_coefficients(self._bpc, c, 0.0, self._cf[c],
                                                     self._fshift[c], fs2)
            _k.tc_signal_coefficients(self._bps, c, 0.0, sp[c, 0], sp[c, 1], sp[c, 2],
                                      sp[c, 3], sp[c, 4], fs2)

    @property
    def control_signal(self) -> np.ndarray:
        """The control signals at the last update, shape ``(nchannels, 2)`` (rad/s): the
        signal path's ``u`` and the control path's feedback ``u_fb``."""
        return self._st.copy() if self._on_device is None else self._on_device.host("_st")

    def buffer_init(self) -> None:
        Filterbank.buffer_init(self)
        for a in (self._st, self._zbc, self._zbs, self._zlc, self._zls):
            a[...] = 0.0
        self._reset_coefficients()
        self._device_reset()

    def buffer_apply(self, input: np.ndarray) -> np.ndarray:  # noqa: A002
        if self.device == "cuda":
            return self._checked_device_apply(input)
        self._leave_device()  # moved back to the CPU: continue from the device's state
        x = np.ascontiguousarray(input, dtype=np.float64)
        out = np.empty((x.shape[0], self.nchannels))
        if x.shape[0]:
            start = self.next_sample - x.shape[0]
            run = _k.tc_run
            if (numba.get_num_threads() > 1 and self.nchannels >= 8
                    and x.shape[0] * self.nchannels >= _PARALLEL_MIN):
                run = _k.tc_run_parallel
            run(x, out, self._bpc, self._zbc, self._gc, self._bps, self._zbs, self._lpc,
                self._zlc, self._lps, self._zls, self._st, self._cf, self._fshift, self._sp,
                self._prm, start, self.update_interval)
        return out


class TanCarneySignal(TanCarney):
    """The signal path of Tan and Carney's model without the inner hair cell (brian2hears'
    ``TanCarneySignal``): the output of the controlled ten-section band-pass and its gain,
    in the units of the stapes input; ``TanCarney`` feeds it to the hair cell.

    ``TanCarneySignal(source, cf, update_interval=1, param=None)``, as :class:`TanCarney`
    (same control path, same updates: ``TanCarney``'s output is this signal passed through
    the saturation and the 3.8 kHz low-passes).
    """

    _with_ihc = False

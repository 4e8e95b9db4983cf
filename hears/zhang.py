"""ZhangSynapse: the inner-hair-cell / auditory-nerve synapse of Zhang et al. (2001) with
refractory Poisson spike generation, as a :class:`FilterbankGroup`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.units import Hz, ms, second

from .filterbanks._args import frequencies_hz, is_int
from .filterbanks.structural import Repeat
from .group import FilterbankGroup

__all__ = ["ZhangSynapse", "ZhangSynapseRate", "ZhangSynapseSpikes",
           "zhang_synapse_parameters"]

_DEFAULTS = {"spont": 50 * Hz, "A_SS": 130 * Hz, "tau_ST": 60 * ms, "tau_R": 2 * ms,
             "A_RST": 6.0, "PTS": 8.627, "P_Imax": 0.6, "c_0": 0.5, "c_1": 0.5,
             "R_A": 0.75 * ms, "s_0": 1 * ms, "s_1": 12.5 * ms}

_RATE_EQS = """
V_ihc : 1
p_2 : 1 (constant)
CF_param : 1 (constant)
P_I = p_1 * where(p_2 * V_ihc >= 100, p_2 * V_ihc, log1p(exp(clip(p_2 * V_ihc, -1e100, 100)))) : 1
dC_I/dt = (-P_I * C_I + P_L * (C_L - C_I)) / V_I : Hz
dC_L/dt = (-P_L * (C_L - C_I) + P_G * (C_G - C_L)) / V_I : Hz
s = C_I * P_I : Hz
"""
_EQS = _RATE_EQS + """
H = c_0 * e_0 + c_1 * e_1 : 1
de_0/dt = -e_0 / s_0 : 1 (unless refractory)
de_1/dt = -e_1 / s_1 : 1 (unless refractory)
R = s * (1 - H) : Hz
"""


def zhang_synapse_parameters(params: dict | None = None) -> dict:
    """The parameters of :class:`ZhangSynapse` (Zhang et al. 2001, Table I, as brian2hears),
    with the entries of ``params`` overriding them::

        spont = 50 Hz        spontaneous rate          A_SS = 130 Hz   steady-state rate
        tau_ST = 60 ms       short-term time constant  tau_R = 2 ms    rapid time constant
        A_RST = 6            rapid/short-term ratio    PTS = 8.627     peak-to-steady ratio
        P_Imax = 0.6         maximum permeability      R_A = 0.75 ms   absolute refractory period
        c_0 = c_1 = 0.5      relative refractoriness weights, time constants s_0 = 1 ms and
        s_1 = 12.5 ms
    """
    p = dict(_DEFAULTS)
    if params:
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict, got {type(params).__name__}")
        for key, value in params.items():
            if key not in p:
                raise KeyError(f"{key!r} is not a ZhangSynapse parameter; valid keys: "
                               f"{', '.join(sorted(p))}")
            p[key] = value
    return p


def _si(value: Any) -> float:
    """A quantity or number as a float in SI units."""
    return float(np.asarray(value))


def _derived(p: dict, cf: np.ndarray) -> tuple[dict, np.ndarray, float, float]:
    """Equations A1-A17 of Zhang et al. (2001): the constants of the model (SI units), ``p_2``
    per channel and the resting concentrations ``C_I``, ``C_L`` (Hz)."""
    spont, a_ss = _si(p["spont"]), _si(p["A_SS"])
    tau_st, tau_r = _si(p["tau_ST"]), _si(p["tau_R"])
    a_rst, pts, p_imax = float(p["A_RST"]), float(p["PTS"]), float(p["P_Imax"])
    a_on = pts * a_ss
    a_r = (a_on - a_ss) * a_rst / (1 + a_rst)
    a_st = a_on - a_ss - a_r
    p_rest = p_imax * spont / a_on
    c_g = spont * (a_on - spont) / (a_on * p_rest * (1 - spont / a_ss))
    gamma_1, gamma_2 = c_g / spont, c_g / a_ss
    kappa_1, kappa_2 = -1 / tau_r, -1 / tau_st
    v_i0 = (1 - p_imax / p_rest) / (gamma_1 * (a_r * (kappa_1 - kappa_2) / (c_g * p_imax)
                                               + kappa_2 / (p_rest * gamma_1)
                                               - kappa_2 / (p_imax * gamma_2)))
    v_i1 = (1 - p_imax / p_rest) / (gamma_1 * (a_st * (kappa_2 - kappa_1) / (c_g * p_imax)
                                               + kappa_1 / (p_rest * gamma_1)
                                               - kappa_1 / (p_imax * gamma_2)))
    v_i = 0.5 * (v_i0 + v_i1)
    alpha = gamma_2 / (kappa_1 * kappa_2)
    beta = -(kappa_1 + kappa_2) * alpha
    theta_1 = alpha * p_imax / v_i
    theta_2 = v_i / p_imax
    theta_3 = gamma_2 - 1 / p_imax
    p_l = ((beta - theta_2 * theta_3) / theta_1 - 1) * p_imax
    p_g = 1 / (theta_3 - 1 / p_l)
    c_irest = spont / p_rest
    c_lrest = c_irest * (p_rest + p_l) / p_l
    p_1 = p_rest / math.log(2)
    # A17 with the spontaneous-rate expression of Zhang's C code (as brian2hears)
    v_sat2 = 2 + 3 * np.log10(cf / 1000.0)
    v_sat = (20.0 * (spont + 1) / (spont + 5) * p_imax
             * ((v_sat2 > 1.5) * (v_sat2 - 1.5) + 1.5))
    expo = np.abs(math.log(2) * v_sat / p_rest)
    with np.errstate(over="ignore"):
        p_2 = np.where(expo >= 100, expo, np.log(np.expm1(np.minimum(expo, 100))))
    consts = {"p_1": p_1, "P_L": p_l, "P_G": p_g, "C_G": c_g * Hz, "V_I": v_i * second,
              "c_0": float(p["c_0"]), "c_1": float(p["c_1"]), "s_0": _si(p["s_0"]) * second,
              "s_1": _si(p["s_1"]) * second}
    return consts, p_2, c_irest, c_lrest


class ZhangSynapse(FilterbankGroup):
    """Inner-hair-cell / auditory-nerve synapse of Zhang et al. (JASA 2001), as brian2hears'
    ``ZhangSynapse``: a :class:`FilterbankGroup` driven by the inner-hair-cell potential
    ``V_ihc`` (e.g. the output of :class:`~hears.TanCarney`), emitting spikes.

    ``ZhangSynapse(source, CF, n_per_channel=1, params=None, **kwds)``

    ``source``
        Filterbank giving ``V_ihc`` (one channel per fibre characteristic frequency).
    ``CF``
        Characteristic frequencies (Hz), scalar or one per channel; they set the saturation
        ``V_sat`` of the permeability.
    ``n_per_channel``
        Independent spike trains per channel: neuron ``i * n_per_channel + j`` is the
        ``j``-th fibre of channel ``i``.
    ``params``
        Overrides of :func:`zhang_synapse_parameters`. Other keywords go to
        :class:`FilterbankGroup` (e.g. ``buffersize``).

    State: the permeability ``P_I`` (softplus of ``p_2 V_ihc``, eq. 17), the immediate and
    local store concentrations ``C_I``, ``C_L`` (Hz; eqs. A18-A19, Euler as brian2hears, from
    rest), the rate without refractoriness ``s = C_I P_I`` and the rate ``R = s (1 - H)``
    with the discharge history ``H = c_0 e_0 + c_1 e_1`` (eq. 20). Spikes: ``rand() < R*dt``
    every step (a Poisson process, through the simulator's threshold in generated code);
    a spike sets ``e_0 = e_1 = 1`` and starts an absolute refractory period ``R_A`` during
    which no spike occurs and ``e_0``, ``e_1`` are held (the relative refractoriness decays
    from its end, as in eq. 20).
    """

    def __init__(self, source: Any, CF: Any, n_per_channel: int = 1,  # noqa: N803
                 params: dict | None = None, **kwds: Any) -> None:
        if not is_int(n_per_channel) or n_per_channel < 1:
            raise ValueError(f"n_per_channel must be a positive int, got {n_per_channel!r}")
        n_per_channel = int(n_per_channel)
        cf = _check_cf(CF, source)
        p = zhang_synapse_parameters(params)
        _build(self, source, cf, p, n_per_channel, kwds, spikes=True)
        object.__setattr__(self, "n_per_channel", n_per_channel)


class ZhangSynapseRate(FilterbankGroup):
    """The rate part of :class:`ZhangSynapse` alone (brian2hears' ``ZhangSynapseRate``): a
    :class:`FilterbankGroup` computing the discharge rate without refractoriness, ``s``
    (Hz), from the inner-hair-cell potential; no spikes.

    ``ZhangSynapseRate(source, CF, params=None, **kwds)``: as :class:`ZhangSynapse`.
    """

    def __init__(self, source: Any, CF: Any, params: dict | None = None,  # noqa: N803
                 **kwds: Any) -> None:
        cf = _check_cf(CF, source)
        p = zhang_synapse_parameters(params)
        _build(self, source, cf, p, 1, kwds, spikes=False)


class ZhangSynapseSpikes(FilterbankGroup):
    """Spikes of a :class:`ZhangSynapseRate` (brian2hears' ``ZhangSynapseSpikes``):
    ``ZhangSynapseSpikes(rate, n_per_channel=1, params=None)``.

    brian2hears copies the rate group's ``s`` into a separate spiking group each step (a
    Python operation, one step late); here the spiking group is a :class:`ZhangSynapse` on
    the same input, with the rate group's characteristic frequencies and parameters (or
    ``params``): it computes the same ``s`` itself, in the same step, and the whole run
    stays compiled.
    """

    def __init__(self, source: ZhangSynapseRate, n_per_channel: int = 1,
                 params: dict | None = None, **kwds: Any) -> None:
        if not isinstance(source, ZhangSynapseRate):
            raise TypeError(f"ZhangSynapseSpikes needs a ZhangSynapseRate, got "
                            f"{type(source).__name__}")
        if not is_int(n_per_channel) or n_per_channel < 1:
            raise ValueError(f"n_per_channel must be a positive int, got {n_per_channel!r}")
        p = zhang_synapse_parameters({**source.parameters, **(params or {})})
        cf = np.asarray(source.CF_param[:], dtype=float)
        _build(self, source.filterbank, cf, p, int(n_per_channel), kwds, spikes=True)
        object.__setattr__(self, "n_per_channel", int(n_per_channel))


def _check_cf(CF: Any, source: Any) -> np.ndarray:  # noqa: N803
    cf = np.atleast_1d(frequencies_hz(CF, "CF"))
    if cf.size not in (1, source.nchannels):
        raise ValueError(f"CF must be a scalar or one value per channel "
                         f"({source.nchannels}), got {cf.size} values")
    return np.broadcast_to(cf, (source.nchannels,)).astype(float)


def _build(group: FilterbankGroup, source: Any, cf: np.ndarray, p: dict, n_per_channel: int,
           kwds: dict, spikes: bool) -> None:
    """Build a Zhang synapse group: the rate equations, and with ``spikes`` the
    refractory Poisson spike generation."""
    consts, p_2, c_irest, c_lrest = _derived(p, cf)
    fb = Repeat(source, n_per_channel) if n_per_channel > 1 else source
    namespace = dict(consts)
    namespace.update(kwds.pop("namespace", None) or {})
    kwds.setdefault("method", "euler")
    if spikes:
        FilterbankGroup.__init__(group, fb, "V_ihc", _EQS, threshold="rand() < R*dt",
                                 reset="e_0 = 1\ne_1 = 1", refractory=p["R_A"],
                                 namespace=namespace, **kwds)
    else:
        FilterbankGroup.__init__(group, fb, "V_ihc", _RATE_EQS, namespace=namespace, **kwds)
    group.CF_param = np.repeat(cf, n_per_channel)
    group.p_2 = np.repeat(p_2, n_per_channel)
    group.C_I = c_irest * Hz
    group.C_L = c_lrest * Hz
    object.__setattr__(group, "parameters", p)

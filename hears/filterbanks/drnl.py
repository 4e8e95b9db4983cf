"""Dual resonance nonlinear (DRNL) filterbank (Lopez-Poveda and Meddis 2001)."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.units import Hz

from .base import source_rate
from .library import ApproximateGammatone, LowPass, _centre_frequencies
from .linear import LinearFilterbank
from .structural import CombinedFilterbank, FunctionFilterbank, SumFilterbank

__all__ = ["DRNL", "drnl_parameters"]

_COMMON = {"stape_scale": 0.00014, "order_linear": 3, "order_nonlinear": 3}

_PARAMETERS = {
    "human": {
        "cf_lin_p0": -0.067, "cf_lin_m": 1.016, "bw_lin_p0": 0.037, "bw_lin_m": 0.785,
        "cf_nl_p0": -0.052, "cf_nl_m": 1.016, "bw_nl_p0": -0.031, "bw_nl_m": 0.774,
        "a_p0": 1.402, "a_m": 0.819, "b_p0": 1.619, "b_m": -0.818, "c_p0": -0.602, "c_m": 0.0,
        "g_p0": 4.2, "g_m": -0.48, "lp_lin_cutoff_p0": -0.067, "lp_lin_cutoff_m": 1.016,
        "lp_nl_cutoff_p0": -0.052, "lp_nl_cutoff_m": 1.016,
    },
    "guinea pig": {
        "cf_lin_p0": 0.339, "cf_lin_m": 0.895, "bw_lin_p0": 1.3, "bw_lin_m": 0.53,
        "cf_nl_p0": 0.0, "cf_nl_m": 1.0, "bw_nl_p0": 0.8, "bw_nl_m": 0.58,
        "a_p0": 1.87, "a_m": 0.45, "b_p0": -5.65, "b_m": 0.875, "c_p0": -1.0, "c_m": 0.0,
        "g_p0": 5.68, "g_m": -0.97, "lp_lin_cutoff_p0": 0.339, "lp_lin_cutoff_m": 0.895,
        "lp_nl_cutoff_p0": 0.0, "lp_nl_cutoff_m": 1.0,
    },
}


def drnl_parameters(type: str = "human", param: dict | None = None) -> dict:  # noqa: A002
    """The DRNL parameter set ``type`` (``'human'``: Lopez-Poveda and Meddis 2001, Table II;
    ``'guinea pig'``: Sumner et al. 2003), with the entries of ``param`` overriding it.

    Three entries differ from brian2hears, which had copying errors: the human linear gain
    falls with CF (``g_m = -0.48``; Lopez-Poveda and Meddis give 4.20 and -0.48, as does AMT's
    ``arg_drnl``), and the guinea-pig linear CF and low-pass cut-off slopes are 0.895 (brian2hears
    repeated the intercept 0.339).
    """
    if type not in _PARAMETERS:
        raise ValueError(f"type must be 'human' or 'guinea pig', got {type!r}")
    params = {**_COMMON, **_PARAMETERS[type]}
    if param:
        if not isinstance(param, dict):
            raise TypeError(f"param must be a dict, got {param.__class__.__name__}")
        for key, value in param.items():
            if key not in params:
                raise KeyError(f"{key!r} is not a DRNL parameter; valid keys: "
                               f"{', '.join(sorted(params))}")
            params[key] = value
    return params


class DRNL(CombinedFilterbank):
    """Dual resonance nonlinear filterbank (Lopez-Poveda and Meddis, JASA 2001).

    ``DRNL(source, cf, type='human', param=None)``

    The input (stapes displacement scaled by ``stape_scale``) goes through the sum of

    * a linear path: gammatone (:class:`ApproximateGammatone` of order ``order_linear``),
      gain ``g``, four first-order low-pass filters;
    * a nonlinear path: gammatone (order ``order_nonlinear``), broken-stick compression
      ``sign(x) * min(a |x|, b |x|**c)``, the same gammatone again, three low-pass filters.

    Every parameter ``x`` is ``10**(x_p0 + x_m * log10(cf))`` for the centre frequency ``cf``
    (Hz) of each channel; ``type`` selects the published set (``'human'`` or
    ``'guinea pig'``, see :func:`drnl_parameters`), ``param`` overrides entries. Consecutive
    linear stages run as one compiled cascade; the compression is vectorised over each chunk.
    """

    def __init__(self, source: Any, cf: Any, type: str = "human",  # noqa: A002
                 param: dict | None = None) -> None:
        CombinedFilterbank.__init__(self, source)
        src = self.get_modified_source()
        fs = source_rate(src)
        f = _centre_frequencies(cf, fs)
        p = drnl_parameters(type, param)
        self.cf = f * Hz
        self.parameters = p
        logcf = np.log10(f)

        def law(name: str) -> np.ndarray:
            return 10 ** (p[name + "_p0"] + p[name + "_m"] * logcf)

        scale = float(p["stape_scale"])
        stapes = FunctionFilterbank(src, lambda x: x * scale)
        # linear path: gammatone, gain and 4 low-pass sections as one cascade
        gt_lin = ApproximateGammatone(stapes, law("cf_lin"), law("bw_lin"),
                                      order=int(p["order_linear"]))
        lp_lin = LowPass(gt_lin, law("lp_lin_cutoff"))
        b_lin = np.concatenate((gt_lin.filt_b, np.tile(lp_lin.filt_b, (1, 1, 4))), axis=2)
        a_lin = np.concatenate((gt_lin.filt_a, np.tile(lp_lin.filt_a, (1, 1, 4))), axis=2)
        b_lin[:, :, 0] *= law("g")[:, None]
        linear = LinearFilterbank(stapes, b_lin, a_lin)
        # nonlinear path
        gt_nl = ApproximateGammatone(stapes, law("cf_nl"), law("bw_nl"),
                                     order=int(p["order_nonlinear"]))
        a, b, c = law("a"), law("b"), law("c")

        def compression(x: np.ndarray) -> np.ndarray:
            ax = np.abs(x)
            return np.sign(x) * np.minimum(a * ax, b * ax ** c)

        compressed = FunctionFilterbank(gt_nl, compression)
        lp_nl = LowPass(gt_nl, law("lp_nl_cutoff"))
        nonlinear = LinearFilterbank(
            compressed,
            np.concatenate((gt_nl.filt_b, np.tile(lp_nl.filt_b, (1, 1, 3))), axis=2),
            np.concatenate((gt_nl.filt_a, np.tile(lp_nl.filt_a, (1, 1, 3))), axis=2))
        self.linear_path, self.nonlinear_path = linear, nonlinear
        self.set_output(SumFilterbank((linear, nonlinear)))

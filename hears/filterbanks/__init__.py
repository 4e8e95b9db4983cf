"""Cochlear filterbanks: the filterbank protocol, linear (IIR and FIR) filterbanks vectorised
over channels, the gammatone family, nonlinear and structural filterbanks.

Every filterbank is a buffered source (``nchannels``, ``samplerate``, ``buffer_init()``,
``buffer_fetch(start, end)``) whose source is a :class:`~sounds.Sound`, a sound file stream or
another filterbank; ``process()`` runs a whole sound or an online reduction chunk by chunk.
"""

from .base import Bufferable, Filterbank
from .compressive import DCGC, TanCarney, TanCarneySignal, dcgc_parameters, tan_carney_parameters
from .drnl import DRNL, drnl_parameters
from .erb import erb_bandwidth, erbspace
from .fir import (
    FFTFIRFilterbank,
    FIRFilterbank,
    FractionalDelay,
    LinearFIRFilterbank,
    fractional_delay_ir,
)
from .library import (
    ApproximateGammatone,
    AsymmetricCompensation,
    Butterworth,
    Cascade,
    Gammatone,
    IIRFilterbank,
    LinearGaborchirp,
    LinearGammachirp,
    LogGammachirp,
    LowPass,
    MiddleEar,
    asymmetric_compensation_coeffs,
    erb_filters_to_ba,
    hohmann_impulse_response,
    make_erb_filters,
)
from .linear import LinearFilterbank, sos_to_ba
from .structural import (
    CombinedFilterbank,
    ControlFilterbank,
    DoNothingFilterbank,
    FunctionFilterbank,
    Interleave,
    Join,
    Repeat,
    RestructureFilterbank,
    SumFilterbank,
    Tile,
)

__all__ = [
    "Bufferable",
    "Filterbank",
    "LinearFilterbank",
    "sos_to_ba",
    "FIRFilterbank",
    "LinearFIRFilterbank",
    "FFTFIRFilterbank",
    "FractionalDelay",
    "fractional_delay_ir",
    "erbspace",
    "erb_bandwidth",
    "make_erb_filters",
    "erb_filters_to_ba",
    "Gammatone",
    "ApproximateGammatone",
    "hohmann_impulse_response",
    "LogGammachirp",
    "LinearGammachirp",
    "LinearGaborchirp",
    "Butterworth",
    "IIRFilterbank",
    "LowPass",
    "Cascade",
    "AsymmetricCompensation",
    "asymmetric_compensation_coeffs",
    "MiddleEar",
    "DRNL",
    "drnl_parameters",
    "DCGC",
    "dcgc_parameters",
    "TanCarney",
    "TanCarneySignal",
    "tan_carney_parameters",
    "FunctionFilterbank",
    "SumFilterbank",
    "RestructureFilterbank",
    "Repeat",
    "Tile",
    "Join",
    "Interleave",
    "DoNothingFilterbank",
    "CombinedFilterbank",
    "ControlFilterbank",
]

"""brian2hears' module path ``brian2hears.filtering.filterbanklibrary`` (its public names;
the implementations live in :mod:`hears.filterbanks` and :mod:`hears.group`)."""

from hears.filtering import (
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
    asymmetric_compensation_coeffs,
)

__all__ = ["Cascade", "Gammatone", "ApproximateGammatone", "LogGammachirp", "LinearGammachirp",
           "LinearGaborchirp", "IIRFilterbank", "Butterworth", "AsymmetricCompensation",
           "LowPass", "asymmetric_compensation_coeffs"]

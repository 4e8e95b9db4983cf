"""brian2hears' module path ``brian2hears.filtering.firfilterbank`` (its public names;
the implementations live in :mod:`hears.filterbanks` and :mod:`hears.group`)."""

from hears.filtering import (
    FFTFIRFilterbank,
    FIRFilterbank,
    LinearFIRFilterbank,
)

__all__ = ["FIRFilterbank", "LinearFIRFilterbank", "FFTFIRFilterbank"]

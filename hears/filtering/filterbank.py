"""brian2hears' module path ``brian2hears.filtering.filterbank`` (its public names;
the implementations live in :mod:`hears.filterbanks` and :mod:`hears.group`)."""

from hears.filtering import (
    CombinedFilterbank,
    ControlFilterbank,
    DoNothingFilterbank,
    Filterbank,
    FunctionFilterbank,
    Interleave,
    Join,
    Repeat,
    RestructureFilterbank,
    SumFilterbank,
    Tile,
)

__all__ = ["Filterbank", "RestructureFilterbank", "Repeat", "Tile", "Join", "Interleave",
           "FunctionFilterbank", "SumFilterbank", "DoNothingFilterbank", "ControlFilterbank",
           "CombinedFilterbank"]

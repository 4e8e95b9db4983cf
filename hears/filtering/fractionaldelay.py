"""brian2hears' module path ``brian2hears.filtering.fractionaldelay`` (its public names;
the implementations live in :mod:`hears.filterbanks` and :mod:`hears.group`)."""

from hears.filtering import (
    FractionalDelay,
)

__all__ = ["FractionalDelay"]

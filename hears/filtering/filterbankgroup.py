"""brian2hears' module path ``brian2hears.filtering.filterbankgroup`` (its public names;
the implementations live in :mod:`hears.filterbanks` and :mod:`hears.group`)."""

from hears.filtering import (
    FilterbankGroup,
)

__all__ = ["FilterbankGroup"]

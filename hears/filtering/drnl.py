"""brian2hears' module path ``brian2hears.filtering.drnl`` (its public names;
the implementations live in :mod:`hears.filterbanks` and :mod:`hears.group`)."""

from hears.filtering import (
    DRNL,
)

__all__ = ["DRNL"]

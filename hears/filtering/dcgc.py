"""brian2hears' module path ``brian2hears.filtering.dcgc`` (its public names;
the implementations live in :mod:`hears.filterbanks` and :mod:`hears.group`)."""

from hears.filtering import (
    DCGC,
)

__all__ = ["DCGC"]

"""brian2hears' module path ``brian2hears.filtering.linearfilterbank`` (its public names;
the implementations live in :mod:`hears.filterbanks` and :mod:`hears.group`)."""

from hears.filtering import (
    LinearFilterbank,
)

__all__ = ["LinearFilterbank"]

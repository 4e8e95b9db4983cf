"""Exceptions raised by the :mod:`sounds` package.

Every error names what was wrong: the argument, the file or the two sample rates involved.
"""

from __future__ import annotations

__all__ = [
    "SoundMismatchError",
    "SampleRateMismatchError",
    "ClippingError",
    "SoundFileError",
    "UnsupportedFormatError",
    "AudioDeviceError",
]


class SoundMismatchError(ValueError):
    """Sounds that cannot be combined: different lengths or incompatible channel counts."""


class SampleRateMismatchError(SoundMismatchError):
    """Sounds with different sample rates were combined without resampling."""


class ClippingError(ValueError):
    """Saving would clip samples outside [-1, 1] (use ``normalise=True`` or ``atmaxlevel``)."""


class SoundFileError(OSError):
    """A sound file exists but cannot be read or written (corrupt, truncated, not audio)."""


class UnsupportedFormatError(ValueError):
    """The file name's extension is not a sound format this installation can read or write."""


class AudioDeviceError(RuntimeError):
    """No audio output is available to play a sound."""

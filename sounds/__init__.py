"""hearsim sounds: arrays of samples that know their sample rate.

``from sounds import *`` gives brian2hears' sound names: :class:`Sound`, the generators
(:func:`tone`, :func:`whitenoise`, :func:`pinknoise`, :func:`brownnoise`,
:func:`powerlawnoise`, :func:`click`, :func:`clicks`, :func:`harmoniccomplex`, :func:`vowel`,
:func:`silence`, :func:`irns`, :func:`irno`, :func:`sequence`), file I/O (:func:`loadsound`,
:func:`savesound`, :class:`SoundFileStream`), levels (``dB``, ``dB_type``, ``dB_error``,
:func:`gain`) and the default sample rate.

Units: durations are time quantities (``10*ms``), ``int`` numbers of samples, or ``float``
seconds; sample rates and frequencies are frequency quantities (``44.1*kHz``) or numbers in Hz.
Samples are dimensionless, pascal by convention (levels are dB SPL re 20 uPa).

Importing this package is light: it loads numpy and ``sim.units`` only (scipy, soundfile and
matplotlib are imported when first needed).
"""

#: marks hearsim's package: ``hears`` checks it to detect a user's ``sounds.py`` hiding it
__hearsim__ = True

from .db import P0, dB, dB_error, dB_type, gain  # noqa: E402
from .defaults import get_default_samplerate, get_samplerate, set_default_samplerate
from .errors import (
    AudioDeviceError,
    ClippingError,
    SampleRateMismatchError,
    SoundFileError,
    SoundMismatchError,
    UnsupportedFormatError,
)
from .generators import (
    VOWEL_FORMANTS,
    brownnoise,
    click,
    clicks,
    harmoniccomplex,
    irno,
    irns,
    pinknoise,
    powerlawnoise,
    sequence,
    silence,
    tone,
    vowel,
    whitenoise,
)
from .io import SoundFileStream, loadsound, savesound, supported_extensions
from .sound import Sound, play
from .spectral import Spectrogram, Spectrum

BaseSound = Sound  # brian2hears' base class name

__all__ = [
    "Sound",
    "BaseSound",
    "tone",
    "harmoniccomplex",
    "whitenoise",
    "powerlawnoise",
    "pinknoise",
    "brownnoise",
    "irns",
    "irno",
    "click",
    "clicks",
    "silence",
    "vowel",
    "sequence",
    "VOWEL_FORMANTS",
    "loadsound",
    "savesound",
    "play",
    "SoundFileStream",
    "supported_extensions",
    "Spectrum",
    "Spectrogram",
    "dB",
    "dB_type",
    "dB_error",
    "gain",
    "P0",
    "get_default_samplerate",
    "get_samplerate",
    "set_default_samplerate",
    "SoundMismatchError",
    "SampleRateMismatchError",
    "ClippingError",
    "SoundFileError",
    "UnsupportedFormatError",
    "AudioDeviceError",
]

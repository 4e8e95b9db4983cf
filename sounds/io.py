"""Sound files through soundfile (libsndfile): load, save and block-wise streaming.

Formats are chosen by the file name's extension: ``.wav``, ``.flac``, ``.ogg`` (Vorbis),
``.aiff``/``.aif``, ``.au``, ``.w64``, ``.rf64``, ``.caf`` and ``.mp3`` where the installed
libsndfile supports them. Samples are read as float64 in [-1, 1] (full scale), one column per
channel, keeping the file's sample rate.

Saving never clips silently: a sound with samples outside [-1, 1] raises
:class:`~sounds.errors.ClippingError` unless ``normalise=True`` (scale the peak to 1) or it is
first brought to a safe level (``sound.atmaxlevel(...)``, ``sound.normalized()``).

:class:`SoundFileStream` reads a long file block by block, holding one block in memory, for
online filterbanks: it has brian2hears' buffered-source methods (``buffer_fetch``).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from sim.units import Hz, Quantity, second

from ._convert import as_nsamples, as_seconds, is_int
from .errors import ClippingError, SoundFileError, UnsupportedFormatError
from .sound import Sound

__all__ = ["load_sound", "save_sound", "loadsound", "savesound", "SoundFileStream",
           "supported_extensions"]

_EXTENSIONS = {
    "wav": "WAV", "flac": "FLAC", "ogg": "OGG", "oga": "OGG", "aiff": "AIFF", "aif": "AIFF",
    "aifc": "AIFF", "au": "AU", "w64": "W64", "rf64": "RF64", "caf": "CAF", "mp3": "MP3",
}

# subtype per sample width (bytes) for the PCM formats; None: the format cannot store it
_PCM = {1: "PCM_S8", 2: "PCM_16", 3: "PCM_24", 4: "PCM_32"}
_PCM_BY_FORMAT = {
    "WAV": {**_PCM, 1: "PCM_U8"},
    "W64": {**_PCM, 1: "PCM_U8"},
    "RF64": {**_PCM, 1: "PCM_U8"},
    "FLAC": {1: "PCM_S8", 2: "PCM_16", 3: "PCM_24"},
}
_LOSSY = {"OGG": "VORBIS", "MP3": "MPEG_LAYER_III"}


def _soundfile():
    import soundfile

    return soundfile


def _sf_errors() -> tuple[type[BaseException], ...]:
    sf = _soundfile()
    return (RuntimeError, getattr(sf, "SoundFileError", RuntimeError))


def supported_extensions() -> list[str]:
    """File extensions (without the dot) that this installation can read and write."""
    available = set(_soundfile().available_formats())
    return sorted(ext for ext, fmt in _EXTENSIONS.items() if fmt in available)


def _format_of(path: str) -> str:
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    fmt = _EXTENSIONS.get(ext)
    if fmt is None or fmt not in _soundfile().available_formats():
        shown = f"'.{ext}'" if ext else "no extension"
        raise UnsupportedFormatError(
            f"{path!r}: unsupported sound file format ({shown}); supported extensions: "
            f"{', '.join('.' + e for e in supported_extensions())}")
    return fmt


def _check_readable(path: str) -> None:
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "sound file not found", path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "expected a sound file, got a directory", path)


def _open_for_reading(filename: str | os.PathLike):
    path = os.fspath(filename)
    _check_readable(path)
    sf = _soundfile()
    try:
        return sf.SoundFile(path, "r")
    except _sf_errors() as exc:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if ext not in _EXTENSIONS:
            raise UnsupportedFormatError(
                f"{path!r}: not a sound file this installation can read (extension "
                f"'.{ext}'; supported: {', '.join('.' + e for e in supported_extensions())}): "
                f"{exc}") from None
        raise SoundFileError(f"cannot read sound file {path!r}: {exc}") from None


def _check_finite(data: np.ndarray, where: str, offset: int = 0) -> None:
    if not np.isfinite(data).all():
        i, j = np.argwhere(~np.isfinite(data))[0]
        raise ValueError(f"{where}: sample {offset + int(i)}, channel {int(j)} is "
                         f"{data[i, j]} (sounds must be finite)")


def load_sound(filename: str | os.PathLike) -> Sound:
    """Read a whole sound file into a Sound with the file's sample rate and channels.

    Raises ``FileNotFoundError`` for a missing file, :class:`UnsupportedFormatError` for a file
    that is not in a readable format and :class:`SoundFileError` for a damaged one; every
    message names the file.
    """
    path = os.fspath(filename)
    with _open_for_reading(path) as f:
        try:
            data = f.read(dtype="float64", always_2d=True)
        except _sf_errors() as exc:
            raise SoundFileError(f"cannot read sound file {path!r}: {exc}") from None
        rate = float(f.samplerate)
    _check_finite(data, repr(path))
    return Sound._wrap(np.ascontiguousarray(data), rate)


def save_sound(sound: Sound, filename: str | os.PathLike, normalise: bool = False,
               samplewidth: int = 2) -> None:
    """Write ``sound`` to ``filename``; the extension picks the format.

    ``samplewidth`` is the number of bytes per sample of PCM formats (1, 2, 3 or 4: 8, 16, 24
    or 32 bit; FLAC takes 1 to 3); lossy formats (ogg, mp3) ignore it. ``normalise=True``
    scales the sound so that its peak is 1 (full scale). Otherwise samples beyond [-1, 1]
    raise :class:`ClippingError` rather than being clipped. The file keeps the sound's sample
    rate, which must be a whole number of Hz, and its channels.
    """
    if not isinstance(sound, Sound):
        raise TypeError(f"save_sound(sound, ...): expected a Sound, got {type(sound).__name__}")
    path = os.fspath(filename)
    fmt = _format_of(path)
    if not is_int(samplewidth) or samplewidth not in (1, 2, 3, 4):
        raise ValueError(f"{path!r}: samplewidth must be 1, 2, 3 or 4 bytes, got {samplewidth!r}")
    if fmt in _LOSSY:
        subtype = _LOSSY[fmt]
    else:
        subtype = _PCM_BY_FORMAT.get(fmt, _PCM).get(int(samplewidth))
        if subtype is None:
            raise ValueError(f"{path!r}: the {fmt} format cannot store {samplewidth}-byte samples")
    sf = _soundfile()
    if not sf.check_format(fmt, subtype):
        raise UnsupportedFormatError(f"{path!r}: this libsndfile cannot write {fmt} ({subtype})")
    rate = float(np.asarray(sound.samplerate))
    if rate != round(rate):
        raise ValueError(f"{path!r}: sound files need a whole number of samples per second, "
                         f"the sound has {rate!r} Hz (resample it first)")
    data = np.asarray(sound)
    _check_finite(data, f"cannot save {path!r}")
    peak = float(np.max(np.abs(data))) if data.size else 0.0
    if normalise:
        if peak > 0:
            data = data / peak
    elif peak > 1.0:
        raise ClippingError(
            f"cannot save {path!r} without clipping: the peak amplitude is {peak:.6g} (full "
            f"scale is 1); pass normalise=True, or save sound.normalized() or "
            f"sound.atmaxlevel(...) at a lower level")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise FileNotFoundError(errno.ENOENT, "directory for the sound file does not exist", path)
    try:
        sf.write(path, data, int(round(rate)), subtype=subtype, format=fmt)
    except _sf_errors() as exc:
        raise SoundFileError(f"cannot write sound file {path!r}: {exc}") from None


#: brian2hears name of :func:`load_sound`.
loadsound = load_sound


def savesound(sound: Sound, filename: str | os.PathLike, normalise: bool = False,
              samplewidth: int = 2) -> None:
    """brian2hears name of :func:`save_sound` (``sound.save(filename, ...)``)."""
    save_sound(sound, filename, normalise=normalise, samplewidth=samplewidth)


class SoundFileStream:
    """Read a sound file block by block, without loading it whole.

    ``SoundFileStream(filename, blocksize=4096)`` opens the file (errors as for
    :func:`load_sound`). Iterating yields consecutive Sounds of ``blocksize`` samples (the last
    one shorter) from the current position; :meth:`read` returns the next block of any size and
    :meth:`seek` moves (samples or time). Only the block being read is held in memory.

    As a buffered source for online filterbanks it offers brian2hears' ``buffer_init()``,
    ``buffer_fetch(start, end)`` (a plain ``(end-start, nchannels)`` array, zeros past the end
    of the file) and ``buffer_fetch_next(samples)``. Use it as a context manager, or call
    :meth:`close`.
    """

    def __init__(self, filename: str | os.PathLike, blocksize: Any = 4096) -> None:
        self.filename = os.fspath(filename)
        self._file = _open_for_reading(self.filename)
        self._rate = float(self._file.samplerate)
        try:
            self.blocksize = as_nsamples(blocksize, self._rate, "blocksize")
        except Exception:
            self._file.close()
            raise
        self._position = 0

    # -- description ------------------------------------------------------------------------
    @property
    def samplerate(self) -> Quantity:
        """Sample rate of the file (Quantity in Hz)."""
        return self._rate * Hz

    @property
    def nchannels(self) -> int:
        """Number of channels in the file."""
        return int(self._file.channels)

    @property
    def nsamples(self) -> int:
        """Number of samples (frames) in the file."""
        return int(self._file.frames)

    @property
    def duration(self) -> Quantity:
        """Duration of the file (Quantity in seconds)."""
        return (self.nsamples / self._rate) * second

    @property
    def position(self) -> int:
        """Index of the next sample :meth:`read` returns."""
        return self._position

    @property
    def closed(self) -> bool:
        """Whether the file has been closed."""
        return bool(self._file.closed)

    def __repr__(self) -> str:
        return (f"SoundFileStream({self.filename!r}, blocksize={self.blocksize}: "
                f"{self.nsamples} samples x {self.nchannels} channel(s), {self._rate:g} Hz)")

    # -- reading ----------------------------------------------------------------------------
    def _read_raw(self, n: int) -> np.ndarray:
        if self._file.closed:
            raise ValueError(f"SoundFileStream({self.filename!r}) is closed")
        try:
            data = self._file.read(n, dtype="float64", always_2d=True)
        except _sf_errors() as exc:
            raise SoundFileError(f"cannot read sound file {self.filename!r} at sample "
                                 f"{self._position}: {exc}") from None
        _check_finite(data, repr(self.filename), self._position)
        self._position += data.shape[0]
        return data

    def read(self, nsamples: Any = None) -> Sound:
        """The next ``nsamples`` samples (default ``blocksize``; fewer at the end of the file,
        none after it) as a Sound."""
        n = self.blocksize if nsamples is None else as_nsamples(nsamples, self._rate,
                                                                "nsamples", allow_zero=True)
        return Sound._wrap(self._read_raw(n), self._rate)

    def seek(self, position: Any) -> None:
        """Move to ``position``: an int sample index or a time from the start of the file."""
        if is_int(position):
            index = int(position)
        else:
            index = int(np.rint(as_seconds(position, "position") * self._rate))
        if not 0 <= index <= self.nsamples:
            raise IndexError(f"seek({position!r}): outside the file {self.filename!r} "
                             f"(0 to {self.nsamples} samples)")
        self._file.seek(index)
        self._position = index

    def blocks(self, blocksize: Any = None) -> Iterator[Sound]:
        """Yield consecutive blocks of ``blocksize`` samples (default: the stream's) until the
        end of the file."""
        n = self.blocksize if blocksize is None else as_nsamples(blocksize, self._rate,
                                                                 "blocksize")
        while True:
            block = self.read(n)
            if block.shape[0] == 0:
                return
            yield block

    def __iter__(self) -> Iterator[Sound]:
        return self.blocks()

    # -- buffered source protocol -----------------------------------------------------------
    def buffer_init(self) -> None:
        """Rewind to the start of the file."""
        self.seek(0)
        self._buffer_next = 0

    def buffer_fetch(self, start: int, end: int) -> np.ndarray:
        """Samples ``[start, end)`` as a plain array, zeros past the end of the file.

        Sequential fetches (``start`` equal to the end of the previous one) only read forward.
        """
        if start < 0 or end < start:
            raise IndexError(f"buffer_fetch({start}, {end}): need 0 <= start <= end")
        out = np.zeros((end - start, self.nchannels))
        if start < self.nsamples:
            if start != self._position:
                self.seek(start)
            data = self._read_raw(min(end, self.nsamples) - start)
            out[:data.shape[0]] = data
        return out

    def buffer_fetch_next(self, samples: int) -> np.ndarray:
        """The next ``samples`` samples after the last fetch, zeros past the end of the file."""
        start = getattr(self, "_buffer_next", self._position)
        self._buffer_next = start + samples
        return self.buffer_fetch(start, start + samples)

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> SoundFileStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

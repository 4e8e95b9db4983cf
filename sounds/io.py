"""Sound files through soundfile (libsndfile): load, save and block-wise streaming.

Formats are chosen by the file name's extension: ``.wav``, ``.flac``, ``.ogg`` (Vorbis),
``.aiff``/``.aif``, ``.au``, ``.w64``, ``.rf64``, ``.caf`` and ``.mp3`` where the installed
libsndfile supports them. Samples are read as float64 in [-1, 1] (full scale), one column per
channel, keeping the file's sample rate.

Saving never clips silently: a sound with samples outside [-1, 1] raises
:class:`~sounds.errors.ClippingError` unless ``normalise=True`` (scale the peak to 1) or it is
first brought to a safe level (``sound.atmaxlevel(...)``, ``sound.normalized()``). Float
subtypes (``subtype='FLOAT'`` or ``'DOUBLE'``) store samples as they are, beyond full scale
included.

Integer (PCM) samples: an ``n``-bit sample ``k`` is the value ``k / 2**(n-1)``, in both
directions (libsndfile's convention when it reads). Saving rounds ``x * 2**(n-1)`` to the
nearest integer and hands libsndfile the integers, so a sound whose samples lie on that grid
is stored and loaded back exactly, in WAV as in FLAC, whatever libsndfile's own float-to-int
scaling (older versions wrote with ``2**(n-1) - 1``: WAV round trips were off by one step).
The largest integer is ``2**(n-1) - 1``, so a sample of exactly +1.0 is stored one step
lower.

A WAV file whose data chunk is shorter than its header says (a truncated download or copy)
loads with a ``UserWarning`` giving the samples promised and found, or, with
``strict=True``, raises :class:`~sounds.errors.SoundFileError`.

:class:`SoundFileStream` reads a long file block by block, holding one block in memory, for
online filterbanks: it has brian2hears' buffered-source methods (``buffer_fetch``).
"""

from __future__ import annotations

import errno
import os
import struct
import warnings
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
# bits per sample of the plain integer subtypes, which are converted here (see the module
# docstring); every other subtype is passed to and from libsndfile as float64
_PCM_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32}
# subtypes that store floats: nothing clips, so samples beyond full scale may be saved
_FLOAT_SUBTYPES = {"FLOAT", "DOUBLE"}


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


def _read_samples(f: Any, n: int = -1) -> np.ndarray:
    """``n`` frames (all with -1) from an open SoundFile as float64 ``(n, channels)``.

    Integer subtypes are read as int32 (libsndfile puts an n-bit sample in the top n bits) and
    divided by 2**31: the value ``k / 2**(n-1)`` that `save_sound` writes, exactly.
    """
    if f.subtype in _PCM_BITS:
        raw = f.read(n, dtype="int32", always_2d=True)
        return raw / 2.0**31
    return f.read(n, dtype="float64", always_2d=True)


def _wav_declared_frames(path: str) -> int | None:
    """Frames a RIFF/WAVE file's header promises (data chunk size / block align).

    None when the file is not a plain RIFF/RIFX WAVE or the header gives no usable length
    (0 or 0xFFFFFFFF are written by streaming encoders that do not know it).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
                return None
            endian = "<" if head[:4] == b"RIFF" else ">"
            block_align = None
            while True:
                chunk = fh.read(8)
                if len(chunk) < 8:
                    return None
                cid, (size,) = chunk[:4], struct.unpack(endian + "I", chunk[4:])
                if cid == b"fmt ":
                    body = fh.read(min(size, 16))
                    if len(body) < 14:
                        return None
                    (block_align,) = struct.unpack(endian + "H", body[12:14])
                    fh.seek(size - len(body) + (size & 1), os.SEEK_CUR)
                elif cid == b"data":
                    if not block_align or size in (0, 0xFFFFFFFF):
                        return None
                    return size // block_align
                else:
                    fh.seek(size + (size & 1), os.SEEK_CUR)  # chunks are padded to even sizes
    except OSError:
        return None


def _check_complete(path: str, f: Any, found: int, strict: bool) -> None:
    """Warn (or raise, ``strict``) when a WAV file holds fewer frames than its header says.

    libsndfile quietly reads what is there, so a truncated file would load short unnoticed.
    """
    if f.format not in ("WAV", "WAVEX"):
        return
    promised = _wav_declared_frames(path)
    if promised is None or found >= promised:
        return
    message = (f"{path!r}: truncated WAV file: its header promises {promised} samples "
               f"(per channel) but the file holds only {found}")
    if strict:
        raise SoundFileError(f"{message}; refusing it (strict=True)")
    warnings.warn(f"{message}; loaded the {found} samples present (pass strict=True to "
                  "refuse such files)", UserWarning, stacklevel=3)


def load_sound(filename: str | os.PathLike, strict: bool = False) -> Sound:
    """Read a whole sound file into a Sound with the file's sample rate and channels.

    Samples are float64, full scale 1 (integer samples ``k / 2**(bits-1)``, see the module
    docstring). Raises ``FileNotFoundError`` for a missing file, :class:`UnsupportedFormatError`
    for a file that is not in a readable format and :class:`SoundFileError` for a damaged one;
    every message names the file. A WAV file holding fewer samples than its header promises
    loads what it holds with a ``UserWarning``; with ``strict=True`` it raises
    :class:`SoundFileError` instead.
    """
    path = os.fspath(filename)
    with _open_for_reading(path) as f:
        try:
            data = _read_samples(f)
        except _sf_errors() as exc:
            raise SoundFileError(f"cannot read sound file {path!r}: {exc}") from None
        rate = float(f.samplerate)
        _check_complete(path, f, data.shape[0], strict)
    _check_finite(data, repr(path))
    return Sound._wrap(np.ascontiguousarray(data), rate)


def _subtype_for(path: str, fmt: str, samplewidth: int | None, subtype: str | None) -> str:
    """The libsndfile subtype to write: from ``subtype``, else from ``samplewidth``."""
    sf = _soundfile()
    if subtype is not None:
        if not isinstance(subtype, str):
            raise TypeError(f"{path!r}: subtype must be a string such as 'PCM_16' or 'FLOAT', "
                            f"got {subtype!r}")
        name = subtype.strip().upper()
        known = sf.available_subtypes(fmt)
        if name not in known:
            raise ValueError(f"{path!r}: unknown subtype {subtype!r} for the {fmt} format; "
                             f"this libsndfile writes {fmt} as {', '.join(sorted(known))}")
        if samplewidth is not None and _PCM_BITS.get(name) != 8 * samplewidth:
            raise ValueError(f"{path!r}: samplewidth={samplewidth!r} contradicts "
                             f"subtype={subtype!r}; give one of them")
        return name
    if samplewidth is None:
        samplewidth = 2
    if not is_int(samplewidth) or samplewidth not in (1, 2, 3, 4):
        raise ValueError(f"{path!r}: samplewidth must be 1, 2, 3 or 4 bytes, got {samplewidth!r}")
    if fmt in _LOSSY:
        return _LOSSY[fmt]
    name = _PCM_BY_FORMAT.get(fmt, _PCM).get(int(samplewidth))
    if name is None:
        raise ValueError(f"{path!r}: the {fmt} format cannot store {samplewidth}-byte samples")
    return name


def _to_pcm(data: np.ndarray, bits: int) -> np.ndarray:
    """Float samples as int32 holding the ``bits``-bit integers in their top bits.

    ``x`` becomes ``round(x * 2**(bits-1))`` (half to even), clipped to the integer range
    (only +1.0 itself, or a value within half a step of it, is affected: the caller has
    refused anything beyond full scale). libsndfile keeps the top ``bits`` bits of an int32
    sample, so the integers reach the file untouched.
    """
    top = 2 ** (bits - 1)
    ints = np.clip(np.rint(data * top), -top, top - 1).astype(np.int64)
    return (ints << (32 - bits)).astype(np.int32)


def save_sound(sound: Sound, filename: str | os.PathLike, normalise: bool = False,
               samplewidth: int | None = None, subtype: str | None = None) -> None:
    """Write ``sound`` to ``filename``; the extension picks the format.

    ``samplewidth`` is the number of bytes per sample of PCM formats (1, 2, 3 or 4: 8, 16, 24
    or 32 bit; FLAC takes 1 to 3; default 2); lossy formats (ogg, mp3) ignore it. ``subtype``
    instead names libsndfile's sample encoding for the format, e.g. ``'PCM_16'``,
    ``'PCM_24'``, ``'FLOAT'`` (32-bit float) or ``'DOUBLE'`` (64-bit float) for WAV (see
    ``soundfile.available_subtypes(format)``); an unknown one raises ``ValueError`` listing
    those available. Give one of the two.

    ``normalise=True`` scales the sound so that its peak is 1 (full scale). Otherwise samples
    beyond [-1, 1] raise :class:`ClippingError` rather than being clipped, except with a float
    subtype, which stores them as they are. Integer samples are ``round(x * 2**(bits-1))``, so
    samples on that grid load back exactly (see the module docstring). The file keeps the
    sound's sample rate, which must be a whole number of Hz, and its channels.
    """
    if not isinstance(sound, Sound):
        raise TypeError(f"save_sound(sound, ...): expected a Sound, got {type(sound).__name__}")
    path = os.fspath(filename)
    fmt = _format_of(path)
    subtype = _subtype_for(path, fmt, samplewidth, subtype)
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
    elif peak > 1.0 and subtype not in _FLOAT_SUBTYPES:
        raise ClippingError(
            f"cannot save {path!r} without clipping: the peak amplitude is {peak:.6g} (full "
            f"scale is 1); pass normalise=True, or save sound.normalized() or "
            f"sound.atmaxlevel(...) at a lower level")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise FileNotFoundError(errno.ENOENT, "directory for the sound file does not exist", path)
    if subtype in _PCM_BITS:
        # integers, not floats: libsndfile's float-to-int scaling has differed between
        # versions and from its int-to-float scaling on reading
        data = _to_pcm(data, _PCM_BITS[subtype])
    try:
        sf.write(path, data, int(round(rate)), subtype=subtype, format=fmt)
    except _sf_errors() as exc:
        raise SoundFileError(f"cannot write sound file {path!r}: {exc}") from None


#: brian2hears name of :func:`load_sound`.
loadsound = load_sound


def savesound(sound: Sound, filename: str | os.PathLike, normalise: bool = False,
              samplewidth: int | None = None, subtype: str | None = None) -> None:
    """brian2hears name of :func:`save_sound` (``sound.save(filename, ...)``)."""
    save_sound(sound, filename, normalise=normalise, samplewidth=samplewidth, subtype=subtype)


class SoundFileStream:
    """Read a sound file block by block, without loading it whole.

    ``SoundFileStream(filename, blocksize=4096)`` opens the file (errors as for
    :func:`load_sound`). Iterating yields consecutive Sounds of ``blocksize`` samples (the last
    one shorter) from the current position; :meth:`read` returns the next block of any size and
    :meth:`seek` moves (samples or time). Only the block being read is held in memory.

    As a buffered source for online filterbanks it offers brian2hears' ``buffer_init()``,
    ``buffer_fetch(start, end)`` (a plain ``(end-start, nchannels)`` array, zeros past the end
    of the file) and ``buffer_fetch_next(samples)``. Use it as a context manager, or call
    :meth:`close`. A truncated WAV file warns when opened, or with ``strict=True`` raises
    :class:`SoundFileError` (as :func:`load_sound`).
    """

    def __init__(self, filename: str | os.PathLike, blocksize: Any = 4096,
                 strict: bool = False) -> None:
        self.filename = os.fspath(filename)
        self._file = _open_for_reading(self.filename)
        self._rate = float(self._file.samplerate)
        try:
            _check_complete(self.filename, self._file, int(self._file.frames), strict)
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
            data = _read_samples(self._file, n)
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

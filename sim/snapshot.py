"""Snapshot files of ``Network.store(name, filename=...)``: arrays and plain metadata.

A snapshot file is an uncompressed ``.npz`` archive (whatever its name) read with
``allow_pickle=False``, so that opening one can never run code (Brian 2 and
earlier hearsim versions used pickle).  It holds:

* ``__hearsim_snapshot__``: UTF-8 JSON (as a ``uint8`` array)::

      {"format": "hearsim-snapshot", "version": 1, "writer": "hearsim",
       "names": ["default", ...],
       "snapshots": {"default": <tree>, ...}}

* one ``.npy`` member per stored array, named ``s<snapshot>_a<number>``.

A ``<tree>`` is the in-memory snapshot written as JSON: ``null``, ``true``/``false``,
JSON integers and strings as themselves, and one-key objects for the rest:
``{"float": "0.1"}`` (``repr``, so ``nan``/``inf`` survive), ``{"fraction": [n, d]}``,
``{"tuple": [...]}``, ``{"list": [...]}``, ``{"dict": [[key, value], ...]}`` and
``{"array": "s0_a3", "dtype": "<f8", "shape": [10], "scalar": false}`` (with
``"dim": [exponents]`` for a :class:`~sim.units.Quantity`).  The metadata's
dtype and shape of every array are checked against the archive member.

Reading a file that is not such an archive, was written by a newer format
version, is damaged (truncated, bad checksum) or lacks the requested name raises
:class:`SnapshotError` (a ``ValueError``) naming the file and the problem.  Files
are written with :func:`sim.safe_io.atomic_write`: a failed write (disk full)
leaves the earlier file intact.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np

from sim.safe_io import atomic_write

__all__ = ["SnapshotError", "SnapshotNameError", "FORMAT", "VERSION", "META_KEY",
           "read_snapshots", "write_snapshots", "add_snapshot", "check_snapshot"]

FORMAT = "hearsim-snapshot"
VERSION = 1
META_KEY = "__hearsim_snapshot__"
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_DEPTH = 64


class SnapshotError(ValueError):
    """A snapshot file (or a stored state) that cannot be used: foreign, damaged,
    written by a newer version, or not matching the network."""


class SnapshotNameError(SnapshotError, KeyError):
    """The file holds no snapshot of the requested name (also a ``KeyError``, as the
    in-memory ``restore`` raises)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# -- encoding ------------------------------------------------------------------------
class _Encoder:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, value: np.ndarray, where: str, scalar: bool = False) -> dict:
        arr = np.asarray(value)
        if arr.dtype.hasobject or arr.dtype.fields is not None:
            raise SnapshotError(f"cannot store the array at {where}: dtype {arr.dtype} "
                                f"(only plain numeric, boolean and string arrays)")
        key = f"{self.prefix}_a{len(self.arrays)}"
        self.arrays[key] = np.ascontiguousarray(arr)
        node = {"array": key, "dtype": arr.dtype.str, "shape": list(arr.shape),
                "scalar": scalar}
        dim = getattr(value, "dim", None)
        if dim is not None and isinstance(value, np.ndarray):
            node["dim"] = [float(x) for x in dim._dims]
        return node

    def encode(self, value, where: str = "snapshot", depth: int = 0):
        if depth > _MAX_DEPTH:
            raise SnapshotError(f"cannot store {where}: nested too deeply")
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return {"float": repr(float(value))}
        if isinstance(value, Fraction):
            return {"fraction": [value.numerator, value.denominator]}
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, np.generic):
            return self.array(np.asarray(value), where, scalar=True)
        if isinstance(value, tuple | list):
            kind = "tuple" if isinstance(value, tuple) else "list"
            return {kind: [self.encode(v, f"{where}[{k}]", depth + 1)
                           for k, v in enumerate(value)]}
        if isinstance(value, dict):
            return {"dict": [[self.encode(k, f"{where} (a key)", depth + 1),
                              self.encode(v, f"{where}[{k!r}]", depth + 1)]
                             for k, v in value.items()]}
        raise SnapshotError(f"cannot store {where}: a {type(value).__name__} (snapshot "
                            f"files hold only arrays, numbers, strings and containers)")


# -- decoding ------------------------------------------------------------------------
class _Damaged(Exception):
    """Raised inside decoding; turned into a SnapshotError naming the file."""


def _decode(node, load, depth: int = 0):
    if depth > _MAX_DEPTH:
        raise _Damaged("the metadata is nested too deeply")
    if node is None or isinstance(node, bool | str):
        return node
    if isinstance(node, int):
        return node
    if not isinstance(node, dict) or len(node) < 1:
        raise _Damaged(f"unexpected metadata entry {str(node)[:60]!r}")
    if "array" in node:
        return load(node)
    if len(node) != 1:
        raise _Damaged(f"unexpected metadata entry {str(node)[:60]!r}")
    (kind, body), = node.items()
    if kind == "float" and isinstance(body, str):
        try:
            return float(body)
        except ValueError:
            raise _Damaged(f"bad number {body[:40]!r} in the metadata") from None
    if kind == "fraction" and isinstance(body, list) and len(body) == 2 and all(
            isinstance(x, int) and not isinstance(x, bool) for x in body) and body[1] > 0:
        return Fraction(body[0], body[1])
    if kind in ("tuple", "list") and isinstance(body, list):
        items = [_decode(v, load, depth + 1) for v in body]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict" and isinstance(body, list):
        out = {}
        for pair in body:
            if not isinstance(pair, list) or len(pair) != 2:
                raise _Damaged("a malformed dictionary in the metadata")
            key = _decode(pair[0], load, depth + 1)
            try:
                out[key] = _decode(pair[1], load, depth + 1)
            except TypeError:
                raise _Damaged("an unhashable dictionary key in the metadata") from None
        return out
    raise _Damaged(f"unexpected metadata entry {str(node)[:60]!r}")


def _array_loader(npz, archive: zipfile.ZipFile):
    members = {name[:-4]: info for info in archive.infolist()
               if (name := info.filename).endswith(".npy")}

    def load(node: dict):
        key, dtype, shape = node.get("array"), node.get("dtype"), node.get("shape")
        if not isinstance(key, str) or not isinstance(dtype, str) or not (
                isinstance(shape, list) and all(isinstance(n, int) and n >= 0
                                                for n in shape)):
            raise _Damaged("a malformed array entry in the metadata")
        if key not in members:
            raise _Damaged(f"the array '{key}' named in the metadata is missing")
        try:
            want = np.dtype(dtype)
        except TypeError:
            raise _Damaged(f"the array '{key}' has an unknown dtype {dtype!r}") from None
        if want.hasobject:
            raise _Damaged(f"the array '{key}' would need pickle (dtype {dtype!r})")
        nbytes = want.itemsize * math.prod(shape)
        if members[key].file_size < nbytes:
            raise _Damaged(f"the array '{key}' is shorter than its metadata says")
        arr = npz[key]
        if arr.dtype.str != dtype or list(arr.shape) != shape:
            raise _Damaged(f"the array '{key}' is {arr.dtype.str} {list(arr.shape)}, its "
                           f"metadata says {dtype} {shape}")
        if node.get("scalar"):
            if arr.shape != ():
                raise _Damaged(f"the scalar '{key}' is not 0-dimensional")
            return arr[()]
        if "dim" in node:
            from sim.units import Quantity
            from sim.units.dimensions import get_or_create_dimension

            dim = node["dim"]
            if not (isinstance(dim, list) and len(dim) == 7 and all(
                    isinstance(x, int | float) and not isinstance(x, bool) for x in dim)):
                raise _Damaged(f"the unit of the array '{key}' is malformed")
            return Quantity(arr, dim=get_or_create_dimension(dim))
        return arr

    return load


def _describe_start(head: bytes) -> str:
    if not head:
        return "the file is empty"
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}"):
        return ("it looks like a pickle (a snapshot written by an older hearsim or "
                "by Brian 2?); pickled snapshots are not read, since loading one can "
                "run arbitrary code")
    if head[:6] == b"\x93NUMPY":
        return "it is a single .npy array, not a snapshot archive"
    return "it is not an .npz archive"


def read_snapshots(filename, names=None) -> dict:
    """The snapshots stored in ``filename`` (only ``names``, if given), decoded and
    checked; raises :class:`SnapshotError` naming the file and the problem."""
    path = Path(filename)
    with path.open("rb") as fh:  # FileNotFoundError / PermissionError as they are
        head = fh.read(8)
        if head[:4] != _ZIP_MAGIC:
            raise SnapshotError(f"'{path}' is not a hearsim snapshot file: "
                                f"{_describe_start(head)}")
        fh.seek(0)
        try:
            with np.load(fh, allow_pickle=False) as npz:
                return _read(path, npz.zip, npz, names)
        except SnapshotError:
            raise
        except (_Damaged, zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError,
                KeyError, TypeError, IndexError, MemoryError, RecursionError,
                UnicodeDecodeError, NotImplementedError) as exc:
            raise SnapshotError(f"'{path}' is a damaged hearsim snapshot file: "
                                f"{_message(exc)}") from None


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, _Damaged):
        return text
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return f"the archive is truncated or corrupt ({text or type(exc).__name__})"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read(path: Path, archive, npz, names) -> dict:
    if META_KEY not in npz.files:
        raise SnapshotError(f"'{path}' is not a hearsim snapshot file: an .npz archive "
                            f"without the '{META_KEY}' metadata")
    raw = npz[META_KEY]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _Damaged("the metadata is not a byte string")
    meta = json.loads(raw.tobytes().decode("utf-8"))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SnapshotError(f"'{path}' is not a hearsim snapshot file: its metadata "
                            f"names the format {str(meta.get('format') if isinstance(meta, dict) else meta)[:40]!r}")  # noqa: E501
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Damaged(f"bad format version {version!r}")
    if version > VERSION:
        raise SnapshotError(
            f"'{path}' was written by a newer hearsim (snapshot format version "
            f"{version}; this version reads version {VERSION} and older): upgrade hearsim"
        )
    stored, order = meta.get("snapshots"), meta.get("names")
    if not isinstance(stored, dict) or not isinstance(order, list) or sorted(
            order) != sorted(stored) or len(set(order)) != len(order):
        raise _Damaged("the list of snapshot names does not match the snapshots")
    if names is None:
        names = order
    for name in names:
        if name not in stored:
            raise SnapshotNameError(f"No state named {name!r} in '{path}' "
                                    f"(stored: {sorted(order)})")
    load = _array_loader(npz, archive)
    out = {}
    for name in names:
        snapshot = _decode(stored[name], load)
        try:
            check_snapshot(snapshot, f"the state {name!r} in '{path}'")
        except SnapshotError as exc:
            raise _Damaged(str(exc)) from None
        out[name] = snapshot
    return out


def check_snapshot(snapshot, what: str = "the stored state") -> None:
    """The shape every snapshot has (``{'t': Fraction, 'objects': {name: dict}, ...}``)."""
    if not isinstance(snapshot, dict):
        raise SnapshotError(f"{what} is not a dictionary")
    t = snapshot.get("t")
    if not isinstance(t, Fraction | int) or isinstance(t, bool) or t < 0:
        raise SnapshotError(f"{what} has no valid network time")
    objects = snapshot.get("objects")
    if not isinstance(objects, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) for k, v in objects.items()):
        raise SnapshotError(f"{what} has no valid object states")
    rnd = snapshot.get("random")
    if rnd is not None and not (isinstance(rnd, dict) and all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
            for k, v in rnd.items())):
        raise SnapshotError(f"{what} has a malformed random state")


# -- writing -------------------------------------------------------------------------
def write_snapshots(filename, snapshots: dict) -> None:
    """Write ``{name: snapshot}`` to ``filename`` atomically (all encoded first)."""
    arrays: dict[str, np.ndarray] = {}
    trees = {}
    for k, (name, snapshot) in enumerate(snapshots.items()):
        if not isinstance(name, str):
            raise TypeError(f"Snapshot names stored in a file are strings, not {name!r}")
        encoder = _Encoder(f"s{k}")
        trees[name] = encoder.encode(snapshot, f"the state {name!r}")
        arrays.update(encoder.arrays)
    meta = {"format": FORMAT, "version": VERSION, "writer": "hearsim",
            "names": list(snapshots), "snapshots": trees}
    text = json.dumps(meta, separators=(",", ":"), allow_nan=False)
    arrays[META_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(filename, "wb") as fh:
        np.savez(fh, allow_pickle=False, **arrays)


def add_snapshot(filename, name: str, snapshot: dict) -> None:
    """Store ``snapshot`` as ``name`` in ``filename``, keeping the file's other
    snapshots (the file is read as data, checked, and rewritten atomically).  A file
    that is not a snapshot file is not overwritten: :class:`SnapshotError`."""
    if not isinstance(name, str):
        raise TypeError(f"Snapshot names stored in a file are strings, not {name!r}")
    path = Path(filename)
    stored = {}
    if os.path.exists(path) and os.path.getsize(path) > 0:  # an empty file: a new one
        try:
            stored = read_snapshots(path)
        except SnapshotError as exc:
            raise SnapshotError(f"{exc}. The file is not overwritten: remove it or "
                                f"store into another file") from None
    stored[name] = snapshot
    write_snapshots(path, stored)

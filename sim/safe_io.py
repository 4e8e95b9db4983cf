"""Careful file handling shared by the writers and readers of the project.

* :func:`atomic_write`: write a file so that, whatever happens (disk full, a
  crash, Ctrl-C), the path holds either its old content or the complete new
  one: the data goes to a temporary file in the same folder, is flushed and
  ``fsync``-ed, then renamed onto the target (``os.replace``), and the folder
  is ``fsync``-ed where the platform allows.  On failure the temporary file
  is removed and the target is untouched.
* :func:`private_dir` / :func:`check_private_dir`: folders whose files are
  executed or unpickled (the numba kernel cache) must be the user's own:
  created ``0700``, and refused when another user could write into them.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_bytes", "private_dir", "check_private_dir",
           "UnsafeDirectoryError"]


class UnsafeDirectoryError(PermissionError):
    """A folder whose content would be executed can be written by other users."""


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask() is process-wide, not atomic)
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX; a no-op where folders cannot be
    opened, e.g. Windows)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", *, durable: bool = True,
                 permissions: int | None = None, **open_kwargs) -> Iterator:
    """Context manager giving a file object whose content replaces ``path`` at the end.

    ``path`` keeps its old content until the ``with`` block has finished without an
    exception; then the new content takes its place in one rename.  ``durable``:
    ``fsync`` the data and the folder (a snapshot); without it only the atomicity is
    kept (a cache that can be rebuilt).  ``permissions``: the new file's mode bits
    (default: those of the file it replaces, else ``0o666`` less the umask, as
    ``open`` would give).  A symbolic link is followed: the file it points to is
    replaced.

    Example::

        with atomic_write("state.npz") as fh:
            np.savez(fh, x=x)
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    directory = target.parent
    if permissions is None:
        try:
            permissions = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            permissions = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, permissions)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(directory)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, **kwargs) -> None:
    """Write ``data`` to ``path`` with :func:`atomic_write`."""
    with atomic_write(path, "wb", **kwargs) as fh:
        fh.write(data)


def check_private_dir(path: str | os.PathLike, what: str = "folder",
                      owned: bool = True) -> None:
    """Raise :class:`UnsafeDirectoryError` when users other than the current one could
    write into ``path`` (POSIX; nothing is checked where there are no owners).

    ``owned``: the folder must belong to the current user and have no group or
    other write bit.  Without it (the folder *holding* a private one, e.g. ``/tmp``),
    group or other write access is accepted only with the sticky bit, which keeps
    others from renaming or replacing what is inside.
    """
    if not hasattr(os, "geteuid"):
        return
    info = os.stat(path)
    mode = stat.S_IMODE(info.st_mode)
    writable_by_others = mode & (stat.S_IWGRP | stat.S_IWOTH)
    problem = None
    if owned and info.st_uid != os.geteuid():
        problem = f"it belongs to another user (uid {info.st_uid})"
    elif writable_by_others and (owned or not mode & stat.S_ISVTX):
        problem = f"other users can write to it (mode {mode:04o})"
    if problem is not None:
        raise UnsafeDirectoryError(
            f"Refusing to use the {what} '{path}': {problem}, and files placed there "
            f"would run as code in this process. Make it private (chmod 700 '{path}', "
            f"owned by you) or choose another folder"
        )


def private_dir(path: str | os.PathLike, what: str = "folder") -> Path:
    """Create ``path`` (and missing parents) with mode ``0700`` if needed, check that it
    is private (:func:`check_private_dir`) and return it."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        try:
            p.mkdir(mode=0o700)
        except FileExistsError:  # another process made it meanwhile: checked below
            continue
        os.chmod(p, 0o700)  # mkdir's mode is reduced by the umask; never widened
    check_private_dir(path, what)
    return path

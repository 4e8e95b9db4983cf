"""Smaller names of Brian 2's star import that scripts use: the default functions,
constants and units of model strings, the namespace and cache helpers, and the
registry of integration methods.

``DEFAULT_FUNCTIONS``/``DEFAULT_CONSTANTS``: what model strings may call and name without
defining it; ``DEFAULT_UNITS``: the units they may use (name -> unit).
``get_local_namespace(level)``: the names visible ``level`` frames above the caller.
``declare_types(a='integer', result='highest')``: Brian 2's argument types of a user
function, checked and recorded on it (hearsim infers types from the values).
``check_cache(target)``/``clear_cache(target)``: the compiled-kernel cache of the numba
target (Brian 2's ``'cython'`` names the same one): its size, with a warning above 1 GB
as Brian 2, and its removal.
``StateUpdateMethod.register(name, scheme)``: a user's scheme (an
``ExplicitStateUpdater``) known by name, as Brian 2.
``std_silent``: Brian 2's context manager silencing compilers' output (here: Python's
stdout and stderr).
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from sim.codegen import stateupdate as _stateupdate
from sim.codegen.stateupdate import ExplicitStateUpdater
from sim.logger import BrianLogger
from sim.parsing import DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS

__all__ = ["DEFAULT_FUNCTIONS", "DEFAULT_CONSTANTS", "DEFAULT_UNITS", "get_local_namespace",
           "declare_types", "check_cache", "clear_cache", "StateUpdateMethod",
           "ExplicitStateUpdater", "std_silent", "logger"]

_logger = logging.getLogger("sim.cache")

#: Brian 2 warns when a code cache grows beyond this
CACHE_WARNING_BYTES = 1 << 30

_TYPES = ("any", "integer", "float", "boolean", "highest")


def _default_units() -> dict:
    from sim.units import Unit, allunits

    return {name: getattr(allunits, name) for name in allunits.__all__
            if isinstance(getattr(allunits, name), Unit)}


DEFAULT_UNITS = _default_units()


def get_local_namespace(level: int) -> dict:
    """The globals and locals (locals win) of the frame ``level`` above the caller's."""
    frame = sys._getframe(level + 1)
    namespace = dict(frame.f_globals)
    namespace.update(frame.f_locals)
    return namespace


def declare_types(**types: str) -> Callable:
    """Brian 2's decorator declaring a function's argument and result types
    (``'any'``, ``'integer'``, ``'float'``, ``'boolean'``; ``result`` also ``'highest'``).
    The names are checked against the function's arguments and kept on it as
    ``_arg_types`` / ``_return_type``."""
    for name, kind in types.items():
        allowed = _TYPES if name == "result" else _TYPES[:-1]
        if kind not in allowed:
            raise ValueError(f"declare_types: type {kind!r} of '{name}' is not one of "
                             f"{', '.join(allowed)}")

    def decorator(func: Callable) -> Callable:
        import inspect

        params = list(inspect.signature(func).parameters)
        unknown = [n for n in types if n != "result" and n not in params]
        if unknown:
            raise ValueError(f"declare_types: {func.__name__}() has no argument "
                             f"{', '.join(repr(n) for n in unknown)} (arguments: "
                             f"{', '.join(params)})")
        func._arg_types = [types.get(p, "any") for p in params]
        func._return_type = types.get("result", "float")
        return func

    return decorator


def _cache_folder(target: str) -> Path:
    if target not in ("numba", "cython"):
        raise ValueError(f"The kernel cache belongs to the numba target ('numba', or Brian "
                         f"2's 'cython'), not {target!r}")
    from sim.codegen.numba_target import cache_dir

    return cache_dir()


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def check_cache(target: str = "numba") -> int:
    """The size (bytes) of the compiled-kernel cache, with a warning above 1 GB (as Brian
    2's ``check_cache('cython')``)."""
    folder = _cache_folder(target)
    size = _size(folder)
    if size > CACHE_WARNING_BYTES:
        _logger.warning("The kernel cache %s holds %.1f GB: clear_cache('%s') deletes it",
                        folder, size / 2**30, target)
    return size


def clear_cache(target: str = "numba") -> None:
    """Delete the compiled kernels (they are compiled again when needed)."""
    folder = _cache_folder(target)
    for entry in folder.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (folder / "__pycache__").mkdir(mode=0o700, exist_ok=True)


class StateUpdateMethod:
    """Brian 2's registry of integration methods, by name."""

    @staticmethod
    def register(name: str, scheme) -> None:
        """Make ``scheme`` (an :class:`ExplicitStateUpdater`) usable as ``method=name``."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"StateUpdateMethod.register: {name!r} is not a valid name")
        if name in _stateupdate.SCHEMES:
            raise ValueError(f"StateUpdateMethod.register: a method named '{name}' exists")
        if not isinstance(scheme, _stateupdate.ExplicitScheme):
            raise TypeError(f"StateUpdateMethod.register: {scheme!r} is not an integration "
                            f"scheme (make one with ExplicitStateUpdater(...))")
        _stateupdate.SCHEMES[name] = _stateupdate._Method(name, scheme, scheme.can_integrate)

    @staticmethod
    def apply_stateupdater(*args, **kwargs):
        raise NotImplementedError("StateUpdateMethod.apply_stateupdater: give method= to the "
                                  "group instead (the scheme is chosen there)")


@contextlib.contextmanager
def std_silent(alwaysprint: bool = False) -> Iterator[None]:
    """Silence stdout and stderr inside the block (unless ``alwaysprint``)."""
    if alwaysprint:
        yield
        return
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


class _NamedLogger(BrianLogger):
    """Brian 2's ``logger`` (``get_logger('brian2')``): ``debug``/``info``/``warn``/
    ``error(msg, name_suffix=None, once=False)`` on the ``sim`` logger hierarchy, and the
    ``log_level_*`` methods of :class:`~sim.logger.BrianLogger`."""

    def __init__(self, name: str = "sim") -> None:
        self.name = name
        self._said: set[tuple[str, str]] = set()

    def _log(self, level: int, msg: str, name_suffix: str | None, once: bool) -> None:
        name = f"{self.name}.{name_suffix}" if name_suffix else self.name
        if once:
            if (name, msg) in self._said:
                return
            self._said.add((name, msg))
        logging.getLogger(name).log(level, msg)

    def debug(self, msg: str, name_suffix: str | None = None, once: bool = False) -> None:
        self._log(logging.DEBUG, msg, name_suffix, once)

    def diagnostic(self, msg: str, name_suffix: str | None = None, once: bool = False) -> None:
        self._log(logging.DEBUG, msg, name_suffix, once)

    def info(self, msg: str, name_suffix: str | None = None, once: bool = False) -> None:
        self._log(logging.INFO, msg, name_suffix, once)

    def warn(self, msg: str, name_suffix: str | None = None, once: bool = False) -> None:
        self._log(logging.WARNING, msg, name_suffix, once)

    warning = warn

    def error(self, msg: str, name_suffix: str | None = None, once: bool = False) -> None:
        self._log(logging.ERROR, msg, name_suffix, once)


#: Brian 2's ``logger`` of the star import
logger = _NamedLogger("sim")

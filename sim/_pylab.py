"""Stand-ins for pylab's names in ``from sim import *``: matplotlib is imported on first use.

``from brian2 import *`` does ``from pylab import *``; a star import must bind real objects,
and importing matplotlib takes a third of a second.  So each pylab name of
:mod:`sim._pylab_names` is bound to a small stand-in that imports ``matplotlib.pylab`` when
it is first *used* and then behaves as the real object:

* functions (``plot``, ``xscale``, ``polar``, ``specgram``...): calling one calls pylab's;
  ``help(plot)`` shows its documentation;
* classes (``ScalarFormatter``, ``Figure``...): calling one makes an instance of the real
  class, ``isinstance(x, ScalarFormatter)`` and subclassing (``class F(ScalarFormatter)``)
  work;
* modules (``mpl``, ``plt``, ``mlab``...) and objects (``rcParams``, ``colormaps``...):
  attribute access, indexing, iteration and calls are those of the real object.

``sim.matplotlib_is_loaded()`` says whether any of them has been used yet.
"""

from __future__ import annotations

import importlib
import sys

from sim._pylab_names import CLASSES, CONSTANTS, FUNCTIONS, MODULES, OBJECTS, STDLIB_MODULES


def _pylab():
    return importlib.import_module("matplotlib.pylab")


def _lookup(name: str):
    try:
        return getattr(_pylab(), name)
    except AttributeError:
        import matplotlib

        raise AttributeError(
            f"pylab has no name {name!r} in the installed matplotlib {matplotlib.__version__} "
            f"(hearsim's list of pylab names was made from another version: run "
            f"tools/make_pylab_names.py)"
        ) from None


class _Lazy:
    """A pylab name whose object is looked up (importing matplotlib) on first use."""

    __slots__ = ("_name", "_object")

    def __init__(self, name: str):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_object", None)

    def _resolve(self):
        obj = object.__getattribute__(self, "_object")
        if obj is None:
            obj = self._load()
            object.__setattr__(self, "_object", obj)
        return obj

    def _load(self):
        return _lookup(self._name)

    def __getattr__(self, attr: str):
        return getattr(self._resolve(), attr)

    def __dir__(self):
        return dir(self._resolve())

    def __repr__(self) -> str:
        obj = object.__getattribute__(self, "_object")
        if obj is not None:
            return repr(obj)
        return f"<pylab {self._kind} {self._name!r} (matplotlib imported on first use)>"

    _kind = "name"


class LazyFunction(_Lazy):
    """pylab's function ``name``: calling it imports matplotlib and calls the function."""

    __slots__ = ()
    _kind = "function"

    @property
    def __name__(self) -> str:
        return self._name

    @property
    def __doc__(self):  # help(plot) shows matplotlib's documentation
        return self._resolve().__doc__

    @property
    def __wrapped__(self):  # inspect.signature(plot) gives matplotlib's signature
        return self._resolve()

    def __call__(self, *args, **kwargs):
        return self._resolve()(*args, **kwargs)


class LazyClass(LazyFunction):
    """pylab's class ``name``: instances, ``isinstance`` and subclasses are the real class's."""

    __slots__ = ()
    _kind = "class"

    def __instancecheck__(self, obj) -> bool:
        if "matplotlib" not in sys.modules:  # no matplotlib object can exist yet
            return False
        return isinstance(obj, self._resolve())

    def __subclasscheck__(self, cls) -> bool:
        if "matplotlib" not in sys.modules:
            return False
        return issubclass(cls, self._resolve())

    def __mro_entries__(self, bases):  # class MyFormatter(ScalarFormatter): ...
        return (self._resolve(),)


class LazyObject(_Lazy):
    """pylab's object ``name`` (``rcParams``, ``colormaps``, ``MO``...)."""

    __slots__ = ()
    _kind = "object"

    def __call__(self, *args, **kwargs):
        return self._resolve()(*args, **kwargs)

    def __getitem__(self, key):
        return self._resolve()[key]

    def __setitem__(self, key, value):
        self._resolve()[key] = value

    def __delitem__(self, key):
        del self._resolve()[key]

    def __iter__(self):
        return iter(self._resolve())

    def __len__(self) -> int:
        return len(self._resolve())

    def __contains__(self, item) -> bool:
        return item in self._resolve()

    def __eq__(self, other):
        return self._resolve() == other

    __hash__ = object.__hash__

    def __str__(self) -> str:
        return str(self._resolve())


class LazyModule(_Lazy):
    """A module of pylab's namespace (``mpl``, ``plt``, ``mlab``...), imported on first use."""

    __slots__ = ("_module",)
    _kind = "module"

    def __init__(self, name: str, module: str):
        super().__init__(name)
        object.__setattr__(self, "_module", module)

    def _load(self):
        return importlib.import_module(self._module)

    def __setattr__(self, attr: str, value) -> None:
        setattr(self._resolve(), attr, value)

    def __repr__(self) -> str:
        obj = object.__getattribute__(self, "_object")
        if obj is not None:
            return repr(obj)
        return f"<module {self._module!r} (imported on first use)>"


def make(name: str):
    """The stand-in (or, for stdlib modules and integer constants, the object) for ``name``,
    or ``None`` when ``name`` is not one of pylab's names."""
    if name in FUNCTIONS:
        return LazyFunction(name)
    if name in CLASSES:
        return LazyClass(name)
    if name in MODULES:
        return LazyModule(name, MODULES[name])
    if name in OBJECTS:
        return LazyObject(name)
    if name in CONSTANTS:
        return CONSTANTS[name]
    if name in STDLIB_MODULES:
        return importlib.import_module(name)
    return None


def all_names() -> list[str]:
    return [*FUNCTIONS, *CLASSES, *MODULES, *OBJECTS, *CONSTANTS, *STDLIB_MODULES]


def matplotlib_is_loaded() -> bool:
    """Whether matplotlib has been imported (by a pylab name's first use, or otherwise)."""
    return "matplotlib" in sys.modules

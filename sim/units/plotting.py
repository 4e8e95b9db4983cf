"""Plotting quantities with matplotlib: a units converter for `Quantity`.

``plt.plot(group.v0 / mV, monitor.count / duration)`` gives matplotlib a plain
array and a `Quantity` in hertz.  matplotlib hands each argument to the converter
registered for its type (``matplotlib.units.registry``, as astropy and pint use it),
and this one gives the values in the axis' unit, so the line is drawn and the
axis is labelled with the unit (``"Hz"``).  numpy's own functions keep their
strict dimension checks: only matplotlib's conversion goes through here.

* The default unit of an axis is the coherent SI unit of the first quantity
  plotted on it (values in SI: volts, seconds, hertz).
* ``ax.xaxis.set_units(mV)`` (or ``ax.plot(..., xunits=mV)``) chooses another
  unit of the same dimension: the values are shown in millivolts.
* Plotting a quantity of another dimension on an axis that has a unit raises
  `DimensionMismatchError` naming both; a plain number on such an axis is taken
  as a value in the axis' unit, as matplotlib does for every converter.

The converter is registered when matplotlib's ``units`` module is imported
(:func:`install` puts a one-shot hook on ``sys.meta_path``), so that ``import sim``
never imports matplotlib; if matplotlib is already imported, it is registered at
once.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from typing import Any

import numpy as np

from .dimensions import DIMENSIONLESS, Dimension, DimensionMismatchError
from .quantity import Quantity, get_dimensions, get_unit, get_unit_for_display

__all__ = ["QuantityConverter", "install", "register"]

_REGISTERED = {"done": False}


def _unit_of(unit: Any) -> Quantity:
    """An axis unit as a `Quantity` of value > 0 (a `Unit`, a Quantity or a Dimension)."""
    if isinstance(unit, Dimension):
        return get_unit(unit)
    if isinstance(unit, Quantity) and np.ndim(unit) == 0 and float(unit) > 0:
        return unit
    raise TypeError(f"An axis unit must be a unit such as mV (or a Dimension), got {unit!r}")


def _as_quantity(value: Any) -> Quantity | None:
    """``value`` as one Quantity (also a list of quantities), or None for plain numbers."""
    if isinstance(value, Quantity):
        return value
    if isinstance(value, list | tuple) and value and any(isinstance(v, Quantity)
                                                           for v in value):
        return Quantity(value)
    return None


class QuantityConverter:
    """matplotlib's ``ConversionInterface`` for `Quantity` (duck-typed: matplotlib only
    calls these three methods; subclassing it would import matplotlib here)."""

    @staticmethod
    def default_units(x: Any, axis: Any) -> Any:
        """The coherent SI unit of the data's dimension (``volt`` for millivolt values)."""
        q = _as_quantity(x)
        return get_unit(q.dim if q is not None else DIMENSIONLESS)

    @staticmethod
    def convert(value: Any, unit: Any, axis: Any) -> Any:
        """The values of ``value`` in ``unit`` (plain floats), checking the dimension."""
        q = _as_quantity(value)
        if q is None:
            return value  # a plain number on an axis with a unit: already in that unit
        target = _unit_of(unit) if unit is not None else get_unit(q.dim)
        if q.dim != get_dimensions(target):
            raise DimensionMismatchError(
                f"Cannot plot values in {get_unit_for_display(q.dim)} on an axis in "
                f"{target}: plot them on other axes, or divide by a unit to plot numbers",
                q.dim, get_dimensions(target))
        return np.asarray(q) / float(target)

    @staticmethod
    def axisinfo(unit: Any, axis: Any) -> Any:
        """The axis label: the unit (``"mV"``, ``"Hz"``); none for dimensionless values."""
        from matplotlib import units as munits

        if unit is None:
            return None
        target = _unit_of(unit)
        if get_dimensions(target) is DIMENSIONLESS and float(target) == 1.0:
            return munits.AxisInfo()
        return munits.AxisInfo(label=str(target))


def register() -> None:
    """Register the converter with matplotlib (imports matplotlib.units); idempotent."""
    if _REGISTERED["done"]:
        return
    from matplotlib import units as munits

    from .quantity import Unit

    converter = QuantityConverter()
    for cls in (Quantity, Unit):
        munits.registry[cls] = converter
    _REGISTERED["done"] = True


class _AfterImport(importlib.abc.MetaPathFinder):
    """Registers the converter right after ``matplotlib.units`` is first imported."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "matplotlib.units":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module: Any) -> None:
            original(module)
            _remove_hook()
            register()

        loader.exec_module = exec_module
        return spec


_HOOK = _AfterImport()


def _remove_hook() -> None:
    while _HOOK in sys.meta_path:
        sys.meta_path.remove(_HOOK)


def install() -> None:
    """Register now if matplotlib's units are loaded, else when they first are."""
    if "matplotlib.units" in sys.modules:
        register()
    elif _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)

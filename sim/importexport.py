"""Brian 2's ``brian2.importexport``: the formats of ``get_states``/``set_states``.

``ImportExport`` is the base of a format: a ``name`` and the static methods
``export_data(group, variables, units=True, level=0)`` (the values of ``variables``) and
``import_data(group, data, units=True, level=0)`` (set them).  ``ImportExport.register(
obj)`` makes ``G.get_states(format=obj.name)`` and ``G.set_states(data, format=obj.name)``
use it; ``ImportExport.methods`` holds the formats by name, ``'dict'`` and ``'pandas'``
(hearsim's own, :meth:`sim.groups.Group.get_states`) from the start.
"""

from __future__ import annotations

import abc

__all__ = ["ImportExport", "DictImportExport", "PandasImportExport"]


class ImportExport(abc.ABC):
    """A format of ``get_states``/``set_states`` (Brian 2's): subclass it with ``name``,
    ``export_data`` and ``import_data``, then ``ImportExport.register(MyFormat())``."""

    #: the registered formats, by name
    methods: dict[str, ImportExport] = {}

    @staticmethod
    def register(importerexporter: ImportExport) -> None:
        """Make a format usable by its name (a ``ValueError`` for an object that is not an
        ``ImportExport`` or a name already registered, as in Brian 2)."""
        if not isinstance(importerexporter, ImportExport):
            raise ValueError(f"Given importerexporter of type {type(importerexporter)} does "
                             f"not seem to be a valid importerexporter.")
        name = importerexporter.name
        if name in ImportExport.methods:
            raise ValueError(f"An import/export method with the name '{name}' has already "
                             f"been registered")
        ImportExport.methods[name] = importerexporter

    @staticmethod
    @abc.abstractmethod
    def export_data(group, variables):
        """A copy of the values of ``variables`` (names) of ``group``."""

    @staticmethod
    @abc.abstractmethod
    def import_data(group, data):
        """Set the variables of ``group`` from ``data``."""

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The format's name (``format=`` of ``get_states``/``set_states``)."""


class DictImportExport(ImportExport):
    """``{name: values}`` (with units unless ``units=False``)."""

    @property
    def name(self) -> str:
        return "dict"

    @staticmethod
    def export_data(group, variables, units: bool = True, level: int = 0):
        return group.get_states(list(variables), units=units, format="dict", level=level + 1)

    @staticmethod
    def import_data(group, data, units: bool = True, level: int = 0) -> None:
        group.set_states(data, units=units, format="dict", level=level + 1)


class PandasImportExport(ImportExport):
    """A pandas ``DataFrame`` of plain values (pandas is needed for this format only)."""

    @property
    def name(self) -> str:
        return "pandas"

    @staticmethod
    def export_data(group, variables, units: bool = True, level: int = 0):
        return group.get_states(list(variables), units=units, format="pandas", level=level + 1)

    @staticmethod
    def import_data(group, data, units: bool = True, level: int = 0) -> None:
        group.set_states(data, units=units, format="pandas", level=level + 1)


ImportExport.register(DictImportExport())
ImportExport.register(PandasImportExport())

"""Brian 2's ``BrianLogger`` and ``get_logger``, over Python's ``logging``.

hearsim logs through the ``sim`` logger hierarchy (``sim.network``, ``sim.prefs``,
...).  Scripts that set Brian 2's log level keep working and act on that hierarchy.
"""

from __future__ import annotations

import logging

__all__ = ["BrianLogger", "get_logger"]

_ROOT = logging.getLogger("sim")


def get_logger(name: str = "sim") -> logging.Logger:
    """A logger of the ``sim`` hierarchy (Brian 2's ``get_logger(__name__)``)."""
    return logging.getLogger(name if name == "sim" or name.startswith("sim.")
                             else f"sim.{name}")


class _NameFilter(logging.Filter):
    def __init__(self, name: str, hierarchy: bool):
        super().__init__()
        self.suppressed, self.hierarchy = name, hierarchy

    def filter(self, record: logging.LogRecord) -> bool:
        if self.hierarchy:
            return not (record.name == self.suppressed
                        or record.name.startswith(self.suppressed + "."))
        return record.name != self.suppressed


class BrianLogger:
    """Log levels for hearsim's messages, with Brian 2's method names."""

    @staticmethod
    def _level(level: int) -> None:
        _ROOT.setLevel(level)
        if not _ROOT.handlers:  # show the messages on the console, as Brian 2
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(levelname)-10s %(message)s [%(name)s]"))
            _ROOT.addHandler(handler)
        for handler in _ROOT.handlers:
            handler.setLevel(level)

    @staticmethod
    def log_level_debug() -> None:
        BrianLogger._level(logging.DEBUG)

    @staticmethod
    def log_level_diagnostic() -> None:
        BrianLogger._level(logging.DEBUG)

    @staticmethod
    def log_level_info() -> None:
        BrianLogger._level(logging.INFO)

    @staticmethod
    def log_level_warn() -> None:
        BrianLogger._level(logging.WARNING)

    @staticmethod
    def log_level_error() -> None:
        BrianLogger._level(logging.ERROR)

    @staticmethod
    def suppress_hierarchy(name: str, filter_log_file: bool = False) -> None:
        for handler in _ROOT.handlers or [logging.lastResort]:
            handler.addFilter(_NameFilter(name, hierarchy=True))

    @staticmethod
    def suppress_name(name: str, filter_log_file: bool = False) -> None:
        for handler in _ROOT.handlers or [logging.lastResort]:
            handler.addFilter(_NameFilter(name, hierarchy=False))

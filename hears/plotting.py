"""brian2hears' plotting helpers: tick labels for logarithmic frequency axes.

matplotlib is imported when a function is called, so that ``import hears`` stays light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["log_frequency_xaxis_labels", "log_frequency_yaxis_labels"]

# brian2hears' tick sets: the first that covers the axis range is used
_ALLOWED_RANGES = (
    (1, 2, 4, 8, 16, 32, 64),
    (50, 75, 100, 150, 200, 300, 400),
    (10, 20, 40, 80, 160, 320),
    (1, 2, 4, 8, 16, 32, 64, 100, 200, 400, 800),
    (125, 250, 500, 1000, 2000, 4000, 8000, 16000),
    (100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000),
)


def log_frequency_xaxis_labels(ax: Any = None, freqs: Any = None) -> None:
    """Ticks at sensible frequencies on a log-scaled x axis, written as plain numbers
    (100 rather than 10^2). ``ax``: the axes (default ``gca()``); ``freqs``: the tick
    frequencies to use instead (Hz)."""
    import matplotlib.pyplot as plt

    _log_frequency_axis_labels((ax or plt.gca()).xaxis, freqs)


def log_frequency_yaxis_labels(ax: Any = None, freqs: Any = None) -> None:
    """As :func:`log_frequency_xaxis_labels`, for the y axis."""
    import matplotlib.pyplot as plt

    _log_frequency_axis_labels((ax or plt.gca()).yaxis, freqs)


def _log_frequency_axis_labels(axis: Any, freqs: Any) -> None:
    from matplotlib.ticker import FixedLocator, LogLocator, NullLocator, ScalarFormatter

    if freqs is not None:
        ticks = np.asarray(freqs, dtype=float)
    else:
        low, high = sorted(axis.get_view_interval())
        ticks = next((np.asarray(r, dtype=float) for r in _ALLOWED_RANGES
                      if low >= min(r) * 0.9999 and high <= max(r) * 1.0001), None)
    axis.set_major_locator(LogLocator(base=2) if ticks is None else FixedLocator(ticks))
    axis.set_major_formatter(ScalarFormatter())
    axis.set_minor_locator(NullLocator())

"""Plotting helpers: Brian 1's ``raster_plot`` and ``StateMonitor.plot`` (with live
refresh during a run), and brian2tools-style ``plot_raster``/``plot_state``/``plot_rate``.

matplotlib is imported when a function is called (``import sim`` stays light).

Live refresh (Brian 1.2): ``raster_plot(M, refresh=10*ms, showlast=200*ms)`` adds a
network operation on its own clock (an :class:`~sim.clocks.EventClock` of period
``refresh``) to the monitor, so that the next ``run()`` redraws the figure every
``refresh`` of simulated time; the compiled loop splits only at those ticks.  It
redraws only when matplotlib is interactive (``ion()``); under a non-interactive
backend (Agg) it leaves the figure alone, so scripts written for a window run
unchanged in batch jobs and tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.units import Quantity, get_dimensions, ms

__all__ = ["raster_plot", "state_plot", "plot_raster", "plot_state", "plot_rate"]

_RASTER_OPTIONS = {"title": "", "xlabel": "Time (ms)", "showplot": False,
                   "showgrouplines": False, "spacebetweengroups": 0.0, "grouplinecol": "k",
                   "newfigure": False, "refresh": None, "showlast": None, "redraw": True}


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _seconds(value: Any, what: str) -> float:
    from sim.units import fail_for_dimension_mismatch, second

    fail_for_dimension_mismatch(value, second, f"{what} must be a time")
    return float(value)


def _spike_monitors_in_scope() -> list:
    """Brian 1's ``raster_plot()`` without monitors: every SpikeMonitor of the script."""
    import gc

    from sim.monitors import SpikeMonitor

    return sorted((o for o in gc.get_objects() if type(o) is SpikeMonitor),
                  key=lambda m: m._creation_index)


def _redraw(fig: Any) -> None:
    fig.canvas.draw_idle()
    fig.canvas.flush_events()


def _live(monitor: Any, refresh: Any, update) -> Any:
    """A network operation every ``refresh`` of simulated time calling ``update(t)`` when
    matplotlib is interactive; added to ``monitor``'s contained objects."""
    import matplotlib

    from sim.clocks import EventClock
    from sim.operations import NetworkOperation

    _seconds(refresh, "refresh")

    def tick(t: Any) -> None:
        if matplotlib.is_interactive():
            update(float(t))

    op = NetworkOperation(tick, clock=EventClock(dt=refresh))
    monitor.contained_objects.append(op)
    return op


def raster_plot(*monitors: Any, **options: Any) -> Any:
    """Brian 1's raster plot of spike monitors: spike times (ms) against neuron number.

    ``raster_plot(M)`` plots one monitor; ``raster_plot(M0, M1, ...)`` stacks them, a
    spike of neuron ``n`` of ``m`` in monitor ``k`` at ``k + n (1 - space)/m``;
    ``raster_plot()`` plots every SpikeMonitor there is.  Options (the rest go to
    matplotlib's ``plot``): ``title``, ``xlabel`` ("Time (ms)"), ``ylabel`` ("Neuron
    number" / "Group number"), ``showplot`` (call ``show()``), ``newfigure``,
    ``showgrouplines``, ``grouplinecol``, ``spacebetweengroups`` (0 to 1),
    ``refresh`` (a time: redraw during the next runs, see the module docstring),
    ``showlast`` (a time: with ``refresh``, show only that last window), ``redraw``
    (with several live plots, False for all but one).  Returns the line.
    """
    plt = _pyplot()
    opts = dict(_RASTER_OPTIONS)
    opts["ylabel"] = "Neuron number" if len(monitors) <= 1 else "Group number"
    for key in list(options):
        if key in opts:
            opts[key] = options.pop(key)
    if not monitors:
        monitors = tuple(_spike_monitors_in_scope())
        if not monitors:
            raise ValueError("raster_plot: no SpikeMonitor to plot")
        if len(monitors) > 1 and "ylabel" not in options:
            opts["ylabel"] = "Group number"
    space = float(opts["spacebetweengroups"])
    if not 0.0 <= space < 1.0:
        raise ValueError(f"raster_plot: spacebetweengroups must be in [0, 1), got {space}")
    plot_options = {"mew": 0, **options}

    def coords(tmin: float | None = None, tmax: float | None = None):
        xs, ys = [], []
        for k, mon in enumerate(monitors):
            t = np.asarray(mon.t_)
            i = np.asarray(mon.i, dtype=float)
            if tmin is not None:
                keep = (t >= tmin) & (t <= tmax)
                t, i = t[keep], i[keep]
            xs.append(t / 1e-3)
            ys.append(i if len(monitors) == 1
                      else k + (1.0 - space) / max(mon.source.N, 1) * i)
        return np.concatenate(xs) if xs else np.zeros(0), np.concatenate(ys) if ys else []

    nmax = monitors[0].source.N if len(monitors) == 1 else len(monitors)
    if opts["newfigure"]:
        plt.figure()
    if opts["refresh"] is None:
        x, y = coords()
        (line,) = plt.plot(x, y, ".", **plot_options)
    else:
        (line,) = plt.plot([], [], ".", **plot_options)
        plt.axis(ymin=0, ymax=nmax)
        if opts["showlast"] is not None:
            plt.axis(xmin=-_seconds(opts["showlast"], "showlast") / 1e-3, xmax=0)
    ax = plt.gca()
    if opts["showgrouplines"]:
        for k in range(len(monitors)):
            ax.axhline(k, color=opts["grouplinecol"])
            ax.axhline(k + (1 - space), color=opts["grouplinecol"])
    ax.set_ylabel(opts["ylabel"])
    ax.set_xlabel(opts["xlabel"])
    ax.set_title(opts["title"])
    if opts["refresh"] is not None:
        showlast = None if opts["showlast"] is None else _seconds(opts["showlast"], "showlast")

        def update(t: float) -> None:
            if showlast is None:
                x, y = coords()
                ax.set_xlim(0, max(float(np.max(x)) if len(x) else 0.0, t / 1e-3))
            else:
                x, y = coords(t - showlast, t)
                ax.set_xlim((t - showlast) / 1e-3, t / 1e-3)
            line.set_data(x, y)
            if opts["redraw"]:
                _redraw(ax.figure)

        _live(monitors[0], opts["refresh"], update)
    if opts["showplot"]:
        plt.show()
    return line


def _best_unit(values: Any) -> Any:
    from sim.units.quantity import _best_unit as best

    if isinstance(values, Quantity) and get_dimensions(values) is not None:
        return best(values)
    return None


def state_plot(monitor: Any, variable: str | None = None, indices: Any = None,
               colormap: Any = None, refresh: Any = None, showlast: Any = None,
               redraw: bool = True, newfigure: bool = False, **plot_options: Any) -> list:
    """Brian 1's ``StateMonitor.plot``: the recorded traces against time (ms).

    ``monitor`` is a StateMonitor or RecentStateMonitor; ``variable`` the recorded
    variable (default: its only one); ``indices`` which recorded elements (default all,
    numbers of the group's elements); ``colormap`` a matplotlib colormap (or its name)
    giving trace ``k`` of ``n`` the colour ``colormap(k/n)``; ``refresh``/``showlast``/
    ``redraw`` as in :func:`raster_plot`.  The values are shown in the best unit of
    the first trace (mV for volts), said on the y axis.  Returns the lines.
    """
    plt = _pyplot()
    names = list(monitor.record_variables)
    if variable is None:
        if len(names) != 1:
            raise ValueError(f"state_plot: say which variable to plot (recorded: "
                             f"{', '.join(names)})")
        variable = names[0]
    if variable not in names:
        raise KeyError(f"state_plot: '{variable}' is not recorded (recorded: "
                       f"{', '.join(names)})")
    recorded = [int(r) for r in np.asarray(monitor.record)]
    wanted = recorded if indices is None else [int(i) for i in np.atleast_1d(indices)]
    missing = [i for i in wanted if i not in recorded]
    if missing:
        raise IndexError(f"state_plot: elements {missing} are not recorded by "
                         f"'{monitor.name}' (recorded: {recorded})")
    rows = [recorded.index(i) for i in wanted]
    values = getattr(monitor, variable)
    unit = _best_unit(values)
    scale = float(unit) if unit is not None else 1.0
    cmap = plt.get_cmap(colormap) if isinstance(colormap, str) else colormap
    if newfigure:
        plt.figure()
    ax = plt.gca()

    def data() -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(monitor.t_) / 1e-3
        v = np.asarray(getattr(monitor, variable)) / scale
        return t, v

    t, v = data()
    lines = []
    for k, row in enumerate(rows):
        style = dict(plot_options)
        if cmap is not None:
            style.setdefault("color", cmap(k / max(len(rows), 1)))
        (line,) = ax.plot(t if refresh is None else [], v[row] if refresh is None else [],
                          **style)
        lines.append(line)
    ax.set_xlabel("Time (ms)")
    ax.set_ylabel(f"{variable} ({unit})" if unit is not None else variable)
    if refresh is not None:
        last = None if showlast is None else _seconds(showlast, "showlast")

        def update(now: float) -> None:
            t, v = data()
            if v.size == 0:
                return
            for line, row in zip(lines, rows, strict=True):
                line.set_data(t, v[row])
            lo = 0.0 if last is None else (now - last) / 1e-3
            ax.set_xlim(lo, max(now / 1e-3, lo + 1e-9))
            shown = v[rows][:, t >= lo] if v.ndim == 2 else v
            if shown.size:
                pad = 0.05 * (float(shown.max() - shown.min()) or 1.0)
                ax.set_ylim(float(shown.min()) - pad, float(shown.max()) + pad)
            if redraw:
                _redraw(ax.figure)

        _live(monitor, refresh, update)
    return lines


def _in(values: Any, unit: Any) -> np.ndarray:
    return np.asarray(values / unit) if unit is not None else np.asarray(values)


def plot_raster(spike_indices: Any, spike_times: Any, time_unit: Any = ms, axes: Any = None,
                **kwds: Any) -> Any:
    """Spikes as dots: ``spike_times`` (in ``time_unit``) against ``spike_indices``
    (brian2tools' ``plot_raster``). Returns the axes."""
    ax = axes or _pyplot().gca()
    kwds.setdefault("marker", ".")
    kwds.setdefault("linestyle", "none")
    kwds.setdefault("color", "k")
    ax.plot(_in(spike_times, time_unit), np.asarray(spike_indices), **kwds)
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel("neuron index")
    return ax


def plot_state(times: Any, values: Any, time_unit: Any = ms, var_unit: Any = None,
               var_name: str | None = None, axes: Any = None, **kwds: Any) -> Any:
    """Traces (``values``: one per column when 2-D, as ``M.v.T``) against ``times``
    (brian2tools' ``plot_state``; ``var_unit`` default: the values' best unit).
    Returns the axes."""
    ax = axes or _pyplot().gca()
    unit = var_unit if var_unit is not None else _best_unit(values)
    ax.plot(_in(times, time_unit), _in(values, unit), **kwds)
    ax.set_xlabel(f"time ({time_unit})")
    label = var_name or "value"
    ax.set_ylabel(f"{label} ({unit})" if unit is not None else label)
    return ax


def plot_rate(times: Any, rate: Any, time_unit: Any = ms, rate_unit: Any = None,
              axes: Any = None, **kwds: Any) -> Any:
    """A population rate against time (brian2tools' ``plot_rate``; ``rate_unit`` default
    Hz). Returns the axes."""
    from sim.units import Hz

    ax = axes or _pyplot().gca()
    unit = rate_unit if rate_unit is not None else Hz
    ax.plot(_in(times, time_unit), _in(rate, unit), **kwds)
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel(f"rate ({unit})")
    return ax

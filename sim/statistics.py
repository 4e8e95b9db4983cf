"""Spike-train statistics: rates, regularity, correlograms, phase locking, coincidences.

Every function takes spike trains as 1-D arrays of spike times, sorted in
increasing order: a `Quantity` with the dimension of time (``[1, 5, 9] * ms``)
or plain floats, which are read as seconds. Time arguments (``delta``,
``width``, ``bin``, ``T``, ``duration``, ``period``) follow the same rule, and
``frequency`` takes a `Quantity` in Hz or a plain float in Hz. Results carry
units where they have any: rates are returned in Hz, correlation functions in
Hz**2; ratios (CV, vector strength, gamma factor) are plain floats.

The names and the meaning of the correlation functions follow Brian 1's
``brian.utils.statistics`` module; the coincidence factor follows Jolivet et
al. (2008), with the options of brian2modelfitting's ``GammaFactor``.

Functions
---------
firing_rate, CV
    First-order statistics of one train.
correlogram, autocorrelogram, CCF, ACF, CCVF, ACVF, total_correlation
    Second-order statistics of two trains (or one train with itself).
vector_strength
    Phase locking to a period (or a frequency).
coincidence_count, gamma_factor
    Coincidences within +-delta, each spike matched at most once, and the
    normalised coincidence factor.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from sim.units import (
    DimensionMismatchError,
    Hz,
    Quantity,
    get_dimensions,
    ms,
    second,
)

__all__ = [
    "firing_rate",
    "CV",
    "correlogram",
    "autocorrelogram",
    "CCF",
    "ACF",
    "CCVF",
    "ACVF",
    "total_correlation",
    "vector_strength",
    "coincidence_count",
    "gamma_factor",
]

_TIME = get_dimensions(second)
_FREQUENCY = get_dimensions(Hz)
_DIMENSIONLESS = get_dimensions(1.0)

#: Relative tolerance on the coincidence window: ``|t_model - t_data| <= delta``
#: is tested as ``<= delta * (1 + _WINDOW_RTOL)``, so that spike times on a
#: common time grid that lie exactly ``delta`` apart count as coincident even
#: after floating-point rounding.
_WINDOW_RTOL = 1e-9


# ---------------------------------------------------------------------------
# Argument checking
# ---------------------------------------------------------------------------


def _plain(value: Any, name: str, dim: Any, unit_name: str) -> np.ndarray:
    """``value`` as a float array in SI units, checking its dimension.

    Plain numbers (dimensionless values) are accepted and read in the SI unit
    of ``dim`` (seconds or hertz).
    """
    try:
        value_dim = get_dimensions(value)
    except DimensionMismatchError as exc:
        raise DimensionMismatchError(
            f"The elements of '{name}' do not share one dimension: {exc}"
        ) from None
    if value_dim is not dim and value_dim is not _DIMENSIONLESS:
        raise DimensionMismatchError(
            f"'{name}' must be in units of {unit_name} (or a plain number in {unit_name})",
            value_dim,
        )
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"'{name}' must be numeric, got {type(value).__name__}") from None
    return array


def _spike_train(spikes: Any, name: str) -> np.ndarray:
    """A sorted 1-D float array of spike times in seconds, or a clear error."""
    times = _plain(spikes, name, _TIME, "second")
    if times.ndim == 0:
        raise ValueError(f"'{name}' must be a 1-D array of spike times, got a scalar")
    if times.ndim != 1:
        raise ValueError(f"'{name}' must be a 1-D array of spike times, got shape {times.shape}")
    if not np.all(np.isfinite(times)):
        raise ValueError(f"'{name}' contains non-finite spike times (nan or inf)")
    if times.size > 1:
        steps = np.diff(times)
        if np.any(steps < 0):
            first = int(np.argmax(steps < 0))
            raise ValueError(
                f"'{name}' must be sorted in increasing order: spike {first + 1} "
                f"({times[first + 1]:g} s) comes before spike {first} ({times[first]:g} s)"
            )
    return times


def _scalar(value: Any, name: str, dim: Any = _TIME, unit_name: str = "second") -> float:
    array = _plain(value, name, dim, unit_name)
    if array.ndim != 0:
        raise ValueError(f"'{name}' must be a scalar, got an array of shape {array.shape}")
    number = float(array)
    if not math.isfinite(number):
        raise ValueError(f"'{name}' must be finite, got {number!r}")
    return number


def _positive_time(value: Any, name: str) -> float:
    number = _scalar(value, name)
    if number <= 0:
        raise ValueError(f"'{name}' must be positive, got {number!r} s")
    return number


# ---------------------------------------------------------------------------
# First-order statistics
# ---------------------------------------------------------------------------


def firing_rate(spikes: Any, duration: Any = None) -> Quantity:
    """Mean firing rate of a spike train, in Hz.

    Parameters
    ----------
    spikes : Quantity (time) or array of float (seconds)
        Sorted spike times.
    duration : Quantity (time) or float (seconds), optional
        Length of the recording. Given, the rate is ``len(spikes) / duration``.
        Left out, the rate is measured between the first and last spike, as
        Brian 1 did: ``(len(spikes) - 1) / (spikes[-1] - spikes[0])``, the
        inverse of the mean interspike interval.

    Returns
    -------
    rate : Quantity (Hz)
        ``nan * Hz`` for fewer than two spikes when ``duration`` is left out
        (and for two or more spikes all at the same time).
    """
    times = _spike_train(spikes, "spikes")
    if duration is not None:
        return (times.size / _positive_time(duration, "duration")) * Hz
    if times.size < 2 or times[-1] == times[0]:
        return np.nan * Hz
    return ((times.size - 1) / (times[-1] - times[0])) * Hz


def CV(spikes: Any) -> float:
    """Coefficient of variation of the interspike intervals (ISIs).

    ``std(ISI) / mean(ISI)``, with the population standard deviation
    (``ddof=0``) as Brian 1 computed it: 0 for a perfectly regular train, 1 for
    a Poisson process (in the limit of long trains).

    Parameters
    ----------
    spikes : Quantity (time) or array of float (seconds)
        Sorted spike times.

    Returns
    -------
    cv : float
        Dimensionless. ``nan`` for fewer than three spikes (fewer than two
        intervals give no measure of spread) or a zero mean interval.
    """
    times = _spike_train(spikes, "spikes")
    if times.size < 3:
        return math.nan
    isi = np.diff(times)
    mean = isi.mean()
    if mean == 0:
        return math.nan
    return float(isi.std() / mean)


# ---------------------------------------------------------------------------
# Second-order statistics
# ---------------------------------------------------------------------------


def _bins_per_side(width: float, bin: float) -> int:
    # ceil(width / bin), without adding a bin for rounding noise (0.02 / 0.001)
    ratio = width / bin
    return max(1, int(math.ceil(ratio - 1e-9 * ratio)))


def _span(t1: np.ndarray, t2: np.ndarray) -> float:
    if t1.size == 0 or t2.size == 0:
        return math.nan
    return float(max(t1[-1], t2[-1]) - min(t1[0], t2[0]))


def _correlogram_values(t1, t2, width, bin, T) -> np.ndarray:
    """Brian 1's cross-correlogram as a float array in Hz (see `correlogram`)."""
    n = _bins_per_side(width, bin)
    edges = (np.arange(2 * n + 1) - n) * bin
    if t1.size == 0 or t2.size == 0:
        if T is None:
            return np.full(2 * n, np.nan)
        duration = T
    else:
        duration = _span(t1, t2) if T is None else T
    # Pairs (s in t2, t in t1) with lag s - t in [-width, width); bin k holds
    # lags in [edges[k], edges[k + 1]). Count them edge by edge: the number of
    # pairs with lag < e is sum over t of #(t2 < t + e), one searchsorted per edge.
    # Lags within a relative 1e-9 of a bin edge (pairs of spikes on a common time
    # grid) count in the bin above that edge, whatever the rounding of t2 - t1.
    cut = np.clip(edges, -width, width) - 1e-9 * bin
    below = np.array(
        [np.searchsorted(t2, t1 + e, side="left").sum() for e in cut], dtype=np.float64
    )
    counts = np.diff(below)
    # Triangular window: the time over which a lag can be observed, T - |lag|,
    # at the bin edge nearest to zero lag (Brian 1's convention).
    nearest = np.minimum(np.abs(edges[:-1]), np.abs(edges[1:]))
    window = duration - nearest
    if not np.all(window > 0):
        raise ValueError(
            f"The duration T ({duration!r} s) must be longer than the correlogram "
            f"half-width rounded up to whole bins ({n * bin!r} s)"
        )
    return counts / window


def correlogram(
    T1: Any, T2: Any, width: Any = 20 * ms, bin: Any = 1 * ms, T: Any = None
) -> Quantity:
    """Cross-correlogram of two spike trains, in Hz (Brian 1 semantics).

    Counts the pairs (t1 in ``T1``, t2 in ``T2``) whose lag ``t2 - t1`` lies in
    ``[-width, width)``, in ``2 * n`` bins of size ``bin`` with
    ``n = ceil(width / bin)``: bin ``k`` holds the lags in
    ``[(k - n) * bin, (k - n + 1) * bin)``, so zero lag is in bin ``n`` (lags
    within a relative 1e-9 of a bin edge count in the bin above it). Each
    count is divided by the time over which its lag can be observed,
    ``T - |lag|`` at the bin edge nearest to zero lag, which makes the result a
    rate of coincidences.

    Parameters
    ----------
    T1, T2 : Quantity (time) or array of float (seconds)
        Sorted spike times.
    width : Quantity (time) or float (seconds)
        Largest lag (default 20 ms).
    bin : Quantity (time) or float (seconds)
        Bin size (default 1 ms).
    T : Quantity (time) or float (seconds), optional
        Total duration; by default the time from the first to the last spike of
        the two trains together. Must be longer than ``n * bin``.

    Returns
    -------
    Quantity (Hz), shape ``(2 * n,)``
        All ``nan`` when a train is empty and ``T`` is left out; all zero when a
        train is empty and ``T`` is given.

    Examples
    --------
    A regular train, one spike every 10 ms for 1 s, with itself: bin ``n``
    holds the 100 self-pairs, ``100 / (1 s) = 100 Hz``.
    """
    t1 = _spike_train(T1, "T1")
    t2 = _spike_train(T2, "T2")
    w = _positive_time(width, "width")
    b = _positive_time(bin, "bin")
    duration = None if T is None else _positive_time(T, "T")
    return _correlogram_values(t1, t2, w, b, duration) * Hz


def autocorrelogram(T0: Any, width: Any = 20 * ms, bin: Any = 1 * ms, T: Any = None) -> Quantity:
    """Autocorrelogram of a spike train, in Hz: ``correlogram(T0, T0, ...)``.

    Self-pairs are included: the zero-lag bin holds ``len(T0) / T`` at least.
    See `correlogram` for the arguments.
    """
    return correlogram(T0, T0, width, bin, T)


def CCF(T1: Any, T2: Any, width: Any = 20 * ms, bin: Any = 1 * ms, T: Any = None) -> Quantity:
    """Cross-correlation function ``<T1(t) T2(t + s)>``, in Hz**2.

    The correlogram divided by the bin size. See `correlogram` for the arguments.
    """
    b = _positive_time(bin, "bin")
    return correlogram(T1, T2, width, bin, T) / (b * second)


def ACF(T0: Any, width: Any = 20 * ms, bin: Any = 1 * ms, T: Any = None) -> Quantity:
    """Autocorrelation function ``<T0(t) T0(t + s)>``, in Hz**2: ``CCF(T0, T0, ...)``."""
    return CCF(T0, T0, width, bin, T)


def _mean_rate(times: np.ndarray, T: Any) -> float:
    if T is None:
        return float(np.asarray(firing_rate(times)))
    return float(np.asarray(firing_rate(times, duration=T)))


def CCVF(T1: Any, T2: Any, width: Any = 20 * ms, bin: Any = 1 * ms, T: Any = None) -> Quantity:
    """Cross-covariance function ``<T1(t) T2(t + s)> - <T1><T2>``, in Hz**2.

    ``CCF`` minus the product of the two mean rates. The rates are
    ``len / T`` when ``T`` is given, and Brian 1's ``firing_rate`` (inverse mean
    interspike interval) otherwise. About zero at every lag for independent
    trains. See `correlogram` for the arguments.
    """
    t1 = _spike_train(T1, "T1")
    t2 = _spike_train(T2, "T2")
    product = _mean_rate(t1, T) * _mean_rate(t2, T)
    return CCF(t1, t2, width, bin, T) - product * Hz**2


def ACVF(T0: Any, width: Any = 20 * ms, bin: Any = 1 * ms, T: Any = None) -> Quantity:
    """Autocovariance function ``<T0(t) T0(t + s)> - <T0>**2``, in Hz**2."""
    return CCVF(T0, T0, width, bin, T)


def _pairs(t1: np.ndarray, t2: np.ndarray, width: float) -> np.ndarray:
    """All lags ``s - t`` (t in t1, s in t2) in ``[-width, width)``, vectorised."""
    start = np.searchsorted(t2, t1 - width, side="left")
    stop = np.searchsorted(t2, t1 + width, side="left")
    counts = stop - start
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0)
    first = np.cumsum(counts) - counts
    index = np.arange(total) - np.repeat(first, counts) + np.repeat(start, counts)
    return t2[index] - np.repeat(t1, counts)


def total_correlation(T1: Any, T2: Any, width: Any = 20 * ms, T: Any = None) -> float:
    """Total correlation coefficient with lags in ``[-width, width)`` (Brian 1).

    The integral of ``CCVF(T1, T2)`` over the lags, divided by the rate of
    ``T1``: the number of extra ``T2`` spikes per ``T1`` spike, beyond chance,
    within ``width``. About 0 for independent trains; typically in [0, 1].

    Parameters
    ----------
    T1, T2 : Quantity (time) or array of float (seconds)
        Sorted spike times.
    width : Quantity (time) or float (seconds)
        Largest lag (default 20 ms).
    T : Quantity (time) or float (seconds), optional
        Total duration; by default the time from the first to the last spike of
        the two trains together. Must be longer than ``width``.

    Returns
    -------
    float
        Dimensionless; ``nan`` when a train is empty.
    """
    t1 = _spike_train(T1, "T1")
    t2 = _spike_train(T2, "T2")
    w = _positive_time(width, "width")
    duration = _span(t1, t2) if T is None else _positive_time(T, "T")
    if t1.size == 0 or t2.size == 0:
        return math.nan
    if not duration > w:
        raise ValueError(f"The duration T ({duration!r} s) must be longer than width ({w!r} s)")
    lags = _pairs(t1, t2, w)
    # Each coincidence weighted by the inverse of the time its lag is observable
    weighted = float(np.sum(1.0 / (duration - np.abs(lags))))
    rate1 = _mean_rate(t1, T)
    rate2 = _mean_rate(t2, T)
    return weighted / rate1 - rate2 * 2 * w


# ---------------------------------------------------------------------------
# Phase locking
# ---------------------------------------------------------------------------


def vector_strength(spikes: Any, period: Any = None, *, frequency: Any = None) -> Any:
    """Vector strength (phase locking) of a spike train to a period.

    ``|mean(exp(2j * pi * t / period))|`` over the spikes: 1 when every spike
    falls at the same phase of the cycle, about ``1 / sqrt(len(spikes))`` for
    phases spread uniformly (Goldberg & Brown 1969).

    Parameters
    ----------
    spikes : Quantity (time) or array of float (seconds)
        Sorted spike times.
    period : Quantity (time) or float (seconds), scalar or 1-D array
        Period of the cycle. Give either ``period`` or ``frequency``.
    frequency : Quantity (Hz) or float (Hz), scalar or 1-D array, keyword only
        Frequency of the cycle, ``1 / period``.

    Returns
    -------
    float, or array of float with the shape of ``period``/``frequency``
        Dimensionless, in [0, 1]; ``nan`` for an empty train.
    """
    if (period is None) == (frequency is None):
        raise TypeError("vector_strength() needs exactly one of 'period' and 'frequency'")
    times = _spike_train(spikes, "spikes")
    if period is not None:
        cycles = _plain(period, "period", _TIME, "second")
        name = "period"
        inverse = False
    else:
        cycles = _plain(frequency, "frequency", _FREQUENCY, "hertz")
        name = "frequency"
        inverse = True
    if cycles.ndim > 1:
        raise ValueError(f"'{name}' must be a scalar or a 1-D array, got shape {cycles.shape}")
    if not np.all(np.isfinite(cycles)) or np.any(cycles <= 0):
        raise ValueError(f"'{name}' must be positive and finite")
    scalar = cycles.ndim == 0
    omega = 2 * np.pi * (cycles if inverse else 1.0 / cycles)
    omega = np.atleast_1d(omega)
    if times.size == 0:
        result = np.full(omega.shape, np.nan)
    else:
        # one vectorised pass over the spikes per frequency (bounded memory)
        result = np.empty(omega.shape)
        for i, w in enumerate(omega):
            phases = w * times
            result[i] = np.hypot(np.cos(phases).mean(), np.sin(phases).mean())
    return float(result[0]) if scalar else result


# ---------------------------------------------------------------------------
# Coincidences and the gamma factor
# ---------------------------------------------------------------------------


def _matched(model: np.ndarray, data: np.ndarray, delta: float) -> np.ndarray:
    """Boolean mask over ``data``: matched to a model spike by the greedy rule.

    The greedy rule, in time order: each data spike takes the earliest model
    spike within ``+-delta`` of it that no earlier data spike has taken. With
    a pointer ``j`` to the first model spike not yet passed, data spike ``k``
    (with candidates ``lo_k <= i < hi_k``) is matched iff
    ``p = max(j, lo_k) < hi_k``, and then ``j = min(p + 1, hi_k)``. Writing
    ``u_k = j_k - k`` turns this into ``u_k = clip(u_(k-1), lo_k - k + 1, hi_k - k)``
    (``min(max(., a), b)``): a chain of clamps, whose compositions are again
    clamps. All prefix compositions come from a parallel (Hillis-Steele) scan
    in ``log2(len(data))`` vectorised steps, with no loop over spikes.
    """
    n = data.size
    if n == 0 or model.size == 0:
        return np.zeros(n, dtype=bool)
    reach = delta * (1 + _WINDOW_RTOL)
    lo = np.searchsorted(model, data - reach, side="left").astype(np.int64)
    hi = np.searchsorted(model, data + reach, side="right").astype(np.int64)
    k = np.arange(1, n + 1, dtype=np.int64)
    a = lo - k + 1
    b = hi - k
    shift = 1
    while shift < n:
        # element i becomes (clamp block ending at i) o (clamp block ending at i - shift)
        a_in, b_in = a[:-shift], b[:-shift]
        a_out, b_out = a[shift:], b[shift:]
        new_a = np.minimum(np.maximum(a_in, a_out), b_out)
        new_b = np.minimum(np.maximum(b_in, a_out), b_out)
        a = np.concatenate((a[:shift], new_a))
        b = np.concatenate((b[:shift], new_b))
        shift *= 2
    pointer = np.minimum(np.maximum(0, a), b) + k  # j_k, starting from j_0 = 0
    before = np.concatenate(([0], pointer[:-1]))
    return pointer > np.maximum(before, lo)


def coincidence_count(model: Any, data: Any, delta: Any) -> int:
    """Number of coincidences between two spike trains, at precision ``delta``.

    A coincidence is a pair of a model spike and a data spike at most
    ``delta`` apart, and each spike counts in at most one pair: spikes are
    matched greedily in time order, each data spike taking the earliest model
    spike within its window that no earlier data spike took. For windows of
    equal width this greedy matching is also a largest possible one, so the
    count is the largest number of disjoint coincident pairs. When ``delta``
    exceeds half an interspike interval, two data spikes never share one model
    spike (nor two model spikes one data spike).

    Parameters
    ----------
    model, data : Quantity (time) or array of float (seconds)
        Sorted spike times.
    delta : Quantity (time) or float (seconds)
        Half-width of the coincidence window, ``>= 0``; the window is closed,
        ``|t_model - t_data| <= delta``, up to a relative tolerance of 1e-9.

    Returns
    -------
    int
    """
    model_times = _spike_train(model, "model")
    data_times = _spike_train(data, "data")
    window = _scalar(delta, "delta")
    if window < 0:
        raise ValueError(f"'delta' must not be negative, got {window!r} s")
    return int(np.count_nonzero(_matched(model_times, data_times, window)))


def gamma_factor(
    model: Any,
    data: Any,
    delta: Any,
    duration: Any = None,
    rate: Literal["data", "model"] = "data",
    rate_correction: bool = True,
) -> float:
    r"""Coincidence factor Gamma between a model and a data spike train.

    Following Jolivet et al. (2008), J. Neurosci. Methods 169:417-424,

    .. math::

        \Gamma = \frac{N_\mathrm{coinc} - 2 \nu \delta N_\mathrm{data}}
                      {\tfrac12 (N_\mathrm{data} + N_\mathrm{model}) (1 - 2 \nu \delta)}

    where :math:`N_\mathrm{coinc}` is `coincidence_count` (each model spike
    counts for at most one data spike), :math:`2 \nu \delta N_\mathrm{data}`
    the number of coincidences expected by chance from a Poisson train of rate
    :math:`\nu`, and :math:`1 - 2\nu\delta` makes the largest value 1.
    Gamma is 1 for identical trains, about 0 for independent ones and negative
    for fewer coincidences than chance. The chance term counts the expected
    number of spikes in a window, which is the expected number of (one-to-one)
    coincidences only while ``2 * nu * delta`` is small: for independent trains
    Gamma drifts below 0 as ``2 * nu * delta`` grows (about -0.001 at 0.04,
    strongly negative towards 1), and it is undefined from 1 on (an error).

    Which rate is :math:`\nu` (``rate``):

    * ``'data'`` (default), :math:`\nu = N_\mathrm{data} / \mathrm{duration}`:
      as Brian 1 and brian2modelfitting compute it, so values compare with theirs.
    * ``'model'``, :math:`\nu = N_\mathrm{model} / \mathrm{duration}`: the rate of
      the train that plays the Poisson process in Jolivet et al.'s definition;
      its chance term :math:`2\delta N_\mathrm{model} N_\mathrm{data} / T` is
      symmetric in the two trains.

    Rate correction (``rate_correction=True``, default, as brian2modelfitting's
    ``GammaFactor``, after Clopath et al. 2007) subtracts a penalty for
    differing rates, returning

    .. math::

        \Gamma - 2 \frac{|r_\mathrm{data} - r_\mathrm{model}|}{r_\mathrm{data}}

    with both rates counted over ``duration``. Then ``1 - gamma_factor(...)`` is
    brian2modelfitting's error ``1 + 2|r_data - r_model| / r_data - Gamma``
    (which it also clips at 0, a bound this value never crosses).

    Empty trains: two empty trains agree perfectly, Gamma = 1 (with or without
    rate correction). An empty data train with a non-empty model train has no
    coincidences and no chance term, Gamma = 0, and its relative rate error is
    infinite, so with rate correction the result is ``-inf``. An empty model
    train with a non-empty data train follows the formula (Gamma <= 0; the rate
    penalty is 2).

    Parameters
    ----------
    model, data : Quantity (time) or array of float (seconds)
        Sorted spike times of the model and of the recorded (target) train.
    delta : Quantity (time) or float (seconds)
        Coincidence window half-width, ``>= 0`` (typically 2-4 ms).
    duration : Quantity (time) or float (seconds), optional
        Length of the recording, for the rates. By default the time of the
        last spike of the two trains (recordings taken to start at t = 0).
    rate : ``'data'`` or ``'model'``
        Which train's rate enters the chance term (see above).
    rate_correction : bool
        Subtract the rate-difference penalty (see above).

    Returns
    -------
    float
        Dimensionless.
    """
    if rate not in ("data", "model"):
        raise ValueError(f"'rate' must be 'data' or 'model', got {rate!r}")
    model_times = _spike_train(model, "model")
    data_times = _spike_train(data, "data")
    window = _scalar(delta, "delta")
    if window < 0:
        raise ValueError(f"'delta' must not be negative, got {window!r} s")
    n_model = model_times.size
    n_data = data_times.size
    if duration is not None:
        total = _positive_time(duration, "duration")
    if n_model == 0 and n_data == 0:
        return 1.0
    if duration is None:
        total = float(
            max(model_times[-1] if n_model else -np.inf, data_times[-1] if n_data else -np.inf)
        )
        if not total > 0:
            raise ValueError(
                "Cannot infer the duration from spike times that are not after t = 0; "
                "give 'duration'"
            )
    data_rate = n_data / total
    model_rate = n_model / total
    nu = data_rate if rate == "data" else model_rate
    norm = 1 - 2 * nu * window
    if norm <= 0:
        raise ValueError(
            f"The coincidence window is too wide for the {rate} rate: 2 * rate * delta = "
            f"{2 * nu * window:.3g} >= 1 (delta={window!r} s, rate={nu:.6g} Hz)"
        )
    n_coinc = np.count_nonzero(_matched(model_times, data_times, window))
    expected = 2 * nu * window * n_data
    gamma = (n_coinc - expected) / (0.5 * (n_data + n_model) * norm)
    if rate_correction:
        if n_data == 0:
            return -math.inf
        gamma -= 2 * abs(data_rate - model_rate) / data_rate
    return float(gamma)

"""Error metrics for the fitters: how far a model's output is from the recording.

A metric turns the output of every candidate on every input trace into one
error per candidate, in two steps, as in brian2modelfitting:

* ``get_features(model_results, target_results, dt)``: one number (or any
  per-trace summary) for each candidate and each trace, an array of shape
  ``(n_candidates, n_traces)``;
* ``get_errors(features)``: one error per candidate, shape ``(n_candidates,)``
  (by default the mean over traces). Lower is better.

Spike metrics (`SpikeMetric`) receive spike trains: ``model_results`` is a
list (candidates) of lists (traces) of sorted spike-time arrays in seconds,
``target_results`` a list (traces) of such arrays. Trace metrics
(`TraceMetric`) receive arrays: ``model_results`` of shape
``(n_candidates, n_traces, n_steps)`` and ``target_results`` of shape
``(n_traces, n_steps)``, in SI units. ``dt`` is the time step in seconds.

Subclass `SpikeMetric` or `TraceMetric` (or `Metric`) and override
`Metric.get_features` (and optionally `Metric.get_errors`) for a metric of
your own; metrics must be picklable to be used with a process pool.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from sim.statistics import gamma_factor
from sim.units import DimensionMismatchError, Quantity, get_dimensions, second

__all__ = ["Metric", "SpikeMetric", "TraceMetric", "GammaFactor", "MSEMetric"]


def _seconds(value: Any, name: str, allow_none: bool = False) -> float | None:
    """A time Quantity as a float in seconds; a plain number is refused.

    A bare ``4`` could be seconds or milliseconds (and was silently taken as
    seconds), so times need their unit, as in brian2modelfitting.
    """
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"'{name}' must be given")
    dim = get_dimensions(value)
    if not isinstance(value, Quantity):
        raise DimensionMismatchError(
            f"'{name}' must be a time with units (e.g. {name}=4*ms); got {value!r} without "
            "units, which could be in any unit (expected unit: second)", dim, second.dim)
    if dim is not second.dim:
        raise TypeError(f"'{name}' must be a time, got {value!r}")
    result = float(np.asarray(value))
    if not np.isfinite(result):
        raise ValueError(f"'{name}' must be finite, got {value!r}")
    return result


class Metric(abc.ABC):
    """Base class of all error metrics (lower is better).

    Parameters
    ----------
    normalization : float
        The errors are divided by this number (default 1), e.g. to put
        errors of different fits on one scale.
    """

    #: 'spikes' or 'traces': what the metric compares.
    kind: str = "traces"

    def __init__(self, normalization: float = 1.0) -> None:
        normalization = float(normalization)
        if not (np.isfinite(normalization) and normalization > 0):
            raise ValueError(f"'normalization' must be positive, got {normalization!r}")
        self.normalization = normalization

    @abc.abstractmethod
    def get_features(self, model_results: Any, target_results: Any, dt: float) -> np.ndarray:
        """Per candidate and trace features, shape ``(n_candidates, n_traces)``."""

    def get_errors(self, features: np.ndarray) -> np.ndarray:
        """One error per candidate: the mean of the features over the traces."""
        features = np.asarray(features, dtype=np.float64)
        return features.reshape(features.shape[0], -1).mean(axis=1)

    def calc(self, model_results: Any, target_results: Any, dt: float) -> np.ndarray:
        """Errors of all candidates, shape ``(n_candidates,)``, normalised."""
        features = self.get_features(model_results, target_results, dt)
        errors = np.asarray(self.get_errors(features), dtype=np.float64).reshape(-1)
        return errors / self.normalization


class SpikeMetric(Metric):
    """Base class of metrics that compare spike trains (for `SpikeFitter`)."""

    kind = "spikes"


class TraceMetric(Metric):
    """Base class of metrics that compare traces (for `TraceFitter`)."""

    kind = "traces"


class GammaFactor(SpikeMetric):
    """Error ``1 - Gamma``, Gamma the (rate-corrected) coincidence factor.

    Gamma is `sim.statistics.gamma_factor` with ``rate='data'`` (Jolivet et
    al. 2008; a model spike counts for at most one data spike). With
    ``rate_correction=True`` (default) the error is brian2modelfitting's
    ``1 + 2 |r_data - r_model| / r_data - Gamma`` (Clopath et al. 2007): 0 for
    a perfect fit, about 1 for a model unrelated to the data, more when the
    rates differ. The error of a candidate is the mean over the traces.

    Parameters
    ----------
    delta : Quantity (time)
        Half-width of the coincidence window (typically 2-4 ms).
    time : Quantity (time)
        Duration of the recordings, for the firing rates.
    rate_correction : bool
        Penalise differing firing rates (default True).
    normalization : float
        Divide the errors by this number (default 1).
    """

    def __init__(
        self, delta: Any, time: Any, rate_correction: bool = True, normalization: float = 1.0
    ) -> None:
        super().__init__(normalization)
        self.delta = _seconds(delta, "delta")
        if self.delta < 0:
            raise ValueError(f"'delta' must not be negative, got {delta!r}")
        self.time = _seconds(time, "time")
        if not self.time > 0:
            raise ValueError(f"'time' must be positive, got {time!r}")
        self.rate_correction = bool(rate_correction)

    def get_features(self, model_results: Any, target_results: Any, dt: float) -> np.ndarray:
        features = np.empty((len(model_results), len(target_results)))
        for c, trains in enumerate(model_results):
            for k, (model, data) in enumerate(zip(trains, target_results, strict=True)):
                features[c, k] = 1.0 - gamma_factor(
                    model, data, self.delta, duration=self.time,
                    rate_correction=self.rate_correction,
                )
        return features


class MSEMetric(TraceMetric):
    """Mean squared error between model and recorded traces.

    The feature of a candidate on a trace is the mean over time steps of the
    squared difference (in SI units squared, e.g. V**2); its error the mean over
    traces. brian2modelfitting sums over time steps instead; the mean makes
    the error independent of the recording length (same minimiser).

    Parameters
    ----------
    t_start : Quantity (time), optional
        Ignore the samples before this time (e.g. an initial transient).
    normalization : float
        Divide the errors by this number (default 1).
    """

    def __init__(self, t_start: Any = None, normalization: float = 1.0) -> None:
        super().__init__(normalization)
        self.t_start = _seconds(t_start, "t_start", allow_none=True)
        if self.t_start is not None and self.t_start < 0:
            raise ValueError(f"'t_start' must not be negative, got {t_start!r}")

    def first_index(self, dt: float) -> int:
        """Index of the first time step compared."""
        if self.t_start is None:
            return 0
        return int(np.ceil(self.t_start / dt - 1e-9))

    def get_features(self, model_results: Any, target_results: Any, dt: float) -> np.ndarray:
        start = self.first_index(dt)
        model = np.asarray(model_results, dtype=np.float64)[..., start:]
        target = np.asarray(target_results, dtype=np.float64)[..., start:]
        if model.shape[-1] == 0:
            raise ValueError("'t_start' leaves no samples to compare")
        return ((model - target[None, :, :]) ** 2).mean(axis=2)

"""Model fitting: fitters, error metrics and optimisers for spiking neuron models.

`SpikeFitter` fits a model to recorded spike trains, `TraceFitter` to recorded
traces (see `sim.fitting.fitter`); `GammaFactor` and `MSEMetric` are their
error metrics, `Metric` (`SpikeMetric`, `TraceMetric`) the base for user
metrics (`sim.fitting.metrics`). The optimisers share one ask/tell interface
(`Optimizer`); see `sim.fitting.optimizers`. `CMAOptimizer` needs the
optional ``cma`` package, which is imported only when a search is
initialised, so this package imports without it.
"""

from . import cn_recordings
from .fitter import Fitter, SharedMemoryPool, SpikeFitter, TraceFitter
from .metrics import GammaFactor, Metric, MSEMetric, SpikeMetric, TraceMetric
from .optimizers import (
    CMAOptimizer,
    DEOptimizer,
    Optimizer,
    PSOOptimizer,
    RandomSearch,
)

__all__ = [
    "cn_recordings",
    "Fitter",
    "SpikeFitter",
    "TraceFitter",
    "SharedMemoryPool",
    "Metric",
    "SpikeMetric",
    "TraceMetric",
    "GammaFactor",
    "MSEMetric",
    "Optimizer",
    "RandomSearch",
    "DEOptimizer",
    "PSOOptimizer",
    "CMAOptimizer",
]

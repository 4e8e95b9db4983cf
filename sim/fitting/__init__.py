"""Model fitting: optimisers (and, later, fitters) for spiking neuron models.

The optimisers share one ask/tell interface (`Optimizer`); see
`sim.fitting.optimizers`. `CMAOptimizer` needs the optional ``cma`` package,
which is imported only when a search is initialised, so this package imports
without it.
"""

from .optimizers import (
    CMAOptimizer,
    DEOptimizer,
    Optimizer,
    PSOOptimizer,
    RandomSearch,
)

__all__ = [
    "Optimizer",
    "RandomSearch",
    "DEOptimizer",
    "PSOOptimizer",
    "CMAOptimizer",
]

"""Gradient-free optimisers behind one ask/tell interface.

An optimiser proposes parameter sets, is told their errors, and keeps the best
one. The fitters drive it round by round::

    opt = DEOptimizer(seed=1)
    popsize = opt.initialize(["tau", "R"], {"tau": (1e-3, 50e-3), "R": (1e9, 1e10)},
                             popsize=40)
    for _ in range(rounds):
        candidates = opt.ask()              # list of {name: value} dicts
        errors = [evaluate(**c) for c in candidates]
        opt.tell(candidates, errors)
    best_params, best_error = opt.recommend()

A round whose evaluation fails is given up with ``opt.forget()``: the
candidates asked for are discarded and the next ``ask`` proposes a fresh
round from the state the last ``tell`` left (generational optimisers refuse
a second ``ask`` while candidates are pending).

Every optimiser minimises. It searches the box given by the bounds, in
coordinates normalised to [0, 1] per parameter, so that parameters of very
different scales (a time constant in seconds, a resistance in ohms) weigh
alike. Parameter values are plain floats in SI units; bounds may be given as
quantities (``(10 * ms, 40 * ms)``) and are converted, the fitters put the
units back. Seeded with the same integer, an optimiser proposes the same
sequence of candidates when told the same errors; none touches numpy's global
random state.

How each respects the bounds:

* `RandomSearch` samples uniformly inside the box.
* `DEOptimizer` reflects a mutant coordinate that leaves the box back inside
  (``-u`` below 0, ``2 - u`` above 1, then clipped).
* `PSOOptimizer` clips positions to the box after each move, as Brian 1 did
  (velocities are left as they are).
* `CMAOptimizer` uses the ``cma`` package's ``BoundTransform`` on the unit box:
  samples are mapped smoothly into the box before they are returned.

Correspondence with brian2modelfitting (same ask/tell/recommend protocol):

=====================================  =====================================
brian2modelfitting                     here
=====================================  =====================================
``Optimizer`` (abstract base)          `Optimizer`
``initialize(names, popsize,           ``initialize(names, bounds, popsize,
rounds, **bounds)`` -> popsize         seed)`` -> popsize
``ask(n_samples)`` -> list of lists    `Optimizer.ask` -> list of dicts;
                                       `Optimizer.ask_array` -> 2-D array
``recommend()`` -> best parameters     ``recommend()`` -> (best dict, error)
``NevergradOptimizer('DE')``           `DEOptimizer`
``NevergradOptimizer('CMA')``          `CMAOptimizer` (the ``cma`` package
                                       directly, as nevergrad's CMA does)
``NevergradOptimizer('PSO')``          `PSOOptimizer` (Brian 1's settings)
``NevergradOptimizer('RandomSearch')`` `RandomSearch`
``SkoptOptimizer`` (Bayesian, GP)      no counterpart
=====================================  =====================================

Brian 1.2's ``modelfitting`` optimised with a particle swarm only (its
``pso_params``); Brian 1.3 moved to Playdoh's CMA-ES, PSO and GA.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.units import DimensionMismatchError, get_dimensions

__all__ = [
    "Optimizer",
    "RandomSearch",
    "DEOptimizer",
    "PSOOptimizer",
    "CMAOptimizer",
]

_DIMENSIONLESS = get_dimensions(1.0)


def _import_cma() -> Any:
    """The ``cma`` module, or an ImportError that says how to install it."""
    try:
        import cma
    except ImportError as exc:
        raise ImportError(
            "CMAOptimizer needs the 'cma' package, an optional dependency: install it "
            "with 'pip install cma' (or 'pip install hearsim[fitting]')"
        ) from exc
    return cma


def _number(value: Any, what: str) -> tuple[float, Any]:
    """``value`` as a float in SI units, with its dimension."""
    dim = get_dimensions(value)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number, got {value!r}") from None
    if array.ndim != 0:
        raise ValueError(f"{what} must be a scalar, got an array of shape {array.shape}")
    return float(array), dim


class Optimizer(abc.ABC):
    """Base class: an ask/tell optimiser over a box of named parameters.

    Subclasses work in the unit cube ``[0, 1] ** n_parameters`` and implement
    `_setup`, `_ask` and `_tell`; this class maps between the unit cube and
    the parameter values, checks every argument, and records the history.

    Parameters
    ----------
    seed : int, optional
        Seed of the optimiser's random generator; ``initialize(seed=...)``
        overrides it. None draws fresh entropy (not reproducible).
    """

    #: Whether the optimiser works in generations: ``ask`` must then be called
    #: with ``popsize`` samples and followed by a ``tell`` of all of them.
    generational: bool = True
    #: Smallest population the algorithm can work with.
    min_popsize: int = 1

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._names: list[str] | None = None

    # -- set-up -----------------------------------------------------------

    def default_popsize(self, n_parameters: int) -> int:
        """Population size used when ``initialize`` is given none."""
        return max(self.min_popsize, 10 * n_parameters)

    def initialize(
        self,
        parameter_names: Sequence[str],
        bounds: Mapping[str, tuple[Any, Any]],
        popsize: int | None = None,
        seed: int | None = None,
        *,
        n_samples: int | None = None,
    ) -> int:
        """Set up a fresh search over ``parameter_names`` within ``bounds``.

        Parameters
        ----------
        parameter_names : sequence of str
            The free parameters, in the order of the columns of `ask_array`.
        bounds : dict
            ``name -> (low, high)`` for every parameter, ``low <= high``
            (``low == high`` fixes a parameter). Numbers in SI units, or
            quantities of one dimension per parameter.
        popsize : int, optional
            Candidates per round (also accepted as ``n_samples``). By default
            `default_popsize`.
        seed : int, optional
            Seed for this search; by default the constructor's ``seed``.

        Returns
        -------
        int
            The population size the optimiser will use; ask for that many
            candidates per round.
        """
        names = self._check_names(parameter_names)
        low, high, dims = self._check_bounds(names, bounds)
        if n_samples is not None:
            if popsize is not None and popsize != n_samples:
                raise ValueError(
                    f"'popsize' ({popsize}) and 'n_samples' ({n_samples}) disagree; give one"
                )
            popsize = n_samples
        if popsize is None:
            popsize = self.default_popsize(len(names))
        if isinstance(popsize, bool) or not isinstance(popsize, (int, np.integer)):
            raise TypeError(f"'popsize' must be an integer, got {popsize!r}")
        if popsize < self.min_popsize:
            raise ValueError(
                f"{type(self).__name__} needs a population of at least "
                f"{self.min_popsize}, got popsize={popsize}"
            )
        if seed is None:
            seed = self.seed
        self._names = names
        self._low = low
        self._high = high
        self._span = high - low
        self._dims = dims
        self._popsize = int(popsize)
        self._rng = np.random.default_rng(seed)
        self._pending: np.ndarray | None = None
        self._tested: list[np.ndarray] = []
        self._errors: list[np.ndarray] = []
        self._best_x: np.ndarray | None = None
        self._best_error = math.inf
        self._setup()
        return self._popsize

    @staticmethod
    def _check_names(parameter_names: Sequence[str]) -> list[str]:
        if isinstance(parameter_names, str):
            raise TypeError("'parameter_names' must be a sequence of names, not one string")
        names = list(parameter_names)
        if not names:
            raise ValueError("'parameter_names' is empty: there is nothing to optimise")
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"Parameter names must be strings, got {name!r}")
        doubles = sorted({name for name in names if names.count(name) > 1})
        if doubles:
            raise ValueError(f"Parameter names given more than once: {doubles}")
        return names

    @staticmethod
    def _check_bounds(
        names: list[str], bounds: Mapping[str, tuple[Any, Any]]
    ) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        if not isinstance(bounds, Mapping):
            raise TypeError(f"'bounds' must be a dict name -> (low, high), got {bounds!r}")
        missing = [name for name in names if name not in bounds]
        if missing:
            raise ValueError(f"No bounds given for parameter(s) {missing}")
        unknown = sorted(str(name) for name in bounds if name not in names)
        if unknown:
            raise ValueError(f"Bounds given for unknown parameter(s) {unknown}; known: {names}")
        low = np.empty(len(names))
        high = np.empty(len(names))
        dims = []
        for i, name in enumerate(names):
            pair = bounds[name]
            if isinstance(pair, str) or not isinstance(pair, (Sequence, np.ndarray)):
                raise TypeError(f"Bounds for '{name}' must be a pair (low, high), got {pair!r}")
            if len(pair) != 2:
                raise ValueError(
                    f"Bounds for '{name}' must be a pair (low, high), got {len(pair)} values"
                )
            low[i], low_dim = _number(pair[0], f"The lower bound of '{name}'")
            high[i], high_dim = _number(pair[1], f"The upper bound of '{name}'")
            if low_dim is not high_dim:
                raise DimensionMismatchError(
                    f"The bounds of '{name}' have different dimensions", low_dim, high_dim
                )
            if not (math.isfinite(low[i]) and math.isfinite(high[i])):
                raise ValueError(f"The bounds of '{name}' must be finite, got {pair!r}")
            if low[i] > high[i]:
                raise ValueError(
                    f"The bounds of '{name}' are reversed: low ({low[i]:g}) > high ({high[i]:g})"
                )
            dims.append(low_dim)
        return low, high, dims

    def _require_initialized(self) -> None:
        if self._names is None:
            raise RuntimeError(f"Call {type(self).__name__}.initialize() first")

    # -- public state -----------------------------------------------------

    @property
    def parameter_names(self) -> list[str]:
        """The parameter names, in column order."""
        self._require_initialized()
        return list(self._names)

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """``name -> (low, high)`` in SI units."""
        self._require_initialized()
        return {
            n: (float(a), float(b))
            for n, a, b in zip(self._names, self._low, self._high, strict=True)
        }

    @property
    def popsize(self) -> int:
        """Candidates per round."""
        self._require_initialized()
        return self._popsize

    @property
    def tested_parameters(self) -> np.ndarray:
        """Every parameter set told so far, shape ``(n_told, n_parameters)``."""
        self._require_initialized()
        if not self._tested:
            return np.zeros((0, len(self._names)))
        return np.concatenate(self._tested)

    @property
    def errors(self) -> np.ndarray:
        """The errors told so far, in the order of `tested_parameters`."""
        self._require_initialized()
        if not self._errors:
            return np.zeros(0)
        return np.concatenate(self._errors)

    # -- ask / tell / recommend ------------------------------------------

    def ask_array(self, n_samples: int | None = None) -> np.ndarray:
        """Propose candidates as an array of shape ``(n_samples, n_parameters)``.

        Columns follow `parameter_names`; values are in SI units, inside the
        bounds. ``n_samples`` defaults to `popsize`; a generational optimiser
        (all but `RandomSearch`) only accepts `popsize` and wants the errors
        of one round told before it proposes the next.
        """
        self._require_initialized()
        if n_samples is None:
            n_samples = self._popsize
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
            raise TypeError(f"'n_samples' must be an integer, got {n_samples!r}")
        if n_samples < 1:
            raise ValueError(f"'n_samples' must be at least 1, got {n_samples}")
        if self.generational:
            if n_samples != self._popsize:
                raise ValueError(
                    f"{type(self).__name__} proposes whole generations of popsize="
                    f"{self._popsize} candidates, got n_samples={n_samples}"
                )
            if self._pending is not None:
                raise RuntimeError(
                    f"{type(self).__name__}.ask() called twice: tell() the errors of the "
                    "previous candidates first, or forget() them if their round failed"
                )
        unit = np.clip(self._ask(int(n_samples)), 0.0, 1.0)
        self._pending = unit
        return self._low + unit * self._span

    def ask(self, n_samples: int | None = None) -> list[dict[str, float]]:
        """Propose candidates as a list of ``{name: value}`` dicts (SI units).

        See `ask_array`.
        """
        rows = self.ask_array(n_samples)
        return [dict(zip(self._names, map(float, row), strict=True)) for row in rows]

    def _as_array(self, parameters: Any) -> np.ndarray:
        names = self._names
        if isinstance(parameters, np.ndarray) or (
            isinstance(parameters, Sequence)
            and parameters
            and not isinstance(parameters[0], Mapping)
        ):
            array = np.asarray(parameters, dtype=np.float64)
            if array.ndim != 2 or array.shape[1] != len(names):
                raise ValueError(
                    f"'parameters' must have shape (n, {len(names)}) (columns {names}), "
                    f"got shape {array.shape}"
                )
            return array
        if isinstance(parameters, Mapping):
            raise TypeError("'parameters' must be a list of dicts (one per candidate), not a dict")
        rows = []
        for i, candidate in enumerate(parameters):
            if not isinstance(candidate, Mapping):
                raise TypeError(f"Candidate {i} in 'parameters' is not a dict: {candidate!r}")
            unknown = sorted(str(k) for k in candidate if k not in names)
            if unknown:
                raise ValueError(
                    f"Candidate {i} in 'parameters' has unknown parameter(s) {unknown}; "
                    f"known: {names}"
                )
            missing = [n for n in names if n not in candidate]
            if missing:
                raise ValueError(f"Candidate {i} in 'parameters' lacks parameter(s) {missing}")
            row = []
            for name, dim in zip(names, self._dims, strict=True):
                value, value_dim = _number(candidate[name], f"Parameter '{name}'")
                if value_dim is not dim and value_dim is not _DIMENSIONLESS:
                    raise DimensionMismatchError(
                        f"Parameter '{name}' does not have the dimension of its bounds",
                        value_dim,
                        dim,
                    )
                row.append(value)
            rows.append(row)
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names))

    def tell(self, parameters: Any, errors: Any) -> None:
        """Report the errors of evaluated candidates (lower is better).

        Parameters
        ----------
        parameters : list of dict, or array of shape (n, n_parameters)
            The candidates, normally those from the last `ask`; every dict
            must have exactly the parameter names.
        errors : sequence of float, length n
            Their errors. ``nan`` (a failed evaluation) and ``inf`` rank as
            the worst possible error. Values outside the bounds are recorded
            as given but enter the search clipped to the bounds.
        """
        self._require_initialized()
        x = self._as_array(parameters)
        err = np.asarray(errors, dtype=np.float64)
        if err.ndim != 1 or err.size != x.shape[0]:
            raise ValueError(
                f"'errors' must be a 1-D sequence with one error per candidate "
                f"({x.shape[0]}), got shape {err.shape}"
            )
        if self.generational:
            if self._pending is None:
                raise RuntimeError(
                    f"{type(self).__name__}.tell() without a preceding ask(): ask for "
                    "candidates first"
                )
            if x.shape[0] != self._pending.shape[0]:
                raise ValueError(
                    f"{type(self).__name__}.tell() needs the errors of all "
                    f"{self._pending.shape[0]} candidates of the last ask(), got {x.shape[0]}"
                )
        if not np.all(np.isfinite(x)):
            raise ValueError("'parameters' contains non-finite values")
        safe = np.where(np.isnan(err), np.inf, err)
        unit = np.zeros_like(x)
        np.divide(x - self._low, self._span, out=unit, where=self._span > 0)
        unit = np.clip(unit, 0.0, 1.0)
        pending = self._pending
        if (
            pending is not None
            and pending.shape == unit.shape
            and np.allclose(unit, pending, rtol=0.0, atol=1e-12)
        ):
            unit = pending  # the very candidates asked for, without round-off
        self._pending = None
        self._tested.append(x.copy())
        self._errors.append(err.copy())
        if x.shape[0]:
            best = int(np.argmin(safe))
            if self._best_x is None or safe[best] < self._best_error:
                self._best_x = x[best].copy()
                self._best_error = float(safe[best])
        self._tell(unit, safe)

    def forget(self) -> int:
        """Discard the candidates of the last `ask` that were never told back.

        Call it when a round fails (a worker died, the evaluation was
        interrupted, a metric raised): a generational optimiser refuses a
        second `ask` while candidates are pending, so without this one failed
        round would block every later one. The search state (population,
        swarm, CMA-ES distribution, best so far) stays as the last `tell` left
        it, and the next `ask` proposes a fresh round from it; the random
        generator moves on, so those candidates differ from the forgotten
        ones (a candidate that made the evaluation fail is not simply
        proposed again). Harmless when nothing is pending.

        Returns
        -------
        int
            How many candidates were discarded (0 when none were pending).
        """
        self._require_initialized()
        pending = self._pending
        self._pending = None
        self._forget()
        return 0 if pending is None else int(pending.shape[0])

    def recommend(self) -> tuple[dict[str, float], float]:
        """The best candidate told so far and its error: ``(params, error)``.

        ``error`` is ``inf`` when every error told was ``nan`` or ``inf``.
        """
        self._require_initialized()
        if self._best_x is None:
            raise RuntimeError(f"{type(self).__name__}.recommend(): no errors told yet")
        return dict(zip(self._names, map(float, self._best_x), strict=True)), self._best_error

    # -- algorithm hooks (unit cube) --------------------------------------

    def _setup(self) -> None:  # noqa: B027 (optional hook, empty by default)
        """Prepare the algorithm state after `initialize` (rng, popsize set)."""

    def _forget(self) -> None:  # noqa: B027 (optional hook, empty by default)
        """Drop algorithm state kept between `_ask` and `_tell` (see `forget`)."""

    @abc.abstractmethod
    def _ask(self, n: int) -> np.ndarray:
        """``n`` candidates in the unit cube, shape ``(n, n_parameters)``."""

    @abc.abstractmethod
    def _tell(self, unit: np.ndarray, errors: np.ndarray) -> None:
        """Errors (``nan`` replaced by ``inf``) of candidates in the unit cube."""


class RandomSearch(Optimizer):
    """Uniform random sampling inside the bounds.

    Not generational: ask for any number of candidates at any time, and tell
    any evaluated candidates. Useful as a baseline and for a first coarse
    look at an error landscape (nevergrad's ``RandomSearch``).

    Parameters
    ----------
    seed : int, optional
        Seed of the random generator.
    """

    generational = False

    def default_popsize(self, n_parameters: int) -> int:
        return 100

    def _ask(self, n: int) -> np.ndarray:
        return self._rng.random((n, len(self._names)))

    def _tell(self, unit: np.ndarray, errors: np.ndarray) -> None:
        pass


def _distinct_others(rng: np.random.Generator, size: int, k: int) -> np.ndarray:
    """For each row i < size, k distinct indices in range(size), all != i."""
    excluded = np.arange(size)[:, None]
    picks = np.empty((size, k), dtype=np.int64)
    for m in range(k):
        r = rng.integers(0, size - 1 - m, size=size)
        # map r to the r-th index that is not excluded (excluded sorted per row)
        for column in np.sort(excluded, axis=1).T:
            r = r + (r >= column)
        picks[:, m] = r
        excluded = np.column_stack((excluded, r))
    return picks


class DEOptimizer(Optimizer):
    """Differential evolution, DE/rand/1/bin (Storn & Price 1997).

    The first round is a population drawn uniformly inside the bounds. Each
    later round proposes one trial per population member: a mutant
    ``a + F * (b - c)`` of three other distinct members, crossed over
    binomially with the member (each coordinate from the mutant with
    probability ``crossover``, at least one always); a trial replaces its
    member when its error is lower or equal. Mutant coordinates outside the
    bounds are reflected back inside.

    Parameters
    ----------
    mutation : float or (float, float)
        The differential weight F (default 0.8); a pair ``(low, high)`` draws
        F uniformly in that range afresh each round (dither).
    crossover : float
        Crossover probability CR in [0, 1] (default 0.9).
    seed : int, optional
        Seed of the random generator.

    Default population: ``10 * n_parameters`` (at least 5).
    """

    min_popsize = 4

    def __init__(
        self,
        mutation: float | tuple[float, float] = 0.8,
        crossover: float = 0.9,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        if isinstance(mutation, (tuple, list)):
            if len(mutation) != 2 or not 0 <= mutation[0] <= mutation[1] <= 2:
                raise ValueError(
                    f"'mutation' as a range must be (low, high) with 0 <= low <= high <= 2, "
                    f"got {mutation!r}"
                )
            self.mutation: float | tuple[float, float] = (float(mutation[0]), float(mutation[1]))
        else:
            if not 0 < float(mutation) <= 2:
                raise ValueError(f"'mutation' must be in (0, 2], got {mutation!r}")
            self.mutation = float(mutation)
        if not 0 <= float(crossover) <= 1:
            raise ValueError(f"'crossover' must be in [0, 1], got {crossover!r}")
        self.crossover = float(crossover)

    def default_popsize(self, n_parameters: int) -> int:
        return max(5, 10 * n_parameters)

    def _setup(self) -> None:
        self._population: np.ndarray | None = None
        self._fitness: np.ndarray | None = None

    def _ask(self, n: int) -> np.ndarray:
        d = len(self._names)
        if self._population is None:
            return self._rng.random((n, d))
        pop = self._population
        if isinstance(self.mutation, tuple):
            weight = self._rng.uniform(*self.mutation)
        else:
            weight = self.mutation
        others = _distinct_others(self._rng, n, 3)
        mutant = pop[others[:, 0]] + weight * (pop[others[:, 1]] - pop[others[:, 2]])
        mutant = np.where(mutant < 0, -mutant, mutant)
        mutant = np.where(mutant > 1, 2 - mutant, mutant)
        mutant = np.clip(mutant, 0.0, 1.0)
        cross = self._rng.random((n, d)) < self.crossover
        cross[np.arange(n), self._rng.integers(0, d, size=n)] = True
        return np.where(cross, mutant, pop)

    def _tell(self, unit: np.ndarray, errors: np.ndarray) -> None:
        if self._population is None:
            self._population = unit.copy()
            self._fitness = errors.copy()
            return
        better = errors <= self._fitness
        self._population[better] = unit[better]
        self._fitness[better] = errors[better]


class PSOOptimizer(Optimizer):
    """Particle swarm optimisation with Brian 1's settings.

    Each particle has a position and a velocity; after each round, with
    uniform random factors ``r_l, r_g`` in [0, 1) drawn per coordinate::

        v = omega * v + c_l * r_l * (personal_best - x) + c_g * r_g * (global_best - x)
        x = clip(x + v, low, high)

    Positions start uniformly inside the bounds and velocities at zero; the
    inertia ``omega`` is constant (it does not decrease over rounds), there is
    no velocity clamp, and positions leaving the bounds are clipped to them,
    as in Brian 1. Unlike Brian 1, which moved the particles once before the
    first evaluation, the initial positions are evaluated first.

    The defaults ``omega=0.9, c_l=0.5, c_g=1.5`` are those of Brian 1's
    cluster-based ``modelfitting`` (1.2 series, ``brian/library/modelfitting/``
    in the Brian 1 repository): ``pso_params=None`` becomes ``[.9, .5, 1.5]``,
    and its documentation says "Reasonable values are (.9, .5, 1.5)". That
    ``modelfitting`` used 1000 particles per target train and 10 iterations by
    default. Other versions of Brian 1's code used other values: the first
    ``particle_swarm``-based ``modelfitting`` passed ``(.9, 1.9, 1.9)``, a later
    Playdoh-based development version ``(.9, .1, 1.5)``, and Playdoh's own PSO
    defaults were ``(.8, .1, .1)`` (Brian 1.3 then fitted with CMA-ES by default).

    Parameters
    ----------
    omega : float
        Inertia weight (default 0.9).
    c_l : float
        Weight of the particle's own best position (default 0.5).
    c_g : float
        Weight of the swarm's best position (default 1.5).
    seed : int, optional
        Seed of the random generator.

    Default population: ``10 * n_parameters`` (at least 2).
    """

    min_popsize = 2

    def __init__(
        self,
        omega: float = 0.9,
        c_l: float = 0.5,
        c_g: float = 1.5,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        for name, value in (("omega", omega), ("c_l", c_l), ("c_g", c_g)):
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"'{name}' must be a non-negative number, got {value!r}")
        self.omega = float(omega)
        self.c_l = float(c_l)
        self.c_g = float(c_g)

    def _setup(self) -> None:
        d = len(self._names)
        self._x = self._rng.random((self._popsize, d))
        self._v = np.zeros((self._popsize, d))
        self._local_x = self._x.copy()
        self._local_f = np.full(self._popsize, np.inf)
        self._global_x = self._x[0].copy()
        self._global_f = np.inf

    def _ask(self, n: int) -> np.ndarray:
        return self._x.copy()

    def _tell(self, unit: np.ndarray, errors: np.ndarray) -> None:
        self._x = unit.copy()
        improved = errors < self._local_f
        self._local_x[improved] = unit[improved]
        self._local_f[improved] = errors[improved]
        best = int(np.argmin(self._local_f))
        if self._local_f[best] < self._global_f or not math.isfinite(self._global_f):
            self._global_x = self._local_x[best].copy()
            self._global_f = float(self._local_f[best])
        shape = self._x.shape
        r_l = self._rng.random(shape)
        r_g = self._rng.random(shape)
        self._v = (
            self.omega * self._v
            + self.c_l * r_l * (self._local_x - self._x)
            + self.c_g * r_g * (self._global_x - self._x)
        )
        self._x = np.clip(self._x + self._v, 0.0, 1.0)


class CMAOptimizer(Optimizer):
    """CMA-ES (Hansen & Ostermeier 2001) through the ``cma`` package.

    ``cma`` is an optional dependency (``pip install cma``, or
    ``pip install hearsim[fitting]``); it is imported by `initialize`, so this
    class can be named and constructed without it.

    The search runs in the unit cube with ``cma``'s ``BoundTransform`` for the
    bounds; it starts at ``x0`` (default: the centre of the box) with step
    size ``sigma0`` (a fraction of each parameter's range). Sampling uses
    this optimiser's own seeded generator (``cma``'s ``randn`` option), so
    numpy's global random state is neither used nor changed. ``cma``'s own
    termination criteria are not enforced: rounds continue as long as they
    are asked for.

    Parameters
    ----------
    sigma0 : float
        Initial step size, as a fraction of the parameter ranges (default 0.25).
    x0 : dict, optional
        Initial mean, ``name -> value`` in SI units, inside the bounds.
    cma_options : dict, optional
        Further ``cma.CMAOptions`` (e.g. ``{'CMA_diagonal': True}``); this
        class sets ``bounds``, ``popsize``, ``seed``, ``randn`` and verbosity.
    seed : int, optional
        Seed of the random generator.

    Default population: ``cma``'s ``4 + floor(3 * ln(n_parameters))``.
    """

    min_popsize = 2

    def __init__(
        self,
        sigma0: float = 0.25,
        x0: Mapping[str, Any] | None = None,
        cma_options: Mapping[str, Any] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        if not (math.isfinite(sigma0) and sigma0 > 0):
            raise ValueError(f"'sigma0' must be positive, got {sigma0!r}")
        self.sigma0 = float(sigma0)
        self.x0 = dict(x0) if x0 is not None else None
        self.cma_options = dict(cma_options) if cma_options is not None else {}

    def default_popsize(self, n_parameters: int) -> int:
        return 4 + int(math.floor(3 * math.log(n_parameters)))

    def _setup(self) -> None:
        cma = _import_cma()
        d = len(self._names)
        start = np.full(d, 0.5)
        if self.x0 is not None:
            unknown = sorted(str(k) for k in self.x0 if k not in self._names)
            if unknown:
                raise ValueError(f"'x0' has unknown parameter(s) {unknown}; known: {self._names}")
            for i, name in enumerate(self._names):
                if name in self.x0:
                    value, _ = _number(self.x0[name], f"x0['{name}']")
                    if not self._low[i] <= value <= self._high[i]:
                        raise ValueError(
                            f"x0['{name}'] = {value:g} lies outside its bounds "
                            f"({self._low[i]:g}, {self._high[i]:g})"
                        )
                    if self._span[i] > 0:
                        start[i] = (value - self._low[i]) / self._span[i]
        rng = self._rng

        def randn(*shape: int) -> np.ndarray:
            return rng.standard_normal(shape)

        options = dict(self.cma_options)
        options.update(
            bounds=[0.0, 1.0],
            popsize=self._popsize,
            seed=np.nan,  # "do nothing": leave numpy's global generator alone
            randn=randn,
            verbose=-9,
            verb_log=0,
            verb_disp=0,
        )
        self._es = cma.CMAEvolutionStrategy(start, self.sigma0, options)
        self._asked: list[np.ndarray] | None = None

    def _forget(self) -> None:
        # cma itself accepts a new ask() without a tell(): only our copy of the
        # asked samples (used to tell cma its own solutions back) must go
        self._asked = None

    def _ask(self, n: int) -> np.ndarray:
        self._asked = self._es.ask(n)
        return np.asarray(self._asked, dtype=np.float64).reshape(n, len(self._names))

    def _tell(self, unit: np.ndarray, errors: np.ndarray) -> None:
        finite = np.isfinite(errors)
        if not finite.all():
            # CMA-ES only uses the ranking: put failed candidates last
            worst = errors[finite].max() if finite.any() else 0.0
            errors = np.where(finite, errors, worst + 1.0 + abs(worst))
        asked = self._asked
        self._asked = None
        if asked is not None and np.array_equal(unit, np.asarray(asked)):
            solutions = asked  # cma maps its own samples back to its internal coordinates
        else:
            solutions = list(unit)
        self._es.tell(solutions, list(map(float, errors)))

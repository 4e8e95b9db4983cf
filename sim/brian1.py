"""Brian 1 conveniences, as thin layers over the Brian 2 style engine.

* ``NeuronGroup(N, eqs, threshold=-50*mV, reset=-60*mV)``: a value means ``v > value`` and
  ``v = value`` on the group's first state variable (Brian 1's: the membrane potential
  ``v``/``V``/``vm``/``Vm`` if the model has exactly one of them, else the first variable
  written); with ``refractory=`` that variable is held at the reset value during the
  refractory period (Brian 1's ``Refractoriness``).  A threshold may be a function of the
  state variables (raw arrays in SI units, as Brian 1 passed them) returning a boolean array
  or the indices of the neurons that spike, and a reset a function ``reset(P, spikes)``;
  both run as Python code in their scheduling slots (:func:`threshold_and_reset`, which
  ``NeuronGroup.__init__`` calls).  ``P.subgroup(n)`` gives the next ``n`` neurons.
* ``Connection(P, Q, 'ge', weight=..., sparseness=..., delay=...)`` is a
  :class:`~sim.synapses.Synapses` object with a weight ``w`` and ``on_pre='ge += w'``;
  ``connect_random``, ``connect_full``, ``connect_one_to_one`` and ``connect(P, Q, W)``
  create its synapses.  Weights, sparseness and delays may be numbers, quantities or
  functions of ``i`` and ``j`` (indices in the ``P`` and ``Q`` given, called with arrays
  when the function gives one value per pair, else once per synapse, as Brian 1 did); a
  sparseness may also be an expression string (``'exp(-abs(i-j)*.1)'``).  A delay is one
  for all synapses; ``delay=True``, a pair ``(min, max)`` or a function make a
  :class:`DelayConnection` (one delay per synapse, at most ``max_delay``).
* ``STDP(C, eqs, pre, post, wmax)`` and ``STP(C, taud, tauf, U)`` make a connection
  plastic by adding event-driven equations and code to it.
* :class:`Parameters`: Brian 1's attribute container with computed values.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import inspect
import sys
from collections.abc import Callable, Iterator

import numpy as np

from sim import random as _random
from sim.equations import (
    DIFFERENTIAL_EQUATION,
    PARAMETER,
    Equations,
    unit_expression,
)
from sim.operations import NetworkOperation
from sim.parsing import generated_code, parse_expression, parse_statements
from sim.synapses import Synapses
from sim.units import (
    DimensionMismatchError,
    Quantity,
    fail_for_dimension_mismatch,
    get_dimensions,
    get_unit,
    ms,
    second,
)

__all__ = ["Connection", "DelayConnection", "STDP", "STP", "Parameters",
           "threshold_and_reset", "state_variables", "next_subgroup"]

_VM_NAMES = ("v", "V", "vm", "Vm")
_NO_SPIKES = np.zeros(0, dtype=np.int64)


# -- NeuronGroup: thresholds, resets, subgroups ---------------------------------------
def state_variables(eqs: Equations) -> list[str]:
    """Brian 1's state variables of a model, in the order of its state matrix.

    The differential equations and parameters in the order written, the membrane
    potential (the only one of ``v``, ``V``, ``vm``, ``Vm``) swapped with the first.
    """
    names = [eq.varname for eq in eqs
             if eq.type in (DIFFERENTIAL_EQUATION, PARAMETER) and "linked" not in eq.flags]
    vm = [name for name in names if name in _VM_NAMES]
    if len(vm) == 1:
        k = names.index(vm[0])
        names[0], names[k] = names[k], names[0]
    return names


def _is_value(x: object) -> bool:
    if isinstance(x, bool | np.bool_):
        return False
    if isinstance(x, Quantity):
        return np.ndim(x) == 0
    return isinstance(x, int | float | np.integer | np.floating)


def _is_function(x: object) -> bool:
    return callable(x) and not isinstance(x, str | Quantity)


def _literal(value, dim, what: str) -> str:
    """``value`` as model-string text with the variable's unit (exact: the SI float's repr
    times the unit, whose SI value is 1)."""
    if get_dimensions(value) != dim and not (
        get_dimensions(value).is_dimensionless and dim.is_dimensionless
    ):
        raise DimensionMismatchError(f"The {what} does not have correct units", dim,
                                     get_dimensions(value))
    number = repr(float(np.asarray(value)))
    if dim.is_dimensionless:
        return number
    unit = repr(get_unit(dim))
    return f"{number}*{unit if unit.isidentifier() else f'({unit_expression(dim)})'}"


def _first_variable(names: list[str], what: str) -> str:
    if not names:
        raise ValueError(f"A {what} given as a value needs a state variable (a differential "
                         f"equation or parameter) in the model")
    return names[0]


def _positional(func: Callable) -> tuple[list[str], bool]:
    """Names of a function's positional parameters, and whether it takes ``*args``."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return [], True
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names, any(p.kind == p.VAR_POSITIONAL for p in params)


def threshold_and_reset(eqs: Equations, threshold: object, reset: object,
                        refractory: object = False
                        ) -> tuple[str | None, str | None, Equations,
                                   Callable[[object], None] | None]:
    """Brian 1's threshold and reset values and functions, as a NeuronGroup takes them.

    ``threshold``/``reset``: a value in the units of the first state variable (a
    quantity, or a number for a dimensionless one; ``DimensionMismatchError`` otherwise),
    a function, a string or None; ``refractory``: the group's (a time makes a value reset
    hold its variable).  Returns ``(threshold, reset, eqs, install)``: strings (or None)
    for the group, its equations (with ``(unless refractory)`` added to the reset variable
    for a value reset with a refractory period: Brian 1 held it at the reset value), and
    ``install(group)`` (or None) to call at the end of the group's construction, which
    puts the Python threshold and reset functions in place of the generated code.  Strings
    and None pass
    through unchanged.
    """
    steps: list[Callable] = []
    names = state_variables(eqs)
    dims = {eq.varname: eq.dim for eq in eqs}
    if _is_value(threshold):
        var = _first_variable(names, "threshold")
        threshold = f"{var} > {_literal(threshold, dims[var], 'threshold')}"
    elif _is_function(threshold):
        function = threshold
        threshold = "False"  # the group's own threshold code; install() replaces its runner
        steps.append(lambda group: _install_threshold(group, function))
    if _is_value(reset):
        var = _first_variable(names, "reset")
        reset = f"{var} = {_literal(reset, dims[var], 'reset')}"
        if isinstance(refractory, Quantity) and float(refractory) > 0:
            eqs = Equations([
                dataclasses.replace(eq, flags=(*eq.flags, "unless refractory"))
                if eq.varname == var and eq.type == DIFFERENTIAL_EQUATION
                and "unless refractory" not in eq.flags else eq
                for eq in eqs
            ])
    elif _is_function(reset):
        if threshold is None:
            raise ValueError("A reset needs a threshold")
        if refractory is not False and refractory is not None and not (
                isinstance(refractory, Quantity | int | float) and float(refractory) == 0):
            raise ValueError("Refractoriness with a reset function is not supported (as in "
                             "Brian 1): give the reset as a value or as statements")
        function = reset
        reset = None
        steps.append(lambda group: _install_reset(group, function))
    if not steps:
        return threshold, reset, eqs, None

    def install(group) -> None:
        for step in steps:
            step(group)

    return threshold, reset, eqs, install


class _PythonCode(NetworkOperation):
    """A Brian 1 threshold or reset function, run in the group's slot on its clock."""

    add_to_magic_network = False

    def __init__(self, group, call: Callable[[], None], when: str, name: str):
        super().__init__(call, clock=group.clock, when=when, order=group.order, name=name)
        self.group = group


def _spike_indices(result, n: int, function) -> np.ndarray:
    values = np.asarray(result)
    if values.dtype == bool:
        if values.ndim == 0:
            return np.arange(n, dtype=np.int64) if values else _NO_SPIKES
        if values.shape != (n,):
            raise ValueError(f"The threshold function {function!r} returned {values.shape} "
                             f"booleans for {n} neurons")
        return np.flatnonzero(values).astype(np.int64)
    if np.issubdtype(values.dtype, np.integer):
        spikes = np.unique(values.ravel()).astype(np.int64)
        if len(spikes) and (spikes[0] < 0 or spikes[-1] >= n):
            raise IndexError(f"The threshold function {function!r} returned indices outside "
                             f"0..{n - 1}")
        return spikes
    raise TypeError(f"A threshold function must return a boolean array or spike indices; "
                    f"{function!r} returned {values.dtype}")


def _install_threshold(group, function: Callable) -> None:
    params, star = _positional(function)
    names = state_variables(group.equations)
    arrays = {n for n, v in group.variables.items() if v.kind == "array" and not v.linked}
    if params and not star and all(p in arrays for p in params):
        args = params  # by name (Brian 1 passed them in order; names say which is which)
    elif len(params) == 1 and not star:
        args = names[:1]  # Brian 1's SimpleFunThreshold: the first state variable
    elif star and not params or len(params) == len(names):
        args = names  # Brian 1's FunThreshold: all the state variables, in order
    else:
        raise TypeError(f"The threshold function of '{group.name}' takes {len(params)} "
                        f"arguments; Brian 1 passes the state variables "
                        f"({', '.join(names)}), or name them as its arguments")
    variables = group.variables
    refractory = "not_refractory" in variables

    def detect() -> None:
        result = function(*(variables[name].array for name in args))
        spikes = _spike_indices(result, group.N, function)
        if refractory and len(spikes):
            spikes = spikes[variables["not_refractory"].array[spikes]]
        group._events["spike"] = spikes

    runner = _PythonCode(group, detect, "thresholds", f"{group.name}_spike_thresholder")
    objects = group.contained_objects
    objects[objects.index(group.thresholder)] = runner
    group.thresholder = runner
    group.threshold = function


def _install_reset(group, function: Callable) -> None:
    def call() -> None:
        function(group, group._events.get("spike", _NO_SPIKES))

    runner = _PythonCode(group, call, "resets", f"{group.name}_spike_resetter")
    group.contained_objects.append(runner)
    group.resetter = runner
    group.reset = function


def next_subgroup(group: object, n: int) -> object:
    """Brian 1's ``P.subgroup(n)``: the ``n`` neurons after those of the earlier calls."""
    if isinstance(n, bool) or not float(n).is_integer() or n < 1:
        raise ValueError(f"subgroup: give a positive whole number of neurons, got {n!r}")
    start = group.__dict__.get("_next_subgroup", 0)
    if start + int(n) > group.N:
        raise IndexError(f"Subgroup is too large: '{group.name}' has {group.N - start} of its "
                         f"{group.N} neurons left, {int(n)} asked")
    sub = group[start:start + int(n)]
    object.__setattr__(group, "_next_subgroup", start + int(n))
    return sub


# -- Connection -----------------------------------------------------------------------
def _user_namespace() -> dict:
    """The namespace of the first caller outside this module (for expression strings)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    if frame is None:
        return {}
    namespace = dict(frame.f_globals)
    namespace.update(frame.f_locals)
    return namespace


def _stack(values: list) -> np.ndarray:
    """One value per synapse from a list of numbers or quantities of one dimension."""
    if not values:
        return np.zeros(0)
    dim = get_dimensions(values[0])
    for value in values:
        if get_dimensions(value) != dim:
            raise DimensionMismatchError("The values of a function of i and j must all have "
                                         "the same units", dim, get_dimensions(value))
    numbers = np.array([float(np.asarray(value)) for value in values])
    return numbers if dim.is_dimensionless else Quantity(numbers, dim=dim)


def _pair_values(function: Callable, i: np.ndarray, j: np.ndarray):
    """Brian 1's calling of a weight, delay or probability function for pairs ``i, j``.

    No argument: called once per pair.  Two (``i``, ``j``): called once with the arrays
    if it returns one value per pair, else once per pair with numbers (so that
    ``lambda i, j: rand()`` draws a number for each synapse, as in Brian 1).
    """
    n = len(i)
    params, star = _positional(function)
    if not params and not star:
        return _stack([function() for _ in range(n)])
    if n == 0:
        return np.zeros(0)
    try:
        values = function(i, j)
        if np.size(values) == n:
            return np.reshape(values, (n,))
    except Exception:  # noqa: BLE001 - not vectorisable: Brian 1 called it per pair
        pass
    return _stack([function(int(a), int(b)) for a, b in zip(i, j, strict=True)])


class _ShiftIndices(ast.NodeTransformer):
    """``i`` -> ``(i - p0)``, ``j`` -> ``(j - q0)`` in an expression."""

    def __init__(self, shifts: dict[str, int]):
        self.shifts = shifts

    def visit_Name(self, node: ast.Name) -> ast.AST:
        shift = self.shifts.get(node.id, 0)
        if not shift:
            return node
        return ast.BinOp(left=node, op=ast.Sub(), right=ast.Constant(shift))


def _relative_expression(text: str, p0: int, q0: int) -> str:
    """An expression of indices in subgroups ``P``, ``Q`` written with the connection's."""
    if not p0 and not q0:
        return text
    tree = _ShiftIndices({"i": p0, "j": q0}).visit(parse_expression(text))
    return ast.unparse(ast.fix_missing_locations(tree))


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Brian 1's ``seed=`` of the connect methods: these draws from that seed, the random
    state as it was afterwards."""
    if seed is None:
        yield
        return
    state, numpy_state = _random.get_state(), np.random.get_state()
    _random.seed(seed)
    try:
        yield
    finally:
        _random.set_state(state)
        np.random.set_state(numpy_state)


def _random_pairs(n_pre: int, n_post: int, probability: Callable) -> tuple[np.ndarray,
                                                                         np.ndarray]:
    """Pairs drawn with a probability function of ``(i, j)``, a block of rows at a time
    (from a stream of the simulator's random numbers: ``seed()`` makes them again)."""
    stream = _random.next_assignment_stream("connect")
    rng = np.random.default_rng(_random.stream_keys(stream, 1)[0])
    rows = max(1, 2**20 // max(n_post, 1))
    pres, posts = [_NO_SPIKES], [_NO_SPIKES]
    for first in range(0, n_pre, rows):
        i = np.repeat(np.arange(first, min(n_pre, first + rows)), n_post)
        j = np.tile(np.arange(n_post), len(i) // max(n_post, 1))
        p = np.broadcast_to(np.asarray(_pair_values(probability, i, j), dtype=float), i.shape)
        if np.any((p < 0) | (p > 1) | np.isnan(p)):
            raise ValueError(f"The sparseness function {probability!r} gave values outside "
                             f"[0, 1]")
        keep = rng.random(len(i)) < p
        pres.append(i[keep])
        posts.append(j[keep])
    return np.concatenate(pres), np.concatenate(posts)


def _heterogeneous(delay) -> bool:
    """Brian 1: ``delay=True``, a pair ``(min, max)`` or a function make a DelayConnection."""
    return delay is True or isinstance(delay, tuple | list) or _is_function(delay)


def _state_name(target, state) -> str:
    if isinstance(state, int | np.integer) and not isinstance(state, bool):
        group = getattr(target, "source", target)
        names = state_variables(group.equations)
        if not 0 <= state < len(names):
            raise IndexError(f"Connection: '{group.name}' has {len(names)} state variables "
                             f"({', '.join(names)}), no number {state}")
        return names[state]
    return state


class Connection(Synapses):
    """Brian 1's ``Connection(source, target, state, delay, modulation, structure, weight,
    sparseness, max_delay)``.

    ``state`` (a name, or a number in Brian 1's order of the target's state variables;
    default 0) is the target variable each presynaptic spike increases by the synapse's
    weight ``w``.  With ``weight`` or ``sparseness`` given, the synapses are created at once
    (``connect_full``, or ``connect_random`` with that sparseness).  ``delay``: one time for
    every synapse; ``delay=True``, a pair ``(min, max)`` or a function of ``(i, j)`` make a
    :class:`DelayConnection` instead.  ``max_delay``, when given, is the largest delay
    allowed.  ``structure`` is accepted and has no effect (synapses are always sparse).
    """

    def __new__(cls, *args, **kwds):
        delay = kwds.get("delay", args[3] if len(args) > 3 else None)
        if cls is Connection and _heterogeneous(delay):
            cls = DelayConnection  # as Brian 1, which changed the object's class
        return super().__new__(cls)

    def __init__(self, source, target, state: str | int = 0, delay=0 * ms, modulation=None,
                 structure: str = "sparse", weight=None, sparseness=None, max_delay=None,
                 **kwds) -> None:
        if modulation is not None:
            raise NotImplementedError("Connection(modulation=...) is not supported: write the "
                                      "modulation into on_pre of a Synapses object")
        state = _state_name(target, state)
        if state not in target.variables:
            raise KeyError(f"Connection: '{target.name}' has no variable '{state}'")
        object.__setattr__(self, "state", state)
        dim = target.variables[state].dim
        heterogeneous = kwds.pop("_heterogeneous", False)
        if not heterogeneous and max_delay is not None:
            fail_for_dimension_mismatch(max_delay, second, "max_delay must be a time")
            if float(delay) > float(max_delay):
                raise ValueError(f"Connection: the delay {delay} exceeds max_delay={max_delay}")
        super().__init__(source, target, f"w : {unit_expression(dim)}", on_pre=f"{state} += w",
                         delay=None if heterogeneous else delay, **kwds)
        object.__setattr__(self, "max_delay", max_delay)
        object.__setattr__(self, "structure", structure)
        if weight is not None or sparseness is not None:
            weight = 1.0 if weight is None else weight
            if np.ndim(weight) == 2 or hasattr(weight, "tocoo"):
                self.connect(source, target, weight)
            elif sparseness is None or (_is_value(sparseness) and float(sparseness) == 1.0):
                self.connect_full(source, target, weight)
            else:
                self.connect_random(source, target, sparseness, weight=weight)

    # -- which part of the matrix ------------------------------------------------------
    def _offsets(self, P, Q) -> tuple[int, int, int, int]:
        """Start and size of subgroups ``P``, ``Q`` in this connection's source and target."""
        P = P if P is not None else self.source
        Q = Q if Q is not None else self.target
        for group, own, what in ((P, self.source, "source"), (Q, self.target, "target")):
            if group is not own and getattr(group, "source", None) is not getattr(
                    own, "source", own):
                raise ValueError(f"{self.name}: {group} is not part of the {what} of this "
                                 f"connection")
        p0 = P._index_offset() - self.source._index_offset()
        q0 = Q._index_offset() - self.target._index_offset()
        if p0 < 0 or q0 < 0 or p0 + P.N > self.source.N or q0 + Q.N > self.target.N:
            raise ValueError(f"{self.name}: {P} -> {Q} is outside {self.source} -> "
                             f"{self.target}")
        return p0, P.N, q0, Q.N

    def _set_new_weights(self, start: int, weight, p0: int = 0, q0: int = 0) -> None:
        pre, post = self._pre[start:self.N], self._post[start:self.N]
        if isinstance(weight, str):
            raise TypeError("Connection weights are numbers, quantities or functions of i "
                            "and j (for expressions, use Synapses)")
        values = _pair_values(weight, pre - p0, post - q0) if _is_function(weight) else weight
        view = self.variables["w"]
        if get_dimensions(values) != view.dim and not (
            view.dim.is_dimensionless and get_dimensions(values).is_dimensionless
        ):
            raise DimensionMismatchError(
                f"The weights of '{self.name}' must have the units of '{self.state}'",
                view.dim, get_dimensions(values),
            )
        values = np.asarray(values, dtype=float)
        view.array[start:self.N] = np.broadcast_to(values, (len(pre),)) if values.ndim == 0 \
            else values

    def _set_new_delays(self, start: int, delay, p0: int, q0: int) -> None:
        if delay is not None:
            raise TypeError(f"{self.name}: one delay per synapse needs a DelayConnection "
                            f"(or Connection(..., delay=True))")

    def _new_synapses(self, start: int, weight, delay, p0: int, q0: int) -> None:
        self._set_new_weights(start, weight, p0, q0)
        self._set_new_delays(start, delay, p0, q0)

    # -- Brian 1's construction methods -------------------------------------------------
    def connect(self, *args, **kwds) -> None:
        """Brian 1's ``connect(P, Q, W)`` (a weight matrix, dense or scipy sparse, whose
        non-zero entries become synapses) or Brian 2's ``connect(condition, i=, j=, p=...)``."""
        from sim.groups import Group

        if (args and isinstance(args[0], Group)) or "W" in kwds or "source" in kwds:
            self._connect_matrix(*args, **kwds)
            return
        kwds["level"] = kwds.get("level", 0) + 1
        super().connect(*args, **kwds)

    def _connect_matrix(self, source=None, target=None, W=None, delay=None) -> None:
        p0, pn, q0, qn = self._offsets(source, target)
        if W is None:
            raise TypeError("connect(P, Q, W): give the weight matrix W")
        dim = get_dimensions(W)
        if hasattr(W, "tocoo"):
            coo = W.tocoo()
            order = np.lexsort((coo.col, coo.row))
            pre, post, values = coo.row[order], coo.col[order], np.asarray(coo.data)[order]
        else:
            matrix = np.asarray(W, dtype=float)
            if matrix.shape != (pn, qn):
                raise ValueError(f"connect: W has shape {matrix.shape}, the groups "
                                 f"{(pn, qn)}")
            pre, post = np.nonzero(matrix)
            values = matrix[pre, post]
        start = self.N
        super().connect(i=np.asarray(pre, dtype=np.int64) + p0,
                        j=np.asarray(post, dtype=np.int64) + q0)
        weights = values if dim.is_dimensionless else Quantity(values, dim=dim)
        if dim.is_dimensionless and not self.variables["w"].dim.is_dimensionless:
            weights = Quantity(values, dim=self.variables["w"].dim)  # Brian 1: no unit check
        self._new_synapses(start, weights, delay, p0, q0)

    def connect_random(self, P=None, Q=None, p: float | str | Callable = 1.0, weight=1.0,
                       fixed: bool = False, seed: int | None = None, sparseness=None,
                       delay=None) -> None:
        """Connect each pair of ``P`` x ``Q`` with probability ``p`` (``sparseness``: the same).

        ``p``: a number, a function of ``(i, j)`` (indices in ``P`` and ``Q``) or an
        expression string of ``i`` and ``j``.  ``fixed=True``: each neuron of ``Q`` gets
        exactly ``int(p*len(P))`` presynaptic neurons (Brian 1).  ``seed``: these draws from
        that seed, leaving the random state as it was.
        """
        if sparseness is not None:
            p = sparseness
        p0, pn, q0, qn = self._offsets(P, Q)
        start = self.N
        whole = p0 == 0 and q0 == 0 and pn == self.source.N and qn == self.target.N
        in_range = (f"i >= {p0} and i < {p0 + pn} and j >= {q0} and j < {q0 + qn}"
                    if not whole else None)
        with _seeded(seed):
            if fixed:
                k = int(float(p) * pn)
                if k > pn:
                    raise ValueError(f"connect_random(fixed=True): p={p} asks {k} of {pn} "
                                     f"neurons")
                pre = np.concatenate([np.sort(np.random.choice(pn, size=k, replace=False))
                                      for _ in range(qn)] or [_NO_SPIKES])
                post = np.repeat(np.arange(qn), k)
                order = np.lexsort((post, pre))
                super().connect(i=pre[order] + p0, j=post[order] + q0)
            elif _is_function(p):
                pre, post = _random_pairs(pn, qn, p)
                super().connect(i=pre + p0, j=post + q0)
            elif isinstance(p, str):
                super().connect(condition=in_range, p=_relative_expression(p, p0, q0),
                                namespace=_user_namespace())
            else:
                fail_for_dimension_mismatch(p, 1, "connect_random: p must be dimensionless")
                super().connect(condition=in_range, p=float(p), namespace=_user_namespace())
            self._new_synapses(start, weight, delay, p0, q0)

    def connect_full(self, P=None, Q=None, weight=1.0, delay=None) -> None:
        """Connect every neuron of ``P`` to every neuron of ``Q``."""
        p0, pn, q0, qn = self._offsets(P, Q)
        start = self.N
        super().connect(i=np.repeat(np.arange(pn), qn) + p0, j=np.tile(np.arange(qn), pn) + q0)
        self._new_synapses(start, weight, delay, p0, q0)

    def connect_one_to_one(self, P=None, Q=None, weight=1.0, delay=None) -> None:
        """Connect neuron k of ``P`` to neuron k of ``Q``."""
        p0, pn, q0, qn = self._offsets(P, Q)
        if pn != qn:
            raise ValueError(f"connect_one_to_one needs groups of one size, got {pn} and {qn}")
        start = self.N
        super().connect(i=np.arange(pn) + p0, j=np.arange(qn) + q0)
        self._new_synapses(start, weight, delay, p0, q0)

    @property
    def W(self) -> np.ndarray:
        """The weights as a dense (source x target) matrix (summed over repeated pairs)."""
        matrix = np.zeros((self.source.N, self.target.N))
        np.add.at(matrix, (self._pre[:self.N], self._post[:self.N]),
                  self.variables["w"].array[:self.N])
        dim = self.variables["w"].dim
        return matrix if dim.is_dimensionless else Quantity(matrix, dim=dim)


class DelayConnection(Connection):
    """Brian 1's ``DelayConnection``: a Connection with one delay per synapse.

    ``delay`` (here, and in each ``connect_*`` method, whose own ``delay=`` wins): a time,
    a pair ``(min, max)`` for delays drawn uniformly, a function of no argument (called
    per synapse) or of ``(i, j)``, or True/None (delays 0 until set).  The delays given
    here apply to the synapses of every later ``connect_*`` call without a delay of its
    own.  No delay may exceed ``max_delay`` (default 5 ms, as in Brian 1), neither when
    set nor at the start of a run (``C.delay = ...`` between runs).
    """

    def __init__(self, source, target, state: str | int = 0, delay=None, modulation=None,
                 structure: str = "sparse", weight=None, sparseness=None, max_delay=5 * ms,
                 **kwds) -> None:
        fail_for_dimension_mismatch(max_delay, second, "max_delay must be a time")
        self._delay_spec = None if delay is True else delay
        super().__init__(source, target, state, modulation=modulation, structure=structure,
                         weight=weight, sparseness=sparseness, max_delay=max_delay,
                         _heterogeneous=True, **kwds)

    def _delay_values(self, spec, pre: np.ndarray, post: np.ndarray) -> np.ndarray:
        """Delays in seconds for synapses ``pre -> post`` (indices in the P and Q given)."""
        if isinstance(spec, tuple | list):
            low, high = (float(_seconds(x)) for x in spec)
            values = low + (high - low) * np.random.random_sample(len(pre))
        elif _is_function(spec):
            values = _seconds(_pair_values(spec, pre, post))
        else:
            values = _seconds(spec)
        values = np.broadcast_to(np.asarray(values, dtype=float), (len(pre),))
        self._check_delays(values, pre, post)
        return values

    def _set_new_delays(self, start: int, delay, p0: int, q0: int) -> None:
        spec = self._delay_spec if delay is None else delay
        if spec is None or spec is True:
            return
        pre, post = self._pre[start:self.N], self._post[start:self.N]
        self.variables["delay"].array[start:self.N] = self._delay_values(spec, pre - p0,
                                                                         post - q0)

    def _check_delays(self, seconds: np.ndarray, pre=None, post=None) -> None:
        if len(seconds) and float(np.max(seconds)) > float(self.max_delay) * (1 + 1e-12):
            k = int(np.argmax(seconds))
            pre = self._pre[:self.N] if pre is None else pre
            post = self._post[:self.N] if post is None else post
            raise ValueError(
                f"{self.name}: the synapse {pre[k]} -> {post[k]} has delay "
                f"{float(seconds[k]) / 1e-3:g} ms, more than max_delay={self.max_delay}: give "
                f"a larger max_delay")

    def set_delays(self, source=None, target=None, delay=None) -> None:
        """Brian 1's ``set_delays(P, Q, delay)``: the delays of the synapses ``P`` -> ``Q``."""
        p0, pn, q0, qn = self._offsets(source, target)
        if delay is None:
            return
        pre, post = self._pre[:self.N], self._post[:self.N]
        chosen = np.flatnonzero((pre >= p0) & (pre < p0 + pn) & (post >= q0) & (post < q0 + qn))
        self.variables["delay"].array[chosen] = self._delay_values(delay, pre[chosen] - p0,
                                                                   post[chosen] - q0)

    def before_run(self, namespace: dict) -> None:
        self._check_delays(self.variables["delay"].array[:self.N])
        super().before_run(namespace)


def _seconds(value) -> np.ndarray:
    """Delays in seconds: times, or numbers taken as seconds (Brian 1's floats)."""
    if not get_dimensions(value).is_dimensionless:
        fail_for_dimension_mismatch(value, second, "Delays must be times")
    return np.asarray(value, dtype=float)


# -- Parameters -------------------------------------------------------------------------
class Parameters(dict):
    """Brian 1's parameter container: keyword values read and set as attributes, with
    computed values.

    ``p = Parameters(a=5, b=6, computed_sum='c = a + b')``: each ``computed_*`` value is
    Python code run (in the alphabetical order of the keys) on the other values, numpy's
    names and the units; the names it assigns are computed values, read as ``p.c`` and
    recomputed whenever a value is set (``p.a = 1`` makes ``p.c`` 7); setting one raises
    ``AttributeError``.  New values and ``computed_*`` code may be added later;
    ``Parameters(y=2, **p)`` derives a copy with more values, ``p(a=3)`` a copy with some
    changed.  ``ascode('p')`` gives code assigning every value to a variable of its name,
    ``get_vars('a b')`` a tuple of values.  Pickled as its keyword values.
    """

    def __init__(self, **kwds):
        super().__init__(**kwds)
        self._recompute()

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self:
            return self[name]
        try:
            return self.__dict__["_computed_values"][name]
        except KeyError:
            raise AttributeError(f"Parameters has no value '{name}'") from None

    def __setattr__(self, name: str, value) -> None:
        if name in self.__dict__.get("_computed_values", {}):
            raise AttributeError(f"Cannot set computed value '{name}'")
        if name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        self[name] = value

    def __setitem__(self, name: str, value) -> None:
        if name in self.__dict__.get("_computed_values", {}) and name not in self:
            raise AttributeError(f"Cannot set computed value '{name}'")
        super().__setitem__(name, value)
        self._recompute()

    def __delattr__(self, name: str) -> None:
        if name in self:
            del self[name]
        else:
            object.__delattr__(self, name)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self._recompute()

    def _recompute(self) -> None:
        import textwrap

        namespace = dict(_computing_namespace())
        namespace.update(self)
        before = dict(namespace)
        for key in sorted(k for k in self if k.startswith("computed_")):
            exec(textwrap.dedent(str(self[key])).strip(), namespace)  # noqa: S102 - Brian 1's
        computed = {k: v for k, v in namespace.items()
                    if not k.startswith("_") and k not in self
                    and (k not in before or v is not before[k])}
        object.__setattr__(self, "_computed_values", computed)

    def ascode(self, name: str) -> str:
        """Code that assigns every value (computed ones too) to a variable of its name,
        read from the Parameters object called ``name``: ``exec(p.ascode('p'))``."""
        values = [*self, *self._computed_values]
        return "".join(f"{k}={name}.{k}\n" for k in values if not k.startswith("computed_"))

    def get_vars(self, *names: str) -> tuple:
        """The values of the names given (names, or strings of space separated names)."""
        return tuple(getattr(self, n) for text in names for n in text.split())

    def __call__(self, **kwds) -> Parameters:
        """A copy with the values given changed: ``specific = defaults(x=3)``."""
        copy = Parameters(**self)
        for key, value in kwds.items():
            setattr(copy, key, value)
        return copy

    def __repr__(self) -> str:
        lines = ["Values:"]
        lines += [f"    {k} = {v}" for k, v in self.items() if not k.startswith("computed_")]
        if self._computed_values:
            lines.append("Computed values:")
            lines += [f"    {k} = {v}" for k, v in self._computed_values.items()]
        return "\n".join(lines)

    def __reduce__(self):
        return _load_parameters, (list(self.items()),)


def _load_parameters(items: list) -> Parameters:
    return Parameters(**dict(items))


_NAMESPACE: dict = {}


def _computing_namespace() -> dict:
    """numpy's names (Brian 1 ran computed values in numpy's namespace) and the units."""
    if not _NAMESPACE:
        import sim.units as units

        _NAMESPACE.update((k, v) for k, v in vars(np).items() if not k.startswith("_"))
        _NAMESPACE.update((k, getattr(units, k)) for k in units.__all__)
    return _NAMESPACE


def _make_plastic(C: Synapses, eqs: str, pre: str, post: str, wmax=None) -> None:
    """Add event-driven equations and pre/post code to a Connection's synapses."""
    added = Equations(eqs)
    lines = []
    for eq in added:
        flags = set(eq.flags) | ({"event-driven"} if eq.type == "differential equation" else set())
        flag_text = f" ({', '.join(sorted(flags))})" if flags else ""
        expr = f"d{eq.varname}/dt = {eq.expr}" if eq.expr is not None and \
            eq.type == "differential equation" else (
            f"{eq.varname} = {eq.expr}" if eq.expr is not None else eq.varname)
        lines.append(f"{expr} : {eq.unit_text}{flag_text}")
    C._extend_model("\n".join(lines))
    clip = f"\nw = clip(w, 0, {float(wmax)!r})" if wmax is not None else ""
    pathway = C._pathways[0]
    pathway.statements = pathway.statements + parse_statements(pre + clip)
    if post:
        C._add_pathway(post + clip, "post")


def STDP(C: Connection, eqs: str, pre: str, post: str, wmax=None) -> Connection:
    """Brian 1's STDP: traces in ``eqs`` (event-driven), ``pre``/``post`` code acting on
    the weight ``w``, weights clipped to [0, wmax]."""
    _make_plastic(C, eqs, pre, post, wmax)
    return C


def STP(C: Connection, taud, tauf, U) -> Connection:
    """Brian 1's STP (Tsodyks-Markram): each spike transmits ``w*u*x``; ``x`` recovers
    with ``taud`` and ``u`` relaxes to ``U`` with ``tauf``."""
    C._own_constants.update({"_stp_taud": taud, "_stp_tauf": tauf, "_stp_U": U})
    with generated_code():  # our own '_stp_' constants and temporary
        C._extend_model("""
            dx/dt = (1 - x)/_stp_taud : 1 (event-driven)
            du/dt = (_stp_U - u)/_stp_tauf : 1 (event-driven)
            """)
        statements = parse_statements(
            f"u = u + _stp_U*(1 - u)\n_stp_r = u*x\nx = x - _stp_r\n{C.state} += w*_stp_r"
        )
    C.x = 1
    C.u = float(U)
    C._pathways[0].statements = statements
    return C


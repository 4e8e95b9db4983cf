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
* Brian 1's objects ``Threshold``, ``VariableThreshold``, ``StringThreshold``,
  ``EmpiricalThreshold``, ``PoissonThreshold``, ``NoThreshold``, ``Reset``,
  ``VariableReset``, ``StringReset``, ``NoReset``, ``Refractoriness`` become threshold and
  reset strings (and the group's refractory period), compiled as Brian 2's;
  ``FunThreshold``, ``SimpleFunThreshold``, ``HomogeneousPoissonThreshold``, ``FunReset``,
  ``SimpleCustomRefractoriness`` and ``CustomRefractoriness`` run Python code in the
  threshold and reset slots (:func:`brian1_mechanisms`).
* ``Connection(P, Q, 'ge', weight=..., sparseness=..., delay=...)`` is a
  :class:`~sim.synapses.Synapses` object with a weight ``w`` and ``on_pre='ge += w'``;
  ``connect_random``, ``connect_full``, ``connect_one_to_one`` and ``connect(P, Q, W)``
  create its synapses.  Weights, sparseness and delays may be numbers, quantities or
  functions of ``i`` and ``j`` (indices in the ``P`` and ``Q`` given, called with arrays
  when the function gives one value per pair, else once per synapse, as Brian 1 did); a
  sparseness may also be an expression string (``'exp(-abs(i-j)*.1)'``).  A delay is one
  for all synapses; ``delay=True``, a pair ``(min, max)`` or a function make a
  :class:`DelayConnection` (one delay per synapse, at most ``max_delay``).
  ``modulation='x'`` multiplies each delivered weight by the presynaptic ``x``;
  ``C[i, j]``, ``C[i, :]`` and ``C.W`` (:class:`ConnectionMatrix`) read and write the
  weights as Brian 1's matrix.
* ``STDP(C, eqs, pre, post, wmax)`` and ``STP(C, taud, tauf, U)`` make a connection
  plastic by adding event-driven equations and code to it.
* :class:`Parameters`: Brian 1's attribute container with computed values.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
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
    mV,
    second,
)

__all__ = ["Connection", "DelayConnection", "ConnectionMatrix", "STDP", "STP", "Parameters",
           "threshold_and_reset", "brian1_mechanisms", "state_variables", "next_subgroup",
           "Threshold", "StringThreshold", "VariableThreshold", "EmpiricalThreshold",
           "SimpleFunThreshold", "FunThreshold", "NoThreshold", "PoissonThreshold",
           "HomogeneousPoissonThreshold", "Reset", "StringReset", "VariableReset", "FunReset",
           "NoReset", "Refractoriness", "SimpleCustomRefractoriness", "CustomRefractoriness"]

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
    if values.size == 0 and values.dtype != bool:
        return _NO_SPIKES  # Brian 1's custom thresholds returned [] for no spikes
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


def _install_threshold(group, function: Callable, args: list[str] | None = None) -> None:
    """A threshold function of state variables: by the names of its arguments, or the
    variables ``args`` given (Brian 1's ``FunThreshold``/``SimpleFunThreshold``)."""
    variables = group.variables
    args = _threshold_arguments(group, function) if args is None else args
    _install_detector(group, lambda: function(*(variables[name].array for name in args)),
                      function)


def _threshold_arguments(group, function: Callable) -> list[str]:
    """The state variables a threshold function takes, from its arguments."""
    params, star = _positional(function)
    names = state_variables(group.equations)
    arrays = {n for n, v in group.variables.items() if v.kind == "array" and not v.linked}
    if params and not star and all(p in arrays for p in params):
        return params  # by name (Brian 1 passed them in order; names say which is which)
    if len(params) == 1 and not star:
        return names[:1]  # Brian 1's SimpleFunThreshold: the first state variable
    if star and not params or len(params) == len(names):
        return names  # Brian 1's FunThreshold: all the state variables, in order
    raise TypeError(f"The threshold function of '{group.name}' takes {len(params)} "
                    f"arguments; Brian 1 passes the state variables "
                    f"({', '.join(names)}), or name them as its arguments")


def _install_detector(group, detect: Callable[[], object], function: object) -> None:
    """Python code in place of the group's threshold: ``detect()`` gives the spikes (a
    boolean array or indices), of which the refractory neurons are taken out."""
    variables = group.variables
    refractory = "not_refractory" in variables

    def run_detect() -> None:
        spikes = _spike_indices(detect(), group.N, function)
        if refractory and len(spikes):
            spikes = spikes[variables["not_refractory"].array[spikes]]
        group._events["spike"] = spikes

    runner = _PythonCode(group, run_detect, "thresholds", f"{group.name}_spike_thresholder")
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


# -- Brian 1's Threshold, Reset and Refractoriness objects ------------------------------
@dataclasses.dataclass
class _Mechanism:
    """What a Brian 1 threshold or reset object becomes for a group: ``code`` (the
    threshold condition or reset statements, or None), ``install(group)`` (Python code put
    in place at the end of the group's construction, or None), a refractory ``period`` and
    the variable ``held`` at its value during that period."""

    code: str | None = None
    install: Callable | None = None
    period: Quantity | None = None
    held: str | None = None


def _object_state(eqs: Equations, state, what: str, written: bool = False) -> str:
    """The variable a Brian 1 object's ``state`` names: a name, or a number in Brian 1's
    order of the state variables."""
    names = state_variables(eqs)
    if isinstance(state, int | np.integer) and not isinstance(state, bool):
        if not 0 <= state < len(names):
            raise IndexError(f"{what}: the model has {len(names)} state variables "
                             f"({', '.join(names)}), no number {state}")
        return names[state]
    if not isinstance(state, str):
        raise TypeError(f"{what}: state must be a variable name or number, got {state!r}")
    known = names if written else [eq.varname for eq in eqs]
    if state not in known:
        raise KeyError(f"{what}: the model has no {'state ' if written else ''}variable "
                       f"'{state}' ({', '.join(known)})")
    return state


def _si_values(value, dim, what: str) -> np.ndarray:
    """One value per neuron (or one for all), in SI units, checked against ``dim``."""
    if get_dimensions(value) != dim and not np.all(np.asarray(value) == 0):
        raise DimensionMismatchError(f"The {what} does not have correct units", dim,
                                     get_dimensions(value))
    return np.asarray(value, dtype=float)


def _check_period(period, what: str) -> Quantity:
    fail_for_dimension_mismatch(period, second, f"{what}: the period must be a time")
    return Quantity(float(np.asarray(period)), dim=second.dim)


def _check_rate(eqs: Equations, var: str, what: str) -> None:
    dim = next(eq.dim for eq in eqs if eq.varname == var)
    if dim != (1 / second).dim:
        raise DimensionMismatchError(f"{what}: the rate '{var}' must be in Hz",
                                     (1 / second).dim, dim)


def _dims(eqs: Equations) -> dict:
    return {eq.varname: eq.dim for eq in eqs}


def _value_reset(eqs: Equations, var: str, value, what: str) -> _Mechanism:
    """``var = value`` for the neurons that spiked: a statement, or Python code for one
    value per neuron."""
    dim = _dims(eqs)[var]
    if np.ndim(value) == 0:
        return _Mechanism(f"{var} = {_literal(value, dim, what)}")
    values = _si_values(value, dim, what)

    def reset(P, spikes) -> None:
        P.variables[var].array[spikes] = values[spikes]

    return _Mechanism(install=lambda group: _install_reset(group, reset))


class Threshold:
    """Brian 1's ``Threshold(threshold=1*mV, state=0)``: a neuron spikes when its variable
    ``state`` (a name, or a number in Brian 1's order of the state variables) is above
    ``threshold`` (a value in that variable's units, or one per neuron).  Given to
    ``NeuronGroup(..., threshold=...)``, it becomes the condition ``'state > threshold'``.

    Subclasses with their own ``__call__(self, P)`` (Brian 1's custom thresholds) are called
    with the group on every step and return the indices of the neurons that spike (or a
    boolean array), as Python code.
    """

    def __init__(self, threshold=1 * mV, state=0):
        self.threshold = threshold
        self.state = state

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        if np.ndim(self.threshold) == 0:
            var = _object_state(eqs, self.state, type(self).__name__)
            literal = _literal(self.threshold, _dims(eqs)[var], "threshold")
            return _Mechanism(f"{var} > {literal}")
        var = _object_state(eqs, self.state, type(self).__name__, written=True)
        values = _si_values(self.threshold, _dims(eqs)[var], "threshold")
        return _Mechanism("False", lambda group: _install_threshold(
            group, lambda x: x > values, [var]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(threshold={self.threshold!r}, state={self.state!r})"


class StringThreshold(Threshold):
    """Brian 1's ``StringThreshold('v > vt')``: the condition as a string (Brian 1's numpy
    operators ``&``, ``|`` and ``~`` become ``and``, ``or`` and ``not``), compiled with the
    group's code; its names are looked up where the network runs, as for a string
    threshold."""

    def __init__(self, expr: str, level: int = 0):
        self.expr = _logical_operators(expr)

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        return _Mechanism(self.expr)

    def __repr__(self) -> str:
        return f"StringThreshold({self.expr!r})"


class _LogicalOperators(ast.NodeTransformer):
    """numpy's ``a & b``, ``a | b``, ``~a`` (Brian 1 evaluated its strings with numpy)
    -> ``a and b``, ``a or b``, ``not a``."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.BitAnd | ast.BitOr):
            op = ast.And() if isinstance(node.op, ast.BitAnd) else ast.Or()
            return ast.BoolOp(op=op, values=[node.left, node.right])
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Invert):
            return ast.UnaryOp(op=ast.Not(), operand=node.operand)
        return node


def _logical_operators(expr: str) -> str:
    if not isinstance(expr, str):
        raise TypeError(f"StringThreshold takes an expression string, got {expr!r}")
    if not any(c in expr for c in "&|~"):
        return expr.strip()
    tree = _LogicalOperators().visit(ast.parse(expr.strip(), mode="eval"))
    return ast.unparse(ast.fix_missing_locations(tree))


class VariableThreshold(Threshold):
    """Brian 1's ``VariableThreshold(threshold_state=1, state=0)``: a neuron spikes when
    its variable ``state`` is above its variable ``threshold_state`` (names or numbers):
    the condition ``'state > threshold_state'``."""

    def __init__(self, threshold_state=1, state=0):
        self.threshold_state = threshold_state
        self.state = state

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        var = _object_state(eqs, self.state, "VariableThreshold")
        bound = _object_state(eqs, self.threshold_state, "VariableThreshold")
        if _dims(eqs)[var] != _dims(eqs)[bound]:
            raise DimensionMismatchError(f"VariableThreshold: '{var}' and '{bound}' must "
                                         f"have the same units", _dims(eqs)[var],
                                         _dims(eqs)[bound])
        return _Mechanism(f"{var} > {bound}")

    def __repr__(self) -> str:
        return (f"VariableThreshold(threshold_state={self.threshold_state!r}, "
                f"state={self.state!r})")


class NoThreshold(Threshold):
    """Brian 1's ``NoThreshold()``: the neurons never spike (the threshold ``'False'``;
    a reset given with it never runs and is left out)."""

    def __init__(self):
        pass

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        return _Mechanism("False")

    def __repr__(self) -> str:
        return "NoThreshold()"


class FunThreshold(Threshold):
    """Brian 1's ``FunThreshold(f)``: ``f(*state_variables)`` (raw arrays in SI units, in
    Brian 1's order of the state variables) returns the boolean array of the neurons that
    spike; run as Python code."""

    def __init__(self, thresholdfun: Callable):
        if not _is_function(thresholdfun):
            raise TypeError(f"{type(self).__name__} takes a function, got {thresholdfun!r}")
        self.thresholdfun = thresholdfun

    def _arguments(self, eqs: Equations) -> list[str]:
        return state_variables(eqs)

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        args = self._arguments(eqs)
        return _Mechanism("False", lambda group: _install_threshold(
            group, self.thresholdfun, args))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.thresholdfun!r})"


class SimpleFunThreshold(FunThreshold):
    """Brian 1's ``SimpleFunThreshold(f, state=0)``: ``f(values)`` of the one variable
    ``state`` (a raw array in SI units) returns the boolean array of the neurons that
    spike (``SimpleFunThreshold(lambda V: V >= Vt, state='V')``); run as Python code."""

    def __init__(self, thresholdfun: Callable, state=0):
        super().__init__(thresholdfun)
        self.state = state

    def _arguments(self, eqs: Equations) -> list[str]:
        return [_object_state(eqs, self.state, "SimpleFunThreshold", written=True)]


class EmpiricalThreshold(Threshold):
    """Brian 1's ``EmpiricalThreshold(threshold=1*mV, refractory=1*ms, state=0)``, for
    models that reset themselves (Hodgkin-Huxley): a neuron spikes when ``state`` is above
    ``threshold``, and is not checked again for ``refractory`` after a spike; no variable
    is held (use it with ``NoReset()``).  It becomes the condition ``'state > threshold'``
    and the group's refractory period.  ``clock`` is accepted (the group's own is used)."""

    def __init__(self, threshold=1 * mV, refractory=1 * ms, state=0, clock=None):
        self.threshold = threshold
        self.refractory = _check_period(refractory, "EmpiricalThreshold")
        self.state = state

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        var = _object_state(eqs, self.state, "EmpiricalThreshold")
        if np.ndim(self.threshold) != 0:
            raise ValueError("EmpiricalThreshold takes one threshold value")
        literal = _literal(self.threshold, _dims(eqs)[var], "threshold")
        return _Mechanism(f"{var} > {literal}", period=self.refractory)

    def __repr__(self) -> str:
        return (f"EmpiricalThreshold(threshold={self.threshold!r}, "
                f"refractory={self.refractory!r}, state={self.state!r})")


class PoissonThreshold(Threshold):
    """Brian 1's ``PoissonThreshold(state=0)``: each neuron spikes with probability
    ``rate*dt`` on each step, ``rate`` its variable ``state`` (in Hz): the condition
    ``'rand() < rate*dt'``."""

    def __init__(self, state=0):
        self.state = state

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        var = _object_state(eqs, self.state, type(self).__name__)
        _check_rate(eqs, var, type(self).__name__)
        return _Mechanism(f"rand() < {var}*dt")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(state={self.state!r})"


class HomogeneousPoissonThreshold(PoissonThreshold):
    """Brian 1's ``HomogeneousPoissonThreshold(state=0)``: spike trains of one rate, the
    variable ``state`` of the group's first neuron (in Hz, which may change in time): on
    each step a Poisson number of spikes of mean ``N*rate*dt`` (at most ``N``), from
    neurons drawn at random (numpy's random numbers, which ``seed()`` sets); Python
    code."""

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        var = _object_state(eqs, self.state, "HomogeneousPoissonThreshold", written=True)
        _check_rate(eqs, var, "HomogeneousPoissonThreshold")

        def install(group) -> None:
            rate = group.variables[var]

            def detect() -> np.ndarray:
                mean = group.N * float(group.clock.dt) * max(float(rate.array[0]), 0.0)
                n = min(int(np.random.poisson(mean)), group.N)
                return np.sort(np.random.choice(group.N, size=n, replace=False))

            _install_detector(group, detect, self)

        return _Mechanism("False", install)


class Reset:
    """Brian 1's ``Reset(resetvalue=0*mV, state=0)``: the neurons that spiked have their
    variable ``state`` (a name or a number) set to ``resetvalue`` (in its units, or one
    value per neuron): the statement ``'state = resetvalue'``.  With the group's
    ``refractory=`` the variable is held at that value during the refractory period (as
    Brian 1, which made it a ``Refractoriness``)."""

    def __init__(self, resetvalue=0 * mV, state=0):
        self.resetvalue = resetvalue
        self.state = state

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        var = _object_state(eqs, self.state, type(self).__name__, written=True)
        mechanism = _value_reset(eqs, var, self.resetvalue, "reset")
        if type(self) is Reset:
            mechanism.held = var  # held if the group has a refractory period
        return mechanism

    def __repr__(self) -> str:
        return f"{type(self).__name__}(resetvalue={self.resetvalue!r}, state={self.state!r})"


class StringReset(Reset):
    """Brian 1's ``StringReset('v = vr; w += 1*mV')``: statements (lines, or separated by
    semicolons) run for the neurons that spiked, compiled with the group's code."""

    def __init__(self, expr: str, level: int = 0):
        if not isinstance(expr, str):
            raise TypeError(f"StringReset takes statements as a string, got {expr!r}")
        import textwrap

        self.expr = textwrap.dedent(expr).strip()

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        return _Mechanism(self.expr)

    def __repr__(self) -> str:
        return f"StringReset({self.expr!r})"


class VariableReset(Reset):
    """Brian 1's ``VariableReset(resetvaluestate=1, state=0)``: the neurons that spiked
    have their variable ``state`` set to the value of their variable ``resetvaluestate``
    (names or numbers): the statement ``'state = resetvaluestate'``."""

    def __init__(self, resetvaluestate=1, state=0):
        self.resetvaluestate = resetvaluestate
        self.state = state

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        var = _object_state(eqs, self.state, "VariableReset", written=True)
        source = _object_state(eqs, self.resetvaluestate, "VariableReset")
        if _dims(eqs)[var] != _dims(eqs)[source]:
            raise DimensionMismatchError(f"VariableReset: '{var}' and '{source}' must have "
                                         f"the same units", _dims(eqs)[var],
                                         _dims(eqs)[source])
        return _Mechanism(f"{var} = {source}")

    def __repr__(self) -> str:
        return (f"VariableReset(resetvaluestate={self.resetvaluestate!r}, "
                f"state={self.state!r})")


class FunReset(Reset):
    """Brian 1's ``FunReset(f)``: ``f(P, spikes)``, the group and the indices of the
    neurons that spiked, run as Python code on every step.  With the group's
    ``refractory=`` the neurons cannot spike during the period (nothing is held)."""

    def __init__(self, resetfun: Callable):
        if not _is_function(resetfun):
            raise TypeError(f"{type(self).__name__} takes a function f(P, spikes), got "
                            f"{resetfun!r}")
        self.resetfun = resetfun

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        function = self.resetfun
        return _Mechanism(install=lambda group: _install_reset(group, function))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.resetfun!r})"


class NoReset(Reset):
    """Brian 1's ``NoReset()``: nothing is reset."""

    def __init__(self):
        pass

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        return _Mechanism(None)

    def __repr__(self) -> str:
        return "NoReset()"


class Refractoriness(Reset):
    """Brian 1's ``Refractoriness(resetvalue=0*mV, period=5*ms, state=0)``: the variable
    ``state`` is reset to ``resetvalue`` and held there for ``period`` after a spike.  It
    becomes the statement ``'state = resetvalue'``, the group's refractory period and the
    flag ``(unless refractory)`` on that variable; the neurons cannot spike during the
    period (Brian 1's could, had the held value been above the threshold)."""

    def __init__(self, resetvalue=0 * mV, period=5 * ms, state=0):
        self.resetvalue = resetvalue
        self.period = _check_period(period, "Refractoriness")
        self.state = state

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        var = _object_state(eqs, self.state, "Refractoriness", written=True)
        mechanism = _value_reset(eqs, var, self.resetvalue, "reset")
        mechanism.period, mechanism.held = self.period, var
        return mechanism

    def __repr__(self) -> str:
        return (f"Refractoriness(resetvalue={self.resetvalue!r}, period={self.period!r}, "
                f"state={self.state!r})")


class SimpleCustomRefractoriness(Refractoriness):
    """Brian 1's ``SimpleCustomRefractoriness(resetfun, period=5*ms, state=0)``: the reset
    function ``resetfun(P, spikes)`` (Python code) sets the variable ``state``, which is
    then held at the value it set for ``period`` (the group's refractory period, with
    ``(unless refractory)`` on that variable)."""

    def __init__(self, resetfun: Callable, period=5 * ms, state=0):
        if not _is_function(resetfun):
            raise TypeError(f"SimpleCustomRefractoriness takes a function f(P, spikes), got "
                            f"{resetfun!r}")
        self.resetfun = resetfun
        self.period = _check_period(period, "SimpleCustomRefractoriness")
        self.state = state

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        var = _object_state(eqs, self.state, "SimpleCustomRefractoriness", written=True)
        function = self.resetfun
        return _Mechanism(install=lambda group: _install_reset(group, function),
                          period=self.period, held=var)

    def __repr__(self) -> str:
        return (f"SimpleCustomRefractoriness({self.resetfun!r}, period={self.period!r}, "
                f"state={self.state!r})")


class CustomRefractoriness(Refractoriness):
    """Brian 1's ``CustomRefractoriness(resetfun, period=5*ms, refracfunc=resetfun)``: on
    every step ``resetfun(P, spikes)`` for the neurons that spiked, then
    ``refracfunc(P, indices)`` for those within ``period`` of their last spike (Brian 1's
    count: the ``int(period/dt) + 1`` last steps, this one included); both Python code.
    The neurons may spike during the period, as in Brian 1 (``refracfunc`` decides)."""

    def __init__(self, resetfun: Callable, period=5 * ms, refracfunc: Callable | None = None):
        refracfunc = resetfun if refracfunc is None else refracfunc
        for function in (resetfun, refracfunc):
            if not _is_function(function):
                raise TypeError(f"CustomRefractoriness takes functions f(P, indices), got "
                                f"{function!r}")
        self.resetfun = resetfun
        self.refracfunc = refracfunc
        self.period = _check_period(period, "CustomRefractoriness")

    def _mechanism(self, eqs: Equations) -> _Mechanism:
        resetfun, refracfunc, period = self.resetfun, self.refracfunc, float(self.period)

        def install(group) -> None:
            last = np.full(group.N, np.iinfo(np.int64).min // 2, dtype=np.int64)

            def reset(P, spikes) -> None:
                dt = float(group.clock.dt)
                step = int(round(float(group.clock.t) / dt))
                last[spikes] = step
                resetfun(P, spikes)
                refracfunc(P, np.flatnonzero(step - last <= int(period / dt + 1e-9)))

            _install_reset(group, reset)

        return _Mechanism(install=install)

    def __repr__(self) -> str:
        return (f"CustomRefractoriness({self.resetfun!r}, period={self.period!r}, "
                f"refracfunc={self.refracfunc!r})")


def _install_own_threshold(threshold: Threshold, group) -> None:
    _install_detector(group, lambda: threshold(group), threshold)


def _no_refractory(refractory) -> bool:
    return refractory is False or refractory is None or (
        isinstance(refractory, Quantity | int | float) and float(refractory) == 0)


def brian1_mechanisms(eqs: Equations, threshold: object, reset: object, refractory: object
                      ) -> tuple[str | None, str | None, object, Equations,
                                 Callable[[object], None] | None]:
    """Brian 1's threshold and reset values, functions and objects (:class:`Threshold`,
    :class:`Reset`, :class:`Refractoriness` and their kinds), as a NeuronGroup takes them.

    Returns ``(threshold, reset, refractory, eqs, install)``: as
    :func:`threshold_and_reset`, with the group's refractory period (the one given, or
    that of an ``EmpiricalThreshold`` or a ``Refractoriness``).
    """
    if isinstance(threshold, Reset) or isinstance(reset, Threshold):
        raise TypeError("NeuronGroup: a Brian 1 Threshold object goes to threshold=, a Reset "
                        "or Refractoriness object to reset=")
    if isinstance(reset, Reset) and callable(reset):
        raise TypeError(f"{type(reset).__name__}: Brian 1's Reset subclasses with their own "
                        f"__call__(P) (reading P.LS) cannot run here: give the reset as "
                        f"FunReset(f), f(P, spikes) the group and the indices that spiked")
    mechanisms: list[_Mechanism] = []
    if isinstance(threshold, NoThreshold):
        reset = None  # it could never run
    if isinstance(threshold, Threshold) and callable(threshold):
        # a Brian 1 subclass: __call__(P) gives the spikes
        mechanisms.append(_Mechanism("False", functools.partial(_install_own_threshold,
                                                                threshold)))
        threshold = "False"
    elif isinstance(threshold, Threshold):
        mechanisms.append(threshold._mechanism(eqs))
        threshold = mechanisms[-1].code
    if isinstance(reset, Reset):
        mechanism = reset._mechanism(eqs)
        if threshold is None and (mechanism.code is not None or mechanism.install is not None):
            raise ValueError(f"NeuronGroup: the reset {reset!r} needs a threshold")
        mechanisms.append(mechanism)
        reset = mechanism.code
    threshold, reset, eqs, install = threshold_and_reset(eqs, threshold, reset, refractory)
    if not mechanisms:
        return threshold, reset, refractory, eqs, install
    periods = [m.period for m in mechanisms if m.period is not None]
    if periods:
        if isinstance(refractory, str):
            raise ValueError(f"NeuronGroup: refractory={refractory!r} and the refractory "
                             f"period of a Brian 1 object given: the group has one")
        if not _no_refractory(refractory):
            periods.append(refractory)
        if len({float(p) for p in periods}) > 1:
            raise ValueError(f"NeuronGroup: refractory periods {', '.join(map(str, periods))} "
                             f"given (by refractory= and Brian 1 objects): the group has one")
        refractory = periods[0]
    held = [m.held for m in mechanisms if m.held is not None]
    if held and not _no_refractory(refractory) and not isinstance(refractory, str):
        eqs = Equations([
            dataclasses.replace(eq, flags=(*eq.flags, "unless refractory"))
            if eq.varname in held and eq.type == DIFFERENTIAL_EQUATION
            and "unless refractory" not in eq.flags else eq
            for eq in eqs
        ])
    steps = [step for step in (install, *(m.install for m in mechanisms)) if step is not None]
    if not steps:
        return threshold, reset, refractory, eqs, None

    def install_all(group) -> None:
        for step in steps:
            step(group)

    return threshold, reset, refractory, eqs, install_all


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
    allowed.  ``modulation`` (a variable of the source, a name or number): the weight
    delivered is multiplied by the presynaptic neuron's value of it when the spike is
    delivered (``on_pre='ge += w*x_pre'``; ``w`` has the target variable's units divided by
    the modulation's).  ``C[i, j]``, ``C[i, :]`` and ``C.W`` read and write the weights as
    Brian 1's matrix (:class:`ConnectionMatrix`); ``structure`` (``'sparse'``, ``'dense'``
    or ``'dynamic'``) decides only how a single value assigned to many entries of that
    matrix acts (zero entries are never synapses).
    """

    def __new__(cls, *args, **kwds):
        delay = kwds.get("delay", args[3] if len(args) > 3 else None)
        if cls is Connection and _heterogeneous(delay):
            cls = DelayConnection  # as Brian 1, which changed the object's class
        return super().__new__(cls)

    def __init__(self, source, target, state: str | int = 0, delay=0 * ms, modulation=None,
                 structure: str = "sparse", weight=None, sparseness=None, max_delay=None,
                 **kwds) -> None:
        state = _state_name(target, state)
        if state not in target.variables:
            raise KeyError(f"Connection: '{target.name}' has no variable '{state}'")
        object.__setattr__(self, "state", state)
        dim = target.variables[state].dim
        on_pre = f"{state} += w"
        if modulation is not None:
            modulation = _state_name(source, modulation)
            if modulation not in source.variables:
                raise KeyError(f"Connection: '{source.name}' has no variable '{modulation}' "
                               f"(modulation)")
            dim = dim / source.variables[modulation].dim
            on_pre = f"{state} += w*{modulation}_pre"
        object.__setattr__(self, "modulation", modulation)
        heterogeneous = kwds.pop("_heterogeneous", False)
        if not heterogeneous and max_delay is not None:
            fail_for_dimension_mismatch(max_delay, second, "max_delay must be a time")
            if float(delay) > float(max_delay):
                raise ValueError(f"Connection: the delay {delay} exceeds max_delay={max_delay}")
        super().__init__(source, target, f"w : {unit_expression(dim)}", on_pre=on_pre,
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

    # -- Brian 1's weight matrix ---------------------------------------------------------
    @property
    def W(self) -> ConnectionMatrix:  # noqa: N802  (Brian 1's name)
        """The weights as Brian 1's (source x target) matrix: ``C.W[i, j]``, rows
        ``C.W[i, :]``, ``C.W.todense()``, ``asarray(C.W)``; assignments change the weights
        (see :class:`ConnectionMatrix`)."""
        return ConnectionMatrix(self)

    @W.setter
    def W(self, value) -> None:  # noqa: N802
        ConnectionMatrix(self)[:, :] = value

    def __getitem__(self, item):
        """Brian 1's ``C[i, j]`` (the weight of ``i -> j``), ``C[i, :]`` (row ``i``): as
        ``C.W[...]``."""
        return ConnectionMatrix(self)[item]

    def __setitem__(self, item, value) -> None:
        """Brian 1's ``C[i, j] = w``: as ``C.W[...] = w``."""
        ConnectionMatrix(self)[item] = value


class ConnectionMatrix(np.lib.mixins.NDArrayOperatorsMixin):
    """Brian 1's ``C.W``: a Connection's weights as a (source x target) matrix, read from
    and written to its synapses.

    Read: ``W[i, j]`` (a weight in the units of the target variable; 0 where there is no
    synapse, the sum for repeated pairs), ``W[i, :]`` and ``W[:, j]`` (dense rows and
    columns), any numpy index, ``todense()``, ``asarray(W)`` (SI values), numpy functions
    and arithmetic (on the dense matrix), ``get_row``/``get_col``/``get_element``,
    ``getnnz()`` (the number of synapses).  Write: ``W[i, j] = w`` and any numpy index,
    with units checked (a value in the target variable's units, or zero); an entry without
    a synapse gets one when its new value is not zero (Brian 1's construction matrices).
    With ``structure='sparse'`` or ``'dynamic'``, ``W[:] = x`` (a value or one per
    synapse) sets every existing synapse and a single value given to many entries
    (``W[i, :] = w``) sets the existing synapses among them, as Brian 1's sparse
    matrices did; with ``'dense'`` every entry is written.
    """

    ndim = 2

    def __init__(self, connection: Connection):
        self._connection = connection

    # -- the synapses ------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self._connection.source.N, self._connection.target.N

    def __len__(self) -> int:
        return self.shape[0]

    def _dim(self):
        return self._connection.variables["w"].dim

    def _quantity(self, values):
        dim = self._dim()
        return values if dim.is_dimensionless else Quantity(values, dim=dim)

    def _linear(self) -> np.ndarray:
        c = self._connection
        return c._pre[:c.N] * self.shape[1] + c._post[:c.N]

    def getnnz(self) -> int:
        """The number of synapses (Brian 1's number of nonzero entries)."""
        return self._connection.N

    nnz = property(getnnz)

    def _dense(self) -> np.ndarray:
        c = self._connection
        matrix = np.zeros(self.shape)
        np.add.at(matrix, (c._pre[:c.N], c._post[:c.N]), c.variables["w"].array[:c.N])
        return matrix

    def todense(self):
        """The weights as a dense matrix (a quantity in the target variable's units)."""
        return self._quantity(self._dense())

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        matrix = self._dense()
        return matrix if dtype is None else matrix.astype(dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(x.todense() if isinstance(x, ConnectionMatrix) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        def dense(x):
            if isinstance(x, ConnectionMatrix):
                return x.todense()
            if isinstance(x, list | tuple):
                return type(x)(dense(y) for y in x)
            return x

        return func(*dense(args), **{k: dense(v) for k, v in kwargs.items()})

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.todense(), name)  # .sum(), .T, .max()... of the dense matrix

    def __iter__(self):
        return iter(self.todense())

    def __repr__(self) -> str:
        return (f"<ConnectionMatrix of '{self._connection.name}', {self.shape[0]}x"
                f"{self.shape[1]}, {self.getnnz()} synapses>")

    # -- indexing ----------------------------------------------------------------------
    def _selection(self, item) -> tuple[np.ndarray, np.ndarray]:
        """The (pre, post) positions an index selects, in the shape numpy's ``dense[item]``
        would have."""
        if not isinstance(item, tuple):
            item = (item, slice(None))
        if len(item) != 2 or any(part is Ellipsis or part is None for part in item):
            raise IndexError("A connection matrix is indexed by W[i, j], W[i, :], W[:, j] or "
                             "numpy indices of rows and columns")
        parts = []
        for part, n in zip(item, self.shape, strict=True):
            if isinstance(part, slice):
                parts.append(("slice", np.arange(n)[part]))
                continue
            index = np.asarray(part)
            if index.dtype != bool and not np.issubdtype(index.dtype, np.integer):
                raise IndexError(f"Connection matrix indices must be integers, slices or "
                                 f"booleans, got {part!r}")
            chosen = np.arange(n)[index]
            parts.append(("scalar" if chosen.ndim == 0 else "array", chosen))
        (kind_i, rows), (kind_j, cols) = parts
        if kind_i != "scalar" and kind_j != "scalar" and "slice" in (kind_i, kind_j):
            rows = rows.reshape(rows.shape + (1,) * cols.ndim)  # outer, as numpy
        rows, cols = np.broadcast_arrays(rows, cols)
        return rows, cols

    def __getitem__(self, item):
        rows, cols = self._selection(item)
        wanted = rows * self.shape[1] + cols
        linear = self._linear()
        keys, inverse = np.unique(linear, return_inverse=True)
        sums = np.bincount(inverse.ravel(), weights=self._connection.variables["w"].array[
            :self._connection.N], minlength=len(keys))
        k = np.searchsorted(keys, wanted)
        k_safe = np.minimum(k, max(len(keys) - 1, 0))
        found = (k < len(keys)) & (keys[k_safe] == wanted) if len(keys) else np.zeros(
            wanted.shape, dtype=bool)
        values = np.where(found, sums[k_safe] if len(keys) else 0.0, 0.0)
        values = values.item() if values.ndim == 0 else values
        return self._quantity(values)

    def __setitem__(self, item, value) -> None:
        c = self._connection
        view = c.variables["w"]
        numbers = np.asarray(value, dtype=float)
        if get_dimensions(value) != view.dim and not (
                get_dimensions(value).is_dimensionless and view.dim.is_dimensionless) \
                and np.any(numbers != 0):
            raise DimensionMismatchError(f"The weights of '{c.name}' must have the units of "
                                         f"'{c.state}'", view.dim, get_dimensions(value))
        sparse = c.structure != "dense"
        if sparse and (item is Ellipsis or (isinstance(item, slice) and item == slice(None))):
            view.array[:c.N] = np.broadcast_to(numbers, (c.N,))  # every synapse (Brian 1)
            return
        rows, cols = self._selection(item)
        wanted = (rows * self.shape[1] + cols).ravel()
        numbers = np.broadcast_to(numbers, rows.shape).ravel()
        # numpy's rule for repeated positions: the last value written wins
        last = len(wanted) - 1 - np.unique(wanted[::-1], return_index=True)[1]
        wanted, numbers = wanted[last], numbers[last]
        linear = self._linear()
        order = np.argsort(linear, kind="stable")
        k = np.searchsorted(linear[order], wanted)
        exists = k < len(linear)
        exists[exists] = linear[order][k[exists]] == wanted[exists]
        # the pair's synapses: the first gets the value, any repeated ones 0
        chosen = np.isin(linear, wanted[exists])
        view.array[:c.N][chosen] = 0.0
        view.array[:c.N][order[k[exists]]] = numbers[exists]
        create = ~exists & (numbers != 0)
        if sparse and np.ndim(value) == 0 and rows.size > 1:
            create[:] = False  # Brian 1's sparse matrices: the existing entries
        if np.any(create):
            start = c.N
            Synapses.connect(c, i=wanted[create] // self.shape[1],
                             j=wanted[create] % self.shape[1])
            c._new_synapses(start, Quantity(numbers[create], dim=view.dim), None, 0, 0)

    # -- Brian 1's ConnectionMatrix methods -----------------------------------------------
    def get_element(self, i: int, j: int):
        return self[i, j]

    def set_element(self, i: int, j: int, value) -> None:
        self[i, j] = value

    def get_row(self, i: int):
        return self[i, :]

    def set_row(self, i: int, value) -> None:
        self[i, :] = value

    def get_col(self, j: int):
        return self[:, j]

    def set_col(self, j: int, value) -> None:
        self[:, j] = value


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
        modulation = f"*{C.modulation}_pre" if getattr(C, "modulation", None) else ""
        statements = parse_statements(
            f"u = u + _stp_U*(1 - u)\n_stp_r = u*x\nx = x - _stp_r\n"
            f"{C.state} += w*_stp_r{modulation}"
        )
    C.x = 1
    C.u = float(U)
    C._pathways[0].statements = statements
    return C


r"""Multicompartment neurons: Brian 2's ``SpatialNeuron``.

A `SpatialNeuron` is a `NeuronGroup` with one element per compartment of a `Morphology`.
Its model defines the membrane current per area ``Im`` (A/m^2) as a function of the
membrane potential ``v`` and of other variables (gating variables, conductances);
variables flagged ``(point current)`` are currents (A) into one compartment, added to
``Im`` as ``I/area`` (Brian 2's rule).  Every time step, as in Brian 2:

1. the other differential equations (gating variables) are integrated by the group's
   state updater (``<name>_stateupdater``, slot ``groups``, order 0) with ``v`` held at
   its value at the step's start (``v`` is a parameter of the group's equations);
2. the cable step (`SpatialStateUpdater`, ``<name>_spatialstateupdater``, slot
   ``groups``, order 1) evaluates ``gtot = -dIm/dv`` (S/m^2) and
   ``I0 = Im - v*dIm/dv`` (A/m^2) with the new gating values, then advances ``v`` by one
   backward-Euler step of the cable equation (`sim.spatial.cable.cable_step`) and sets
   ``Ic = Cm*(v_new - v_old)/dt`` (A/m^2, the capacitive current).

``gtot`` and ``I0`` are the subexpressions ``gtot__private`` and ``I0__private``
(Brian 2's names).  When ``Im`` is linear in ``v`` they are its exact coefficients
(``Im = I0 - gtot*v``); otherwise ``Im`` is linearised at the step's start from its
symbolic derivative (Brian 2 does the same with sympy), and a current whose derivative
cannot be taken (``clip``, ``where``, a user function of ``v``) is refused with a
``TypeError``.

Subgroups follow the morphology: ``neuron.axon`` (the subtree), ``neuron.axon.main``
(the section alone), ``neuron.LR`` (``neuron.L.R``), ``neuron[10*um:50*um]`` (the
compartments of the root section in that stretch), ``neuron.dend[2:5]``, ``neuron[3]``
and ``neuron[morpho.dend]``; variables accept morphology keys
(``neuron.v[morpho.dend[10*um]] = ...``).  Compartment numbers are absolute in
``.indices``.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import numbers
from typing import Any

import numpy as np

from sim.codegen.ir import CodeBlock
from sim.codegen.stateupdate import (
    IntegrationProblem,
    UnsupportedEquationsException,
    _linear_system,
    _method_name,
)
from sim.equations import (
    DIFFERENTIAL_EQUATION,
    PARAMETER,
    SUBEXPRESSION,
    EquationError,
    Equations,
    SingleEquation,
)
from sim.groups import CodeRunner, NeuronGroup, Subgroup
from sim.parsing import (
    generated_code,
    get_identifiers,
    linear_split,
    parse_statements,
    substitute,
)
from sim.spatial.morphology import FlatMorphology, Morphology
from sim.units import (
    DIMENSIONLESS,
    DimensionMismatchError,
    Quantity,
    amp,
    cm,
    have_same_dimensions,
    meter,
    ohm,
    uF,
    volt,
)
from sim.variables import Variable, VariableView

__all__ = ["SpatialNeuron", "SpatialSubgroup", "SpatialStateUpdater"]

#: flags a SpatialNeuron's equations may carry (Brian 2's check_flags)
_SPATIAL_FLAGS = {
    DIFFERENTIAL_EQUATION: {"point current"},
    PARAMETER: {"constant", "shared", "linked", "point current"},
    SUBEXPRESSION: {"shared", "point current", "constant over dt"},
}

#: the morphology's variables (Brian 2's), added to the user's model
_MORPHOLOGY_EQUATIONS = """
length : meter (constant)
distance : meter (constant)
area : meter**2 (constant)
volume : meter**3
Ic : amp/meter**2
diameter : meter (constant)
Cm : farad/meter**2 (constant)
Ri : ohm*meter (constant, shared)
r_length_1 : meter (constant)
r_length_2 : meter (constant)
time_constant = Cm/gtot__private : second
space_constant = (2/pi)**(1.0/3.0) * (area/(1/r_length_1 + 1/r_length_2))**(1.0/6.0) / (2*(Ri*gtot__private)**(1.0/2.0)) : meter
"""  # noqa: E501

_COORDINATE_EQUATIONS = """
x : meter (constant)
y : meter (constant)
z : meter (constant)
"""


# --- d(Im)/dv --------------------------------------------------------------------------
def _num(value: float) -> ast.expr:
    return ast.Constant(value=value)


def _zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def _one(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1


def _add(a: ast.expr, b: ast.expr) -> ast.expr:
    if _zero(a):
        return b
    if _zero(b):
        return a
    return ast.BinOp(left=a, op=ast.Add(), right=b)


def _neg(a: ast.expr) -> ast.expr:
    return a if _zero(a) else ast.UnaryOp(op=ast.USub(), operand=a)


def _sub(a: ast.expr, b: ast.expr) -> ast.expr:
    if _zero(b):
        return a
    if _zero(a):
        return _neg(b)
    return ast.BinOp(left=a, op=ast.Sub(), right=b)


def _mul(a: ast.expr, b: ast.expr) -> ast.expr:
    if _zero(a) or _zero(b):
        return _num(0)
    if _one(a):
        return b
    if _one(b):
        return a
    return ast.BinOp(left=a, op=ast.Mult(), right=b)


def _div(a: ast.expr, b: ast.expr) -> ast.expr:
    if _zero(a):
        return _num(0)
    return ast.BinOp(left=a, op=ast.Div(), right=b)


def _call(name: str, *args: ast.expr) -> ast.expr:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def _pow(a: ast.expr, b: ast.expr) -> ast.expr:
    return ast.BinOp(left=a, op=ast.Pow(), right=b)


def _outer_derivative(name: str, u: ast.expr) -> ast.expr | None:
    """f'(u) for the functions of one argument whose derivative is known."""
    one = _num(1)
    table = {
        "exp": lambda: _call("exp", u),
        "log": lambda: _div(one, u),
        "log10": lambda: _div(one, _mul(u, _call("log", _num(10.0)))),
        "log1p": lambda: _div(one, _add(one, u)),
        "expm1": lambda: _call("exp", u),
        "sqrt": lambda: _div(_num(0.5), _call("sqrt", u)),
        "sin": lambda: _call("cos", u),
        "cos": lambda: _neg(_call("sin", u)),
        "tan": lambda: _add(one, _pow(_call("tan", u), _num(2))),
        "sinh": lambda: _call("cosh", u),
        "cosh": lambda: _call("sinh", u),
        "tanh": lambda: _sub(one, _pow(_call("tanh", u), _num(2))),
        "arcsin": lambda: _div(one, _call("sqrt", _sub(one, _pow(u, _num(2))))),
        "asin": lambda: _div(one, _call("sqrt", _sub(one, _pow(u, _num(2))))),
        "arccos": lambda: _neg(_div(one, _call("sqrt", _sub(one, _pow(u, _num(2)))))),
        "acos": lambda: _neg(_div(one, _call("sqrt", _sub(one, _pow(u, _num(2)))))),
        "arctan": lambda: _div(one, _add(one, _pow(u, _num(2)))),
        "atan": lambda: _div(one, _add(one, _pow(u, _num(2)))),
        "abs": lambda: _call("sign", u),
        # exprel(u) = (exp(u) - 1)/u: (u*exp(u) - exp(u) + 1)/u**2, its series near 0
        "exprel": lambda: _call(
            "where", ast.Compare(left=_call("abs", u), ops=[ast.Lt()], comparators=[
                _num(1e-4)]),
            _add(_num(0.5), _div(u, _num(3.0))),
            _div(_add(_mul(_call("exp", u), _sub(u, one)), one), _pow(u, _num(2)))),
    }
    make = table.get(name)
    return None if make is None else make()


def derivative(node: ast.expr, var: str) -> ast.expr | None:
    """The derivative of an expression with respect to the name ``var`` (an AST), or
    ``None`` when it cannot be taken: ``var`` inside a function without a known
    derivative (``clip``, ``where``, ``floor``, user functions), a comparison or a
    boolean operation.  Subexpressions must be inlined first."""

    def contains(n: ast.AST) -> bool:
        return var in get_identifiers(n)

    def rec(n: ast.expr) -> ast.expr | None:
        if not contains(n):
            return _num(0)
        if isinstance(n, ast.Name):
            return _num(1)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub | ast.UAdd):
            inner = rec(n.operand)
            if inner is None:
                return None
            return _neg(inner) if isinstance(n.op, ast.USub) else inner
        if isinstance(n, ast.BinOp):
            da, db = rec(n.left), rec(n.right)
            if da is None or db is None:
                return None
            a, b = n.left, n.right
            if isinstance(n.op, ast.Add):
                return _add(da, db)
            if isinstance(n.op, ast.Sub):
                return _sub(da, db)
            if isinstance(n.op, ast.Mult):
                return _add(_mul(da, b), _mul(a, db))
            if isinstance(n.op, ast.Div):
                if _zero(db):
                    return _div(da, b)
                return _div(_sub(_mul(da, b), _mul(a, db)), _pow(b, _num(2)))
            if isinstance(n.op, ast.Pow):
                if _zero(db):  # u**c: c*u**(c - 1)*u'
                    return _mul(_mul(b, _pow(a, _sub(b, _num(1)))), da)
                # u**w = exp(w*log(u)): u**w*(w'*log(u) + w*u'/u)
                return _mul(n, _add(_mul(db, _call("log", a)), _div(_mul(b, da), a)))
            return None
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and len(n.args) == 1:
            du = rec(n.args[0])
            outer = _outer_derivative(n.func.id, n.args[0])
            if du is None or outer is None:
                return None
            return _mul(outer, du)
        return None

    return rec(node)


def _linearised(im: ast.expr) -> tuple[str, str]:
    """``(gtot, I0)`` as expression strings with ``Im = I0 - gtot*v`` at the current
    ``v``; a ``TypeError`` when ``Im``'s derivative cannot be taken."""
    split = linear_split(im, "v")
    if split is not None:
        a, b = split
        gtot, i0 = _neg(a), b
    else:
        d = derivative(im, "v")
        if d is None:
            raise TypeError(f"Cannot take the derivative of '{ast.unparse(im)}' with respect "
                            f"to v: the membrane current Im has to be differentiable in v "
                            f"(no clip(), where(), floor() or user functions of v)")
        gtot = _neg(d)
        i0 = _sub(im, _mul(ast.Name(id="v", ctx=ast.Load()), d))
    gtot_text = "0*siemens/meter**2" if _zero(gtot) else ast.unparse(gtot)
    i0_text = "0*amp/meter**2" if _zero(i0) else ast.unparse(i0)
    return gtot_text, i0_text


def _model_equations(model: str | Equations) -> tuple[Equations, Equations]:
    """The group's equations (``Im`` with the point currents, ``v``, ``gtot__private``
    and ``I0__private``) and the user's equations as given."""
    if isinstance(model, str):
        model = Equations(model)
    if not isinstance(model, Equations):
        raise TypeError(f"model has to be a string or an Equations object, is "
                        f"'{type(model).__name__}' instead.")
    for eq in model:
        bad = set(eq.flags) - _SPATIAL_FLAGS[eq.type]
        if bad:
            raise EquationError(
                f"Flag(s) {', '.join(sorted(bad))} not allowed for a {eq.type} in a "
                f"SpatialNeuron: '{eq.line or eq}'")
    if "Im" not in model:
        raise TypeError("The transmembrane current 'Im' must be defined")
    im = model["Im"]
    if im.type != SUBEXPRESSION:
        raise TypeError("The transmembrane current 'Im' must be a subexpression "
                        "('Im = ... : amp/meter**2')")
    if im.flags:
        raise TypeError("Cannot specify any flags for the transmembrane current 'Im'.")
    membrane = im.expr
    equations: list[SingleEquation] = []
    for eq in model:
        if eq.varname == "Im":
            continue
        if "point current" in eq.flags:
            if eq.dim != amp.dim:
                raise DimensionMismatchError(
                    f"Point current {eq.varname} should be in amp: '{eq.line or eq}'",
                    eq.dim, amp.dim)
            membrane = f"{membrane} + {eq.varname}/area"
            eq = dataclasses.replace(eq, flags=tuple(f for f in eq.flags
                                                     if f != "point current"))
        equations.append(eq)
    equations.append(SingleEquation(SUBEXPRESSION, "Im", (amp / meter ** 2).dim, "float",
                                    membrane, (), f"Im = {membrane} : amp/meter**2",
                                    "amp/meter**2"))
    equations.append(SingleEquation(PARAMETER, "v", volt.dim, "float",
                                    None, (), "v : volt", "volt"))
    eqs = Equations(equations)
    # Im with every subexpression inlined, except those constant over a step (Brian 2
    # takes them as constants: they are not differentiated)
    subs = {eq.varname: eq.parsed for eq in eqs
            if eq.type == SUBEXPRESSION and eq.varname != "Im"
            and "constant over dt" not in eq.flags}
    node = eqs["Im"].parsed
    for _ in range(len(subs) + 1):
        used = get_identifiers(node) & set(subs)
        if not used:
            break
        node = substitute(node, {n: subs[n] for n in used})
    gtot, i0 = _linearised(node)
    eqs = eqs + Equations(f"gtot__private = {gtot} : siemens/meter**2\n"
                          f"I0__private = {i0} : amp/meter**2")
    return eqs, model


def _threshold_at(threshold: str | None, location: Any) -> str | None:
    """Brian 2's ``threshold_location``: the threshold holds at one compartment only."""
    if location is None:
        return threshold
    if threshold is None:
        raise ValueError("threshold_location needs a threshold")
    if hasattr(location, "_indices"):  # a morphology or a view on a section
        location = location._indices()
    try:
        index = int(location)
    except TypeError:
        raise AttributeError("Threshold can only be applied on a single location") from None
    return f"({threshold}) and (i == {index})"


# --- subgroups -------------------------------------------------------------------------
def _start_stop(item: Any, n: int) -> tuple[int, int]:
    """Brian 2's ``to_start_stop``: a contiguous range ``[start, stop)`` of ``n``."""
    if isinstance(item, slice):
        start, stop, step = item.indices(n)
    elif isinstance(item, numbers.Integral | np.integer) and not isinstance(item, bool):
        start = int(item) + n if item < 0 else int(item)
        stop, step = start + 1, 1
    elif isinstance(item, list | tuple | np.ndarray):
        values = np.asarray(item)
        if values.size == 0 or values.ndim != 1 or not np.all(np.diff(values) == 1):
            raise IndexError("Subgroups can only be constructed using contiguous indices.")
        if values.dtype.kind not in "iu":
            raise TypeError("Subgroups can only be constructed using integer values.")
        start, stop, step = int(values[0]), int(values[-1]) + 1, 1
    else:
        raise TypeError(f"Cannot make a subgroup from {item!r}")
    if step != 1:
        raise IndexError("Subgroups have to be contiguous")
    if start >= stop or start < 0 or stop > n:
        raise IndexError(f"Illegal start/end values for subgroup, {start}>={stop}")
    return start, stop


def _subtree_end(morphology: Morphology) -> int:
    """The highest compartment number of a subtree (its numbers are contiguous)."""
    last = int(np.atleast_1d(morphology.indices[:])[-1])
    return max([last] + [_subtree_end(child) for child in morphology.children])


def _spatial_attribute(group: SpatialNeuron | SpatialSubgroup, name: str) -> Any:
    """``neuron.main``, ``neuron.axon``, ``neuron.LR``, else the group's variables."""
    morphology = group.__dict__.get("morphology")
    if morphology is not None and not name.startswith("_"):
        if name == "main":
            indices = np.atleast_1d(morphology.indices[:])
            return SpatialSubgroup(group, int(indices[0]), int(indices[-1]) + 1, morphology)
        if name != "morphology" and (name in morphology.children
                                     or all(c in "LR123456789" for c in name)):
            try:
                sub = morphology[name]
            except AttributeError:
                if name not in group.__dict__["variables"]:
                    raise
                sub = None  # a variable named like a path ('R'), no such subtree
            if sub is not None:
                start = int(np.atleast_1d(sub.indices[:])[0])
                return SpatialSubgroup(group, start, _subtree_end(sub) + 1, sub)
    value = Subgroup.__getattr__(group, name)  # Group.__getattr__: the variables
    if isinstance(value, VariableView) and not isinstance(value, _SpatialView):
        return _SpatialView(value.group, value.variable)
    return value


def _spatial_segment(group: SpatialNeuron | SpatialSubgroup, item: Any) -> SpatialSubgroup:
    """``neuron[10*um:50*um]``, ``neuron[2:5]``, ``neuron[3]``, ``neuron[morpho.dend]``:
    a subgroup (compartments given relative to ``group``, lengths along its section)."""
    offset = group._index_offset()
    source = group.source if isinstance(group, SpatialSubgroup) else group
    by_length = isinstance(item, Quantity) or (isinstance(item, slice) and (
        isinstance(item.start, Quantity) or isinstance(item.stop, Quantity)))
    if by_length:
        ends = (item.start, item.stop) if isinstance(item, slice) else (item,)
        if isinstance(item, slice) and item.step is not None:
            raise ValueError("Cannot specify a step size for slicing based on length.")
        for end in ends:
            if end is not None and not have_same_dimensions(end, meter):
                raise DimensionMismatchError("Start and stop should have units of meter",
                                             getattr(end, "dim", DIMENSIONLESS))
        morphology = group.__dict__.get("morphology")
        if morphology is None:
            raise TypeError("Only subgroups made from the morphology (neuron.dend) can be "
                            "sliced by length")
        indices = np.atleast_1d(morphology.indices[item])
        start, stop = int(indices[0]), int(indices[-1]) + 1
    elif not isinstance(item, slice) and hasattr(item, "indices") and hasattr(item,
                                                                              "_indices"):
        start, stop = _start_stop(np.atleast_1d(item.indices[:]), source.N)
    else:
        start, stop = _start_stop(item, group.N)
        start, stop = start + offset, stop + offset
    if start >= stop:
        raise IndexError(f"Illegal start/end values for subgroup, {start}>={stop}")
    return SpatialSubgroup(source, start, stop, None)


class _Indices:
    """``group.indices[item]``: absolute compartment numbers of the group's elements."""

    def __init__(self, group: Any):
        self.group = group

    def __getitem__(self, item: Any) -> np.ndarray:
        offset = self.group._index_offset()
        numbers_ = np.arange(offset, offset + self.group.N)
        if isinstance(item, str):
            return numbers_[self.group._indices_from_condition(item, level=1)]
        if hasattr(item, "_indices"):
            item = _relative(self.group, item)
        return numbers_[item]


def _relative(group: Any, key: Any) -> Any:
    """A morphology key (``morpho.dend``, ``morpho.dend[10*um]``) as indices relative to
    ``group``."""
    absolute = key._indices()
    offset = group._index_offset()
    values = np.atleast_1d(absolute) - offset
    if values.size and (values.min() < 0 or values.max() >= group.N):
        raise IndexError(f"{key!r} has compartments outside '{group.name}'")
    return int(values[0]) if np.ndim(absolute) == 0 else values


class _SpatialView(VariableView):
    """A variable of a spatial neuron: also indexed by morphologies."""

    __slots__ = ()

    def _key(self, key: Any) -> Any:
        if hasattr(key, "_indices") and not isinstance(key, str | np.ndarray):
            return _relative(self.group, key)
        return key

    def get_item(self, key: Any) -> Any:
        if isinstance(key, str):
            key = self.group._indices_from_condition(key, level=2)
        return VariableView.get_item(self, self._key(key))

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            key = self.group._indices_from_condition(key, level=1)
        key = self._key(key)
        values = self._values()
        return self._quantity(values.reshape(()) if self._whole_shared(key) else values[key])

    def __setitem__(self, key: Any, value: Any) -> None:
        self.group._set_values(self.variable, self._key(key), value, level=1)


class SpatialSubgroup(Subgroup):
    """Compartments ``[start, stop)`` of a `SpatialNeuron` (absolute numbers), with the
    morphology they cover (``None`` for a stretch made by indexing): its subtrees are its
    attributes, as a `SpatialNeuron`'s."""

    def __init__(self, source: SpatialNeuron | SpatialSubgroup, start: int, stop: int,
                 morphology: Morphology | None):
        if isinstance(source, SpatialSubgroup):
            source = source.source
        Subgroup.__init__(self, source, start, stop)
        object.__setattr__(self, "morphology", morphology)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _spatial_attribute(self, name)

    def __getitem__(self, item: Any) -> SpatialSubgroup:
        return _spatial_segment(self, item)

    @property
    def indices(self) -> _Indices:
        """``group.indices[:]``: the compartment numbers (absolute) of the subgroup."""
        return _Indices(self)

    def __repr__(self) -> str:
        return f"SpatialSubgroup({self.source.name}[{self.start}:{self.stop}])"


# --- the cable step --------------------------------------------------------------------
class SpatialStateUpdater(CodeRunner):
    """The cable step of a `SpatialNeuron` (Brian 2's ``SpatialStateUpdater``): a kernel
    evaluates ``gtot`` (S/m^2) and ``I0`` (A/m^2) per compartment, then the implicit
    cable solver advances ``v`` by one step and sets ``Ic``.

    On the Python loop the solver is called from :meth:`step_function`; in a compiled
    loop it is a ``CallCompiled`` of `sim.spatial.cable.cable_loop_step`, so the run stays
    one compiled loop; with the cuda target, the same step as a CUDA kernel
    (`sim.spatial.cable_cuda`) on the device twins, one thread for the tree."""

    def __init__(self, neuron: SpatialNeuron, clock: Any, order: int = 1):
        super().__init__(neuron, self._block, "groups", order,
                         name=f"{neuron.name}_spatialstateupdater", clock=clock)
        self._starts = neuron.flat_morphology.starts
        self._ends = neuron.flat_morphology.ends
        self._solver_args: list = []

    @staticmethod
    def _block(namespace: dict) -> tuple[CodeBlock, dict, dict]:
        with generated_code({"_gtot_all", "_I0_all"}):
            statements = parse_statements("_gtot_all = gtot__private\n_I0_all = I0__private")
        return CodeBlock(statements, None, "spatialstateupdate"), {}, {}

    def before_run(self, namespace: dict) -> None:
        from sim.spatial.cable import build_tree

        super().before_run(namespace)
        neuron = self.group
        flat = copy.copy(neuron.flat_morphology)  # the geometry as the variables hold it
        flat.r_length_1 = neuron.variables["r_length_1"].array
        flat.r_length_2 = neuron.variables["r_length_2"].array
        tree = build_tree(flat, float(neuron.variables["Ri"].array[0]))
        array = {name: neuron.variables[name].array for name in
                 ("v", "Cm", "area", "_gtot_all", "_I0_all", "Ic", "_v_previous")}
        for name in ("Cm", "area"):
            if np.any(~np.isfinite(array[name])) or np.any(array[name] <= 0):
                raise ValueError(f"SpatialNeuron '{neuron.name}': '{name}' has to be "
                                 f"positive in every compartment")
        n_unknowns = tree.n_unknowns
        self._solver_args = [
            array["v"], array["Cm"], array["area"], array["_gtot_all"], array["_I0_all"],
            np.zeros(neuron.N), tree.parent, tree.g, tree.compartment_unknown,
            np.zeros(n_unknowns), np.zeros(n_unknowns), np.zeros(n_unknowns),
            array["_v_previous"], array["Ic"],
        ]

    def step_function(self):
        from sim.spatial.cable import cable_loop_step

        kernel, args = self._kernel, self._args
        n = self.group.N
        dt = self.clock.dt_
        solver_args = self._solver_args
        whole = slice(0, n)

        def step(i: int) -> None:
            kernel(whole, n, i * dt, dt, *args, step=i)
            try:
                cable_loop_step(i * dt, dt, *solver_args)
            except ZeroDivisionError:
                raise ValueError(
                    f"SpatialNeuron '{self.group.name}': the cable equation's linear system "
                    f"is singular (a step needs Cm/dt + gtot > 0)") from None

        return step

    def loop_fragment(self):
        """The gtot/I0 kernel over the compartments, then the compiled cable step."""
        from sim.codegen import loop_ops as ops
        from sim.spatial.cable_cuda import cable_kernel_name, cable_kernel_source

        kernel = ops.Kernel(self._kernel, self._args)
        n, n_unknowns = self.group.N, len(self._solver_args[6])  # compartments, tree
        return ops.LoopFragment(self, [
            ops.RunKernel(kernel, ops.Range(0, self.group.N)),
            ops.CallCompiled("sim.spatial.cable", "cable_loop_step", list(self._solver_args),
                             cuda_source=cable_kernel_source(n, n_unknowns),
                             cuda_kernel=cable_kernel_name(n, n_unknowns), cuda_threads=1),
        ])


# --- the neuron ------------------------------------------------------------------------
class SpatialNeuron(NeuronGroup):
    """A neuron with a morphology: one element per compartment (Brian 2's SpatialNeuron).

    Parameters
    ----------
    morphology : Morphology
        The geometry (copied: later changes to it do not change the neuron).
    model : str or Equations
        The equations; they define ``Im``, the membrane current per area (A/m^2), and
        may have ``(point current)`` variables (A).  ``v`` (V) is added.
    threshold, reset, refractory, events
        As for `NeuronGroup`, per compartment.
    threshold_location : int or Morphology, optional
        The compartment where the threshold applies (``morpho.axon[30*um]``, or its
        number); default: every compartment.
    Cm : Quantity
        Specific membrane capacitance (F/m^2), default 0.9 uF/cm**2; a variable per
        compartment.
    Ri : Quantity
        Intracellular resistivity (ohm*m), default 150 ohm*cm; one value (shared).
    method : str or tuple
        The integration of the other differential equations (default Brian 2's
        ``('exact', 'exponential_euler', 'rk2', 'heun')``; ``exact`` with coefficients
        depending on ``v`` is exponential Euler, the exact solution at fixed ``v``).
    namespace, dt, clock, order, name, method_options
        As for `NeuronGroup`.
    """

    default_name = "spatialneuron"

    def __init__(
        self,
        morphology: Morphology | None = None,
        model: str | Equations | None = None,
        threshold: str | None = None,
        refractory: Any = False,
        reset: str | None = None,
        events: dict[str, str] | None = None,
        threshold_location: Any = None,
        dt: Any = None,
        clock: Any = None,
        order: int = 0,
        Cm: Any = 0.9 * uF / cm ** 2,
        Ri: Any = 150 * ohm * cm,
        name: str | None = None,
        dtype: Any = None,
        namespace: dict | None = None,
        method: str | tuple = ("exact", "exponential_euler", "rk2", "heun"),
        method_options: dict | None = None,
    ):
        if not isinstance(morphology, Morphology):
            raise TypeError(f"SpatialNeuron: 'morphology' has to be a Morphology, got "
                            f"{morphology!r}")
        if model is None:
            raise TypeError("SpatialNeuron: the model equations are missing")
        if dtype is not None and np.dtype(dtype) != np.dtype(np.float64):
            raise ValueError("SpatialNeuron: the cable equation is solved in float64; "
                             f"dtype={dtype!r} is not supported")
        threshold = _threshold_at(threshold, threshold_location)
        eqs, user_equations = _model_equations(model)
        self.user_equations = user_equations
        self.morphology = copy.deepcopy(morphology)
        self.flat_morphology = FlatMorphology(morphology)
        geometry = Equations(_MORPHOLOGY_EQUATIONS)
        if self.flat_morphology.has_coordinates:
            geometry = geometry + Equations(_COORDINATE_EQUATIONS)
        NeuronGroup.__init__(self, morphology.total_compartments, eqs + geometry,
                             method=method, threshold=threshold, reset=reset,
                             refractory=refractory, events=events, namespace=namespace,
                             dtype=np.float64, dt=dt, clock=clock, order=order, name=name,
                             method_options=method_options)
        n = self.N
        for internal in ("_gtot_all", "_I0_all", "_v_previous"):
            self.variables[internal] = Variable(internal, DIMENSIONLESS, "array",
                                                np.dtype(np.float64), np.zeros(n),
                                                read_only=True)
        flat = self.flat_morphology
        for name_ in ("length", "distance", "area", "diameter", "volume", "r_length_1",
                      "r_length_2"):
            self.variables[name_].array[:] = getattr(flat, name_)
        if flat.has_coordinates:
            for axis in "xyz":
                self.variables[axis].array[:] = getattr(flat, axis)
        self.Cm = Cm
        self.Ri = Ri
        updater = SpatialStateUpdater(self, self.clock, order=1)
        object.__setattr__(self, "diffusion_state_updater", updater)
        self.contained_objects.append(updater)

    # Brian 2's 'exact' takes v as constant over a step; hearsim's computes its propagators
    # once per run, so coefficients that depend on v go to exponential Euler, which is the
    # exact solution for a fixed v when the equations are uncoupled
    def _state_update_block(self, namespace: dict):
        method = self._method_for_gating()
        saved = self.method
        object.__setattr__(self, "method", method)
        try:
            return NeuronGroup._state_update_block(self, namespace)
        finally:
            object.__setattr__(self, "method", saved)

    def _check_constant_divisors(self, equations, namespace, context: str) -> None:
        # time_constant and space_constant divide by gtot, which may be zero (no membrane
        # current): their values are then inf, as in Brian 2, not an error of the model
        NeuronGroup._check_constant_divisors(
            self, [eq for eq in equations if eq.varname not in ("time_constant",
                                                                  "space_constant")],
            namespace, context)

    def _method_for_gating(self) -> str | tuple:
        method = self.method
        names = [_method_name(m) for m in (method if isinstance(method, tuple | list)
                                           else (method,))]
        if "exact" not in names:
            return method
        problem = IntegrationProblem.from_equations(self.equations)
        if not problem.diff_vars:
            return method
        system = _linear_system(problem)
        if isinstance(system, str):
            return method  # 'exact' refuses these equations itself
        entries, _ = system
        if not any("v" in get_identifiers(c) for c in entries.values()):
            return method
        if all(a == b for a, b in entries):
            return tuple("exponential_euler" if m == "exact" else m for m in names)
        others = tuple(m for m in names if m != "exact")
        if not others:
            raise UnsupportedEquationsException(
                f"SpatialNeuron '{self.name}': 'exact' cannot integrate coupled linear "
                f"equations whose coefficients depend on v; use 'exponential_euler'")
        return others

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or "variables" not in self.__dict__:
            raise AttributeError(name)
        return _spatial_attribute(self, name)

    def __getitem__(self, item: Any) -> SpatialSubgroup:
        return _spatial_segment(self, item)

    @property
    def indices(self) -> _Indices:
        """``neuron.indices[:]``: the compartment numbers."""
        return _Indices(self)

    def __repr__(self) -> str:
        return f"SpatialNeuron({self.N} compartments, name={self.name!r})"

"""Integration schemes: equations -> abstract statements.

Explicit schemes are *data*: a few lines of template over the names

* ``x``           -- the state variable being updated (the template is
                     expanded once per differential equation);
* ``f(X, T)``     -- the drift of ``x`` with every state variable ``w`` replaced
                     by ``X`` (``x`` in ``X`` standing for ``w``) and ``t`` by ``T``;
* ``g(X, T)``     -- the diffusion coefficient (one noise source only);
* ``G(X, T)``     -- the stochastic increment: the sum over noise sources of
                     ``g_k(X, T)*dW_k``;
* ``dW``          -- the Wiener increment of the single noise source;
* ``dt``, ``t``   -- time step and time;

and any intermediate they define.  The last line defines ``x_new``.  Adding a
scheme means adding a template (see :data:`SCHEMES`), not touching a target.

Two schemes need analysis rather than a template: ``exponential_euler``
(conditionally linear equations, each linear in its own variable) and
``exact`` (linear equations with constant coefficients, solved through the
matrix exponential of the coefficient matrix, computed at run start).
"""

from __future__ import annotations

import ast
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from sim.equations import Equations, is_noise_name
from sim.parsing import (
    DEFAULT_FUNCTIONS,
    Statement,
    get_called_functions,
    get_identifiers,
    linear_split,
    substitute,
    to_source,
)

__all__ = [
    "UnsupportedEquationsException",
    "IntegrationProblem",
    "StateUpdateCode",
    "Propagator",
    "ExplicitScheme",
    "SCHEMES",
    "integrate",
    "choose_method",
    "DEFAULT_METHODS",
]

_logger = logging.getLogger(__name__)


class UnsupportedEquationsException(ValueError):
    """The requested integration method cannot integrate these equations."""


def _p(code: str) -> ast.expr:
    return ast.parse(code, mode="eval").body


@dataclass
class IntegrationProblem:
    """Equations prepared for integration.

    ``drift[v]`` and ``diffusion[v][xi]`` have all subexpressions inlined;
    ``scalar(name)`` tells whether a name is the same for all elements and
    constant during a run (external constants, shared constants, ``dt``), so
    that coefficients built from it can be computed once per run.
    """

    eqs: Equations
    diff_vars: list[str]
    drift: dict[str, ast.expr]
    diffusion: dict[str, dict[str, ast.expr]]
    noise: list[str]
    unless_refractory: set[str] = field(default_factory=set)
    scalar: Callable[[str], bool] = lambda name: False
    locally_constant: set[str] = field(default_factory=set)

    @classmethod
    def from_equations(
        cls,
        eqs: Equations,
        unless_refractory: set[str] | None = None,
        scalar: Callable[[str], bool] | None = None,
        locally_constant: set[str] | None = None,
    ) -> IntegrationProblem:
        diff_vars = eqs.diff_eq_names
        noise = eqs.noise_names
        drift: dict[str, ast.expr] = {}
        diffusion: dict[str, dict[str, ast.expr]] = {}
        for var in diff_vars:
            expr = eqs.substituted_expression(var)
            diffusion[var] = {}
            for xi in noise:
                split = linear_split(expr, xi)
                if split is None:
                    raise UnsupportedEquationsException(
                        f"The noise term '{xi}' must enter the equation for '{var}' linearly "
                        f"(as g*{xi}): '{eqs[var].line or eqs[var]}'"
                    )
                coeff, expr = split
                if any(is_noise_name(n) for n in get_identifiers(coeff)):
                    raise UnsupportedEquationsException(
                        f"Products of noise terms are not allowed in the equation for '{var}'"
                    )
                if not (isinstance(coeff, ast.Constant) and coeff.value == 0):
                    diffusion[var][xi] = coeff
            drift[var] = expr
        return cls(
            eqs,
            diff_vars,
            drift,
            diffusion,
            noise,
            set(unless_refractory or ()),
            scalar or (lambda name: False),
            set(locally_constant or ()),
        )

    @property
    def stochastic(self) -> bool:
        return any(self.diffusion[v] for v in self.diff_vars)

    @property
    def additive_noise(self) -> bool:
        state = set(self.diff_vars)
        return all(
            not (get_identifiers(g) & state)
            for v in self.diff_vars
            for g in self.diffusion[v].values()
        )

    def used_noise(self) -> list[str]:
        return [xi for xi in self.noise if any(xi in self.diffusion[v] for v in self.diff_vars)]

    def frozen_drift(self, var: str) -> ast.expr:
        """The drift, times int(not_refractory) for '(unless refractory)' variables."""
        expr = self.drift[var]
        if var in self.unless_refractory:
            return ast.BinOp(left=expr, op=ast.Mult(), right=_p("int(not_refractory)"))
        return expr

    def frozen_diffusion(self, var: str, xi: str) -> ast.expr:
        expr = self.diffusion[var][xi]
        if var in self.unless_refractory:
            return ast.BinOp(left=expr, op=ast.Mult(), right=_p("int(not_refractory)"))
        return expr


@dataclass
class Propagator:
    """A run-time constant of the exact scheme.

    At the start of a run, the owner evaluates ``entries`` (expressions of the
    coefficient matrix ``A``) and calls :meth:`compute`, which returns the values
    of the names in ``names``: ``_E_v_w`` and ``_F_v_w`` (``x_new = E x + F b``).
    """

    variables: list[str]
    entries: dict[tuple[str, str], ast.expr]
    frozen: set[str]
    prefix: str
    scalar: bool

    def names(self) -> list[str]:
        n = self.variables
        return [f"{self.prefix}E_{a}_{b}" for a in n for b in n] + [
            f"{self.prefix}F_{a}_{b}" for a in n for b in n
        ]

    def compute(self, evaluate: Callable[[ast.expr], object], dt: float, size: int) -> dict:
        n = len(self.variables)
        index = {v: k for k, v in enumerate(self.variables)}
        batch = 1 if self.scalar else size
        A = np.zeros((batch, n, n))
        for (a, b), expr in self.entries.items():
            if a in self.frozen:
                continue
            A[:, index[a], index[b]] = np.broadcast_to(np.asarray(evaluate(expr), float), batch)
        M = np.zeros((batch, 2 * n, 2 * n))
        M[:, :n, :n] = A * dt
        M[:, :n, n:] = np.eye(n) * dt
        for v in self.frozen:
            M[:, index[v], n + index[v]] = 0.0
        if n == 1 and not self.frozen:
            # one variable: E = exp(a dt), F = dt*exprel(a dt), element by element
            a_dt = A[:, 0, 0] * dt
            P = np.zeros((batch, 2, 2))
            P[:, 0, 0] = np.exp(a_dt)
            small = np.abs(a_dt) < 1e-5
            safe = np.where(small, 1.0, a_dt)
            P[:, 0, 1] = dt * np.where(small, 1 + a_dt / 2 + a_dt * a_dt / 6,
                                       np.expm1(safe) / safe)
        elif batch > 1:
            P = scipy.linalg.expm(M)
        else:
            P = scipy.linalg.expm(M[0])[None]
        values = {}
        for a in self.variables:
            for b in self.variables:
                e = P[:, index[a], index[b]]
                f = P[:, index[a], n + index[b]]
                values[f"{self.prefix}E_{a}_{b}"] = float(e[0]) if self.scalar else e.copy()
                values[f"{self.prefix}F_{a}_{b}"] = float(f[0]) if self.scalar else f.copy()
        return values


@dataclass
class StateUpdateCode:
    """Statements of a state update, with the run-time constants they need."""

    statements: list[Statement]
    propagators: list[Propagator] = field(default_factory=list)
    method: str = ""


def _stmt(var: str, expr: ast.expr | str, op: str = "=") -> Statement:
    node = _p(expr) if isinstance(expr, str) else expr
    return Statement(var, op, node, f"{var} {op} {to_source(node)}")


def _noise_statements(problem: IntegrationProblem) -> list[Statement]:
    return [_stmt(f"_dW_{xi}", "dt**0.5*randn()") for xi in problem.used_noise()]


def _final_statements(problem: IntegrationProblem) -> list[Statement]:
    return [_stmt(v, f"_{v}_new") for v in problem.diff_vars]


# --------------------------------------------------------------------------
# Explicit schemes as templates
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplicitScheme:
    """A scheme written as template lines (see the module docstring)."""

    name: str
    template: str
    stochastic: str = "none"  # 'none' | 'additive' | 'multiplicative' | 'single'

    def lines(self) -> list[tuple[str, ast.expr]]:
        out = []
        for raw in self.template.strip().splitlines():
            lhs, rhs = raw.split("=", 1)
            out.append((lhs.strip(), _p(rhs.strip())))
        return out

    def can_integrate(self, problem: IntegrationProblem) -> str | None:
        """``None`` if the scheme applies, otherwise the reason it does not."""
        if not problem.stochastic:
            return None
        if self.stochastic == "none":
            return f"'{self.name}' cannot integrate stochastic equations"
        if self.stochastic == "additive" and not problem.additive_noise:
            return (
                f"'{self.name}' can only integrate additive noise (the noise coefficient "
                f"depends on state variables here: use 'heun' or 'milstein')"
            )
        if self.stochastic == "single" and len(problem.used_noise()) > 1:
            return f"'{self.name}' supports a single noise source, not {problem.used_noise()}"
        return None

    def __call__(self, problem: IntegrationProblem) -> StateUpdateCode:
        reason = self.can_integrate(problem)
        if reason:
            raise UnsupportedEquationsException(reason)
        lines = self.lines()
        intermediates = [lhs for lhs, _ in lines if lhs != "x_new"]
        statements = _noise_statements(problem)
        for lhs, rhs in lines:
            for var in problem.diff_vars:
                target = f"_{var}_new" if lhs == "x_new" else f"_{lhs}_{var}"
                statements.append(_stmt(target, self._expand(rhs, var, problem, intermediates)))
        statements += _final_statements(problem)
        return StateUpdateCode(statements, method=self.name)

    def _expand(
        self, node: ast.expr, var: str, problem: IntegrationProblem, inter: list[str]
    ) -> ast.expr:
        scheme = self

        def state_mapping(arg: ast.expr) -> dict[str, ast.expr]:
            # X with 'x' meaning each state variable in turn
            return {
                w: _Rename({"x": w, **{k: f"_{k}_{w}" for k in inter}}).visit(_copy(arg))
                for w in problem.diff_vars
            }

        def evaluated(expr: ast.expr, args: list[ast.expr]) -> ast.expr:
            mapping = state_mapping(args[0])
            if len(args) > 1:
                mapping["t"] = args[1]
            return substitute(expr, mapping)

        class Expander(ast.NodeTransformer):
            def visit_Call(self, n: ast.Call) -> ast.AST:
                name = n.func.id if isinstance(n.func, ast.Name) else ""
                if name == "f":
                    return evaluated(problem.frozen_drift(var), n.args)
                if name == "g":
                    (xi,) = problem.used_noise() or [None]
                    if xi is None or xi not in problem.diffusion[var]:
                        return ast.Constant(0.0)
                    return evaluated(problem.frozen_diffusion(var, xi), n.args)
                if name == "G":
                    terms = [
                        ast.BinOp(
                            left=evaluated(problem.frozen_diffusion(var, xi), n.args),
                            op=ast.Mult(),
                            right=ast.Name(f"_dW_{xi}", ast.Load()),
                        )
                        for xi in problem.used_noise()
                        if xi in problem.diffusion[var]
                    ]
                    if not terms:
                        return ast.Constant(0.0)
                    total = terms[0]
                    for term in terms[1:]:
                        total = ast.BinOp(left=total, op=ast.Add(), right=term)
                    return total
                n.args = [self.visit(a) for a in n.args]
                return n

            def visit_Name(self, n: ast.Name) -> ast.AST:
                if n.id == "x":
                    return ast.Name(var, ast.Load())
                if n.id == "dW":
                    (xi,) = problem.used_noise() or [None]
                    return ast.Name(f"_dW_{xi}", ast.Load()) if xi else ast.Constant(0.0)
                if n.id in inter:
                    return ast.Name(f"_{n.id}_{var}", ast.Load())
                return n

        del scheme
        return ast.fix_missing_locations(Expander().visit(_copy(node)))


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping

    def visit_Name(self, n: ast.Name) -> ast.AST:
        return ast.Name(self.mapping.get(n.id, n.id), ast.Load())


def _copy(node: ast.expr) -> ast.expr:
    return _p(ast.unparse(node))


euler = ExplicitScheme(
    "euler",
    """
x_new = x + dt*f(x, t) + G(x, t)
""",
    stochastic="additive",
)

rk2 = ExplicitScheme(
    "rk2",
    """
k = dt*f(x, t)
x_new = x + dt*f(x + k/2, t + dt/2)
""",
)

rk4 = ExplicitScheme(
    "rk4",
    """
k_1 = dt*f(x, t)
k_2 = dt*f(x + k_1/2, t + dt/2)
k_3 = dt*f(x + k_2/2, t + dt/2)
k_4 = dt*f(x + k_3, t + dt)
x_new = x + (k_1 + 2*k_2 + 2*k_3 + k_4)/6
""",
)

# Stochastic Heun (Stratonovich interpretation, as in Brian 2)
heun = ExplicitScheme(
    "heun",
    """
x_support = x + dt*f(x, t) + G(x, t)
x_new = x + dt/2*(f(x, t) + f(x_support, t + dt)) + (G(x, t) + G(x_support, t + dt))/2
""",
    stochastic="multiplicative",
)

# Derivative-free Milstein (Ito interpretation), one noise source
milstein = ExplicitScheme(
    "milstein",
    """
x_support = x + dt*f(x, t) + dt**0.5*g(x, t)
k = (g(x_support, t) - g(x, t))*(dW**2 - dt)/(2*dt**0.5)
x_new = x + dt*f(x, t) + g(x, t)*dW + k
""",
    stochastic="single",
)


# --------------------------------------------------------------------------
# Exponential Euler
# --------------------------------------------------------------------------


def _exponential_euler_split(problem: IntegrationProblem):
    if problem.stochastic:
        return "'exponential_euler' cannot integrate stochastic equations"
    splits = {}
    for var in problem.diff_vars:
        # conditionally linear, as Brian 2: the coefficients may depend on the variable
        # through functions or subexpressions (m_inf(v)); they are taken at the step's start
        split = linear_split(problem.frozen_drift(var), var, conditional=True)
        if split is None:
            return (
                f"'exponential_euler' needs equations (conditionally) linear in their own "
                f"variable; the equation for '{var}' is not"
            )
        splits[var] = split
    return splits


def exponential_euler(problem: IntegrationProblem) -> StateUpdateCode:
    """x_new = x + (A*x + B)*dt*exprel(A*dt), with A and B at the start of the step."""
    splits = _exponential_euler_split(problem)
    if isinstance(splits, str):
        raise UnsupportedEquationsException(splits)
    statements = []
    for var, (A, B) in splits.items():
        statements.append(_stmt(f"_A_{var}", A))
        statements.append(_stmt(f"_B_{var}", B))
    for var in problem.diff_vars:
        statements.append(
            _stmt(
                f"_{var}_new",
                f"{var} + (_A_{var}*{var} + _B_{var})*dt*exprel(_A_{var}*dt)",
            )
        )
    return StateUpdateCode(statements + _final_statements(problem), method="exponential_euler")


# --------------------------------------------------------------------------
# Exact integration of linear equations with constant coefficients
# --------------------------------------------------------------------------


def _depends_on_time(expr: ast.expr, locally_constant: set[str]) -> bool:
    """Whether ``t`` appears, other than as ``f(t, ...)`` of a function constant over a step."""

    def rec(node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id == "t"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in locally_constant
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "t"
        ):
            return any(rec(a) for a in node.args[1:])
        return any(rec(child) for child in ast.iter_child_nodes(node))

    return rec(expr)


def _linear_system(problem: IntegrationProblem):
    """(A entries, b expressions) with dx_v/dt = sum_w A[v,w] x_w + b_v, or a reason."""
    if problem.stochastic:
        return "'exact' cannot integrate stochastic equations"
    state = set(problem.diff_vars)
    entries: dict[tuple[str, str], ast.expr] = {}
    b: dict[str, ast.expr] = {}
    for var in problem.diff_vars:
        rest = problem.drift[var]
        for w in problem.diff_vars:
            split = linear_split(rest, w)
            if split is None:
                return f"the equation for '{var}' is not linear in '{w}'"
            coeff, rest = split
            if get_identifiers(coeff) & state:
                return f"the equation for '{var}' has a product of state variables"
            if not (isinstance(coeff, ast.Constant) and coeff.value == 0):
                entries[(var, w)] = coeff
        for (v, _), coeff in entries.items():
            if v == var and "t" in get_identifiers(coeff):
                return f"a coefficient of the equation for '{var}' depends on time"
        for expr in [*(c for (v, _), c in entries.items() if v == var), rest]:
            if _depends_on_time(expr, problem.locally_constant):
                return f"the equation for '{var}' depends on time explicitly"
            stateful = {
                name for name in get_called_functions(expr)
                if getattr(DEFAULT_FUNCTIONS.get(name), "stateful", False)
            }
            if stateful:
                return f"the equation for '{var}' calls {', '.join(sorted(stateful))}()"
        b[var] = rest
    return entries, b


def exact(problem: IntegrationProblem) -> StateUpdateCode:
    """Exact update x_new = E x + F b with E = exp(A dt), F = int_0^dt exp(A s) ds.

    ``E`` and ``F`` are computed from the coefficients at the start of each run
    (:class:`Propagator`); ``b`` is evaluated every step, so inputs that change
    between steps (parameters written each step) are treated as constant over dt.
    For '(unless refractory)' variables a second propagator with those rows frozen
    is used while a neuron is refractory.
    """
    system = _linear_system(problem)
    if isinstance(system, str):
        raise UnsupportedEquationsException(f"'exact' cannot integrate these equations: {system}")
    entries, b = system
    variables = problem.diff_vars
    scalar = all(problem.scalar(n) for e in entries.values() for n in get_identifiers(e))
    # structure: which x_w can influence x_v (transitive closure of A's pattern)
    reach = {v: {v} for v in variables}
    changed = True
    while changed:
        changed = False
        for (v, w) in entries:
            new = reach[w] - reach[v]
            if new:
                reach[v] |= new
                changed = True
    propagators = [Propagator(variables, entries, set(), "_P", scalar)]
    frozen = problem.unless_refractory & set(variables)
    if frozen:
        propagators.append(Propagator(variables, entries, frozen, "_Q", scalar))
    # inputs that are zero by the equations' structure (dge/dt = -ge/tau) add no term
    inputs = [v for v in variables
              if not (isinstance(b[v], ast.Constant) and b[v].value == 0)]
    statements = [_stmt(f"_b_{v}", b[v]) for v in inputs]

    def combination(prefix: str, v: str) -> str:
        terms = [f"{prefix}E_{v}_{w}*{w}" for w in variables if w in reach[v]]
        terms += [f"{prefix}F_{v}_{w}*_b_{w}" for w in inputs if w in reach[v]]
        return " + ".join(terms) or "0"

    for v in variables:
        expr = combination("_P", v)
        # a row of the frozen propagator differs from the free one only if the variable
        # depends on a frozen one (exp(A dt)'s row v involves only the rows reach[v])
        if reach[v] & frozen:
            expr = f"where(not_refractory, {expr}, {combination('_Q', v)})"
        statements.append(_stmt(f"_{v}_new", expr))
    return StateUpdateCode(statements + _final_statements(problem), propagators, method="exact")


def _can_exact(problem: IntegrationProblem) -> str | None:
    system = _linear_system(problem)
    return system if isinstance(system, str) else None


def _can_expeuler(problem: IntegrationProblem) -> str | None:
    split = _exponential_euler_split(problem)
    return split if isinstance(split, str) else None


def _can_independent(problem: IntegrationProblem) -> str | None:
    """Brian 2's 'independent': each equation solved on its own, exactly."""
    if problem.stochastic:
        return "'independent' cannot integrate stochastic equations"
    state = set(problem.diff_vars)
    for var in problem.diff_vars:
        coupled = sorted((get_identifiers(problem.drift[var]) & state) - {var})
        if coupled:
            return (f"the equation for '{var}' depends on {', '.join(repr(w) for w in coupled)}"
                    f" (independent equations only)")
    reason = _can_exact(problem)
    if reason is not None:  # hearsim has no symbolic solver: linear equations only
        return f"{reason} (hearsim's 'independent' solves linear equations only)"
    return None


_independent_warned = []


def independent(problem: IntegrationProblem) -> StateUpdateCode:
    """Brian 2's deprecated ``'independent'`` method: every differential equation depends
    on its own variable only (no coupling), and each is solved exactly.  Here, equations
    linear in their variable, with the exact propagator (the same update as ``'exact'``
    for such uncoupled equations); nonlinear ones are refused (Brian 2 hands them to
    sympy's ``dsolve``)."""
    if not _independent_warned:
        _independent_warned.append(True)
        _logger.warning("The 'independent' state updater is deprecated and might be "
                        "removed in future versions of Brian.")
    code = exact(problem)
    return StateUpdateCode(code.statements, code.propagators, method="independent")


@dataclass(frozen=True)
class _Method:
    name: str
    build: Callable[[IntegrationProblem], StateUpdateCode]
    can: Callable[[IntegrationProblem], str | None]


SCHEMES: dict[str, _Method] = {
    "euler": _Method("euler", euler, euler.can_integrate),
    "rk2": _Method("rk2", rk2, rk2.can_integrate),
    "rk4": _Method("rk4", rk4, rk4.can_integrate),
    "heun": _Method("heun", heun, heun.can_integrate),
    "milstein": _Method("milstein", milstein, milstein.can_integrate),
    "exponential_euler": _Method("exponential_euler", exponential_euler, _can_expeuler),
    "exact": _Method("exact", exact, _can_exact),
    "independent": _Method("independent", independent, _can_independent),
}
SCHEMES["linear"] = SCHEMES["exact"]

#: Brian 2's automatic choice: exact, else euler, else heun.
DEFAULT_METHODS = ("exact", "euler", "heun")


#: the scheme objects (``method=euler`` as in Brian 2, where they are its state updaters)
linear = exact

_custom_schemes = itertools.count(1)


class ExplicitStateUpdater(ExplicitScheme):
    """Brian 2's user-defined explicit scheme: ``ExplicitStateUpdater(description)`` with
    one statement per line, ``f(x, t)`` the drift and ``g(x, t)``/``dW`` the noise, the
    last line assigning ``x_new``; then ``method=my_scheme``, e.g. the midpoint method::

        midpoint = ExplicitStateUpdater('k = dt*f(x, t)\\n'
                                        'x_new = x + dt*f(x + k/2, t + dt/2)')

    ``stochastic``: None (deterministic equations only), ``'additive'`` or
    ``'multiplicative'`` (the noise it integrates correctly).
    """

    def __init__(self, description: str, stochastic: str | None = None,
                 custom_check=None) -> None:
        if custom_check is not None:
            raise NotImplementedError(
                "ExplicitStateUpdater(custom_check=...) is not supported: the scheme's "
                "stochastic= says which equations it integrates")
        if stochastic not in (None, "additive", "multiplicative"):
            raise ValueError(f"ExplicitStateUpdater: stochastic must be None, 'additive' or "
                             f"'multiplicative', got {stochastic!r}")
        if not isinstance(description, str) or not description.strip():
            raise TypeError("ExplicitStateUpdater needs a description: lines of statements "
                            "ending with 'x_new = ...'")
        lines = [ln.strip() for ln in description.strip().splitlines() if ln.strip()]
        for line in lines:
            if "=" not in line or line.split("=", 1)[0].strip() == "":
                raise ValueError(f"ExplicitStateUpdater: '{line}' is not a statement "
                                 f"(name = expression)")
        if lines[-1].split("=", 1)[0].strip() != "x_new":
            raise ValueError("ExplicitStateUpdater: the last line must assign x_new, got "
                             f"'{lines[-1]}'")
        object.__setattr__(self, "name", f"explicit_{next(_custom_schemes)}")
        object.__setattr__(self, "template", "\n".join(lines))
        object.__setattr__(self, "stochastic", stochastic or "none")
        try:
            self.lines()
        except SyntaxError as exc:
            raise ValueError(f"ExplicitStateUpdater: cannot read the description: "
                             f"{exc}") from None


def _method_name(candidate) -> str:
    """A method given by name or as one of the scheme objects (``euler``, ``exact``...)."""
    if isinstance(candidate, str):
        return candidate
    for name, method in SCHEMES.items():
        if candidate is method.build or candidate is method:
            return "exact" if name == "linear" else name
    if isinstance(candidate, ExplicitScheme):  # a user's scheme: known from now on
        SCHEMES[candidate.name] = _Method(candidate.name, candidate, candidate.can_integrate)
        return candidate.name
    raise TypeError(f"method must be a name ('euler') or an integration scheme (euler, rk4, "
                    f"exact...), got {candidate!r}")


def choose_method(problem: IntegrationProblem, method: str | tuple | list = "auto") -> str:
    """The name of the scheme to use, or a clear error naming why none applies."""
    if method is None or (isinstance(method, str) and method in ("auto", "default")):
        candidates = DEFAULT_METHODS
    elif isinstance(method, str) or not isinstance(method, tuple | list):
        candidates = (_method_name(method),)
    else:
        candidates = tuple(_method_name(m) for m in method)
    reasons = []
    for name in candidates:
        if name not in SCHEMES:
            raise ValueError(
                f"Unknown integration method '{name}' (known: {', '.join(sorted(SCHEMES))})"
            )
        reason = SCHEMES[name].can(problem)
        if reason is None:
            return name
        reasons.append(f"{name}: {reason}")
    raise UnsupportedEquationsException(
        "No integration method can integrate the equations:\n  " + "\n  ".join(reasons)
    )


def integrate(problem: IntegrationProblem, method: str | tuple | list = "auto") -> StateUpdateCode:
    """Abstract state-update statements for a problem with the chosen (or given) method."""
    if not problem.diff_vars:
        return StateUpdateCode([], method="none")
    name = choose_method(problem, method)
    return SCHEMES[name].build(problem)

"""Brian 1 conveniences, as thin factories over :class:`~sim.synapses.Synapses`.

``Connection(P, Q, 'ge', weight=..., sparseness=...)`` is a Synapses object
with a weight ``w`` and ``on_pre='ge += w'``; ``connect_random``,
``connect_full`` and ``connect_one_to_one`` create its synapses; weights and
sparseness may be quantities, numbers or functions of ``i`` and ``j`` (called
with arrays).  ``DelayConnection`` adds a delay per synapse.  ``STDP(C, eqs,
pre, post, wmax)`` and ``STP(C, taud, tauf, U)`` make a connection plastic by
adding event-driven equations and code to it.
"""

from __future__ import annotations

import numpy as np

from sim.equations import Equations, unit_expression
from sim.parsing import generated_code, parse_statements
from sim.synapses import Synapses
from sim.units import Quantity, get_dimensions, second

__all__ = ["Connection", "DelayConnection", "STDP", "STP"]


class Connection(Synapses):
    """Brian 1's ``Connection(source, target, state, delay=, weight=, sparseness=, max_delay=)``.

    ``state`` is the target variable each presynaptic spike increases by the
    synapse's weight ``w``.  With ``weight`` (and ``sparseness``) given, the
    synapses are created at once (``connect_random`` or ``connect_full``).
    """

    def __init__(self, source, target, state: str = "ge", delay=0 * second, modulation=None,
                 structure: str = "sparse", weight=None, sparseness=None, max_delay=None,
                 **kwds):
        if modulation is not None:
            raise NotImplementedError("Connection(modulation=...) is not supported: write the "
                                      "modulation into on_pre of a Synapses object")
        if state not in target.variables:
            raise KeyError(f"Connection: '{target.name}' has no variable '{state}'")
        object.__setattr__(self, "state", state)
        dim = target.variables[state].dim
        heterogeneous = kwds.pop("_heterogeneous", False)
        super().__init__(source, target, f"w : {unit_expression(dim)}", on_pre=f"{state} += w",
                         delay=None if heterogeneous else delay, **kwds)
        object.__setattr__(self, "max_delay", max_delay)
        if weight is not None:
            if sparseness is None or (np.isscalar(sparseness) and float(sparseness) == 1.0):
                self.connect_full(source, target, weight)
            else:
                self.connect_random(source, target, sparseness, weight=weight)

    def _check_groups(self, P, Q) -> None:
        if P is not None and P is not self.source:
            if getattr(P, "source", None) is not self.source and P is not self.source:
                raise ValueError(f"{self.name}: {P} is not the source of this connection")
        if Q is not None and Q is not self.target:
            if getattr(Q, "source", None) is not self.target and Q is not self.target:
                raise ValueError(f"{self.name}: {Q} is not the target of this connection")

    def _offsets(self, P, Q) -> tuple[int, int, int, int]:
        P = P if P is not None else self.source
        Q = Q if Q is not None else self.target
        p0 = P._index_offset() - self.source._index_offset()
        q0 = Q._index_offset() - self.target._index_offset()
        return p0, P.N, q0, Q.N

    def _set_new_weights(self, start: int, weight) -> None:
        pre, post = self._pre[start:self.N], self._post[start:self.N]
        if callable(weight) and not isinstance(weight, Quantity):
            values = weight(pre, post)
        else:
            values = weight
        values = np.broadcast_to(values, (len(pre),)) if np.ndim(values) == 0 else values
        view = self.variables["w"]
        if get_dimensions(values) != view.dim and not (
            view.dim.is_dimensionless and get_dimensions(values).is_dimensionless
        ):
            from sim.units import DimensionMismatchError

            raise DimensionMismatchError(
                f"The weights of '{self.name}' must have the units of '{self.state}'",
                view.dim, get_dimensions(values),
            )
        self.variables["w"].array[start:self.N] = np.asarray(values, dtype=float)

    def connect_random(self, P=None, Q=None, p: float = 0.1, weight=1.0, fixed: bool = False,
                       seed: int | None = None) -> None:
        """Connect each pair with probability ``p`` (a number or a function of i, j)."""
        self._check_groups(P, Q)
        p0, pn, q0, qn = self._offsets(P, Q)
        start = self.N
        if fixed:
            # Brian 1: exactly round(p*len(Q)) targets per source neuron
            rng = np.random.default_rng(seed)
            k = int(round(float(p) * qn))
            pre = np.repeat(np.arange(pn), k) + p0
            post = np.concatenate([rng.choice(qn, size=k, replace=False) for _ in range(pn)]) + q0
            self.connect(i=pre, j=post)
        elif callable(p):
            self.connect(condition=lambda i, j: (i >= p0) & (i < p0 + pn) & (j >= q0)
                         & (j < q0 + qn), p=lambda i, j: p(i - p0, j - q0))
        elif p0 == 0 and q0 == 0 and pn == self.source.N and qn == self.target.N:
            self.connect(p=float(p))
        else:
            self.connect(condition=f"i >= {p0} and i < {p0 + pn} and j >= {q0} and "
                                   f"j < {q0 + qn}", p=float(p))
        self._set_new_weights(start, weight)

    def connect_full(self, P=None, Q=None, weight=1.0) -> None:
        """Connect every neuron of P to every neuron of Q."""
        self._check_groups(P, Q)
        p0, pn, q0, qn = self._offsets(P, Q)
        start = self.N
        pre = np.repeat(np.arange(pn), qn) + p0
        post = np.tile(np.arange(qn), pn) + q0
        self.connect(i=pre, j=post)
        self._set_new_weights(start, weight)

    def connect_one_to_one(self, P=None, Q=None, weight=1.0) -> None:
        """Connect neuron k of P to neuron k of Q."""
        self._check_groups(P, Q)
        p0, pn, q0, qn = self._offsets(P, Q)
        if pn != qn:
            raise ValueError(f"connect_one_to_one needs groups of one size, got {pn} and {qn}")
        start = self.N
        self.connect(i=np.arange(pn) + p0, j=np.arange(qn) + q0)
        self._set_new_weights(start, weight)

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

    ``delay`` may be a time, a function of (i, j) returning times, or a pair
    ``(min, max)`` for delays drawn uniformly (set when synapses are created).
    """

    def __init__(self, source, target, state: str = "ge", delay=0 * second, max_delay=None,
                 **kwds):
        self._delay_spec = delay
        super().__init__(source, target, state, max_delay=max_delay, _heterogeneous=True,
                         **kwds)

    def _set_new_weights(self, start: int, weight) -> None:
        super()._set_new_weights(start, weight)
        spec = self._delay_spec
        pre, post = self._pre[start:self.N], self._post[start:self.N]
        if isinstance(spec, tuple):
            low, high = (float(x) for x in spec)
            values = low + (high - low) * np.random.default_rng().random(len(pre))
        elif callable(spec) and not isinstance(spec, Quantity):
            values = np.asarray(spec(pre, post), dtype=float)
        else:
            values = float(spec)
        if self.max_delay is not None and np.any(np.asarray(values) > float(self.max_delay)):
            raise ValueError(f"{self.name}: a delay exceeds max_delay={self.max_delay}")
        self.variables["delay"].array[start:self.N] = values


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


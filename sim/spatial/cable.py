r"""Implicit integration of the cable equation on a morphology (Brian 2's scheme).

The membrane potential ``v`` of compartment ``i`` (area ``A_i``, specific capacitance
``Cm_i``) obeys

.. math::

    A_i C_{m,i} \frac{dv_i}{dt} = A_i I_{m,i} + I_{p,i} + \sum_j g_{ij} (v_j - v_i),

where ``Im`` is the membrane current density (A/m^2), ``Ip`` the point currents (A; an
electrode, a synapse: Brian 2's ``point current`` flag adds ``Ip/area`` to ``Im``) and
``g_ij`` the axial conductances (S) to the neighbours.  As in Brian 2's
``SpatialStateUpdater``:

* ``Im`` is linear in ``v`` over a step: ``Im = I0 - gtot*v``, with ``gtot = -dIm/dv``
  (S/m^2) and ``I0 = Im - v*dIm/dv`` (A/m^2) evaluated at the start of the step (the
  gating variables are updated separately, before ``v``).  These are Brian 2's
  ``gtot__private`` and ``I0__private``; its ``_v_star``, ``_u_plus`` and ``_u_minus``
  are the particular and homogeneous solutions of its domain decomposition (below),
  internal to the solve, not inputs.  For a passive membrane ``Im = gL*(EL - v)``:
  ``gtot = gL``, ``I0 = gL*EL``;
* the step is backward Euler: ``A*Cm*(v' - v)/dt = A*(I0 - gtot*v') + Ip + axial(v')``,
  a linear system for the new potentials ``v'``;
* axial conductances come from the geometry (`Morphology.r_length_1` and
  ``r_length_2``, in m) and the intracellular resistivity ``Ri`` (ohm*m): between two
  compartments of a section ``1/(Ri*(1/r_length_2[i-1] + 1/r_length_1[i]))`` (the two
  half-compartments in series), from a section's first compartment to its start
  ``r_length_1[first]/Ri``, and from its last compartment to its end
  ``r_length_2[last]/Ri``;
* sections meet at branch points: a node with no membrane (no capacitance) joins the end
  of a section to the starts of its children, and Kirchhoff's law holds there (the
  currents into the node sum to zero); a `Soma`'s factors are 1 m, so a soma joins its
  node almost without resistance.  The root section's start and the ends of the leaves
  are sealed (no axial current).

Brian 2 solves this system by domain decomposition (three tridiagonal solves per
section and a small system for the branch-point potentials).  Here the same system is
solved directly by Hines's method: the unknowns (compartments and branch-point nodes)
are numbered so that every one comes after its parent in the tree (sections in flat
order, each section's compartments, then its end node), so the matrix is tridiagonal
along each section and has one off-diagonal pair per tree edge.  Gaussian elimination
from the leaves to the root and substitution back from the root take O(compartments)
operations and no fill-in.  Elimination is written in terms of the conductance ``e_k``
from each unknown's subtree to ground: eliminating child ``k`` (conductance ``g`` to its
parent ``p``) adds the series value ``g*e_k/(g + e_k)`` to ``e_p`` and
``g*b_k/(g + e_k)`` to ``p``'s right-hand side, so no large numbers cancel (a soma's
branch node has conductances ~1e7 times those of the membrane) and the pivots stay
positive whenever ``Cm/dt + gtot > 0``.  Along an unbranched section this is the Thomas
algorithm for the tridiagonal system.

Against an exact (rational arithmetic) solve of the same system the step agrees to
~2e-16 relative; Brian 2's decomposition, on the same trees with somata, to ~6e-10 (its
homogeneous solutions subtract numbers of the soma's conductance scale); without somata
both to rounding (``tests/test_cable.py``).

The step is unconditionally stable and first order in ``dt``; the spatial
discretisation (compartments at midpoints, a finite-volume scheme) is second order in
compartment length.  A compartment's potential is the value at its midpoint.

`CableSolver` holds the tree (built once from a `Morphology` or `FlatMorphology`) and
advances ``v`` in place; `cable_step` is the compiled kernel itself (plain SI arrays),
for a compiled run loop to call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from sim.spatial.morphology import FlatMorphology, Morphology
from sim.units import (
    DimensionMismatchError,
    amp,
    farad,
    get_dimensions,
    have_same_dimensions,
    meter,
    ohm,
    second,
    siemens,
)

__all__ = ["CableSolver", "cable_step", "cable_loop_step", "CableTree", "build_tree"]


class CableTree:
    """The solver's tree: unknowns (compartments and branch-point nodes) in parent-first
    order.

    Attributes
    ----------
    n_compartments : int
        Number of compartments (the first unknowns are not necessarily these: see
        ``compartment_unknown``).
    parent : ndarray of int64
        Parent unknown of each unknown (-1 for the root, unknown 0).
    g : ndarray of float64
        Axial conductance (S) between each unknown and its parent (0 for the root).
    compartment_unknown : ndarray of int64
        The unknown of each compartment (flat order).
    """

    def __init__(self, n_compartments: int, parent: np.ndarray, g: np.ndarray,
                 compartment_unknown: np.ndarray):
        self.n_compartments = n_compartments
        self.parent = parent
        self.g = g
        self.compartment_unknown = compartment_unknown

    @property
    def n_unknowns(self) -> int:
        """Compartments plus branch-point nodes."""
        return len(self.parent)


def build_tree(flat: FlatMorphology, Ri: float) -> CableTree:
    """The solver's tree for a flattened morphology and a resistivity ``Ri`` (ohm*m, SI
    float).  Branch points get a node without membrane; sealed ends get none."""
    if not np.isfinite(Ri) or Ri <= 0:
        raise ValueError(f"Ri (intracellular resistivity) has to be positive, got {Ri!r} "
                         "ohm*m")
    n_sections = flat.sections
    has_children = np.zeros(n_sections, dtype=bool)
    for k in range(n_sections):
        if flat.parent[k] >= 0:
            has_children[flat.parent[k]] = True
    n_unknowns = flat.n + int(has_children.sum())
    parent = np.full(n_unknowns, -1, dtype=np.int64)
    g = np.zeros(n_unknowns)
    compartment_unknown = np.zeros(flat.n, dtype=np.int64)
    section_node = np.full(n_sections, -1, dtype=np.int64)
    r1 = np.asarray(flat.r_length_1, dtype=float)
    r2 = np.asarray(flat.r_length_2, dtype=float)
    u = 0
    for k in range(n_sections):  # flat order: parents before children
        first, last = int(flat.starts[k]), int(flat.ends[k]) - 1
        for i in range(first, last + 1):
            compartment_unknown[i] = u
            if i == first:
                p = int(flat.parent[k])
                if p >= 0:
                    parent[u] = section_node[p]
                    g[u] = r1[first] / Ri
            else:
                parent[u] = u - 1
                with np.errstate(divide="ignore"):  # a zero-diameter point: g = 0
                    g[u] = 1.0 / (Ri * (1.0 / r2[i - 1] + 1.0 / r1[i]))
            u += 1
        if has_children[k]:
            section_node[k] = u
            parent[u] = u - 1
            g[u] = r2[last] / Ri
            u += 1
    assert u == n_unknowns
    if np.any(~np.isfinite(g)) or np.any(g[1:] <= 0):
        bad = int(np.flatnonzero(~np.isfinite(g[1:]) | (g[1:] <= 0))[0]) + 1
        where = np.flatnonzero(compartment_unknown >= bad)
        near = int(where[0]) if len(where) else flat.n - 1
        raise ValueError("The morphology gives a zero or infinite axial conductance near "
                         f"compartment {near} (a diameter of zero where the cable continues?)")
    return CableTree(flat.n, parent, g, compartment_unknown)


@njit(cache=True, nogil=True)
def cable_step(v, inv_dt, Cm, area, gtot, I0, I_point, parent, g, compartment_unknown,
               e, b, x):  # pragma: no cover - compiled
    """One backward-Euler step of the cable equation, in place on ``v`` (numba kernel).

    All arguments are plain float64 arrays in SI units: ``v`` (V, per compartment,
    overwritten with the new values), ``inv_dt`` (1/s; 0 gives the steady state),
    ``Cm`` (F/m^2), ``area`` (m^2), ``gtot`` (S/m^2), ``I0`` (A/m^2), ``I_point`` (A),
    all per compartment; ``parent``, ``g``, ``compartment_unknown`` from `build_tree`;
    ``e``, ``b``, ``x``: work arrays of the number of unknowns.  A singular system (a zero
    pivot) raises ``ZeroDivisionError`` before ``v`` is written, whatever the caller's
    numba ``error_model`` (a compiled caller's flags apply to the callee's compilation).
    """
    n_unknowns = parent.shape[0]
    for k in range(n_unknowns):
        e[k] = 0.0
        b[k] = 0.0
    for i in range(v.shape[0]):
        u = compartment_unknown[i]
        c = area[i] * Cm[i] * inv_dt
        e[u] = c + area[i] * gtot[i]
        b[u] = c * v[i] + area[i] * I0[i] + I_point[i]
    # eliminate from the leaves to the root (every unknown comes after its parent).  The
    # operations are those of ``e[p] += g[u]*e[u]/(e[u] + g[u])`` (and the same for b),
    # in the same order; along a section (p == u - 1, nearly always) the parent's new
    # values stay in registers for the next iteration instead of going through memory
    # (a store and a load in the loop's dependency chain: ~1.4x faster, the same bits).
    # When p != u - 1, unknown u - 1 has no child left to eliminate (its children come
    # after it), so its values in memory are final.
    eu = e[n_unknowns - 1]
    bu = b[n_unknowns - 1]
    for u in range(n_unknowns - 1, 0, -1):
        p = parent[u]
        gu = g[u]
        denominator = eu + gu
        if denominator == 0.0:  # explicit: a caller's error_model='numpy' would give NaN
            raise ZeroDivisionError("cable_step: singular system")
        de = gu * eu / denominator
        db = gu * bu / denominator
        if p == u - 1:
            eu = e[p] + de
            bu = b[p] + db
            e[p] = eu
            b[p] = bu
        else:
            e[p] += de
            b[p] += db
            eu = e[u - 1]
            bu = b[u - 1]
    if e[0] == 0.0:
        raise ZeroDivisionError("cable_step: singular system")
    # x[u] = (b[u] + g[u]*x[parent[u]])/(e[u] + g[u]), the parent's x in a register along
    # a section
    xu = b[0] / e[0]
    x[0] = xu
    for u in range(1, n_unknowns):
        p = parent[u]
        if p != u - 1:
            xu = x[p]
        xu = (b[u] + g[u] * xu) / (e[u] + g[u])
        x[u] = xu
    for i in range(v.shape[0]):
        v[i] = x[compartment_unknown[i]]


def _si(value: Any, unit: Any, name: str, what: str) -> np.ndarray:
    """SI values of a quantity of ``unit``'s dimension; plain numbers are taken as SI."""
    if isinstance(value, str):
        raise TypeError(f"CableSolver: '{name}' should be {what}, got {value!r}")
    if hasattr(value, "dim") and not have_same_dimensions(value, unit):
        raise DimensionMismatchError(f"CableSolver: '{name}' should be {what}, got {value!r}",
                                     get_dimensions(value), get_dimensions(unit))
    return np.asarray(value, dtype=float)


class CableSolver:
    """Backward-Euler steps of the cable equation on one morphology (see the module
    docstring for the scheme).

    Parameters
    ----------
    morphology : Morphology or FlatMorphology
        The geometry.
    Cm : Quantity or float
        Specific membrane capacitance (F/m^2; a float is taken in F/m^2): one value or
        one per compartment.
    Ri : Quantity or float
        Intracellular resistivity (ohm*m; a float in ohm*m).

    Example: a passive cable, ``Im = gL*(EL - v)``, i.e. ``gtot = gL``,
    ``I0 = gL*EL``::

        solver = CableSolver(morpho, Cm=1*uF/cm**2, Ri=100*ohm*cm)
        v = np.full(solver.n, -0.07)
        for _ in range(steps):
            solver.step(v, 0.1e-3, gtot=gL, I0=gL*EL, I_point=I)
    """

    def __init__(self, morphology: Morphology | FlatMorphology, Cm: Any, Ri: Any):
        if isinstance(morphology, Morphology):
            flat = FlatMorphology(morphology)
        elif isinstance(morphology, FlatMorphology):
            flat = morphology
        else:
            raise TypeError(f"CableSolver: 'morphology' has to be a Morphology or a "
                            f"FlatMorphology, got {morphology!r}")
        self.flat = flat
        self.n = flat.n
        self.area = np.ascontiguousarray(flat.area, dtype=float)
        self.Cm = Cm
        self._Ri = 0.0
        self.Ri = Ri
        self._work = [np.zeros(self.tree.n_unknowns) for _ in range(3)]
        self._zeros = np.zeros(self.n)

    @property
    def Cm(self) -> np.ndarray:
        """Specific capacitance per compartment (F/m^2, SI floats)."""
        return self._Cm

    @Cm.setter
    def Cm(self, value: Any) -> None:
        values = _si(value, farad / meter ** 2, "Cm", "a capacitance per area (F/m^2)")
        if values.ndim > 1 or values.size not in (1, self.n):
            raise ValueError(f"CableSolver: 'Cm' needs one value or one per compartment "
                             f"({self.n}), got {value!r}")
        values = np.ascontiguousarray(np.broadcast_to(values.reshape(-1), (self.n,)) if
                                      values.size == 1 else values, dtype=float)
        if np.any(~np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(f"CableSolver: 'Cm' has to be positive, got {value!r}")
        self._Cm = values

    @property
    def Ri(self) -> float:
        """Intracellular resistivity (ohm*m); setting it rebuilds the conductances."""
        return self._Ri

    @Ri.setter
    def Ri(self, value: Any) -> None:
        values = _si(value, ohm * meter, "Ri", "a resistivity (ohm*m)")
        if values.size != 1:
            raise ValueError(f"CableSolver: 'Ri' is one value for the whole neuron, got "
                             f"{value!r}")
        self.tree = build_tree(self.flat, float(values.reshape(-1)[0]))
        self._Ri = float(values.reshape(-1)[0])

    def _per_compartment(self, value: Any, name: str, unit: Any, what: str) -> np.ndarray:
        if value is None:
            return self._zeros
        array = _si(value, unit, name, what)
        if array.ndim == 0:
            return np.full(self.n, float(array))
        if array.shape != (self.n,):
            raise ValueError(f"CableSolver: '{name}' needs one value per compartment "
                             f"({self.n}), got shape {array.shape}")
        return np.ascontiguousarray(array)

    def step(self, v: np.ndarray, dt: Any, gtot: Any, I0: Any, I_point: Any = None,
             Ic: np.ndarray | None = None) -> None:
        """Advance ``v`` (V, float64 array, one value per compartment) by ``dt`` in place.

        ``gtot`` (S/m^2) and ``I0`` (A/m^2): the membrane current density
        ``Im = I0 - gtot*v`` linearised at the step's start (scalars or one value per
        compartment; plain SI floats); ``I_point`` (A): point currents per compartment.
        ``Ic`` (optional output, A/m^2): the capacitive current ``Cm*(v' - v)/dt``, as
        Brian 2's ``Ic``.
        """
        if not isinstance(v, np.ndarray) or v.dtype != np.float64 or v.shape != (self.n,) \
                or not v.flags.c_contiguous or not v.flags.writeable:
            raise TypeError(f"CableSolver.step: 'v' has to be a writeable contiguous float64 "
                            f"array of {self.n} values (SI volts)")
        dt = float(_si(dt, second, "dt", "a time step (s)"))
        if not np.isfinite(dt) or dt <= 0:
            raise ValueError(f"CableSolver.step: 'dt' has to be positive, got {dt!r}")
        previous = v.copy() if Ic is not None else None
        self._run(v, 1.0 / float(dt), gtot, I0, I_point)
        if Ic is not None:
            Ic[:] = self._Cm * (v - previous) / dt

    def steady_state(self, gtot: Any, I0: Any, I_point: Any = None) -> np.ndarray:
        """The potentials (V) at which the linearised currents balance: the step's system
        without the capacitive terms (``dt`` infinite)."""
        v = np.zeros(self.n)
        self._run(v, 0.0, gtot, I0, I_point)
        return v

    def _run(self, v: np.ndarray, inv_dt: float, gtot: Any, I0: Any, I_point: Any) -> None:
        tree = self.tree
        e, b, x = self._work
        gtot = self._per_compartment(gtot, "gtot", siemens / meter ** 2,
                                     "a conductance per area (S/m^2)")
        I0 = self._per_compartment(I0, "I0", amp / meter ** 2, "a current per area (A/m^2)")
        I_point = self._per_compartment(I_point, "I_point", amp, "a current (A)")
        try:
            cable_step(v, inv_dt, self._Cm, self.area, gtot, I0, I_point, tree.parent,
                       tree.g, tree.compartment_unknown, e, b, x)
        except ZeroDivisionError:  # raised before v is written
            raise ValueError(
                "CableSolver: the linear system is singular (a zero pivot): a step needs "
                "Cm/dt + gtot > 0, a steady state needs gtot > 0 somewhere") from None


@njit(cache=True, nogil=True)
def cable_loop_step(t, dt, v, Cm, area, gtot, I0, I_point, parent, g, compartment_unknown,
                    e, b, x, v_previous, Ic):  # pragma: no cover - compiled
    """A `SpatialNeuron`'s cable step, as a compiled run loop calls it (``CallCompiled``):
    ``cable_step`` over ``dt`` (s), then the capacitive current ``Ic`` (A/m^2) =
    ``Cm*(v_new - v_old)/dt``; ``v_previous`` receives ``v_old``.  ``t`` is unused (the
    loop passes every callee the time)."""
    for i in range(v.shape[0]):
        v_previous[i] = v[i]
    cable_step(v, 1.0 / dt, Cm, area, gtot, I0, I_point, parent, g, compartment_unknown,
               e, b, x)
    for i in range(v.shape[0]):
        Ic[i] = Cm[i] * (v[i] - v_previous[i]) / dt

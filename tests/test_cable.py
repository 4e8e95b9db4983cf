"""The implicit cable solver (sim.spatial.cable) against cable theory and a dense solve.

Notation: diameter ``d``, specific membrane resistance ``Rm`` (ohm*m^2, ``gL = 1/Rm``),
intracellular resistivity ``Ri`` (ohm*m), axial resistance per length
``ra = 4*Ri/(pi*d**2)``, space constant ``lam = sqrt(d*Rm/(4*Ri))``, time constant
``tau = Rm*Cm``, compartment length ``h`` and ``eps = h/lam``.

The compartmental model is a finite-volume scheme: a compartment's potential
approximates the continuous one at its midpoint with relative errors of order
``eps**2``; backward Euler has errors of order ``dt/tau``.  Where a closed form of the
*discrete* solution exists (uniform cables) the solver is checked against it to
rounding, and its distance from the continuous solution against the leading-order
error that this closed form predicts.
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import erf

from sim.spatial import Cylinder, FlatMorphology, Section, Soma
from sim.spatial.cable import CableSolver, build_tree, cable_step
from sim.units import DimensionMismatchError, cm, meter, mV, ohm, siemens, uF, um

D = 2e-6      # m
RM = 2.0      # ohm*m^2 (gL = 0.5 S/m^2 = 0.05 mS/cm^2)
RI = 1.5      # ohm*m (150 ohm*cm)
CM = 0.01     # F/m^2 (1 uF/cm^2)
LAM = np.sqrt(D * RM / (4 * RI))   # 0.816 mm
RA = 4 * RI / (np.pi * D ** 2)     # ohm/m
TAU = RM * CM                      # 20 ms
I_INJ = 1e-10                      # A


def uniform_cable(n, length, d=D):
    return Cylinder(n=n, diameter=d * meter, length=length * meter)


def point(n, where, current=I_INJ):
    values = np.zeros(n)
    values[where] = current
    return values


# --- infinite cable -------------------------------------------------------------------
def test_infinite_cable_space_constant_and_input_resistance():
    """A cable of 40 lam (sealed ends 20 lam away: effects ~exp(-40)) with a steady
    current into its middle compartment.

    Continuous theory: V(x) = V0*exp(-|x|/lam), and the input resistance of a cable
    infinite in both directions is two semi-infinite cables (each ``ra*lam =
    (2/pi)*sqrt(Rm*Ri)/d**(3/2)``) in parallel: ``R_inf = (2/pi)*sqrt(Rm*Ri)/d**1.5/2``.

    Discrete: v_k = v0*rho**|k| with rho + 1/rho = 2 + eps**2, so the space constant
    measured from the decay per compartment, ``h/log(1/rho)``, is
    ``lam*(1 + eps**2/24 + O(eps**4))`` and the input resistance
    ``1/(gm + 2*ga*(1 - rho)) = R_inf*(1 - eps**2/8 + O(eps**4))`` (``ga = 1/(ra*h)``,
    ``gm = pi*d*h/Rm``).
    """
    r_inf = (2 / np.pi) * np.sqrt(RM * RI) / D ** 1.5 / 2
    assert np.isclose(r_inf, RA * LAM / 2, rtol=1e-14)
    errors = []
    for n in (801, 1601):
        length = 40 * LAM
        h = length / n
        eps = h / LAM
        mid = n // 2
        solver = CableSolver(uniform_cable(n, length), Cm=CM, Ri=RI)
        v = solver.steady_state(gtot=1 / RM, I0=0.0, I_point=point(n, mid))
        # the discrete closed form, to rounding
        rho = 1 + eps ** 2 / 2 - np.sqrt((1 + eps ** 2 / 2) ** 2 - 1)
        ga, gm = 1 / (RA * h), np.pi * D * h / RM
        r_discrete = 1 / (gm + 2 * ga * (1 - rho))
        k = np.arange(n) - mid
        near = np.abs(k) < 10 * LAM / h
        assert np.allclose(v[near], I_INJ * r_discrete * rho ** np.abs(k[near]), rtol=1e-9)
        # space constant from the exponential decay (a log-linear fit over 1..5 lam)
        x = k * h
        fit = (x > LAM) & (x < 5 * LAM)
        lam_measured = -1 / np.polyfit(x[fit], np.log(v[fit]), 1)[0]
        assert abs((lam_measured / LAM - 1) - eps ** 2 / 24) < eps ** 4
        r_in = v[mid] / I_INJ
        error = r_in / r_inf - 1
        assert abs(error - (-eps ** 2 / 8)) < eps ** 4
        errors.append(error)
    assert 3.9 < errors[0] / errors[1] < 4.1  # second order in h


def test_infinite_cable_transient_erf():
    """A current step into the middle of an (effectively) infinite cable: at the
    injection site ``V(0, t) = I*R_inf*erf(sqrt(t/tau))``.  Errors: backward Euler
    O(dt/tau), space O(eps**2); the first-order error in dt halves with dt."""
    n, length = 801, 20 * LAM
    h = length / n
    mid = n // 2
    r_inf = RA * LAM / 2
    solver = CableSolver(uniform_cable(n, length), Cm=CM, Ri=RI)
    errors = {}
    for dt in (TAU / 200, TAU / 400, TAU / 800):
        v = np.zeros(n)
        steps = int(round(TAU / dt))
        for _ in range(steps):
            solver.step(v, dt, gtot=1 / RM, I0=0.0, I_point=point(n, mid))
        exact = I_INJ * r_inf * erf(1.0)
        errors[dt] = v[mid] / exact - 1
    e1, e2, e3 = errors.values()
    assert abs(e3) < 1e-3
    # error = a*dt + c: the dt part halves with dt (first order) ...
    assert 1.9 < (e1 - e2) / (e2 - e3) < 2.1
    # ... and what is left at dt -> 0 (Richardson) is the spatial error, O(eps**2)
    # (-eps**2/8 at steady state)
    eps = h / LAM
    assert abs(2 * e3 - e2) < eps ** 2 / 4


# --- finite sealed cable ----------------------------------------------------------------
def test_finite_sealed_cable_input_resistance():
    """A cable of length L = 1.5 lam, sealed at x = L, current I into x = 0.

    Continuous: input resistance ``R_in = ra*lam*coth(L/lam)`` and
    ``V(x) = I*R_in*cosh((L - x)/lam)/cosh(L/lam)``.  The compartments' potentials are
    the values at their midpoints ``x_k = (k + 1/2)*h`` (compartment 0 receives the
    current): second order in ``h``.  The discrete solution is
    ``v_k = A*cosh(mu*(N - 1/2 - k))`` with ``cosh(mu) = 1 + eps**2/2`` (mirror symmetry
    about the sealed end), ``A`` from compartment 0's balance.
    """
    length = 1.5 * LAM
    r_in = RA * LAM / np.tanh(length / LAM)
    errors = []
    for n in (10, 20, 40, 80):
        h = length / n
        eps = h / LAM
        solver = CableSolver(uniform_cable(n, length), Cm=CM, Ri=RI)
        v = solver.steady_state(gtot=1 / RM, I0=0.0, I_point=point(n, 0))
        mu = np.arccosh(1 + eps ** 2 / 2)
        k = np.arange(n)
        shape = np.cosh(mu * (n - 0.5 - k))
        ga, gm = 1 / (RA * h), np.pi * D * h / RM
        amplitude = I_INJ / (gm * shape[0] + ga * (shape[0] - shape[1]))
        assert np.allclose(v, amplitude * shape, rtol=1e-11)
        x = (k + 0.5) * h
        exact = I_INJ * r_in * np.cosh((length - x) / LAM) / np.cosh(length / LAM)
        error = np.max(np.abs(v / exact - 1))
        assert error < 0.1 * eps ** 2
        errors.append(error)
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 3.9) & (ratios < 4.1))


def test_uniform_decay_is_exponential_everywhere():
    """Uniform initial potential, no input, sealed ends: no axial current flows, every
    compartment of any tree follows backward Euler's ``(1 + dt/tau)**-n`` exactly."""
    morpho = Soma(diameter=20 * um)
    morpho.dend = Section(n=3, diameter=[3, 2, 1.5, 1] * um, length=[20, 30, 40] * um)
    morpho.dend.L = Cylinder(n=4, diameter=1 * um, length=50 * um)
    morpho.dend.R = Cylinder(n=2, diameter=0.5 * um, length=20 * um)
    morpho.axon = Cylinder(n=10, diameter=1 * um, length=200 * um)
    solver = CableSolver(morpho, Cm=1 * uF / cm ** 2, Ri=100 * ohm * cm)
    EL, gL = -0.07, 1 / RM
    v = np.full(morpho.total_compartments, -0.05)
    dt = 1e-4
    for _ in range(50):
        solver.step(v, dt, gtot=gL, I0=gL * EL)
    expected = EL + 0.02 / (1 + dt / TAU) ** 50
    assert np.allclose(v, expected, rtol=1e-12, atol=0)


def test_single_compartment_backward_euler_converges():
    soma = Soma(diameter=30 * um)
    solver = CableSolver(soma, Cm=CM, Ri=RI)
    errors = []
    for steps in (50, 100, 200):
        v = np.array([0.01])
        dt = TAU / steps
        for _ in range(steps):
            solver.step(v, dt, gtot=1 / RM, I0=0.0)
        assert np.isclose(v[0], 0.01 / (1 + dt / TAU) ** steps, rtol=1e-13)
        errors.append(v[0] / (0.01 * np.exp(-1)) - 1)
    assert 1.9 < errors[0] / errors[1] < 2.1 and 1.9 < errors[1] / errors[2] < 2.1


# --- branching trees ------------------------------------------------------------------
def rall_tree(n0, n1, n2, soma=True):
    """A trunk (d0, 0.5 lam0), two children (d1, 0.4 lam1), four grandchildren
    (d2, 0.6 lam2), with ``d_parent**1.5 = 2*d_child**1.5``; the same number of
    compartments per electrotonic length at each level needs n1/n0 = 0.8 etc."""
    d0 = D
    d1 = d0 * 2 ** (-2 / 3)
    d2 = d1 * 2 ** (-2 / 3)
    lams = [np.sqrt(d * RM / (4 * RI)) for d in (d0, d1, d2)]
    lengths = [0.5 * lams[0], 0.4 * lams[1], 0.6 * lams[2]]
    root = Soma(diameter=20 * um) if soma else None
    trunk = Cylinder(n=n0, diameter=d0 * meter, length=lengths[0] * meter)
    for name in ("L", "R"):
        child = Cylinder(n=n1, diameter=d1 * meter, length=lengths[1] * meter)
        trunk.children.add(name, child)
        for grand in ("L", "R"):
            child.children.add(grand, Cylinder(n=n2, diameter=d2 * meter,
                                               length=lengths[2] * meter))
    if root is None:
        return trunk, lams, lengths
    root.trunk = trunk
    return root, lams, lengths


def equivalent_cylinder(n0, n1, n2, lams, lengths, soma=True):
    """Rall's equivalent cylinder: diameter d0, each level's electrotonic length mapped
    to lam0, compartments of the same electrotonic length as in the tree."""
    h = np.concatenate([np.full(n0, lengths[0] / n0),
                        np.full(n1, lengths[1] / n1 * lams[0] / lams[1]),
                        np.full(n2, lengths[2] / n2 * lams[0] / lams[2])])
    cable = Section(n=len(h), diameter=np.full(len(h) + 1, D) * meter, length=h * meter)
    if not soma:
        return cable
    root = Soma(diameter=20 * um)
    root.cable = cable
    return root


def test_rall_equivalent_cylinder():
    """A tree obeying the 3/2 power rule, with equal electrotonic lengths from each
    branch point to the tips, is its equivalent cylinder: the discrete systems are the
    same (each level's compartments have the same conductances summed over the
    branches), so the soma's potential agrees to rounding, at steady state and during a
    current step; the continuous input resistance of the equivalent cylinder
    (``ra*lam*coth(L/lam)``, ``L/lam = 0.5 + 0.4 + 0.6``) plus the soma's membrane
    conductance matches to O(eps**2)."""
    n0, n1, n2 = 10, 8, 12  # 20 compartments per space constant at every level
    tree, lams, lengths = rall_tree(n0, n1, n2)
    cylinder = equivalent_cylinder(n0, n1, n2, lams, lengths)
    assert tree.total_compartments == 1 + n0 + 2 * n1 + 4 * n2
    solvers = [CableSolver(m, Cm=CM, Ri=RI) for m in (tree, cylinder)]
    currents = [point(m.total_compartments, 0) for m in (tree, cylinder)]
    steady = [s.steady_state(1 / RM, 0.0, i) for s, i in zip(solvers, currents, strict=True)]
    assert np.isclose(steady[0][0], steady[1][0], rtol=1e-10)
    # every level of the tree matches the cylinder compartment by compartment
    grand = np.asarray(tree.trunk.L.L.indices[:])
    assert np.allclose(steady[0][grand], steady[1][1 + n0 + n1:], rtol=1e-10)
    traces = [[], []]
    for which in (0, 1):
        v = np.zeros(solvers[which].n)
        for _ in range(200):
            solvers[which].step(v, TAU / 100, 1 / RM, 0.0, currents[which])
            traces[which].append(v[0])
    assert np.allclose(traces[0], traces[1], rtol=1e-10, atol=0)
    # continuous theory
    electrotonic = 0.5 + 0.4 + 0.6
    g_soma = np.pi * (20e-6) ** 2 / RM
    r_in = 1 / (g_soma + np.tanh(electrotonic) / (RA * LAM))
    eps = lengths[0] / n0 / LAM
    assert abs(steady[0][0] / (I_INJ * r_in) - 1) < 0.2 * eps ** 2


def test_rall_tree_without_soma_matches_branching_in_flat_order():
    tree, lams, lengths = rall_tree(5, 4, 6, soma=False)
    cylinder = equivalent_cylinder(5, 4, 6, lams, lengths, soma=False)
    v_tree = CableSolver(tree, CM, RI).steady_state(1 / RM, 0.0, point(5 + 8 + 24, 0))
    v_cyl = CableSolver(cylinder, CM, RI).steady_state(1 / RM, 0.0, point(15, 0))
    assert np.allclose(v_tree[:5], v_cyl[:5], rtol=1e-10)
    for section in (tree.L, tree.R):
        assert np.allclose(v_tree[np.asarray(section.indices[:])], v_cyl[5:9], rtol=1e-10)
    for section in (tree.LL, tree.LR, tree.RL, tree.RR):
        assert np.allclose(v_tree[np.asarray(section.indices[:])], v_cyl[9:], rtol=1e-10)


def test_ball_and_stick_steady_state():
    """Soma (diameter 20 um) and a sealed dendrite (1.5 lam), steady current into the
    soma: ``R_in = 1/(pi*ds**2/Rm + tanh(L/lam)/(ra*lam))``; second order in h."""
    length = 1.5 * LAM
    ds = 20e-6
    r_in = 1 / (np.pi * ds ** 2 / RM + np.tanh(length / LAM) / (RA * LAM))
    errors = []
    for n in (10, 20, 40, 80):
        morpho = Soma(diameter=ds * meter)
        morpho.dend = uniform_cable(n, length)
        solver = CableSolver(morpho, Cm=CM, Ri=RI)
        v = solver.steady_state(1 / RM, 0.0, point(n + 1, 0))
        eps = length / n / LAM
        error = v[0] / (I_INJ * r_in) - 1
        assert abs(error) < 0.2 * eps ** 2
        # and the dendrite's profile: cosh((L - x)/lam) from the soma's potential
        x = (np.arange(n) + 0.5) * length / n
        profile = v[0] * np.cosh((length - x) / LAM) / np.cosh(length / LAM)
        assert np.allclose(v[1:], profile, rtol=0.5 * eps ** 2 + 1e-12)
        errors.append(error)
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 3.9) & (ratios < 4.1))


def test_ball_and_stick_transient_converges_in_dt():
    morpho = Soma(diameter=20 * um)
    morpho.dend = uniform_cable(20, 1.5 * LAM)
    solver = CableSolver(morpho, Cm=CM, Ri=RI)

    def run(steps):
        v = np.zeros(21)
        dt = TAU / steps
        for _ in range(steps):
            solver.step(v, dt, 1 / RM, 0.0, point(21, 0))
        return v

    reference = run(12800)
    errors = [np.max(np.abs(run(s) - reference)) for s in (100, 200, 400)]
    assert 1.8 < errors[0] / errors[1] < 2.2 and 1.8 < errors[1] / errors[2] < 2.2


# --- Brian 2's linear system, dense -----------------------------------------------------
def exact_solve(rows, b):
    """Solve the sparse system ``rows`` (a dict of column -> value per row) with
    right-hand side ``b`` in exact rational arithmetic, by Gaussian elimination over the
    non-zero entries: a reference free of rounding, whatever the conditioning (a soma's
    nodes have conductances ~1e9 times its membrane's)."""
    size = len(b)
    for k in range(size):
        pivot = rows[k][k]
        for i in range(k + 1, size):
            factor = rows[i].get(k)
            if not factor:
                continue
            factor = factor / pivot
            for j, value in rows[k].items():
                rows[i][j] = rows[i].get(j, 0) - factor * value
            del rows[i][k]
            b[i] -= factor * b[k]
    x = [Fraction(0)] * size
    for k in range(size - 1, -1, -1):
        total = b[k] - sum(value * x[j] for j, value in rows[k].items() if j > k)
        x[k] = total / rows[k][k]
    return np.array([float(value) for value in x])


def dense_step(morpho, v, dt, Cm, Ri, gtot, I0, I_point):
    """Backward Euler of Brian 2's compartmental system, written out as a matrix:
    unknowns are the compartments and one node per section end (plus the root's start),
    the nodes without membrane (Kirchhoff), conductances from r_length_1/2 and Ri; the
    matrix is assembled and solved in exact arithmetic from the float coefficients."""
    flat = FlatMorphology(morpho)
    n, s = flat.n, flat.sections
    size = n + s + 1
    area = flat.area
    rows = [{} for _ in range(size)]
    for i in range(n):
        rows[i][i] = Fraction(float(area[i] * (Cm[i] / dt + gtot[i])))
    b = [Fraction(float(value)) for value in area * (Cm / dt * v + I0) + I_point]
    b += [Fraction(0)] * (size - n)

    def connect(i, j, g):
        g = Fraction(float(g))
        rows[i][i] = rows[i].get(i, 0) + g
        rows[j][j] = rows[j].get(j, 0) + g
        rows[i][j] = rows[i].get(j, 0) - g
        rows[j][i] = rows[j].get(i, 0) - g

    for k in range(s):
        first, last = flat.starts[k], flat.ends[k] - 1
        for i in range(first + 1, last + 1):
            connect(i - 1, i, 1 / (Ri * (1 / flat.r_length_2[i - 1] + 1 / flat.r_length_1[i])))
        connect(n + flat.morph_parent_i[k], first, flat.r_length_1[first] / Ri)
        connect(n + k + 1, last, flat.r_length_2[last] / Ri)
    return exact_solve(rows, b)[:n]


@st.composite
def random_problems(draw):
    sections = []
    kind = draw(st.sampled_from(["soma", "cylinder", "section"]))

    def make(kind):
        n = draw(st.integers(1, 5))
        if kind == "soma":
            return Soma(diameter=draw(st.floats(5, 40)) * um)
        if kind == "cylinder":
            return Cylinder(n=n, diameter=draw(st.floats(0.3, 5)) * um,
                            length=draw(st.floats(2, 200)) * um)
        diameters = draw(st.lists(st.floats(0.3, 5), min_size=n + 1, max_size=n + 1))
        lengths = draw(st.lists(st.floats(1, 100), min_size=n, max_size=n))
        return Section(n=n, diameter=diameters * um, length=lengths * um)

    root = make(kind)
    sections.append(root)
    for k in range(draw(st.integers(0, 8))):
        parent = sections[draw(st.integers(0, len(sections) - 1))]
        child = make(draw(st.sampled_from(["cylinder", "section", "cylinder", "soma"])))
        parent.children.add(f"c{k}", child)
        sections.append(child)
    n = root.total_compartments
    values = st.lists(st.floats(-1, 1), min_size=n, max_size=n).map(np.array)
    return dict(
        morpho=root,
        v=draw(values) * 0.05,
        dt=draw(st.floats(1e-6, 1e-3)),
        Cm=0.005 + 0.01 * np.abs(draw(values)),
        Ri=draw(st.floats(0.5, 3)),
        gtot=5 * (1 + draw(values)),
        I0=draw(values),
        I_point=draw(values) * 1e-10,
    )


@settings(max_examples=80, deadline=None)
@given(random_problems())
def test_matches_dense_solve_and_conserves_charge(problem):
    morpho = problem["morpho"]
    solver = CableSolver(morpho, Cm=problem["Cm"], Ri=problem["Ri"])
    v = problem["v"].copy()
    solver.step(v, problem["dt"], problem["gtot"], problem["I0"], problem["I_point"])
    expected = dense_step(morpho, problem["v"], problem["dt"], problem["Cm"], problem["Ri"],
                          problem["gtot"], problem["I0"], problem["I_point"])
    scale = np.max(np.abs(expected)) + np.max(np.abs(problem["v"]))
    assert np.max(np.abs(v - expected)) <= 1e-12 * scale
    # charge: what the capacitors gained is what crossed the membrane and the electrodes
    # (axial currents only move charge inside the neuron)
    area = solver.area
    gained = np.sum(area * problem["Cm"] * (v - problem["v"]))
    membrane = area * (problem["I0"] - problem["gtot"] * v) + problem["I_point"]
    supplied = problem["dt"] * np.sum(membrane)
    terms = np.sum(np.abs(area * problem["Cm"] * v)) + problem["dt"] * np.sum(np.abs(membrane))
    assert abs(gained - supplied) <= 1e-11 * terms


def brian2_step(flat, v, dt, Cm, Ri, gtot, I0):
    """Brian 2's own algorithm (its numpy template ``spatialstateupdate.py_``, rewritten
    here): per section a particular solution ``v_star`` and two homogeneous solutions
    ``u_plus``/``u_minus`` (banded solves), then the small system for the potentials of
    the nodes between sections, then ``v = v_star + V_start*u_minus + V_end*u_plus``."""
    from scipy.linalg import solve_banded

    n, sections = flat.n, flat.sections
    area, r1, r2 = flat.area, flat.r_length_1, flat.r_length_2
    starts, ends = flat.starts, flat.ends
    invr = np.zeros(n)
    invr[1:] = 1 / (Ri * (1 / r2[:-1] + 1 / r1[1:]))
    invr[starts] = 0
    upper, lower = np.zeros(n), np.zeros(n)
    upper[1:] = invr[1:] / area[:-1]
    lower[:-1] = invr[1:] / area[1:]
    diagonal = -(Cm / dt) - invr / area
    diagonal[:-1] -= invr[1:] / area[:-1]
    b_plus, b_minus = np.zeros(n), np.zeros(n)
    invr0, invrn = r1[starts] / Ri, r2[ends - 1] / Ri
    for k in range(sections):
        first, last = starts[k], ends[k] - 1
        diagonal[first] -= invr0[k] / area[first]
        diagonal[last] -= invrn[k] / area[last]
        b_plus[last] = -invrn[k] / area[last]
        b_minus[first] = -invr0[k] / area[first]
    bands = np.array([upper, diagonal - gtot, lower])
    v_star = solve_banded((1, 1), bands, -(Cm / dt * v) - I0)
    u_plus = solve_banded((1, 1), bands, b_plus)
    u_minus = solve_banded((1, 1), bands, b_minus)
    # the node system: node 0 is the root's start, node k + 1 the end of section k
    width = len(flat.morph_children) // len(flat.morph_children_num)
    p_children = np.zeros((sections + 1, width))
    children = flat.morph_children.reshape(-1, width)
    p_diag, p_parent, rhs = np.zeros(sections + 1), np.zeros(sections), np.zeros(sections + 1)
    for k in range(sections):
        first, last = starts[k], ends[k] - 1
        parent_node = flat.morph_parent_i[k]
        if k == 0:  # sealed start: V0 = v[first]
            p_diag[0] = u_minus[first] - 1
            p_children[0, 0] = u_plus[first]
            rhs[0] = -v_star[first]
        else:
            p_diag[parent_node] += (1 - u_minus[first]) * invr0[k]
            p_children[parent_node, flat.morph_idxchild[k]] = -u_plus[first] * invr0[k]
            rhs[parent_node] += v_star[first] * invr0[k]
        p_diag[k + 1] = (1 - u_plus[last]) * invrn[k]
        p_parent[k] = -u_minus[last] * invrn[k]
        rhs[k + 1] = v_star[last] * invrn[k]
    for i in range(sections, -1, -1):  # eliminate the children's rows
        for c in range(flat.morph_children_num[i]):
            j = children[i, c]
            factor = p_children[i, c] / p_diag[j]
            p_diag[i] -= factor * p_parent[j - 1]
            rhs[i] -= factor * rhs[j]
    rhs[0] /= p_diag[0]
    for k in range(sections):
        rhs[k + 1] = (rhs[k + 1] - p_parent[k] * rhs[flat.morph_parent_i[k]]) / p_diag[k + 1]
    new = np.empty(n)
    for k in range(sections):
        part = slice(starts[k], ends[k])
        new[part] = (v_star[part] + rhs[flat.morph_parent_i[k]] * u_minus[part]
                     + rhs[k + 1] * u_plus[part])
    return new


@pytest.mark.parametrize("with_soma", [False, True])
def test_same_numbers_as_brian2_algorithm(with_soma):
    """Brian 2's domain decomposition and this solver give the same step (to Brian 2's
    rounding, which the soma's large conductances amplify)."""
    tree, _, _ = rall_tree(4, 3, 5, soma=with_soma)
    tree = tree.trunk if with_soma else tree
    if with_soma:
        root = Soma(diameter=25 * um)
        root.dend = Section(n=3, diameter=[3, 2, 2, 1] * um, length=[10, 20, 30] * um)
        root.axon = Cylinder(n=6, diameter=1 * um, length=300 * um)
        root.axon.L = Cylinder(n=2, diameter=0.5 * um, length=50 * um)
        root.axon.R = Cylinder(n=3, diameter=0.7 * um, length=50 * um)
        root.axon.R.bouton = Soma(diameter=3 * um)
        root.axon.R.bouton.tail = Cylinder(n=2, diameter=0.5 * um, length=20 * um)
        tree = root
    flat = FlatMorphology(tree)
    rng = np.random.default_rng(7)
    n = flat.n
    v = rng.uniform(-0.08, 0.02, n)
    Cm = rng.uniform(0.005, 0.02, n)
    gtot = rng.uniform(0.1, 50, n)
    I0 = rng.uniform(-1, 1, n)
    I_point = rng.uniform(-1e-10, 1e-10, n)
    dt = 2.5e-5
    expected = brian2_step(flat, v, dt, Cm, 1.2, gtot, I0 + I_point / flat.area)
    mine = v.copy()
    CableSolver(flat, Cm, 1.2).step(mine, dt, gtot, I0, I_point)
    exact = dense_step(tree, v, dt, Cm, 1.2, gtot, I0, I_point)
    tolerance = 1e-8 if with_soma else 1e-13  # measured: 6e-10 and 3e-16
    assert np.max(np.abs(expected - exact)) < tolerance * np.max(np.abs(exact))
    assert np.max(np.abs(mine - exact)) < 1e-14 * np.max(np.abs(exact))  # measured 2e-16


# --- interface --------------------------------------------------------------------------
def test_tree_layout():
    morpho = Soma(diameter=20 * um)
    morpho.a = Cylinder(n=2, diameter=1 * um, length=10 * um)
    morpho.a.b = Cylinder(n=1, diameter=1 * um, length=10 * um)
    morpho.c = Cylinder(n=1, diameter=1 * um, length=10 * um)
    tree = build_tree(FlatMorphology(morpho), RI)
    # soma, soma's node, a0, a1, a's node, b0, c0: every unknown after its parent
    assert tree.n_unknowns == 7 and tree.n_compartments == 5
    assert tree.parent.tolist() == [-1, 0, 1, 2, 3, 4, 1]
    assert tree.compartment_unknown.tolist() == [0, 2, 3, 5, 6]
    assert np.isclose(tree.g[1], 1.0 / RI)  # the soma's r_length_2 = 1 m
    r = np.pi / 2 * (1e-6) ** 2 / 5e-6
    assert np.isclose(tree.g[2], r / RI) and np.isclose(tree.g[3], r / 2 / RI)


def test_quantities_and_ic():
    morpho = Soma(diameter=20 * um)
    morpho.dend = Cylinder(n=5, diameter=1 * um, length=100 * um)
    solver = CableSolver(morpho, Cm=1 * uF / cm ** 2, Ri=150 * ohm * cm)
    assert np.isclose(solver.Ri, 1.5) and np.allclose(solver.Cm, 0.01)
    v = np.full(6, -0.065)
    ic = np.zeros(6)
    gL = 5e-5 * siemens / cm ** 2
    solver.step(v, 0.1e-3, gtot=gL, I0=gL * (-70 * mV), Ic=ic)
    v_plain = np.full(6, -0.065)
    solver.step(v_plain, 1e-4, gtot=0.5, I0=-0.035)
    assert np.array_equal(v, v_plain)
    assert np.allclose(ic, 0.01 * (v + 0.065) / 1e-4)
    # Ic balances the membrane current (no axial current: uniform potential)
    assert np.allclose(ic, -0.035 - 0.5 * v, rtol=1e-10)
    solver.Ri = 1.0  # rebuilds the conductances
    assert np.isclose(solver.tree.g[1], 1.0)


def test_kernel_called_directly():
    morpho = Cylinder(n=3, diameter=1 * um, length=30 * um)
    tree = build_tree(FlatMorphology(morpho), RI)
    v = np.array([0.0, 0.01, 0.0])
    work = [np.zeros(tree.n_unknowns) for _ in range(3)]
    area = np.asarray(morpho.area)
    ones = np.ones(3)
    cable_step(v, 1e4, CM * ones, area, 0.5 * ones, 0 * ones, 0 * ones, tree.parent, tree.g,
               tree.compartment_unknown, *work)
    assert v[1] > v[0] > 0 and np.isclose(v[0], v[2])


@pytest.mark.parametrize("make, error, words", [
    (lambda: CableSolver("soma", CM, RI), TypeError, "'morphology'"),
    (lambda: CableSolver(Soma(diameter=1 * um), 1 * mV, RI), DimensionMismatchError, "'Cm'"),
    (lambda: CableSolver(Soma(diameter=1 * um), -CM, RI), ValueError, "'Cm'"),
    (lambda: CableSolver(Soma(diameter=1 * um), CM, 1 * ohm), DimensionMismatchError, "'Ri'"),
    (lambda: CableSolver(Soma(diameter=1 * um), CM, -1.0), ValueError, "Ri"),
    (lambda: CableSolver(Soma(diameter=1 * um), CM, [1.0, 2.0]), ValueError, "'Ri'"),
    (lambda: CableSolver(Soma(diameter=1 * um), [CM, CM], RI), ValueError, "'Cm'.*(1)"),
])
def test_constructor_errors(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_zero_diameter_points():
    """A leaf tapering to a point is fine (its sealed end carries no current); a point of
    zero diameter where the cable goes on would cut it: an error."""
    morpho = Soma(diameter=20 * um)
    morpho.tip = Section(n=3, diameter=[2, 1.5, 1, 0] * um, length=[10, 10, 10] * um)
    solver = CableSolver(morpho, CM, RI)
    v = np.full(4, 0.01)
    solver.step(v, 1e-4, 1 / RM, 0.0)
    assert np.allclose(v, 0.01 / (1 + 1e-4 / TAU))
    cut = Soma(diameter=20 * um)
    cut.dend = Section(n=2, diameter=[1, 0, 1] * um, length=[10, 10] * um)
    with pytest.raises(ValueError, match="compartment 2"):
        CableSolver(cut, CM, RI)
    cut = Soma(diameter=20 * um)
    cut.dend = Section(n=1, diameter=[1, 0] * um, length=[10] * um)
    cut.dend.more = Cylinder(diameter=1 * um, length=10 * um)
    with pytest.raises(ValueError, match="zero or infinite"):
        CableSolver(cut, CM, RI)


def test_step_errors():
    solver = CableSolver(uniform_cable(3, 30e-6), CM, RI)
    v = np.zeros(3)
    with pytest.raises(TypeError, match="'v'"):
        solver.step(np.zeros(3, dtype=np.float32), 1e-4, 0.5, 0.0)
    with pytest.raises(TypeError, match="'v'"):
        solver.step(np.zeros(4), 1e-4, 0.5, 0.0)
    with pytest.raises(ValueError, match="'dt'"):
        solver.step(v, 0.0, 0.5, 0.0)
    with pytest.raises(DimensionMismatchError, match="'dt'"):
        solver.step(v, 1 * mV, 0.5, 0.0)
    with pytest.raises(ValueError, match="'gtot'"):
        solver.step(v, 1e-4, np.ones(2), 0.0)
    with pytest.raises(DimensionMismatchError, match="'I_point'"):
        solver.step(v, 1e-4, 0.5, 0.0, I_point=1 * mV)
    with pytest.raises(DimensionMismatchError, match="'gtot'"):
        solver.step(v, 1e-4, 0.5 * ohm, 0.0)
    with pytest.raises(ValueError, match="singular"):
        solver.steady_state(0.0, 0.0)
    v[:] = 0.01
    with pytest.raises(ValueError, match="singular"):
        solver.step(v, 0.5, -2 * CM, 0.0)  # Cm/dt + gtot = 0 exactly
    assert np.all(v == 0.01)  # untouched

"""Rothman & Manis (2003) models of ventral cochlear nucleus neurons.

Rothman JS, Manis PB (2003) The roles potassium currents play in regulating the
electrical activity of ventral cochlear nucleus neurons. J Neurophysiol 89:3097-3113.

One single-compartment model with sodium, high- and low-threshold potassium,
transient potassium, hyperpolarisation-activated and leak currents; the cell
types differ only by their maximal conductances (22 degrees C, 12 pF).
:func:`model` gives the equations and the namespace for a cell type, ready for a
NeuronGroup driven by an input current ``I``.
"""

from __future__ import annotations

from sim.units import mV, nS, pF

__all__ = ["CELL_TYPES", "model"]

#: Maximal conductances (nS): Na, KHT, KLT, KA, h, leak.
CELL_TYPES: dict[str, tuple[float, float, float, float, float, float]] = {
    "type1c": (1000, 150, 0, 0, 0.5, 2),  # "classic" stellate: regular firing
    "type1t": (1000, 80, 0, 65, 0.5, 2),  # stellate with transient K+
    "type12": (1000, 150, 20, 0, 2, 2),
    "type21": (1000, 150, 35, 0, 3.5, 2),
    "type2": (1000, 150, 200, 0, 20, 2),  # bushy: onset firing (large KLT)
}

# Kinetics at 22 degrees C (q10 = 1); ``u`` is the membrane potential in mV.
_CURRENTS = """
dv/dt = (i_leak + i_na + i_kht + i_klt + i_ka + i_h + I)/C : volt
u = v/mV : 1
I : amp
i_leak = g_leak*(E_leak - v) : amp
i_na = g_na*m**3*h*(E_na - v) : amp
dm/dt = (m_inf - m)/tau_m : 1
dh/dt = (h_inf - h)/tau_h : 1
m_inf = 1/(1 + exp(-(u + 38)/7)) : 1
h_inf = 1/(1 + exp((u + 65)/6)) : 1
tau_m = (10/(5*exp((u + 60)/18) + 36*exp(-(u + 60)/25)) + 0.04)*ms : second
tau_h = (100/(7*exp((u + 60)/11) + 10*exp(-(u + 60)/25)) + 0.6)*ms : second
i_kht = g_kht*(0.85*n**2 + 0.15*p)*(E_k - v) : amp
dn/dt = (n_inf - n)/tau_n : 1
dp/dt = (p_inf - p)/tau_p : 1
n_inf = (1 + exp(-(u + 15)/5))**-0.5 : 1
p_inf = 1/(1 + exp(-(u + 23)/6)) : 1
tau_n = (100/(11*exp((u + 60)/24) + 21*exp(-(u + 60)/23)) + 0.7)*ms : second
tau_p = (100/(4*exp((u + 60)/32) + 5*exp(-(u + 60)/22)) + 5)*ms : second
i_klt = g_klt*w**4*z*(E_k - v) : amp
dw/dt = (w_inf - w)/tau_w : 1
dz/dt = (z_inf - z)/tau_z : 1
w_inf = (1/(1 + exp(-(u + 48)/6)))**0.25 : 1
z_inf = 0.5 + 0.5/(1 + exp((u + 71)/10)) : 1
tau_w = (100/(6*exp((u + 60)/6) + 16*exp(-(u + 60)/45)) + 1.5)*ms : second
tau_z = (1000/(exp((u + 60)/20) + exp(-(u + 60)/8)) + 50)*ms : second
i_ka = g_ka*a**4*b*c*(E_k - v) : amp
da/dt = (a_inf - a)/tau_a : 1
db/dt = (b_inf - b)/tau_b : 1
dc/dt = (c_inf - c)/tau_c : 1
a_inf = (1/(1 + exp(-(u + 31)/6)))**0.25 : 1
b_inf = (1/(1 + exp((u + 66)/7)))**0.5 : 1
c_inf = (1/(1 + exp((u + 66)/7)))**0.5 : 1
tau_a = (100/(7*exp((u + 60)/14) + 29*exp(-(u + 60)/24)) + 0.1)*ms : second
tau_b = (1000/(14*exp((u + 60)/27) + 29*exp(-(u + 60)/24)) + 1)*ms : second
tau_c = (90/(1 + exp((-66 - u)/17)) + 10)*ms : second
i_h = g_h*r*(E_h - v) : amp
dr/dt = (r_inf - r)/tau_r : 1
r_inf = 1/(1 + exp((u + 76)/7)) : 1
tau_r = (100000/(237*exp((u + 60)/12) + 17*exp(-(u + 60)/14)) + 25)*ms : second
"""


def model(cell_type: str) -> tuple[str, dict]:
    """Equations (a model string with an input current ``I : amp``) and namespace of a
    Rothman & Manis cell type (``'type1c'``, ``'type1t'``, ``'type12'``, ``'type21'``,
    ``'type2'``).  Integrate with ``method='exponential_euler'``."""
    if cell_type not in CELL_TYPES:
        raise ValueError(f"Unknown cell type {cell_type!r} (known: {', '.join(CELL_TYPES)})")
    g_na, g_kht, g_klt, g_ka, g_h, g_leak = (g * nS for g in CELL_TYPES[cell_type])
    namespace = dict(
        C=12 * pF, E_na=50 * mV, E_k=-70 * mV, E_h=-43 * mV, E_leak=-65 * mV,
        g_na=g_na, g_kht=g_kht, g_klt=g_klt, g_ka=g_ka, g_h=g_h, g_leak=g_leak,
    )
    return _CURRENTS, namespace

"""The cable step of a `SpatialNeuron` for the cuda target's device-resident run loop: the
CUDA C form of `sim.spatial.cable.cable_loop_step` (``loop_ops.CallCompiled.cuda_source``).

The kernel does the numba function's operations on the same doubles in the same order
(Hines's elimination from the leaves to the root, substitution back, then ``Ic``), so on
the CUDA runtime's host backend, compiled without FMA contraction as the numba function
is, the results are the same bit for bit; on a GPU too (there is no libm call: only
``+ - * /``, which IEEE 754 rounds the same everywhere, ``-fmad=false`` keeping
products and sums apart).  Where numba and C differ it does not matter here: the
arithmetic is on doubles only (no ``%``, ``//``, ``**``, ``min``/``max``), every index
is non-negative (no wrap-around), and ``a*b/c`` is ``(a*b)/c`` in both.

A `SpatialNeuron` is one tree: the solve is serial along the tree (each elimination
needs its children's), so the kernel is one thread per tree — one thread in all — striding
over its trees as every loop kernel strides over its work.  The arrays carry no lengths
(the numba function reads ``v.shape[0]`` and ``parent.shape[0]``), so the number of
compartments and of unknowns are constants of the source, and part of the kernel's name:
two neurons of different sizes in one network get two kernels, neurons of the same sizes
share one.

A singular system (a zero pivot: ``Cm/dt + gtot`` is not positive somewhere, which
`SpatialStateUpdater.before_run` cannot rule out when ``gtot`` is negative) raises
``ZeroDivisionError`` in numba before ``v`` is written; a kernel cannot raise, so here
``v`` and ``Ic`` become NaN, which the run's monitors show (and a threshold never crosses)."""

from __future__ import annotations

__all__ = ["cable_kernel_name", "cable_kernel_source"]

_TEMPLATE = r"""
// sim.spatial.cable.cable_loop_step: one backward-Euler step of the cable equation on a
// tree of HS_N compartments and HS_U unknowns (compartments and branch-point nodes)
// (the device loop's clock arguments first: it runs at its own clock's ticks only)
extern "C" __global__ void NAME(const int64_t* _clock, int64_t _every, double dt, double* v,
        double* Cm, double* area, double* gtot, double* I0, double* I_point, int64_t* parent,
        double* g, int64_t* compartment_unknown, double* e, double* b, double* x,
        double* v_previous, double* Ic) {
    if (_clock[0] % _every != 0) return;
    const int64_t n = HS_N;
    const int64_t n_unknowns = HS_U;
    const int64_t n_trees = 1;
    for (int64_t tree = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; tree < n_trees;
         tree += (int64_t)gridDim.x * blockDim.x) {
        for (int64_t i = 0; i < n; i++) {
            v_previous[i] = v[i];
        }
        const double inv_dt = 1.0 / dt;
        for (int64_t k = 0; k < n_unknowns; k++) {
            e[k] = 0.0;
            b[k] = 0.0;
        }
        for (int64_t i = 0; i < n; i++) {
            const int64_t u = compartment_unknown[i];
            const double c = area[i] * Cm[i] * inv_dt;
            e[u] = c + area[i] * gtot[i];
            b[u] = c * v[i] + area[i] * I0[i] + I_point[i];
        }
        int singular = 0;
        // eliminate from the leaves to the root (every unknown comes after its parent)
        for (int64_t u = n_unknowns - 1; u > 0; u--) {
            const int64_t p = parent[u];
            const double gu = g[u];
            const double denominator = e[u] + gu;
            if (denominator == 0.0) {
                singular = 1;
                break;
            }
            e[p] += gu * e[u] / denominator;
            b[p] += gu * b[u] / denominator;
        }
        if (singular || e[0] == 0.0) {  // numba raises ZeroDivisionError before writing v
            for (int64_t i = 0; i < n; i++) {
                v[i] = NAN;
                Ic[i] = NAN;
            }
            continue;
        }
        x[0] = b[0] / e[0];
        for (int64_t u = 1; u < n_unknowns; u++) {
            x[u] = (b[u] + g[u] * x[parent[u]]) / (e[u] + g[u]);
        }
        for (int64_t i = 0; i < n; i++) {
            v[i] = x[compartment_unknown[i]];
        }
        for (int64_t i = 0; i < n; i++) {
            Ic[i] = Cm[i] * (v[i] - v_previous[i]) / dt;
        }
    }
}
"""


def cable_kernel_name(n_compartments: int, n_unknowns: int) -> str:
    """The kernel's name for a tree of these sizes (``hs_cable_step_<n>_<unknowns>``)."""
    return f"hs_cable_step_{int(n_compartments)}_{int(n_unknowns)}"


def cable_kernel_source(n_compartments: int, n_unknowns: int) -> str:
    """CUDA C defining ``extern "C" __global__ void <cable_kernel_name(...)>(const int64_t*
    _clock, int64_t _every, double dt, ...)`` (the device loop's clock arguments of
    ``loop_ops.CallCompiled``) with `cable_loop_step`'s arguments after ``t, dt`` (float64
    arrays as ``double*``, the tree's int64 arrays as ``int64_t*``), for one thread."""
    n, u = int(n_compartments), int(n_unknowns)
    if n < 1 or u < n:
        raise ValueError(f"cable_kernel_source: {n} compartments and {u} unknowns")
    return (_TEMPLATE.replace("NAME", cable_kernel_name(n, u))
            .replace("HS_N", str(n)).replace("HS_U", str(u)))

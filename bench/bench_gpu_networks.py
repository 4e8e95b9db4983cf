"""Spiking networks on numba and on the cuda target, in the same run (issue 13).

Brian 2's CUBA example (80% excitatory, 20% inhibitory LIF neurons, ``ge``/``gi``
current-based synapses, ``exact`` integration) at ``--sizes`` neurons with ``--synapses``
synapses per neuron (connection probability ``K / N``; with ``K`` other than Brian 2's 80
the weights are scaled by ``80 / K`` so that the network stays in the same regime), and
Brian 2's COBAHH example (Hodgkin-Huxley neurons, conductance synapses,
``exponential_euler``, 80 synapses per neuron) at ``--cobahh-sizes`` neurons.
dt = 0.1 ms, seed 1.

Two more cases, each under its own key (``networks`` keeps CUBA and COBAHH only):

``brunel_hakim``: Brian 2's ``Brunel_Hakim_1999`` example (LIF neurons driven by noise
``xi``, sparse random recurrent inhibition, ``--brunel-synapses`` synapses per neuron,
Brian 2's 1000 by default; with another ``C`` the weight is scaled by ``1000 / C``; the
initial ``V`` uniform between reset and threshold rather than all at reset, so that the
timed run does not start in the synchronous transient) at ``--brunel-sizes`` neurons, run
twice: with heterogeneous delays (uniform in 0-5 ms per synapse) and with one delay
(``--brunel-delay-ms``, Brian 2's 2 ms). ``heterogeneous_over_homogeneous`` is the time of
the first over the second, per target (issue 13's goal: within 2x).

``fitting``: one round of a `SpikeFitter` (LIF, per-candidate ``R``, ``tau`` and
``refractory``, ``exponential_euler``, the gamma factor, `RandomSearch` with seed 0 so both
targets evaluate the same candidates) of ``--fit-candidates`` candidates x 1 input trace of
``--fit-seconds`` at 0.1 ms (issue 13's goal: 100000 x 10 s). A round on a fitter of 10
candidates of the same model and input comes first (it loads or compiles the code); then
``fit(n_rounds=1)`` is timed (``seconds``: the whole round, simulation and errors).
``errors_equal``: the errors of every candidate are equal on both targets (on the host
backend they are); ``error_difference_max`` is the largest |numba - cuda| over the finite
errors.

For each network, size and target: the network is built, run for ``--warmup-ms`` (this
loads or compiles the code), then run for ``--duration-ms`` and that second run is timed
(``seconds``) and its spikes counted (``spikes``). ``numba_over_cuda`` is numba's time
over cuda's (> 1: the GPU is faster). On the host backend (the CUDA C compiled as host
C++) the spikes are equal; on a GPU they may differ slightly (atomic float additions in
the synaptic delivery add in the order the threads arrive).

Where no CUDA backend can run, the numba figures are still printed and ``cuda`` says
``unavailable`` with the reason (exit code 0).

    python bench/bench_gpu_networks.py [--sizes 4000,64000,256000] [--synapses 80,1000]
        [--cobahh-sizes 64000] [--brunel-sizes 5000,64000] [--brunel-synapses 1000]
        [--fit-candidates 10000] [--fit-seconds 10] [--duration-ms 1000] [--warmup-ms 10]
        [--backend auto]
    python bench/bench_gpu_networks.py --quick     # small sizes, 20 ms, host backend
    python bench/bench_gpu_networks.py --sizes '' --cobahh-sizes '' --brunel-sizes '' \
        --fit-candidates 100000 --fit-seconds 10   # the issue's fitting goal alone
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

#: the defaults of a GPU run
SIZES = (4000, 64000, 256000)
SYNAPSES = (80, 1000)
COBAHH_SIZES = (64000,)
BRUNEL_SIZES = (5000, 64000)
BRUNEL_SYNAPSES = 1000
BRUNEL_DELAY_MS = 2.0
FIT_CANDIDATES = 10000
FIT_SECONDS = 10.0
DURATION_MS = 1000.0
WARMUP_MS = 10.0
#: ``--quick``: small enough for the host backend on a 2-core machine
QUICK = dict(sizes=(1000,), synapses=(80,), cobahh_sizes=(1000,), brunel_sizes=(1000,),
             brunel_synapses=100, fit_candidates=200, fit_seconds=0.2, duration_ms=20.0,
             warmup_ms=2.0, backend="host")
#: the candidates of the warm-up round of the fitting case
FIT_WARMUP_CANDIDATES = 10


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip()) if text.strip() else ()


def build_cuba(sim, n: int, k: int):
    """Brian 2's CUBA example with ``k`` synapses per neuron (weights scaled by 80/k)."""
    mV, ms = sim.mV, sim.ms
    scale = 80.0 / k
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV,
              El=-49 * mV, we=(60 * 0.27 / 10) * mV * scale, wi=(-20 * 4.5 / 10) * mV * scale)
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = sim.NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="exact", namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    Ce = sim.Synapses(P, P, on_pre="ge += we", namespace=ns)
    Ci = sim.Synapses(P, P, on_pre="gi += wi", namespace=ns)
    p = min(1.0, k / n)
    Ce.connect(f"i<{int(n * 0.8)}", p=p)
    Ci.connect(f"i>={int(n * 0.8)}", p=p)
    return P, [Ce, Ci]


def build_cobahh(sim, n: int, k: int = 80):
    """Brian 2's COBAHH example (its 4000 neurons and p = 0.02 become n and k / n)."""
    cm, mV, ms, msiemens, nS = sim.cm, sim.mV, sim.ms, sim.msiemens, sim.nS
    siemens, ufarad, umetre = sim.siemens, sim.ufarad, sim.umetre
    area = 20000 * umetre ** 2
    ns = dict(Cm=(1 * ufarad * cm ** -2) * area, gl=(5e-5 * siemens * cm ** -2) * area,
              El=-60 * mV, EK=-90 * mV, ENa=50 * mV,
              g_na=(100 * msiemens * cm ** -2) * area, g_kd=(30 * msiemens * cm ** -2) * area,
              VT=-63 * mV, taue=5 * ms, taui=10 * ms, Ee=0 * mV, Ei=-80 * mV,
              we=6 * nS, wi=67 * nS)
    eqs = sim.Equations("""
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-
             g_na*(m*m*m)*h*(v-ENa)-
             g_kd*(n*n*n*n)*(v-EK))/Cm : volt
    dm/dt = alpha_m*(1-m)-beta_m*m : 1
    dn/dt = alpha_n*(1-n)-beta_n*n : 1
    dh/dt = alpha_h*(1-h)-beta_h*h : 1
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
    beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
    alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
    beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
    beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
    """)
    P = sim.NeuronGroup(n, model=eqs, threshold="v>-20*mV", refractory=3 * ms,
                        method="exponential_euler", namespace=ns)
    n_exc = int(n * 0.8)
    Pe, Pi = P[:n_exc], P[n_exc:]
    Ce = sim.Synapses(Pe, P, on_pre="ge+=we", namespace=ns)
    Ci = sim.Synapses(Pi, P, on_pre="gi+=wi", namespace=ns)
    p = min(1.0, k / n)
    Ce.connect(p=p)
    Ci.connect(p=p)
    P.v = "El + (randn() * 5 - 5)*mV"
    P.ge = "(randn() * 1.5 + 4) * 10.*nS"
    P.gi = "(randn() * 12 + 20) * 10.*nS"
    return P, [Ce, Ci]


def build_brunel(sim, n: int, k: int = BRUNEL_SYNAPSES, delay_ms: float | None = None):
    """Brian 2's Brunel_Hakim_1999 example with ``k`` synapses per neuron (weight scaled by
    1000/k); ``delay_ms`` None: each synapse's delay uniform in 0-5 ms, else that delay."""
    mV, ms = sim.mV, sim.ms
    ns = dict(Vr=10 * mV, theta=20 * mV, tau=20 * ms, muext=25 * mV, sigmaext=1 * mV,
              J=0.1 * mV * (1000.0 / k))
    eqs = "dV/dt = (-V+muext + sigmaext * sqrt(tau) * xi)/tau : volt"
    group = sim.NeuronGroup(n, eqs, threshold="V>theta", reset="V=Vr", refractory=2 * ms,
                            method="euler", namespace=ns)
    group.V = "Vr + rand() * (theta - Vr)"
    conn = sim.Synapses(group, group, on_pre="V += -J", namespace=ns)
    conn.connect(p=min(1.0, k / n))
    if delay_ms is None:
        conn.delay = "rand() * 5 * ms"
    else:
        conn.delay = delay_ms * ms
    return group, [conn]


BUILDERS = {"CUBA": build_cuba, "COBAHH": build_cobahh, "BrunelHakim": build_brunel}


def run_one(network: str, n: int, k: int, target: str, duration_ms: float,
            warmup_ms: float, **build) -> dict:
    """Build on ``target``, run ``warmup_ms`` (compile), then time a run of ``duration_ms``."""
    import sim

    sim.start_scope()
    sim.prefs.codegen.target = target
    sim.defaultclock.dt = 0.1 * sim.ms
    sim.seed(1)
    t0 = time.perf_counter()
    P, synapses = BUILDERS[network](sim, n, k, **build)
    monitor = sim.SpikeMonitor(P)
    net = sim.Network(P, *synapses, monitor)
    t_built = time.perf_counter()
    net.run(warmup_ms * sim.ms)
    t_warm = time.perf_counter()
    before = int(monitor.num_spikes)
    net.run(duration_ms * sim.ms)
    t_end = time.perf_counter()
    spikes = int(monitor.num_spikes) - before
    return {"seconds": t_end - t_warm, "spikes": spikes,
            "rate_hz": spikes / n / (duration_ms / 1000.0),
            "build_s": t_built - t0, "warmup_s": t_warm - t_built,
            "synapses": int(sum(len(s) for s in synapses)),
            "compiled_loop": bool(getattr(net, "used_compiled_loop", False))}


def _compare(entry: dict) -> None:
    """Add numba over cuda and the spike comparison to ``entry`` where cuda ran."""
    gpu = entry["cuda"]
    if isinstance(gpu, dict) and "seconds" in gpu:
        cpu = entry["numba"]
        entry["numba_over_cuda"] = cpu["seconds"] / gpu["seconds"]
        entry["spikes_equal"] = cpu["spikes"] == gpu["spikes"]
        entry["spike_difference_relative"] = (
            abs(cpu["spikes"] - gpu["spikes"]) / max(cpu["spikes"], 1))


def _on_both(run, cuda_ok: bool) -> dict:
    """``run(target)`` on numba and (where it can run) on cuda, compared."""
    entry = {"numba": run("numba")}
    if cuda_ok:
        try:
            entry["cuda"] = run("cuda")
        except Exception as exc:  # a failure on one case: report it, go on
            entry["cuda"] = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        entry["cuda"] = "unavailable"
    return entry


def _progress(label: str, entry: dict, unit: str = "spikes") -> None:
    gpu = entry["cuda"]
    print(f"# {label}: numba {entry['numba']['seconds']:.3g} s, "
          f"{entry['numba'][unit]} {unit}; cuda "
          + (f"{gpu['seconds']:.3g} s, {gpu[unit]} {unit}"
             if isinstance(gpu, dict) and "seconds" in gpu else str(gpu)),
          file=sys.stderr, flush=True)  # progress, where a time limit cuts the run


def run_brunel(n: int, k: int, delay_ms: float, duration_ms: float, warmup_ms: float,
               cuda_ok: bool) -> dict:
    """The Brunel-Hakim network with heterogeneous delays and with one delay, both targets."""
    result: dict = {"neurons": n, "synapses_per_neuron": k, "homogeneous_delay_ms": delay_ms}
    for kind, delay in (("heterogeneous", None), ("homogeneous", delay_ms)):
        entry = _on_both(lambda target, delay=delay: run_one(
            "BrunelHakim", n, k, target, duration_ms, warmup_ms, delay_ms=delay), cuda_ok)
        _compare(entry)
        result[kind] = entry
        _progress(f"BrunelHakim {n} {kind} delays", entry)
        import sim
        sim.prefs.codegen.target = "numba"
    ratios = {}
    for target in ("numba", "cuda"):
        het, hom = result["heterogeneous"][target], result["homogeneous"][target]
        if isinstance(het, dict) and "seconds" in het and isinstance(hom, dict) \
                and "seconds" in hom:
            ratios[target] = het["seconds"] / hom["seconds"]
    result["heterogeneous_over_homogeneous"] = ratios
    return result


FIT_MODEL = """dv/dt = (R*I - v)/tau : volt (unless refractory)
R : ohm (constant)
tau : second (constant)"""


def make_fitter(n_candidates: int, seconds: float):
    """A LIF `SpikeFitter` of ``n_candidates`` per round on 1 trace of ``seconds``, with
    its bounds; the target spikes are the model's at R = 50 Mohm, tau = 12 ms, 3 ms."""
    import numpy as np

    from sim import amp, ms, ohm, second
    from sim.fitting import SpikeFitter

    dt = 0.1e-3
    n_steps = int(round(seconds / dt))
    rng = np.random.default_rng(1)
    kernel = np.exp(-np.arange(50) / 10.0)
    noise = np.convolve(rng.standard_normal(n_steps), kernel)[:n_steps] / kernel.sum() ** 0.5
    current = (0.6 + 0.25 * noise) * 30e-9
    common = dict(input={"I": current[None] * amp}, dt=dt * second, threshold="v > 1*volt",
                  reset="v = 0*volt", method="exponential_euler")
    maker = SpikeFitter(FIT_MODEL, output=[np.array([0.01])], **common)
    true = {"R": 50e6 * ohm, "tau": 12 * ms, "refractory": 3 * ms}
    maker.prepare(**{k: [v, v] for k, v in true.items()})
    spikes = maker.generate_spikes(true)
    fitter = SpikeFitter(FIT_MODEL, output=spikes, n_samples=n_candidates, **common)
    bounds = {"R": [20e6 * ohm, 100e6 * ohm], "tau": [5 * ms, 30 * ms],
              "refractory": [0 * ms, 10 * ms]}
    return fitter, bounds


def fit_one(n_candidates: int, seconds: float, target: str) -> dict:
    """A warm-up round of a 10-candidate fitter, then one timed round of ``n_candidates``."""
    import numpy as np

    import sim
    from sim.fitting import RandomSearch

    sim.start_scope()
    sim.prefs.codegen.target = target
    t0 = time.perf_counter()
    small, bounds = make_fitter(FIT_WARMUP_CANDIDATES, seconds)
    small.fit(n_rounds=1, optimizer=RandomSearch(seed=1), **bounds)
    t_warm = time.perf_counter()
    fitter, bounds = make_fitter(n_candidates, seconds)
    t_made = time.perf_counter()
    best, best_error = fitter.fit(n_rounds=1, optimizer=RandomSearch(seed=0), **bounds)
    t_end = time.perf_counter()
    errors = fitter.results(format="dict", use_units=False)["error"]
    n_steps = fitter.n_steps
    return {"seconds": t_end - t_made, "warmup_s": t_warm - t0, "setup_s": t_made - t_warm,
            "neuron_steps_per_s": n_candidates * n_steps / (t_end - t_made),
            "best_error": float(best_error),
            "best": {name: float(value) for name, value in best.items()},
            "finite_errors": int(np.isfinite(errors).sum()),
            "errors": np.asarray(errors, dtype=np.float64)}


def run_fitting(n_candidates: int, seconds: float, cuda_ok: bool) -> dict:
    """One fitting round on both targets; the errors compared candidate by candidate."""
    import numpy as np

    import sim

    entry = _on_both(lambda target: fit_one(n_candidates, seconds, target), cuda_ok)
    sim.prefs.codegen.target = "numba"
    result = {"candidates": n_candidates, "traces": 1, "input_seconds": seconds,
              "dt_ms": 0.1, "neuron_steps": n_candidates * int(round(seconds / 1e-4)),
              **entry}
    cpu, gpu = entry["numba"], entry["cuda"]
    a = cpu.pop("errors")
    if isinstance(gpu, dict) and "seconds" in gpu:
        b = gpu.pop("errors")
        result["numba_over_cuda"] = cpu["seconds"] / gpu["seconds"]
        result["errors_equal"] = bool(np.array_equal(a, b, equal_nan=True))
        both = np.isfinite(a) & np.isfinite(b)
        result["error_difference_max"] = (float(np.max(np.abs(a[both] - b[both])))
                                          if both.any() else 0.0)
        result["finite_mismatch"] = int(np.sum(np.isfinite(a) != np.isfinite(b)))
    _progress(f"fitting {n_candidates} x {seconds:g} s", result, unit="best_error")
    return result


def _cases(args) -> list[tuple[str, int, int]]:
    cases = [("CUBA", n, k) for k in args.synapses for n in args.sizes]
    return cases + [("COBAHH", n, 80) for n in args.cobahh_sizes]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_ints, default=None,
                        help=f"CUBA sizes in neurons (default {','.join(map(str, SIZES))})")
    parser.add_argument("--synapses", type=_ints, default=None,
                        help=f"CUBA synapses per neuron (default {','.join(map(str, SYNAPSES))})")
    parser.add_argument("--cobahh-sizes", type=_ints, default=None,
                        help="COBAHH sizes in neurons, '' for none "
                             f"(default {','.join(map(str, COBAHH_SIZES))})")
    parser.add_argument("--brunel-sizes", type=_ints, default=None,
                        help="Brunel-Hakim sizes in neurons, '' for none "
                             f"(default {','.join(map(str, BRUNEL_SIZES))})")
    parser.add_argument("--brunel-synapses", type=int, default=None,
                        help=f"Brunel-Hakim synapses per neuron (default {BRUNEL_SYNAPSES})")
    parser.add_argument("--brunel-delay-ms", type=float, default=None,
                        help="the one delay of the homogeneous Brunel-Hakim run "
                             f"(default {BRUNEL_DELAY_MS:g} ms)")
    parser.add_argument("--fit-candidates", type=int, default=None,
                        help="candidates of the timed fitting round, 0 for none "
                             f"(default {FIT_CANDIDATES}; the issue's goal 100000)")
    parser.add_argument("--fit-seconds", type=float, default=None,
                        help=f"the fitting input's length (default {FIT_SECONDS:g} s)")
    parser.add_argument("--duration-ms", type=float, default=None,
                        help=f"the timed run (default {DURATION_MS:g} ms)")
    parser.add_argument("--warmup-ms", type=float, default=None,
                        help=f"the untimed run before it (default {WARMUP_MS:g} ms)")
    parser.add_argument("--backend", choices=("auto", "cupy", "pycuda", "host"), default=None,
                        help="prefs.codegen.cuda_backend (default auto; host with --quick)")
    parser.add_argument("--graphs", action="store_true",
                        help="prefs.codegen.cuda_graphs = True: each step one CUDA graph")
    parser.add_argument("--quick", action="store_true",
                        help="1000 neurons, 80 synapses each, COBAHH at 1000, Brunel-Hakim "
                             "at 1000 with 100 synapses each, 20 ms; a fitting round of 200 "
                             "candidates x 0.2 s; on the host backend (unless --backend says "
                             "otherwise)")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else dict(
        sizes=SIZES, synapses=SYNAPSES, cobahh_sizes=COBAHH_SIZES, brunel_sizes=BRUNEL_SIZES,
        brunel_synapses=BRUNEL_SYNAPSES, fit_candidates=FIT_CANDIDATES,
        fit_seconds=FIT_SECONDS, duration_ms=DURATION_MS, warmup_ms=WARMUP_MS,
        backend="auto")
    if args.brunel_delay_ms is None:
        args.brunel_delay_ms = BRUNEL_DELAY_MS
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    import numba

    import sim
    from sim.codegen.cuda_runtime import CudaUnavailable, describe_cuda, get_backend

    result = {
        "benchmark": "Brian 2's CUBA, COBAHH and Brunel-Hakim examples and a fitting "
                     "round, numba against the cuda target",
        "machine": f"{platform.machine()} python {platform.python_version()}",
        "numba_threads": numba.get_num_threads(),
        "device": describe_cuda(),
        "backend": args.backend,
        "duration_ms": args.duration_ms, "warmup_ms": args.warmup_ms, "dt_ms": 0.1,
        "cuda": "available", "networks": {}, "brunel_hakim": {},
    }
    sim.prefs.codegen.cuda_backend = args.backend
    sim.prefs.codegen.cuda_graphs = bool(args.graphs)
    result["cuda_graphs"] = bool(args.graphs)
    try:
        result["backend"] = get_backend(args.backend).name
    except CudaUnavailable as exc:
        result["cuda"] = {"unavailable": str(exc)}
    cuda_ok = result["cuda"] == "available"
    for network, n, k in _cases(args):
        key = network if network == "COBAHH" else f"CUBA_{k}_synapses"
        entry = {"neurons": n, "synapses_per_neuron": k, **_on_both(
            lambda target, network=network, n=n, k=k: run_one(
                network, n, k, target, args.duration_ms, args.warmup_ms), cuda_ok)}
        _compare(entry)
        result["networks"].setdefault(key, {})[str(n)] = entry
        _progress(f"{key} {n}", entry)
        sim.prefs.codegen.target = "numba"
    for n in args.brunel_sizes:
        result["brunel_hakim"][str(n)] = run_brunel(
            n, args.brunel_synapses, args.brunel_delay_ms, args.duration_ms, args.warmup_ms,
            cuda_ok)
    if args.fit_candidates > 0 and args.fit_seconds > 0:
        result["fitting"] = run_fitting(args.fit_candidates, args.fit_seconds, cuda_ok)
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))

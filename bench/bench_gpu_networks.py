"""Spiking networks on numba and on the cuda target, in the same run (issue 13).

Brian 2's CUBA example (80% excitatory, 20% inhibitory LIF neurons, ``ge``/``gi``
current-based synapses, ``exact`` integration) at ``--sizes`` neurons with ``--synapses``
synapses per neuron (connection probability ``K / N``; with ``K`` other than Brian 2's 80
the weights are scaled by ``80 / K`` so that the network stays in the same regime), and
Brian 2's COBAHH example (Hodgkin-Huxley neurons, conductance synapses,
``exponential_euler``, 80 synapses per neuron) at ``--cobahh-sizes`` neurons.
dt = 0.1 ms, seed 1.

For each network, size and target: the network is built, run for ``--warmup-ms`` (this
loads or compiles the code), then run for ``--duration-ms`` and that second run is timed
(``seconds``) and its spikes counted (``spikes``). ``numba_over_cuda`` is numba's time
over cuda's (> 1: the GPU is faster). On the host backend (the CUDA C compiled as host
C++) the spikes are equal; on a GPU they may differ slightly (atomic float additions in
the synaptic delivery add in the order the threads arrive).

Where no CUDA backend can run, the numba figures are still printed and ``cuda`` says
``unavailable`` with the reason (exit code 0).

    python bench/bench_gpu_networks.py [--sizes 4000,64000,256000] [--synapses 80,1000]
        [--cobahh-sizes 64000] [--duration-ms 1000] [--warmup-ms 10] [--backend auto]
    python bench/bench_gpu_networks.py --quick     # 1000 neurons, 20 ms, host backend
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
DURATION_MS = 1000.0
WARMUP_MS = 10.0
#: ``--quick``: small enough for the host backend on a 2-core machine
QUICK = dict(sizes=(1000,), synapses=(80,), cobahh_sizes=(1000,), duration_ms=20.0,
             warmup_ms=2.0, backend="host")


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


BUILDERS = {"CUBA": build_cuba, "COBAHH": build_cobahh}


def run_one(network: str, n: int, k: int, target: str, duration_ms: float,
            warmup_ms: float) -> dict:
    """Build on ``target``, run ``warmup_ms`` (compile), then time a run of ``duration_ms``."""
    import sim

    sim.start_scope()
    sim.prefs.codegen.target = target
    sim.defaultclock.dt = 0.1 * sim.ms
    sim.seed(1)
    t0 = time.perf_counter()
    P, synapses = BUILDERS[network](sim, n, k)
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
    parser.add_argument("--duration-ms", type=float, default=None,
                        help=f"the timed run (default {DURATION_MS:g} ms)")
    parser.add_argument("--warmup-ms", type=float, default=None,
                        help=f"the untimed run before it (default {WARMUP_MS:g} ms)")
    parser.add_argument("--backend", choices=("auto", "cupy", "pycuda", "host"), default=None,
                        help="prefs.codegen.cuda_backend (default auto; host with --quick)")
    parser.add_argument("--graphs", action="store_true",
                        help="prefs.codegen.cuda_graphs = True: each step one CUDA graph")
    parser.add_argument("--quick", action="store_true",
                        help="1000 neurons, 80 synapses each, COBAHH at 1000, 20 ms, on the "
                             "host backend (unless --backend says otherwise)")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else dict(
        sizes=SIZES, synapses=SYNAPSES, cobahh_sizes=COBAHH_SIZES, duration_ms=DURATION_MS,
        warmup_ms=WARMUP_MS, backend="auto")
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    import numba

    import sim
    from sim.codegen.cuda_runtime import CudaUnavailable, describe_cuda, get_backend

    result = {
        "benchmark": "Brian 2's CUBA and COBAHH examples, numba against the cuda target",
        "machine": f"{platform.machine()} python {platform.python_version()}",
        "numba_threads": numba.get_num_threads(),
        "device": describe_cuda(),
        "backend": args.backend,
        "duration_ms": args.duration_ms, "warmup_ms": args.warmup_ms, "dt_ms": 0.1,
        "cuda": "available", "networks": {},
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
        entry = {"neurons": n, "synapses_per_neuron": k,
                 "numba": run_one(network, n, k, "numba", args.duration_ms, args.warmup_ms)}
        if cuda_ok:
            try:
                entry["cuda"] = run_one(network, n, k, "cuda", args.duration_ms,
                                        args.warmup_ms)
            except Exception as exc:  # a failure on one network: report it, go on
                entry["cuda"] = {"error": f"{type(exc).__name__}: {exc}"}
        else:
            entry["cuda"] = "unavailable"
        gpu = entry["cuda"]
        if isinstance(gpu, dict) and "seconds" in gpu:
            cpu = entry["numba"]
            entry["numba_over_cuda"] = cpu["seconds"] / gpu["seconds"]
            entry["spikes_equal"] = cpu["spikes"] == gpu["spikes"]
            entry["spike_difference_relative"] = (
                abs(cpu["spikes"] - gpu["spikes"]) / max(cpu["spikes"], 1))
        result["networks"].setdefault(key, {})[str(n)] = entry
        print(f"# {key} {n}: numba {entry['numba']['seconds']:.3g} s, "
              f"{entry['numba']['spikes']} spikes; cuda "
              + (f"{gpu['seconds']:.3g} s, {gpu['spikes']} spikes"
                 if isinstance(gpu, dict) and "seconds" in gpu else str(gpu)),
              file=sys.stderr, flush=True)  # progress, where a time limit cuts the run
        sim.prefs.codegen.target = "numba"
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))

"""SpatialNeuron benchmarks (issue 18), hearsim side by side with Brian 2.

Three cases, each built by the same function for hearsim (``m = sim``) and Brian 2
(``m = brian2``):

* ``hh`` -- a Hodgkin-Huxley squid axon (Brian 2's ``hh_with_spikes.py``): 1000
  compartments (10 cm, 476 um diameter), dt = 0.01 ms, exponential Euler for the gating
  variables and the implicit cable step; a current pulse starts a spike that is followed
  along the axon.  "first": 10 ms settling and a 3 ms pulse, code loading or compiling
  included; "steady": a second run of ``hh_ms`` (positional argument, default 10 ms).
  Gives the spike count and the velocity (m/s).
* ``ballstick`` -- the ball-and-stick of Brian 2's documentation ("Creating a spatial
  neuron"): ``Soma(30*um)`` with a dendrite ``Cylinder(diameter=1*um, length=1000*um,
  n=999)``, 1000 compartments in all, passive everywhere (``Im = gL*(EL - v)``,
  gL = 1e-4 S/cm**2, EL = -70 mV, Cm = 1 uF/cm**2, Ri = 100 ohm*cm), a point current
  ``I`` of 0.1 nA into the soma from t = 0; "first": building the neuron and running
  ``--duration-ms`` (default 1000 ms = 100,000 steps at dt = 0.01 ms), code generation
  and compiling included; "steady": a second run of the same length.  Gives the somatic
  potential at the end of each run.
* ``many`` -- ``--n-neurons`` (default 10) such neurons, one ``SpatialNeuron`` each (one
  morphology per SpatialNeuron, in hearsim as in Brian 2: neither has a morphology of
  several trees), all in one ``Network``, for ``--many-duration-ms`` (default 100 ms).
  1000 neurons are impractical on both: the code to compile grows with the number of
  objects (Brian 2 compiles every neuron's Cython code objects; hearsim's compiled run
  loop calls every neuron's kernels), see bench/RESULTS.md.

hearsim runs in this process (numba target; the numpy target too for ``hh``).  Brian 2
runs in this process when importable, otherwise in ``--peer-python`` (default
``/tmp/b2env/bin/python`` where it exists), which runs this file with ``--worker``: the
same build functions, one case after the other, right after hearsim's.  ``--no-peer``
skips it.  The peer: ``python -m venv /tmp/b2env && /tmp/b2env/bin/pip install brian2
cython scipy "numpy<2.4"`` (Brian 2's numpy target needs scipy for SpatialNeuron).
Prints JSON: times, the results each gives, and the ratios
(Brian 2 time / hearsim time).

    python bench/bench_spatial.py [hh_ms] [--cases hh,ballstick,many] [--duration-ms MS]
        [--n-neurons N] [--many-duration-ms MS] [--peer-python PATH | --no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

DT_MS = 0.01

EQS = """
Im = gl * (El-v) + gNa * m**3 * h * (ENa-v) + gK * n**4 * (EK-v) : amp/meter**2
I : amp (point current)
dm/dt = alpham * (1-m) - betam * m : 1
dn/dt = alphan * (1-n) - betan * n : 1
dh/dt = alphah * (1-h) - betah * h : 1
alpham = (0.1/mV) * 10*mV/exprel((-v+25*mV)/(10*mV))/ms : Hz
betam = 4 * exp(-v/(18*mV))/ms : Hz
alphah = 0.07 * exp(-v/(20*mV))/ms : Hz
betah = 1/(exp((-v+30*mV) / (10*mV)) + 1)/ms : Hz
alphan = (0.01/mV) * 10*mV/exprel((-v+10*mV)/(10*mV))/ms : Hz
betan = 0.125*exp(-v/(80*mV))/ms : Hz
gNa : siemens/meter**2
"""

PASSIVE_EQS = """
Im = gL * (EL - v) : amp/meter**2
I : amp (point current)
"""


def build_and_run(m, target: str, duration_ms: float) -> dict:
    """The HH axon, the same script for hearsim (m = sim) and Brian 2 (m = brian2)."""
    import numpy as np

    m.start_scope()
    m.prefs.codegen.target = target
    m.defaultclock.dt = DT_MS * m.ms
    morpho = m.Cylinder(length=10 * m.cm, diameter=2 * 238 * m.um, n=1000, type="axon")
    ns = dict(El=10.613 * m.mV, ENa=115 * m.mV, EK=-12 * m.mV,
              gl=0.3 * m.msiemens / m.cm ** 2, gK=36 * m.msiemens / m.cm ** 2)
    neuron = m.SpatialNeuron(morphology=morpho, model=EQS, method="exponential_euler",
                             refractory="m > 0.4", threshold="m > 0.5", Cm=1 * m.uF / m.cm ** 2,
                             Ri=35.4 * m.ohm * m.cm, namespace=ns)
    neuron.v = 0 * m.mV
    neuron.h = 1
    neuron.m = 0
    neuron.n = 0.5
    neuron.I = 0 * m.amp
    neuron.gNa = 120 * m.msiemens / m.cm ** 2
    spikes = m.SpikeMonitor(neuron)
    net = m.Network(neuron, spikes)
    start = time.perf_counter()
    net.run(10 * m.ms)  # settle (and load or compile the code)
    neuron.I[0] = 1 * m.uA
    net.run(3 * m.ms)
    neuron.I = 0 * m.amp
    first = time.perf_counter() - start
    start = time.perf_counter()
    net.run(duration_ms * m.ms)
    steady = time.perf_counter() - start
    i, t = np.asarray(spikes.i[:]), np.asarray(spikes.t[:])
    x = np.asarray(neuron.distance[:])[i]
    keep = (x > 1e-2) & (x < 9e-2)  # away from the stimulated end and the sealed end
    velocity = float(np.polyfit(t[keep], x[keep], 1)[0]) if keep.sum() > 10 else None
    return {"first_s": first, "steady_s": steady, "steps": int(round(duration_ms / DT_MS)),
            "spikes": int(len(i)), "velocity_m_per_s": velocity,
            "compiled_loop": getattr(net, "used_compiled_loop", None)}


def ball_and_stick(m):
    """One ball-and-stick (Brian 2's documented style), 1000 compartments, at rest, with
    0.1 nA into the soma."""
    morpho = m.Soma(30 * m.um)
    morpho.dend = m.Cylinder(diameter=1 * m.um, length=1000 * m.um, n=999)
    neuron = m.SpatialNeuron(morphology=morpho, model=PASSIVE_EQS, Cm=1 * m.uF / m.cm ** 2,
                             Ri=100 * m.ohm * m.cm,
                             namespace=dict(gL=1e-4 * m.siemens / m.cm ** 2, EL=-70 * m.mV))
    neuron.v = -70 * m.mV
    neuron.I = 0 * m.amp
    neuron.I[0] = 0.1 * m.nA
    return neuron


def run_ball_and_stick(m, target: str, duration_ms: float, n_neurons: int = 1) -> dict:
    """``n_neurons`` ball-and-sticks in one Network: build + first run (code included),
    then a second, steady run of the same length; somatic potentials (V) after each."""
    import numpy as np

    m.start_scope()
    m.prefs.codegen.target = target
    m.defaultclock.dt = DT_MS * m.ms
    start = time.perf_counter()
    neurons = [ball_and_stick(m) for _ in range(n_neurons)]
    net = m.Network(*neurons)
    build = time.perf_counter() - start
    net.run(duration_ms * m.ms)
    first = time.perf_counter() - start
    v_first = [float(np.asarray(nrn.v[:])[0]) for nrn in neurons]
    start = time.perf_counter()
    net.run(duration_ms * m.ms)
    steady = time.perf_counter() - start
    v_end = [float(np.asarray(nrn.v[:])[0]) for nrn in neurons]
    steps = int(round(duration_ms / DT_MS))
    return {"neurons": n_neurons, "compartments_each": int(neurons[0].N), "steps": steps,
            "build_s": build, "first_s": first, "steady_s": steady,
            "steady_us_per_neuron_step": steady / steps / n_neurons * 1e6,
            "v_soma_after_first_V": v_first[0], "v_soma_end_V": v_end[0],
            "v_soma_spread_across_neurons_V": max(v_end) - min(v_end),
            "compiled_loop": getattr(net, "used_compiled_loop", None)}


def run_cases(m, targets: dict, args) -> dict:
    """Every case asked for, on module ``m`` (sim or brian2); ``targets``: per case."""
    out: dict = {}
    for case in args.cases:
        out[case] = {}
        for target in targets[case]:
            try:
                if case == "hh":
                    res = build_and_run(m, target, args.hh_ms)
                elif case == "ballstick":
                    res = run_ball_and_stick(m, target, args.duration_ms)
                else:
                    res = run_ball_and_stick(m, target, args.many_duration_ms, args.n_neurons)
            except Exception as exc:  # noqa: BLE001 - the peer's failure is a result too
                res = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            out[case][target] = res
            print(f"# {m.__name__} {case} {target}: {res.get('steady_s', res)}",
                  file=sys.stderr, flush=True)
    return out


HEARSIM_TARGETS = {"hh": ("numba", "numpy"), "ballstick": ("numba",), "many": ("numba",)}
BRIAN2_TARGETS = {"hh": ("cython", "numpy"), "ballstick": ("cython",), "many": ("cython",)}


def peer_python(args) -> str | None:
    """An interpreter that imports brian2 (``--peer-python`` or /tmp/b2env/bin/python)."""
    candidates = [args.peer_python] if args.peer_python else ["/tmp/b2env/bin/python"]
    for python in candidates:
        if python and Path(python).exists() and subprocess.run(
                [python, "-c", "import brian2"], capture_output=True).returncode == 0:
            return python
    return None


def run_brian2(args, argv: list[str]) -> dict:
    """Brian 2's results: in this process when importable, else in the peer interpreter."""
    try:
        import brian2
    except ImportError:
        pass
    else:
        res = run_cases(brian2, BRIAN2_TARGETS, args)
        res["version"] = brian2.__version__
        res["where"] = "this process"
        return res
    python = peer_python(args)
    if python is None:
        return {"error": "not installed (no --peer-python that imports brian2)"}
    proc = subprocess.run([python, __file__, *argv, "--worker"], stdout=subprocess.PIPE,
                          text=True, cwd=Path(__file__).resolve().parent)
    if proc.returncode != 0 or not proc.stdout.strip():
        return {"error": f"peer exited with {proc.returncode}"}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["where"] = python
    return res


def ratios(hearsim: dict, brian2: dict) -> dict:
    """Brian 2 time / hearsim numba time, per case, target and phase."""
    out = {}
    for case, ours in hearsim.items():
        mine = ours.get("numba", {})
        for target, theirs in brian2.get(case, {}).items():
            for phase in ("first_s", "steady_s"):
                if phase in mine and phase in theirs:
                    out[f"{case}_{phase[:-2]}_brian2_{target}_over_hearsim_numba"] = \
                        theirs[phase] / mine[phase]
        if case != "hh" and "v_soma_end_V" in mine:
            for target, theirs in brian2.get(case, {}).items():
                if "v_soma_end_V" in theirs:
                    out[f"{case}_v_soma_end_difference_brian2_{target}_V"] = \
                        theirs["v_soma_end_V"] - mine["v_soma_end_V"]
    return out


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hh_ms", nargs="?", type=float, default=10.0,
                        help="steady run of the HH axon (ms), default 10")
    parser.add_argument("--cases", default="hh,ballstick,many",
                        help="comma-separated: hh, ballstick, many")
    parser.add_argument("--duration-ms", type=float, default=1000.0,
                        help="ball-and-stick runs (ms), default 1000 (100,000 steps)")
    parser.add_argument("--n-neurons", type=int, default=10)
    parser.add_argument("--many-duration-ms", type=float, default=100.0)
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    bad = set(args.cases) - set(HEARSIM_TARGETS)
    if bad:
        parser.error(f"unknown case(s): {', '.join(sorted(bad))}")
    return args


def main(argv: list[str]) -> dict:
    args = parse(argv)
    if args.worker:  # the peer interpreter: Brian 2 only
        import brian2

        res = run_cases(brian2, BRIAN2_TARGETS, args)
        res["version"] = brian2.__version__
        return res
    import sim

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    out: dict = {
        "benchmark": "SpatialNeuron: HH squid axon (1000 compartments, "
                     f"{args.hh_ms} ms steady), ball-and-stick (1000 compartments, "
                     f"{args.duration_ms} ms), {args.n_neurons} ball-and-sticks "
                     f"({args.many_duration_ms} ms), dt = {DT_MS} ms",
        "machine": f"{platform.machine()} {os.cpu_count()} cores python "
                   f"{platform.python_version()}, load average {load}",
        "cases": args.cases,
    }
    hearsim = run_cases(sim, HEARSIM_TARGETS, args)
    brian2 = {"skipped": "--no-peer"} if args.no_peer else run_brian2(args, argv)
    # the HH case's keys as before: hearsim/brian2 -> target -> figures
    if "hh" in hearsim:
        out["hearsim"] = hearsim["hh"]
        out["brian2"] = brian2.get("hh", {"error": brian2.get("error", "not run")})
        hs = out["hearsim"].get("numba", {}).get("steady_s")
        for target, res in out["brian2"].items():
            if hs and isinstance(res, dict) and "steady_s" in res:
                out[f"steady_speedup_numba_vs_brian2_{target}"] = res["steady_s"] / hs
    for case in ("ballstick", "many"):
        if case in hearsim:
            out[case] = {"hearsim": hearsim[case],
                         "brian2": brian2.get(case, {"error": brian2.get("error",
                                                                          "not run")})}
    out["brian2_version"] = brian2.get("version")
    out["brian2_where"] = brian2.get("where")
    out["ratios"] = ratios(hearsim, brian2 if "error" not in brian2 else {})
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=None if "--worker" in sys.argv else 2))

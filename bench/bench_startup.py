"""Whole-script wall time, cold and warm: Brian 2's CUBA example (4000 neurons, 1 s of
biological time) run as a script in a fresh process, import included.

"Cold": empty code caches (hearsim: a new ``HEARSIM_CACHE_DIR`` and ``NUMBA_CACHE_DIR``,
so neither the generated kernels nor numba's own support functions are cached;
Brian 2: a new Cython cache directory). "Warm": the same script run again with those
caches. The script is the same for both simulators but for the import line (and the
line pointing Brian 2's Cython cache at the temporary directory).

Prints JSON; Brian 2 runs when importable (``--no-peer`` skips it: its cold run takes
about 40 s on a 2-core machine).

    python bench/bench_startup.py [--no-peer]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SCRIPT = textwrap.dedent("""
    {import_line}
    {cache_line}
    taum = 20*ms
    taue = 5*ms
    taui = 10*ms
    Vt = -50*mV
    Vr = -60*mV
    El = -49*mV
    eqs = '''
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    '''
    P = NeuronGroup(4000, eqs, threshold='v>Vt', reset='v = Vr', refractory=5*ms,
                    method='exact')
    P.v = 'Vr + rand() * (Vt - Vr)'
    P.ge = 0*mV
    P.gi = 0*mV
    we = (60*0.27/10)*mV
    wi = (-20*4.5/10)*mV
    Ce = Synapses(P, P, on_pre='ge += we')
    Ci = Synapses(P, P, on_pre='gi += wi')
    Ce.connect('i<3200', p=0.02)
    Ci.connect('i>=3200', p=0.02)
    s_mon = SpikeMonitor(P)
    run(1 * second)
    print(s_mon.num_spikes)
""")


def run_script(source: str, env: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cuba.py"
        path.write_text(source)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(path)], env={**os.environ, **env},
                              capture_output=True, text=True, cwd=tmp)
        wall = time.perf_counter() - start
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return {"wall_s": wall, "spikes": int(done.stdout.split()[-1])}


def cold_and_warm(import_line: str, cache_line: str, env_for) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        source = SCRIPT.format(import_line=import_line, cache_line=cache_line)
        env = env_for(cache)
        return {"cold": run_script(source, env), "warm": run_script(source, env)}


def main() -> None:
    ours = cold_and_warm(
        "from sim import *", "",
        lambda cache: {"HEARSIM_CACHE_DIR": cache, "NUMBA_CACHE_DIR": str(Path(cache) / "nb")},
    )
    peer: dict | None = None
    if "--no-peer" not in sys.argv:
        try:
            import brian2  # noqa: F401

            peer = cold_and_warm(
                "from brian2 import *",
                "import os; prefs.codegen.runtime.cython.cache_dir = os.environ['B2_CACHE']",
                lambda cache: {"B2_CACHE": cache},
            )
        except Exception as exc:  # absent, or broken against this numpy
            peer = {"error": "not installed" if isinstance(exc, ImportError) else repr(exc)}

    def ratio(kind: str):
        if not peer or "wall_s" not in peer.get(kind, {}) or "wall_s" not in ours[kind]:
            return None
        return peer[kind]["wall_s"] / ours[kind]["wall_s"]

    print(json.dumps({
        "benchmark": "cuba_4000_whole_script",
        "machine": f"{platform.machine()} python {platform.python_version()}",
        "hearsim": ours,
        "brian2_cython": peer,
        "speedup_cold": ratio("cold"),
        "speedup_warm": ratio("warm"),
    }, indent=2))


if __name__ == "__main__":
    main()

"""Compile time of very long model code (issue 15, item 10).

A reset of ``n`` lines ``v = v*1.01 + w``, ``w += 0.5*v``, ... (reassigning two
variables over and over) on a 3-neuron group, run for 0.3 ms in a fresh numba
cache, so that the time is numba's compile time of the kernels (and the run loop).
The numpy target is timed on the same code for comparison (it has no limit).
Before the single-assignment kernels of this issue, numba took 5.8 s at 500 lines and
216 s at 2000 (quadratic); blocks longer than ``prefs.codegen.numba_max_statements``
(5000) are refused.

Prints one JSON object.

    python bench/bench_long_code.py [n ...]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (500, 1000, 2000)
NUMPY_SIZE = 50_000

_CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[3])
from sim import Network, NeuronGroup, ms, prefs
lines = ["v = v*1.01 + w", "w += 0.5*v", "v -= w/3", "k2 = v + w", "w = k2*0.1",
         "v *= 0.9", "w /= 1.5"]
n, target = int(sys.argv[1]), sys.argv[2]
prefs.codegen.target = target
prefs.codegen.numba_max_statements = max(n, 5000)
t0 = time.perf_counter()
G = NeuronGroup(3, "dv/dt = 1/ms : 1\nw : 1", threshold="v > 0.05",
                reset="\n".join(lines[k % len(lines)] for k in range(n)))
Network(G).run(0.3 * ms)
print(time.perf_counter() - t0)
"""


def _timed(n: int, target: str) -> float:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, HEARSIM_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", _CHILD, str(n), target, str(ROOT)],
                             env=env, capture_output=True, text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    numba_s = {n: _timed(n, "numba") for n in sizes}
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "numba_compile_and_run_s": numba_s,
        "numba_ms_per_statement": {n: round(1e3 * t / n, 2) for n, t in numba_s.items()},
        "numpy_s": {NUMPY_SIZE: _timed(NUMPY_SIZE, "numpy")},
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

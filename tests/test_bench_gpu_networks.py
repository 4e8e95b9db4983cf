"""bench/bench_gpu_networks.py (issue 13): its quick mode on the CUDA runtime's host backend
gives one JSON document with both targets and the same spikes; without a backend it still
gives the numba figures and says why cuda did not run."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "bench_gpu_networks.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_gpu_networks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_mode_on_the_host_backend_gives_equal_spikes():
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--backend", "host"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["backend"] == "host"
    assert result["cuda"] == "available"
    assert result["device"]
    assert set(result["networks"]) == {"CUBA_80_synapses", "COBAHH"}
    for sizes in result["networks"].values():
        for entry in sizes.values():
            numba, cuda = entry["numba"], entry["cuda"]
            assert numba["compiled_loop"] and cuda["compiled_loop"]
            assert numba["spikes"] > 0
            assert numba["spikes"] == cuda["spikes"]
            assert numba["synapses"] == cuda["synapses"] > 0
            assert entry["spikes_equal"] is True
            assert numba["seconds"] > 0 and cuda["seconds"] > 0
            assert entry["numba_over_cuda"] == numba["seconds"] / cuda["seconds"]


def test_without_a_cuda_backend_numba_still_runs(monkeypatch):
    from sim.codegen import cuda_runtime

    def unavailable(name=None):
        raise cuda_runtime.CudaUnavailable("no GPU here (test)")

    monkeypatch.setattr(cuda_runtime, "get_backend", unavailable)
    result = _load_bench().main(["--sizes", "200", "--synapses", "20", "--cobahh-sizes", "",
                                 "--duration-ms", "5", "--warmup-ms", "1", "--backend", "cupy"])
    json.dumps(result)  # one JSON document
    assert result["cuda"] == {"unavailable": "no GPU here (test)"}
    entry = result["networks"]["CUBA_20_synapses"]["200"]
    assert entry["cuda"] == "unavailable"
    assert entry["numba"]["seconds"] > 0 and entry["numba"]["synapses"] > 0
    assert "numba_over_cuda" not in entry

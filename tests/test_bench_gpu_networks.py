"""bench/bench_gpu_networks.py (issue 13): its quick mode on the CUDA runtime's host backend
gives one JSON document with both targets and the same spikes (CUBA, COBAHH, Brunel-Hakim
with heterogeneous and homogeneous delays) and the same errors of a fitting round; without a
backend it still gives the numba figures and says why cuda did not run."""

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
    assert set(result["brunel_hakim"]) == {"1000"}
    brunel = result["brunel_hakim"]["1000"]
    assert brunel["neurons"] == 1000 and brunel["synapses_per_neuron"] == 100
    for kind in ("heterogeneous", "homogeneous"):
        entry = brunel[kind]
        numba, cuda = entry["numba"], entry["cuda"]
        assert numba["compiled_loop"] and cuda["compiled_loop"]
        assert numba["spikes"] > 0
        assert numba["spikes"] == cuda["spikes"] and entry["spikes_equal"] is True
        assert numba["synapses"] == cuda["synapses"] > 0
    ratios = brunel["heterogeneous_over_homogeneous"]
    for target in ("numba", "cuda"):
        assert ratios[target] == (brunel["heterogeneous"][target]["seconds"]
                                  / brunel["homogeneous"][target]["seconds"])
    fitting = result["fitting"]
    assert fitting["candidates"] == 200 and fitting["input_seconds"] == 0.2
    numba, cuda = fitting["numba"], fitting["cuda"]
    assert numba["seconds"] > 0 and cuda["seconds"] > 0
    assert numba["finite_errors"] == cuda["finite_errors"] == 200
    assert fitting["errors_equal"] is True and fitting["error_difference_max"] == 0.0
    assert numba["best_error"] == cuda["best_error"] and numba["best"] == cuda["best"]


def test_without_a_cuda_backend_numba_still_runs(monkeypatch):
    from sim.codegen import cuda_runtime

    def unavailable(name=None):
        raise cuda_runtime.CudaUnavailable("no GPU here (test)")

    monkeypatch.setattr(cuda_runtime, "get_backend", unavailable)
    result = _load_bench().main(["--sizes", "200", "--synapses", "20", "--cobahh-sizes", "",
                                 "--brunel-sizes", "200", "--brunel-synapses", "20",
                                 "--fit-candidates", "20", "--fit-seconds", "0.2",
                                 "--duration-ms", "5", "--warmup-ms", "1", "--backend", "cupy"])
    json.dumps(result)  # one JSON document
    assert result["cuda"] == {"unavailable": "no GPU here (test)"}
    entry = result["networks"]["CUBA_20_synapses"]["200"]
    assert entry["cuda"] == "unavailable"
    assert entry["numba"]["seconds"] > 0 and entry["numba"]["synapses"] > 0
    assert "numba_over_cuda" not in entry
    brunel = result["brunel_hakim"]["200"]
    for kind in ("heterogeneous", "homogeneous"):
        assert brunel[kind]["cuda"] == "unavailable"
        assert brunel[kind]["numba"]["seconds"] > 0
    assert set(brunel["heterogeneous_over_homogeneous"]) == {"numba"}
    fitting = result["fitting"]
    assert fitting["cuda"] == "unavailable" and fitting["numba"]["seconds"] > 0
    assert "errors_equal" not in fitting

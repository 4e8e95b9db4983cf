#!/usr/bin/env bash
# The device check for sessions lent a GPU (run it there from the repository root, e.g. with
# the `run` tool): the GPU filterbank tests with the real backend instead of the host one,
# then the GPU filterbank benchmark, then the network benchmark (CUBA, COBAHH, then
# Brunel-Hakim with heterogeneous and one delay, and a fitting round: numba against the
# device-resident cuda loop). Needs CuPy (or PyCUDA) importable on that machine:
# pip install ".[cuda13]" (or ".[cuda12]") where a registry can be reached.
set -uo pipefail
# every step is capped (timeout): 120 + 60 + 150 + 30 + 60 + 45 s = 7.75 min at worst, within
# the 8 minutes a device check may take; a capped step keeps what it printed
cd "$(dirname "$0")/.."
out="${OUT:-/tmp}"
python -c "import sim.codegen.cuda_runtime as r; print(r.describe_cuda())"
python -c "import cupy" 2>/dev/null || python -c "import pycuda" 2>/dev/null || {
  echo "no CuPy or PyCUDA here: nothing to run on the GPU"; exit 3; }
# the same tests, with the CUDA backend of the machine in place of the host shim
# (the network tests compare with numba bit for bit: on a GPU, atomic float additions of
# v_post += w may reorder and a failure there says by how much, not that the loop is wrong)
HEARSIM_TEST_CUDA_BACKEND=auto timeout 120 python -m pytest -q tests/hears/test_cuda_filterbanks.py \
  tests/hears/test_cuda_control.py tests/test_cuda_loop.py tests/test_spatial_cuda.py \
  tests/fitting/test_fitting_cuda.py tests/test_gpu.py \
  2>&1 | tee "$out/gpu_tests.txt"
timeout 60 python bench/bench_gpu_filterbanks.py 1024 8192 | tee "$out/bench_gpu_filterbanks.json"
# CUBA (80 and 1000 synapses per neuron) at 4000 and 64000 neurons and COBAHH at 64000, 200 ms
# each, numba and cuda: estimated at about 3 minutes on an H100 machine (16 cores; not yet
# measured there: COBAHH on numba is the longest part, about 1 min on 2 cores), capped at 2.5 (a capped run keeps its progress lines); the
# per-network progress lines (stderr) survive the cap in bench_gpu_networks_progress.txt
timeout 150 python bench/bench_gpu_networks.py --sizes 4000,64000 --synapses 80,1000 \
  --cobahh-sizes 64000 --brunel-sizes '' --fit-candidates 0 --duration-ms 200 --backend auto \
  2>"$out/bench_gpu_networks_progress.txt" | tee "$out/bench_gpu_networks.json"
cat "$out/bench_gpu_networks_progress.txt"
# the same small CUBA with each step one CUDA graph (prefs.codegen.cuda_graphs)
timeout 30 python bench/bench_gpu_networks.py --sizes 4000 --synapses 80 --cobahh-sizes '' \
  --brunel-sizes '' --fit-candidates 0 --duration-ms 200 --backend auto --graphs \
  | tee "$out/bench_gpu_networks_graphs.json"
# Brunel-Hakim (1000 synapses per neuron: 5M and 20M synapses) at 5000 and 20000 neurons,
# 200 ms, heterogeneous delays (0-5 ms) and one delay (2 ms), numba and cuda: four builds per
# size, which dominate (on 2 cores, numba alone: about 6 s at 5000 and 22 s at 20000, mostly
# building the synapses and their delay tables); estimated at about 1.5 minutes with cuda (not
# yet measured on a GPU), capped at 1
timeout 60 python bench/bench_gpu_networks.py --sizes '' --cobahh-sizes '' \
  --brunel-sizes 5000,20000 --fit-candidates 0 --duration-ms 200 --backend auto \
  2>"$out/bench_gpu_brunel_progress.txt" | tee "$out/bench_gpu_brunel.json"
cat "$out/bench_gpu_brunel_progress.txt"
# one fitting round of 10000 candidates x 2 s (2e8 neuron-steps) after a warm-up round, numba
# and cuda (on 2 cores 10000 x 10 s took 26 s on numba, one process: about 5 s here), estimated
# at under 1 minute in all (not yet measured on a GPU), capped at 0.75; the issue's goal
# (100000 x 10 s: --fit-candidates 100000 --fit-seconds 10) is too long for numba in this script
timeout 45 python bench/bench_gpu_networks.py --sizes '' --cobahh-sizes '' --brunel-sizes '' \
  --fit-candidates 10000 --fit-seconds 2 --backend auto \
  2>"$out/bench_gpu_fitting_progress.txt" | tee "$out/bench_gpu_fitting.json"
cat "$out/bench_gpu_fitting_progress.txt"

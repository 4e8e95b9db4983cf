"""GPU filterbanks (issue 12), run without a GPU through the CUDA runtime's host backend.

The host backend compiles the very CUDA C source the GPU runs as host C++ (a shim for
``blockIdx``/``threadIdx`` and atomics, no FMA contraction) and launches it through ctypes,
so the device path of every linear filterbank (allocation, launches, state kept between
chunks, copies) runs here, and its output is compared with the CPU kernel's bit for bit.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from hears import (
    ApproximateGammatone,
    Butterworth,
    Gammatone,
    IIRFilterbank,
    LinearFilterbank,
    LogGammachirp,
    LowPass,
    MiddleEar,
    erbspace,
)
from hears.filterbanks._cuda_kernels import sos_source
from sim import Hz, kHz, prefs
from sim.codegen import cuda_runtime
from sim.codegen.cuda_runtime import CudaUnavailable, get_backend
from sim.prefs import PreferenceError
from sounds import Sound


@pytest.fixture
def host_backend():
    """The host backend (or, in bench/gpu_check.sh on a machine with a GPU, the real one:
    HEARSIM_TEST_CUDA_BACKEND=auto runs the same tests on the device)."""
    previous = prefs.codegen.cuda_backend
    prefs.codegen.cuda_backend = os.environ.get("HEARSIM_TEST_CUDA_BACKEND", "host")
    try:
        yield get_backend()
    finally:
        prefs.codegen.cuda_backend = previous


def _noise(n=3000, channels=1, seed=3):
    x = np.random.default_rng(seed).standard_normal((n, channels))
    return Sound(x if channels > 1 else x[:, 0], samplerate=44100 * Hz)


CF = erbspace(100 * Hz, 8 * kHz, 37)  # not a multiple of the block size or of 32 lanes

FILTERBANKS = {
    "Gammatone": lambda s, **k: Gammatone(s, CF, **k),
    "ApproximateGammatone": lambda s, **k: ApproximateGammatone(s, CF, 50 * Hz, 4, **k),
    "LogGammachirp": lambda s, **k: LogGammachirp(s, CF[:10], c=-2, **k),
    "Butterworth": lambda s, **k: Butterworth(s, 5, 4, 2 * kHz, **k),
    "IIRFilterbank": lambda s, **k: IIRFilterbank(s, 3, 1 * kHz, 2 * kHz, 1, 30, "low",
                                                   "cheby1", **k),
    "LowPass": lambda s, **k: LowPass(s, 1 * kHz, **k),
    "MiddleEar": lambda s, **k: MiddleEar(s, **k),
}


@pytest.mark.parametrize("name", sorted(FILTERBANKS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_device_output_equals_cpu_bit_for_bit(host_backend, name, dtype):
    sound = _noise()
    cpu = np.asarray(FILTERBANKS[name](sound, dtype=dtype).process(buffersize=64))
    fb = FILTERBANKS[name](sound, dtype=dtype, device="cuda")
    assert fb.device == "cuda"
    for buffersize in (1, 64, 1000, 5000):  # state carried on the device between chunks
        gpu = np.asarray(fb.process(buffersize=buffersize))
        assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
        assert np.array_equal(gpu.view(np.uint8), cpu.view(np.uint8)), buffersize


def test_many_channels_from_multichannel_input(host_backend):
    n = 300  # more than two blocks of 128 threads
    sound = _noise(800, channels=n)
    b = np.random.default_rng(4).uniform(0.1, 0.3, (n, 3, 2))
    a = np.zeros((n, 3, 2))
    a[:, 0], a[:, 1], a[:, 2] = 2.0, -0.4, 0.1  # a0 != 1: normalised in the kernel
    cpu = np.asarray(LinearFilterbank(sound, b, a).process())
    gpu = np.asarray(LinearFilterbank(sound, b, a, device="cuda").process(buffersize=77))
    assert np.array_equal(cpu, gpu)


def test_global_preference_and_moving_between_devices(host_backend):
    sound = _noise(2000)
    reference = np.asarray(Gammatone(sound, CF).process(buffersize=100))
    prefs.hears.device = "cuda"
    try:
        fb = Gammatone(sound, CF)
        assert fb.device == "cuda"
        fb.buffer_init()
        first = fb.buffer_fetch(0, 700)
        assert fb._on_device is not None
        assert np.array_equal(fb.filt_state, fb._on_device.host_state().transpose(2, 1, 0))
    finally:
        prefs.hears.device = "cpu"
    fb.device = "cpu"  # the state comes back from the device: the output continues exactly
    second = fb.buffer_fetch(700, 1300)
    fb.device = "cuda"  # and goes there again
    third = fb.buffer_fetch(1300, 2000)
    assert np.array_equal(np.vstack([first, second, third]), reference)


def test_coefficients_changed_between_chunks_act_from_the_next_chunk(host_backend):
    sound = _noise(1200)
    outputs = []
    for device in ("cpu", "cuda"):
        fb = Gammatone(sound, CF, device=device)
        fb.buffer_init()
        chunks = [fb.buffer_fetch(0, 400)]
        fb.filt_b[:, 0, 0] *= 0.5  # time-varying filters modify the coefficients in place
        chunks.append(fb.buffer_fetch(400, 1200))
        outputs.append(np.vstack(chunks))
    assert np.array_equal(outputs[0], outputs[1])


def test_without_a_gpu_asking_for_one_says_what_is_missing(monkeypatch):
    try:
        get_backend("auto")
    except CudaUnavailable as exc:
        message = str(exc)
    else:
        pytest.skip("a CUDA backend runs on this machine")
    assert "CuPy" in message and "GPU:" in message and "hearsim[cuda" in message
    fb = Gammatone(_noise(100), CF, device="cuda")
    with pytest.raises(CudaUnavailable, match="No CUDA backend"):
        fb.process()
    # and the CPU path is untouched by the failed attempt
    fb.device = "cpu"
    assert np.asarray(fb.process()).shape == (100, len(CF))


def test_preferences_and_arguments_are_checked():
    with pytest.raises(PreferenceError, match="cuda_backend"):
        prefs.codegen.cuda_backend = "opencl"
    with pytest.raises(PreferenceError, match="hears.device"):
        prefs.hears.device = "gpu"
    with pytest.raises(ValueError, match="device must be"):
        Gammatone(_noise(10), CF, device="gpu")
    with pytest.raises(ValueError, match="one of"):
        get_backend("opencl")


SAXPY = r"""
extern "C" __global__ void saxpy(double* y, const double* x, double a, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] += a * x[i];
}
extern "C" __global__ void count_positive(const double* x, unsigned long long* count,
                                          long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n && x[i] > 0) atomicAdd(count, 1ULL);
}
"""


def test_host_backend_launches_over_the_whole_grid(host_backend):
    module = host_backend.compile(SAXPY)
    x = np.arange(1000, dtype=np.float64) - 500
    y = host_backend.to_device(np.ones(1000))
    module.function("saxpy")((8,), (128,), (y, host_backend.to_device(x), np.float64(2.0),
                                            np.int64(1000)))
    assert np.array_equal(host_backend.to_host(y), 1 + 2 * x)
    count = host_backend.zeros(1, np.uint64)
    module.function("count_positive")((4,), (256,), (host_backend.to_device(x), count,
                                                     np.int64(1000)))
    assert int(count[0]) == 499
    if host_backend.name != "host":
        return  # (a Python number's C type is the host backend's question)
    with pytest.raises(TypeError, match="ambiguous"):
        module.function("saxpy")((1,), (1,), (y, x, 2.0, 1000))


def test_host_shim_refuses_what_needs_real_threads(host_backend):
    if host_backend.name != "host":
        pytest.skip("a GPU runs __syncthreads")
    source = r"""extern "C" __global__ void k(double* x) { __syncthreads(); x[0] = 1; }"""
    with pytest.raises(RuntimeError, match="syncthreads"):
        host_backend.compile(source)


@pytest.mark.skipif(not cuda_runtime.shutil.which("nvcc"), reason="nvcc not installed")
@pytest.mark.parametrize("nsections", [1, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sos_kernel_compiles_to_ptx(nsections, dtype):
    from sim.codegen.cuda_target import compile_ptx

    ptx = compile_ptx(sos_source(nsections, dtype))
    assert ".entry hs_sos" in ptx


def test_a_chain_of_device_stages_keeps_its_chunks_on_the_device(host_backend):
    sound = _noise(2000)
    cpu = np.asarray(LowPass(Gammatone(sound, CF), 1 * kHz).process(buffersize=250))
    chain = LowPass(Gammatone(sound, CF, device="cuda"), 1 * kHz, device="cuda")
    host_backend.copies.update(to_device=0, to_host=0)
    gpu = np.asarray(chain.process(buffersize=250))
    assert np.array_equal(cpu, gpu)
    # per chunk: the sound goes to the device once, the last stage's output comes back
    # once; the Gammatone's output never leaves the device
    assert host_backend.copies == {"to_device": 8, "to_host": 8}
    # a CPU stage in between costs one copy each way per chunk, never per sample
    mixed = LowPass(Gammatone(sound, CF, device="cuda") * 1.0, 1 * kHz, device="cuda")
    host_backend.copies.update(to_device=0, to_host=0)
    assert np.array_equal(np.asarray(mixed.process(buffersize=250)), cpu)
    assert host_backend.copies == {"to_device": 16, "to_host": 16}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["shared taps", "taps per channel", "mono source"])
def test_direct_fir_on_the_device_equals_cpu_bit_for_bit(host_backend, dtype, layout):
    from hears import FIRFilterbank

    rng = np.random.default_rng(7)
    if layout == "shared taps":
        sound, ir = _noise(1500, channels=5), rng.standard_normal(30)
    elif layout == "taps per channel":
        sound, ir = _noise(1500, channels=5), rng.standard_normal((5, 30))
    else:
        sound, ir = _noise(1500), rng.standard_normal((5, 30))
    cpu = np.asarray(FIRFilterbank(sound, ir, method="direct", dtype=dtype).process())
    fb = FIRFilterbank(sound, ir, method="direct", dtype=dtype, device="cuda")
    for buffersize in (7, 29, 30, 400):  # chunks shorter than the history, and longer
        gpu = np.asarray(fb.process(buffersize=buffersize))
        assert np.array_equal(gpu.view(np.uint8), cpu.view(np.uint8)), buffersize
    fb.buffer_init()  # moving to the CPU mid-stream carries the history back
    first = fb.buffer_fetch(0, 500)
    fb.device = "cpu"
    second = fb.buffer_fetch(500, 1500)
    assert np.array_equal(np.vstack([first, second]), cpu)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fft_fir_on_the_device_equals_cpu(host_backend, dtype, monkeypatch):
    from hears import FIRFilterbank

    rng = np.random.default_rng(9)
    sound, ir = _noise(3000, channels=3), rng.standard_normal((3, 700))
    cpu = np.asarray(FIRFilterbank(sound, ir, method="fft", dtype=dtype).process())
    fb = FIRFilterbank(sound, ir, method="fft", dtype=dtype, device="cuda")
    scale = np.max(np.abs(cpu))
    for buffersize in (50, 1000, 3000):  # blocks of fft size, handed out in any chunks
        gpu = np.asarray(fb.process(buffersize=buffersize))
        assert gpu.dtype == cpu.dtype
        assert np.max(np.abs(gpu - cpu)) <= (1e-12 if dtype == np.float64 else 1e-5) * scale
    fb.buffer_init()  # the tail and pending samples move back to the CPU mid-stream
    first = fb.buffer_fetch(0, 1234)
    fb.device = "cpu"
    second = fb.buffer_fetch(1234, 3000)
    assert np.max(np.abs(np.vstack([first, second]) - cpu)) <= 1e-5 * scale
    # a backend without FFTs (PyCUDA) refuses the method clearly
    monkeypatch.setattr(host_backend, "fft", None)
    other = FIRFilterbank(sound, ir, method="fft", device="cuda")
    with pytest.raises(NotImplementedError, match="method='direct'"):
        other.process()
    other.device = "cpu"
    assert np.asarray(other.process()).shape == (3000, 3)


def test_gammatone_then_fir_chain_on_the_device(host_backend):
    from hears import FIRFilterbank

    sound = _noise(1000)
    ir = np.random.default_rng(8).standard_normal((len(CF), 12))
    cpu = np.asarray(FIRFilterbank(Gammatone(sound, CF), ir, method="direct")
                     .process(buffersize=100))
    chain = FIRFilterbank(Gammatone(sound, CF, device="cuda"), ir, method="direct",
                          device="cuda")
    host_backend.copies.update(to_device=0, to_host=0)
    assert np.array_equal(np.asarray(chain.process(buffersize=100)), cpu)
    assert host_backend.copies == {"to_device": 10 + 1, "to_host": 10}  # + the taps


def test_function_filterbanks_between_device_stages(host_backend):
    from hears import FunctionFilterbank

    sound = _noise(1000)

    def pipeline(device):
        gfb = Gammatone(sound, CF, device=device)
        compressed = FunctionFilterbank(gfb, lambda x: np.cbrt(np.maximum(x, 0.0)))
        summed = compressed + gfb  # a SumFilterbank: a function of two sources
        for fb in (compressed, summed):
            fb.device = device
        return LowPass(summed, 1 * kHz, device=device)

    cpu = np.asarray(pipeline("cpu").process(buffersize=100))
    gpu_chain = pipeline("cuda")
    host_backend.copies.update(to_device=0, to_host=0)
    assert np.array_equal(np.asarray(gpu_chain.process(buffersize=100)), cpu)
    assert host_backend.copies == {"to_device": 10, "to_host": 10}  # the sound in, output out
    # a result of another shape is broadcast on the host, as on the CPU
    level = FunctionFilterbank(Gammatone(sound, CF, device="cuda"),
                               lambda x: np.sqrt(np.mean(x ** 2, axis=0)))
    level.device = "cuda"
    cpu_level = FunctionFilterbank(Gammatone(sound, CF), lambda x: np.sqrt(np.mean(x ** 2,
                                                                                  axis=0)))
    assert np.array_equal(np.asarray(level.process(buffersize=100)),
                          np.asarray(cpu_level.process(buffersize=100)))


def test_restructuring_between_device_stages(host_backend):
    from hears import Join, Repeat, Tile

    sound = _noise(600, channels=2)

    def pipeline(device):
        low = LowPass(sound, 1 * kHz, device=device)
        joined = Join(Repeat(low, 3), Tile(low, 2))
        for fb in (joined, *joined.source):
            fb.device = device
        return Gammatone(joined, erbspace(200 * Hz, 2 * kHz, 10), device=device)

    cpu = np.asarray(pipeline("cpu").process(buffersize=200))
    chain = pipeline("cuda")
    host_backend.copies.update(to_device=0, to_host=0)
    assert np.array_equal(np.asarray(chain.process(buffersize=200)), cpu)
    assert host_backend.copies == {"to_device": 3 + 3, "to_host": 3}  # + three index maps


def test_drnl_runs_on_the_device_as_a_chain_of_device_stages(host_backend):
    """DRNL is linear, function and sum filterbanks: with prefs.hears.device = 'cuda' every
    stage runs on the device, the CPU's output bit for bit, one copy in and out per chunk."""
    from hears import DRNL

    sound = Sound(0.01 * np.random.default_rng(1).standard_normal(2000),
                  samplerate=44100 * Hz)
    cf = erbspace(200 * Hz, 5 * kHz, 20)
    cpu = np.asarray(DRNL(sound, cf).process(buffersize=250))
    prefs.hears.device = "cuda"
    try:
        host_backend.copies.update(to_device=0, to_host=0)
        gpu = np.asarray(DRNL(sound, cf).process(buffersize=250))
    finally:
        prefs.hears.device = "cpu"
    assert np.array_equal(cpu, gpu)
    assert host_backend.copies == {"to_device": 8, "to_host": 8}

"""The CUDA runtime: compile CUDA C, hold device arrays, launch kernels, copy back.

One interface, three backends, all running the same generated source:

* ``'cupy'`` (the default where it imports and sees a GPU): ``cupy.RawModule``
  compiles through NVRTC (no nvcc needed at run time) and caches the binary on
  disk keyed by the source's hash (CuPy's kernel cache, ``~/.cupy/kernel_cache``
  or ``$CUPY_CACHE_DIR``);
* ``'pycuda'`` (used when CuPy is missing and PyCUDA imports): ``SourceModule``,
  which caches by source hash too;
* ``'host'``: the source compiled as host C++ with a small shim header
  (``blockIdx``/``threadIdx`` loops, atomics as plain operations) and loaded
  through ctypes; device arrays are numpy arrays.  It runs every CUDA code
  path of the project on a machine without a GPU, so that kernels are tested
  by running them, not only by compiling them; it is chosen only explicitly
  (``prefs.codegen.cuda_backend = 'host'``).  Its shared libraries are cached
  in ``$HEARSIM_CACHE_DIR/cuda_host`` by the hash of source, shim and
  compiler flags.

Every backend compiles without FMA contraction (``-fmad=false`` on the
device, ``-ffp-contract=off`` on the host), so that kernels written to do the
CPU kernels' operations in the same order give the CPU kernels' results bit
for bit.

Importing this module (and the whole project) never touches CUDA; asking for a
backend that cannot run raises :class:`CudaUnavailable`, saying what was found
(a GPU or not, CuPy or PyCUDA and their versions, the CUDA toolkit's version).
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

__all__ = ["CudaUnavailable", "get_backend", "describe_cuda", "HOST_SHIM", "Backend"]

BACKENDS = ("auto", "cupy", "pycuda", "host")


class CudaUnavailable(RuntimeError):
    """A CUDA backend was asked for and cannot run here (the message says what is missing)."""


def _nvcc_version() -> str | None:
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        return None
    try:
        out = subprocess.run([nvcc, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"release (\d+\.\d+)", out)
    return match.group(1) if match else "unknown"


def _gpu_seen() -> str | None:
    """A description of the GPU the driver reports, or None."""
    smi = shutil.which("nvidia-smi")
    if smi is not None:
        try:
            out = subprocess.run([smi, "-L"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
            if out:
                return out.splitlines()[0]
        except (OSError, subprocess.SubprocessError):
            pass
    return "a /dev/nvidia0 device" if os.path.exists("/dev/nvidia0") else None


def describe_cuda() -> str:
    """What this machine has for CUDA: GPU, CuPy, PyCUDA, toolkit (one line each)."""
    lines = [f"GPU: {_gpu_seen() or 'none found (no nvidia-smi output, no /dev/nvidia0)'}"]
    for module in ("cupy", "pycuda"):
        spec = importlib.util.find_spec(module)
        if spec is None:
            lines.append(f"{module}: not installed")
            continue
        try:
            from importlib.metadata import PackageNotFoundError, distributions

            versions = [d.version for d in distributions()
                        if (d.metadata["Name"] or "").lower().startswith(module)]
            lines.append(f"{module}: installed ({', '.join(versions) or 'version unknown'})")
        except (ImportError, PackageNotFoundError):
            lines.append(f"{module}: installed")
    nvcc = _nvcc_version()
    lines.append(f"CUDA toolkit (nvcc): {nvcc or 'not found'}"
                 + (f" -> the CuPy wheel for it: pip install 'hearsim[cuda{nvcc.split('.')[0]}]'"
                    if nvcc and nvcc != "unknown" else ""))
    return "; ".join(lines)


class Backend:
    """The interface every backend implements (arrays are the backend's own)."""

    name = "?"
    #: copies between host and device so far, ``{'to_device': n, 'to_host': n}`` (to see
    #: that a chain of device stages keeps its chunks on the device)
    copies: dict

    def to_device(self, array: np.ndarray):
        """A device copy of a host array."""
        self.copies["to_device"] = self.copies.get("to_device", 0) + 1
        return self._to_device(array)

    def to_host(self, array) -> np.ndarray:
        """A host copy of a device array."""
        self.copies["to_host"] = self.copies.get("to_host", 0) + 1
        return self._to_host(array)

    def _to_device(self, array: np.ndarray):  # pragma: no cover - interface
        raise NotImplementedError

    def _to_host(self, array) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def zeros(self, shape, dtype):  # pragma: no cover - interface
        raise NotImplementedError

    def copy_to_device(self, target, source: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def view(self, array, offset: int, shape, dtype):  # pragma: no cover - interface
        """A view of a device array: ``shape`` elements of ``dtype`` from byte ``offset``."""
        raise NotImplementedError

    def compile(self, source: str):  # pragma: no cover - interface
        """A module of kernels: ``module.function(name)(grid, block, args)``."""
        raise NotImplementedError

    #: the numpy-like module of the device arrays and its FFT module (None: not offered)
    xp = None
    fft = None

    def capture(self, program: list):
        """A replayable form of ``program`` (prepared launches, in order) as one graph, or
        None where the backend has no graphs (then the launches are replayed one by one)."""
        return None

    def synchronize(self) -> None:
        pass

    def is_device_array(self, value) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


# -- CuPy ------------------------------------------------------------------------------
class _CupyBackend(Backend):
    name = "cupy"

    def __init__(self):
        try:
            import cupy
        except ImportError as exc:
            raise CudaUnavailable(f"CuPy cannot be imported ({exc}); {describe_cuda()}") \
                from None
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # noqa: BLE001 - CuPy raises its own runtime errors
            raise CudaUnavailable(f"CuPy finds no usable GPU ({exc}); {describe_cuda()}") \
                from None
        if count < 1:
            raise CudaUnavailable(f"CuPy finds no GPU; {describe_cuda()}")
        device = _device_number()
        if device >= count:
            raise CudaUnavailable(f"prefs.codegen.cuda_device = {device}, but CuPy sees "
                                  f"{count} GPU(s); {describe_cuda()}")
        cupy.cuda.Device(device).use()  # this process's arrays and modules live there
        self.device = device
        self.cupy = cupy
        self.xp, self.fft = cupy, cupy.fft  # the array module and its FFTs (cuFFT)
        self._modules: dict[str, object] = {}

    def _to_device(self, array):
        return self.cupy.asarray(array)

    def zeros(self, shape, dtype):
        return self.cupy.zeros(shape, dtype=dtype)

    def _to_host(self, array):
        return self.cupy.asnumpy(array)

    def copy_to_device(self, target, source):
        target.set(np.ascontiguousarray(source, dtype=target.dtype))

    def is_device_array(self, value) -> bool:
        return isinstance(value, self.cupy.ndarray)

    def view(self, array, offset, shape, dtype):
        return self.cupy.ndarray(shape, dtype, memptr=array.data + offset)

    def compile(self, source):
        key = hashlib.sha1(source.encode()).hexdigest()
        if key not in self._modules:
            module = self.cupy.RawModule(code=source, options=("-fmad=false", "--std=c++14"))

            class _Module:
                @staticmethod
                def function(name):
                    kernel = module.get_function(name)

                    def launch(grid, block, args):
                        kernel(tuple(grid), tuple(block), tuple(args))

                    launch.prepare = _prepared(launch)
                    return launch

            self._modules[key] = _Module()
        return self._modules[key]

    def synchronize(self):
        self.cupy.cuda.Device().synchronize()

    def capture(self, program):
        """The program captured into a CUDA graph (stream capture on a stream of its own;
        the replay is one launch)."""
        stream = self.cupy.cuda.Stream(non_blocking=True)
        with stream:
            stream.begin_capture()
            try:
                for launch in program:
                    launch()
            finally:
                graph = stream.end_capture()

        def run():
            graph.launch(stream)

        run.stream = stream  # the loop issues everything else on it too, in order
        return run


# -- PyCUDA ----------------------------------------------------------------------------
class _PycudaBackend(Backend):
    name = "pycuda"

    def __init__(self):
        import sys

        if "pycuda.autoinit" not in sys.modules:  # its context goes on CUDA_DEVICE
            os.environ["CUDA_DEVICE"] = str(_device_number())
        self.device = int(os.environ.get("CUDA_DEVICE", "0"))
        try:
            import pycuda.autoinit  # noqa: F401 - creates the context
            import pycuda.driver as driver
            import pycuda.gpuarray as gpuarray
            from pycuda.compiler import SourceModule
        except Exception as exc:  # noqa: BLE001 - no driver, no device: all end here
            raise CudaUnavailable(f"PyCUDA cannot start ({exc}); {describe_cuda()}") from None
        self.driver, self.gpuarray, self.SourceModule = driver, gpuarray, SourceModule
        self.xp = self.fft = None  # gpuarray is no numpy-like module and has no FFT
        self._modules: dict[str, object] = {}

    def _to_device(self, array):
        return self.gpuarray.to_gpu(np.ascontiguousarray(array))

    def zeros(self, shape, dtype):
        return self.gpuarray.zeros(shape, dtype=dtype)

    def _to_host(self, array):
        return array.get()

    def copy_to_device(self, target, source):
        target.set(np.ascontiguousarray(source, dtype=target.dtype))

    def is_device_array(self, value) -> bool:
        return isinstance(value, self.gpuarray.GPUArray)

    def view(self, array, offset, shape, dtype):
        return self.gpuarray.GPUArray(shape, dtype, gpudata=int(array.gpudata) + offset)

    def compile(self, source):
        key = hashlib.sha1(source.encode()).hexdigest()
        if key not in self._modules:
            module = self.SourceModule(source, options=["-fmad=false"], no_extern_c=True)

            class _Module:
                @staticmethod
                def function(name):
                    kernel = module.get_function(name)

                    def launch(grid, block, args):
                        values = [a.gpudata if hasattr(a, "gpudata") else a for a in args]
                        kernel(*values, grid=tuple(grid)[:2], block=tuple(block))

                    launch.prepare = _prepared(launch)
                    return launch

            self._modules[key] = _Module()
        return self._modules[key]

    def synchronize(self):
        self.driver.Context.synchronize()


# -- the host shim ---------------------------------------------------------------------
#: CUDA C compiled as host C++: one sequential loop over blocks and threads per launch.
#: Kernels that need threads to run together (``__syncthreads``, ``__shared__``) are
#: refused at compile time: they would need real concurrency.
HOST_SHIM = r"""
#include <stdint.h>
#include <math.h>
struct hs_dim3 { unsigned int x, y, z; };
static hs_dim3 blockIdx, threadIdx, blockDim, gridDim;
#define __global__
#define __device__ static inline
#define __forceinline__
#define __host__
#define __constant__ static
#define __restrict__ __restrict
#define __syncthreads() HS_HOST_SHIM_CANNOT_RUN__syncthreads
#define __shared__ HS_HOST_SHIM_CANNOT_RUN__shared__
static inline double atomicAdd(double* p, double v) { double o = *p; *p = o + v; return o; }
static inline float atomicAdd(float* p, float v) { float o = *p; *p = o + v; return o; }
static inline int atomicAdd(int* p, int v) { int o = *p; *p = o + v; return o; }
static inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
    unsigned long long o = *p; *p = o + v; return o; }
"""

def _prepared(launch):
    """``launch.prepare(grid, block, args)``: the launch with its arguments fixed, a
    callable with no arguments (a step's program is a list of these)."""

    def prepare(grid, block, args):
        grid, block, args = tuple(grid), tuple(block), tuple(args)
        return lambda: launch(grid, block, args)

    return prepare


_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)', re.S)


def _launchers(source: str, reverse: bool = False) -> str:
    """A host launcher ``hs_launch_<name>(grid, block, args...)`` per kernel of the source;
    ``reverse``: blocks and threads run last first (tests: order must not matter)."""
    loops = ("    for (unsigned int _r1 = 0; _r1 < _gy; ++_r1)\n"
             "    for (unsigned int _r0 = 0; _r0 < _gx; ++_r0)\n"
             "    for (unsigned int _s1 = 0; _s1 < _by; ++_s1)\n"
             "    for (unsigned int _s0 = 0; _s0 < _bx; ++_s0) {\n")
    if reverse:
        pick = ("        unsigned int _b1 = _gy - 1 - _r1, _b0 = _gx - 1 - _r0, "
                "_t1 = _by - 1 - _s1, _t0 = _bx - 1 - _s0;\n")
    else:
        pick = ("        unsigned int _b1 = _r1, _b0 = _r0, _t1 = _s1, _t0 = _s0;\n")
    out = []
    for name, params in _KERNEL.findall(source):
        params = " ".join(params.split())
        names = [re.split(r"[\s*]+", p.strip())[-1] for p in params.split(",") if p.strip()]
        out.append(
            f'extern "C" void hs_launch_{name}(unsigned int _gx, unsigned int _gy, '
            f"unsigned int _bx, unsigned int _by{', ' + params if params else ''}) {{\n"
            "    gridDim.x = _gx; gridDim.y = _gy; gridDim.z = 1;\n"
            "    blockDim.x = _bx; blockDim.y = _by; blockDim.z = 1;\n"
            + loops + pick +
            "        blockIdx.x = _b0; blockIdx.y = _b1; blockIdx.z = 0;\n"
            "        threadIdx.x = _t0; threadIdx.y = _t1; threadIdx.z = 0;\n"
            f"        {name}({', '.join(names)});\n"
            "    }\n"
            "}\n")
    return "\n".join(out)


_HOST_FLAGS = ("-O2", "-ffp-contract=off", "-fno-fast-math", "-fPIC", "-shared", "-std=c++14")


_CTYPES = {np.dtype(np.float64): ctypes.c_double, np.dtype(np.float32): ctypes.c_float,
           np.dtype(np.int64): ctypes.c_int64, np.dtype(np.uint64): ctypes.c_uint64,
           np.dtype(np.int32): ctypes.c_int32, np.dtype(np.uint32): ctypes.c_uint32}


def _ctypes_value(value):
    if isinstance(value, np.ndarray):
        if not value.flags.c_contiguous:
            raise ValueError("host backend: kernel arrays must be C-contiguous")
        return ctypes.c_void_p(value.ctypes.data)
    if isinstance(value, np.generic) and value.dtype in _CTYPES:
        return _CTYPES[value.dtype](value.item())
    raise TypeError(f"host backend: a kernel argument must be a numpy array or a numpy scalar "
                    f"of a fixed width (np.int64(...), np.float64(...)), got "
                    f"{type(value).__name__} (a Python number's C type is ambiguous)")


#: every source the host backend compiled in this process (hash -> source): the tests
#: compile them all for a GPU too (tests/test_zz_cuda_ptx.py)
host_compiled: dict[str, str] = {}


class _HostBackend(Backend):
    name = "host"
    #: run blocks and threads last first (a test backend: code that relies on the order
    #: of threads gives other results then, as it would on a GPU)
    reverse_threads = False

    def __init__(self):
        self.cxx = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
        if self.cxx is None:
            raise CudaUnavailable("the host backend needs a C++ compiler (g++, c++ or "
                                  "clang++) on the PATH")
        self.xp, self.fft = np, np.fft
        self._modules: dict[str, object] = {}

    def _to_device(self, array):
        return np.array(array, copy=True, order="C")

    def zeros(self, shape, dtype):
        return np.zeros(shape, dtype=dtype)

    def _to_host(self, array):
        return np.array(array, copy=True)

    def copy_to_device(self, target, source):
        target[...] = source

    def is_device_array(self, value) -> bool:
        return isinstance(value, np.ndarray)

    def view(self, array, offset, shape, dtype):
        return np.ndarray(shape, dtype, buffer=array, offset=offset)

    def _library(self, source: str) -> Path:
        from sim.codegen.numba_target import cache_dir
        from sim.safe_io import atomic_write_bytes, private_dir

        program = HOST_SHIM + "\n" + source + "\n" + _launchers(source, self.reverse_threads)
        key = hashlib.sha1("\0".join([program, self.cxx, *_HOST_FLAGS]).encode()).hexdigest()
        folder = private_dir(cache_dir().parent / "cuda_host", "CUDA host-backend cache folder")
        library = folder / f"hs_cuda_{key[:24]}.so"
        if not library.exists():
            src = folder / f"hs_cuda_{key[:24]}.cpp"
            atomic_write_bytes(src, program.encode())
            tmp = folder / f".{library.name}.{os.getpid()}.tmp"
            result = subprocess.run([self.cxx, *_HOST_FLAGS, "-o", str(tmp), str(src), "-lm"],
                                    capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                tmp.unlink(missing_ok=True)
                raise RuntimeError(f"host backend: compiling the CUDA source as C++ failed:\n"
                                   f"{result.stderr}")
            os.replace(tmp, library)
        return library

    def compile(self, source):
        key = hashlib.sha1(source.encode()).hexdigest()
        if key not in self._modules:
            host_compiled[key] = source
            library = ctypes.CDLL(str(self._library(source)))

            class _Module:
                @staticmethod
                def function(name):
                    launcher = getattr(library, f"hs_launch_{name}")
                    launcher.restype = None

                    def values(grid, block, args):
                        grid = (*tuple(grid), 1)[:2]
                        block = (*tuple(block), 1)[:2]
                        return (*(ctypes.c_uint(int(v)) for v in (*grid, *block)),
                                *(_ctypes_value(a) for a in args))

                    def launch(grid, block, args):
                        launcher(*values(grid, block, args))

                    def prepare(grid, block, args):
                        converted = values(grid, block, args)

                        def run(_held=tuple(args)):  # (holding the arrays: pointers stay valid)
                            launcher(*converted)

                        return run

                    launch.prepare = prepare
                    return launch

            self._modules[key] = _Module()
        return self._modules[key]


def _device_number() -> int:
    """The GPU of this process: ``prefs.codegen.cuda_device`` when the backend starts (a
    process's device arrays live on one GPU: several GPUs are several processes, e.g. the
    fitters' ``process_pool(cuda_devices=[0, 1, ...])``)."""
    from sim.prefs import prefs

    return int(prefs.codegen.cuda_device)


_CLASSES = {"cupy": _CupyBackend, "pycuda": _PycudaBackend, "host": _HostBackend}
_instances: dict[str, Backend] = {}


def get_backend(name: str | None = None) -> Backend:
    """The CUDA backend ``name`` (default ``prefs.codegen.cuda_backend``): 'auto' is CuPy
    where it runs, else PyCUDA; raises CudaUnavailable saying what is missing."""
    if name is None:
        from sim.prefs import prefs

        name = prefs.codegen.cuda_backend
    if name not in BACKENDS:
        raise ValueError(f"CUDA backend must be one of {BACKENDS}, got {name!r}")
    if name in _instances:
        return _instances[name]
    if name == "auto":
        reasons = []
        for candidate in ("cupy", "pycuda"):
            try:
                backend = get_backend(candidate)
            except CudaUnavailable as exc:
                reasons.append(str(exc).split(";")[0])
                continue
            _instances["auto"] = backend
            return backend
        raise CudaUnavailable(f"No CUDA backend can run here ({'; '.join(reasons)}). "
                              f"{describe_cuda()}. Install the CuPy wheel for your CUDA "
                              f"version (pip install 'hearsim[cuda12]' or 'hearsim[cuda13]'), "
                              f"or use the CPU (the default).")
    backend = _CLASSES[name]()
    backend.copies = {"to_device": 0, "to_host": 0}
    _instances[name] = backend
    return backend

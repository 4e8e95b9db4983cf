"""Brian 2's devices, for scripts that choose one: ``set_device('cpp_standalone')``,
``device.build()``.

Brian 2 turns a script into a C++ (or CUDA, or GeNN) project that is compiled and run
at ``device.build()``.  hearsim has no separate build: every run executes at once, in
process, as compiled code (the numba target).  The device calls are accepted so that
such scripts run unchanged, and give the same results: runs made before ``build()``
have already happened when it is called, which is what the script sees afterwards.
"""

from __future__ import annotations

import logging

__all__ = ["Device", "set_device", "get_device", "reset_device", "device"]

_logger = logging.getLogger(__name__)

#: Brian 2's device names, and what they mean here
KNOWN_DEVICES = {
    "runtime": "runs in process (as every hearsim device)",
    "cpp_standalone": "runs in process, compiled by numba: no C++ project is written",
    "cuda_standalone": "brian2cuda's device: runs on the CPU (numba); hearsim's CUDA target "
                       "does not run simulations yet",
    "genn": "Brian2GeNN's device: runs on the CPU (numba)",
}


class Device:
    """A Brian 2 device name; every method the scripts call is accepted."""

    def __init__(self, name: str):
        self.name = name
        self.build_on_run = True
        self.has_been_run = False
        self.options: dict = {}

    def activate(self, build_on_run: bool = True, **kwargs) -> None:
        self.build_on_run = build_on_run
        self.options = dict(kwargs)

    def build(self, directory="output", results_directory="results", compile=True, run=True,
              debug=False, clean=False, with_output=True, additional_source_files=None,
              run_args=None, direct_call=True, **kwargs) -> None:
        """Brian 2 compiles and runs the project here; in hearsim the runs already
        happened (``run=False`` is refused: there is nothing to run later)."""
        if run_args:
            raise NotImplementedError(
                "device.build(run_args=...): hearsim runs each run() at once; change the "
                "values before calling run() instead"
            )
        if not run:
            raise NotImplementedError(
                "device.build(run=False): hearsim has no project to run later; every run() "
                "has executed already"
            )
        self.has_been_run = True

    def seed(self, seed=None) -> None:
        from sim.random import seed as _seed

        _seed(seed)

    def reinit(self) -> None:
        self.has_been_run = False

    def delete(self, code: bool = True, data: bool = True, directory: bool = True,
               force: bool = False) -> None:
        """Nothing was written to disk: nothing to delete."""

    def insert_code(self, slot: str, code: str) -> None:
        raise NotImplementedError(
            f"device.insert_code('{slot}', ...): hearsim writes no C++ project to insert "
            f"code into; use a network_operation for code that runs between steps"
        )

    def __repr__(self) -> str:
        return f"<Device '{self.name}'>"


_current = Device("runtime")
_previous: list[Device] = []


def set_device(device, build_on_run: bool = True, **kwargs) -> None:
    """Choose a Brian 2 device (``'runtime'``, ``'cpp_standalone'``, ``'cuda_standalone'``,
    ``'genn'``). Every device runs in process here, compiled by numba."""
    global _current
    name = device.name if isinstance(device, Device) else device
    if name not in KNOWN_DEVICES:
        raise ValueError(f"Unknown device '{name}' (known: {', '.join(KNOWN_DEVICES)})")
    if name in ("cuda_standalone", "genn"):
        _logger.warning("set_device('%s'): %s", name, KNOWN_DEVICES[name])
    else:
        _logger.info("set_device('%s'): %s", name, KNOWN_DEVICES[name])
    _previous.append(_current)
    _current = device if isinstance(device, Device) else Device(name)
    _current.activate(build_on_run=build_on_run, **kwargs)


def get_device() -> Device:
    return _current


def reset_device(device=None) -> None:
    """Back to the previous device (or to ``device``), as Brian 2."""
    global _current
    if device is not None:
        set_device(device)
        return
    _current = _previous.pop() if _previous else Device("runtime")


class _CurrentDevice:
    """``device``: whichever device is active (as Brian 2's proxy)."""

    def __getattr__(self, name: str):
        return getattr(_current, name)

    def __repr__(self) -> str:
        return repr(_current)


device = _CurrentDevice()

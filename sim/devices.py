"""Brian 2's devices, for scripts that choose one: ``set_device('cpp_standalone')``,
``device.build()``.

Brian 2 turns a script into a C++ (or CUDA, or GeNN) project that is compiled and run
at ``device.build()``.  hearsim has no separate build: every ``run()`` executes at once, in
process, as compiled code (the numba target).  The device calls are accepted so that
such scripts run unchanged, and give the same results: runs made before ``build()``
have already happened when it is called, which is what the script sees afterwards.

What each call does in hearsim:

``set_device(name, build_on_run=..., **options)``
    records the name (``'runtime'``, ``'cpp_standalone'``, ``'cuda_standalone'``,
    ``'genn'``); every device runs in process, and ``run()`` always runs at once.
``device.build(directory=..., compile=..., run=True, ...)``
    nothing to compile or run: the runs already happened.  ``run=False`` (Brian 2: compile
    now, run later with ``device.run()``) is accepted the same way.  ``run_args=`` is
    refused (``NotImplementedError``): the first run has already used the values.
``device.run()``
    Brian 2 runs the built project (again).  The first ``device.run()`` after
    ``build(run=False)`` is accepted: the simulation it would run has already run, with
    the same model and values.  A second one, or one with ``run_args=`` (new initial values
    or parameters, Brian 2's repeated full runs), raises ``NotImplementedError``: hearsim
    would have to run the whole simulation again from its initial state; do that in the
    script with ``store()`` before the first ``run()``, then ``restore()``, set the values
    and ``run()`` again for each case.
``device.apply_run_args()``
    nothing to do (no ``run_args`` are ever pending).
``device.reinit()``, ``device.activate()``, ``device.delete()``, ``device.seed()``
    forget the build, set the options again, nothing to delete (nothing was written),
    :func:`sim.seed`.
``device.insert_code(...)``
    refused: there is no C++ project to insert code into.
``reinit_devices()``
    Brian 2's reset between simulations: reinitialises the devices, activates the current
    one again and calls :func:`restore_initial_state` (default preferences, ``defaultclock.dt
    = 0.1*ms``, a new scope).
"""

from __future__ import annotations

import logging

__all__ = ["Device", "set_device", "get_device", "reset_device", "device", "reinit_devices",
           "restore_initial_state"]

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
        self.has_been_built = False
        self._runs_pending = 0
        self.options: dict = {}

    def activate(self, build_on_run: bool = True, **kwargs) -> None:
        self.build_on_run = build_on_run
        self.options = dict(kwargs)

    def build(self, directory="output", results_directory="results", compile=True, run=True,
              debug=False, clean=False, with_output=True, additional_source_files=None,
              run_args=None, direct_call=True, **kwargs) -> None:
        """Brian 2 compiles (and, with ``run=True``, runs) the project here; in hearsim the
        runs already happened, so there is nothing to do.  ``run=False`` is accepted: the
        first ``device.run()`` then stands for the runs already made."""
        if run_args:
            raise NotImplementedError(
                "device.build(run_args=...): hearsim runs each run() at once, so the runs "
                "have already used the values; set them before calling run() instead"
            )
        self.has_been_built = True
        if run:
            self.has_been_run = True
        else:
            self._runs_pending = 1  # the runs made already are the first device.run()

    def run(self, directory=None, results_directory=None, with_output=True, run_args=None,
            **kwargs) -> None:
        """Brian 2 runs the built project (again, for repeated full runs, optionally with
        new values, ``run_args={G.v: ...}``).  hearsim ran the simulation at ``run()``: the
        first ``device.run()`` after ``build(run=False)`` stands for it; running it again
        is refused (``NotImplementedError``), with the way to do it in the script."""
        if not self.has_been_built and not self.build_on_run:
            raise RuntimeError("device.run(): call device.build(run=False) first (as Brian 2)")
        if not run_args and self._runs_pending:
            self._runs_pending -= 1
            self.has_been_run = True
            return
        what = ("device.run(run_args=...)" if run_args else
                "a second device.run()")
        raise NotImplementedError(
            f"{what}: Brian 2 runs the whole built simulation again from its initial state"
            f"{' with the new values' if run_args else ''}; hearsim ran it at run() and "
            f"cannot run it again from the start. In the script: call store() before the "
            f"first run(), then for each case restore(), set the values (e.g. G.v = ...) "
            f"and run() again"
        )

    def apply_run_args(self) -> None:
        """Brian 2 applies the ``run_args`` values here; hearsim never has any pending."""

    def seed(self, seed=None) -> None:
        from sim.random import seed as _seed

        _seed(seed)

    def reinit(self) -> None:
        """Forget the build (as Brian 2, for a new simulation in the same script)."""
        self.has_been_run = False
        self.has_been_built = False
        self._runs_pending = 0

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


def restore_initial_state() -> None:
    """Brian 2's: back to the state after import: default preferences, ``defaultclock.dt =
    0.1*ms`` and a new scope (objects made before are not collected by ``run()``)."""
    from sim.base import start_scope
    from sim.clocks import defaultclock
    from sim.prefs import prefs
    from sim.units import ms

    prefs.reset()
    defaultclock.dt = 0.1 * ms
    start_scope()


def reinit_devices() -> None:
    """Brian 2's: reinitialise every device, activate the current one again (with its
    options) and :func:`restore_initial_state`.  ``defaultclock.dt`` is 0.1 ms afterwards."""
    for dev in {id(d): d for d in (*_previous, _current)}.values():
        dev.reinit()
    _current.activate(build_on_run=_current.build_on_run, **_current.options)
    restore_initial_state()


class _CurrentDevice:
    """``device``: whichever device is active (as Brian 2's proxy)."""

    def __getattr__(self, name: str):
        return getattr(_current, name)

    def __repr__(self) -> str:
        return repr(_current)


device = _CurrentDevice()

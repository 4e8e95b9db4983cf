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
    ``'genn'``); every device runs in process, compiled by numba; ``run()`` runs at once
    unless ``build_on_run=False``.
``device.build(directory=..., compile=..., run=True, run_args=..., ...)``
    nothing to compile: the runs already happened.  ``run=False`` (Brian 2: compile now,
    run later with ``device.run()``) is accepted the same way; ``run_args`` with
    ``run=True`` runs the simulation again with them (as ``device.run(run_args=...)``).
``device.run(run_args=None)``
    Brian 2 runs the built project (again): repeated full runs of the whole simulation
    from its initial state.  hearsim does the same (on the standalone devices): each
    ``run()`` made under the device is recorded, with the state of every object before
    its first run; ``device.run()`` puts those initial states back, sets the
    ``run_args`` values (``{G.tau: 5*ms, G.v: array, timed_array: values}``), and runs
    the recorded runs again, so that the monitors then hold the new simulation's
    results.  As in Brian 2, the random numbers are the same in every repetition when
    the script called ``seed(...)`` before its first run, and new ones otherwise.  With
    ``set_device(..., build_on_run=False)``, ``run()`` only records (as Brian 2's
    standalone devices, which run nothing before the build): ``device.build()`` (or,
    after ``build(run=False)``, the first ``device.run()``) makes the first execution.
    Difference: values the script set with random string expressions before the first
    run (``G.v = 'rand()'``) are those of the first run in every repetition (Brian 2
    draws them again when there is no seed); assignments that depend on a value given
    in ``run_args`` are not recomputed (Brian 2's ``apply_run_args()`` moves that point).
``device.apply_run_args()``
    nothing to do: ``run_args`` are applied after all the script's assignments.
``device.reinit()``, ``device.activate()``, ``device.delete()``, ``device.seed()``
    forget the build, set the options again, nothing to delete (nothing was written),
    :func:`sim.seed`.
``device.insert_code(...)``
    refused: there is no C++ project to insert code into.
``sim.devices.device``, ``sim.devices.device_module``
    Brian 2's module paths of this module; ``device_module.active_device = dev`` makes
    ``dev`` the current device, as in Brian 2.
``reinit_devices()``
    Brian 2's reset between simulations: reinitialises the devices, activates the current
    one again and calls :func:`restore_initial_state` (default preferences, ``defaultclock.dt
    = 0.1*ms``, a new scope).
"""

from __future__ import annotations

import copy
import logging
import sys
from typing import Any

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
        self.options: dict = {}
        self._forget_runs()

    def _forget_runs(self) -> None:
        #: the runs made under this device, to run again: (objects, duration, namespace,
        #: keyword arguments); the initial state of every object seen, by name
        self._runs: list[tuple[list, float, dict, dict]] = []
        self._initial: dict[str, tuple[Any, dict]] = {}
        self._t0 = None
        self._random0: dict | None = None
        self._replaying = False

    @property
    def records_runs(self) -> bool:
        """Whether runs are recorded for repeated full runs (the standalone devices)."""
        return self.name != "runtime"

    def _note_run(self, network, duration_s: float, namespace: dict, kwargs: dict) -> bool:
        """Called by ``Network.run`` before a run: record it and, for objects not seen
        before, their state before this run (the simulation's initial state).  True when
        the run is to wait for ``device.build()``/``device.run()`` (``build_on_run=False``,
        as Brian 2's standalone devices)."""
        if not self.records_runs or self._replaying:
            return False
        from sim import random as _random

        if not self._runs:
            self._t0 = network._t
            self._random0 = copy.deepcopy(_random.get_state())
        for name, obj in network._state_objects().items():
            if name not in self._initial:
                self._initial[name] = (obj, copy.deepcopy(obj._get_state()))
        self._runs.append((list(network.objects), duration_s, namespace, dict(kwargs)))
        return not self.build_on_run

    def activate(self, build_on_run: bool = True, **kwargs) -> None:
        self.build_on_run = build_on_run
        self.options = dict(kwargs)

    def build(self, directory="output", results_directory="results", compile=True, run=True,
              debug=False, clean=False, with_output=True, additional_source_files=None,
              run_args=None, direct_call=True, **kwargs) -> None:
        """Brian 2 compiles (and, with ``run=True``, runs) the project here; in hearsim the
        runs are made at ``run()``, except with ``build_on_run=False``, where ``run()``
        records them and ``build(run=True)`` (or, after ``build(run=False)``,
        ``device.run()``) makes them; ``run_args`` are set first."""
        self.has_been_built = True
        if run and (run_args or not self.build_on_run):
            self._run_again(run_args or {})  # build_on_run=False: the runs wait for this
        if run:
            self.has_been_run = True

    def run(self, directory=None, results_directory=None, with_output=True, run_args=None,
            **kwargs) -> None:
        """Run the whole simulation again from its initial state, with ``run_args``
        (``{G.tau: 10*ms, G.v: values, timed_array: values}``) set first, as Brian 2's
        repeated full runs; the monitors then hold the new results.  After
        ``build(run=False)`` (with ``set_device(..., build_on_run=False)``, where ``run()``
        only records), the first call is the simulation's first execution."""
        if not self.has_been_built and not self.build_on_run:
            raise RuntimeError("device.run(): call device.build(run=False) first (as Brian 2)")
        self._run_again(run_args or {})
        self.has_been_run = True

    def _run_again(self, run_args: dict) -> None:
        from sim import random as _random
        from sim.network import Network

        if not self.records_runs:
            raise NotImplementedError(
                "device.run() repeats a simulation on the standalone devices "
                "(set_device('cpp_standalone', ...)); with the runtime device, store() "
                "before the first run() and restore() for each repetition")
        if not self._runs:
            raise RuntimeError("device.run(): there is no simulation to run again: call "
                               "run() first (as Brian 2, before device.build())")
        setters = [_run_arg_setter(key, value) for key, value in dict(run_args).items()]
        for obj, state in self._initial.values():
            obj._set_state(copy.deepcopy(state))
        if self._random0 is not None and self._random0.get("explicit"):
            _random.set_state(copy.deepcopy(self._random0))  # seeded: the same numbers
        else:
            _random.new_epoch()  # as Brian 2 without a seed: new random numbers
        for setter in setters:
            setter()
        replay = Network()
        replay._t = self._t0
        self._replaying = True
        try:
            for objects, duration_s, namespace, kwargs in self._runs:
                replay.objects = list(objects)
                replay.run(duration_s * _second(), namespace=namespace, **kwargs)
        finally:
            self._replaying = False

    def apply_run_args(self) -> None:
        """Brian 2 applies the ``run_args`` values here; hearsim never has any pending."""

    def seed(self, seed=None) -> None:
        from sim.random import seed as _seed

        _seed(seed)

    def reinit(self) -> None:
        """Forget the build (as Brian 2, for a new simulation in the same script)."""
        self.has_been_run = False
        self.has_been_built = False
        self._forget_runs()

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


def _second():
    from sim.units import second

    return second


def _run_arg_setter(key, value):
    """A function setting one ``run_args`` entry, checked now (before anything changes)."""
    from sim.functions import TimedArray
    from sim.variables import VariableView

    if isinstance(key, VariableView):
        group, name = key.group, key.variable.name
        if name not in getattr(group, "variables", {}):
            raise KeyError(f"device.run(run_args=...): '{group.name}' has no variable "
                           f"'{name}'")
        return lambda: setattr(group, name, value)
    if isinstance(key, TimedArray):
        return key._checked_replacement(value)
    raise TypeError(
        f"device.run(run_args=...): the keys are a group's variables (G.tau) or TimedArrays, "
        f"got {key!r}")


active_device = Device("runtime")
_previous: list[Device] = []


def set_device(device, build_on_run: bool = True, **kwargs) -> None:
    """Choose a Brian 2 device (``'runtime'``, ``'cpp_standalone'``, ``'cuda_standalone'``,
    ``'genn'``). Every device runs in process here, compiled by numba."""
    global active_device
    name = device.name if isinstance(device, Device) else device
    if name not in KNOWN_DEVICES:
        raise ValueError(f"Unknown device '{name}' (known: {', '.join(KNOWN_DEVICES)})")
    if name in ("cuda_standalone", "genn"):
        _logger.warning("set_device('%s'): %s", name, KNOWN_DEVICES[name])
    else:
        _logger.info("set_device('%s'): %s", name, KNOWN_DEVICES[name])
    _previous.append(active_device)
    active_device = device if isinstance(device, Device) else Device(name)
    active_device.activate(build_on_run=build_on_run, **kwargs)


def get_device() -> Device:
    return active_device


def reset_device(device=None) -> None:
    """Back to the previous device (or to ``device``), as Brian 2."""
    global active_device
    if device is not None:
        set_device(device)
        return
    active_device = _previous.pop() if _previous else Device("runtime")


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
    for dev in {id(d): d for d in (*_previous, active_device)}.values():
        dev.reinit()
    active_device.activate(build_on_run=active_device.build_on_run, **active_device.options)
    restore_initial_state()


class _CurrentDevice:
    """``device``: whichever device is active (as Brian 2's proxy)."""

    def __getattr__(self, name: str):
        return getattr(active_device, name)

    def __repr__(self) -> str:
        return repr(active_device)


device = _CurrentDevice()


# Brian 2's module paths: ``brian2.devices.device`` (``from brian2.devices.device import
# reset_device``) and ``brian2.devices.device_module`` (``device_module.active_device =
# dev`` makes ``dev`` the current device) are this module
device_module = sys.modules[__name__]
sys.modules.setdefault(__name__ + ".device", device_module)

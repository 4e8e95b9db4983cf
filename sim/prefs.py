"""Preferences, as Brian 2's ``prefs``: ``prefs.codegen.target = 'numpy'``, also
``prefs['codegen.target'] = 'numpy'``.

hearsim's own preferences are checked when assigned.  Brian 2's preferences that
scripts set (compiler flags, Cython cache, logging, the C++ standalone device's
thread count...) are accepted so that those scripts run unchanged: the ones with a
meaning here are mapped (``codegen.target = 'cython'`` means the compiled CPU target,
numba; ``devices.cpp_standalone.openmp_threads`` sets the thread count), the others
are kept and have no effect (logged at INFO).  Any other name raises an error naming it.

A package or script adds its own preferences as in Brian 2:
``prefs.register_preferences('mypackage', 'docs', size=BrianPreference(3, 'docs'))``, then
``prefs.mypackage.size`` (validated when set; reset to its default by ``prefs.reset()``).
"""

from __future__ import annotations

import logging
import re

__all__ = ["prefs", "TARGETS", "PreferenceError", "BrianPreference"]

_logger = logging.getLogger(__name__)


class PreferenceError(AttributeError, ValueError):
    """Brian 2's error for an unknown preference or a value a preference does not take (an
    AttributeError for unknown names, a ValueError for refused values, as before)."""


def _available_targets() -> tuple[str, ...]:
    import importlib.util

    found = ["numpy"]
    if importlib.util.find_spec("numba") is not None:
        found.append("numba")
    return tuple(found)


#: Code-generation targets this installation provides.
TARGETS = _available_targets()




class _Section:
    """A group of preferences: ``values`` with defaults, optional validators, and
    sub-sections (``prefs.codegen.cpp``)."""

    def __init__(self, name: str, values: dict, validators: dict | None = None,
                 sections: dict | None = None, inert: bool = False):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_defaults", dict(values))
        object.__setattr__(self, "_validators", dict(validators or {}))
        object.__setattr__(self, "_sections", dict(sections or {}))
        object.__setattr__(self, "_inert", inert)  # Brian 2 names without effect here

    def _known(self) -> str:
        return ", ".join([*self._values, *self._sections])

    def __getattr__(self, key: str):
        if key.startswith("__"):
            raise AttributeError(key)
        values = object.__getattribute__(self, "_values")
        if key in values:
            return values[key]
        sections = object.__getattribute__(self, "_sections")
        if key in sections:
            return sections[key]
        raise PreferenceError(f"No preference '{self._name}.{key}' (known: {self._known()})")

    def __setattr__(self, key: str, value) -> None:
        if key in self._sections:
            raise PreferenceError(f"'{self._name}.{key}' is a group of preferences, not one")
        if key not in self._values:
            raise PreferenceError(
                f"No preference '{self._name}.{key}' (known: {self._known()})"
            )
        check = self._validators.get(key)
        if check is not None:
            check(value)
        if self._inert or key in _INERT.get(self._name, ()):
            _logger.info("Preference '%s.%s' (Brian 2) has no effect in hearsim",
                         self._name, key)
        self._values[key] = value

    def __getitem__(self, dotted: str):
        head, _, rest = dotted.partition(".")
        return getattr(self, head)[rest] if rest else getattr(self, head)

    def __setitem__(self, dotted: str, value) -> None:
        head, _, rest = dotted.partition(".")
        if rest:
            sub = getattr(self, head)
            if not isinstance(sub, _Section):
                raise PreferenceError(f"No preference '{self._name}.{dotted}'")
            sub[rest] = value
        else:
            setattr(self, head, value)

    def reset(self) -> None:
        self._values.update(self._defaults)
        for section in self._sections.values():
            section.reset()


class _DefaultValidator:
    """Brian 2's default check of a preference's values: the class of the default, and
    for a quantity its dimensions."""

    def __init__(self, value):
        self.value = value

    def __call__(self, value) -> bool:
        from sim.units import Quantity, have_same_dimensions

        if not isinstance(value, self.value.__class__):
            return False
        if isinstance(self.value, Quantity) and not have_same_dimensions(self.value, value):
            return False
        return True


class BrianPreference:
    """Brian 2's definition of a preference, for :meth:`_Prefs.register_preferences`:
    ``default`` value, ``docs``, ``validator`` (a function of a value, True when valid;
    by default the value must be of the default's class, with the same dimensions for a
    quantity) and ``representor`` (repr of a value)."""

    def __init__(self, default, docs: str, validator=None, representor=repr):
        self.representor = representor
        self.validator = _DefaultValidator(default) if validator is None else validator
        self.default = default
        self.docs = docs


_PREFERENCE_NAME = re.compile(r"[A-Za-z][_a-zA-Z0-9]*$")


def _check_preference_name(name: str) -> None:
    if not _PREFERENCE_NAME.match(name):
        raise PreferenceError(f"Illegal preference name '{name}': A preference name can only "
                              f"start with a letter and only contain letters, digits or "
                              f"underscore.")
    if hasattr(_Prefs, name):
        raise PreferenceError(f"Illegal preference name '{name}': This is also the name of "
                              f"a method.")


def _validating(full: str, pref: BrianPreference):
    def check(value) -> None:
        if not pref.validator(value):
            raise PreferenceError(f"Value {value!r} for preference '{full}' is invalid.")

    return check


def _inert(name: str, *keys: str, defaults: dict | None = None, **sections) -> _Section:
    """A section of Brian 2 preferences that are accepted and have no effect here."""
    values = dict.fromkeys(keys)
    values.update(defaults or {})
    return _Section(name, values, sections=sections, inert=True)


#: Brian 2 names inside hearsim's own sections that are accepted without effect
_INERT = {
    "codegen": ("loop_invariant_optimisations", "max_cache_dir_size",
                "string_expression_target"),
    "core": ("default_integer_dtype", "outdated_dependency_error"),
    "devices.cpp_standalone": ("extra_make_args_unix", "extra_make_args_windows",
                               "make_cmd_unix", "run_cmd_unix", "run_environment_variables",
                               "openmp_spatialneuron_strategy"),
}

#: Brian 2's compiled CPU targets: the numba target plays their part
_COMPILED_ALIASES = ("cython", "weave", "cpp")


def _check_target(value) -> None:
    allowed = ("auto", *TARGETS, "cuda")
    if value == "cuda":
        from sim.codegen.cuda_runtime import CudaUnavailable, get_backend

        try:
            get_backend()
        except CudaUnavailable as exc:
            raise ValueError(f"prefs.codegen.target = 'cuda': {exc}") from None
        return
    if value in _COMPILED_ALIASES:
        return  # Brian 2's compiled targets: numba (see active_target)
    if value not in allowed:
        raise PreferenceError(
            f"prefs.codegen.target must be one of {allowed} (or Brian 2's 'cython', run "
            f"by numba), got {value!r}"
        )


def _check_bool(name: str):
    def check(value) -> None:
        if not isinstance(value, bool):
            raise PreferenceError(f"prefs.{name} must be True or False, got {value!r}")

    return check


def _check_gpu(value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PreferenceError(f"prefs.codegen.cuda_device must be a GPU number (0, 1, ...), got "
                              f"{value!r}")


def _check_cuda_backend(value) -> None:
    allowed = ("auto", "cupy", "pycuda", "host")
    if value not in allowed:
        raise PreferenceError(f"prefs.codegen.cuda_backend must be one of {allowed} ('host' "
                              f"runs the CUDA source on the CPU, for tests), got {value!r}")


def _check_device(value) -> None:
    if value not in ("cpu", "cuda"):
        raise PreferenceError(f"prefs.hears.device must be 'cpu' or 'cuda' (where filterbanks "
                              f"run unless one is given its own device=), got {value!r}")


def _check_threshold(value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PreferenceError(
            f"prefs.codegen.numba_parallel_threshold must be a non-negative integer (the "
            f"group size from which numba kernels use all cores), got {value!r}"
        )


def _check_max_statements(value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PreferenceError(
            f"prefs.codegen.numba_max_statements must be a positive integer (the most "
            f"statements one numba kernel may hold), got {value!r}"
        )


def _check_threads(value) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PreferenceError(f"prefs.codegen.numba_threads must be None (all cores) or a positive "
                         f"integer, got {value!r}")


def _check_dtype(value) -> None:
    import numpy as np

    if np.dtype(value) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise PreferenceError(
            f"prefs.core.default_float_dtype must be float32 or float64, got {value!r}"
        )


def _check_openmp_threads(value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PreferenceError(f"prefs.devices.cpp_standalone.openmp_threads must be a "
                         f"non-negative integer, got {value!r}")
    # Brian 2: 0 = no OpenMP (one thread); here the threads of numba's parallel kernels
    prefs.codegen.numba_threads = max(value, 1)


def _check_schedule(value) -> None:
    if value is not None and list(value) != list(BRIAN2_SCHEDULE):
        raise PreferenceError(
            f"prefs.core.network.default_schedule: hearsim runs Brian 2's default schedule "
            f"{list(BRIAN2_SCHEDULE)}; another order is not supported (got {value!r})"
        )


#: Brian 2's default schedule (the order of slots within a time step)
BRIAN2_SCHEDULE = ("start", "groups", "thresholds", "synapses", "resets", "end")


class _Prefs(_Section):
    def __init__(self):
        codegen = _Section(
            "codegen",
            {"target": "auto", "cuda_backend": "auto", "cuda_graphs": False, "cuda_device": 0,
             "numba_parallel_threshold": 50_000, "numba_threads": None,
             "numba_max_statements": 5000,
             "loop_invariant_optimisations": True, "max_cache_dir_size": 1000,
             "string_expression_target": "numpy"},
            {"target": _check_target, "cuda_backend": _check_cuda_backend,
             "cuda_graphs": _check_bool("codegen.cuda_graphs"), "cuda_device": _check_gpu,
             "numba_parallel_threshold": _check_threshold,
             "numba_threads": _check_threads, "numba_max_statements": _check_max_statements},
            sections={
                "cpp": _inert(
                    "codegen.cpp", "compiler", "define_macros", "extra_compile_args",
                    "extra_compile_args_gcc", "extra_compile_args_msvc", "extra_link_args",
                    "headers", "include_dirs", "libraries", "library_dirs",
                    "msvc_architecture", "msvc_vars_location", "runtime_library_dirs"),
                "runtime": _inert(
                    "codegen.runtime",
                    cython=_inert("codegen.runtime.cython", "cache_dir",
                                  "delete_source_files", "multiprocess_safe"),
                    numpy=_inert("codegen.runtime.numpy", "discard_units"),
                ),
                "generators": _inert(
                    "codegen.generators",
                    cpp=_inert("codegen.generators.cpp", "flush_denormals",
                               "restrict_keyword"),
                ),
            },
        )
        core = _Section(
            "core",
            {"default_float_dtype": "float64", "default_integer_dtype": "int32",
             "outdated_dependency_error": True},
            {"default_float_dtype": _check_dtype},
            sections={"network": _Section("core.network", {"default_schedule": None},
                                          {"default_schedule": _check_schedule})},
        )
        devices = _Section("devices", {}, sections={
            "cpp_standalone": _Section(
                "devices.cpp_standalone",
                {"openmp_threads": 0, "extra_make_args_unix": None,
                 "extra_make_args_windows": None, "make_cmd_unix": None,
                 "run_cmd_unix": None, "run_environment_variables": None,
                 "openmp_spatialneuron_strategy": None},
                {"openmp_threads": _check_openmp_threads},
            ),
        })
        logging_section = _inert(
            "logging", "console_log_level", "delete_log_on_exit",
            "display_brian_error_message", "file_log", "file_log_level", "file_log_max_size",
            "save_script", "std_redirection", "std_redirection_to_file")
        legacy = _inert("legacy", "refractory_timing")
        hears = _Section("hears", {"device": "cpu"}, {"device": _check_device})
        super().__init__("prefs", {}, sections={
            "codegen": codegen, "core": core, "devices": devices,
            "logging": logging_section, "legacy": legacy, "hears": hears,
        })


    def register_preferences(self, prefbasename: str, prefbasedoc: str,
                             **preferences: BrianPreference) -> None:
        """Brian 2's: define the preferences ``prefbasename.<name>`` (each a
        :class:`BrianPreference`), in a new category (sub-categories with dots).  A
        category that exists already, a name that clashes with a preference or a method,
        or an invalid default raise :class:`PreferenceError`."""
        parts = prefbasename.split(".")
        for part in parts:
            _check_preference_name(part)
        for name, pref in preferences.items():
            _check_preference_name(name)
            if not isinstance(pref, BrianPreference):
                raise PreferenceError(f"Preference '{prefbasename}.{name}' must be defined "
                                      f"by a BrianPreference, got {pref!r}")
        section: _Section = self
        created = []
        for depth, part in enumerate(parts):
            dotted = ".".join(parts[:depth + 1])
            if part in section._values:
                raise PreferenceError(f"Cannot register category '{dotted}': its parent "
                                      f"category already has a preference named '{part}'.")
            if part not in section._sections:
                created.append((section, part))
                new = _Section(dotted, {})
                object.__setattr__(new, "_registered", False)
                section._sections[part] = new
            section = section._sections[part]
        if section.__dict__.get("_registered", True) and not created:
            raise PreferenceError(f"Base name {prefbasename} already registered.")
        clash = [name for name in preferences if name in section._sections]
        try:
            if clash:
                raise PreferenceError(f"Cannot register '{prefbasename}.{clash[0]}' as a "
                                      f"preference, it is already registered as a "
                                      f"preference category.")
            checks = {name: _validating(f"{prefbasename}.{name}", pref)
                      for name, pref in preferences.items()}
            for name, pref in preferences.items():
                checks[name](pref.default)
        except PreferenceError:
            for parent, part in reversed(created):
                del parent._sections[part]
            raise
        object.__setattr__(section, "_registered", True)
        object.__setattr__(section, "_doc", prefbasedoc)
        object.__setattr__(section, "_docs", {n: p.docs for n, p in preferences.items()})
        for name, pref in preferences.items():
            section._values[name] = pref.default
            section._defaults[name] = pref.default
            section._validators[name] = checks[name]


prefs = _Prefs()


def active_target() -> str:
    """The target in use: 'auto' (and Brian 2's compiled targets, 'cython') is numba
    where numba is installed, else numpy."""
    target = prefs.codegen.target
    if target == "auto" or target in _COMPILED_ALIASES:
        return "numba" if "numba" in TARGETS else "numpy"
    return target

"""Preferences, as Brian 2's ``prefs``: ``prefs.codegen.target = 'numpy'``.

Only the names below exist; assigning an unknown preference or an invalid value
raises an error naming it.
"""

from __future__ import annotations

__all__ = ["prefs", "TARGETS"]

def _available_targets() -> tuple[str, ...]:
    import importlib.util

    found = ["numpy"]
    if importlib.util.find_spec("numba") is not None:
        found.append("numba")
    return tuple(found)


#: Code-generation targets this installation provides.
TARGETS = _available_targets()


class _Section:
    def __init__(self, name: str, values: dict, validators: dict):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_defaults", dict(values))
        object.__setattr__(self, "_validators", validators)

    def __getattr__(self, key: str):
        values = object.__getattribute__(self, "_values")
        if key in values:
            return values[key]
        raise AttributeError(f"No preference '{self._name}.{key}' (known: {', '.join(values)})")

    def __setattr__(self, key: str, value) -> None:
        if key not in self._values:
            raise AttributeError(
                f"No preference '{self._name}.{key}' (known: {', '.join(self._values)})"
            )
        check = self._validators.get(key)
        if check is not None:
            check(value)
        self._values[key] = value

    def reset(self) -> None:
        self._values.update(self._defaults)


def _check_target(value) -> None:
    allowed = ("auto", *TARGETS)
    if value == "cuda":
        raise ValueError(
            "prefs.codegen.target = 'cuda': the CUDA target cannot run simulations yet "
            "(sim.codegen.cuda_target generates and compiles CUDA C for the kernels, "
            f"but there is no device run loop); use one of {allowed}"
        )
    if value not in allowed:
        raise ValueError(
            f"prefs.codegen.target must be one of {allowed}, got {value!r}"
        )


def _check_threshold(value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"prefs.codegen.numba_parallel_threshold must be a non-negative integer (the "
            f"group size from which numba kernels use all cores), got {value!r}"
        )


def _check_threads(value) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"prefs.codegen.numba_threads must be None (all cores) or a positive "
                         f"integer, got {value!r}")


def _check_dtype(value) -> None:
    import numpy as np

    if np.dtype(value) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(
            f"prefs.core.default_float_dtype must be float32 or float64, got {value!r}"
        )


class _Prefs:
    def __init__(self):
        self.codegen = _Section(
            "codegen",
            {"target": "auto", "numba_parallel_threshold": 50_000, "numba_threads": None},
            {"target": _check_target, "numba_parallel_threshold": _check_threshold,
             "numba_threads": _check_threads},
        )
        self.core = _Section(
            "core", {"default_float_dtype": "float64"}, {"default_float_dtype": _check_dtype}
        )

    def reset(self) -> None:
        self.codegen.reset()
        self.core.reset()


prefs = _Prefs()


def active_target() -> str:
    """The target in use: 'auto' is numba where numba is installed, else numpy."""
    target = prefs.codegen.target
    if target == "auto":
        return "numba" if "numba" in TARGETS else "numpy"
    return target

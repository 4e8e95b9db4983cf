"""List the names that ``from brian2 import *`` gives and ``from sim import *`` lacks.

Needs Brian 2 installed (``pip install brian2``); it is not part of the test suite, which
runs without Brian 2.  Both star imports run in fresh namespaces (matplotlib on the Agg
backend), and the names are compared, sorted into groups::

    python tools/compare_brian2_namespace.py            # the missing names, grouped
    python tools/compare_brian2_namespace.py --extra    # also hearsim's names Brian 2 lacks
    python tools/compare_brian2_namespace.py --hears    # brian2.hears's names vs hears'

Exit status 0 when nothing is missing, 1 otherwise.  Some differences are on purpose:
Brian 2's star import also binds its submodules (``core``, ``groups``, ``input``, which hides
the builtin ``input``...), its implementation classes (``NumpyCodeObject``,
``CythonCodeObject``, ``Morphology`` and ``SpatialNeuron``, which hearsim does not have) and
pylab's leftovers (``TYPE_CHECKING``, ``cast``...); pylab's rebinding of builtins (``abs``,
``max``...: the same objects) is not counted; the report lists them under their own
headings so that a real gap stands out.
"""

from __future__ import annotations

import argparse
import builtins
import os
import sys
import types
import warnings

os.environ.setdefault("MPLBACKEND", "Agg")

#: names that hearsim leaves out on purpose, and why
INTENTIONAL = {
    "input": "Brian 2's brian2.input package; would hide the builtin input()",
    "TYPE_CHECKING": "pyplot's typing leftover", "annotations": "pyplot's __future__ leftover",
    "cast": "pyplot's typing leftover", "overload": "pyplot's typing leftover",
    "requested_backend": "pyplot's leftover string",
}


def star(module: str) -> dict:
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(f"from {module} import *", namespace)  # noqa: S102
    namespace.pop("__builtins__", None)
    return namespace


def group(names, namespace) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name in sorted(names):
        value = namespace[name]
        if name in INTENTIONAL:
            kind = "left out on purpose"
        elif isinstance(value, types.ModuleType):
            kind = "modules"
        elif isinstance(value, type):
            kind = "classes"
        elif callable(value):
            kind = "functions"
        else:
            kind = "other objects"
        groups.setdefault(kind, []).append(name)
    return groups


def report(title: str, groups: dict[str, list[str]], namespace: dict) -> None:
    print(f"== {title}")
    for kind, names in groups.items():
        print(f"-- {kind} ({len(names)})")
        for name in names:
            value = namespace[name]
            where = getattr(value, "__module__", None) or getattr(value, "__name__", "")
            why = f"  ({INTENTIONAL[name]})" if name in INTENTIONAL else ""
            print(f"   {name:32s} {where}{why}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", action="store_true",
                        help="also list hearsim's names that Brian 2 lacks")
    parser.add_argument("--hears", action="store_true",
                        help="compare brian2.hears (brian2hears) with hears instead")
    args = parser.parse_args(argv)
    try:
        theirs = star("brian2.hears" if args.hears else "brian2")
    except ImportError as exc:
        print(f"Brian 2 is needed for this comparison ({exc}): pip install brian2"
              + (" brian2hears" if args.hears else ""), file=sys.stderr)
        return 2
    ours = star("hears" if args.hears else "sim")
    missing = set(theirs) - set(ours)
    missing = {n for n in missing if not n.startswith("_")
               and not (hasattr(builtins, n) and theirs[n] is getattr(builtins, n))}
    report(f"in Brian 2's star import, missing from hearsim's ({len(missing)})",
           group(missing, theirs), theirs)
    if args.extra:
        extra = {n for n in set(ours) - set(theirs) if not n.startswith("_")}
        report(f"in hearsim's star import only ({len(extra)})", group(extra, ours), ours)
    real = missing - set(INTENTIONAL)
    return 1 if real else 0


if __name__ == "__main__":
    sys.exit(main())

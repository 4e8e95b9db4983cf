"""Write ``sim/_pylab_names.py``: the names ``from pylab import *`` adds to hearsim's namespace.

``from brian2 import *`` starts with ``from pylab import *``, so Brian 2 scripts may use any
of pylab's names (``polar``, ``xscale``, ``specgram``, ``mpl``, ``ScalarFormatter``,
``rcParams``...).  ``from sim import *`` gives the same names without importing matplotlib
(a third of a second): each is a stand-in (see :mod:`sim._pylab`) that imports
``matplotlib.pylab`` when first used.  A star import has to know the names before matplotlib
is imported, so the list is written down here, from the installed matplotlib.

Run it after a matplotlib upgrade (names that a newer matplotlib removed fail with an
AttributeError naming the name when used)::

    python tools/make_pylab_names.py
"""

from __future__ import annotations

import builtins
import inspect
import os
import textwrap
import types
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

#: pylab's leftovers that are no part of its plotting namespace: pyplot's typing imports,
#: a backend name string, and the names Brian 2's ``__init__`` deletes (``x``, ``f``, ``rate``)
SKIPPED = {"TYPE_CHECKING", "annotations", "cast", "overload", "requested_backend", "x", "f",
           "rate"}


def pylab_names() -> dict:
    """pylab's star-import names that hearsim's own namespace does not define otherwise."""
    import matplotlib

    import sim

    namespace: dict = {}
    exec("from pylab import *", namespace)  # noqa: S102 - what Brian 2's __init__ does
    namespace.pop("__builtins__", None)
    # sim's own names, numpy's names (which pylab also gives) and the units win, as in
    # Brian 2 (brian2.only's names come after pylab's)
    taken = set(sim._own_names) | set(sim._NUMPY_NAMES) | set(sim._PYLAB_NAMES)
    taken |= {"np", "numpy", "random"}
    groups: dict = {"functions": [], "classes": [], "modules": {}, "stdlib_modules": [],
                    "objects": [], "constants": {}}
    for name, value in sorted(namespace.items()):
        if name in taken or name in SKIPPED or name.startswith("_"):
            continue
        if hasattr(builtins, name) and getattr(builtins, name) is value:
            continue  # pylab puts back abs, max, min...: the builtins stay the builtins
        if isinstance(value, types.ModuleType):
            if value.__name__.split(".")[0] in ("matplotlib", "numpy"):
                groups["modules"][name] = value.__name__
            else:
                groups["stdlib_modules"].append(name)
        elif isinstance(value, type):
            groups["classes"].append(name)
        elif inspect.isroutine(value):
            groups["functions"].append(name)
        elif type(value) is int:
            groups["constants"][name] = value
        else:
            groups["objects"].append(name)
    groups["matplotlib_version"] = matplotlib.__version__
    return groups


def main() -> None:
    groups = pylab_names()
    target = Path(__file__).resolve().parent.parent / "sim" / "_pylab_names.py"
    lines = [
        '"""pylab\'s names for ``from sim import *``: written by tools/make_pylab_names.py',
        f'from matplotlib {groups["matplotlib_version"]} (do not edit)."""',
        "",
        f"MATPLOTLIB_VERSION = {groups['matplotlib_version']!r}",
    ]
    for key in ("functions", "classes", "modules", "stdlib_modules", "objects", "constants"):
        value = groups[key]
        if isinstance(value, dict):
            items = [f"{k!r}: {v!r}," for k, v in value.items()]
            opening, closing = "{", "}"
        else:
            items = [f"{v!r}," for v in value]
            opening, closing = "(", ")"
        body = textwrap.fill(" ".join(items), width=96, initial_indent="    ",
                             subsequent_indent="    ", break_long_words=False,
                             break_on_hyphens=False)
        lines += [f"{key.upper()} = {opening}", body, closing]
    target.write_text("\n".join(lines) + "\n")
    print(f"wrote {target}: " + ", ".join(f"{len(groups[k])} {k}" for k in (
        "functions", "classes", "modules", "stdlib_modules", "objects", "constants")))


if __name__ == "__main__":
    main()

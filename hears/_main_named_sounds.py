"""Loads hearsim's ``sounds`` package when the script being run is itself named
``sounds.py`` (brian2hears' example ``sounds.py``): ``import sounds`` would otherwise run
the script a second time, as a module, and hide hearsim's package.  hearsim's ``sounds``,
next to ``hears``, is then loaded by its path under its own name.  Any other file that hides
it (a ``sounds.py`` module in the script's folder) is left alone: ``hears`` refuses it with
an error naming the file."""

import importlib.util
import sys
from pathlib import Path


def _load_ours_if_main_hides_it() -> None:
    if "sounds" in sys.modules:
        return
    ours = Path(__file__).resolve().parent.parent / "sounds" / "__init__.py"
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    if not main or not ours.is_file():
        return
    spec = importlib.util.find_spec("sounds")
    if spec is None or not spec.origin or Path(spec.origin).resolve() != Path(main).resolve():
        return
    spec = importlib.util.spec_from_file_location(
        "sounds", ours, submodule_search_locations=[str(ours.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["sounds"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["sounds"]
        raise


_load_ours_if_main_hides_it()

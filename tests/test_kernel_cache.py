"""The numba kernel cache (issue 15, item 4): a damaged entry (truncated or garbage
kernel file, unreadable numba index or data file) is discarded with a warning and
compiled again; planted files do not run; the folder is private (0700) and a folder
others can write to is refused."""

import importlib.util
import os
import re
import stat
import subprocess
import sys
import textwrap
import uuid
import warnings
from importlib import _bootstrap_external
from pathlib import Path

import pytest

pytest.importorskip("numba")

from sim.codegen import numba_target  # noqa: E402
from sim.codegen.numba_target import (  # noqa: E402
    cache_dir,
    generated_module,
    load_module,
    module_name,
)
from sim.safe_io import UnsafeDirectoryError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh kernel cache folder (the process-wide list of loaded modules is left
    alone: every test's source is new)."""
    monkeypatch.setenv("HEARSIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    return tmp_path / "cache" / "numba_kernels"


def _source() -> str:
    return generated_module([f"# test kernel {uuid.uuid4().hex}"],
                            ["def _kernel(x):", "    return 2.0*x + 0.5"])


def _forget(name: str) -> None:
    """As a new process would: the module is loaded from the cache folder again."""
    numba_target._MODULES.pop(name, None)
    sys.modules.pop(name, None)


def _quietly(func, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return func(*args)


def _numba_files(module, suffix):
    folder = Path(module._kernel._cache.cache_path)
    return sorted(folder.glob(f"{module.__name__}.*{suffix}"))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_kernel_file_is_discarded_with_a_warning(cache, damage):
    source = _source()
    name = module_name(source)
    assert _quietly(load_module(source)._kernel, 1.0) == 2.5
    path = cache / f"{name}.py"
    text = path.read_bytes()
    path.write_bytes({"truncated": text[: len(text) // 2],
                      "garbage": os.urandom(300) + b"\xff\xfe",
                      "empty": b""}[damage])
    _forget(name)
    with pytest.warns(UserWarning, match=re.escape(str(path))):
        module = load_module(source)
    assert _quietly(module._kernel, 1.0) == 2.5
    assert path.read_bytes() == source.encode()
    _forget(name)  # whole again: loaded without a word
    assert _quietly(_quietly(load_module, source)._kernel, 3.0) == 6.5


def test_a_planted_kernel_file_does_not_run(cache, tmp_path):
    source = _source()
    name = module_name(source)
    marker = tmp_path / "marker"
    cache.mkdir(parents=True, mode=0o700)
    path = cache / f"{name}.py"
    path.write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n{source}")
    with pytest.warns(UserWarning, match=re.escape(str(path))):
        module = load_module(source)
    assert not marker.exists()
    assert _quietly(module._kernel, 1.0) == 2.5
    assert path.read_text() == source


def test_a_planted_bytecode_file_does_not_run(cache, tmp_path):
    """A .pyc next to a genuine kernel file, stamped with its time and size: Python's
    import machinery would run it instead of the source."""
    source = _source()
    name = module_name(source)
    marker = tmp_path / "marker"
    load_module(source)
    _forget(name)
    path = cache / f"{name}.py"
    info = path.stat()
    evil = compile(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n{source}",
                   str(path), "exec")
    pyc = Path(importlib.util.cache_from_source(str(path)))
    pyc.parent.mkdir(exist_ok=True)
    pyc.write_bytes(_bootstrap_external._code_to_timestamp_pyc(
        evil, int(info.st_mtime), info.st_size))
    module = _quietly(load_module, source)
    assert not marker.exists()
    assert _quietly(module._kernel, 1.0) == 2.5


@pytest.mark.parametrize("which", ["index truncated", "index garbage", "data truncated"])
def test_damaged_numba_cache_files_are_discarded_and_compiled_again(cache, which):
    source = _source()
    name = module_name(source)
    module = load_module(source)
    assert _quietly(module._kernel, 1.0) == 2.5
    (index,), (data,) = _numba_files(module, ".nbi"), _numba_files(module, ".nbc")
    target = index if which.startswith("index") else data
    content = target.read_bytes()
    target.write_bytes(os.urandom(64) if which.endswith("garbage") else content[:30])
    _forget(name)
    module = _quietly(load_module, source)
    with pytest.warns(UserWarning, match=rf"{re.escape(name)}.*compiled again"):
        assert module._kernel(1.0) == 2.5
    assert sum(module._kernel.stats.cache_misses.values()) == 1
    _forget(name)  # the cache was written again: a hit, without a word
    module = _quietly(load_module, source)
    assert _quietly(module._kernel, 2.0) == 4.5
    assert sum(module._kernel.stats.cache_hits.values()) == 1


@posix_only
def test_a_new_cache_folder_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARSIM_CACHE_DIR", str(tmp_path / "new" / "cache"))
    old = os.umask(0o002)  # even with a permissive umask
    try:
        path = cache_dir()
    finally:
        os.umask(old)
    for folder in (tmp_path / "new", path.parent, path, path / "__pycache__"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@posix_only
@pytest.mark.parametrize("open_one", ["base", "kernels", "numba"])
def test_a_cache_folder_others_can_write_to_is_refused(tmp_path, monkeypatch, open_one):
    base = tmp_path / "cache"
    monkeypatch.setenv("HEARSIM_CACHE_DIR", str(base))
    folder = {"base": base, "kernels": base / "numba_kernels",
              "numba": base / "numba_kernels" / "__pycache__"}[open_one]
    folder.mkdir(parents=True)
    os.chmod(folder, 0o777)
    with pytest.raises(UnsafeDirectoryError, match=rf"{re.escape(str(folder))}.*0777"):
        cache_dir()
    source = _source()
    with pytest.raises(PermissionError, match="chmod 700"):
        load_module(source)
    assert not (base / "numba_kernels" / f"{module_name(source)}.py").exists()


@posix_only
def test_a_shared_sticky_folder_may_hold_the_private_cache(tmp_path, monkeypatch):
    base = tmp_path / "shared"
    base.mkdir()
    os.chmod(base, 0o1777)  # as /tmp: others cannot rename what is inside
    monkeypatch.setenv("HEARSIM_CACHE_DIR", str(base))
    assert stat.S_IMODE(cache_dir().stat().st_mode) == 0o700


@posix_only
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to give a folder to another user")
def test_a_cache_folder_of_another_user_is_refused(tmp_path, monkeypatch):
    base = tmp_path / "cache"
    monkeypatch.setenv("HEARSIM_CACHE_DIR", str(base))
    kernels = base / "numba_kernels"
    kernels.mkdir(parents=True, mode=0o700)
    os.chown(kernels, 65534, -1)
    with pytest.raises(UnsafeDirectoryError, match="another user"):
        cache_dir()


def test_a_damaged_cache_does_not_stop_later_runs(tmp_path):
    """End to end, in new processes: damage every kernel file and numba index file of
    a model's cache; the next run warns, compiles again and gives the same result; the
    run after it compiles nothing and says nothing."""
    script = textwrap.dedent(
        """
        import warnings
        from sim import *
        from sim.codegen.numba_target import compile_stats
        prefs.codegen.target = 'numba'
        G = NeuronGroup(8, 'dv/dt = (1.5 + 0.1*i - v)/(9*ms) : 1', threshold='v > 1',
                        reset='v = 0')
        M = SpikeMonitor(G)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            run(15*ms)
        stats = compile_stats()
        import builtins
        damaged = builtins.sum('cache' in str(w.message) for w in caught
                      if issubclass(w.category, UserWarning))
        print(M.num_spikes, list(M.i[:]), stats['generated'], stats['compiled'], damaged)
        """
    )
    cache = tmp_path / "cache"
    env = dict(os.environ, HEARSIM_CACHE_DIR=str(cache),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("NUMBA_CACHE_DIR", None)

    def run():
        out = subprocess.run([sys.executable, "-c", script], capture_output=True,
                             text=True, env=env, timeout=300)
        assert out.returncode == 0, out.stderr
        *result, generated, compiled, damaged = out.stdout.rsplit(maxsplit=3)
        return " ".join(result), int(generated), int(compiled), int(damaged)

    first = run()
    assert first[1] > 0 and first[2] > 0 and first[3] == 0
    kernels = sorted((cache / "numba_kernels").glob("hearsim_*.py"))
    indices = sorted((cache / "numba_kernels" / "__pycache__").glob("*.nbi"))
    assert kernels and indices
    damaged = kernels[::2]  # the others keep their kernel file, with a garbage index
    for k, path in enumerate(damaged):
        text = path.read_bytes()
        path.write_bytes(text[: len(text) // 2] if k % 2 else os.urandom(100))
    for path in indices:
        path.write_bytes(b"\x80\x05garbage")
    second = run()
    assert second[0] == first[0]
    assert second[1] == len(damaged) and second[2] > 0 and second[3] >= len(kernels)
    third = run()
    assert third == (first[0], 0, 0, 0)

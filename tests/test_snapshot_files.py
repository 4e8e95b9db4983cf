"""Snapshot files of store()/restore() (issue 15, items 2 and 3): arrays and JSON
metadata only (no pickle), versioned, clear errors for foreign or damaged files,
atomic writes that keep earlier snapshots when a write fails, no half restore."""

import errno
import json
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sim import (
    Network,
    NeuronGroup,
    SnapshotError,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    ms,
    seed,
    start_scope,
)
from sim.snapshot import META_KEY, SnapshotNameError, read_snapshots, write_snapshots

ROOT = Path(__file__).resolve().parents[1]


def _network():
    start_scope()
    seed(7)
    G = NeuronGroup(30, "dv/dt = (1.1 - v)/(10*ms) + 0.3*xi/sqrt(10*ms) : 1",
                    threshold="v > 1", reset="v = 0", refractory=2 * ms, method="euler")
    G.v = "rand()"
    S = Synapses(G, G, "w : 1", on_pre="v_post += w", delay=1 * ms)
    S.connect(p=0.2)
    S.w = "0.05*rand()"
    SM = StateMonitor(G, "v", record=[0, 5, 7])
    M = SpikeMonitor(G)
    return Network(G, S, SM, M), G, S, SM, M


def _results(G, S, SM, M):
    return (G.v_.copy(), S.w_.copy(), np.asarray(S.i).copy(), np.asarray(S.j).copy(),
            SM.v_.copy(), SM.t_.copy(), M.i.copy(), M.t_.copy())


class _Payload:
    """Unpickling this creates a marker file (what a hostile snapshot could do)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_round_trip_with_synapses_and_monitors_continues_as_an_unstored_run(tmp_path):
    net, G, S, SM, M = _network()
    net.run(15 * ms)
    path = tmp_path / "state.snap"  # any name: the content decides
    net.store("half", filename=path)
    net.run(15 * ms)
    unstored = _results(G, S, SM, M)
    assert len(unstored[6]) > 0  # spikes, so that delivery and the monitors are tested
    G.v = 5  # spoil the state: the restore must bring everything back
    S.w = 0
    net.restore("half", filename=path, restore_random_state=True)
    assert net.t == 15 * ms
    net.run(15 * ms)
    for a, b in zip(unstored, _results(G, S, SM, M), strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    # the file is an npz of plain arrays (readable without pickle) and JSON metadata
    with zipfile.ZipFile(path) as archive:
        assert all(n.endswith(".npy") for n in archive.namelist())
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz[META_KEY].tobytes())
        for key in npz.files:
            assert not npz[key].dtype.hasobject
    assert meta["format"] == "hearsim-snapshot" and meta["version"] == 1
    assert meta["names"] == ["half"]


def test_several_named_snapshots_live_in_one_file(tmp_path):
    net, G, *_ = _network()
    path = tmp_path / "states.npz"
    net.run(5 * ms)
    net.store("a", filename=path)
    at_a = G.v_.copy()
    net.run(5 * ms)
    net.store("b", filename=path)
    at_b = G.v_.copy()
    net.run(5 * ms)
    net.restore("a", filename=path)
    assert net.t == 5 * ms and np.array_equal(G.v_, at_a)
    net.restore("b", filename=path)
    assert net.t == 10 * ms and np.array_equal(G.v_, at_b)
    net.restore("a", filename=path)
    net.store("b", filename=path)  # replacing one keeps the other
    assert sorted(read_snapshots(path)) == ["a", "b"]
    net.restore("b", filename=path)
    assert net.t == 5 * ms and np.array_equal(G.v_, at_a)
    with pytest.raises(SnapshotNameError, match=r"'c'.*states\.npz.*\['a', 'b'\]"):
        net.restore("c", filename=path)
    with pytest.raises(KeyError):  # as the in-memory restore
        net.restore("c", filename=path)


def test_a_pickle_payload_is_refused_and_never_unpickled(tmp_path):
    net, *_ = _network()
    marker = tmp_path / "marker"
    path = tmp_path / "hostile.pkl"
    path.write_bytes(pickle.dumps({"default": _Payload(marker)}))
    before = path.read_bytes()
    with pytest.raises(SnapshotError, match=r"hostile\.pkl.*pickle"):
        net.restore(filename=path)
    with pytest.raises(SnapshotError, match=r"hostile\.pkl.*not overwritten"):
        net.store("x", filename=path)  # storing into it must not unpickle it either
    assert not marker.exists()
    assert path.read_bytes() == before


def _array_nodes(node):
    if isinstance(node, dict):
        if "array" in node:
            yield node
        for value in node.values():
            yield from _array_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _array_nodes(value)


@pytest.mark.parametrize("claimed", ["object", "as before"])
def test_a_pickled_array_inside_an_npz_is_refused(tmp_path, claimed):
    net, *_ = _network()
    marker = tmp_path / "marker"
    path = tmp_path / "hostile.npz"
    net.store("default", filename=path)
    with np.load(path, allow_pickle=False) as npz:
        members = {k: npz[k] for k in npz.files}
    meta = json.loads(members[META_KEY].tobytes())
    node = next(_array_nodes(meta))
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload(marker)
    members[node["array"]] = payload  # written with pickle by np.savez
    if claimed == "object":
        node["dtype"], node["shape"] = "|O", [1]
    members[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with path.open("wb") as fh:
        np.savez(fh, **members)
    with pytest.raises(SnapshotError, match=r"hostile\.npz.*damaged"):
        net.restore(filename=path)
    assert not marker.exists()


@pytest.mark.parametrize("content, problem", [
    (b"", "empty"),
    (b"certainly not a snapshot\n" * 10, "not an .npz archive"),
    (None, "single .npy"),
    ("npz", "without the '__hearsim_snapshot__' metadata"),
    ("truncated", "damaged"),
    ("crc", "damaged"),
    ("newer", "newer hearsim .*version 2"),
    ("format", "not a hearsim snapshot file"),
    ("json", "damaged"),
    ("missing array", "damaged.*missing"),
    ("shape", "damaged.*metadata says"),
])
def test_foreign_or_damaged_files_give_a_snapshot_error(tmp_path, content, problem):
    net, G, *_ = _network()
    good = tmp_path / "good.npz"
    net.run(2 * ms)
    net.store("default", filename=good)
    data = good.read_bytes()
    path = tmp_path / "bad.npz"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is None:
        with path.open("wb") as fh:
            np.save(fh, np.arange(3))
    elif content == "npz":
        with path.open("wb") as fh:
            np.savez(fh, x=np.arange(3))
    elif content == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif content == "crc":
        damaged = bytearray(data)
        with zipfile.ZipFile(good) as archive:
            info = next(i for i in archive.infolist() if i.filename != META_KEY + ".npy"
                        and i.file_size > 200)
        damaged[info.header_offset + 200] ^= 0xFF  # inside the array data
        path.write_bytes(bytes(damaged))
    else:
        with np.load(good, allow_pickle=False) as npz:
            members = {k: npz[k] for k in npz.files}
        meta = json.loads(members[META_KEY].tobytes())
        text = None
        if content == "newer":
            meta["version"] = 2
        elif content == "format":
            meta["format"] = "something-else"
        elif content == "json":
            text = json.dumps(meta)[:-10]
        elif content == "missing array":
            del members[sorted(k for k in members if k != META_KEY)[-1]]
        elif content == "shape":
            key = next(k for k in members if k != META_KEY and members[k].size > 1)
            members[key] = members[key].ravel()[:-1]
        text = json.dumps(meta) if text is None else text
        members[META_KEY] = np.frombuffer(text.encode(), dtype=np.uint8)
        with path.open("wb") as fh:
            np.savez(fh, **members)
    G.v = 3
    with pytest.raises(SnapshotError, match=rf"bad\.npz.*{problem}"):
        net.restore(filename=path)
    assert np.all(G.v_ == 3) and net.t == 2 * ms  # nothing was restored
    if content != b"":  # (an empty file is taken as a new one)
        # nor is a foreign or damaged file overwritten by store()
        saved = path.read_bytes()
        with pytest.raises(SnapshotError, match=rf"bad\.npz.*{problem}.*not overwritten"):
            net.store("other", filename=path)
        assert path.read_bytes() == saved


def test_a_state_that_does_not_fit_leaves_the_network_as_it_was(tmp_path):
    start_scope()
    A = NeuronGroup(4, "x : 1", name="a_group")
    B = NeuronGroup(4, "y : 1", name="b_group")
    net = Network(A, B)
    A.x = 1
    B.y = 2
    net.store("s")
    net.store("s", filename=tmp_path / "s.npz")
    A.x = 10
    B.y = 20
    # a stored state whose second object does not fit (as from another model)
    net._snapshots["s"]["objects"]["b_group"]["arrays"]["y"] = np.zeros(7)
    with pytest.raises(ValueError, match="left as it was"):
        net.restore("s")
    assert np.all(A.x_ == 10) and np.all(B.y_ == 20)
    stored = read_snapshots(tmp_path / "s.npz")
    stored["s"]["objects"]["b_group"]["arrays"]["y"] = np.zeros(7)
    write_snapshots(tmp_path / "s.npz", stored)
    with pytest.raises(ValueError, match="left as it was"):
        net.restore("s", filename=tmp_path / "s.npz")
    assert np.all(A.x_ == 10) and np.all(B.y_ == 20)


def test_a_failed_write_keeps_the_earlier_snapshots_and_leaves_no_temporary(
        tmp_path, monkeypatch):
    net, G, *_ = _network()
    path = tmp_path / "states.npz"
    net.store("a", filename=path)
    at_a = G.v_.copy()
    before = path.read_bytes()
    real_savez = np.savez

    def disk_full(file, *args, **kwargs):
        real_savez(file, *args, **kwargs)  # most of the data is written, then:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    G.v = 7
    with pytest.raises(OSError, match="No space"):
        net.store("b", filename=path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["states.npz"]
    net.restore("a", filename=path)
    assert np.array_equal(G.v_, at_a)


def test_a_file_size_limit_during_store_keeps_the_earlier_snapshots(tmp_path):
    """Disk full as the issue reproduced it: a file-size limit (RLIMIT_FSIZE) in a
    process storing a second, larger snapshot into a file."""
    resource = pytest.importorskip("resource")
    del resource
    script = textwrap.dedent(
        """
        import os, resource, signal, sys
        import numpy as np
        from sim import Network, NeuronGroup, prefs
        prefs.codegen.target = "numpy"
        path = sys.argv[1]
        G = NeuronGroup(2000, "v : 1")
        net = Network(G)
        G.v = "i*1.0"
        net.store("a", filename=path)
        G.v = "i*2.0"
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(path) + 4096, hard))
        try:
            net.store("b", filename=path)
            print("stored")
        except OSError as exc:
            print("failed", exc.errno)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        G.v = 0
        net.restore("a", filename=path)
        print(float(G.v[10]), sorted(os.listdir(os.path.dirname(path))))
        """
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH",
                                                                                ""))
    path = tmp_path / "states.npz"
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert lines[0] == f"failed {errno.EFBIG}"
    assert lines[1] == "10.0 ['states.npz']"
    assert sorted(read_snapshots(path)) == ["a"]


def test_store_refuses_values_it_cannot_write_without_touching_the_file(tmp_path):
    net, G, *_ = _network()
    path = tmp_path / "states.npz"
    net.store("a", filename=path)
    before = path.read_bytes()
    with pytest.raises(SnapshotError, match="cannot store .*'b'.*object"):
        write_snapshots(path, {**read_snapshots(path), "b": {"t": 0, "objects": {},
                                                             "x": object()}})
    with pytest.raises(TypeError, match="strings"):
        net.store(3, filename=path)
    assert path.read_bytes() == before


def test_in_memory_store_is_unchanged():
    net, G, *_ = _network()
    net.run(3 * ms)
    net.store("m")
    v = G.v_.copy()
    net.run(3 * ms)
    net.restore("m")
    assert net.t == 3 * ms and np.array_equal(G.v_, v)
    assert net._snapshots["m"]["t"] == net._t
    with pytest.raises(KeyError, match="nothing"):
        net.restore("nothing")

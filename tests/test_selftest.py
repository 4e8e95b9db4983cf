"""sim.sample_run() and sim.test(): the installation self-test (issue 14, item 3)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import selftest


def test_sample_run_checks_every_available_target(capsys):
    report = sim.sample_run()
    gpu = selftest.available_targets()["cuda"] is None  # a machine with a CUDA backend
    assert report["passed"] and set(report["targets"]) == {"numpy", "numba"} | (
        {"cuda"} if gpu else set())
    assert report["targets"]["numpy"]["spikes"] == report["targets"]["numba"]["spikes"] > 200
    out = capsys.readouterr().out
    assert "numpy and numba agree" in out
    if not gpu:
        assert "cuda" in report["skipped"] and "cuda: skipped (No CUDA backend" in out
    assert sim.prefs.codegen.target == "auto"  # left as it was


def test_sample_run_on_the_cuda_target_through_the_host_backend(capsys):
    sim.prefs.codegen.cuda_backend = "host"  # the CUDA source run on the CPU
    report = sim.sample_run(["numba", "cuda"])
    assert report["targets"]["cuda"]["spikes"] == report["targets"]["numba"]["spikes"] > 200
    assert "numba and cuda agree" in capsys.readouterr().out


def test_sample_run_names_a_failed_check(monkeypatch):
    real = selftest._network

    def broken(target):
        result = real(target)
        if target == "numba":
            result["t"] = result["t"] + 1e-4
        return result

    monkeypatch.setattr(selftest, "_network", broken)
    with pytest.raises(selftest.SelfTestError, match="numpy and numba gave different spikes"):
        sim.sample_run(verbose=False)
    if selftest.available_targets()["cuda"] is not None:
        with pytest.raises(ValueError, match="cannot run here"):
            sim.sample_run(["cuda"])
    with pytest.raises(ValueError, match="unknown target 'cython'"):
        sim.sample_run(["cython"])


def test_test_runs_the_suite_of_a_checkout_or_the_sample_run(monkeypatch):
    names: dict = {}
    exec("from sim import *", names)  # what a script gets (a module-level star import here
    # would hand pytest a function called test)
    assert names["test"] is selftest.test and names["test"] is not np.test  # not numpy's
    calls = []
    monkeypatch.setattr(pytest, "main", lambda args: calls.append(args) or 0)
    assert sim.test() is True
    assert calls[0][0].endswith("tests") and "-m" not in calls[0]
    sim.test(quick=False, extra_args=["-x"])
    assert calls[1][-3:] == ["-m", "", "-x"]
    monkeypatch.setattr(selftest, "_tests_folder", lambda: None)
    ran = []
    monkeypatch.setattr(selftest, "sample_run", lambda: ran.append(True))
    assert sim.test() is True and ran == [True]

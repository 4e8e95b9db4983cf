"""The README's demo runs and writes its figure; the code base is ruff clean."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_demo_writes_figure(tmp_path):
    out = tmp_path / "demo.png"
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert out.exists() and out.stat().st_size > 10_000
    assert "wrote" in result.stdout and "spikes from 200 fibres" in result.stdout


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_clean():
    result = subprocess.run(["ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_examples_run():
    import re

    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    for block in blocks:
        # shorten the simulated time: the examples' correctness is tested elsewhere
        code = block.replace("run(1*second)", "run(20*ms)")
        namespace: dict = {}
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
        assert namespace["spikes"].num_spikes > 0

"""The documentation site (issue 14, item 5): ``mkdocs build --strict`` passes, with the API
pages made from the docstrings, the gallery made from the examples (with the committed
figures) and the compatibility page; the gallery's figures exist for every example that
writes one and stay small.

The build takes a few seconds: it reads the source (griffe's static analysis, no example
and no simulation runs) and needs no network.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "gallery"
MAX_FIGURES_BYTES = 2 * 1024 * 1024


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _needs_docs_packages() -> None:
    missing = [m for m in ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python", "griffe")
               if importlib.util.find_spec(m.split(".")[0]) is None
               or (m == "mkdocstrings_handlers.python" and importlib.util.find_spec(m) is None)]
    if missing:
        pytest.fail(f"the docs' packages are not installed ({', '.join(missing)}): "
                    f"pip install -e '.[test]' (or '.[docs]')")


def test_every_example_that_writes_a_figure_has_its_committed_figure():
    import matplotlib.image as mpimg
    import numpy as np

    gallery = _load("docs_gallery")
    examples = gallery.examples()
    assert len(examples) >= 10
    with_figure = [p for p in examples if gallery.writes_figure(p)]
    missing = [p.stem for p in with_figure if not gallery.figure_path(p).exists()]
    assert not missing, (f"no figure in docs/gallery/ for {missing}: run "
                         f"python tools/docs_gallery.py {' '.join(missing)}, then "
                         f"git add -f docs/gallery/*.png (.gitignore ignores *.png)")
    for path in with_figure:
        image = mpimg.imread(gallery.figure_path(path))
        assert image.ndim == 3 and min(image.shape[:2]) > 100, path.stem
        assert float(np.ptp(image[..., :3])) > 0.1, f"{path.stem}.png is blank"
    files = [p for p in FIGURES.iterdir() if p.is_file()]
    stale = sorted({p.name for p in files} - {f"{p.stem}{ext}" for p in examples
                                              for ext in (".png", ".txt")})
    assert not stale, f"docs/gallery/ has files of no example: {stale}"
    total = sum(p.stat().st_size for p in files)
    assert total < MAX_FIGURES_BYTES, f"docs/gallery/ holds {total / 1e6:.1f} MB of figures"


def test_gallery_page_of_an_example():
    gallery = _load("docs_gallery")
    page = gallery.page(gallery.EXAMPLES / "cochleagram.py")
    assert page.startswith("# cochleagram\n")
    assert "    python examples/cochleagram.py [output.png] [--short]" in page  # usage: code
    assert "![The figure that cochleagram.py writes](cochleagram.png)" in page
    assert "```python\n\"\"\"Cochleagram:" in page and "def main" in page  # the whole source
    assert "## Output" in page and "most excited channel at CF" in page  # what it printed
    fitting = gallery.page(gallery.EXAMPLES / "fit_cochlear_nucleus.py")
    assert "writes no figure" in fitting
    # a source holding a Markdown fence is enclosed in a longer one
    assert gallery._fence("x = 1") == "```" and gallery._fence('"""```py"""') == "````"


def test_docstrings_read_as_markdown():
    griffe_ext = _load("docs_griffe")
    md = griffe_ext.markdown
    assert md("see :class:`~sim.synapses.Synapses` and :func:`seed`") == \
        "see `Synapses` and `seed`"
    assert md("like this::\n\n    x = 1") == "like this:\n\n    x = 1"
    doc = ("Summary.\n\nParameters\n----------\nx : int\n    The x.\n\n"
           "Default population: ``10 * n`` (at least 5).")
    assert md(doc) == ("Summary.\n\nParameters\n----------\nx : int\n    The x.\n\n"
                       "Notes\n-----\nDefault population: ``10 * n`` (at least 5).")
    entries = "Parameters\n----------\nx : int\n    The x.\n\ny, z : float\n    Two more."
    assert md(entries) == entries  # real entries stay entries


def test_mkdocs_build_strict(tmp_path):
    _needs_docs_packages()
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-8000:]
    assert not re.search(r"^WARNING", log, re.MULTILINE), log[-8000:]

    gallery = _load("docs_gallery")
    for path in gallery.examples():
        html = (site / "gallery" / f"{path.stem}.html").read_text()
        assert f"examples/{path.name}" in html and 'class="language-python"' in html
        if gallery.figure_path(path).exists():
            assert f'src="{path.stem}.png"' in html
            assert (site / "gallery" / f"{path.stem}.png").exists()
    index = (site / "gallery" / "index.html").read_text()
    assert all(f'href="{p.stem}.html"' in index for p in gallery.examples())

    api = {name: (site / "api" / f"{name}.html").read_text() for name in (
        "sim/units", "sim/neurongroup", "sim/synapses", "sim/monitors", "sim/network",
        "sim/inputs", "sim/functions", "sim/prefs", "sim/fitting", "sounds",
        "hears/filterbanks", "hears/groups")}
    for page, names in {
        "sim/units": ["Quantity", "check_units", "DimensionMismatchError"],
        "sim/neurongroup": ["NeuronGroup", "linked_var"],
        "sim/synapses": ["Synapses", "Connection", "STDP"],
        "sim/monitors": ["StateMonitor", "SpikeMonitor", "PopulationRateMonitor"],
        "sim/network": ["Network", "run", "network_operation"],
        "sim/inputs": ["PoissonGroup", "SpikeGeneratorGroup"],
        "sim/functions": ["TimedArray", "implementation"],
        "sim/prefs": ["prefs", "set_device", "seed"],
        "sim/fitting": ["SpikeFitter", "TraceFitter", "GammaFactor", "gamma_factor"],
        "sounds": ["Sound", "tone", "vowel", "loadsound"],
        "hears/filterbanks": ["Gammatone", "erbspace", "FunctionFilterbank", "TanCarney"],
        "hears/groups": ["FilterbankGroup", "ZhangSynapse"],
    }.items():
        for name in names:
            assert re.search(rf'id="[\w.]*\b{name}"', api[page]), (page, name)
    assert ":class:" not in api["sim/neurongroup"]  # reST roles are read as code
    compat = (site / "compatibility.html").read_text()
    assert "SpatialNeuron" in compat and "cpp_standalone" in compat
    assert (site / "architecture.html").exists()


def test_readme_says_how_to_build_the_docs():
    readme = (ROOT / "README.md").read_text()
    assert "mkdocs build --strict" in readme and '".[docs]"' in readme

"""The examples gallery of the documentation site: pages at build time, figures on demand.

Two jobs in one file:

* An MkDocs hook (``hooks:`` in ``mkdocs.yml``).  At every build it makes one page per
  ``examples/*.py`` (the docstring as text, the figure, the whole source) and the gallery's
  index, adds them to the site as generated files (nothing is written under ``docs/``) and
  lists them under the nav's "Gallery" entry.  A new example appears in the next build;
  its figure is shown once ``docs/gallery/<name>.png`` exists.
* A script that makes those figures, which are committed (small PNGs, the build never runs
  an example)::

      python tools/docs_gallery.py            # every example that writes a figure
      python tools/docs_gallery.py demo cochleagram
      python tools/docs_gallery.py --missing  # those whose figure is not there yet

  Each example runs in its short mode (``--short`` and ``HEARSIM_EXAMPLE_SHORT=1``, as the
  tests run them) in a temporary folder; its figure is shrunk to at most ``MAX_WIDTH``
  pixels and 256 colours and written to ``docs/gallery/<name>.png``, and what it printed to
  ``docs/gallery/<name>.txt`` (shown on its page).  The whole set is about
  1 MB and ``tests/test_docs_build.py`` checks that it stays under 2 MB and that every
  example that writes a figure has one.

An example "writes a figure" when its source calls ``savefig``; the others (the fitting
examples) print their results, and their page says so.
"""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FIGURES = ROOT / "docs" / "gallery"
GALLERY = "gallery"  # the folder of the gallery's pages in the site, and its nav title
MAX_WIDTH = 1000
TIMEOUT = 600


# -- what the examples are -------------------------------------------------------------------

def examples() -> list[Path]:
    """The example scripts, in name order (``examples/*.py``)."""
    return sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def writes_figure(path: Path) -> bool:
    """Whether the example writes a figure (its source calls ``savefig``)."""
    return "savefig(" in path.read_text(encoding="utf-8")


def figure_path(path: Path) -> Path:
    return FIGURES / f"{path.stem}.png"


def output_path(path: Path) -> Path:
    return FIGURES / f"{path.stem}.txt"


def docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def title(path: Path) -> str:
    """The first line of the docstring, without its final full stop."""
    first = docstring(path).strip().split("\n", 1)[0].strip()
    return first[:-1] if first.endswith(".") else first or path.stem


# -- the pages --------------------------------------------------------------------------------

def _markdown(text: str) -> str:
    """A docstring's reST in Markdown: a paragraph ending with ``::`` ends with ``:`` (its
    indented block, like the usage line, is an indented code block in both)."""
    text = re.sub(r"(?<=\S)::[ \t]*$", ":", text, flags=re.MULTILINE)
    return re.sub(r"^[ \t]*::[ \t]*$", "", text, flags=re.MULTILINE)


def _fence(source: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", source)), default=0)
    return "`" * max(3, longest + 1)


def command(path: Path, output: str) -> str:
    short = " --short" if "--short" in path.read_text(encoding="utf-8") else ""
    return f"python examples/{path.name} {output}{short}"


def page(path: Path) -> str:
    """The gallery page of one example, in Markdown."""
    source = path.read_text(encoding="utf-8")
    doc = docstring(path).strip()
    first, _, rest = doc.partition("\n")
    parts = [f"# {path.stem}\n", f"*{first.strip()}*\n", f"Source: `examples/{path.name}`.\n"]
    if rest.strip():
        parts.append(_markdown(rest.strip("\n").rstrip()) + "\n")
    parts.append("## Figure\n")
    if figure_path(path).exists():
        parts.append(f"![The figure that {path.name} writes]({path.stem}.png)\n")
        parts.append(f"Made with `{command(path, path.stem + '.png')}` "
                     f"(`python tools/docs_gallery.py {path.stem}` makes it again).\n")
    elif writes_figure(path):
        parts.append(f"Not made yet: `python tools/docs_gallery.py {path.stem}` makes it.\n")
    else:
        parts.append("This example writes no figure: it prints what it found.\n")
    if output_path(path).exists():
        output = output_path(path).read_text(encoding="utf-8").rstrip()
        fence = _fence(output)
        parts.append("## Output\n")
        parts.append("What the run that made the figure printed:\n")
        parts.append(f"{fence}text\n{output}\n{fence}\n")
    fence = _fence(source)
    parts.append("## Source\n")
    parts.append(f"{fence}python\n{source.rstrip()}\n{fence}\n")
    return "\n".join(parts)


def index_page() -> str:
    """The gallery's index: each example's title, and its figure as a thumbnail."""
    parts = ["# Gallery\n",
             "The scripts of `examples/`. Each one writes its figure to the file named as its "
             "first argument and prints what it found; `--short` (or "
             "`HEARSIM_EXAMPLE_SHORT=1`) runs a version of a few seconds, the one the test "
             "suite runs and the one that made the figures below. Each page shows the "
             "script's description, its figure and its source.\n"]
    for path in examples():
        parts.append(f"## [{path.stem}]({path.stem}.md)\n")
        parts.append(f"{title(path)}.\n")
        if figure_path(path).exists():
            parts.append(f"[![{path.stem}]({path.stem}.png){{ width=\"360\" }}]"
                         f"({path.stem}.md)\n")
    return "\n".join(parts)


# -- the MkDocs hook --------------------------------------------------------------------------

def on_config(config, **kwargs):
    """Put the example pages under the nav's "Gallery" entry (after its index)."""
    pages = [f"{GALLERY}/{p.stem}.md" for p in examples()]
    nav = config.get("nav") or []
    for k, item in enumerate(nav):
        if isinstance(item, dict) and list(item) == ["Gallery"]:
            value = item["Gallery"]
            head = [value] if isinstance(value, str) else list(value)
            nav[k] = {"Gallery": [*head, *pages]}
            return config
    raise ValueError("mkdocs.yml: the nav needs a 'Gallery: gallery/index.md' entry")


def on_files(files, config, **kwargs):
    """Add the gallery's pages, made from the examples, to the site's files."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, f"{GALLERY}/index.md", content=index_page()))
    for path in examples():
        files.append(File.generated(config, f"{GALLERY}/{path.stem}.md", content=page(path)))
    return files


def on_serve(server, config, builder, **kwargs):  # pragma: no cover - mkdocs serve only
    server.watch(str(EXAMPLES))
    return server


# -- the figures ------------------------------------------------------------------------------

def shrink(png: bytes, max_width: int = MAX_WIDTH) -> bytes:
    """``png`` at most ``max_width`` pixels wide, in 256 colours (a few hundred kB less)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > max_width:
        height = round(image.height * max_width / image.width)
        image = image.resize((max_width, height), Image.LANCZOS)
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def make_figure(path: Path) -> Path:
    """Run the example's short mode and write its shrunk figure to ``docs/gallery/``."""
    # this checkout's packages, not an installed copy (the example runs in a temporary folder)
    path_entries = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "HEARSIM_EXAMPLE_SHORT": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join(path_entries)}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{path.stem}.png"
        result = subprocess.run([sys.executable, str(path), str(out), "--short"], cwd=tmp,
                                env=env, capture_output=True, text=True, timeout=TIMEOUT)
        if result.returncode != 0 or not out.exists():
            raise RuntimeError(f"{path.name} failed (exit {result.returncode}):\n"
                               f"{result.stdout[-2000:]}{result.stderr[-4000:]}")
        data = shrink(out.read_bytes())
        printed = result.stdout.replace(str(out.resolve()), out.name).replace(str(out), out.name)
    FIGURES.mkdir(parents=True, exist_ok=True)
    target = figure_path(path)
    target.write_bytes(data)
    output_path(path).write_text(printed.rstrip() + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    names = sys.argv[1:] if argv is None else list(argv)
    chosen = [p for p in examples() if writes_figure(p)]
    if "--missing" in names:
        names.remove("--missing")
        chosen = [p for p in chosen if not figure_path(p).exists()]
    if names:
        known = {p.stem: p for p in examples()}
        unknown = [n for n in names if n.removesuffix(".py") not in known]
        if unknown:
            print(f"unknown examples: {', '.join(unknown)}; known: {', '.join(known)}")
            return 2
        chosen = [known[n.removesuffix(".py")] for n in names]
    for path in chosen:
        start = time.perf_counter()
        print(f"running examples/{path.name} --short ...", flush=True)
        target = make_figure(path)
        print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1024:.0f} kB "
              f"({time.perf_counter() - start:.0f} s)")
    total = sum(p.stat().st_size for p in FIGURES.glob("*.*"))
    print(f"docs/gallery: {total / 1024:.0f} kB in all (git add -f docs/gallery: .gitignore "
          f"ignores *.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

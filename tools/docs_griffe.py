"""A griffe extension for the documentation site: hearsim's docstrings in Markdown.

The docstrings are written for reading in a terminal and in Sphinx: they use reST roles
(``:class:`~sim.synapses.Synapses```, ``:func:`seed```) and literal blocks introduced by
``::``.  mkdocstrings renders docstrings as Markdown, where both show as punctuation.  This
extension, named in ``mkdocs.yml`` (``plugins: mkdocstrings: ... extensions:``), rewrites
each docstring before it is parsed:

* ``:role:`target``` becomes the code span ``target`` (``~a.b.C`` gives ``C``, as in
  Sphinx);
* a paragraph ending with ``::`` ends with ``:``, its indented block below stays a code
  block (Markdown's indented code);
* a paragraph written after the entries of a numpy-style ``Parameters`` (or
  ``Attributes``, ``Other Parameters``) section, not indented, would be read as one more
  parameter (numpydoc has no way back to text but a new section): it gets a ``Notes``
  heading, so that it shows as the text it is;
* a class that defines ``__new__`` and no ``__init__`` (``Quantity``, ``Dimension``) gets
  its ``__new__``'s parameters as its signature: griffe reads a class's parameters from
  ``__init__`` only, and would find those of the class docstring unknown.

Nothing else changes; the source files are not touched.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const|term|ref|math):"
                   r"`(~?)([^`]+)`")
_LITERAL = re.compile(r"(?<=\S)::[ \t]*$", re.MULTILINE)
_BARE_LITERAL = re.compile(r"^([ \t]*)::[ \t]*$", re.MULTILINE)


def _role(match: re.Match) -> str:
    tilde, target = match.groups()
    target = target.strip()
    shown = re.match(r"(.*?)\s*<(.+)>$", target)  # :ref:`text <target>`
    if shown:
        return f"`{shown.group(1)}`"
    if tilde:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


_ENTRY_SECTIONS = {"parameters", "other parameters", "attributes"}
_ENTRY = re.compile(r"\*{0,2}[_a-z][_a-z0-9]*(?:,\s*\*{0,2}[_a-z][_a-z0-9]*)*(?:\s:\s.*|\s*:)?$",
                    re.IGNORECASE)


def _is_dashes(line: str) -> bool:
    return bool(line.strip()) and set(line.strip()) == {"-"}


def _notes_after_entries(text: str) -> str:
    """Give a ``Notes`` heading to a paragraph that follows a section's entries."""
    lines = text.split("\n")
    out: list[str] = []
    section = None
    for k, line in enumerate(lines):
        following = lines[k + 1] if k + 1 < len(lines) else ""
        if _is_dashes(following) and line.strip() and not line.startswith(" "):
            section = line.strip().lower()
        elif (section in _ENTRY_SECTIONS and line.strip() and not line.startswith(" ")
              and not _is_dashes(line) and k > 0 and not lines[k - 1].strip()
              and not _ENTRY.match(line.strip())):
            out.extend(["Notes", "-----"])
            section = "notes"
        out.append(line)
    return "\n".join(out)


def markdown(text: str) -> str:
    """The docstring ``text`` with reST roles and ``::`` markers turned into Markdown."""
    text = _ROLE.sub(_role, text)
    text = _BARE_LITERAL.sub("", text)
    text = _LITERAL.sub(":", text)
    return _notes_after_entries(text)


class ReSTRoles(griffe.Extension):
    """Rewrites every docstring with :func:`markdown` as griffe loads it."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:  # griffe >= 1.0
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)

    def on_class_members(self, *, cls: Any, **kwargs: Any) -> None:
        new = cls.members.get("__new__")
        if new is None or "__init__" in cls.members or not new.is_function:
            return
        params = list(new.parameters)
        if params and params[0].name == "cls":
            params[0] = griffe.Parameter("self", kind=params[0].kind)
        init = griffe.Function("__init__", lineno=new.lineno, endlineno=new.endlineno,
                               parameters=griffe.Parameters(*params), returns=None)
        cls.set_member("__init__", init)

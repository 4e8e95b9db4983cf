"""The target-independent intermediate representation.

A kernel is a :class:`CodeBlock`: a list of :class:`~sim.parsing.Statement`
(``var op expr`` with ``op`` in ``= += -= *= /=``), optionally ending in a
boolean ``condition`` (thresholds and other events), executed for every index
of a vectorisation set (all neurons, or the neurons that just spiked).

Names in a block are of four kinds, decided by the group that owns the block
and passed to targets in a :class:`NameTable`:

* ``array``: a per-element state array (read with the element's index);
* ``shared``: a length-1 array shared by all elements;
* ``constant``: a scalar fixed for the whole run (external constants, ``N``);
* ``temporary``: any other name assigned in the block (names starting with ``_``
  are reserved for compiler temporaries).

``t`` and ``dt`` are always available as scalars; ``i`` is the element index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.parsing import Statement, get_called_functions, get_identifiers, parse_statements

__all__ = [
    "CodeBlock", "NameTable", "statements_from", "ARRAY", "SHARED", "CONSTANT", "LINKED",
    "INDEXED",
]

ARRAY = "array"
SHARED = "shared"
CONSTANT = "constant"
LINKED = "linked"  # read through an index array: ``array[_index_name[element]]``
INDEXED = "indexed"  # read and written through an index array (pre/post variables of synapses)


@dataclass
class CodeBlock:
    """A kernel in abstract form: statements, then an optional condition."""

    statements: list[Statement] = field(default_factory=list)
    condition: object | None = None  # an ast.expr
    name: str = "block"
    outputs: list[str] = field(default_factory=list)  # temporaries returned per element

    @property
    def reads(self) -> set[str]:
        names: set[str] = set()
        for st in self.statements:
            names |= st.reads
        if self.condition is not None:
            names |= get_identifiers(self.condition)
        return names

    @property
    def writes(self) -> set[str]:
        names: set[str] = set()
        for st in self.statements:
            names |= st.writes
        return names

    @property
    def functions(self) -> set[str]:
        found: set[str] = set()
        for st in self.statements:
            found |= get_called_functions(st.expr)
        if self.condition is not None:
            found |= get_called_functions(self.condition)
        return found

    def __str__(self) -> str:
        lines = [str(st) for st in self.statements]
        if self.condition is not None:
            import ast

            lines.append(f"_cond = {ast.unparse(self.condition)}")
        return "\n".join(lines)


@dataclass
class NameTable:
    """How each name a block uses is stored: kind and dtype (for arrays)."""

    kinds: dict[str, str] = field(default_factory=dict)
    dtypes: dict[str, np.dtype] = field(default_factory=dict)

    def add(self, name: str, kind: str, dtype=np.float64) -> None:
        self.kinds[name] = kind
        self.dtypes[name] = np.dtype(dtype)

    def kind(self, name: str) -> str | None:
        return self.kinds.get(name)

    def structure_key(self, names: set[str]) -> tuple:
        """What of the table matters to compiled code for these names (no values)."""
        return tuple(
            sorted((n, self.kinds[n], str(self.dtypes[n])) for n in names if n in self.kinds)
        )


def statements_from(code: str | list[Statement]) -> list[Statement]:
    """Parse statement code (or pass through a list of statements)."""
    if isinstance(code, list):
        return code
    return parse_statements(code)

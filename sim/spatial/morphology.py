"""Neuronal morphologies: trees of sections made of compartments (Brian 2's semantics).

A morphology is a tree whose nodes are unbranched *sections*; each section is a row of
``n`` compartments.  Three kinds of section exist:

* `Soma`: one spherical, iso-potential compartment (area ``pi*d**2``, volume
  ``pi*d**3/6``; its "length" is its diameter);
* `Section`: ``n`` truncated cones, ``n + 1`` diameters (at the start of the first
  compartment and at the end of each), and ``n`` lengths or ``n + 1`` points;
* `Cylinder`: ``n`` equal cylinders of one diameter and a total length (or a start and an
  end point).

Children are attached by attribute or item (``morpho.dend = Cylinder(...)``,
``morpho['dend']``); names made only of ``L``, ``R`` and the digits ``1``-``9`` can be
chained (``morpho.LR`` is ``morpho.L.R``).  ``Morphology.from_file`` reads SWC files
(one spherical soma compartment, three-point somata merged, sections split at branch
points and where the point type changes, children named ``L``/``R`` or ``1``, ``2``...).

All compartment quantities carry units and refer to the compartment's midpoint:
``diameter``, ``length``, ``area``, ``volume``, ``distance`` (path length from the root),
``x``/``y``/``z`` (and ``start_``/``end_`` variants), ``r_length_1``/``r_length_2``
(the geometric factors of the axial conductance between a compartment's start and its
midpoint, and its midpoint and its end: the conductance is ``r_length/Ri``; for a
truncated cone of length ``l`` between diameters ``d1`` and ``d2`` the factor is
``pi/2*d1*d2/l``, exact for the cone's resistance ``4*Ri*l/(pi*d1*d2)``).

Flat numbering follows Brian 2: compartments are numbered depth-first, each section
before its children, children in the order they were attached; ``morpho.L.indices[:]``
gives the global numbers of a section's compartments and ``morpho.L[10*um:50*um]`` a
view on the compartments covering that stretch of the section (positions measured from
the start of the section).  `FlatMorphology` holds the flattened arrays (SI units) that
a solver needs, as Brian 2's ``SpatialNeuron`` builds them.
"""

from __future__ import annotations

import abc
import logging
import numbers
import os
from collections import OrderedDict, defaultdict, namedtuple
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from sim.units import (
    DimensionMismatchError,
    Quantity,
    get_dimensions,
    have_same_dimensions,
    meter,
    um,
)

__all__ = ["Morphology", "Section", "Cylinder", "Soma", "SubMorphology", "Children",
           "Topology", "FlatMorphology"]

logger = logging.getLogger("sim.spatial.morphology")

#: characters of the chained short names (``morpho.LR1``)
_SHORT_CHARS = frozenset("LR123456789")

#: one point of a point list (``from_points``): values in um, ``diameter`` not radius
_Point = namedtuple("_Point", "index,comp_name,x,y,z,diameter,parent,children")


def _is_short_path(name: str) -> bool:
    return len(name) > 1 and all(c in _SHORT_CHARS for c in name)


def _to_meters(value: np.ndarray | None) -> Quantity | None:
    """SI values as a length `Quantity`; ``None`` stays ``None``."""
    if value is None:
        return None
    return Quantity(value, dim=meter.dim)


def _length_values(owner: str, name: str, value: Any, *, positive: bool = False
                   ) -> np.ndarray | None:
    """The SI values of a length argument (a copy, at least 1-d), checked."""
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{owner}: argument '{name}' should be a length (e.g. 10*um), "
                        f"got the string {value!r}")
    if not have_same_dimensions(value, meter):
        raise DimensionMismatchError(
            f"{owner}: argument '{name}' should be a length (e.g. 10*um), got {value!r}",
            get_dimensions(value), meter.dim)
    values = np.array(value, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{owner}: argument '{name}' has non-finite values: {value!r}")
    if positive and np.any(values <= 0):
        raise ValueError(f"{owner}: argument '{name}' has to be positive, got {value!r}")
    return values


def _check_count(owner: str, n: Any) -> int:
    if isinstance(n, str):
        raise TypeError(
            f"{owner}: argument 'n' is the number of compartments, not a string; "
            "use 'Morphology.from_file' to load a morphology from a file")
    if isinstance(n, bool) or not isinstance(n, numbers.Real | np.ndarray):
        raise TypeError(f"{owner}: argument 'n' (number of compartments) has to be an "
                        f"integer, got {n!r}")
    if isinstance(n, Quantity) and not get_dimensions(n).is_dimensionless:
        raise DimensionMismatchError(
            f"{owner}: argument 'n' (number of compartments) has to be dimensionless, "
            f"got {n!r}", get_dimensions(n))
    if np.ndim(n) != 0 or not np.isfinite(float(n)) or float(n) != int(n):
        raise TypeError(f"{owner}: argument 'n' (number of compartments) has to be an "
                        f"integer, got {n!r}")
    if int(n) < 1:
        raise ValueError(f"{owner}: argument 'n' (number of compartments) has to be at "
                         f"least 1, got {n!r}")
    return int(n)


class MorphologyIndexWrapper:
    """``morpho.indices[item]``: the global compartment numbers of ``morpho[item]``.

    Integer results for one compartment of a whole section (``soma.indices[0]``), int
    arrays for slices (``morpho.L.indices[:]``, ``morpho.L.indices[10*um:50*um]``).
    """

    def __init__(self, morphology: Morphology | SubMorphology):
        self.morphology = morphology

    def __getitem__(self, item: Any) -> int | np.ndarray:
        if isinstance(item, str):
            raise NotImplementedError("Morphologies do not support string indexing in "
                                      "'indices'; select the subtree first "
                                      "(morpho['dend'].indices[:])")
        return self.morphology._indices(item)


def _root_of(section: Morphology) -> Morphology:
    root = section
    while root._parent is not None:
        root = root._parent
    return root


def _calc_start_idx(section: Morphology) -> int:
    """The global number of the first compartment of ``section`` (Brian 2's numbering:
    depth-first from the root, a section before its children)."""
    index = 0
    stack = [_root_of(section)]
    while stack:
        current = stack.pop()
        if current is section:
            return index
        index += current.n
        stack.extend(reversed(list(current.children)))
    raise AssertionError("section not found in its own tree")


class Topology:
    """The tree's shape as text (after NEURON's ``topology``): ``print(morpho.topology())``.

    A soma prints as ``( )``, a section as one ``-`` per compartment and ``|``, each
    followed by its path of names (``.dend.L``).
    """

    def __init__(self, morphology: Morphology):
        self.morphology = morphology

    def __str__(self) -> str:
        return self._describe(self.morphology)

    __repr__ = __str__

    @staticmethod
    def _describe(morphology: Morphology, indent: int = 0, path: str = "",
                  is_child: bool = False) -> str:
        width = max(1, morphology.n)
        text = " " * indent + ("`" if is_child else "")
        text += "( )" if isinstance(morphology, Soma) else "-" * width + "|"
        text += f"  {path}\n" if path else "  [root] \n"
        for child in morphology.children:
            name = morphology.children.display_name(child)
            text += Topology._describe(child, indent + 2 + width, f"{path}.{name}", True)
        return text


def _rotate(vec: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """``vec`` rotated by ``angle`` (radians) around the unit vector ``axis``."""
    return (vec * np.cos(angle) - np.cross(axis, vec) * np.sin(angle)
            + axis * np.dot(axis, vec) * (1 - np.cos(angle)))


def _perturb(vec: np.ndarray, sigma: float) -> np.ndarray:
    """``vec`` turned by an exponentially distributed angle (mean ``sigma``, radians)
    around a random axis orthogonal to it."""
    if sigma == 0:
        return vec
    if vec[1] != 0 or vec[0] != 0:
        orthogonal = np.array([vec[1], vec[0], 0.0])
    else:
        orthogonal = np.array([1.0, 0.0, 0.0])
    orthogonal = _rotate(orthogonal, vec, np.random.rand() * np.pi * 2)
    angle = np.random.exponential(sigma, 1)
    return _rotate(vec, orthogonal, angle)


def _with_coordinates(original: Morphology, parent: Morphology | None, name: str | None,
                      section_randomness: float, compartment_randomness: float,
                      nth_child: int, total_children: int, overwrite: bool) -> Morphology:
    """A copy of ``original``'s subtree with coordinates (Brian 2's algorithm)."""
    if parent is None:
        direction = np.zeros(3)
    else:
        direction = np.array([parent.end_x_[-1] - parent.start_x_[0],
                              parent.end_y_[-1] - parent.start_y_[0],
                              parent.end_z_[-1] - parent.start_z_[0]], dtype=float)
        norm = np.sqrt(np.sum(direction ** 2))
        direction = direction / norm if norm != 0 else np.zeros(3)
    if not overwrite and original.x_ is not None:
        section = original.copy_section()
    elif isinstance(original, Soma):
        section = Soma(diameter=original.diameter, x=direction[0] * meter,
                       y=direction[1] * meter, z=direction[2] * meter, type=original.type)
    else:
        if np.sum(direction ** 2) == 0:
            # no parent direction (typically children of a root soma): spread the
            # children around a circle in the x-y plane
            angle = np.pi / 2 + 2 * np.pi / total_children * nth_child
            direction = _rotate(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), angle)
        else:
            if section_randomness == 0 and direction[2] == 0:
                axis = np.array([0.0, 0.0, 1.0])  # stay in the x-y plane
            else:
                axis = np.array([-direction[1], direction[2], 0.0])
            if section_randomness == 0:
                angle = -np.pi / 2 + np.pi / (total_children + 1) * (nth_child + 1)
                direction = _rotate(direction, axis, angle)
        if section_randomness > 0:
            direction = _perturb(direction, section_randomness)
        direction = direction / np.sqrt(np.sum(direction ** 2))
        if isinstance(parent, Soma):  # children start on the sphere's surface
            origin = float(parent.diameter[0]) / 2 * direction
        else:
            origin = np.zeros(3)
        points = np.zeros((original.n + 1, 3))
        points[0] = origin
        for idx, length in enumerate(np.asarray(original.length)):
            step = _perturb(direction, compartment_randomness)
            step = step / np.sqrt(np.sum(step ** 2))
            points[idx + 1] = points[idx] + length * step
        if isinstance(original, Cylinder) and compartment_randomness == 0:
            section = Cylinder(n=original.n, diameter=original.diameter[0],
                               x=points[[0, -1], 0] * meter, y=points[[0, -1], 1] * meter,
                               z=points[[0, -1], 2] * meter, type=original.type)
        elif isinstance(original, Section):
            section = Section(n=original.n, diameter=original._node_diameters * meter,
                              x=points[:, 0] * meter, y=points[:, 1] * meter,
                              z=points[:, 2] * meter, type=original.type)
        else:
            raise NotImplementedError(
                f"Do not know how to add coordinates to a section of type {type(original)}")
    if parent is not None:
        parent.children.add(name, section)
        # the other names (automatic or short) of the original child
        for alias in original._parent.children.aliases(original):
            if alias not in parent.children:
                parent.children.add(alias, section)
    children = list(original.children)
    for idx, child in enumerate(children):
        _with_coordinates(child, section, original.children.name(child),
                          section_randomness, compartment_randomness, idx, len(children),
                          overwrite)
    return section


class Children:
    """The children (subtrees) of a section: a mapping of names to subtrees that iterates
    over the subtrees, in the order they were attached.

    Each child has the name it was given and an automatic one (``'1'``, ``'2'``... in
    attachment order); ``name(child)`` gives the given name.
    """

    def __init__(self, owner: Morphology):
        self._owner = owner
        self._counter = 0
        self._children: list[Morphology] = []
        self._named_children: dict[str, Morphology] = {}
        self._given_name: dict[int, str | None] = {}

    def __iter__(self) -> Iterator[Morphology]:
        return iter(self._children)

    def __len__(self) -> int:
        return len(self._children)

    def __contains__(self, item: object) -> bool:
        return item in self._named_children

    def name(self, child: Morphology) -> str | None:
        """The name given to ``child`` when it was attached (not the automatic ``'1'``)."""
        return self._given_name.get(id(child))

    def aliases(self, child: Morphology) -> list[str]:
        """Every name under which ``child`` is reachable."""
        return [key for key, value in self._named_children.items() if value is child]

    def display_name(self, child: Morphology) -> str:
        """The given name, else another name of ``child`` (``L``, ``1``...)."""
        given = self.name(child)
        if given is not None:
            return given
        names = self.aliases(child)
        return next((n for n in names if not n.isdigit()), names[0] if names else "?")

    def __getitem__(self, item: str) -> Morphology:
        if not isinstance(item, str):
            raise TypeError(f"A child is selected by its name (a string), got {item!r}")
        try:
            return self._named_children[item]
        except KeyError:
            raise AttributeError(f"The subtree {item!r} does not exist") from None

    def add(self, name: str | None, subtree: Morphology, automatic_name: bool = False
            ) -> None:
        """Attach ``subtree`` under ``name``.

        With ``automatic_name=True`` a name already in use becomes ``name2``,
        ``name3``... (as for SWC sections of one type); otherwise it raises
        `AttributeError`.
        """
        if not isinstance(subtree, Morphology):
            raise TypeError(f"A child has to be a Morphology (Soma, Section, Cylinder), "
                            f"got {subtree!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"A child's name has to be a string, got {name!r}")
        if name in self._named_children and self._named_children[name] is not subtree:
            if not automatic_name:
                raise AttributeError(f"The name {name} is already used for a subtree.")
            base, counter = name, 1
            while name in self._named_children:
                counter += 1
                name = f"{base}{counter}"
        node: Morphology | None = self._owner
        while node is not None:
            if node is subtree:
                raise ValueError("Cannot attach a section below itself (the tree would "
                                 "have a cycle)")
            node = node._parent
        if subtree._parent is not None and subtree._parent is not self._owner:
            raise ValueError(f"The subtree {subtree!r} already has a parent; a section can "
                             "be attached at one place only")
        if not any(child is subtree for child in self._children):
            self._counter += 1
            self._children.append(subtree)
            self._named_children[str(self._counter)] = subtree
            self._given_name[id(subtree)] = name
        if name is not None:
            self._named_children[name] = subtree
        subtree._parent = self._owner

    def remove(self, name: str) -> None:
        """Detach the subtree called ``name`` (all its names go)."""
        if name not in self._named_children:
            raise AttributeError(f"The subtree {name} does not exist")
        subtree = self._named_children[name]
        for alias in self.aliases(subtree):
            del self._named_children[alias]
        self._children = [child for child in self._children if child is not subtree]
        self._given_name.pop(id(subtree), None)
        subtree._parent = None

    def __repr__(self) -> str:
        text = f"<{len(self._children)} children"
        if self._children:
            text += f": { {self.display_name(c): c for c in self._children}!r}"
        return text + ">"


class Morphology(metaclass=abc.ABCMeta):
    """A neuronal morphology: a tree of unbranched sections (abstract: create a `Soma`, a
    `Section` or a `Cylinder`, or load one with `Morphology.from_file`).

    Subtrees are reached by attribute or item (``morpho.axon``, ``morpho['axon']``,
    ``morpho.LR`` for ``morpho.L.R``); items that are integers, lengths or slices of them
    give a `SubMorphology` view of compartments of this section (``morpho[2]``,
    ``morpho[10*um]``, ``morpho[10*um:50*um]``, ``morpho[0:3]``).
    """

    def __init__(self, n: int, type: str | None = None):
        self._n = _check_count(_type_name(self), n)
        self.type = type
        self._children = Children(self)
        self._parent: Morphology | None = None
        self.indices = MorphologyIndexWrapper(self)

    # --- tree access ---------------------------------------------------------------
    def __getitem__(self, item: Any) -> Morphology | SubMorphology:
        if isinstance(item, str):
            if _is_short_path(item):
                child = self._children[item[0]]
                return child[item[1:]]
            if item in self._children:
                return self._children[item]
            raise AttributeError(f"The subtree {item} does not exist")
        i, j = self._compartment_range(item)
        return SubMorphology(self, i, j)

    def _compartment_range(self, item: Any) -> tuple[int, int]:
        """The compartments ``[i, j)`` of this section that ``item`` selects."""
        if isinstance(item, slice):
            ends = [item.start, item.stop]
            by_length = all(e is None or (not isinstance(e, str)
                                          and have_same_dimensions(e, meter)) for e in ends)
            by_int = all(e is None or isinstance(e, numbers.Integral | np.integer)
                         for e in ends)
            if by_length and not by_int:
                if item.step is not None:
                    raise TypeError("Cannot provide a step argument when slicing with "
                                    "lengths")
                pos = np.cumsum(np.asarray(self.length))  # end of each compartment
                tol = 1e-12 * pos[-1]
                if item.start is None:
                    i = 0
                else:
                    diff = np.abs(float(item.start) - pos)
                    # a start on a compartment boundary begins the following compartment
                    i = int(np.argmin(diff) + 1 if diff.min() < tol
                            else np.searchsorted(pos, float(item.start)))
                if item.stop is None:
                    j = len(pos)
                else:
                    diff = np.abs(float(item.stop) - pos)
                    # a stop on a compartment boundary ends the previous compartment
                    j = int(np.argmin(diff) + 1 if diff.min() < tol
                            else np.searchsorted(pos, float(item.stop)) + 1)
                j = min(j, self.n)
                if i >= j:
                    raise IndexError(f"The slice {item} selects no compartment of this "
                                     f"section (length {pos[-1] * meter!s})")
                return i, j
            if by_int:
                i, j, step = item.indices(self.n)
                if step != 1:
                    raise TypeError("Can only slice a contiguous segment")
                if i >= j:
                    raise IndexError(f"The slice {item} selects no compartment of a "
                                     f"section with {self.n} compartments")
                return i, j
            raise TypeError("Index slice has to use lengths or integers, got "
                            f"{item.start!r}:{item.stop!r}")
        if isinstance(item, Quantity) and have_same_dimensions(item, meter):
            if item.ndim != 0 and item.size != 1:
                raise TypeError(f"A position along a section has to be a single length, "
                                f"got {item!r}")
            pos = np.hstack([0, np.cumsum(np.asarray(self.length))])
            x = float(item)
            if x < 0 or x > (1 + 1e-12) * pos[-1]:
                raise IndexError(f"Invalid index {item}, has to be in the interval "
                                 f"[{0 * meter!s}, {pos[-1] * meter!s}].")
            diff = np.abs(x - pos)
            i = int(np.argmin(diff) if diff.min() < 1e-12 * pos[-1]
                    else np.searchsorted(pos, x) - 1)
            i = min(i, self.n - 1)
            return i, i + 1
        if isinstance(item, numbers.Integral | np.integer) and not isinstance(item, bool):
            index = int(item)
            if index < 0:
                index += self.n
            if not 0 <= index < self.n:
                raise IndexError(f"Invalid index {item} for {self.n} compartments")
            return index, index + 1
        raise TypeError(f"Index of type {type(item)} not understood")

    def __setitem__(self, item: str, child: Morphology) -> None:
        item = str(item)
        if _is_short_path(item):
            self._children[item[0]][item[1:]] = child
        else:
            self._children.add(item, child)

    def __delitem__(self, item: str) -> None:
        item = str(item)
        if _is_short_path(item):
            del self._children[item[0]][item[1:]]
        else:
            self._children.remove(item)

    def __getattr__(self, item: str) -> Morphology | SubMorphology:
        if item.startswith("_"):
            raise AttributeError(item)
        return self[item]

    def __setattr__(self, item: str, child: Any) -> None:
        if isinstance(child, Morphology) and not item.startswith("_"):
            self[item] = child
        else:
            object.__setattr__(self, item, child)

    def __delattr__(self, item: str) -> None:
        del self[item]

    def __len__(self) -> int:
        raise TypeError("The 'length' of a Morphology is ambiguous, use its 'n' attribute "
                        "for the number of compartments in this section or the "
                        "'total_compartments' attribute for the total number of "
                        "compartments in the whole sub-tree.")

    def _indices(self, item: Any = None, index_var: str = "_idx") -> int | np.ndarray:
        """Global compartment numbers of this section (or of ``self[item]``)."""
        if index_var != "_idx":
            raise AssertionError(f"Unexpected index {index_var}")
        if not (item is None or item == slice(None)):
            if isinstance(item, slice):
                return self[item]._indices(slice(None))
            return self[item]._indices(None)
        start = _calc_start_idx(self)
        if self.n == 1 and item is None:
            return start
        return np.arange(start, start + self.n)

    def topology(self) -> Topology:
        """The tree's shape (print it, or ``str(...)``)."""
        return Topology(self)

    def generate_coordinates(self, section_randomness: float = 0.0,
                             compartment_randomness: float = 0.0,
                             overwrite_existing: bool = False) -> Morphology:
        """A copy of this morphology with coordinates where it has none (for plotting;
        the electrical properties stay the same).

        Parameters
        ----------
        section_randomness : float
            Mean (degrees) of the exponentially distributed angle by which each section
            turns from its parent's direction; 0 (default): a deterministic 2-d layout.
        compartment_randomness : float
            The same for each compartment within its section (degrees).
        overwrite_existing : bool
            Give new coordinates also to sections that have some.
        """
        for name, value in (("section_randomness", section_randomness),
                            ("compartment_randomness", compartment_randomness)):
            if not isinstance(value, numbers.Real) or value < 0:
                raise ValueError(f"generate_coordinates: '{name}' has to be a non-negative "
                                 f"angle in degrees, got {value!r}")
        return _with_coordinates(self, None, None, section_randomness * np.pi / 180,
                                 compartment_randomness * np.pi / 180, 0, 0,
                                 bool(overwrite_existing))

    @abc.abstractmethod
    def copy_section(self) -> Morphology:
        """A copy of this section alone (no parent, no children)."""

    # --- sizes ------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """The number of compartments in this section."""
        return self._n

    @property
    def total_compartments(self) -> int:
        """The number of compartments of this section and all sections below it."""
        return sum(section.n for section in self.sections())

    @property
    def total_sections(self) -> int:
        """The number of sections of this subtree (this one included)."""
        return sum(1 for _ in self.sections())

    def sections(self) -> Iterator[Morphology]:
        """This subtree's sections in flat order (depth-first, each before its
        children)."""
        stack: list[Morphology] = [self]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(list(current.children)))

    @property
    def parent(self) -> Morphology | None:
        """The parent section (``None`` for the root)."""
        return self._parent

    @property
    def children(self) -> Children:
        """The children (subtrees) of this section."""
        return self._children

    # --- per-compartment quantities, defined by the subclasses (SI values) --------------
    @property
    @abc.abstractmethod
    def end_distance(self) -> Quantity:
        """Path distance from the root to the end of this section (m)."""

    @property
    @abc.abstractmethod
    def area(self) -> Quantity:
        """Membrane area of each compartment (m^2)."""

    @property
    @abc.abstractmethod
    def volume(self) -> Quantity:
        """Volume of each compartment (m^3)."""

    @property
    @abc.abstractmethod
    def length(self) -> Quantity:
        """Length of each compartment (m)."""

    @property
    @abc.abstractmethod
    def r_length_1(self) -> Quantity:
        """Geometric factor (m) of the axial conductance from each compartment's start to
        its midpoint: the conductance is ``r_length_1/Ri``."""

    @property
    @abc.abstractmethod
    def r_length_2(self) -> Quantity:
        """Geometric factor (m) of the axial conductance from each compartment's midpoint
        to its end: the conductance is ``r_length_2/Ri``."""

    @property
    @abc.abstractmethod
    def diameter(self) -> Quantity:
        """Diameter at the midpoint of each compartment (m)."""

    @property
    @abc.abstractmethod
    def distance(self) -> Quantity:
        """Path distance from the root to each compartment's midpoint (m)."""

    @property
    @abc.abstractmethod
    def start_x_(self) -> np.ndarray | None:
        """x of each compartment's start (SI float array), ``None`` without coordinates."""

    @property
    @abc.abstractmethod
    def start_y_(self) -> np.ndarray | None:
        """y of each compartment's start (SI), ``None`` without coordinates."""

    @property
    @abc.abstractmethod
    def start_z_(self) -> np.ndarray | None:
        """z of each compartment's start (SI), ``None`` without coordinates."""

    @property
    @abc.abstractmethod
    def x_(self) -> np.ndarray | None:
        """x of each compartment's midpoint (SI), ``None`` without coordinates."""

    @property
    @abc.abstractmethod
    def y_(self) -> np.ndarray | None:
        """y of each compartment's midpoint (SI), ``None`` without coordinates."""

    @property
    @abc.abstractmethod
    def z_(self) -> np.ndarray | None:
        """z of each compartment's midpoint (SI), ``None`` without coordinates."""

    @property
    @abc.abstractmethod
    def end_x_(self) -> np.ndarray | None:
        """x of each compartment's end (SI), ``None`` without coordinates."""

    @property
    @abc.abstractmethod
    def end_y_(self) -> np.ndarray | None:
        """y of each compartment's end (SI), ``None`` without coordinates."""

    @property
    @abc.abstractmethod
    def end_z_(self) -> np.ndarray | None:
        """z of each compartment's end (SI), ``None`` without coordinates."""

    @property
    def start_x(self) -> Quantity | None:
        """x of each compartment's start (m), ``None`` without coordinates."""
        return _to_meters(self.start_x_)

    @property
    def start_y(self) -> Quantity | None:
        """y of each compartment's start (m), ``None`` without coordinates."""
        return _to_meters(self.start_y_)

    @property
    def start_z(self) -> Quantity | None:
        """z of each compartment's start (m), ``None`` without coordinates."""
        return _to_meters(self.start_z_)

    @property
    def x(self) -> Quantity | None:
        """x of each compartment's midpoint (m), ``None`` without coordinates."""
        return _to_meters(self.x_)

    @property
    def y(self) -> Quantity | None:
        """y of each compartment's midpoint (m), ``None`` without coordinates."""
        return _to_meters(self.y_)

    @property
    def z(self) -> Quantity | None:
        """z of each compartment's midpoint (m), ``None`` without coordinates."""
        return _to_meters(self.z_)

    @property
    def end_x(self) -> Quantity | None:
        """x of each compartment's end (m), ``None`` without coordinates."""
        return _to_meters(self.end_x_)

    @property
    def end_y(self) -> Quantity | None:
        """y of each compartment's end (m), ``None`` without coordinates."""
        return _to_meters(self.end_y_)

    @property
    def end_z(self) -> Quantity | None:
        """z of each compartment's end (m), ``None`` without coordinates."""
        return _to_meters(self.end_z_)

    @property
    def coordinates_(self) -> np.ndarray | None:
        """The ``n + 1`` points (start of the first compartment, end of each) as an
        ``(n + 1) x 3`` SI array, ``None`` without coordinates."""
        if self.x_ is None:
            return None
        return np.vstack([np.hstack([self.start_x_[0], self.end_x_]),
                          np.hstack([self.start_y_[0], self.end_y_]),
                          np.hstack([self.start_z_[0], self.end_z_])]).T

    @property
    def coordinates(self) -> Quantity | None:
        """`coordinates_` in metres."""
        points = self.coordinates_
        return None if points is None else Quantity(points, dim=meter.dim)

    # --- files and point lists ---------------------------------------------------------
    @staticmethod
    def from_points(points: Iterable[Sequence[Any]], spherical_soma: bool = True
                    ) -> Morphology:
        """A morphology from points ``(index, name, x, y, z, diameter, parent)``.

        As the lines of an SWC file (`from_swc_file`), but with the type as a name
        (``'soma'``, ``'axon'``, ``'dend'``, ``'apic'`` or ``None``) and the *diameter*
        rather than the radius; ``x``, ``y``, ``z`` and ``diameter`` are numbers in um.
        The first point is the root (parent ``-1``); every other point's parent has to
        come before it.  With ``spherical_soma`` a single soma point (or a three-point
        soma) becomes a spherical `Soma`.
        """
        compartments: OrderedDict[Any, _Point] = OrderedDict()
        for counter, point in enumerate(points):
            if isinstance(point, str) or not hasattr(point, "__len__") or len(point) != 7:
                raise ValueError("Each point needs to be described by 7 values (index, "
                                 "name, x, y, z, diameter, parent), got "
                                 f"{point!r} for point {counter}")
            index, name, x, y, z, diameter, parent_idx = point
            try:
                x, y, z, diameter = (float(v) for v in (x, y, z, diameter))
            except (TypeError, ValueError):
                raise ValueError(f"Point {index}: x, y, z and diameter have to be numbers "
                                 f"(in um), got {point!r}") from None
            if not all(np.isfinite(v) for v in (x, y, z, diameter)):
                raise ValueError(f"Point {index} has a non-finite coordinate or diameter: "
                                 f"{point!r}")
            if diameter < 0:
                raise ValueError(f"Point {index} has a diameter of {diameter} um; "
                                 "diameters cannot be negative")
            if index in compartments:
                raise ValueError(f"Two compartments with index {index}")
            if parent_idx == index:
                raise ValueError(f"Compartment {index} lists itself as the parent "
                                 "compartment.")
            if counter == 0 and parent_idx == -1:
                parent = None
            elif parent_idx not in compartments:
                raise ValueError(f"Did not find the compartment {parent_idx} (parent "
                                 f"compartment of compartment {index}). Make sure that "
                                 "parent compartments are listed before their children "
                                 "and that only the first point is a root (parent -1).")
            else:
                parent = compartments[parent_idx]
                if (parent.x, parent.y, parent.z) == (x, y, z):
                    raise ValueError(f"Point {index} lies on its parent point {parent_idx}: "
                                     "a compartment of zero length")
            node = _Point(index, name, x, y, z, diameter, parent, [])
            compartments[index] = node
            if parent is not None:
                parent.children.append(node)
        if not compartments:
            raise ValueError("No points given")
        first = next(iter(compartments.values()))
        if spherical_soma:
            first = Morphology._replace_three_point_soma(first, compartments)
        sections = Morphology._compartments_to_sections(first, spherical_soma)
        # standard names as well: 'L'/'R' for one or two children, '1', '2'... otherwise
        seen: defaultdict[int, int] = defaultdict(int)
        for section in sections.values():
            parent_sec = section.parent
            if parent_sec is None:
                continue
            seen[id(parent_sec)] += 1
            nth = seen[id(parent_sec)]
            if len(parent_sec.children) <= 2:
                name = "L" if nth == 1 else "R"
            else:
                name = str(nth)
            parent_sec.children.add(name, section)
        roots = [sec for sec in sections.values() if sec.parent is None]
        assert len(roots) == 1
        return roots[0]

    @staticmethod
    def _replace_three_point_soma(compartment: _Point, all_compartments: OrderedDict
                                  ) -> _Point:
        """Merge a three-point soma (a soma point with two childless soma children one
        radius away, see neuromorpho.org's SomaFormat) into one point."""
        soma_children = [c for c in compartment.children if c.comp_name == "soma"]
        if (compartment.comp_name == "soma" and len(soma_children) == 2
                and all(len(c.children) == 0 for c in soma_children)):
            points = [compartment, *soma_children]
            if not all(abs(c.diameter - compartment.diameter) < 1e-15 for c in points):
                lines = ", ".join(str(c.index) for c in points)
                raise ValueError(f"Found a '3-point-soma' (lines: {lines}), but not all the "
                                 "diameters are identical.")
            centre = np.array([compartment.x, compartment.y, compartment.z])
            radius = compartment.diameter / 2
            dist = [float(np.sqrt(np.sum((np.array([c.x, c.y, c.z]) - centre) ** 2)))
                    for c in soma_children]
            if any(abs(d - radius) > 0.1 for d in dist):
                raise ValueError(
                    "Cannot replace '3-point-soma' by a single point, the second and third "
                    "points should be positioned one radius away from the first point. "
                    f"Distances are {dist[0]:.3f}um and {dist[1]:.3f}um, respectively, "
                    f"while the radius is {radius:.3f}um.")
            for child in soma_children:
                del all_compartments[child.index]
            # rebuild the points' parent/children links without the two merged points
            return Morphology._relink(all_compartments)
        somata = [c for c in all_compartments.values() if c.comp_name == "soma"]
        if len(somata) > 1:
            logger.warning(f"Found {len(somata)} soma compartments. If you have a 3-point "
                           "soma, make sure it is at the beginning.")
        return compartment

    @staticmethod
    def _relink(all_compartments: OrderedDict) -> _Point:
        """Rebuild parent/children links of the points (after points were replaced)."""
        rebuilt: OrderedDict[Any, _Point] = OrderedDict()
        for index, node in all_compartments.items():
            parent = None if node.parent is None else rebuilt[node.parent.index]
            new = node._replace(parent=parent, children=[])
            rebuilt[index] = new
            if parent is not None:
                parent.children.append(new)
        all_compartments.clear()
        all_compartments.update(rebuilt)
        return next(iter(rebuilt.values()))

    @staticmethod
    def _compartments_to_sections(first: _Point, spherical_soma: bool
                                  ) -> OrderedDict[Any, Morphology]:
        """Group the points into sections: a new section starts after a branch point, at
        a leaf, and where the type changes."""
        sections: OrderedDict[Any, Morphology] = OrderedDict()
        pending = [first]
        while pending:
            point = pending.pop()
            run = [point]
            while len(point.children) == 1 and point.children[0].comp_name == point.comp_name:
                point = point.children[0]
                run.append(point)
            section = Morphology._create_section(run, point.comp_name, run[0].parent,
                                                 sections, spherical_soma)
            sections[run[-1].index] = section
            pending.extend(reversed(point.children))
        return sections

    @staticmethod
    def _create_section(run: list[_Point], name: str | None, parent: _Point | None,
                        sections: OrderedDict, spherical_soma: bool) -> Morphology:
        if spherical_soma and len(run) == 1 and run[0].comp_name == "soma":
            soma = run[0]
            section: Morphology = Soma(diameter=soma.diameter * um, x=soma.x * um,
                                       y=soma.y * um, z=soma.z * um)
        else:
            xs = np.array([c.x for c in run])
            ys = np.array([c.y for c in run])
            zs = np.array([c.z for c in run])
            diameters = np.array([c.diameter for c in run])
            if parent is not None:
                n = len(run)
                if parent.comp_name is not None and parent.comp_name.lower() == "soma":
                    start_diameter = diameters[0]  # a soma's diameter is not a cone's end
                else:
                    start_diameter = parent.diameter
                xs, ys, zs = xs - parent.x, ys - parent.y, zs - parent.z  # relative
                start = (0.0, 0.0, 0.0)
            else:
                n = len(run) - 1
                if n < 1:
                    raise ValueError(f"Point {run[0].index} is the only point of the root "
                                     "section: a section (a soma too, with "
                                     "spherical_soma=False) needs at least two points")
                start_diameter, diameters = diameters[0], diameters[1:]
                start = (xs[0], ys[0], zs[0])
                xs, ys, zs = xs[1:], ys[1:], zs[1:]
            section = Section(n=n, diameter=np.hstack([start_diameter, diameters]) * um,
                              x=np.hstack([start[0], xs]) * um,
                              y=np.hstack([start[1], ys]) * um,
                              z=np.hstack([start[2], zs]) * um, type=name)
        if parent is not None:
            sections[parent.index].children.add(name, section, automatic_name=True)
        return section

    @staticmethod
    def from_swc_file(filename: str | os.PathLike, spherical_soma: bool = True
                      ) -> Morphology:
        """Load a morphology from an SWC file (neuromorpho.org's format).

        Lines starting with ``#`` and empty lines are skipped; every other line is
        ``index type x y z radius parent`` (coordinates and radius in um, parent ``-1``
        for the root).  Type 1 is the soma; 2, 3 and 4 name sections ``axon``, ``dend``
        and ``apic``; other types give unnamed sections (reachable by ``L``/``R``/``1``).
        """
        swc_types = {"1": "soma", "2": "axon", "3": "dend", "4": "apic"}
        points = []
        with open(filename) as f:
            for line_no, line in enumerate(f, start=1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                fields = line.split()
                if len(fields) != 7:
                    raise ValueError(f"{filename}: each line of an SWC file has to contain 7 "
                                     f"space-separated entries, but line {line_no} "
                                     f"contains {len(fields)}.")
                index, comp_type, x, y, z, radius, parent = fields
                try:
                    points.append((int(index), swc_types.get(comp_type), float(x),
                                   float(y), float(z), 2 * float(radius), int(parent)))
                except ValueError:
                    raise ValueError(f"{filename}, line {line_no}: expected 'index type x y "
                                     f"z radius parent' (integer index and parent), got "
                                     f"{line!r}") from None
        if not points:
            raise ValueError(f"{filename}: no points in this SWC file")
        return Morphology.from_points(points, spherical_soma=spherical_soma)

    @staticmethod
    def from_file(filename: str | os.PathLike, spherical_soma: bool = True) -> Morphology:
        """Load a morphology from a file (SWC, by its ``.swc`` extension)."""
        _, ext = os.path.splitext(os.fspath(filename))
        if ext.lower() == ".swc":
            return Morphology.from_swc_file(filename, spherical_soma=spherical_soma)
        raise NotImplementedError(f"Cannot load {filename!r}: SWC (.swc) is the only "
                                  "supported morphology format.")


def _type_name(obj: Any) -> str:
    """The class name, for messages."""
    return type(obj).__name__


def _slice(values: Any, i: int, j: int) -> Any:
    return None if values is None else values[i:j]


class SubMorphology:
    """A view on compartments ``[i, j)`` of one section (``morpho.dend[10*um:50*um]``)."""

    def __init__(self, morphology: Morphology, i: int, j: int):
        self._morphology = morphology
        self._i = i
        self._j = j
        self.indices = MorphologyIndexWrapper(self)

    def __repr__(self) -> str:
        return f"<compartments {self._i} to {self._j - 1} of {self._morphology!r}>"

    def _indices(self, item: Any = None) -> int | np.ndarray:
        if not (item is None or item == slice(None)):
            raise IndexError("Cannot index a view on a subset of a section further")
        start = _calc_start_idx(self._morphology)
        if item is None and self.n == 1:
            return start + self._i
        return np.arange(start + self._i, start + self._j)

    @property
    def n(self) -> int:
        """The number of compartments in this view."""
        return self._j - self._i

    def __len__(self) -> int:
        return self.n

    @property
    def n_sections(self) -> int:
        """The number of sections (always 1)."""
        return 1

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in _VIEW_ATTRIBUTES:
            raise AttributeError(f"{_type_name(self)} has no attribute {name!r}")
        return _slice(getattr(self._morphology, name), self._i, self._j)


#: per-compartment attributes that a `SubMorphology` slices from its section
_VIEW_ATTRIBUTES = frozenset(
    ["area", "volume", "length", "r_length_1", "r_length_2", "diameter", "distance"]
    + [f"{prefix}{axis}{suffix}" for prefix in ("start_", "", "end_") for axis in "xyz"
       for suffix in ("", "_")])


class Soma(Morphology):
    """A spherical, iso-potential soma: one compartment.

    Parameters
    ----------
    diameter : Quantity
        Diameter of the sphere (m).
    x, y, z : Quantity, optional
        Position of the centre (m); the others default to 0 when one is given.  A soma's
        start, midpoint and end are all this point.
    type : str
        The section type (``'soma'``).
    """

    def __init__(self, diameter: Quantity, x: Quantity | None = None,
                 y: Quantity | None = None, z: Quantity | None = None, type: str = "soma"):
        Morphology.__init__(self, n=1, type=type)
        d = _length_values("Soma", "diameter", diameter, positive=True)
        if d is None:
            raise TypeError("Soma: argument 'diameter' is required")
        if d.size != 1:
            raise TypeError(f"Soma: argument 'diameter' has to be a scalar value, got "
                            f"{diameter!r}")
        self._diameter = d.reshape(1)
        coords = {}
        for name, value in (("x", x), ("y", y), ("z", z)):
            c = _length_values("Soma", name, value)
            if c is not None and c.size != 1:
                raise TypeError(f"Soma: coordinate '{name}' has to be a scalar value, got "
                                f"{value!r}")
            coords[name] = None if c is None else c.reshape(1)
        default = np.zeros(1) if any(c is not None for c in coords.values()) else None
        self._x = coords["x"] if coords["x"] is not None else default
        self._y = coords["y"] if coords["y"] is not None else _copy(default)
        self._z = coords["z"] if coords["z"] is not None else _copy(default)

    def __repr__(self) -> str:
        text = f"{_type_name(self)}(diameter={self.diameter[0]!r}"
        if self._x is not None:
            text += f", x={self.x[0]!r}, y={self.y[0]!r}, z={self.z[0]!r}"
        if self.type != "soma":
            text += f", type={self.type!r}"
        return text + ")"

    def copy_section(self) -> Soma:
        return Soma(self.diameter, x=self.x, y=self.y, z=self.z, type=self.type)

    @property
    def area(self) -> Quantity:
        """Area of the sphere, ``pi*d**2`` (m^2, an array of length 1)."""
        return Quantity(np.pi * self._diameter ** 2, dim=(meter ** 2).dim)

    @property
    def volume(self) -> Quantity:
        """Volume of the sphere, ``pi*d**3/6`` (m^3, an array of length 1)."""
        return Quantity(np.pi * self._diameter ** 3 / 6, dim=(meter ** 3).dim)

    @property
    def length(self) -> Quantity:
        """The diameter (m, an array of length 1)."""
        return _to_meters(self._diameter.copy())

    @property
    def r_length_1(self) -> Quantity:
        """1 m: a fixed large factor, i.e. a negligible axial resistance in the soma."""
        return _to_meters(np.ones(1))

    @property
    def r_length_2(self) -> Quantity:
        """1 m: a fixed large factor, i.e. a negligible axial resistance in the soma."""
        return _to_meters(np.ones(1))

    @property
    def diameter(self) -> Quantity:
        """Diameter of the sphere (m, an array of length 1)."""
        return _to_meters(self._diameter.copy())

    @property
    def distance(self) -> Quantity:
        """Distance to the root (m, length 1): the parent's last midpoint distance, or 0
        for a root soma."""
        if self._parent is None:
            return _to_meters(np.zeros(1))
        return self._parent.distance[-1:]

    @property
    def end_distance(self) -> Quantity:
        """A soma is a point for distances: its parent's end distance, or 0 m."""
        if self._parent is None:
            return 0 * meter
        return self._parent.end_distance

    start_x_ = x_ = end_x_ = property(lambda self: self._x, doc="Soma centre x (SI).")
    start_y_ = y_ = end_y_ = property(lambda self: self._y, doc="Soma centre y (SI).")
    start_z_ = z_ = end_z_ = property(lambda self: self._z, doc="Soma centre z (SI).")


def _copy(values: np.ndarray | None) -> np.ndarray | None:
    return None if values is None else values.copy()


class Section(Morphology):
    """An unbranched section of ``n`` truncated cones.

    Parameters
    ----------
    diameter : Quantity
        ``n + 1`` diameters (m): at the start of the first compartment and at the end of
        each compartment.
    n : int
        Number of compartments (default 1).
    length : Quantity, optional
        ``n`` compartment lengths (m).  Not with coordinates.
    x, y, z : Quantity, optional
        ``n + 1`` points (m), relative to the end of the parent section (so usually
        starting at ``0*um``; a section on a `Soma` may start on the sphere's surface).
        Give one, two or three of them; the others are 0.  Lengths follow from them.
    type : str, optional
        The section type (e.g. ``'axon'``).
    """

    def __init__(self, diameter: Quantity, n: int = 1, length: Quantity | None = None,
                 x: Quantity | None = None, y: Quantity | None = None,
                 z: Quantity | None = None, type: str | None = None):
        owner = _type_name(self)
        n = _check_count(owner, n)
        Morphology.__init__(self, n=n, type=type)
        d = _length_values(owner, "diameter", diameter)
        if d is None or d.ndim != 1 or len(d) != n + 1:
            raise TypeError(f"{owner}: the diameter argument has to be a one-dimensional "
                            f"array of length {n + 1} (n + 1), got {diameter!r}")
        # a cone may end in a point (a tapering tip), but not start and end in one
        if np.any(d < 0) or np.any((d[:-1] == 0) & (d[1:] == 0)):
            raise ValueError(f"{owner}: argument 'diameter' cannot be negative, nor zero at "
                             f"both ends of a compartment, got {diameter!r}")
        self._node_diameters = d
        self._set_geometry(owner, n, length, x, y, z, n + 1)

    def _set_geometry(self, owner: str, n: int, length: Any, x: Any, y: Any, z: Any,
                      n_points: int) -> None:
        coords = (x, y, z)
        if any(c is not None for c in coords) and length is not None:
            raise TypeError(f"{owner}: cannot specify coordinates (x, y, z) and length at "
                            "the same time.")
        if length is not None:
            lengths = _length_values(owner, "length", length, positive=True)
            self._set_lengths(owner, n, lengths, length)
            self._x = self._y = self._z = None
            return
        if all(c is None for c in coords):
            raise TypeError(f"{owner}: no length specified, need to specify at least one "
                            "out of x, y, or z.")
        points = []
        for name, value in zip("xyz", coords, strict=True):
            c = _length_values(owner, name, value)
            if c is not None and (c.ndim != 1 or len(c) != n_points):
                what = "(start and end point)" if n_points == 2 else "(n + 1 points)"
                raise TypeError(f"{owner}: '{name}' needs to be a 1-dimensional array of "
                                f"length {n_points} {what}, got {value!r}")
            points.append(c)
        self._x, self._y, self._z = (
            np.zeros(n + 1) if c is None else self._points(c, n) for c in points)
        lengths = np.sqrt(np.diff(self._x) ** 2 + np.diff(self._y) ** 2
                          + np.diff(self._z) ** 2)
        if np.any(lengths <= 0):
            bad = int(np.flatnonzero(lengths <= 0)[0])
            raise ValueError(f"{owner}: compartment {bad} has zero length (two consecutive "
                             "points of x, y, z coincide)")
        self._length = lengths

    @staticmethod
    def _points(values: np.ndarray, n: int) -> np.ndarray:
        return values.reshape(n + 1)

    def _set_lengths(self, owner: str, n: int, lengths: np.ndarray, given: Any) -> None:
        if lengths.ndim != 1 or len(lengths) != n:
            raise TypeError(f"{owner}: the length argument has to be a one-dimensional "
                            f"array of length {n} (n), got {given!r}")
        self._length = lengths

    def __repr__(self) -> str:
        ends = self._node_diameters[1:]
        if np.all(np.abs(ends - ends[0]) < ends[0] * 1e-12):
            diam: Any = _to_meters(np.array(ends[0]))
        else:
            diam = _to_meters(self._node_diameters)
        text = f"{_type_name(self)}(diameter={diam!r}"
        if self.n != 1:
            text += f", n={self.n}"
        if self._x is not None:
            text += (f", x={_to_meters(self._x)!r}, y={_to_meters(self._y)!r}, "
                     f"z={_to_meters(self._z)!r}")
        else:
            text += f", length={_to_meters(np.array(np.sum(self._length)))!r}"
        if self.type is not None:
            text += f", type={self.type!r}"
        return text + ")"

    def copy_section(self) -> Section:
        if self._x is None:
            return Section(diameter=_to_meters(self._node_diameters), n=self.n,
                           length=self.length, type=self.type)
        return Section(diameter=_to_meters(self._node_diameters), n=self.n,
                       x=_to_meters(self._x), y=_to_meters(self._y), z=_to_meters(self._z),
                       type=self.type)

    # geometry, SI arrays
    def _d1(self) -> np.ndarray:
        return self._node_diameters[:-1]

    def _d2(self) -> np.ndarray:
        return self._node_diameters[1:]

    @property
    def start_diameter(self) -> Quantity:
        """Diameter at the start of each compartment (m)."""
        return _to_meters(self._d1().copy())

    @property
    def end_diameter(self) -> Quantity:
        """Diameter at the end of each compartment (m)."""
        return _to_meters(self._d2().copy())

    @property
    def diameter(self) -> Quantity:
        """Diameter at the midpoint of each compartment (m): the mean of its ends."""
        return _to_meters(0.5 * (self._d1() + self._d2()))

    @property
    def length(self) -> Quantity:
        """Length of each compartment (m)."""
        return _to_meters(self._length.copy())

    @property
    def area(self) -> Quantity:
        """Lateral area of each truncated cone (m^2),
        ``pi/2*(d1 + d2)*sqrt((d1 - d2)**2/4 + l**2)`` (no end disks)."""
        d1, d2 = self._d1(), self._d2()
        values = np.pi / 2 * (d1 + d2) * np.sqrt((d1 - d2) ** 2 / 4 + self._length ** 2)
        return Quantity(values, dim=(meter ** 2).dim)

    @property
    def volume(self) -> Quantity:
        """Volume of each truncated cone (m^3), ``pi/12*l*(d1**2 + d1*d2 + d2**2)``."""
        d1, d2 = self._d1(), self._d2()
        values = np.pi * self._length * (d1 ** 2 + d1 * d2 + d2 ** 2) / 12
        return Quantity(values, dim=(meter ** 3).dim)

    @property
    def r_length_1(self) -> Quantity:
        """``pi/2*d1*dm/l`` (m), the first half-cone's factor (``dm``: midpoint
        diameter); ``r_length_1/Ri`` is its axial conductance."""
        d1 = self._d1()
        dm = 0.5 * (d1 + self._d2())
        return _to_meters(np.pi / 2 * d1 * dm / self._length)

    @property
    def r_length_2(self) -> Quantity:
        """``pi/2*dm*d2/l`` (m), the second half-cone's factor."""
        d2 = self._d2()
        dm = 0.5 * (self._d1() + d2)
        return _to_meters(np.pi / 2 * dm * d2 / self._length)

    @property
    def distance(self) -> Quantity:
        """Path distance from the root to each compartment's midpoint (m)."""
        start = 0.0 if self._parent is None else float(self._parent.end_distance)
        return _to_meters(start + np.cumsum(self._length) - 0.5 * self._length)

    @property
    def end_distance(self) -> Quantity:
        """Path distance from the root to the end of this section (m)."""
        start = 0.0 if self._parent is None else float(self._parent.end_distance)
        return (start + float(np.sum(self._length))) * meter

    def _absolute(self, values: np.ndarray | None, axis: str, part: slice
                  ) -> np.ndarray | None:
        if values is None:
            return None
        parent_end = None if self._parent is None else getattr(self._parent, f"end_{axis}_")
        if parent_end is None:
            return values[part].copy()
        return parent_end[-1] + values[part]

    start_x_ = property(lambda self: self._absolute(self._x, "x", slice(None, -1)),
                        doc="x of each compartment's start (SI).")
    start_y_ = property(lambda self: self._absolute(self._y, "y", slice(None, -1)),
                        doc="y of each compartment's start (SI).")
    start_z_ = property(lambda self: self._absolute(self._z, "z", slice(None, -1)),
                        doc="z of each compartment's start (SI).")
    end_x_ = property(lambda self: self._absolute(self._x, "x", slice(1, None)),
                      doc="x of each compartment's end (SI).")
    end_y_ = property(lambda self: self._absolute(self._y, "y", slice(1, None)),
                      doc="y of each compartment's end (SI).")
    end_z_ = property(lambda self: self._absolute(self._z, "z", slice(1, None)),
                      doc="z of each compartment's end (SI).")

    def _midpoint(self, axis: str) -> np.ndarray | None:
        start = getattr(self, f"start_{axis}_")
        if start is None:
            return None
        return start + 0.5 * (getattr(self, f"end_{axis}_") - start)

    x_ = property(lambda self: self._midpoint("x"), doc="x of each midpoint (SI).")
    y_ = property(lambda self: self._midpoint("y"), doc="y of each midpoint (SI).")
    z_ = property(lambda self: self._midpoint("z"), doc="z of each midpoint (SI).")


class Cylinder(Section):
    """An unbranched section of ``n`` equal cylinders.

    Parameters
    ----------
    diameter : Quantity
        The diameter (m), one value.
    n : int
        Number of compartments (default 1).
    length : Quantity, optional
        Total length (m), one value, split equally.  Not with coordinates.
    x, y, z : Quantity, optional
        Start and end point (two values each, m), relative to the end of the parent.
    type : str, optional
        The section type (e.g. ``'axon'``).
    """

    def __init__(self, diameter: Quantity, n: int = 1, length: Quantity | None = None,
                 x: Quantity | None = None, y: Quantity | None = None,
                 z: Quantity | None = None, type: str | None = None):
        owner = _type_name(self)
        n = _check_count(owner, n)
        Morphology.__init__(self, n=n, type=type)
        d = _length_values(owner, "diameter", diameter, positive=True)
        if d is None or d.size != 1:
            raise TypeError(f"{owner}: the diameter argument has to be a single value, got "
                            f"{diameter!r}")
        self._node_diameters = np.full(n + 1, float(d.reshape(-1)[0]))
        self._set_geometry(owner, n, length, x, y, z, 2)

    @staticmethod
    def _points(values: np.ndarray, n: int) -> np.ndarray:
        return np.linspace(values[0], values[1], n + 1)

    def _set_lengths(self, owner: str, n: int, lengths: np.ndarray, given: Any) -> None:
        if lengths.size != 1:
            raise TypeError(f"{owner}: the length argument has to be a single value (the "
                            f"total length), got {given!r}")
        self._length = np.ones(n) * (float(lengths.reshape(-1)[0]) / n)

    def __repr__(self) -> str:
        text = f"{_type_name(self)}(diameter={_to_meters(np.array(self._node_diameters[0]))!r}"
        if self.n != 1:
            text += f", n={self.n}"
        if self._x is not None:
            text += (f", x={_to_meters(self._x[[0, -1]])!r}, "
                     f"y={_to_meters(self._y[[0, -1]])!r}, z={_to_meters(self._z[[0, -1]])!r}")
        else:
            text += f", length={_to_meters(np.array(np.sum(self._length)))!r}"
        if self.type is not None:
            text += f", type={self.type!r}"
        return text + ")"

    def copy_section(self) -> Cylinder:
        d = _to_meters(np.array(self._node_diameters[0]))
        if self._x is None:
            return Cylinder(d, n=self.n, length=float(np.sum(self._length)) * meter,
                            type=self.type)
        return Cylinder(d, n=self.n, x=_to_meters(self._x[[0, -1]]),
                        y=_to_meters(self._y[[0, -1]]), z=_to_meters(self._z[[0, -1]]),
                        type=self.type)

    @property
    def area(self) -> Quantity:
        """Lateral area of each cylinder, ``pi*d*l`` (m^2)."""
        return Quantity(np.pi * self._d1() * self._length, dim=(meter ** 2).dim)

    @property
    def volume(self) -> Quantity:
        """Volume of each cylinder, ``pi*(d/2)**2*l`` (m^3)."""
        return Quantity(np.pi * (self._d1() / 2) ** 2 * self._length, dim=(meter ** 3).dim)

    @property
    def r_length_1(self) -> Quantity:
        """``pi/2*d**2/l`` (m): ``r_length_1/Ri`` is the conductance of half a cylinder."""
        return _to_meters(np.pi / 2 * self._d1() ** 2 / self._length)

    @property
    def r_length_2(self) -> Quantity:
        """``pi/2*d**2/l`` (m), as `r_length_1`."""
        return _to_meters(np.pi / 2 * self._d1() ** 2 / self._length)


class FlatMorphology:
    """A morphology flattened into arrays (SI floats), compartments in flat order.

    Brian 2's ``FlatMorphology``: per compartment ``length``, ``distance``, ``area``,
    ``diameter``, ``volume``, ``r_length_1``, ``r_length_2``, ``depth`` (section depth in
    the tree) and the coordinates (``None`` without any; NaN for sections without them in
    a morphology that has some); per section ``starts``/``ends`` (compartments
    ``[start, end)``), ``end_distance``, ``parent`` (parent section, -1 for the root) and
    Brian 2's solver tables ``morph_parent_i`` (parent + 1, 0 for the root),
    ``morph_idxchild``, ``morph_children`` (flat ``(sections + 1) x max children``) and
    ``morph_children_num``.
    """

    def __init__(self, morphology: Morphology):
        if not isinstance(morphology, Morphology):
            raise TypeError(f"FlatMorphology needs a Morphology, got {morphology!r}")
        sections = list(morphology.sections())
        self.n = n = sum(s.n for s in sections)
        self.sections = len(sections)
        names = ("length", "distance", "area", "diameter", "volume", "r_length_1",
                 "r_length_2")
        for name in names:
            setattr(self, name, np.zeros(n))
        coordinate_names = [f"{p}{a}" for p in ("start_", "", "end_") for a in "xyz"]
        coords = {name: np.full(n, np.nan) for name in coordinate_names}
        self.depth = np.zeros(n, dtype=np.int32)
        self.starts = np.zeros(self.sections, dtype=np.int32)
        self.ends = np.zeros(self.sections, dtype=np.int32)
        self.end_distance = np.zeros(self.sections)
        self.parent = np.full(self.sections, -1, dtype=np.int32)
        self.morph_parent_i = np.zeros(self.sections, dtype=np.int32)
        self.morph_idxchild = np.zeros(self.sections, dtype=np.int32)
        children: list[list[int]] = [[] for _ in range(self.sections + 1)]
        number = {id(s): k for k, s in enumerate(sections)}
        depth_of: dict[int, int] = {}
        self.has_coordinates = False
        without = False
        offset = 0
        for k, section in enumerate(sections):
            start, end = offset, offset + section.n
            self.starts[k], self.ends[k] = start, end
            parent = -1 if section.parent is None or k == 0 else number[id(section.parent)]
            depth_of[k] = 0 if parent < 0 else depth_of[parent] + 1
            self.depth[start:end] = depth_of[k]
            for name in names:
                getattr(self, name)[start:end] = np.asarray(getattr(section, name))
            if section.x_ is None:
                without = True
            else:
                self.has_coordinates = True
                for name in coordinate_names:
                    coords[name][start:end] = getattr(section, f"{name}_")
            self.end_distance[k] = float(section.end_distance)
            self.parent[k] = parent
            self.morph_parent_i[k] = parent + 1
            self.morph_idxchild[k] = len(children[parent + 1])
            children[parent + 1].append(k + 1)
            offset = end
        if self.has_coordinates and without:
            logger.info("The morphology has a mix of sections with and without "
                        "coordinates; those without get NaN coordinates (call "
                        "generate_coordinates to fill them in).")
        for name in coordinate_names:
            setattr(self, name, coords[name] if self.has_coordinates else None)
        # Brian 2 counts row 0 as the virtual root's children (the root section)
        self.morph_children_num = np.array([len(c) for c in children], dtype=np.int32)
        width = max(1, int(self.morph_children_num.max()))
        table = np.zeros((self.sections + 1, width), dtype=np.int32)
        for row, kids in enumerate(children):
            table[row, :len(kids)] = kids
        self.morph_children = table.reshape(-1)

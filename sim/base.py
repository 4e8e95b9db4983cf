"""The base of every object a network runs, and Brian 2's scheduling slots."""

from __future__ import annotations

import itertools
import weakref

from sim.clocks import Clock, defaultclock

__all__ = ["SimObject", "BrianObject", "SCHEDULE", "slot_index", "start_scope", "find_name"]

#: Brian 2's default schedule: the order of slots within one time step.
SCHEDULE = ("start", "groups", "thresholds", "synapses", "resets", "end")

_creation = itertools.count()
_scope = {"key": 0}
_instances: weakref.WeakSet = weakref.WeakSet()


def slot_index(when: str) -> int:
    """Position of a ``when`` slot (``'before_X'``, ``'X'``, ``'after_X'``)."""
    base = when
    offset = 1
    if when.startswith("before_"):
        base, offset = when[len("before_"):], 0
    elif when.startswith("after_"):
        base, offset = when[len("after_"):], 2
    if base not in SCHEDULE:
        allowed = ", ".join(SCHEDULE)
        raise ValueError(
            f"Unknown scheduling slot when={when!r}: use one of {allowed}, "
            f"optionally with a 'before_' or 'after_' prefix"
        )
    return 3 * SCHEDULE.index(base) + offset


def find_name(basename: str) -> str:
    """Brian 2's default names: ``basename`` if no living object has it, else
    ``basename_1``, ``basename_2``... (objects in the same slot with the same order
    run in the order of their names, as in Brian 2)."""
    taken = {getattr(obj, "name", None) for obj in list(_instances)}
    if basename not in taken:
        return basename
    k = 1
    while f"{basename}_{k}" in taken:
        k += 1
    return f"{basename}_{k}"


def start_scope() -> None:
    """Brian 2's: objects created before this call are no longer collected by the magic
    ``run()``, ``store()`` and ``restore()``.

    Nothing else changes, as in Brian 2 (``brian2/core/magic.py``): the magic network
    keeps its time (``magic_network.t``) and its stored snapshots, and ``defaultclock``
    its ``dt`` and time.  The next magic ``run()`` of new objects starts at t = 0 (they
    have not been run); a ``restore()`` of a snapshot stored before puts back its time and
    the states of objects of the same names.
    """
    _scope["key"] += 1


class SimObject:
    """Something a :class:`~sim.network.Network` runs: has a clock and a slot.

    Subclasses implement ``before_run(namespace)`` (build and compile code),
    ``step_function()`` (a callable taking the clock's step index), and
    ``after_run()``.
    """

    add_to_magic_network = True
    #: Brian 2's: whether a new object of this kind, joining objects that the magic
    #: network has run, makes the set ambiguous (a ``MagicError``); monitors do not
    invalidates_magic_network = True
    #: the id of the network that first ran this object (None: never run), Brian 2's
    _network: int | None = None
    #: the base of default names (Brian 2's: class name in lower case, or its own)
    default_name: str | None = None

    def __init__(
        self,
        dt=None,
        clock: Clock | None = None,
        when: str = "start",
        order: int = 0,
        name: str | None = None,
    ):
        if dt is not None and clock is not None:
            raise ValueError("Give either dt= or clock=, not both")
        self.clock = clock if clock is not None else (Clock(dt) if dt is not None else defaultclock)
        slot_index(when)
        self.when = when
        self.order = order
        self._creation_index = next(_creation)
        self._scope_key = _scope["key"]
        self.name = name or find_name(self.default_name or type(self).__name__.lower())
        self.active = True
        self.contained_objects: list[SimObject] = []
        _instances.add(self)

    @classmethod
    def __instances__(cls) -> set:
        """Brian 2's (``Trackable``): weak references to the living objects of this class
        (and of its subclasses)."""
        return {weakref.ref(o) for o in list(_instances) if isinstance(o, cls)}

    def sort_key(self) -> tuple:
        # as Brian 2: slot, order, then name (deterministic, and the same as Brian 2's
        # for the same script, since default names are made the same way)
        return (slot_index(self.when), self.order, self.name)

    def before_run(self, namespace: dict) -> None:  # pragma: no cover - overridden
        pass

    def step_function(self):  # pragma: no cover - overridden
        return None

    def after_run(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def add_attribute(self, name: str) -> None:
        """Brian 2's: allow a new attribute ``name`` (set to ``None``), which can then be
        assigned (``G.add_attribute('label'); G.label = 'input'``).  Groups refuse to set
        unknown attributes otherwise, to catch misspelt variable names."""
        variables = self.__dict__.get("variables")
        if variables is not None and name in variables:
            raise AttributeError(f'Cannot add an attribute "{name}", it is already a state '
                                 f"variable of this group.")
        if hasattr(self, name):
            raise AttributeError(f'Cannot add an attribute "{name}", it is already an '
                                 f"attribute of this group.")
        object.__setattr__(self, name, None)


#: Brian 2's name for the base class.
BrianObject = SimObject

"""Multicompartment neurons: morphologies (`Morphology`, `Soma`, `Section`, `Cylinder`),
`SpatialNeuron` (`sim.spatial.spatialneuron`) and the implicit cable-equation solver
(`sim.spatial.cable`, loaded on first use: it compiles with numba, and ``import sim``
stays light)."""

from typing import Any

from sim.spatial.morphology import (
    Children,
    Cylinder,
    FlatMorphology,
    Morphology,
    Section,
    Soma,
    SubMorphology,
    Topology,
)
from sim.spatial.spatialneuron import SpatialNeuron, SpatialSubgroup

__all__ = ["Morphology", "Soma", "Section", "Cylinder", "SubMorphology", "Children",
           "Topology", "FlatMorphology", "SpatialNeuron", "SpatialSubgroup"]


def __getattr__(name: str) -> Any:
    if name == "CableSolver":
        from sim.spatial.cable import CableSolver

        return CableSolver
    raise AttributeError(f"module 'sim.spatial' has no attribute {name!r}")

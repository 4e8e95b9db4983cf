"""Morphologies (sim.spatial.morphology): geometry, trees, flat numbering, SWC files."""

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.spatial import Cylinder, FlatMorphology, Morphology, Section, Soma, SubMorphology
from sim.units import DimensionMismatchError, Quantity, meter, mV, um


def close(a, b, rtol=1e-12):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=rtol,
                       atol=0)


def si(q):
    return np.asarray(q, dtype=float)


# --- single sections --------------------------------------------------------------------
def test_soma_attributes():
    soma = Soma(diameter=30 * um)
    assert soma.n == 1 and soma.total_compartments == 1 and soma.total_sections == 1
    assert isinstance(soma.area, Quantity) and soma.area.dim is (meter ** 2).dim
    assert close(soma.area, [np.pi * 30e-6 ** 2])
    assert close(soma.volume, [np.pi * 30e-6 ** 3 / 6])
    assert close(soma.length, [30e-6]) and close(soma.diameter, [30e-6])
    assert close(soma.r_length_1, [1.0]) and close(soma.r_length_2, [1.0])
    assert close(soma.distance, [0.0]) and float(soma.end_distance) == 0
    assert soma.x is None and soma.start_y is None and soma.end_z is None
    assert soma.coordinates is None
    assert soma.type == "soma" and soma.parent is None and len(soma.children) == 0


def test_soma_coordinates():
    soma = Soma(diameter=30 * um, x=5 * um, z=-2 * um)
    for name, value in (("x", 5e-6), ("y", 0.0), ("z", -2e-6)):
        for prefix in ("start_", "", "end_"):
            assert close(getattr(soma, prefix + name), [value])
    assert close(soma.coordinates, [[5e-6, 0, -2e-6]])


def test_cylinder_attributes():
    cyl = Cylinder(n=5, diameter=2 * um, length=100 * um)
    assert cyl.n == 5
    assert close(cyl.length, np.full(5, 20e-6))
    assert close(cyl.diameter, np.full(5, 2e-6))
    assert close(cyl.start_diameter, cyl.end_diameter)
    assert close(cyl.area, np.full(5, np.pi * 2e-6 * 20e-6))
    assert close(cyl.volume, np.full(5, np.pi * 1e-6 ** 2 * 20e-6))
    # half a cylinder (length l/2) has resistance Ri*(l/2)/(pi*d**2/4) = Ri/r_length
    assert close(cyl.r_length_1, np.full(5, np.pi / 2 * (2e-6) ** 2 / 20e-6))
    assert close(cyl.r_length_2, cyl.r_length_1)
    assert close(cyl.distance, [10e-6, 30e-6, 50e-6, 70e-6, 90e-6])
    assert close(cyl.end_distance, 100e-6)
    assert cyl.x is None


def test_cylinder_coordinates():
    cyl = Cylinder(n=4, diameter=1 * um, x=[0, 30] * um, y=[0, 40] * um)
    assert close(cyl.length, np.full(4, 12.5e-6))
    assert close(cyl.start_x, [0, 7.5e-6, 15e-6, 22.5e-6])
    assert close(cyl.end_y, [10e-6, 20e-6, 30e-6, 40e-6])
    assert close(cyl.x, [3.75e-6, 11.25e-6, 18.75e-6, 26.25e-6])
    assert close(cyl.z, np.zeros(4))
    assert cyl.coordinates.shape == (5, 3)


def test_section_truncated_cones():
    d = [6, 5, 4, 3, 2, 1] * um
    lengths = [10, 10, 10, 5, 5] * um
    sec = Section(n=5, diameter=d, length=lengths)
    d1, d2, ell = si(d)[:-1], si(d)[1:], si(lengths)
    assert close(sec.start_diameter, d1) and close(sec.end_diameter, d2)
    assert close(sec.diameter, (d1 + d2) / 2)
    assert close(sec.area, np.pi / 2 * (d1 + d2) * np.sqrt((d1 - d2) ** 2 / 4 + ell ** 2))
    assert close(sec.volume, np.pi * ell * (d1 ** 2 + d1 * d2 + d2 ** 2) / 12)
    dm = (d1 + d2) / 2
    assert close(sec.r_length_1, np.pi / 2 * d1 * dm / ell)
    assert close(sec.r_length_2, np.pi / 2 * dm * d2 / ell)
    # a truncated cone's resistance is 4*Ri*l/(pi*d1*d2): the two halves in series
    resistance = 1 / sec.r_length_1 + 1 / sec.r_length_2
    assert close(resistance, 4 * ell / 2 / (np.pi * d1 * dm) + 4 * ell / 2 / (np.pi * dm * d2))
    assert close(sec.distance, [5e-6, 15e-6, 25e-6, 32.5e-6, 37.5e-6])


def test_section_coordinates_relative_to_parent():
    soma = Soma(diameter=20 * um, x=100 * um, y=50 * um)
    sec = Section(n=3, x=[10, 20, 20, 20] * um, y=[0, 0, 10, 20] * um,
                  diameter=[2, 2, 1, 1] * um)
    soma.dend = sec
    assert close(sec.length, [10e-6, 10e-6, 10e-6])
    assert close(soma.dend.start_x, [110e-6, 120e-6, 120e-6])
    assert close(soma.dend.end_y, [50e-6, 60e-6, 70e-6])
    assert close(soma.dend.x, [115e-6, 120e-6, 120e-6])
    assert close(soma.dend.z, np.zeros(3))
    # distances start at the soma (a point for distances)
    assert close(soma.dend.distance, [5e-6, 15e-6, 25e-6])


def test_repr_and_copy_section():
    cyl = Cylinder(n=3, diameter=1 * um, length=30 * um, type="axon")
    assert repr(cyl).startswith("Cylinder(diameter=1. * umetre, n=3, length=30.")
    for section in (Soma(diameter=10 * um, x=1 * um), cyl,
                    Cylinder(n=2, diameter=1 * um, x=[0, 10] * um),
                    Section(n=2, diameter=[3, 2, 1] * um, length=[5, 5] * um),
                    Section(n=2, diameter=[3, 2, 1] * um, x=[0, 3, 6] * um, y=[0, 4, 8] * um)):
        section.child = Cylinder(diameter=1 * um, length=1 * um)
        clone = section.copy_section()
        assert type(clone) is type(section) and len(clone.children) == 0
        for name in ("area", "volume", "length", "diameter", "r_length_1", "x", "end_y"):
            a, b = getattr(clone, name), getattr(section, name)
            assert (a is None and b is None) or close(a, b)
        if type(section) is Section and section.x is None:
            continue  # its repr shows the total length only, as Brian 2's
        assert eval(repr(clone), {"Soma": Soma, "Cylinder": Cylinder, "Section": Section,
                                  "umetre": um, "metre": meter, "array": np.array}
                    ).total_compartments == section.n


# --- errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, words", [
    (lambda: Cylinder(n=0, diameter=1 * um, length=10 * um), ValueError, "'n'"),
    (lambda: Cylinder(n=2.5, diameter=1 * um, length=10 * um), TypeError, "'n'"),
    (lambda: Cylinder(n="cell.swc", diameter=1 * um, length=10 * um), TypeError, "from_file"),
    (lambda: Cylinder(n=3 * um, diameter=1 * um, length=10 * um), DimensionMismatchError,
     "'n'"),
    (lambda: Cylinder(diameter=1 * mV, length=10 * um), DimensionMismatchError, "'diameter'"),
    (lambda: Cylinder(diameter=1, length=10 * um), DimensionMismatchError, "'diameter'"),
    (lambda: Cylinder(diameter=-1 * um, length=10 * um), ValueError, "'diameter'"),
    (lambda: Cylinder(diameter=[1, 2] * um, length=10 * um), TypeError, "diameter"),
    (lambda: Cylinder(diameter=1 * um, length=[1, 2] * um), TypeError, "length"),
    (lambda: Cylinder(diameter=1 * um, length=0 * um), ValueError, "'length'"),
    (lambda: Cylinder(diameter=1 * um), TypeError, "x, y, or z"),
    (lambda: Cylinder(diameter=1 * um, length=1 * um, x=[0, 1] * um), TypeError,
     "same time"),
    (lambda: Cylinder(diameter=1 * um, x=[0, 1, 2] * um), TypeError, "'x'"),
    (lambda: Cylinder(diameter=1 * um, x=[0, 0] * um), ValueError, "zero length"),
    (lambda: Section(n=2, diameter=[1, 1] * um, length=[1, 1] * um), TypeError, "length 3"),
    (lambda: Section(n=2, diameter=[1, 1, 1] * um, length=[1, 1, 1] * um), TypeError,
     "length 2"),
    (lambda: Section(n=2, diameter=[1, 1, 1] * um, length=10 * um), TypeError, "length 2"),
    (lambda: Section(n=2, diameter=[1, 1, 1] * um, y=[0, 1] * um), TypeError, "'y'"),
    (lambda: Section(n=1, diameter=[1, 1] * um, z=[0, 1] * mV), DimensionMismatchError,
     "'z'"),
    (lambda: Soma(diameter=[1, 2] * um), TypeError, "scalar"),
    (lambda: Soma(diameter=10 * um, x=[1, 2] * um), TypeError, "'x'"),
    (lambda: Soma(diameter=0 * um), ValueError, "'diameter'"),
    (lambda: Section(n=2, diameter=[1, 0, 0] * um, length=[1, 1] * um), ValueError,
     "'diameter'"),
    (lambda: Section(n=1, diameter=[1, -1] * um, length=[1] * um), ValueError, "'diameter'"),
])
def test_construction_errors_name_the_argument(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_morphology_is_abstract_and_has_no_len():
    with pytest.raises(TypeError):
        Morphology(n=1)
    with pytest.raises(TypeError, match="total_compartments"):
        len(Soma(diameter=1 * um))


# --- trees ------------------------------------------------------------------------------
def lr_tree():
    """Brian 2's documentation example (short names)."""
    morpho = Soma(diameter=30 * um)
    morpho.L = Cylinder(length=10 * um, diameter=1 * um, n=3)
    morpho.L1 = Cylinder(length=5 * um, diameter=1 * um, n=3)
    morpho.L2 = Cylinder(length=5 * um, diameter=1 * um, n=3)
    morpho.L3 = Cylinder(length=5 * um, diameter=1 * um, n=3)
    morpho.R = Cylinder(length=10 * um, diameter=1 * um, n=3)
    morpho.RL = Cylinder(length=5 * um, diameter=1 * um, n=3)
    morpho.RR = Cylinder(length=5 * um, diameter=1 * um, n=3)
    return morpho


def test_tree_construction_and_topology():
    morpho = lr_tree()
    assert morpho.total_compartments == 22 and morpho.total_sections == 8
    assert morpho.L.total_compartments == 12 and morpho.L.total_sections == 4
    assert morpho.L2 is morpho.L["2"] is morpho["L"]["2"] is morpho["L2"]
    assert morpho.RL.parent is morpho.R and morpho.R.parent is morpho
    assert [morpho.children.name(c) for c in morpho.children] == ["L", "R"]
    assert morpho.children["1"] is morpho.L  # automatic names, in attachment order
    assert "L" in morpho.children and "X" not in morpho.children
    expected = ("( )  [root] \n"
                "   `---|  .L\n"
                "        `---|  .L.1\n"
                "        `---|  .L.2\n"
                "        `---|  .L.3\n"
                "   `---|  .R\n"
                "        `---|  .R.L\n"
                "        `---|  .R.R\n")
    assert str(morpho.topology()) == expected
    assert "2 children" in repr(morpho.children)


def test_named_children_and_errors():
    soma = Soma(diameter=30 * um)
    soma.axon = Cylinder(n=10, diameter=1 * um, length=100 * um)
    soma["dendrite"] = Cylinder(n=5, diameter=2 * um, length=50 * um)
    soma.dendrite.branch1 = Cylinder(n=3, diameter=1 * um, length=50 * um)
    assert soma["dendrite"]["branch1"].n == 3
    with pytest.raises(AttributeError, match="nothere"):
        _ = soma.nothere
    with pytest.raises(AttributeError):
        _ = soma.LRL  # short path through missing children: AttributeError, not KeyError
    assert not hasattr(soma, "L")
    with pytest.raises(AttributeError, match="already used"):
        soma.axon = Cylinder(n=1, diameter=1 * um, length=1 * um)
    with pytest.raises(ValueError, match="cycle"):
        soma.dendrite.branch1.loop = soma
    with pytest.raises(ValueError, match="already has a parent"):
        Soma(diameter=1 * um).other = soma.axon
    with pytest.raises(TypeError):
        soma.children[0]
    with pytest.raises(TypeError, match="not understood"):
        soma[1.5]


def test_subtree_deletion():
    soma = Soma(diameter=30 * um)
    first = Cylinder(n=5, diameter=5 * um, length=50 * um)
    soma.dend1 = first
    soma.dend2 = Cylinder(n=5, diameter=5 * um, length=50 * um)
    soma.dend2.L = Cylinder(n=5, diameter=5 * um, length=50 * um)
    soma.dend2.L.L = Cylinder(n=5, diameter=5 * um, length=50 * um)
    assert soma.total_compartments == 21
    del soma.dend1
    assert soma.total_compartments == 16 and first.parent is None
    with pytest.raises(AttributeError):
        _ = soma.dend1
    with pytest.raises(AttributeError):
        soma["1"]  # the automatic name goes with the subtree
    with pytest.raises(AttributeError):
        del soma.dend1
    del soma.dend2.LL
    assert soma.total_compartments == 11
    assert soma.dend2.indices[:].tolist() == list(range(1, 6))


def cable_trees():
    """One tree three ways: lengths, coordinates (relative to the parent's end), points."""
    r2 = np.sqrt(2)
    schematic = Cylinder(n=10, diameter=10 * um, length=100 * um)
    schematic.L = Section(n=5, diameter=[10, 8, 6, 4, 2, 0] * um, length=np.full(5, 20) * um)
    schematic.R = Cylinder(n=5, diameter=5 * um, length=50 * um)
    schematic.RL = Cylinder(n=5, diameter=2.5 * um, length=50 * um)
    schematic.RR = Section(n=5, diameter=[5, 4, 3, 2, 1, 0] * um, length=np.full(5, 10) * um)
    coords = Cylinder(n=10, x=[0, 100] * um, diameter=10 * um)
    coords.L = Section(n=5, diameter=[10, 8, 6, 4, 2, 0] * um,
                       x=np.linspace(0, 100, 6) / r2 * um, y=np.linspace(0, 100, 6) / r2 * um)
    coords.R = Cylinder(n=5, diameter=5 * um, x=[0, 50] * um / r2, y=[0, -50] * um / r2)
    coords.RL = Cylinder(n=5, diameter=2.5 * um, x=[0, 50] * um / r2, z=[0, 50] * um / r2)
    coords.RR = Section(n=5, diameter=[5, 4, 3, 2, 1, 0] * um,
                        x=np.linspace(0, 50, 6) * um / r2, z=np.linspace(0, -50, 6) * um / r2)
    points = [(i + 1, None, 10.0 * i, 0, 0, 10, i) for i in range(11)]
    points[0] = (1, None, 0, 0, 0, 10, -1)
    for k in range(1, 6):  # L: 5 cones from 100 um, diameters 8..0
        points.append((11 + k, None, 100 + 20 * k / r2, 20 * k / r2, 0, 10 - 2 * k,
                       11 if k == 1 else 10 + k))
    for k in range(1, 6):  # R
        points.append((16 + k, None, 100 + 10 * k / r2, -10 * k / r2, 0, 5,
                       11 if k == 1 else 15 + k))
    for k in range(1, 6):  # RL, named by type
        points.append((21 + k, "L", 100 + (50 + 10 * k) / r2, -50 / r2, 10 * k / r2, 2.5,
                       21 if k == 1 else 20 + k))
    for k in range(1, 6):  # RR
        points.append((26 + k, "R", 100 + (50 + 10 * k) / r2, -50 / r2, -10 * k / r2,
                       5 - k, 21 if k == 1 else 25 + k))
    return schematic, coords, Morphology.from_points(points)


def test_cable_tree_three_ways():
    schematic, coords, loaded = cable_trees()
    for tree in (schematic, coords, loaded):
        assert tree.total_compartments == 30 and tree.total_sections == 5
        assert tree["1"] is tree.L and tree["21"] is tree.RL and tree["2"].total_sections == 3
        assert close(tree.distance, np.arange(10) * 10e-6 + 5e-6)
        assert close(tree["21"].distance, 150e-6 + np.arange(5) * 10e-6 + 5e-6)
        assert close(tree.L.end_distance, 200e-6) and close(tree.RR.end_distance, 200e-6)
        assert close(tree.L.start_diameter, [10e-6, 8e-6, 6e-6, 4e-6, 2e-6])
        assert close(tree.RR.end_diameter, [4e-6, 3e-6, 2e-6, 1e-6, 0])
        assert tree.RR.indices[:].tolist() == [25, 26, 27, 28, 29]
        # a loaded section starts with its parent point's diameter (R: a cone 10 -> 5 um)
        names = ("length",) if tree is loaded else ("length", "area", "volume",
                                                    "r_length_1", "r_length_2", "diameter")
        for name in names:
            for path in ("L", "R", "RL", "RR"):
                assert close(getattr(tree[path], name), getattr(schematic[path], name))
    assert close(loaded.R.start_diameter, [10e-6, 5e-6, 5e-6, 5e-6, 5e-6])
    for tree in (coords, loaded):  # absolute coordinates
        step = 10e-6 / np.sqrt(2)
        assert close(tree.RL.start_x, 100e-6 + 50e-6 / np.sqrt(2) + np.arange(5) * step)
        assert close(tree.RL.y, np.full(5, -50e-6 / np.sqrt(2)))
        assert close(tree.RR.end_z, -(np.arange(5) + 1) * step)
        assert close(tree.L.x, 100e-6 + (np.arange(5) + 0.5) * 2 * step)
    assert loaded.RL.type == "L" and loaded.R.type is None


def test_flat_indices_depth_first():
    morpho = lr_tree()
    assert morpho.indices[0] == 0 and morpho.indices[:].tolist() == [0]
    expected = {"L": 1, "L1": 4, "L2": 7, "L3": 10, "R": 13, "RL": 16, "RR": 19}
    for path, start in expected.items():
        assert morpho[path].indices[:].tolist() == [start, start + 1, start + 2]
        assert morpho[path].indices[1] == start + 1
        assert morpho[path].indices[-1] == start + 2
    with pytest.raises(IndexError):
        morpho.L.indices[3]
    with pytest.raises(NotImplementedError):
        morpho.indices["L"]


def test_slicing_by_length():
    soma = Soma(diameter=30 * um)
    soma.axon = Cylinder(n=10, diameter=1 * um, length=100 * um)  # compartments of 10 um
    axon = soma.axon
    part = axon[10 * um:50 * um]
    assert isinstance(part, SubMorphology) and part.n == 4 and len(part) == 4
    # boundaries: a start on a boundary begins the next compartment, a stop on a boundary
    # ends the previous one (Brian 2)
    assert axon.indices[10 * um:50 * um].tolist() == [2, 3, 4, 5]
    assert axon.indices[15 * um:45 * um].tolist() == [2, 3, 4, 5]
    assert axon.indices[:25 * um].tolist() == [1, 2, 3]
    assert axon.indices[95 * um:].tolist() == [10]
    assert axon.indices[95 * um:500 * um].tolist() == [10]  # clipped to the section
    assert axon.indices[35 * um] == 4 and axon.indices[30 * um] == 4
    assert axon.indices[0 * um] == 1 and axon.indices[100 * um] == 10
    assert axon.indices[2:4].tolist() == [3, 4]
    assert close(part.length, np.full(4, 10e-6)) and close(part.distance[0], 15e-6)
    assert close(part.area, si(axon.area)[1:5]) and part.x is None
    with pytest.raises(IndexError, match="interval"):
        axon[120 * um]
    with pytest.raises(TypeError, match="step"):
        axon[10 * um:50 * um:2 * um]
    with pytest.raises(TypeError, match="contiguous"):
        axon[0:6:2]
    with pytest.raises(TypeError, match="lengths or integers"):
        axon[10 * um:5]
    with pytest.raises(IndexError, match="further"):
        part.indices[0]
    with pytest.raises(IndexError):
        axon[60 * um:60 * um]


def test_distances_through_tree():
    soma = Soma(diameter=30 * um)
    soma.dend = Cylinder(n=2, diameter=1 * um, length=20 * um)
    soma.dend.L = Section(n=2, diameter=[1, 1, 0.5] * um, length=[5, 15] * um)
    soma.dend.L.soma2 = Soma(diameter=5 * um)
    assert close(soma.dend.L.distance, [22.5e-6, 32.5e-6])
    assert close(soma.dend.L.end_distance, 40e-6)
    assert close(soma.dend.L.soma2.distance, [32.5e-6])  # the parent's last midpoint
    assert close(soma.dend.L.soma2.end_distance, 40e-6)


def test_flat_morphology():
    morpho = lr_tree()
    flat = FlatMorphology(morpho)
    assert flat.n == 22 and flat.sections == 8
    assert flat.starts.tolist() == [0, 1, 4, 7, 10, 13, 16, 19]
    assert flat.ends.tolist() == [1, 4, 7, 10, 13, 16, 19, 22]
    assert flat.parent.tolist() == [-1, 0, 1, 1, 1, 0, 5, 5]
    assert flat.morph_parent_i.tolist() == [0, 1, 2, 2, 2, 1, 6, 6]
    assert flat.morph_idxchild.tolist() == [0, 0, 0, 1, 2, 1, 0, 1]
    assert flat.morph_children_num.tolist() == [1, 2, 3, 0, 0, 0, 2, 0, 0]
    table = flat.morph_children.reshape(9, -1)
    assert table[0, :1].tolist() == [1] and table[1, :2].tolist() == [2, 6]
    assert table[2].tolist() == [3, 4, 5] and table[6, :2].tolist() == [7, 8]
    assert flat.depth.tolist() == [0] + [1] * 3 + [2] * 9 + [1] * 3 + [2] * 6
    assert close(flat.area[1:4], morpho.L.area) and close(flat.distance[16:19],
                                                            morpho.RL.distance)
    assert flat.x is None and not flat.has_coordinates
    coords = FlatMorphology(morpho.generate_coordinates())
    assert coords.has_coordinates and not np.isnan(coords.x).any()
    with pytest.raises(TypeError):
        FlatMorphology("soma")


def test_pickle_and_deepcopy():
    morpho = lr_tree()
    for clone in (pickle.loads(pickle.dumps(morpho)), copy.deepcopy(morpho)):
        assert clone.total_compartments == 22
        assert clone.RL.indices[:].tolist() == [16, 17, 18]
        assert str(clone.topology()) == str(morpho.topology())


# --- coordinates generated --------------------------------------------------------------
def test_generate_coordinates_deterministic():
    morpho = lr_tree()
    new = morpho.generate_coordinates()
    assert morpho.x is None and morpho.L.x is None  # the original is untouched
    assert str(new.topology()) == str(morpho.topology())
    for old_sec, new_sec in zip(morpho.sections(), new.sections(), strict=True):
        for name in ("length", "area", "diameter", "r_length_1", "r_length_2", "distance"):
            assert close(getattr(new_sec, name), getattr(old_sec, name))
        if not isinstance(new_sec, Soma):
            steps = np.diff(si(new_sec.coordinates), axis=0)
            assert close(np.sqrt((steps ** 2).sum(axis=1)), old_sec.length)
            assert close(new_sec.z, np.zeros(new_sec.n), rtol=0)  # 2-d layout
    # children of the soma start on its surface
    start = np.array([float(new.L.start_x[0]), float(new.L.start_y[0])])
    assert close(np.hypot(*start), 15e-6)
    assert np.allclose(si(new.generate_coordinates().L.x), si(new.L.x))  # kept as is


def test_generate_coordinates_random():
    from sim import seed

    morpho = lr_tree()
    seed(3)
    a = morpho.generate_coordinates(section_randomness=25, compartment_randomness=15)
    seed(3)
    b = morpho.generate_coordinates(section_randomness=25, compartment_randomness=15)
    assert np.array_equal(si(a.RL.x), si(b.RL.x))
    assert np.any(si(a.RL.z) != 0)
    steps = np.diff(si(a.L.coordinates), axis=0)
    assert close(np.sqrt((steps ** 2).sum(axis=1)), morpho.L.length)
    with pytest.raises(ValueError, match="section_randomness"):
        morpho.generate_coordinates(section_randomness=-1)
    # overwrite_existing: sections with coordinates get new ones
    c = a.generate_coordinates(overwrite_existing=True)
    assert np.allclose(si(c.RL.z), 0)


# --- point lists and SWC files ----------------------------------------------------------
SWC = """# a small test cell
# index type x y z radius parent
1 1 0 0 0 10 -1
2 3 15 0 0 1 1
3 3 25 0 0 1 2
4 3 35 0 0 1 3
5 3 45 10 0 0.5 4
6 3 55 20 0 0.5 5
7 3 45 -10 0 0.5 4

8 2 -15 0 0 0.5 1
9 2 -25 0 0 0.5 8
10 5 -25 10 0 0.5 9
"""


def test_from_swc_file(tmp_path):
    path = tmp_path / "cell.swc"
    path.write_text(SWC)
    for morpho in (Morphology.from_swc_file(str(path)), Morphology.from_file(path)):
        assert isinstance(morpho, Soma) and close(morpho.diameter, [20e-6])
        assert morpho.total_sections == 6 and morpho.total_compartments == 10
        dend = morpho.dend
        assert dend is morpho.L and dend.type == "dend" and dend.n == 3
        assert close(dend.length, [15e-6, 10e-6, 10e-6])  # from the soma's centre
        assert close(dend.start_diameter[0], 2e-6)  # not the soma's diameter
        assert close(dend.end_x, [15e-6, 25e-6, 35e-6])
        assert morpho.LL is dend.dend and morpho.LR is dend.dend2
        assert morpho.LL.n == 2 and morpho.LR.n == 1
        assert close(morpho.LL.length, [np.sqrt(200) * 1e-6] * 2)
        assert close(morpho.LL.start_diameter, [2e-6, 1e-6])  # continues the parent
        assert morpho.axon is morpho.R and morpho.axon.type == "axon"
        assert morpho.R.L.type is None and morpho.R.L.n == 1  # type 5: a new section
        assert morpho.LL.indices[:].tolist() == [4, 5]
        assert morpho.R.L.indices[0] == 9
    with pytest.raises(NotImplementedError, match="SWC"):
        Morphology.from_file(tmp_path / "cell.asc")


def test_swc_errors(tmp_path):
    bad = tmp_path / "bad.swc"
    bad.write_text("1 1 0 0 0 10 -1\n2 3 15 0 0 1\n")
    with pytest.raises(ValueError, match="line 2"):
        Morphology.from_swc_file(bad)
    bad.write_text("1 1 0 0 0 10 -1\n2 3 x 0 0 1 1\n")
    with pytest.raises(ValueError, match="line 2"):
        Morphology.from_swc_file(bad)
    bad.write_text("# nothing\n")
    with pytest.raises(ValueError, match="no points"):
        Morphology.from_swc_file(bad)


def test_three_point_soma():
    points = [(1, "soma", 0, 0, 0, 30, -1), (2, "soma", 0, 15, 0, 30, 1),
              (3, "soma", 0, -15, 0, 30, 1), (4, "dend", 20, 0, 0, 2, 1),
              (5, "dend", 30, 0, 0, 2, 4)]
    morpho = Morphology.from_points(points)
    assert isinstance(morpho, Soma) and morpho.total_sections == 2
    assert morpho.dend.n == 2 and morpho.L is morpho.dend
    wrong = [list(p) for p in points]
    wrong[1][5] = 20
    with pytest.raises(ValueError, match="diameters"):
        Morphology.from_points(wrong)
    wrong = [list(p) for p in points]
    wrong[2][3] = -10
    with pytest.raises(ValueError, match="radius"):
        Morphology.from_points(wrong)


def test_from_points_without_spherical_soma():
    points = [(1, "soma", 0, 0, 0, 10, -1), (2, "soma", 0, 10, 0, 10, 1),
              (3, "dend", 0, 20, 0, 2, 2)]
    morpho = Morphology.from_points(points, spherical_soma=False)
    assert type(morpho) is Section and morpho.type == "soma" and morpho.n == 1
    assert morpho.dend.n == 1 and close(morpho.dend.start_diameter, [2e-6])


def test_from_points_tapering_to_a_point():
    """A tip of zero diameter (as in Brian 2's tests) is a cone ending in a point."""
    points = [(1, None, 0, 0, 0, 10, -1), (2, None, 10, 0, 0, 10, 1),
              (3, None, 20, 0, 0, 5, 2), (4, None, 30, 0, 0, 0, 3)]
    cable = Morphology.from_points(points)
    assert cable.n == 3 and close(cable.end_diameter, [10e-6, 5e-6, 0])
    assert close(cable.area[2], np.pi / 2 * 5e-6 * np.sqrt(2.5e-6 ** 2 + 10e-6 ** 2))
    assert close(cable.r_length_2[2], 0)


def test_from_points_long_chain():
    points = [(1, "soma", 0, 0, 0, 10, -1)]
    points += [(i, "dend", 5.0 * i, 0, 0, 1, i - 1) for i in range(2, 3002)]
    morpho = Morphology.from_points(points)
    assert morpho.total_sections == 2 and morpho.dend.n == 3000


@pytest.mark.parametrize("points, words", [
    ([(1, "soma", 0, 0, 0, 10)], "7 values"),
    ([(1, "soma", 0, 0, 0, 10, -1), (1, "dend", 1, 0, 0, 1, 1)], "Two compartments"),
    ([(1, "soma", 0, 0, 0, 10, -1), (2, "dend", 1, 0, 0, 1, 2)], "itself"),
    ([(1, "soma", 0, 0, 0, 10, -1), (2, "dend", 1, 0, 0, 1, 3)], "Did not find"),
    ([(1, "soma", 0, 0, 0, 10, -1), (2, "dend", 1, 0, 0, 1, -1)], "Did not find"),
    ([(1, "soma", 0, 0, 0, 10, -1), (2, "dend", 1, 0, 0, -1, 1)], "Point 2"),
    ([(1, "soma", 0, 0, 0, 10, -1), (2, "dend", 0, 0, 0, 1, 1)], "zero length"),
    ([(1, "soma", 0, 0, 0, 10, -1), (2, "dend", "a", 0, 0, 1, 1)], "numbers"),
    ([(1, "dend", 0, 0, 0, 10, -1)], "two points"),
    ([], "No points"),
])
def test_from_points_errors(points, words):
    with pytest.raises(ValueError, match=words):
        Morphology.from_points(points)


def test_sim_namespace_exports():
    import sim

    assert sim.Soma is Soma and sim.Cylinder is Cylinder and sim.Section is Section
    assert sim.Morphology is Morphology
    namespace: dict = {}
    exec("from sim import *", namespace)
    assert namespace["Cylinder"] is Cylinder


# --- property: the flat numbering of random trees ---------------------------------------
@st.composite
def random_trees(draw):
    n_sections = draw(st.integers(1, 12))
    root = Soma(diameter=20 * um) if draw(st.booleans()) else Cylinder(
        n=draw(st.integers(1, 4)), diameter=2 * um, length=20 * um)
    sections = [root]
    for k in range(1, n_sections):
        parent = sections[draw(st.integers(0, k - 1))]
        child = Cylinder(n=draw(st.integers(1, 5)), diameter=1 * um, length=10 * um)
        parent.children.add(f"s{k}", child)
        sections.append(child)
    return root, sections


@settings(max_examples=60, deadline=None)
@given(random_trees())
def test_flat_numbering_property(tree):
    root, sections = tree
    flat = FlatMorphology(root)
    seen = np.concatenate([np.atleast_1d(s.indices[:]) for s in sections])
    assert sorted(seen.tolist()) == list(range(root.total_compartments)) == list(range(flat.n))
    order = list(root.sections())
    for k, section in enumerate(order):
        idx = np.atleast_1d(section.indices[:])
        assert idx.tolist() == list(range(flat.starts[k], flat.ends[k]))
        if section.parent is not None:  # parents come before their children
            assert np.atleast_1d(section.parent.indices[:]).max() < idx.min()
            assert flat.parent[k] == order.index(section.parent)
        # a subtree's compartments are contiguous (as SpatialNeuron's subgroups need)
        sub = np.concatenate([np.atleast_1d(s.indices[:]) for s in section.sections()])
        assert sub.tolist() == list(range(idx.min(), idx.min() + section.total_compartments))

"""Tests of sim.units: dimensions, quantities, units, numpy integration, check_units."""

import copy
import pickle

import numpy as np
import pytest

import sim.units as units_module
from sim.units import *

VOLT_DIM = get_or_create_dimension(m=2, kg=1, s=-3, A=-1)


# ---------------------------------------------------------------------------
# Dimension
# ---------------------------------------------------------------------------


def test_dimension_is_cached_and_hashable():
    assert volt.dim is VOLT_DIM
    assert get_or_create_dimension([2, 1, -3, -1, 0, 0, 0]) is VOLT_DIM
    assert get_or_create_dimension(length=2, mass=1, time=-3, current=-1) is VOLT_DIM
    assert get_or_create_dimension(2, 1, -3, -1, 0, 0, 0) is VOLT_DIM
    assert {VOLT_DIM: 1}[volt.dim] == 1
    assert VOLT_DIM._dims == (2.0, 1.0, -3.0, -1.0, 0.0, 0.0, 0.0)
    assert all(isinstance(x, float) for x in VOLT_DIM._dims)


def test_dimension_arithmetic():
    assert VOLT_DIM * amp.dim is watt.dim
    assert VOLT_DIM / amp.dim is ohm.dim
    assert (VOLT_DIM**2) ** 0.5 is VOLT_DIM
    assert (VOLT_DIM ** (1 / 3)) * (VOLT_DIM ** (2 / 3)) is VOLT_DIM
    assert (second.dim**-1) is hertz.dim
    assert (VOLT_DIM / VOLT_DIM).is_dimensionless
    assert not VOLT_DIM.is_dimensionless
    assert DIMENSIONLESS.is_dimensionless


def test_dimension_is_immutable():
    with pytest.raises(AttributeError):
        VOLT_DIM._dims = (0,) * 7


def test_dimension_str_and_repr():
    assert str(VOLT_DIM) == "m^2 kg s^-3 A^-1"
    assert str(DIMENSIONLESS) == "1"
    assert str(metre.dim / second.dim) == "m s^-1"
    assert str(VOLT_DIM**0.5) == "m kg^0.5 s^-1.5 A^-0.5"
    assert str(molar.dim) == "m^-3 mol"
    assert repr(VOLT_DIM) == "metre ** 2 * kilogram * second ** -3 * amp ** -1"


def test_get_or_create_dimension_rejects_bad_input():
    with pytest.raises(TypeError):
        get_or_create_dimension(foo=1)
    with pytest.raises(TypeError):
        get_or_create_dimension([1, 2, 3])


# ---------------------------------------------------------------------------
# Arithmetic and dimension propagation
# ---------------------------------------------------------------------------


def test_values_are_stored_in_si_units():
    assert float(np.asarray(3 * mV)) == 0.003
    assert np.asarray(1 * mV) == np.asarray(0.001 * volt)
    assert float(1 * mV) == float(0.001 * volt)
    assert float(kHz) == 1000.0
    assert float(cm2) == 1e-4
    assert float(um3) == 1e-18
    assert float(mM) == 1.0  # 1 mmol/l = 1 mol/m^3
    assert float(gram) == 1e-3
    assert float(liter) == 1e-3
    assert type(np.asarray(3 * mV)) is np.ndarray


def test_multiplication_and_division_combine_dimensions():
    assert (3 * mV * 2 * nA).dim is watt.dim
    assert (3 * mV / (2 * nA)).dim is ohm.dim
    assert (1 / ms).dim is hertz.dim
    assert (6 * mV / (2 * ms)).dim is VOLT_DIM / second.dim
    np.testing.assert_allclose(np.asarray(6 * mV / (2 * ms)), 3.0)  # V/s
    assert ((1 * nA) * (1 * Mohm)).dim is VOLT_DIM


def test_dimensionless_results_are_plain():
    ratio = (6 * mV) / (2 * mV)
    assert not isinstance(ratio, Quantity)
    assert ratio == 3.0
    arr = np.array([1.0, 2.0]) * mV / mV
    assert type(arr) is np.ndarray
    np.testing.assert_array_equal(arr, [1.0, 2.0])


def test_addition_requires_same_dimensions():
    total = 3 * mV + 2 * mV
    assert total.dim is VOLT_DIM
    assert float(total) == pytest.approx(0.005)
    with pytest.raises(DimensionMismatchError) as info:
        3 * mV + 2 * nA
    message = str(info.value)
    assert "+" in message
    assert "(m^2 kg s^-3 A^-1)" in message
    assert "(A)" in message
    assert info.value.dims == (VOLT_DIM, amp.dim)
    with pytest.raises(DimensionMismatchError, match="-"):
        3 * mV - 1
    with pytest.raises(DimensionMismatchError):
        3 * mV + 1


def test_zero_is_neutral():
    assert (3 * mV + 0).dim is VOLT_DIM
    assert bool(0 * mV == 0)
    assert bool(3 * mV > 0)
    assert bool(3 * mV < np.inf)
    assert sum([1 * mV, 2 * mV]).dim is VOLT_DIM  # builtin sum starts from 0


def test_comparisons_return_plain_booleans_and_check_dimensions():
    result = np.array([1.0, 2.0, 3.0]) * mV > 1.5 * mV
    assert type(result) is np.ndarray
    assert result.dtype == bool
    np.testing.assert_array_equal(result, [False, True, True])
    assert bool(1 * mV == 0.001 * volt)
    with pytest.raises(DimensionMismatchError, match="<"):
        _ = 1 * mV < 1 * nA
    with pytest.raises(DimensionMismatchError):
        _ = 1 * mV == 1
    assert (1 * mV == None) is False  # noqa: E711
    assert (1 * mV != "a") is True


def test_power_rules():
    assert ((3 * mV) ** 2).dim is VOLT_DIM**2
    assert (mV**2).dim is VOLT_DIM**2
    assert (np.array([1.0, 2.0]) * mV) ** np.array([2, 2]) is not None
    assert np.power(np.array([1.0, 2.0]) * mV, [2, 2]).dim is VOLT_DIM**2
    with pytest.raises(TypeError):
        np.power(np.array([1.0, 2.0]) * mV, [2, 3])
    with pytest.raises(DimensionMismatchError):
        2 ** (3 * mV)
    assert (3 * mV) ** (2 * mV / mV) == (3 * mV) ** 2


def test_unary_ufuncs():
    assert np.sqrt(4 * metre2).dim is metre.dim
    assert float(np.sqrt(4 * metre2)) == 2.0
    assert np.square(2 * mV).dim is VOLT_DIM**2
    assert np.reciprocal(2 * ms).dim is hertz.dim
    assert np.abs(-3 * mV).dim is VOLT_DIM
    assert (-(3 * mV)).dim is VOLT_DIM
    assert np.floor(3.5 * volt).dim is VOLT_DIM
    assert float(np.floor(3.5 * volt)) == 3.0
    assert np.ceil(2.5 * mV).dim is VOLT_DIM
    sign = np.sign(-3 * mV)
    assert not isinstance(sign, Quantity) and sign == -1
    assert type(np.isnan(np.array([1.0]) * mV)) is np.ndarray


def test_functions_needing_dimensionless_arguments():
    for func in (np.exp, np.log, np.log10, np.sin, np.cos, np.tanh, np.expm1, np.log1p):
        with pytest.raises(DimensionMismatchError, match=func.__name__):
            func(3 * mV)
    assert np.exp(3 * mV / mV) == pytest.approx(np.exp(3.0))
    assert np.sin(np.pi / 2 * radian) == pytest.approx(1.0)


def test_same_dimension_ufuncs():
    assert np.maximum(3 * mV, 2 * mV).dim is VOLT_DIM
    assert np.fmod(3 * mV, 2 * mV).dim is VOLT_DIM
    assert float(np.hypot(3 * mV, 4 * mV)) == pytest.approx(0.005)
    assert ((3 * mV) % (2 * mV)).dim is VOLT_DIM
    for func in (np.maximum, np.minimum, np.fmod, np.remainder, np.hypot):
        with pytest.raises(DimensionMismatchError):
            func(3 * mV, 2 * nA)


def test_in_place_operations():
    v = np.arange(3.0) * mV
    v += 1 * mV
    v *= 2
    assert v.dim is VOLT_DIM
    np.testing.assert_allclose(np.asarray(v), [0.002, 0.004, 0.006])
    with pytest.raises(DimensionMismatchError):
        v += 1 * nA
    with pytest.raises(DimensionMismatchError):
        v *= mV  # would change the dimension of the array in place


def test_float_and_int_give_si_values():
    # as in Brian 2: conversion to a Python number gives the value in SI units
    assert float(3 * mV) == 0.003
    assert int(2.7 * volt) == 2
    assert float(Quantity(2.5)) == 2.5
    assert float(6 * mV / (2 * mV)) == 3.0


# ---------------------------------------------------------------------------
# Units, prefixes and names
# ---------------------------------------------------------------------------


def test_prefixed_units():
    assert (1 * mV == 0.001 * volt).all()
    assert np.asarray(1 * mV).item() == np.asarray(0.001 * volt).item()
    assert float(nS) == 1e-9
    assert float(Mohm) == 1e6
    assert float(kohm) == 1e3
    assert float(Gohm) == 1e9
    assert float(pfarad) == 1e-12
    assert float(ufarad) == 1e-6
    assert float(msecond) == 1e-3
    assert float(us) == 1e-6
    assert float(MHz) == 1e6
    assert float(GHz) == 1e9
    assert float(cmetre) == 0.01
    assert float(kgram) == 1.0
    assert ms is msecond and mV is mvolt and Hz is hertz and um2 is umetre2


def test_unit_attributes():
    assert mV.name == "mvolt"
    assert mV.dispname == "mV"
    assert str(mV) == "mV"
    assert repr(mV) == "mvolt"
    assert mV.scale == -3
    assert cm2.scale == -4
    assert kilogram.scale == 0
    assert metre2.name == "metre2" and str(metre2) == "m^2"
    assert str(um2) == "um^2"
    assert Mohm.name == "Mohm"
    assert isinstance(mV, Unit) and isinstance(mV, Quantity)


def test_compound_units():
    rate = mV / ms
    assert isinstance(rate, Unit)
    assert str(rate) == "mV/ms"
    assert repr(rate) == "mvolt / msecond"
    assert str(mV / (ms * nA)) == "mV/(ms nA)"
    assert str(cm**2) == "cm^2"
    assert bool(cm**2 == cm2)
    assert str(1 / ms) == "ms^-1"
    product = 3 * mV
    assert type(product) is Quantity
    assert (5 * (mV / ms)).dim is VOLT_DIM / second.dim


def test_star_import_exports_units_not_single_letters():
    exported = set(units_module.__all__)
    for name in [
        "metre", "meter", "kilogram", "gram", "gramme", "second", "amp", "ampere", "kelvin",
        "mole", "mol", "candela", "radian", "steradian", "hertz", "newton", "pascal", "joule",
        "watt", "coulomb", "volt", "farad", "ohm", "siemens", "weber", "tesla", "henry",
        "lumen", "lux", "becquerel", "gray", "sievert", "katal", "liter", "litre", "molar",
        "mvolt", "nsiemens", "kohm", "Mohm", "Gohm", "pfarad", "msecond", "ms", "us", "ns",
        "ps", "mV", "uV", "nV", "nA", "pA", "uA", "mA", "nS", "uS", "mS", "pF", "nF", "uF",
        "Hz", "kHz", "MHz", "GHz", "cm", "mm", "um", "nm", "km", "metre2", "metre3",
        "cmetre2", "um2", "cm2", "mm2", "um3", "cm3", "mm3", "meter2", "mM", "uM", "nM",
        "mmolar", "umolar", "nmolar", "pmolar", "Quantity", "Unit", "Dimension",
        "DIMENSIONLESS", "check_units", "DimensionMismatchError", "get_dimensions",
        "have_same_dimensions", "fail_for_dimension_mismatch", "get_unit", "in_unit",
        "get_or_create_dimension", "is_dimensionless",
    ]:  # fmt: skip
        assert name in exported, name
        assert hasattr(units_module, name), name
    for name in ["m", "s", "A", "K", "M", "g", "V"]:
        assert name not in exported
    assert not any(name.startswith("_") for name in exported)


# ---------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------


def test_str_of_scalars():
    assert str(-60 * mV) == "-60. mV"
    assert str(3 * nA) == "3. nA"
    assert str(1.5 * ms) == "1.5 ms"
    assert str(10 * kHz) == "10. kHz"
    assert str(0.5 * second) == "0.5 s"
    assert str(0.0005 * second) == "0.5 ms"
    assert str(3 * mV * nA) == "3. pW"
    assert str(2 * kilogram) == "2. kg"
    assert str(5e-3 * molar) == "5. mM"
    assert str(7e6 * ohm) == "7. Mohm"
    assert str(Quantity(3)) == "3."
    assert f"{-60 * mV}" == "-60. mV"


def test_str_and_repr_of_arrays():
    values = np.array([1.0, 2.0, 3.0]) * mV
    assert str(values) == "[1. 2. 3.] mV"
    assert repr(values) == "array([1., 2., 3.]) * mvolt"
    assert repr(-60 * mV) == "-60. * mvolt"
    assert repr(Quantity([1, 2])) == "Quantity(array([1., 2.]))"
    assert str(np.var(np.array([1.0, 2.0]) * mV)) == "0.25 mV^2"


def test_unnamed_dimensions_print_in_base_units():
    assert str(3 * mV / ms) == "3. m^2 kg s^-4 A^-1"
    assert str(get_unit(VOLT_DIM * metre.dim)) == "m^3 kg s^-3 A^-1"


def test_in_unit():
    assert (3 * mV).in_unit(uV) == "3000. uV"
    assert in_unit(3 * volt, mV) == "3000. mV"
    assert (25.123456 * mV).in_unit(mV, 3) == "25.123 mV"
    assert (123123 * msecond).in_unit(second, 2) == "123.12 s"
    assert (3 * mV).in_best_unit() == "3. mV"
    with pytest.raises(DimensionMismatchError):
        (3 * mV).in_unit(nA)


# ---------------------------------------------------------------------------
# Quantity construction, indexing, assignment
# ---------------------------------------------------------------------------


def test_quantity_construction():
    q = Quantity([1, 2], dim=VOLT_DIM)
    assert q.dim is VOLT_DIM and q.dimensions is VOLT_DIM
    assert q.dtype == np.float64
    assert Quantity.with_dimensions(3, VOLT_DIM).dim is VOLT_DIM
    assert Quantity.with_dimensions(3, length=1).dim is metre.dim
    assert Quantity([1 * mV, 2 * mV]).dim is VOLT_DIM
    with pytest.raises(DimensionMismatchError):
        Quantity([1 * mV, 2 * nA])
    with pytest.raises(DimensionMismatchError):
        Quantity(3 * mV, dim=amp.dim)
    assert Quantity(np.array([1.0, 2.0]), dtype=np.float32).dtype == np.float32
    assert Quantity(3 * mV).dim is VOLT_DIM
    base = np.array([1.0, 2.0])
    assert np.shares_memory(Quantity(base), base)
    assert not np.shares_memory(Quantity(base, copy=True), base)


def test_indexing_keeps_dimensions():
    q = np.arange(5.0) * mV
    assert q[2].dim is VOLT_DIM and isinstance(q[2], Quantity)
    assert float(q[2]) == 0.002
    assert q[1:3].dim is VOLT_DIM
    assert q[[0, 1]].dim is VOLT_DIM
    assert q[q > 1 * mV].shape == (3,)
    assert [x.dim for x in q] == [VOLT_DIM] * 5
    assert q.reshape(5, 1).dim is VOLT_DIM
    assert q.copy().dim is VOLT_DIM
    assert (3 * mV).item().dim is VOLT_DIM


def test_setitem_checks_dimensions():
    G = np.zeros(5) * volt
    G[:3] = 3 * mV
    np.testing.assert_allclose(np.asarray(G), [0.003, 0.003, 0.003, 0, 0])
    with pytest.raises(DimensionMismatchError):
        G[:3] = 3 * nA
    with pytest.raises(DimensionMismatchError):
        G[0] = 3  # a plain non-zero number into a voltage
    G[:] = 0  # zero fits any dimension
    assert np.all(np.asarray(G) == 0)
    G[[0, 1]] = [1 * mV, 2 * mV]
    assert float(G[1]) == 0.002
    D = Quantity(np.zeros(2))
    D[0] = 5
    assert float(D[0]) == 5


def test_methods_keep_or_combine_dimensions():
    q = np.array([1.0, 2.0, 3.0]) * mV
    for method in ("sum", "mean", "std", "min", "max", "cumsum"):
        assert getattr(q, method)().dim is VOLT_DIM, method
    assert q.var().dim is VOLT_DIM**2
    assert q.prod().dim is VOLT_DIM**3
    assert float(q.prod()) == pytest.approx(6e-9)
    assert float(q.mean()) == pytest.approx(0.002)
    assert (np.ones((2, 3)) * mV).prod(axis=1).dim is VOLT_DIM**3
    assert (np.ones((2, 3)) * mV).mean(axis=0).shape == (3,)
    assert q.has_same_dimensions(volt)
    assert not q.is_dimensionless


# ---------------------------------------------------------------------------
# numpy functions
# ---------------------------------------------------------------------------


def test_numpy_reductions_keep_dimensions():
    q = np.array([1.0, 2.0, 4.0]) * mV
    keep = (np.mean, np.sum, np.std, np.min, np.max, np.median, np.cumsum, np.diff, np.sort,
            np.round, np.atleast_1d, np.unique, np.ones_like, np.zeros_like)  # fmt: skip
    for func in keep:
        assert func(q).dim is VOLT_DIM, func.__name__
    assert float(np.mean(q)) == pytest.approx(7e-3 / 3)
    assert np.var(q).dim is VOLT_DIM**2
    assert float(np.var(q)) == pytest.approx(np.var([1e-3, 2e-3, 4e-3]))
    np.testing.assert_allclose(np.asarray(np.diff(q)), [1e-3, 2e-3])


def test_numpy_joining_checks_dimensions():
    a = np.array([1.0]) * mV
    b = np.array([2.0]) * mV
    for func in (np.concatenate, np.hstack, np.vstack, np.stack):
        assert func([a, b]).dim is VOLT_DIM
    with pytest.raises(DimensionMismatchError, match="concatenate"):
        np.concatenate([a, np.array([2.0]) * nA])


def test_numpy_where_clip_linspace():
    x = np.array([1.0, 5.0]) * mV
    result = np.where([True, False], x, np.array([3.0, 4.0]) * mV)
    assert result.dim is VOLT_DIM
    np.testing.assert_allclose(np.asarray(result), [0.001, 0.004])
    with pytest.raises(DimensionMismatchError):
        np.where([True, False], x, np.array([3.0, 4.0]) * nA)
    clipped = np.clip(x, 2 * mV, 3 * mV)
    assert clipped.dim is VOLT_DIM
    np.testing.assert_allclose(np.asarray(clipped), [0.002, 0.003])
    with pytest.raises(DimensionMismatchError):
        np.clip(x, 2, 3)
    with pytest.raises(DimensionMismatchError):
        x.clip(2 * nA, 3 * nA)
    space = np.linspace(0 * mV, 1 * mV, 3)
    assert space.dim is VOLT_DIM
    np.testing.assert_allclose(np.asarray(space), [0, 0.0005, 0.001])


def test_numpy_products_and_closeness():
    assert np.dot(np.array([1.0, 2.0]) * mV, np.array([1.0, 2.0]) * nA).dim is watt.dim
    assert bool(np.allclose(np.array([1.0, 2.0]) * mV, np.array([1.0, 2.0]) * mV))
    assert bool(np.isclose(3 * mV, 3 * mV))
    with pytest.raises(DimensionMismatchError):
        np.allclose(3 * mV, 3 * nA)
    with pytest.raises(DimensionMismatchError):
        np.isclose(3 * mV, 3)


def test_unsupported_numpy_function_refuses_dimensions():
    with pytest.raises(TypeError, match="polyfit"):
        np.polyfit(np.array([1.0, 2.0]) * ms, np.array([1.0, 2.0]) * mV, 1)
    # fine on dimensionless quantities
    fit = np.polyfit(Quantity([1.0, 2.0, 3.0]), Quantity([2.0, 4.0, 6.0]), 1)
    np.testing.assert_allclose(fit, [2.0, 0.0], atol=1e-12)


def test_plain_results_of_index_functions():
    q = np.array([3.0, 1.0, 2.0]) * mV
    assert type(np.argsort(q)) is np.ndarray
    assert np.argmax(q) == 0
    assert np.searchsorted(np.sort(q), 2 * mV) == 1


# ---------------------------------------------------------------------------
# Pickling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [3 * mV, np.arange(3.0) * nA, Quantity([1.0, 2.0]), -60 * mV / ms],
)
def test_pickle_quantities(value):
    restored = pickle.loads(pickle.dumps(value))
    assert type(restored) is type(value)
    assert restored.dim is value.dim
    np.testing.assert_array_equal(np.asarray(restored), np.asarray(value))


def test_pickle_units_and_dimensions():
    assert pickle.loads(pickle.dumps(mV)) is mV
    assert pickle.loads(pickle.dumps(VOLT_DIM)) is VOLT_DIM
    assert pickle.loads(pickle.dumps(DIMENSIONLESS)) is DIMENSIONLESS
    compound = pickle.loads(pickle.dumps(mV / ms))
    assert isinstance(compound, Unit) and str(compound) == "mV/ms"
    assert compound.dim is (mV / ms).dim
    error = pickle.loads(pickle.dumps(DimensionMismatchError("oops", VOLT_DIM, amp.dim)))
    assert error.dims == (VOLT_DIM, amp.dim) and error.desc == "oops"
    assert copy.deepcopy(mV).name == "mvolt"


# ---------------------------------------------------------------------------
# Helper functions
# ---------------------------------------------------------------------------


def test_get_dimensions_and_friends():
    assert get_dimensions(3 * mV) is VOLT_DIM
    assert get_dimensions(3) is DIMENSIONLESS
    assert get_dimensions(True) is DIMENSIONLESS
    assert get_dimensions(np.ones(3)) is DIMENSIONLESS
    assert get_dimensions([1 * mV, 2 * mV]) is VOLT_DIM

    class WithDim:
        dim = VOLT_DIM

    assert get_dimensions(WithDim()) is VOLT_DIM
    with pytest.raises(TypeError):
        get_dimensions("abc")
    assert have_same_dimensions(3 * mV, volt)
    assert have_same_dimensions(3, 4.0)
    assert not have_same_dimensions(3 * mV, 3 * nA)
    assert is_dimensionless(3 * mV / mV)
    assert not is_dimensionless(3 * mV)
    assert get_unit(VOLT_DIM) is volt
    assert get_unit(hertz.dim) is hertz
    assert get_unit(VOLT_DIM * amp.dim) is watt


def test_fail_for_dimension_mismatch():
    assert fail_for_dimension_mismatch(3 * mV, 1 * volt) == (VOLT_DIM, VOLT_DIM)
    with pytest.raises(DimensionMismatchError) as info:
        fail_for_dimension_mismatch(3 * mV, 3 * nA, "Adding {a} and {b}", a=3 * mV, b=3 * nA)
    assert str(info.value) == ("Adding 3. mV and 3. nA, dimensions were (m^2 kg s^-3 A^-1) (A)")
    with pytest.raises(DimensionMismatchError, match="exp argument"):
        fail_for_dimension_mismatch(3 * mV, error_message="exp argument")
    fail_for_dimension_mismatch(3 * mV, 0)  # zero fits any dimension


def test_dimension_mismatch_error_message():
    error = DimensionMismatchError("Something failed", VOLT_DIM, amp.dim)
    assert str(error) == "Something failed, dimensions were (m^2 kg s^-3 A^-1) (A)"
    assert error.desc == "Something failed"
    assert isinstance(error, Exception)


# ---------------------------------------------------------------------------
# check_units
# ---------------------------------------------------------------------------


@check_units(v=volt, I=amp, result=volt)
def _membrane(v, I, R=1 * ohm):
    return v + I * R


@check_units(x=1, flag=bool)
def _flagged(x, flag=False):
    return x


@check_units(a=None, b="a")
def _same(a, b):
    return a + b


@check_units(v=volt, result=amp)
def _wrong_result(v):
    return v


def test_check_units_accepts():
    assert _membrane(1 * mV, 2 * nA).dim is VOLT_DIM
    assert _membrane(v=1 * mV, I=np.array([1.0, 2.0]) * nA).shape == (2,)
    assert _flagged(3) == 3
    assert _flagged(np.ones(2), True).shape == (2,)
    assert _same(1 * nA, 2 * nA).dim is amp.dim
    assert _membrane.__name__ == "_membrane"
    assert _membrane._arg_names == ["v", "I", "R"]


def test_check_units_rejects():
    with pytest.raises(DimensionMismatchError) as info:
        _membrane(1 * mV, 2 * mV)
    message = str(info.value)
    assert "_membrane" in message and "'I'" in message
    assert "(m^2 kg s^-3 A^-1) (A)" in message
    with pytest.raises(DimensionMismatchError, match="'v'"):
        _membrane(1, 2 * nA)
    with pytest.raises(DimensionMismatchError, match="'x'"):
        _flagged(3 * mV)
    with pytest.raises(TypeError, match="flag"):
        _flagged(3, 1)
    with pytest.raises(DimensionMismatchError, match="'b'"):
        _same(1 * nA, 2 * mV)
    with pytest.raises(DimensionMismatchError, match="result"):
        _wrong_result(3 * mV)


def test_check_units_rejects_bad_specification():
    with pytest.raises(TypeError):
        check_units(x=2)

"""Every named unit: SI base and derived units, their prefixes, squares and cubes.

Names follow Brian 2:

* base and derived units: ``metre``/``meter``, ``kilogram``, ``gram``/``gramme``,
  ``second``, ``amp``/``ampere``, ``kelvin``, ``mole``/``mol``, ``candela``,
  ``molar``, ``liter``/``litre``, ``radian``, ``steradian``, ``hertz``,
  ``newton``, ``pascal``, ``joule``, ``watt``, ``coulomb``, ``volt``, ``farad``,
  ``ohm``, ``siemens``, ``weber``, ``tesla``, ``henry``, ``lumen``, ``lux``,
  ``becquerel``, ``gray``, ``sievert``, ``katal``;
* every SI prefix (y z a f p n u m c d da h k M G T P E Z Y) in front of each
  of them except ``kilogram``: ``mvolt``, ``nsiemens``, ``kohm``, ``Mohm``,
  ``pfarad``, ``msecond``, ``kgram``, ``mmolar``, ...;
* squares and cubes of all of these: ``metre2``, ``cmetre3``, ``umetre2``, ...;
* short aliases (the same objects): ``ms us ns ps mV uV nV mA uA nA pA pF nF uF
  nS uS mS pS Hz kHz MHz GHz cm mm um nm km cm2 mm2 um2 cm3 mm3 um3 mM uM nM pM``.

Single letters (``m``, ``s``, ``A``, ``K``, ``M``, ``g``, ``V``, ...) are not
defined: they would shadow ordinary variable names after a star import.

Unit values are exact powers of ten (correctly rounded), so ``1 * mV`` and
``0.001 * volt`` hold the same float.
"""

from __future__ import annotations

from .dimensions import DIMENSIONLESS, Dimension, get_or_create_dimension
from .quantity import Unit, _register_standard

#: SI prefixes and their powers of ten.
PREFIXES: dict[str, int] = {
    "y": -24,
    "z": -21,
    "a": -18,
    "f": -15,
    "p": -12,
    "n": -9,
    "u": -6,
    "m": -3,
    "c": -2,
    "d": -1,
    "da": 1,
    "h": 2,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
    "Z": 21,
    "Y": 24,
}
#: Prefixes used when choosing a unit to display a value (powers of 1000).
_DISPLAY_PREFIXES = [p for p, e in PREFIXES.items() if e % 3 == 0]


def _dim(**exponents: float) -> Dimension:
    return get_or_create_dimension(**exponents)


# name, display name, dimension, power of ten of the value in SI units,
# prefixable, display family, coherent SI unit of its dimension
_BASE: list[tuple[str, str, Dimension, int, bool, bool, bool]] = [
    ("metre", "m", _dim(m=1), 0, True, True, True),
    ("meter", "m", _dim(m=1), 0, True, False, False),
    ("kilogram", "kg", _dim(kg=1), 0, False, True, True),
    ("kilogramme", "kg", _dim(kg=1), 0, False, False, False),
    ("gram", "g", _dim(kg=1), -3, True, True, False),
    ("gramme", "g", _dim(kg=1), -3, True, False, False),
    ("second", "s", _dim(s=1), 0, True, True, True),
    ("amp", "A", _dim(A=1), 0, True, True, True),
    ("ampere", "A", _dim(A=1), 0, True, False, False),
    ("kelvin", "K", _dim(K=1), 0, True, True, True),
    ("mole", "mol", _dim(mol=1), 0, True, True, True),
    ("mol", "mol", _dim(mol=1), 0, True, False, False),
    ("candela", "cd", _dim(cd=1), 0, True, True, True),
    ("candle", "cd", _dim(cd=1), 0, True, False, False),
    ("molar", "M", _dim(mol=1, m=-3), 3, True, True, False),
    ("liter", "l", _dim(m=3), -3, True, False, False),
    ("litre", "l", _dim(m=3), -3, True, False, False),
    ("radian", "rad", DIMENSIONLESS, 0, True, False, False),
    ("steradian", "sr", DIMENSIONLESS, 0, True, False, False),
    ("hertz", "Hz", _dim(s=-1), 0, True, True, True),
    ("newton", "N", _dim(kg=1, m=1, s=-2), 0, True, True, True),
    ("pascal", "Pa", _dim(kg=1, m=-1, s=-2), 0, True, True, True),
    ("joule", "J", _dim(kg=1, m=2, s=-2), 0, True, True, True),
    ("watt", "W", _dim(kg=1, m=2, s=-3), 0, True, True, True),
    ("coulomb", "C", _dim(A=1, s=1), 0, True, True, True),
    ("volt", "V", _dim(kg=1, m=2, s=-3, A=-1), 0, True, True, True),
    ("farad", "F", _dim(kg=-1, m=-2, s=4, A=2), 0, True, True, True),
    ("ohm", "ohm", _dim(kg=1, m=2, s=-3, A=-2), 0, True, True, True),
    ("siemens", "S", _dim(kg=-1, m=-2, s=3, A=2), 0, True, True, True),
    ("weber", "Wb", _dim(kg=1, m=2, s=-2, A=-1), 0, True, True, True),
    ("tesla", "T", _dim(kg=1, s=-2, A=-1), 0, True, True, True),
    ("henry", "H", _dim(kg=1, m=2, s=-2, A=-2), 0, True, True, True),
    ("lumen", "lm", _dim(cd=1), 0, True, False, False),
    ("lux", "lx", _dim(cd=1, m=-2), 0, True, True, True),
    ("becquerel", "Bq", _dim(s=-1), 0, True, False, False),
    ("gray", "Gy", _dim(m=2, s=-2), 0, True, False, False),
    ("sievert", "Sv", _dim(m=2, s=-2), 0, True, False, False),
    ("katal", "kat", _dim(mol=1, s=-1), 0, True, True, True),
]

_ALIASES = {
    "ms": "msecond",
    "us": "usecond",
    "ns": "nsecond",
    "ps": "psecond",
    "mV": "mvolt",
    "uV": "uvolt",
    "nV": "nvolt",
    "mA": "mamp",
    "uA": "uamp",
    "nA": "namp",
    "pA": "pamp",
    "pF": "pfarad",
    "nF": "nfarad",
    "uF": "ufarad",
    "nS": "nsiemens",
    "uS": "usiemens",
    "mS": "msiemens",
    "pS": "psiemens",
    "Hz": "hertz",
    "kHz": "khertz",
    "MHz": "Mhertz",
    "GHz": "Ghertz",
    "cm": "cmetre",
    "mm": "mmetre",
    "um": "umetre",
    "nm": "nmetre",
    "km": "kmetre",
    "cm2": "cmetre2",
    "mm2": "mmetre2",
    "um2": "umetre2",
    "cm3": "cmetre3",
    "mm3": "mmetre3",
    "um3": "umetre3",
    "mM": "mmolar",
    "uM": "umolar",
    "nM": "nmolar",
    "pM": "pmolar",
}


def _make(name: str, dispname: str, dim: Dimension, exponent: int) -> Unit:
    return Unit(float(f"1e{exponent}"), dim, name=name, dispname=dispname, scale=exponent)


def _build() -> dict[str, Unit]:
    units: dict[str, Unit] = {}

    def add(unit: Unit, display: bool, coherent: bool) -> None:
        if unit.name in units:
            raise RuntimeError(f"unit name {unit.name!r} defined twice")
        units[unit.name] = unit
        _register_standard(unit, display=display, coherent=coherent)

    # unprefixed units first, so that they win for display and get_unit
    for name, disp, dim, exp, _, display, coherent in _BASE:
        for power in (1, 2, 3):
            suffix = "" if power == 1 else str(power)
            dispname = disp if power == 1 else f"{disp}^{power}"
            unit = _make(name + suffix, dispname, dim**power, exp * power)
            add(unit, display, coherent and power == 1)
    for name, disp, dim, exp, prefixable, display, _ in _BASE:
        if not prefixable:
            continue
        for prefix, shift in PREFIXES.items():
            shown = display and prefix in _DISPLAY_PREFIXES
            for power in (1, 2, 3):
                suffix = "" if power == 1 else str(power)
                dispname = f"{prefix}{disp}" if power == 1 else f"{prefix}{disp}^{power}"
                unit = _make(prefix + name + suffix, dispname, dim**power, (exp + shift) * power)
                add(unit, shown, False)
    for alias, target in _ALIASES.items():
        if alias in units:
            raise RuntimeError(f"alias {alias!r} clashes with a unit name")
        units[alias] = units[target]
    return units


_UNITS = _build()
globals().update(_UNITS)

__all__ = list(_UNITS)

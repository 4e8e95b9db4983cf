"""Physical units and dimension checking.

``from sim.units import *`` gives the units (``mV``, ``ms``, ``nS``, ``Hz``,
``metre``, ...), `Quantity`, `Unit`, the `Dimension` helpers and
`check_units`. Quantities are numpy arrays whose values are stored in SI base
units and whose dimension is checked by arithmetic and numpy functions::

    v = -60 * mV
    str(v)         # '-60. mV'
    float(v)       # -0.06, the value in SI units (as in Brian 2)
    v + 3 * nA     # raises DimensionMismatchError
"""

from . import numpyfuncs as _numpyfuncs  # registers the numpy function handlers
from .allunits import *  # noqa: F403
from .allunits import __all__ as _unit_names
from .decorators import check_units
from .dimensions import (
    DIMENSIONLESS,
    Dimension,
    DimensionMismatchError,
    get_or_create_dimension,
)
from .plotting import install as _install_plotting
from .quantity import (
    Quantity,
    Unit,
    fail_for_dimension_mismatch,
    get_dimensions,
    get_unit,
    get_unit_for_display,
    have_same_dimensions,
    in_best_unit,
    in_unit,
    is_dimensionless,
    is_scalar_type,
    register_new_unit,
)

_install_plotting()  # quantities plot with matplotlib (registered when it is imported)
del _numpyfuncs, _install_plotting

__all__ = [
    "DIMENSIONLESS",
    "Dimension",
    "DimensionMismatchError",
    "Quantity",
    "Unit",
    "check_units",
    "fail_for_dimension_mismatch",
    "get_dimensions",
    "get_or_create_dimension",
    "get_unit",
    "get_unit_for_display",
    "have_same_dimensions",
    "in_best_unit",
    "in_unit",
    "is_dimensionless",
    "is_scalar_type",
    "register_new_unit",
    *_unit_names,
]

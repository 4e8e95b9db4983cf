r"""Physical constants as quantities, as Brian 2's ``brian2.units.constants``.

As in Brian 2 they are not part of ``from sim import *``; import them by name::

    from sim.units.constants import faraday_constant as F

The values are Brian 2's (CODATA 2014, from physics.nist.gov), so that a script gives the
same numbers on both simulators; they differ from the newer CODATA values of
``scipy.constants`` by less than 4 parts in 10**7.

==================== ================== ======================= ===========================
Constant             Symbol(s)          hearsim/Brian 2 name    Value
==================== ================== ======================= ===========================
Avogadro constant    :math:`N_A, L`     ``avogadro_constant``   6.022140857e23 / mol
Boltzmann constant   :math:`k`          ``boltzmann_constant``  1.38064852e-23 J / K
Electric constant    :math:`\epsilon_0` ``electric_constant``   8.854187817e-12 F / m
Electron mass        :math:`m_e`        ``electron_mass``       9.10938356e-31 kg
Elementary charge    :math:`e`          ``elementary_charge``   1.6021766208e-19 C
Faraday constant     :math:`F`          ``faraday_constant``    96485.33289 C / mol
Gas constant         :math:`R`          ``gas_constant``        8.3144598 J / (mol K)
Magnetic constant    :math:`\mu_0`      ``magnetic_constant``   4 pi 1e-7 N / A**2
Molar mass constant  :math:`M_u`        ``molar_mass_constant`` 1e-3 kg / mol
0 degree Celsius                        ``zero_celsius``        273.15 K
==================== ================== ======================= ===========================
"""

import numpy as np

from .allunits import amp, coulomb, farad, gram, joule, kelvin, kilogram, meter, mole, newton

__all__ = [
    "avogadro_constant",
    "boltzmann_constant",
    "electric_constant",
    "electron_mass",
    "elementary_charge",
    "faraday_constant",
    "gas_constant",
    "magnetic_constant",
    "molar_mass_constant",
    "zero_celsius",
]

#: Avogadro constant (http://physics.nist.gov/cgi-bin/cuu/Value?na)
avogadro_constant = 6.022140857e23 / mole
#: Boltzmann constant (physics.nist.gov/cgi-bin/cuu/Value?k)
boltzmann_constant = 1.38064852e-23 * joule / kelvin
#: electric constant (http://physics.nist.gov/cgi-bin/cuu/Value?ep0)
electric_constant = 8.854187817e-12 * farad / meter
#: electron rest mass (physics.nist.gov/cgi-bin/cuu/Value?me)
electron_mass = 9.10938356e-31 * kilogram
#: elementary charge (physics.nist.gov/cgi-bin/cuu/Value?e)
elementary_charge = 1.6021766208e-19 * coulomb
#: Faraday constant (http://physics.nist.gov/cgi-bin/cuu/Value?f)
faraday_constant = 96485.33289 * coulomb / mole
#: gas constant (http://physics.nist.gov/cgi-bin/cuu/Value?r)
gas_constant = 8.3144598 * joule / mole / kelvin
#: magnetic constant (http://physics.nist.gov/cgi-bin/cuu/Value?mu0)
magnetic_constant = 4 * np.pi * 1e-7 * newton / amp**2
#: molar mass constant (http://physics.nist.gov/cgi-bin/cuu/Value?mu)
molar_mass_constant = 1 * gram / mole
#: zero degree Celsius
zero_celsius = 273.15 * kelvin

"""brian2hears' module path ``brian2hears.filtering``: the same filterbanks as
:mod:`hears.filterbanks`, so that ``from brian2hears.filtering... import ...`` runs as
``from hears.filtering... import ...``."""

from hears.filterbanks import *  # noqa: F403
from hears.filterbanks import __all__ as _filterbank_names
from hears.group import FilterbankGroup
from hears.zhang import ZhangSynapse, ZhangSynapseRate, ZhangSynapseSpikes

__all__ = [*_filterbank_names, "FilterbankGroup", "ZhangSynapse", "ZhangSynapseRate",
           "ZhangSynapseSpikes"]

"""brian2hears' ``brian2hears.filtering.tan_carney``: Tan and Carney's cochlear model, its
signal path alone, the middle ear and Zhang et al.'s synapse (the implementations live in
:mod:`hears.filterbanks` and :mod:`hears.zhang`)."""

from hears.filterbanks import MiddleEar, TanCarney, TanCarneySignal, tan_carney_parameters
from hears.zhang import ZhangSynapse, ZhangSynapseRate, ZhangSynapseSpikes

__all__ = ["TanCarney", "TanCarneySignal", "MiddleEar", "ZhangSynapse", "ZhangSynapseSpikes",
           "ZhangSynapseRate", "tan_carney_parameters"]

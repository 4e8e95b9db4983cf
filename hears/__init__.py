"""hearsim hears: auditory models on top of :mod:`sounds` and :mod:`sim`.

``from hears import *`` gives brian2hears' namespace: the Sound names of :mod:`sounds`
(:class:`~sounds.Sound`, the generators, ``dB``, file I/O...) and the filterbanks of
:mod:`hears.filterbanks` (``Gammatone``, ``erbspace``, ``FunctionFilterbank``...). Scripts
written for brian2hears run with ``from sim import *; from hears import *``.

``FilterbankGroup`` turns a filterbank's output into the input of a group of neurons;
``ZhangSynapse`` is one whose neurons are Zhang et al.'s auditory-nerve synapses, driven by the
inner-hair-cell output of ``TanCarney``.
"""

from . import _main_named_sounds  # noqa: F401, I001  (first: a script named sounds.py)
import sounds as _sounds

if not getattr(_sounds, "__hearsim__", False):  # a user's sounds.py (or sounds/) hides ours
    raise ImportError(
        f"hears needs hearsim's 'sounds' package, but 'import sounds' found "
        f"{getattr(_sounds, '__file__', None) or _sounds!r}, which hides it (Python looks in "
        f"the script's folder and the working directory first): rename that file (and "
        f"remove its __pycache__), e.g. to my_sounds.py"
    )

from sounds import *  # noqa: E402
from sounds import __all__ as _sound_names  # noqa: E402

from .filterbanks import *
from .filterbanks import __all__ as _filterbank_names
from .group import FilterbankGroup
from .hrtf import HRTF, HeadlessDatabase, HRTFDatabase, HRTFSet, make_coordinates
from .ircam import IRCAM_LISTEN
from .plotting import log_frequency_xaxis_labels, log_frequency_yaxis_labels
from .zhang import (
    ZhangSynapse,
    ZhangSynapseRate,
    ZhangSynapseSpikes,
    zhang_synapse_parameters,
)

__all__ = [*_sound_names, *_filterbank_names, "FilterbankGroup", "ZhangSynapse",
           "ZhangSynapseRate", "ZhangSynapseSpikes", "zhang_synapse_parameters", "HRTF",
           "HRTFSet", "HRTFDatabase", "HeadlessDatabase", "make_coordinates",
           "log_frequency_xaxis_labels", "log_frequency_yaxis_labels", "IRCAM_LISTEN"]

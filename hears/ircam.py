"""brian2hears' ``IRCAM_LISTEN``: the IRCAM LISTEN public HRTF database, read from the
MATLAB files of its distribution (``scipy.io.loadmat``: arrays only, no code)."""

from __future__ import annotations

import os
import re
from glob import glob
from pathlib import Path
from typing import Any

import numpy as np

from sim.units import kHz

from .hrtf import HRTFDatabase, HRTFSet, make_coordinates

__all__ = ["IRCAM_LISTEN"]

_SUBJECT = re.compile(r"IRC_(\d{4})$")


class IRCAM_LISTEN(HRTFDatabase):  # noqa: N801 (brian2hears' name)
    """:class:`HRTFDatabase` of the IRCAM LISTEN HRTFs (brian2hears' ``IRCAM_LISTEN``).

    ``IRCAM_LISTEN(basedir=None, compensated=False, samplerate=None)``

    ``basedir``
        The folder holding the extracted subjects (``IRCAM/IRC_1002``, ...), or a list of
        such folders (IRCAM and IRCAM New); ``None`` reads the environment variable
        ``IRCAM_LISTEN``.
    ``compensated``
        Use the compensated (diffuse-field equalised) impulse responses instead of the raw.
    ``samplerate``
        As in brian2hears, only the database's own rate (44.1 kHz; 192 kHz for the
        ``IRC_30xx`` recordings) is available: any other value is refused.

    ``subjects`` lists the subject numbers found; ``load_subject(subject,
    rounddot5=False)`` returns an :class:`HRTFSet` with coordinates ``(azim, elev)`` in
    degrees (``rounddot5`` rounds IRCAM New's azimuths to the nearest half degree).
    """

    def __init__(self, basedir: Any = None, compensated: bool = False,
                 samplerate: Any = None) -> None:
        if basedir is None:
            basedir = os.getenv("IRCAM_LISTEN")
        if basedir is None:
            raise ValueError("IRCAM_LISTEN: give the folder of the IRCAM LISTEN database "
                             "(basedir=...), or set the environment variable IRCAM_LISTEN")
        folders = [basedir] if isinstance(basedir, str | os.PathLike) else list(basedir)
        for folder in folders:
            if not Path(folder).is_dir():
                raise FileNotFoundError(f"IRCAM_LISTEN: the folder {str(folder)!r} does not "
                                        f"exist")
        if samplerate is not None:
            raise ValueError("IRCAM_LISTEN: only the database's own sample rate is available "
                             "(samplerate=None); resample the HRTFs' sounds if needed")
        self.basedir = [str(f) for f in folders]
        self.compensated = bool(compensated)
        self.samplerate = None
        self.subjects = sorted(
            int(m.group(1)) for folder in self.basedir
            for name in glob(os.path.join(folder, "IRC_*"))
            if (m := _SUBJECT.search(name)) is not None)

    def _file(self, folder: str, subject: str) -> str:
        kind, tag = ("COMPENSATED", "C") if self.compensated else ("RAW", "R")
        return os.path.join(folder, f"IRC_{subject}", kind, "MAT", "HRIR",
                            f"IRC_{subject}_{tag}_HRIR.mat")

    def load_subject(self, subject: Any, rounddot5: bool = False) -> HRTFSet:
        from scipy.io import loadmat

        subject = str(subject)
        tried = [self._file(folder, subject) for folder in self.basedir]
        path = next((p for p in tried if os.path.isfile(p)), None)
        if path is None:
            raise FileNotFoundError(f"IRCAM_LISTEN: no HRTF file for subject {subject} "
                                    f"(looked for {', '.join(repr(p) for p in tried)})")
        m = loadmat(path, struct_as_record=True)
        affix = "_hrir_S" if "l_hrir_S" in m else "_eq_hrir_S"
        if f"l{affix}" not in m or f"r{affix}" not in m:
            raise ValueError(f"IRCAM_LISTEN: {path!r} holds no l_hrir_S/r_hrir_S (raw) or "
                             f"l_eq_hrir_S/r_eq_hrir_S (compensated) structures")
        left, right = m[f"l{affix}"], m[f"r{affix}"]
        try:
            azim = np.asarray(left["azim_v"][0][0], dtype=float)
            elev = np.asarray(left["elev_v"][0][0], dtype=float)
            hl = np.asarray(left["content_m"][0][0], dtype=float)
            hr = np.asarray(right["content_m"][0][0], dtype=float)
        except (ValueError, KeyError, IndexError) as exc:
            raise ValueError(f"IRCAM_LISTEN: {path!r} lacks azim_v, elev_v or content_m "
                             f"({exc})") from None
        if azim.shape[0] == 1 and azim.ndim == 2 and azim.shape[1] != 1:  # IRCAM New: 1 x N
            azim, elev = azim[0], elev[0]
            if rounddot5:
                azim = np.round(2 * azim) / 2
        else:
            azim, elev = azim[:, 0], elev[:, 0]
        if hl.shape != hr.shape or hl.shape[0] != azim.size:
            raise ValueError(f"IRCAM_LISTEN: {path!r}: {azim.size} directions but impulse "
                             f"responses of shapes {hl.shape} (left), {hr.shape} (right)")
        samplerate = 192 * kHz if subject.startswith("3") else 44.1 * kHz
        hrtfset = HRTFSet(np.stack((hl, hr)), samplerate,
                          make_coordinates(azim=azim, elev=elev))
        hrtfset.name = f"IRCAM_{subject}"
        return hrtfset

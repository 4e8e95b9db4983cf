"""Brian 2's ``brian2.core.preferences``: the preferences and their definitions."""

from sim.prefs import BrianPreference, PreferenceError, prefs

brian_prefs = prefs  # Brian 2's older name

__all__ = ["PreferenceError", "BrianPreference", "prefs", "brian_prefs"]

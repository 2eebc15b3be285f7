"""Seeded synthetic territory written in the official formats (RPLS, SNE-like applications,
attributions, OPS-like occupancy, QPV GeoJSON, reservations), calibrated on published figures."""

from mixite.synth.calibration import Figure, Tally, calibration_figures
from mixite.synth.generateur import FILES, GenerationResult, generate
from mixite.synth.modele import SIZES, SizeProfile, load_model, size_profile

__all__ = [
    "FILES",
    "SIZES",
    "Figure",
    "GenerationResult",
    "SizeProfile",
    "Tally",
    "calibration_figures",
    "generate",
    "load_model",
    "size_profile",
]

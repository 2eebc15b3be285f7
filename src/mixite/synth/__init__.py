"""Seeded synthetic territory written in the official formats (RPLS, SNE-like applications,
attributions, OPS-like occupancy, QPV GeoJSON, reservations), calibrated on published figures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mixite._lazy import lazy_exports

if TYPE_CHECKING:
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

#: Public name → module defining it. The names are imported on first use (PEP 562), so that
#: importing a submodule (``mixite demo`` steps, the CLI) does not load the whole package.
_LAZY = {
    "Figure": "mixite.synth.calibration",
    "Tally": "mixite.synth.calibration",
    "calibration_figures": "mixite.synth.calibration",
    "FILES": "mixite.synth.generateur",
    "GenerationResult": "mixite.synth.generateur",
    "generate": "mixite.synth.generateur",
    "SIZES": "mixite.synth.modele",
    "SizeProfile": "mixite.synth.modele",
    "load_model": "mixite.synth.modele",
    "size_profile": "mixite.synth.modele",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)

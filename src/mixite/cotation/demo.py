"""The cotation step of ``mixite demo``: audit of the Lyon-like example grid against the
Paris-like one on the demo store, and the explanation an applicant would receive.

``mixite.synth.demo.DEMO_STEPS`` lists the demo steps; ``mixite.cli.cotation`` appends this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mixite.errors import ConfigError

if TYPE_CHECKING:
    from mixite.synth.demo import DemoPaths

__all__ = ["EXAMPLE_GRIDS", "step_cotation"]

#: The example grids shipped at the root of the repository (``exemples/grilles``).
EXAMPLE_GRIDS = Path(__file__).resolve().parents[3] / "exemples" / "grilles"


def step_cotation(paths: DemoPaths) -> None:
    """Coter les demandes (grille illustrative de type Lyon, comparée au type Paris)."""
    from mixite.cotation.grid import load_grid
    from mixite.cotation.report import write_audit_report
    from mixite.cotation.run import CotationInputs, applicant_report, audit_millesime
    from mixite.store import Store

    with Store(paths.store, read_only=True) as store:
        tables = {
            name: store.read(name, paths.millesime)
            for name in ("applications", "attributions", "territory")
            if paths.millesime in store.millesimes(name)
        }
    inputs = CotationInputs(
        paths.millesime,
        tables["applications"],
        tables.get("attributions"),
        tables.get("territory"),
    )
    if not EXAMPLE_GRIDS.is_dir():
        raise ConfigError(
            f"Dossier des grilles d'exemple « {EXAMPLE_GRIDS} » introuvable : l'étape de "
            "cotation de la démonstration s'exécute depuis une copie du dépôt mixite."
        )
    grid = load_grid(EXAMPLE_GRIDS / "lyon_illustrative.yaml")
    other = load_grid(EXAMPLE_GRIDS / "paris_illustrative.yaml")
    folder = paths.outputs / "cotation"
    written = write_audit_report(audit_millesime(inputs, grid, other), folder)
    first = str(inputs.applications["application_id"].iloc[0])
    letter = folder / "explication_demande.txt"
    letter.write_text(applicant_report(inputs, grid, first) + "\n", encoding="utf-8")
    paths.made.append(("Audit de la grille de cotation (HTML)", written[0]))
    paths.made.append(("Audit de la grille de cotation (XLSX)", written[1]))
    paths.made.append(("Cotation expliquée d'une demande", letter))

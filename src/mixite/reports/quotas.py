"""The legal quota indicators for the terminal: the objectives that apply, partner by partner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mixite.reports import fr

if TYPE_CHECKING:
    from rich.table import Table

    from mixite.jobs.results import QuotasResult

__all__ = ["quotas_console_table"]


def quotas_console_table(result: QuotasResult) -> Table:
    """A Rich table of the objectives that apply (EPCI, landlords, reservataires, landlords'
    non-reserved dwellings), each partner named, readable in 80 columns: objective, achieved
    share, target (the partner's commitment or the territory's adapted rate, with the national
    default beside it when it differs) and the attributions missing to reach it."""
    from rich.table import Table

    table = result.table
    rows = table.loc[table["target_applies"].astype(bool)]
    view = Table(
        title=f"Objectifs légaux d'attribution — baux signés en {result.year}",
        caption="Manque : attributions au public cible qui auraient permis d'atteindre l'objectif.",
    )
    view.add_column("Partenaire", overflow="fold")
    view.add_column("Objectif", overflow="fold")
    view.add_column("Réalisé", justify="right")
    view.add_column("Cible", justify="right")
    view.add_column("Manque", justify="right")
    for row in rows.itertuples(index=False):
        level = str(row.level)
        partner = fr.group_label(level, row.group, result.names)
        if level == "bailleur_non_reserve":
            partner += " (non réservés)"
        met = int(str(row.shortfall)) == 0
        target = fr.percent(row.target, 0)
        national = float(str(getattr(row, "target_national", row.target)))
        if abs(national - float(str(row.target))) > 1e-12:
            # A commitment or an adapted rate: the national default is shown beside it.
            target += f" (national {fr.percent(national, 0)})"
        view.add_row(
            partner,
            fr.INDICATOR_SHORT_LABELS.get(str(row.indicator), str(row.indicator)),
            f"{fr.percent(row.share)} ({fr.integer(row.numerator)}/{fr.integer(row.denominator)})",
            target,
            "atteint" if met else fr.integer(row.shortfall),
            style=None if met else "red",
        )
    return view

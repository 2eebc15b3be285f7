"""Job of the PPGDID draft (plan partenarial de gestion de la demande et d'information des
demandeurs, CCH art. L441-2-8): the partners' configuration, the territory's cotation grid with
its criteria and articles, the figures of the demand."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mixite.errors import ConfigError
from mixite.jobs._load import StoreLike, load_names
from mixite.jobs.results import PpgdidConfig, PpgdidPlace, PpgdidResult

if TYPE_CHECKING:
    from mixite.cotation.grid import Grid

__all__ = ["load_config", "ppgdid"]


class _Place(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nom: str
    adresse: str
    type: str
    horaires: str = ""
    enregistrement: bool = False


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duree_annees: int = Field(ge=1, le=20)
    fichier_partage: str
    gestion_partagee: list[str]
    partenaires: list[str]
    lieux: list[_Place] = Field(min_length=1)
    information: list[str]
    premier_rendez_vous: str
    grille: str


def load_config(path: Path) -> PpgdidConfig:
    """The PPGDID configuration of ``path`` (YAML, docs/formats.md); a French ``ConfigError``
    naming the file and the key when it is wrong. The grid path is relative to the file."""
    from mixite.params import YamlError, read_yaml_file

    if not path.is_file():
        raise ConfigError(f"Configuration du PPGDID « {path} » introuvable.")
    try:
        raw: Any = read_yaml_file(path).tree
        parsed = _Config.model_validate(raw)
    except YamlError as error:
        raise ConfigError(f"Configuration du PPGDID « {path.name} » illisible : {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(racine)"
        raise ConfigError(
            f"Configuration du PPGDID « {path.name} », clé « {where} » : "
            f"{'absente' if first['type'] == 'missing' else 'valeur invalide'} "
            f"({first['msg']}). Voir docs/formats.md, section PPGDID."
        ) from None
    grid = Path(parsed.grille)
    if not grid.is_absolute():
        grid = path.parent / grid
    return PpgdidConfig(
        source=path.name,
        duration_years=parsed.duree_annees,
        shared_file=parsed.fichier_partage,
        shared_management=tuple(parsed.gestion_partagee),
        partners=tuple(parsed.partenaires),
        places=tuple(
            PpgdidPlace(p.nom, p.adresse, p.type, p.horaires, p.enregistrement)
            for p in parsed.lieux
        ),
        information=tuple(parsed.information),
        first_meeting=parsed.premier_rendez_vous,
        grid=str(grid),
    )


def _grid_rows(grid: Grid) -> Any:
    import pandas as pd

    from mixite.cotation.audit import grid_rows

    rows = grid_rows(grid)
    articles = {
        (section.name, rubric.name, criterion.name): criterion.description or ""
        for section in grid.sections
        for rubric in section.rubrics
        for criterion in rubric.criteria
    }
    rows["article"] = [
        articles.get((s, r, c), "")
        for s, r, c in zip(rows["section"], rows["rubric"], rows["criterion"], strict=True)
    ]
    return pd.DataFrame(rows)


def ppgdid(store: StoreLike, config: PpgdidConfig, grid: Grid | None = None) -> PpgdidResult:
    """The content of the PPGDID draft on the latest millésime of the store: the grid of the
    configuration (or ``grid``), the refusal rule of each section, the pending applications,
    the attributions of the latest lease year and the public waiting times."""
    from mixite.cotation.engine import refusal_rule
    from mixite.cotation.grid import load_grid
    from mixite.jobs.cotation import load_inputs, public_waiting_times

    grid = grid if grid is not None else load_grid(config.grid)
    inputs = load_inputs(store)
    attributions = inputs.attributions
    year = inputs.millesime - 1
    count = 0
    if attributions is not None and not attributions.empty:
        leases = attributions["lease_date"].dt.year
        year = int(leases.max())
        count = int((leases == year).sum())
        waiting = public_waiting_times(inputs, grid)
    else:
        import pandas as pd

        waiting = pd.DataFrame()
    return PpgdidResult(
        names=load_names(store),
        config=config,
        grid_name=grid.name,
        grid_rows=_grid_rows(grid),
        refusal_rules={s.name: refusal_rule(s) for s in grid.sections},
        year=year,
        applications=len(inputs.applications),
        attributions=count,
        waiting=waiting,
    )

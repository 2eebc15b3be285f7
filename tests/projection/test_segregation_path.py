"""Why the baseline's dissimilarity of Q1 households falls (``docs/projection.md``, « Trajectoire
de la ségrégation »): households keep their first-quartile status and their residence unless
the projection changes them, departures alone move the index only through who leaves, and the
fall comes from the turnover (entrants placed without regard to the residence's profile), not
from incomes reclassifying households."""

from __future__ import annotations

import dataclasses
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixite.allocation.scenario import load_scenario
from mixite.indicators.segregation import two_group_indices
from mixite.io import read_folder
from mixite.projection.base import ProjectionBase, build_base
from mixite.projection.engine import Settings, _State, run_replicate
from mixite.projection.strategy import Attributions, Strategy, StrategyPlan
from mixite.synth import generate, size_profile

SCENARIO = Path(__file__).resolve().parents[2] / "exemples" / "scenarios" / "reference.yaml"


@lru_cache(maxsize=1)
def _base() -> tuple[ProjectionBase, StrategyPlan]:
    folder = Path(tempfile.mkdtemp(prefix="mixite-segregation-"))
    generate(folder, np.random.default_rng(31), size_profile(dwellings=3000), 2025)
    frames = read_folder(folder)
    plan = StrategyPlan(
        Strategy(nom="Référence", attributions=Attributions(scenario=str(SCENARIO))),
        load_scenario(SCENARIO),
    )
    return build_base(frames, 2025, [plan]), plan


def _frozen(settings: Settings) -> Settings:
    """No income shocks or growth, no births, separations, children growing up or leaving."""
    return dataclasses.replace(
        settings,
        income_sd=0.0,
        income_growth=0.0,
        birth_rate=0.0,
        separation_rate=0.0,
        turning_14_rate=0.0,
        leaving_home_rate=0.0,
    )


def _observe(state: Any, record: Any) -> tuple[float, pd.DataFrame]:
    h, d = state.h, state.d
    rows = np.flatnonzero(h["present"])
    residence = d["residence"][h["dwelling"][rows]]
    q1 = state.q1_households(rows)
    seg = two_group_indices(pd.Series(residence), pd.Series(q1))
    frame = pd.DataFrame({"id": h["id"][rows], "residence": residence, "q1": q1})
    return float(seg["dissimilarity"]), frame


def _without(monkeypatch: pytest.MonkeyPatch, departures: bool, commissions: bool) -> None:
    if not departures:
        monkeypatch.setattr(
            _State, "departures", lambda self, year, counts, flows: counts.update(exits=0.0)
        )
    if not commissions:
        monkeypatch.setattr(_State, "commissions", lambda self, *args, **kwargs: None)


def _dissimilarity_path(settings: Settings, seeds: range) -> np.ndarray:  # type: ignore[type-arg]
    base, plan = _base()
    return np.array(
        [
            [dis for dis, _ in run_replicate(base, plan, 3, s, settings=settings, observe=_observe)]
            for s in seeds
        ]
    ).mean(axis=0)


def test_without_attributions_departures_or_household_changes_nothing_moves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, plan = _base()
    _without(monkeypatch, departures=False, commissions=False)
    settings = _frozen(Settings.from_parameters(base.millesime, base.params))
    years = run_replicate(base, plan, 3, 5, settings=settings, observe=_observe)
    # The first-quartile threshold is the base's every year, incomes are in constant euros:
    # the same households, the same statuses, the same index.
    first = years[0][1]
    for dissimilarity, frame in years[1:]:
        assert dissimilarity == years[0][0]
        pd.testing.assert_frame_equal(frame, first)


def test_departures_alone_move_the_index_only_through_who_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, plan = _base()
    _without(monkeypatch, departures=True, commissions=False)
    settings = _frozen(Settings.from_parameters(base.millesime, base.params))
    years = run_replicate(base, plan, 3, 5, settings=settings, observe=_observe)
    first = years[0][1].set_index("id")
    for dissimilarity, frame in years[1:]:
        stayers = first.loc[frame["id"]]
        assert len(frame) < len(first)
        # Every remaining household keeps its residence and its status of the base year: the
        # index is the base's computed on the households that stayed.
        assert (stayers["residence"].to_numpy() == frame["residence"].to_numpy()).all()
        assert (stayers["q1"].to_numpy() == frame["q1"].to_numpy()).all()
        expected = two_group_indices(
            pd.Series(stayers["residence"].to_numpy()), pd.Series(stayers["q1"].to_numpy())
        )["dissimilarity"]
        assert dissimilarity == pytest.approx(float(expected))


def test_the_fall_comes_from_the_turnover_not_from_reclassification(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, _ = _base()
    settings = Settings.from_parameters(base.millesime, base.params)
    seeds = range(3)
    # Turnover with households frozen (decomposition of docs/projection.md).
    turnover = _dissimilarity_path(_frozen(settings), seeds)
    # Income shocks and household changes without turnover.
    with monkeypatch.context() as patch:
        _without(patch, departures=False, commissions=False)
        reclassification = _dissimilarity_path(settings, seeds)
    start = turnover[0]
    assert reclassification[0] == start
    fall_turnover = start - turnover[-1]
    fall_reclassification = start - reclassification[-1]
    assert fall_turnover > 0.015
    assert abs(fall_reclassification) < fall_turnover / 2

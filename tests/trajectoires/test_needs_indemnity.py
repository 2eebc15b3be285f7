"""Special needs of the survey filter the proposals where the stock describes the dwelling
(else « à vérifier »), and the ANRU's rent-reduction indemnity from the charter's amounts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixite.allocation.problem import FIN_PLUS
from mixite.errors import InputError
from mixite.io.relogement import read_charter, special_needs
from mixite.trajectoires.relogement import (
    NEEDS,
    Charter,
    Offers,
    RelocationHouseholds,
    build_relocation,
    plan_relocation,
    rent_reduction_indemnity,
)

NAN = float("nan")


def test_needs_read_from_the_survey_text() -> None:
    texts = pd.Series(
        ["rez-de-chaussée ou ascenseur", "RDC", "Accès PMR (fauteuil)", "", None,
         "proche de l'école", "ascenseur, proche du travail"]
    )  # fmt: skip
    found = special_needs(texts)
    assert list(found.columns) == list(NEEDS)
    rows = [{c for c in NEEDS if found.loc[i, c]} for i in range(len(texts))]
    assert rows == [
        {"ascenseur"},  # a ground floor OR a lift
        {"rez_de_chaussee"},
        {"pmr"},
        set(),
        set(),
        {"autre"},  # proximity: nothing in the files says it, the MOUS verifies
        {"ascenseur", "autre"},
    ]


def _instance(needs: list[str], floor: list[float], lift: list[float], access: list[float]):  # type: ignore[no-untyped-def]
    """One household with ``needs``; one offer per entry of ``floor`` (same in all else)."""
    n_o = len(floor)
    households = RelocationHouseholds.from_arrays(
        ids=["m0"],
        operation=["op"],
        deadline=[2026],
        income=[15000.0],
        ceilings=[[20000.0, 30000.0, 40000.0]],
        rooms_min=[2],
        rooms_max=[3],
        wished=[[""]],
        accepts_qpv=[True],
        current_cost=[500.0],
        needs=[[code in needs for code in NEEDS]],
    )
    offers = Offers.from_arrays(
        ids=[f"d{j}" for j in range(n_o)],
        year=[2026] * n_o,
        landlord=["L1"] * n_o,
        partner=["bailleur:L1"] * n_o,
        commune=["A"] * n_o,
        in_qpv=[False] * n_o,
        rooms=[2] * n_o,
        rent=[300.0] * n_o,
        charges=[40.0] * n_o,
        financing=[FIN_PLUS] * n_o,
        recent=[False] * n_o,
        floor=floor,
        lift=lift,
        accessible=access,
    )
    charter = Charter(share_recent=0.0, share_outside_qpv=0.0, max_rise=0.0, lead_years=0)

    def cost(h: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return offers.rent[o] + offers.charges[o], np.zeros(o.shape)

    return build_relocation(households, offers, charter, cost, k=None)


def test_lift_need_is_hard_where_the_stock_says_and_verified_elsewhere() -> None:
    # offers: ground floor; 3rd floor without lift; 3rd floor, lift unknown; floor unknown;
    # 3rd floor with a lift
    pb = _instance(["ascenseur"], [0, 3, 3, NAN, 3], [NAN, 0, NAN, NAN, 1], [NAN] * 5)
    assert pb.offer.tolist() == [0, 2, 3, 4]  # the upper floor without lift is refused
    assert pb.to_verify(pb.household, pb.offer).tolist() == [False, True, True, False]
    plan = plan_relocation(pb)
    plan.check()
    assert plan.rehoused == 1


def test_ground_floor_and_reduced_mobility_needs() -> None:
    pb = _instance(["rez_de_chaussee"], [0, 2, NAN], [1, 1, 1], [NAN] * 3)
    # a lift does not make an upper floor a ground floor
    assert pb.offer.tolist() == [0, 2]
    assert pb.to_verify(pb.household, pb.offer).tolist() == [False, True]
    pb = _instance(["pmr"], [0, 0, 0], [NAN] * 3, [1, 0, NAN])
    assert pb.offer.tolist() == [0, 2]
    assert pb.to_verify(pb.household, pb.offer).tolist() == [False, True]
    # without any need every offer stays, none to verify
    pb = _instance([], [0, 2, NAN], [0, 0, 0], [0, 0, 0])
    assert pb.offer.tolist() == [0, 1, 2]
    assert not pb.to_verify(pb.household, pb.offer).any()


def test_check_refuses_a_plan_against_a_known_need() -> None:
    from mixite.trajectoires.relogement import RelocationCheckError, RelocationPlan

    pb = _instance(["ascenseur"], [0, 3], [NAN, 0], [NAN, NAN])
    plan = plan_relocation(pb)
    plan.check()
    # a forged plan that puts the household on the third floor without a lift: a problem whose
    # pair list still holds the refused pair (built without needs, same offers)
    free = _instance([], [0, 3], [NAN, 0], [NAN, NAN])
    forged_problem = type(free)(
        pb.households, pb.offers, pb.charter, pb.cost, free.household, free.offer,
        free.weight, free.new_cost, free.reduction, free.rank,
    )  # fmt: skip
    forged = RelocationPlan(
        forged_problem, np.array([1]), 1, {"neuf_recent": 0.0, "hors_qpv": 0.0},
        float(free.weight[1]), 10.0, 10.0, 0.0,
    )  # fmt: skip
    with pytest.raises(RelocationCheckError, match="ne respecte pas la charte"):
        forged.check()


def test_rent_reduction_indemnity_by_hand() -> None:
    amounts = {1: 2000.0, 2: 3000.0, 4: 5000.0}
    rooms = [1, 2, 3, 4, 6, 2, 2]
    recent = [True, True, True, True, True, False, True]
    reduction = [10.0, 5.0, 1.0, 30.0, 12.0, 40.0, 0.0]
    got = rent_reduction_indemnity(rooms, recent, reduction, amounts)
    # 3 rooms: the amount of 2 rooms (largest stated at most 3); 6 rooms: that of 4; an old
    # dwelling or no rent reduction: nothing
    assert got.tolist() == [2000.0, 3000.0, 3000.0, 5000.0, 5000.0, 0.0, 0.0]
    assert rent_reduction_indemnity(rooms, recent, reduction, {}).sum() == 0.0


def _charter(tmp_path: Path, block: str) -> Path:
    path = tmp_path / "charte.yaml"
    path.write_text("nom: Charte test\nsource: Délibération n° 1\n" + block, encoding="utf-8")
    return path


def test_charter_states_the_indemnity(tmp_path: Path) -> None:
    chart = read_charter(
        _charter(
            tmp_path,
            "indemnite_minoration_loyer:\n  montants: {1: 2000, 3: 4500}\n"
            "  source: Convention NPNRU, article 9\n",
        ),
        "2025-01-01",
    )
    assert chart.indemnity == {1: 2000.0, 3: 4500.0}
    assert chart.indemnity_source == "Convention NPNRU, article 9"
    flat = read_charter(
        _charter(tmp_path, "indemnite_minoration_loyer:\n  montants: 2500\n  source: Art. 9\n"),
        "2025-01-01",
    )
    assert set(flat.indemnity.values()) == {2500.0} and min(flat.indemnity) == 1
    # no amount stated: no indemnity (no hidden default)
    assert read_charter(_charter(tmp_path, ""), "2025-01-01").indemnity == {}


def test_charter_indemnity_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_charter(
            _charter(
                tmp_path,
                "indemnite_minoration_loyer:\n  montants: {T3: 4500}\n  source: Art. 9\n",
            ),
            "2025-01-01",
        )
    text = str(caught.value)
    assert "charte.yaml" in text and "ligne 4" in text and "T3" in text
    with pytest.raises(InputError, match="source"):
        read_charter(
            _charter(tmp_path, "indemnite_minoration_loyer:\n  montants: 2000\n"), "2025-01-01"
        )
    with pytest.raises(InputError, match="Vouliez-vous dire « montants »"):
        read_charter(
            _charter(tmp_path, "indemnite_minoration_loyer:\n  montant: 2000\n  source: Art. 9\n"),
            "2025-01-01",
        )

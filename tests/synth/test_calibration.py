"""Calibration of the ``moyenne`` territory, recomputed from the written files.

Targets and tolerances (published figures, ``docs/territoire-synthetique.md`` « Chiffres publiés de référence »):
share in QPV 31 % ± 2 pts; collective 85 % ± 3; mean rent 6.52 €/m² ± 0.25 with QPV stock
cheaper per m² (gap −10 % ± 5 pts, model assumption); turnover 7.1 % ± 1; vacancy 2.1 % ± 0.6;
pressure 7.1 ± 0.8 pending applications per attribution (25,000 / 3,500); 32 % ± 3 mutations
in the demand and 29 % ± 3 in attributions; Q1 share of attributions outside QPV 14–18 %
(ANCOLS 2017–2021); Q1 of the demand within 4 % of the arrêté value of the comparable EPCI;
occupants of QPV poorer, more single-parent and more unemployed.
The Q1 thresholds below are the arrêté values for Tours Métropole Val de Loire (SIREN
243700754): 9,840 € (2024) and 10,049 € (2025) per UC per year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixite.synth import GenerationResult

Q1_2024 = 9840.0
Q1_2025 = 10049.0


def _uc(frame: pd.DataFrame) -> np.ndarray:
    # modified OECD scale: 1 for the first adult, 0.5 per other person aged 14+, 0.3 per child
    size = frame["nb_personnes"].astype(int).to_numpy()
    p14 = frame["nb_14_ans_et_plus"].astype(int).to_numpy()
    return 1 + 0.5 * (p14 - 1) + 0.3 * (size - p14)


@pytest.fixture(scope="module")
def files(moyenne: GenerationResult) -> dict[str, pd.DataFrame]:
    p = moyenne.paths
    read = {"sep": ";", "dtype": str, "keep_default_na": False}
    return {
        "rpls": pd.read_csv(p["rpls"], **read),
        "apps": pd.read_csv(p["applications"], **read),
        "att": pd.read_csv(p["attributions"], **read),
        "hh": pd.read_csv(p["households"], **read),
    }


def test_sizes_match_the_medium_territory(files: dict[str, pd.DataFrame]) -> None:
    # docs/territoire-synthetique.md « Chiffres publiés de référence », "moyenne" row: ≈ 40,000 dwellings, 25,000 applications, 3,500 attributions
    assert len(files["rpls"]) == 40_000
    assert abs(len(files["apps"]) / 25_000 - 1) < 0.15
    assert abs(len(files["att"]) / 3_500 - 1) < 0.15


def test_stock_figures(files: dict[str, pd.DataFrame]) -> None:
    d = files["rpls"]
    in_qpv = d["PLG_QP24"] != ""
    assert abs(in_qpv.mean() - 0.31) <= 0.02
    assert abs((d["TYPECONST_LIBELLE"] != "Individuel").mean() - 0.85) <= 0.03
    with_rent = d["LOYERPRINC"] != "9999"
    rent = d["LOYERPRINC"].where(with_rent, "0").astype(float)
    surf = d["SURFHAB"].astype(float).where(with_rent, 0.0)
    mean = rent.sum() / surf.sum()
    assert abs(mean - 6.52) <= 0.25
    gap = (rent[in_qpv].sum() / surf[in_qpv].sum()) / (
        rent[~in_qpv].sum() / surf[~in_qpv].sum()
    ) - 1
    assert -0.15 <= gap <= -0.05
    # older financing is cheaper: HLM/O (pre-1977) < PLUS < PLS per m² (RPLS structure)
    fam = d["FINAN_CODE"]
    per_m2 = {
        c: rent[(fam == c) & with_rent].sum() / surf[(fam == c) & with_rent].sum()
        for c in ("52", "13", "14")
    }
    assert per_m2["52"] < per_m2["13"] < per_m2["14"]


def test_turnover_and_vacancy(files: dict[str, pd.DataFrame]) -> None:
    d = files["rpls"]
    existing = d["LOCAT"].astype(int) < 2024
    offered = d["MODE"].isin(["1", "2"])
    new_lease = (d["MODE"] == "1") & d["BAIL"].str.endswith("/2024")
    turnover = (existing & new_lease).sum() / (existing & offered).sum()
    assert abs(turnover - 0.071) <= 0.01
    vacancy = (d["MODE"] == "2").sum() / offered.sum()
    assert abs(vacancy - 0.021) <= 0.006


def test_demand_figures(files: dict[str, pd.DataFrame]) -> None:
    apps, att = files["apps"], files["att"]
    assert abs(len(apps) / len(att) - 7.1) <= 0.8
    assert abs((apps["mutation"] == "1").mean() - 0.32) <= 0.03
    assert abs((att["mutation"] == "1").mean() - 0.29) <= 0.03
    r_uc = 12 * apps["ressources_mensuelles"].astype(float).to_numpy() / _uc(apps)
    q1 = np.quantile(r_uc, 0.25)
    assert abs(q1 / Q1_2025 - 1) <= 0.04


def test_demand_by_typology_is_plausible(files: dict[str, pd.DataFrame]) -> None:
    # Expected share of T1 applications, by hand from the model (modele.yaml, demande:
    # tailles_menage × pieces_souhaitees): 0.38 × 0.35 + 0.22 × 0.05 = 0.144 (±0.01: about 4 standard
    # errors on 23,000 applications).
    apps, att = files["apps"], files["att"]
    asked = apps["typologie_min"].astype(int).clip(upper=5)
    assert abs((asked == 1).mean() - 0.144) <= 0.01
    # Plausibility (issue: a T1 pressure of 53.7 applications per attribution against 7.1 for the
    # territory): no typology's pressure above three times the territory's.
    given = att["nb_pieces"].astype(int).clip(upper=5)
    overall = len(apps) / len(att)
    by_typology = asked.value_counts() / given.value_counts()
    assert by_typology.max() <= 3 * overall, by_typology.round(1).to_dict()


def test_q1_share_outside_qpv(files: dict[str, pd.DataFrame]) -> None:
    att = files["att"]
    out = att[att["en_qpv"] == "0"]
    r_uc = 12 * out["ressources_mensuelles"].astype(float).to_numpy() / _uc(out)
    share = (r_uc < Q1_2024).mean()
    assert 0.14 <= share <= 0.185
    # the share of attributions outside QPV is near the 72 % of 2015
    assert abs(len(out) / len(att) - 0.72) <= 0.04


def test_occupancy_contrast(files: dict[str, pd.DataFrame]) -> None:
    d = files["rpls"].set_index("IDENT_INT")
    hh = files["hh"]
    in_qpv = (d.loc[hh["IDENT_INT"], "PLG_QP24"] != "").to_numpy()
    r_uc = hh["ressources_annuelles"].astype(float).to_numpy() / _uc(hh)
    modest = r_uc < Q1_2025
    mono = hh["famille_monoparentale"].to_numpy() == "1"
    unemployed = hh["situation_pro"].to_numpy() == "chomage"
    assert 0.05 <= modest[in_qpv].mean() - modest[~in_qpv].mean() <= 0.25
    assert mono[in_qpv].mean() > mono[~in_qpv].mean() + 0.05
    assert unemployed[in_qpv].mean() > unemployed[~in_qpv].mean()
    # a few residences outside QPV are as modest as the QPV average ("fragile" residences)
    res = d.loc[hh["IDENT_INT"], "PROGRAMME"].to_numpy()
    per = (
        pd.DataFrame({"res": res, "q": in_qpv, "m": modest})
        .groupby("res")
        .agg(q=("q", "first"), n=("m", "size"), m=("m", "mean"))
    )
    fragile = per[(~per["q"]) & (per["n"] >= 10) & (per["m"] >= modest[in_qpv].mean())]
    assert 1 <= len(fragile) <= 0.1 * (~per["q"]).sum()


def test_generator_report_is_within_tolerance(moyenne: GenerationResult) -> None:
    bad = [(f.key, f.target, f.value) for f in moyenne.figures if not f.ok]
    assert not bad
    text = moyenne.paths["calibration"].read_text(encoding="utf-8")
    for f in moyenne.figures:
        assert f.label in text
    assert "écart |" not in text

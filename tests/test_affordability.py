"""Known-answer tests of the APL, effort rate and reste à vivre (mixite.affordability).

Expected values are computed by hand in each test from the published scale (arrêté du 27
septembre 2019 as revalued by the arrêté du 5 septembre 2025 for October 2025; R0 of the arrêté
du 30 décembre 2024; RLS of the arrêté du 27 février 2018 as revalued for June 2025).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixite.affordability import (
    AplScale,
    Thresholds,
    affordable_pairs,
    apl_scale,
    effort_rate,
    housing_benefit,
    housing_benefit_detail,
    net_housing_cost,
    reste_a_vivre,
    territory_thresholds,
)
from mixite.errors import InputError
from mixite.params import default_parameters, load_parameters


def test_single_zone_2_by_hand() -> None:
    # Single person, zone II, November 2025, rent 380 €, resources 9,000 €/year, HLM landlord.
    d = housing_benefit_detail(
        zone=2, couple=False, dependants=0, rent=380.0, annual_resources=9000.0, when="2025-11"
    )
    ceiling = 290.34  # zone II single ceiling from 1 Oct 2025
    charges = 60.59  # charges allowance, no dependant
    r0 = 5235.0  # R0 single, 2025
    tf = 0.0283  # family rate, single
    # RL = 290.34 / 290.34 = 100 % → TL = 0.45 % × 30 + 0.68 % × 25 = 0.305 %
    tl = 0.0045 * 0.30 + 0.0068 * 0.25
    p0 = max(0.085 * (ceiling + charges), 39.56)
    pp = p0 + (tf + tl) * (9000.0 - r0)
    before = ceiling + charges - pp  # 193.33725
    after_minoration = round(before, 2) - 5.0  # 188.34
    rls = 34.83  # RLS zone II single from 1 June 2025 (750 €/month < 895 € ceiling)
    after_rls = after_minoration - 0.98 * rls  # 154.2066
    crds = math.floor(after_rls * 100 * 0.005) / 100  # 0.77
    expected = math.floor(after_rls - crds)  # 153
    assert float(d.rent_ceiling) == pytest.approx(ceiling)
    assert float(d.retained_rent) == pytest.approx(ceiling)
    assert float(d.charges_allowance) == pytest.approx(charges)
    assert float(d.rent_rate) == pytest.approx(tl)
    assert float(d.personal_participation) == pytest.approx(pp)
    assert float(d.before_degressivity) == pytest.approx(before)
    assert float(d.rls) == pytest.approx(rls)
    assert float(d.crds) == pytest.approx(crds)
    assert float(d.benefit) == expected == 153


def test_family_zone_1_by_hand_2024() -> None:
    # Couple with 3 dependants, zone I, November 2024, rent 500 €, resources 20,050 €/year.
    d = housing_benefit_detail(
        zone=1, couple=True, dependants=3, rent=500.0, annual_resources=20050.0, when="2024-11"
    )
    ceiling = 449.43 + 2 * 65.21  # one dependant + 2 extra, zone I, from 1 Oct 2024: 579.85
    retained = 500.0  # the rent is below the ceiling
    charges = 59.97 + 3 * 13.60
    resources = 20100.0  # rounded up to the next 100 €
    r0 = 9408.0  # R0 three dependants, 2024 (arrêté du 15 décembre 2023)
    tf = 0.0201
    reference = 395.77 + 2 * 57.61  # zone II ceiling for the same household: 510.99
    rl = round(retained / reference * 100, 2) / 100  # 97.85 %
    tl = round(0.0045 * 0.30 + 0.0068 * (rl - 0.75), 5)
    p0 = max(0.085 * (retained + charges), 39.15)
    pp = p0 + (tf + tl) * (resources - r0)
    before = retained + charges - pp
    after_minoration = round(before, 2) - 5.0
    # RLS: 20,100 / 12 = 1,675 € < 2,141 € (zone I ceiling, three dependants) → RLS granted,
    # 75.31 + 2 × 10.78 = 96.87 € (zone I, one dependant + 2 extra, 2024 amounts).
    rls = 75.31 + 2 * 10.78
    after_rls = after_minoration - 0.98 * rls
    crds = math.floor(after_rls * 100 * 0.005) / 100
    expected = math.floor(after_rls - crds)
    assert float(d.rent_ceiling) == pytest.approx(ceiling)
    assert float(d.retained_rent) == retained
    assert float(d.resource_base) == resources
    assert float(d.r0) == r0
    assert float(d.rent_rate) == pytest.approx(tl)
    assert float(d.rls) == pytest.approx(rls)
    assert float(d.benefit) == expected


def test_degressivity_coefficient_zone_3() -> None:
    # Zone III single: degressivity starts at 2.5 × 272.12 = 680.30 € and ends at 3.1 × = 843.57 €.
    d = housing_benefit_detail(
        zone=3, couple=False, dependants=0, rent=800.0, annual_resources=0.0, when="2025-11"
    )
    assert float(d.degressivity) == pytest.approx(1 - (800 - 680.30) / (843.57 - 680.30))
    high = housing_benefit_detail(
        zone=3, couple=False, dependants=0, rent=900.0, annual_resources=0.0, when="2025-11"
    )
    assert float(high.degressivity) == 0.0
    assert float(high.benefit) == 0.0


def test_rls_only_for_hlm_and_under_ceiling() -> None:
    # Same single household as above; a non-HLM landlord grants no RLS, so the APL keeps the
    # 98 % × 34.83 = 34.13 € that the RLS offset removes: floor(188.34 − 0.94) = 187.
    paid, rls = housing_benefit(
        zone=2, couple=False, dependants=0, rent=380.0, annual_resources=9000.0,
        when="2025-11", hlm=False,
    )  # fmt: skip
    assert float(rls) == 0.0
    assert float(paid) == math.floor(188.34 - math.floor(188.34 * 100 * 0.005) / 100) == 187
    # Above the RLS ceiling (895 €/month × 12 = 10,740 €): no RLS either.
    _, rls_high = housing_benefit(
        zone=2, couple=False, dependants=0, rent=380.0, annual_resources=10800.0, when="2025-11"
    )
    assert float(rls_high) == 0.0


def test_broadcasting_equals_long_arrays() -> None:
    rng = np.random.default_rng(7)
    n_h, n_d = 40, 25
    couple = rng.random(n_h) < 0.5
    dep = rng.integers(0, 6, n_h)
    res = rng.uniform(0, 40000, n_h)
    zone = rng.integers(1, 4, n_d)
    rent = rng.uniform(150, 900, n_d)
    scale = apl_scale("2025-11")
    grid, _ = housing_benefit(
        zone=zone[None, :], couple=couple[:, None], dependants=dep[:, None],
        rent=rent[None, :], annual_resources=res[:, None], scale=scale,
    )  # fmt: skip
    hi, di = np.divmod(np.arange(n_h * n_d), n_d)
    flat, _ = housing_benefit(
        zone=zone[di], couple=couple[hi], dependants=dep[hi], rent=rent[di],
        annual_resources=res[hi], scale=scale,
    )  # fmt: skip
    assert grid.shape == (n_h, n_d)
    np.testing.assert_array_equal(grid.ravel(), flat)


def test_bad_zone_and_negative_dependants_are_input_errors() -> None:
    with pytest.raises(InputError, match="Zone APL inconnue"):
        housing_benefit(zone=4, couple=False, dependants=0, rent=300, annual_resources=0,
                        when="2025-11")  # fmt: skip
    with pytest.raises(InputError, match="personnes à charge négatif"):
        housing_benefit(zone=1, couple=False, dependants=-1, rent=300, annual_resources=0,
                        when="2025-11")  # fmt: skip


def test_effort_rate_and_reste_a_vivre_by_hand() -> None:
    # Rent 380 − RLS 34.83 + charges 60 − APL 153 = 252.17 € paid; resources 750 €/month.
    cost = net_housing_cost(380.0, 60.0, 153.0, 34.83)
    assert float(cost) == pytest.approx(252.17)
    assert float(effort_rate(380.0, 60.0, 153.0, 750.0, 34.83)) == pytest.approx(252.17 / 750)
    # (750 − 252.17) / 1 UC / 30 days = 16.594 €/UC/day
    assert float(
        reste_a_vivre(380.0, 60.0, 153.0, 750.0, 1.0, 34.83, days_per_month=30)
    ) == pytest.approx((750 - 252.17) / 30)
    # Couple with two children under 14: 1 + 0.5 + 2 × 0.3 = 2.1 UC; 2,000 € resources,
    # cost 600 + 120 − 250 = 470 € → 1,530 / 2.1 / 30 = 24.2857 €/UC/day; effort 23.5 %.
    assert float(reste_a_vivre(600, 120, 250, 2000, 2.1, days_per_month=30)) == pytest.approx(
        1530 / 2.1 / 30
    )
    assert float(effort_rate(600, 120, 250, 2000)) == pytest.approx(0.235)


def test_effort_rate_without_resources() -> None:
    out = effort_rate([300.0, 300.0], [50.0, 0.0], [200.0, 300.0], [0.0, 0.0])
    assert math.isinf(out[0]) and out[1] == 0.0


def test_territory_thresholds() -> None:
    # Default CAL charter (params/solvabilite.yaml, local conventions): 35 %, 12 €/UC/day,
    # 30-day months; the territory file overrides each value it sets.
    charter = Thresholds(max_effort_rate=0.35, min_reste_a_vivre=12.0, days_per_month=30.0)
    assert Thresholds.charter("2025-06-01") == charter
    assert territory_thresholds(None, "2025-06-01") == charter
    frame = pd.DataFrame({"max_effort_rate": [0.3], "min_reste_a_vivre": [10.0]})
    assert territory_thresholds(frame, "2025-06-01") == Thresholds(0.3, 10.0, 30.0)
    frame = pd.DataFrame({"max_effort_rate": [np.nan], "min_reste_a_vivre": [15.0]})
    assert territory_thresholds(frame, "2025-06-01") == Thresholds(0.35, 15.0, 30.0)


def test_charter_defaults_come_from_the_parameters(tmp_path: Path) -> None:
    # A territory without territoire.yaml values follows the parameters, not a Python constant.
    (tmp_path / "solvabilite.yaml").write_text(
        "".join(
            f"{name}:\n  values:\n    2000-01-01: {{value: {value}, reference: test}}\n"
            for name, value in (
                ("taux_effort_max", 0.3),
                ("reste_a_vivre_min", 9.5),
                ("jours_par_mois", 30.5),
            )
        ),
        encoding="utf-8",
    )
    params = default_parameters().merged(load_parameters(tmp_path))
    assert territory_thresholds(None, "2025-06-01", params) == Thresholds(0.3, 9.5, 30.5)


def _pairs_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    households = pd.DataFrame(
        {
            "couple": [False, True, False],
            "dependants": [0, 2, 1],
            "annual_resources": [9000.0, 24000.0, 3000.0],
            "monthly_resources": [750.0, 2000.0, 900.0],
            "units": [1.0, 2.1, 1.3],
        }
    )
    dwellings = pd.DataFrame(
        {
            "zone": [2, 2, 1, 3],
            "rent": [380.0, 650.0, 300.0, 520.0],
            "charges": [60.0, 110.0, 50.0, 90.0],
            "hlm": [True, True, False, True],
        }
    )
    return households, dwellings


def test_affordable_pairs_matches_direct_computation_and_chunking() -> None:
    households, dwellings = _pairs_inputs()
    full = affordable_pairs(households, dwellings, "2025-11")
    tiny = affordable_pairs(households, dwellings, "2025-11", chunk_pairs=1)
    np.testing.assert_array_equal(full, tiny)
    # The single person of the hand example in the first dwelling: effort 33.6 % ≤ 35 % and
    # reste à vivre 16.59 € ≥ 12 € → affordable; with a 30 % threshold it is not.
    assert bool(full[0, 0])
    strict = affordable_pairs(
        households, dwellings, "2025-11", thresholds=Thresholds(0.30, 12.0, 30.0)
    )
    assert not bool(strict[0, 0])
    # Direct check of every pair with the scalar functions.
    for i, h in households.iterrows():
        for j, d in dwellings.iterrows():
            paid, rls = housing_benefit(
                zone=d.zone, couple=h.couple, dependants=h.dependants, rent=d.rent,
                annual_resources=h.annual_resources, when="2025-11", hlm=d.hlm,
            )  # fmt: skip
            e = effort_rate(d.rent, d.charges, paid, h.monthly_resources, rls)
            r = reste_a_vivre(
                d.rent, d.charges, paid, h.monthly_resources, h.units, rls, days_per_month=30
            )
            assert bool(full[int(i), int(j)]) == bool(e <= 0.35 and r >= 12.0)


def test_affordable_pairs_missing_column() -> None:
    households, dwellings = _pairs_inputs()
    with pytest.raises(InputError, match="units"):
        affordable_pairs(households.drop(columns="units"), dwellings, "2025-11")


def test_seven_dependants_use_the_per_extra_increments() -> None:
    # Zone I, November 2025: ceiling 454.10 + 6 × 65.89; R0 = 10,554 + 346 (7th dependant);
    # TF = 1.73 % − 0.06 %; RLS ceiling and amount extended the same way (per-extra amounts).
    d = housing_benefit_detail(
        zone=1, couple=True, dependants=7, rent=2000.0, annual_resources=30000.0, when="2025-11"
    )
    assert float(d.rent_ceiling) == pytest.approx(454.10 + 6 * 65.89)
    assert float(d.r0) == 10554 + 346
    assert float(d.family_rate) == pytest.approx(0.0173 - 0.0006)
    assert float(d.charges_allowance) == pytest.approx(60.59 + 7 * 13.74)
    assert float(d.rls) == pytest.approx(54.14 + 6 * 7.75)


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--zone-apl", "4", "Zone APL inconnue"),
        ("--adultes", "3", "Nombre d'adultes invalide"),
        ("--personnes-14-ans-et-plus", "5", "Nombre de personnes de 14 ans ou plus incohérent"),
    ],
)
def test_cli_rejects_bad_options_in_french(option: str, value: str, problem: str) -> None:
    from typer.testing import CliRunner

    from mixite.cli import app

    args = {
        "--date": "2025-11", "--zone-apl": "2", "--adultes": "1", "--personnes-a-charge": "1",
        "--loyer": "380", "--charges": "60", "--ressources-annuelles": "9000",
    }  # fmt: skip
    args[option] = value
    result = CliRunner().invoke(app, ["solvabilite", *[x for kv in args.items() for x in kv]])
    assert isinstance(result.exception, InputError)
    message = str(result.exception)
    assert problem in message and option in message and f"« {value} »" in message


def test_cli_hors_hlm_and_thresholds() -> None:
    from typer.testing import CliRunner

    from mixite.cli import app

    # Same case as test_rls_only_for_hlm_and_under_ceiling: no RLS, APL 187 €; cost
    # 380 + 60 − 187 = 253 € → effort 253 / 750 = 33,7 %, above a 30 % charter maximum.
    result = CliRunner().invoke(
        app,
        [
            "solvabilite", "--date", "2025-11", "--zone-apl", "2", "--adultes", "1",
            "--personnes-a-charge", "0", "--loyer", "380", "--charges", "60",
            "--ressources-annuelles", "9000", "--hors-hlm", "--taux-effort-max", "0.30",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    nb = "\u00a0"  # French typography: no-break space before « € » and « % »
    assert f"Aide au logement : 187{nb}€" in result.output
    assert f"Réduction de loyer de solidarité (RLS) : 0,00{nb}€" in result.output
    assert f"Taux d'effort : 33,7{nb}%" in result.output
    assert "Logement non abordable selon la charte" in result.output


def test_cli_default_charter_comes_from_the_parameters() -> None:
    from typer.testing import CliRunner

    from mixite.cli import app

    # Without --taux-effort-max / --reste-a-vivre-min the command shows the default charter of
    # params/solvabilite.yaml (35 %, 12 € per UC per day); the help shows no number.
    result = CliRunner().invoke(
        app,
        [
            "solvabilite", "--date", "2025-11", "--zone-apl", "2", "--adultes", "1",
            "--personnes-a-charge", "0", "--loyer", "380", "--charges", "60",
            "--ressources-annuelles", "9000",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "(maximum de la charte : 35,0\u00a0%)" in result.output
    assert "(minimum de la charte : 12,00\u00a0€)" in result.output
    help_text = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["solvabilite", "--help"]).output
    assert "solvabilite.taux_effort_max" in help_text


def _random_cells(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "zone": rng.integers(1, 4, n),
        "couple": rng.random(n) < 0.5,
        "dependants": rng.integers(0, 10, n),  # some above six: per-extra increments
        "rent": np.round(rng.uniform(100, 1500, n), 2),
        "annual_resources": np.round(rng.uniform(0, 45000, n), 2),
        "hlm": rng.random(n) < 0.8,
    }


def _cell_by_cell(cells: dict[str, np.ndarray], scale: AplScale) -> tuple[np.ndarray, np.ndarray]:
    """Reference for the layout tests: one call per cell with scalar inputs."""
    n = len(cells["zone"])
    benefit, rls = np.empty(n), np.empty(n)
    for i in range(n):
        b, r = housing_benefit(**{k: v[i] for k, v in cells.items()}, scale=scale)
        benefit[i], rls[i] = float(b), float(r)
    return benefit, rls


def test_every_input_layout_gives_the_cell_by_cell_result() -> None:
    # The kernel reads broadcast, strided, read-only, Fortran-ordered and multi-dimensional
    # inputs in place; whatever the layout, each cell must equal the scalar computation.
    rng = np.random.default_rng(11)
    scale = apl_scale("2025-11")
    n = 600  # more than two blocks of the kernel
    cells = _random_cells(rng, n)
    ref_benefit, ref_rls = _cell_by_cell(cells, scale)
    long_b, long_r = housing_benefit(**cells, scale=scale)
    np.testing.assert_array_equal(long_b, ref_benefit)
    np.testing.assert_array_equal(long_r, ref_rls)
    # Column vectors (n, 1), every other cell of a longer array, read-only views.
    column = {k: v[:, None] for k, v in cells.items()}
    b, r = housing_benefit(**column, scale=scale)
    assert b.shape == (n, 1)
    np.testing.assert_array_equal(b[:, 0], ref_benefit)
    strided = {k: np.repeat(v, 2)[::2] for k, v in cells.items()}
    frozen = {k: v.copy() for k, v in cells.items()}
    for v in frozen.values():
        v.flags.writeable = False
    for variant in (strided, frozen):
        b, r = housing_benefit(**variant, scale=scale)
        np.testing.assert_array_equal(b, ref_benefit)
        np.testing.assert_array_equal(r, ref_rls)
    assert not frozen["rent"].flags.writeable and cells["rent"].flags.writeable
    # Three dimensions and Fortran order: (2, 3, 100) cells.
    cube = {k: np.asfortranarray(v.reshape(2, 3, 100)) for k, v in cells.items()}
    b, r = housing_benefit(**cube, scale=scale)
    np.testing.assert_array_equal(b.ravel(), ref_benefit)
    np.testing.assert_array_equal(r.ravel(), ref_rls)
    detail = housing_benefit_detail(**cube, scale=scale)
    assert detail.benefit.shape == (2, 3, 100)
    np.testing.assert_array_equal(detail.benefit.ravel(), ref_benefit)
    np.testing.assert_array_equal(detail.rls.ravel(), ref_rls)


def test_pairs_grid_wider_than_a_block_equals_long_arrays() -> None:
    rng = np.random.default_rng(5)
    scale = apl_scale("2024-11")
    n_h, n_d = 7, 700
    h = _random_cells(rng, n_h)
    d = _random_cells(rng, n_d)
    grid = housing_benefit_detail(
        zone=d["zone"][None, :], couple=h["couple"][:, None], dependants=h["dependants"][:, None],
        rent=d["rent"][None, :], annual_resources=h["annual_resources"][:, None],
        hlm=d["hlm"][None, :], scale=scale,
    )  # fmt: skip
    hi, di = np.divmod(np.arange(n_h * n_d), n_d)
    flat = housing_benefit_detail(
        zone=d["zone"][di], couple=h["couple"][hi], dependants=h["dependants"][hi],
        rent=d["rent"][di], annual_resources=h["annual_resources"][hi], hlm=d["hlm"][di],
        scale=scale,
    )  # fmt: skip
    for name in ("rent_ceiling", "resource_base", "rent_rate", "degressivity", "rls", "benefit"):
        values = getattr(grid, name)
        assert values.shape == (n_h, n_d), name
        np.testing.assert_array_equal(values.ravel(), getattr(flat, name), err_msg=name)
    short_b, short_r = housing_benefit(
        zone=d["zone"][None, :], couple=h["couple"][:, None], dependants=h["dependants"][:, None],
        rent=d["rent"][None, :], annual_resources=h["annual_resources"][:, None],
        hlm=d["hlm"][None, :], scale=scale,
    )  # fmt: skip
    np.testing.assert_array_equal(short_b, grid.benefit)
    np.testing.assert_array_equal(short_r, grid.rls)


def test_households_above_six_dependants_side_by_side() -> None:
    # 7 and 8 dependants in one call (zone I, November 2025): each gets its own increments
    # (ceiling 454.10 + k × 65.89 for k dependants beyond the first; charges 60.59 + 13.74 per
    # dependant), the household with 2 dependants between them keeps the listed values.
    d = housing_benefit_detail(
        zone=1, couple=True, dependants=np.array([7, 2, 8]), rent=2000.0,
        annual_resources=30000.0, when="2025-11",
    )  # fmt: skip
    np.testing.assert_allclose(d.rent_ceiling, [454.10 + 6 * 65.89, 454.10 + 65.89,
                                                454.10 + 7 * 65.89])  # fmt: skip
    np.testing.assert_allclose(d.charges_allowance, [60.59 + 7 * 13.74, 60.59 + 2 * 13.74,
                                                     60.59 + 8 * 13.74])  # fmt: skip
    assert d.r0[0] == 10554 + 346 and d.r0[2] == 10554 + 2 * 346


def test_invalid_cell_inside_a_grid_and_empty_inputs() -> None:
    zone = np.array([[1, 2, 5]])  # the third dwelling has no APL zone
    with pytest.raises(InputError, match="Zone APL inconnue") as caught:
        housing_benefit(zone=zone, couple=np.array([[True], [False]]), dependants=0,
                        rent=400.0, annual_resources=1000.0, when="2025-11")  # fmt: skip
    assert "« 5 »" in str(caught.value)
    with pytest.raises(InputError, match="personnes à charge négatif"):
        housing_benefit_detail(zone=1, couple=False, dependants=np.array([0, 3, -2]),
                               rent=400.0, annual_resources=1000.0, when="2025-11")  # fmt: skip
    benefit, rls = housing_benefit(zone=np.zeros(0, dtype=int), couple=False, dependants=0,
                                   rent=400.0, annual_resources=0.0, when="2025-11")  # fmt: skip
    assert benefit.shape == (0,) and rls.shape == (0,)
    with pytest.raises(InputError, match="Zone APL inconnue"):
        housing_benefit(zone=np.array([9]), couple=False, dependants=0,
                        rent=np.zeros(0), annual_resources=0.0, when="2025-11")  # fmt: skip

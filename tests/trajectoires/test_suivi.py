"""The relocations of the imported follow-up flow into the 25 % count outside QPV (« premier
quartile OU relogés », CCH art. L441-1): matching key, no double counting, import in one
transaction with French errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from indicators.indicator_frames import attributions
from mixite.errors import InputError
from mixite.jobs.diagnostic import quotas
from mixite.jobs.importing import ImportPlan, import_files
from mixite.schema import RELOCATION_FOLLOWUP
from mixite.store import Store, import_millesime, pseudonym_of
from mixite.trajectoires.suivi import match_followup

#: Q1 threshold imposed for 2024: 12,000 €/UC/year. One adult alone: 1 UC, so 500 €/month
#: (6,000 €/year) is Q1 and 2,000 €/month (24,000 €/year) is not.
THRESHOLD = {"2024": 12000}
Q1, NOT_Q1 = 500.0, 2000.0


def _attributions() -> pd.DataFrame:
    rows = [
        # ten leases outside QPV in 2024: a0 and a1 Q1, the others not
        *(
            {
                "attribution_id": f"a{i}",
                "application_id": f"APP{i}",
                "dwelling_id": f"D{i}",
                "monthly_resources": Q1 if i < 2 else NOT_Q1,
            }
            for i in range(10)
        ),
        # two leases in QPV: outside the denominator of the 25 %
        {"attribution_id": "q0", "application_id": "APPQ0", "dwelling_id": "DQ0", "in_qpv": True},
        {"attribution_id": "q1", "application_id": "APPQ1", "dwelling_id": "DQ1", "in_qpv": True},
    ]
    frame = attributions(rows)
    # a9's dwelling is not given: only its pseudonym and lease date can match it
    frame["dwelling_id"] = frame["dwelling_id"].astype(object)
    frame.loc[frame["attribution_id"] == "a9", "dwelling_id"] = None
    return frame


def _store(tmp_path: Path) -> Path:
    base = tmp_path / "t.duckdb"
    territory = pd.DataFrame(
        [
            {
                "name": "Test",
                "epci": "200000000",
                "q1_reference_epci": "200000000",
                "q1_overrides": json.dumps(THRESHOLD),
                "max_effort_rate": None,
                "min_reste_a_vivre": None,
            }
        ]
    )
    import_millesime(base, 2025, {"attributions": _attributions(), "territory": territory})
    return base


def _household(i: int) -> str:
    """A pseudonym as ``mixite reloger`` writes them (32 hex digits)."""
    return f"{i:032x}"


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    headers = [c.header for c in RELOCATION_FOLLOWUP.columns]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, headers, delimiter=";")
        writer.writeheader()
        for row in rows:
            writer.writerow({"operation": "OP1", "statut": "reloge", "nb_refus": "0", **row})
    return path


def _import(base: Path, file: Path) -> None:
    import_files(base, 2025, ImportPlan({"relocation_followup": file}))


def _epci_q1(base: Path) -> pd.Series:
    with Store(base) as store:
        table = quotas(store, 2024).table
    row = table[(table["level"] == "epci") & (table["indicator"] == "q1_hors_qpv")]
    return row.iloc[0]


def test_a_relocation_of_the_followup_counts_in_the_25_percent(tmp_path: Path) -> None:
    base = _store(tmp_path)
    before = _epci_q1(base)
    # 2 Q1 among 10 leases outside QPV: 20 %
    assert (before["numerator"], before["denominator"]) == (2, 10)
    rows = [
        # a2 (not Q1) rehoused: same dwelling and lease date
        {"id_menage": _household(2), "logement_attribue": "D2", "date_bail": "2024-06-01"},
        # a0 is Q1 and rehoused: counted once
        {"id_menage": _household(0), "logement_attribue": "D0", "date_bail": "2024-06-01"},
        # same dwelling as a3 but another lease date: not a3's lease
        {"id_menage": _household(3), "logement_attribue": "D3", "date_bail": "2023-02-01"},
        # a household still waiting: counts for nothing
        {"id_menage": _household(4), "statut": "proposition1", "logement_propose": "D4"},
    ]
    _import(base, _write(tmp_path / "suivi.csv", rows))
    after = _epci_q1(base)
    # hand count: a0, a1 (Q1) + a2 (rehoused) = 3 of 10 outside QPV → 30 %
    assert (after["numerator"], after["denominator"]) == (3, 10)
    assert after["share"] == pytest.approx(0.3)


def test_flag_and_followup_do_not_count_twice() -> None:
    frame = _attributions()
    # a5 was already imported with the relocation flag, and is also rehoused in the follow-up
    frame.loc[frame["attribution_id"] == "a5", "npnru_relocation"] = True
    match = match_followup(
        frame,
        pd.DataFrame(
            {
                "household_id": ["h5", "h6"],
                "status": ["reloge", "reloge"],
                "dwelling_id": ["D5", "D6"],
                "lease_date": pd.to_datetime(["2024-06-01", "2024-06-01"]),
            }
        ),
    )
    # a0, a1 (Q1), a5 (flag and follow-up), a6 (follow-up): hand count 4 of 10 → 40 %
    outside = ~frame["in_qpv"].to_numpy(dtype=bool)
    relocated = match.relocated
    assert relocated.sum() == 2 and match.matched == 2
    q1 = frame["monthly_resources"].to_numpy() == Q1
    assert int((outside & (q1 | relocated)).sum()) == 4


def test_matching_by_pseudonym_when_the_dwelling_is_missing(tmp_path: Path) -> None:
    base = _store(tmp_path)
    # the MOUS used the SNE number as household identifier: same pseudonym as a9's application
    pseudonym = pseudonym_of(base, "APP9")
    assert pseudonym is not None
    rows = [{"id_menage": pseudonym, "logement_attribue": "D99", "date_bail": "2024-06-01"}]
    _import(base, _write(tmp_path / "suivi.csv", rows))
    after = _epci_q1(base)
    assert (after["numerator"], after["denominator"]) == (3, 10)


def test_one_relocation_matches_one_attribution() -> None:
    frame = attributions(
        [
            {"attribution_id": "b", "application_id": "x", "dwelling_id": "D1"},
            {"attribution_id": "a", "application_id": "y", "dwelling_id": "D1"},
        ]
    )
    followup = pd.DataFrame(
        {
            "household_id": ["h"],
            "status": ["reloge"],
            "dwelling_id": ["D1"],
            "lease_date": pd.to_datetime(["2024-06-01"]),
        }
    )
    match = match_followup(frame, followup)
    # two leases of one dwelling on one day (a duplicate): the relocation takes the first
    assert match.relocated.tolist() == [False, True]
    assert match.matches["attribution_id"].tolist() == ["a"]


def test_a_rehoused_household_without_lease_is_refused_and_nothing_written(
    tmp_path: Path,
) -> None:
    base = _store(tmp_path)
    rows = [
        {"id_menage": _household(2), "logement_attribue": "D2", "date_bail": "2024-06-01"},
        {"id_menage": _household(3), "logement_attribue": "D3", "date_bail": ""},
    ]
    with pytest.raises(InputError) as caught:
        _import(base, _write(tmp_path / "suivi.csv", rows))
    text = str(caught.value)
    assert "suivi.csv" in text and "ligne 3" in text and "date_bail" in text
    with Store(base) as store:
        assert store.millesimes("relocation_followup") == []
    assert _epci_q1(base)["numerator"] == 2


def test_an_identifier_in_clear_is_refused(tmp_path: Path) -> None:
    base = _store(tmp_path)
    rows = [{"id_menage": "ENQ-0001", "logement_attribue": "D2", "date_bail": "2024-06-01"}]
    with pytest.raises(InputError) as caught:
        _import(base, _write(tmp_path / "suivi.csv", rows))
    text = str(caught.value)
    assert "ligne 2" in text and "ENQ-0001" in text and "pseudonyme" in text

"""Dated legal parameters: strict loading and lookup by date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mixite.errors import ParameterError
from mixite.params import default_parameters, load_parameters, param


def test_q1_quota_is_25_percent_with_its_article() -> None:
    # CCH L441-1 as amended by loi 2017-86 art. 70 (docs/droit.md §2.1 (Objectif hors QPV)): 25 %.
    value = default_parameters().get("quotas.q1_hors_qpv", "2025-06-01")
    assert value.value == 0.25
    assert "L441-1" in value.reference


def test_no_value_before_the_law() -> None:
    with pytest.raises(ParameterError, match="pas de valeur au 2016-01-01"):
        param("quotas.q1_hors_qpv", "2016-01-01")


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "a:\n  values:\n    2020-01-01: {value: 1, reference: r}\n"
        "a:\n  values:\n    2020-01-01: {value: 2, reference: r}\n",
        encoding="utf-8",
    )
    with pytest.raises(ParameterError, match="en double"):
        load_parameters(tmp_path)


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "a:\n  valeur: 3\n  values:\n    2020-01-01: {value: 1, reference: r}\n", encoding="utf-8"
    )
    with pytest.raises(ParameterError, match="clé inconnue « valeur »"):
        load_parameters(tmp_path)


def test_value_without_reference_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "a:\n  values:\n    2020-01-01: {value: 1}\n", encoding="utf-8"
    )
    with pytest.raises(ParameterError, match="reference"):
        load_parameters(tmp_path)


def test_value_changes_at_its_date(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "a:\n  values:\n    2020-01-01: {value: 1, reference: r1}\n"
        "    2021-07-01: {value: 2, reference: r2}\n",
        encoding="utf-8",
    )
    params = load_parameters(tmp_path)
    assert params.value("x.a", "2021-06-30") == 1
    assert params.get("x.a", dt.date(2021, 7, 1)).reference == "r2"


def test_every_parameter_file_is_documented() -> None:
    # docs/parametres.md lists every file of the one parameter home, law and conventions alike.
    from mixite.params import PARAMS_DIR

    doc = (Path(__file__).resolve().parents[1] / "docs" / "parametres.md").read_text("utf-8")
    missing = [p.name for p in sorted(PARAMS_DIR.glob("*.yaml")) if f"`{p.name}`" not in doc]
    assert missing == []


def test_none_means_the_packaged_parameters(tmp_path: Path) -> None:
    from mixite.params import resolve

    assert resolve(None) is default_parameters()
    (tmp_path / "quotas.yaml").write_text(
        "q1_hors_qpv:\n  values:\n    2017-01-28: {value: 0.3, reference: test}\n",
        encoding="utf-8",
    )
    own = load_parameters(tmp_path)
    assert resolve(own) is own
    merged = default_parameters().merged(own)
    assert merged.value("quotas.q1_hors_qpv", "2025-01-01") == 0.3
    assert merged.value("quotas.non_q1_en_qpv", "2025-01-01") == 0.5  # kept from the package

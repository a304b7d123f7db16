"""The twin's assumptions table: complete, well-formed, and read from the generator's parameters."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kuailive_analysis.twin import TwinParams, assumptions as TA


def test_every_row_has_a_component_a_claim_evidence_and_a_valid_status():
    table = TA.assumptions_table()
    assert list(table.columns) == ["Component", "What the twin plants", "Evidence", "Status"]
    assert len(table) >= 30
    assert set(table["Status"]) == {"evidence", "assumption"}
    for col in table.columns:
        assert table[col].str.len().min() > 3, col
    # no relationship is listed twice
    assert not table["What the twin plants"].duplicated().any()


def test_every_generator_component_is_covered():
    comps = set(TA.assumptions_table()["Component"])
    for c in (
        "sample",
        "users",
        "calendar",
        "exposures",
        "clicks",
        "watch",
        "engagement",
        "gifts",
        "rooms",
        "profiles",
    ):
        assert c in comps, c


def test_assumptions_without_evidence_say_so():
    t = TA.assumptions_table()
    a = t[t["Status"] == "assumption"]
    assert a["Evidence"].str.contains("assumption|no evidence", case=False).all()


def test_numbers_in_the_table_are_the_generator_defaults():
    text = " ".join(TA.assumptions_table()["What the twin plants"])
    p = TwinParams()
    assert f"{p.p_hidden:.1%} of clicks are not logged" in text
    assert f"thinned to {p.dip_keep:.0%}" in text
    assert f"Poisson({p.gift_extra_mu:g}) gifts" in text
    assert " / ".join(f"{x:.2f}" for x in p.week_trend) in text


def test_a_bad_status_is_rejected(monkeypatch):
    bad = replace(TA.ASSUMPTIONS[0], status="maybe")
    monkeypatch.setattr(TA, "ASSUMPTIONS", (bad,))
    with pytest.raises(ValueError, match="status"):
        TA.assumptions_table()

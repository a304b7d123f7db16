"""Chapter 4's result (ltv.analyse -> LTVResult: sections, glued values, titles, findings,
text) against the notebook's prose and the data, without executing the notebook."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis import ltv
from kuailive_analysis.ltv import evaluate as E, text
from kuailive_analysis.ltv.analysis import watching_section
from kuailive_analysis.ltv.summary import transaction_tables
from kuailive_analysis.report.glue import text_value

NOTEBOOK = Path(__file__).parents[2] / "book" / "chapters" / "04_ltv.ipynb"


def _cells(kind: str) -> list[str]:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == kind and "parameters" not in c["metadata"].get("tags", [])
    ]


def _prose_keys() -> dict[str, set[str]]:
    """Glue keys the chapter's markdown reads -> the format specs it reads them with."""
    out: dict[str, set[str]] = {}
    for cell in _cells("markdown"):
        for key, spec in re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)(?::([^`]*))?`", cell):
            out.setdefault(key, set()).add(spec)
    return out


def test_numbers_are_exactly_the_glue_keys_of_the_prose(result):
    keys = _prose_keys()
    numbers = result.numbers()
    assert set(numbers) == set(keys)
    for key, specs in keys.items():
        value = numbers[key]
        if isinstance(value, tuple):  # glued pre-formatted: the prose reads it without a spec
            assert specs == {""} and isinstance(value[0], float), key
            continue
        for spec in specs - {""}:
            assert not isinstance(value, (np.generic, pd.Series)), key
            if spec.endswith("d"):
                assert isinstance(value, int), (key, value)
            format(value, spec)  # the spec of the prose applies to the value


def test_every_figure_of_the_prose_is_glued_by_the_notebook():
    figures = set(re.findall(r"\{glue:figure\}\s+([A-Za-z0-9_]+)", "\n".join(_cells("markdown"))))
    glued = set(re.findall(r"\bg\(\s*\"([A-Za-z0-9_]+)\"", "\n".join(_cells("code"))))
    assert figures and figures == glued


def test_notebook_is_thin():
    code = _cells("code")
    text = "\n".join(code)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) <= 60
    assert text.count("ltv.analyse(") == 1 and "glue_all(res.numbers())" in text
    for banned in (
        r"^\s*def ",
        r"^\s*class ",
        r"^\s*for ",
        r"^\s*while ",
        r"\bf\"",
        r"\bf'",
        r"\.iloc\b",
        r"\b21\b",
    ):
        assert not re.search(banned, text, re.MULTILINE), banned


def test_split_and_window_length_come_from_the_calendar(result):
    from kuailive_analysis.core.calendar import N_WINDOW_DAYS

    p = result.params
    n = result.numbers()
    assert (n["last_cal_day"], n["holdout_days"], n["grid_T"]) == (13, N_WINDOW_DAYS - 14, 13)
    gift, watch = result.cohorts.gift, result.cohorts.watch
    assert p.holdout_days == gift.holdout_days == watch.holdout_days
    assert (gift.table["duration_holdout"] == p.holdout_days).all()
    assert list(result.checks.expected_grid.index) == list(range(min(p.grid_T, 12) + 1))
    assert ltv.Params(calibration_days=10).holdout_days == N_WINDOW_DAYS - 10
    with pytest.raises(ValueError, match="calibration_days"):
        ltv.Params(calibration_days=N_WINDOW_DAYS)
    with pytest.raises(TypeError):
        ltv.Params(calibration_dayz=10)


def test_holdout_totals_equal_the_data(result, twin_ds):
    gift_days, _ = transaction_tables(twin_ds.table("user_day"))
    cohort = gift_days[gift_days["user_id"].isin(result.cohorts.gift.table.index)]
    hold = cohort[cohort["day"] >= result.params.calibration_days]
    n_days = hold[["user_id", "day"]].drop_duplicates().shape[0]
    acc, forecasts = result.checks.accuracy, result.checks.forecasts
    assert (acc.xs("transactions")["total_actual"] == n_days).all()
    assert acc.xs("value")["total_actual"].to_numpy() == pytest.approx(
        hold["gift_value"].sum(), rel=1e-12
    )
    assert result.numbers()["track_actual_hold"] == n_days  # every holdout day is a repeat
    # the model's total over the holdout is the tracking table's, not a second computation
    assert acc.loc[("transactions", "BG/NBD"), "total_predicted"] == pytest.approx(
        forecasts[("transactions", "BG/NBD")].sum()
    )
    assert list(forecasts.index) == list(result.cohorts.gift.table.index)


def test_clv_intervals_contain_the_estimate(result):
    value = result.value
    boot = value.bootstrap
    n = result.numbers()
    assert boot.n_boot + boot.n_failed == result.params.n_boot == 100
    assert (n["n_boot_ok"], n["n_boot_failed"]) == (boot.n_boot, boot.n_failed)
    assert n["clv_total_lo"] <= n["clv_total"] <= n["clv_total_hi"]
    assert n["clv_total"] == pytest.approx(value.clv.sum())
    pu = boot.per_user
    assert (pu["clv_low"] <= pu["clv_high"]).all()
    tol = 1e-9 * pu["clv"]
    inside = (pu["clv_low"] - tol <= pu["clv"]) & (pu["clv"] <= pu["clv_high"] + tol)
    assert inside.all()
    np.testing.assert_allclose(value.predictions["clv"], value.clv)
    top = value.top_users
    assert len(top) == result.params.top_n and top["clv"].is_monotonic_decreasing


def test_result_is_reproducible_and_carries_nothing_in_attrs(result, twin_ds):
    again = ltv.analyse(twin_ds).numbers()
    first = result.numbers()
    assert {k: v for k, v in again.items() if not k.startswith("time_")} == {
        k: v for k, v in first.items() if not k.startswith("time_")
    }
    c, v = result.checks, result.value
    for frame in (c.histogram, c.by_frequency, c.tracking, c.forecasts, c.accuracy):
        assert not frame.attrs
    for frame in (result.watching.accuracy, v.predictions, v.top_users, v.bootstrap.per_user):
        assert not frame.attrs
    assert not result.cohorts.gift.table.attrs


def test_text_when_the_watch_fit_fails(result):
    ws = result.cohorts.watch.table
    failed = watching_section(result.cohorts.watch, None, "no optimum.", result.params.max_freq)
    n = failed.numbers()
    assert text_value(*n["watch_mae_bg"]) == "n/a" and failed.histogram is None
    assert n["watch_note"] == "The fit fails: no optimum."
    inline = (
        E.baseline_predictions(ws, result.params.holdout_days)["past_rate"]
        .sub(ws["frequency_holdout"])
        .abs()
        .mean()
    )  # the notebook's former inline metric
    assert n["watch_mae_past"] == pytest.approx(inline, rel=1e-12)
    assert list(failed.accuracy.index.get_level_values("method")) == [
        "past rate",
        "pooled rate",
    ]
    from kuailive_analysis.plots import ltv as P

    assert P.plot_frequency_histogram(None, "watching days") is not None
    # with a fit, the same builder gives the chapter's section
    again = watching_section(
        result.cohorts.watch, result.watching.model, "", result.params.max_freq
    )
    assert again.numbers() == result.watching.numbers()


def test_findings_gate_the_ltv_headline(result):
    from kuailive_analysis.chapter.findings import headline_refusal, headlines
    from kuailive_analysis.ltv import compare as C

    fs = {f.key: f for f in result.findings()}
    assert {"ltv_value", "ltv_ranking", "bg_frequency_fit", "bg_holdout_days", "gg_mean"} <= set(fs)
    assert "ziln_training_total" in fs
    for f in fs.values():
        assert f.subject and f.check_type == "test" and f.would_fail and f.question, f.key
        assert not f.tuned and f.origin == "method", f.key
        assert (f.status == "validated") or (f.reason and not f.action), f.key
        assert f.kind == ("claim" if f.key.startswith("ltv_") else "method check"), f.key
    v, r = fs["ltv_value"], fs["ltv_ranking"]
    assert v.headline and r.headline and v.subject == "money" and r.subject == "users"
    c = result.choice.comparison
    if c.winner.method is None:
        assert v.status == r.status == "failed" and v.reason == c.winner.reason
        assert not headlines([v, r], twin=True) and v.value is None and not r.action
    else:
        assert v.status == "validated" and not headline_refusal(v, twin=True)
        assert c.winner.method in v.statement and c.winner.method in v.would_fail
        assert (v.value, *v.interval) == pytest.approx(result.choice.ltv_value)
        assert r.evidence["model"] == c.winner.method
    # without a winner: no value and no targeting by a rejected model, open questions instead
    lost = dataclasses.replace(
        c, winner=C.Winner(None, (), C.BG, C.RUN_RATE, "No model passes the rule."), forward=None
    )
    choice = dataclasses.replace(result.choice, comparison=lost, ltv_value=None)
    bad = {f.key: f for f in dataclasses.replace(result, choice=choice).findings()}
    for key in ("ltv_value", "ltv_ranking"):
        f = bad[key]
        assert f.status == "failed" and not f.action and f.value is None, key
        assert f.question.endswith("?") and headline_refusal(f, twin=True)
    # with a winner the headline is validated, states the value per user over the horizon and
    # carries an action; its interval divides by the holdout total-ratio interval
    won = dataclasses.replace(
        c,
        winner=C.Winner(C.GBM, (C.GBM,), C.GBM, C.RUN_RATE, "it wins."),
        forward=pd.Series([10.0, 20.0, 30.0]),
    )
    value = C.per_user_value(won, result.params.horizon_days)
    choice = dataclasses.replace(result.choice, comparison=won, ltv_value=value)
    ok = {f.key: f for f in dataclasses.replace(result, choice=choice).findings()}
    okv = ok["ltv_value"]
    assert okv.status == "validated" and okv.action and okv in headlines([okv], twin=True)
    ratio = c.scores.estimate("total_ratio")[C.GBM]
    assert okv.value == pytest.approx(20.0 * result.params.horizon_days / c.horizon / ratio)
    assert okv.interval[0] <= okv.value <= okv.interval[1]
    assert "gradient boosting" in okv.statement and okv.unit == "coins per user"
    assert "had reached 0" in okv.would_fail and "0.5 to 2" in okv.would_fail
    # the landing table shows the number: the statement does not repeat it
    assert f"{okv.value:,.0f}" not in okv.statement
    rank = ok["ltv_ranking"]
    d = c.scores.difference("top10_capture", C.GBM, C.RUN_RATE)
    assert (rank.status == "validated") == (d["low"] > 0)
    if rank.status == "validated":
        assert "top 10% of users by Poisson gradient boosting" in rank.action


def test_degenerate_gamma_gamma_is_reported(result):
    fs = {f.key: f for f in result.findings()}
    q, boot = result.fits.gg.params_["q"], result.value.bootstrap
    assert (fs["gg_mean"].status == "validated") == (q > 1)
    n = result.numbers()
    assert n["n_boot_degenerate"] == int((boot.replicates["q"] <= 1).sum())
    if q <= 1:
        assert "infinite" in n["gg_mean_note"] and "sample mean" in fs["gg_mean"].reason
        assert f"{boot.n_failed} of {result.params.n_boot}" in fs["gg_mean"].reason


def test_titles_and_the_planted_text(result):
    t = result.titles
    assert all(isinstance(v, str) and v for v in dataclasses.astuple(t))
    assert f"{result.checks.fit_test.misallocated:.1%} of users" in t.histogram
    assert f"{result.value.clv_top1:.0%}" in t.concentration
    assert result.numbers()["rec_intro"] == text.planted(result.source.is_twin)
    assert text.planted(True).startswith("This twin plants no BG/NBD process")
    assert text.planted(False).startswith("This data folder is not a synthetic twin")


def test_penalty_and_fit_texts(result, cdnow, cdnow_bg):
    assert text.penalty(cdnow_bg, "BG/NBD") == text.INTERIOR
    ridge = ltv.BetaGeo().fit(cdnow["x"], cdnow["t_x"], cdnow["T"], penalizer=0.01)
    assert "ridge penalty (0.01)" in text.penalty(ridge, "BG/NBD")
    assert text.watch_fit(ridge, "").endswith(text.penalty(ridge, "BG/NBD"))
    assert text.mbg(None, cdnow_bg, "why") == "MBG/NBD could not be fitted: why"
    ft = dataclasses.replace(result.checks.fit_test, p_value=0.5)
    assert text.fit_test(ft).endswith("within chance.")
    assert text.truncation(None, 14).startswith("The data has no registration dates")

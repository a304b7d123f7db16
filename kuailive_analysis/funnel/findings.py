"""Chapter 5's findings (:meth:`FunnelResult.findings`): each claim with its check, made with the
kit's :func:`~kuailive_analysis.chapter.findings.finding` (status, reason and action rules; the
headline policy decides which are headlines).

Checks:

* **KPIs** (CTR, GTR): a precision gate, not a test: the share is reported as precise when
  its user-resampled 95% interval is at most :data:`PRECISION` of the share wide on either
  side. On the twin both are values the generator was tuned to (``tuned``): labelled, never
  headlined; on real data they are data values, still not headlines (no check could fail).
* **Decisions** (:data:`~kuailive_analysis.predict.tasks.DECISIONS`): gradient boosting
  against the baseline the decision would otherwise use, validated only when the paired
  user-bootstrap interval of the difference excludes zero: ranking one user's feed within
  users (UAUC) against the streamer's past CTR; choosing who sees gifting prompts across clicks
  (AUC) against the user's own past GTR; ordering one user's rooms by gift chance within users
  (UAUC) against the streamer's past GTR.
* **Leak audit** (a method check of type QA): validated when no feature the models use is
  built from data at or after its row's time, by construction and on recomputation from
  earlier days only (:mod:`kuailive_analysis.predict.leaks`).
* **Calibration**: validated when the expected calibration error (10 equal-count bins) is at
  most :data:`CALIBRATION_TOLERANCE` of the test base rate.
* **Gifts per click over time**: validated when the interval of the change from the first to
  the last UTC period excludes zero. On the twin the rise is planted and its size tuned to the
  real files (``origin="planted"``, ``tuned``).

Where a check fails for lack of precision, the reason gives the minimum detectable effect at
80% power (:mod:`.intervals`), not the interval's width.
"""

from __future__ import annotations

import math
from functools import partial

from kuailive_analysis.chapter.findings import Finding, finding
from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.funnel.intervals import POWER
from kuailive_analysis.predict.tasks import DECISIONS, TASKS

__all__ = ["CALIBRATION_TOLERANCE", "PRECISION", "funnel_findings"]

_finding = partial(finding, ChapterId.FUNNEL)
CALIBRATION_TOLERANCE = 0.1
"""A model counts as calibrated when ECE <= this share of the test base rate."""
PRECISION = 0.25
"""A KPI share counts as precise when its user-resampled 95% interval reaches at most this
share of the value on either side (28% +- 7 points would just pass)."""


def _ok(*xs) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


KPI_TEXT = {
    "ctr": (
        "Users click this share of the exposures they are shown (interval: users resampled).",
        "What share of exposures do users click?",
    ),
    "gtr": (
        "This share of clicks carries a gift (interval: users resampled).",
        "What share of clicks carry a gift?",
    ),
}
"""Per KPI: the statement (no number: the value and interval fields carry it) and the open
question."""


def kpi_findings(res) -> list[Finding]:
    out = []
    twin = res.source.is_twin
    for key, (statement, question) in KPI_TEXT.items():
        c = res.kpis.clustered.loc[key]
        v, lo, hi = float(c["value"]), float(c["boot_lo"]), float(c["boot_hi"])
        ok = _ok(v, lo, hi)
        half = (hi - lo) / 2 if ok else float("nan")
        precise = ok and half <= PRECISION * v
        action = ""
        if key == "ctr":
            k = res.kpis
            action = (
                f"Power experiments on the room card (cover, title), where the funnel loses the "
                f"most exposures ({res.steps.biggest_loss_share:.1%} at the "
                f"{res.steps.biggest_loss_step} step), on users: a test that splits these "
                f"users in half detects a CTR change of {k.mde_ctr_users * 100:.1f} points at "
                f"{POWER:.0%} power (two-sided 5%), not the {k.mde_ctr_independent * 100:.2f} "
                "points that exposures treated as independent would promise."
            )
        out.append(
            _finding(
                f"{key}_kpi",
                statement if ok else f"{key.upper()} cannot be estimated on this data.",
                check=f"the user-resampled 95% interval of the share reaches at most "
                f"{PRECISION:.0%} of the share on either side",
                passed=precise if ok else None,
                reason=(
                    f"its interval reaches {half / v:.0%} of the share on either side"
                    if ok
                    else "too few users or events for a user-resampled interval"
                ),
                action=action,
                value=v if _ok(v) else None,
                unit="share",
                interval=(lo, hi) if ok else None,
                level=res.params.conf,
                evidence={"boot_lo": lo, "boot_hi": hi, "width_ratio": float(c["width_ratio"])},
                origin="data",
                subject="users",
                check_type="precision",
                would_fail=f"its user-resampled 95% interval had reached more than "
                f"{PRECISION:.0%} of the share on either side",
                tuned=twin,
                question=question,
            )
        )
    return out


DECISION_FINDINGS = {
    "feed": (
        "ctr_feed_ranking",
        True,
        "Within each user's feed, the click model orders rooms better than the {base}.",
        "Does a click model order the rooms of one user's feed better than the {base}?",
    ),
    "prompt": (
        "gtr_gift_prompts",
        True,
        "The gift model picks the clicks that end in a gift better than the {base}.",
        "Does a gift model pick the clicks that end in a gift better than the {base}?",
    ),
    "rooms": (
        "gtr_within_user",
        False,
        "Within each user, the gift model orders rooms by their chance of a gift better than "
        "the {base}.",
        "Does a gift model order one user's rooms by their chance of a gift better than the "
        "{base}?",
    ),
}
"""Per decision: the finding's key, whether it is proposed as a headline, its statement
(no number: the value and interval fields carry it) and its open question."""

SCOPE = {"auc": "AUC", "uauc": "within-user AUC (UAUC)", "gauc": "GAUC"}


def _iv(c: dict, met: str) -> str:
    """``+0.024 UAUC (95% interval +0.019 to +0.029)`` of a comparison's difference."""
    d, lo, hi = (c[f"diff_{met}{s}"] for s in ("", "_lo", "_hi"))
    return f"{d:+.3f} {met.upper()} (95% interval {lo:+.3f} to {hi:+.3f})"


def _action(key: str, c: dict, res, validated: dict) -> str:
    """What a product team could do with a validated decision finding."""
    k = res.kpis
    if key == "feed":
        return (
            f"Rank each user's feed by the click model's score rather than by the "
            f"{c['baseline']}: within a user's feed it orders rooms better by {_iv(c, 'uauc')} "
            f"and {_iv(c, 'gauc')} on held-out days. Confirm with an A/B test on CTR before "
            f"rollout, since an AUC gain does not translate one to one into clicks: split in "
            f"half, these users detect a CTR change of {k.mde_ctr_users * 100:.1f} points at "
            f"{POWER:.0%} power."
        )
    if key == "prompt":
        rooms = (
            "; it also orders one user's rooms better than the streamer's past GTR"
            if validated.get("rooms")
            else "; use it to choose users, not to reorder one user's rooms (within a user it "
            "is not shown to beat the streamer's past GTR)"
        )
        return (
            f"Choose which users see gifting prompts by the gift model's score rather than by "
            f"the {c['baseline']}: {_iv(c, 'auc')} on held-out days{rooms}. Confirm with an "
            f"A/B test on gifts per click: split in half, these users detect a GTR change of "
            f"{k.mde_gtr_users * 100:.2f} points at {POWER:.0%} power."
        )
    return (
        f"Order a gifter's rooms by the gift model rather than by the {c['baseline']}: "
        f"{_iv(c, 'uauc')} within users on held-out days."
    )


def decision_findings(res) -> list[Finding]:
    p = res.prediction
    comps = {d.key: p.comparison(d.key) for d in DECISIONS}
    # a missing interval (NaN) compares False: not validated
    validated = {d.key: comps[d.key].get(f"diff_{d.metric}_lo", math.nan) > 0 for d in DECISIONS}
    out = []
    for d in DECISIONS:
        key, headline, statement, question = DECISION_FINDINGS[d.key]
        c, met = comps[d.key], d.metric
        base = {k: n for k, n, _ in TASKS[_task_name(d.task)].baselines}[d.baseline]
        name = SCOPE[met]
        check = (
            f"paired user-bootstrap 95% interval of the {name} difference (gradient boosting "
            f"minus the {base}, test days) excludes zero"
        )
        common = {
            "check": check,
            "kind": "claim",
            "subject": "product",
            "check_type": "test",
            "would_fail": f"the paired interval of the {name} gain over the {base} had "
            "included zero",
            "question": question.format(base=base),
            "headline": headline,
        }
        d_, lo, hi = (c.get(f"diff_{met}{s}", float("nan")) for s in ("", "_lo", "_hi"))
        if not c or not _ok(d_, lo, hi):
            note = p.info.loc[_task_name(d.task), "note"] or "too few test users with both classes"
            out.append(_finding(key, statement.format(base=base), passed=None, reason=note,
                                **common))  # fmt: skip
            continue
        where = "lies below zero" if hi < 0 else "includes zero"
        out.append(
            _finding(
                key,
                statement.format(base=base),
                passed=lo > 0,
                reason=f"the interval of the {name} difference, {lo:+.3f} to {hi:+.3f}, {where}",
                action=_action(d.key, c, res, validated),
                value=float(d_),
                unit=met.upper(),
                interval=(float(lo), float(hi)),
                level=p.conf,
                evidence={
                    **{
                        f"{w}_{m}": float(c[f"{w}_{m}"])
                        for w in ("model", "baseline")
                        for m in ("auc", "uauc", "gauc")
                    },
                    **{
                        f"diff_{m}{s}": float(c[f"diff_{m}{s}"])
                        for m in ("auc", "uauc", "gauc")
                        for s in ("", "_lo", "_hi")
                    },
                    "baseline": base,
                    "n_boot": int(c.get("n_boot", 0)),
                },  # fmt: skip
                **common,
            )
        )
    return out


def _task_name(short: str) -> str:
    return next(n for n, t in TASKS.items() if t.key == short)


def leak_finding(res) -> Finding:
    p = res.prediction
    checked = p.leak_rows_checked > 0
    used = {c for cols in p.info["features"] for c in str(cols).split(", ") if c}
    leaks_used = sorted(used & set(p.audit.loc[p.audit["leak"] == "yes", "column"]))
    clean = checked and p.leak_max_change == 0 and not leaks_used
    left_out = (
        f"; the {p.leak_features}, a profile snapshot from the end of the window, are left out "
        "as a leak"
        if p.leak_features != "none"
        else ""
    )
    statement = (
        "The models use no feature built from data at or after the row's time: recomputed from "
        f"earlier days only with the day's labels flipped, {p.leak_text}{left_out}."
    )
    reason = (
        "no test rows to recompute the features on"
        if not checked
        else f"recomputed from earlier days only, {p.leak_text}"
        + (f"; the models use the leaking {', '.join(leaks_used)}" if leaks_used else "")
    )
    return _finding(
        "leak_audit",
        statement,
        check="each feature's time bound by construction, and its recomputation from the rows "
        f"up to the row's day with that day's labels flipped, on {p.leak_check_days}",
        passed=clean if checked else None,
        reason=reason,
        evidence={
            "max_change": p.leak_max_change,
            "rows_checked": p.leak_rows_checked,
            "leaks": p.leak_features,
        },  # fmt: skip
        kind="method check",
        subject="product",
        check_type="qa",
        would_fail="a feature the models use had been built from data at or after its row's "
        "time, or had changed when recomputed from earlier days only",
        question="Do the models use only what is known before each exposure?",
    )


def calibration_findings(res) -> list[Finding]:
    p = res.prediction
    out = []
    check = (
        f"expected calibration error (10 equal-count bins) at most "
        f"{CALIBRATION_TOLERANCE:.0%} of the test base rate"
    )
    for task, ev in p.evaluations.items():
        t = task.split()[0]
        what = "click" if t == "CTR" else "gift"
        common = {
            "check": check,
            "subject": "product",
            "would_fail": f"its expected calibration error had exceeded "
            f"{CALIBRATION_TOLERANCE:.0%} of the test base rate",
            "question": f"Can the {what} model's probabilities be used as rates (in a bid or a "
            "budget) on later days without recalibration?",
        }
        key = f"{t.lower()}_calibration"
        ece, base = ev.ece, float(p.info.loc[task, "base_rate_test"])
        if not _ok(ece, base) or base <= 0:
            out.append(_finding(key, f"The {what} model's probabilities were not evaluated.",
                                passed=None, reason="the task was skipped or its test part has "
                                "a single class", **common))  # fmt: skip
            continue
        out.append(
            _finding(
                key,
                f"The {what} model's predicted probabilities match the observed rate on later "
                "days (value: their mean absolute gap, the expected calibration error).",
                passed=ece <= CALIBRATION_TOLERANCE * base,
                reason=f"the {what} model is off by {ece * 100:.2f} points on average, "
                f"{ece / base:.0%} of the {base:.2%} test base rate (train and test base "
                "rates differ and the model is not recalibrated): use its ranking, not "
                "its probabilities",
                value=float(ece),
                unit="share",
                evidence={"ece": float(ece), "base_rate_test": base},
                **common,
            )
        )
    return out


def trend_finding(res) -> Finding:
    g = res.trends.gift_trend
    first, last = g.table.iloc[0], g.table.iloc[-1]
    planted = res.trends.planted_gift_period is not None
    common = {
        "check": f"user-bootstrap {g.conf:.0%} interval of the change from {first['period']} "
        f"to {last['period']} excludes zero",
        "origin": "planted" if planted else "data",
        "subject": "money",
        "would_fail": "the interval of the change had included zero",
        "tuned": planted,  # the twin's period factors are tuned to the real files' rise
        "question": "Did gifts per click change between the first and the last UTC period of "
        "the window?",
        "headline": True,
    }
    if not _ok(g.change, g.change_lo, g.change_hi):
        return _finding("gift_trend", "Gifts per click by period cannot be compared.",
                        passed=None, reason="a period has no clicks or too few users for an "
                        "interval", **common)  # fmt: skip
    direction = "rose" if g.change > 0 else "fell"
    change, lo, hi = (f"{x * 100:+.2f} points" for x in (g.change, g.change_lo, g.change_hi))
    mde = g.mde
    return _finding(
        "gift_trend",
        f"Gifts per click {direction} between the first and the last UTC period of the window.",
        passed=g.excludes_zero,
        reason=f"the point estimate {direction} by {change} (ratio {g.ratio:.2f}), but the "
        f"interval {lo} to {hi} includes zero: with these users a change is detected at "
        f"{POWER:.0%} power only from about {mde * 100:.2f} points (two-sided 5%), "
        + ("more" if mde * 100 > 0.30 else "less")
        + " than the real files' rise of +0.30 points",
        action=f"Find the cause of the {direction} in gifts per click ({change}, {lo} to {hi}) "
        "before crediting or blaming a product change, and compare gifting experiments within "
        "a period, not across periods.",
        value=float(g.change),
        unit="share",
        interval=(float(g.change_lo), float(g.change_hi)),
        level=g.conf,
        evidence={
            "first": float(first["gifts per click"]),
            "last": float(last["gifts per click"]),
            "ratio": float(g.ratio),
            "ratio_lo": float(g.ratio_lo),
            "ratio_hi": float(g.ratio_hi),
            "mde": float(mde),
        },
        **common,
    )


def funnel_findings(res) -> list[Finding]:
    """Every finding of chapter 5, in the order of the chapter."""
    return [
        *kpi_findings(res),
        *decision_findings(res),
        leak_finding(res),
        *calibration_findings(res),
        trend_finding(res),
    ]

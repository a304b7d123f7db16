"""Chapter 5's findings (:meth:`FunnelResult.findings`): each claim with its check and status.

Checks:

* **KPIs** (CTR, GTR): the share with its user-resampled 95% interval; validated when the
  interval exists (origin ``data``).
* **Models beat the best baseline** (CTR, GTR): validated only when the user-bootstrap
  interval of the AUC difference (gradient boosting minus the best baseline without a
  suspected leak) excludes zero; the same for UAUC (ranking within a user's own feed).
* **Leak check**: validated when no single feature predicts the label with AUC above the
  threshold on its own; failed otherwise, with the refit reported in the reason.
* **Calibration**: validated when the expected calibration error (10 equal-count bins) is at
  most a tenth of the test base rate.
* **Gifts per click over time**: validated when the interval of the change from the first to
  the last UTC period excludes zero. On the twin the rise is planted (origin ``planted``).

Only validated findings that do not rest on a planted property carry an ``action``.
"""

from __future__ import annotations

import math

from kuailive_analysis.chapter.findings import Finding

CHAPTER = "funnel"
CALIBRATION_TOLERANCE = 0.1
"""A model counts as calibrated when ECE <= this share of the test base rate."""


def _ok(*xs) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


def _pp(x: float) -> str:
    return f"{x * 100:+.2f} pp"


def kpi_findings(res) -> list[Finding]:
    out = []
    loss = res.step_losses()
    for key, name, digits in (
        ("ctr", "exposures are clicked", 1),
        ("gtr", "clicks carry a gift", 2),
    ):
        c = res.clustered.loc[key]
        v, lo, hi = float(c["value"]), float(c["boot_lo"]), float(c["boot_hi"])
        ok = _ok(v, lo, hi)
        extra = (
            f"; the {loss['biggest_loss_step']} step loses the most "
            f"({loss['biggest_loss_share']:.1%} of exposures)"
            if key == "ctr"
            else f"; {res.overall('rpm_all'):,.1f} coins per 1,000 exposures"
        )
        half = (hi - lo) / 2 if ok else float("nan")
        action = ""
        if ok and key == "ctr":
            action = (
                f"Test the room card (cover, title) where the funnel loses most: the "
                f"{loss['biggest_loss_step']} step drops {loss['biggest_loss_share']:.1%} of "
                f"exposures. Power the test on users, not exposures: the CTR interval with users "
                f"resampled is \u00b1{half * 100:.1f} pp, {float(c['width_ratio']):.1f} times the "
                "naive one, so an effect smaller than that is noise at this sample size."
            )
        out.append(
            Finding(
                chapter=CHAPTER,
                key=f"{key}_kpi",
                statement=(
                    f"{v:.{digits}%} of {name} (95% interval {lo:.{digits}%} to {hi:.{digits}%}, "
                    f"users resampled){extra}."
                    if ok
                    else f"{key.upper()} cannot be estimated on this data."
                ),
                check="user-bootstrap 95% interval of the share",
                status="validated" if ok else "not checkable",
                value=v if _ok(v) else None,
                unit="share",
                interval=(lo, hi) if ok else None,
                level=res.conf,
                evidence={"boot_lo": lo, "boot_hi": hi, "width_ratio": float(c["width_ratio"])},
                origin="data",
                headline=True,
                reason="" if ok else "too few users or events for a user-resampled interval",
                action=action,
            )
        )
    return out


def model_findings(res) -> list[Finding]:
    p = res.prediction
    out = []
    for t, what, headline in (("ctr", "clicks", True), ("gtr", "gifts", False)):
        c = p.comparison(t)
        for met, scope in (
            ("auc", "across all test rows"),
            ("uauc", "within each user's own feed"),
        ):
            base = c.get("best_baseline" if met == "auc" else "best_baseline_uauc", "")
            d, lo, hi = (c.get(f"diff_{met}{s}", float("nan")) for s in ("", "_lo", "_hi"))
            key = f"{t}_model_{'beats_baseline' if met == 'auc' else 'within_user'}"
            check = (
                f"user-bootstrap 95% interval of the {met.upper()} difference "
                "(gradient boosting minus the best baseline) excludes zero"
            )
            if not base or not _ok(d, lo, hi):
                out.append(
                    Finding(
                        chapter=CHAPTER,
                        key=key,
                        statement=f"The {t.upper()} model was not evaluated.",
                        check=check,
                        status="not checkable",
                        origin="method",
                        reason=p.info.iloc[0 if t == "ctr" else 1]["note"]
                        or "no eligible baseline",
                    )
                )
                continue
            ok = lo > 0
            m, b = c[f"model_{met}"], c[f"baseline_{met}"]
            statement = (
                f"Gradient boosting ranks {what} {scope} better than the best baseline "
                f"({base}): {met.upper()} {m:.3f} vs {b:.3f}, difference {d:+.3f} "
                f"(95% interval {lo:+.3f} to {hi:+.3f})."
            )
            action = ""
            if ok and met == "auc" and t == "ctr":
                action = (
                    f"Rank the feed with the history model rather than the {base}: {d:+.3f} AUC "
                    f"(95% interval {lo:+.3f} to {hi:+.3f}) on held-out days; within a user's "
                    f"feed UAUC {c['model_uauc']:.3f} vs {c['baseline_uauc']:.3f} for the "
                    f"{c['best_baseline_uauc']}. Confirm with "
                    "an A/B test on CTR before rollout: AUC gains do not translate one to one "
                    "into clicks."
                )
            if ok and met == "auc" and t == "gtr":
                within = c["diff_uauc_lo"] > 0
                action = (
                    f"Use the gift model to decide *which users* see gifting prompts: it separates "
                    f"gifting from non-gifting clicks better than the {base} ({d:+.3f} AUC, "
                    f"95% interval {lo:+.3f} to {hi:+.3f})"
                    + (
                        "."
                        if within
                        else f", but within one user it is no better (UAUC difference "
                        f"{c['diff_uauc']:+.3f}, {c['diff_uauc_lo']:+.3f} to "
                        f"{c['diff_uauc_hi']:+.3f} against the {c['best_baseline_uauc']}), so "
                        "it should not reorder a user's rooms."
                    )
                )
            out.append(
                Finding(
                    chapter=CHAPTER,
                    key=key,
                    statement=statement,
                    check=check,
                    status="validated" if ok else "failed",
                    value=float(d),
                    unit=met.upper(),
                    interval=(float(lo), float(hi)),
                    level=p.conf,
                    evidence={
                        "model": float(m),
                        "baseline": float(b),
                        "best_baseline": base,
                        "n_boot": int(c.get("n_boot", 0)),
                    },
                    origin="method",
                    headline=headline and met == "auc",
                    reason=""
                    if ok
                    else (
                        f"the interval of the {met.upper()} difference, {lo:+.3f} to {hi:+.3f}, "
                        f"does not exclude zero: {scope}, the model is not distinguishable "
                        f"from the {base}"
                    ),
                    action=action,
                )
            )
    return out


def leak_finding(res) -> Finding:
    p = res.prediction
    flagged = {
        t: p.info.loc[task, "leaks"]
        for task, t in ((task, task.split()[0]) for task in p.info.index)
    }
    bad = {t: v for t, v in flagged.items() if v}
    texts = {t: p.leak_text(t.lower()) for t in flagged}
    ran = all(ev.leaks is not None and not ev.leaks.empty for ev in p.evaluations.values())
    check = f"no single feature predicts the label with AUC above {p.leak_auc:g} on its own"
    if not ran:
        return Finding(
            chapter=CHAPTER,
            key="leak_check",
            statement="The leak check did not run.",
            check=check,
            status="not checkable",
            origin="method",
            reason="a task was skipped for lack of data, so its features were not checked",
        )
    statement = (
        f"No single feature predicts clicks or gifts with AUC above {p.leak_auc:g} on its own "
        "(checked feature by feature on the test days)"
        + (": " + "; ".join(f"the {t} check {x}" for t, x in texts.items()) if not bad else "")
        + "."
    )
    return Finding(
        chapter=CHAPTER,
        key="leak_check",
        statement=statement,
        check=check,
        status="failed" if bad else "validated",
        evidence={f"{t.lower()}_leaks": v or "none" for t, v in flagged.items()},
        origin="method",
        reason=(
            "; ".join(f"{t}: the check {texts[t]}" for t in bad) + ". The feature is built from "
            "earlier days only, so it is more likely a strong user trait than a leak, but the "
            "headline does not rest on it."
        )
        if bad
        else "",
    )


def calibration_findings(res) -> list[Finding]:
    p = res.prediction
    out = []
    for task, ev in p.evaluations.items():
        t = task.split()[0]
        ece = ev.comparison.get("ece", float("nan"))
        base = float(p.info.loc[task, "base_rate_test"])
        check = (
            f"expected calibration error (10 equal-count bins) at most "
            f"{CALIBRATION_TOLERANCE:.0%} of the test base rate"
        )
        if not _ok(ece, base) or base <= 0:
            out.append(
                Finding(
                    chapter=CHAPTER,
                    key=f"{t.lower()}_calibration",
                    statement=f"The {t} model was not evaluated.",
                    check=check,
                    status="not checkable",
                    origin="method",
                    reason="the task was skipped or its test part has a single class",
                )
            )
            continue
        ok = ece <= CALIBRATION_TOLERANCE * base
        out.append(
            Finding(
                chapter=CHAPTER,
                key=f"{t.lower()}_calibration",
                statement=(
                    f"The {t} model's probabilities are calibrated: predicted and observed rates "
                    f"differ by {ece * 100:.2f} pp on average against a base rate of {base:.2%}."
                ),
                check=check,
                status="validated" if ok else "failed",
                value=float(ece),
                unit="share",
                evidence={"ece": float(ece), "base_rate_test": base},
                origin="method",
                reason=""
                if ok
                else (
                    f"the {t} model is off by {ece * 100:.2f} pp on average, "
                    f"{ece / base:.0%} of the {base:.2%} test base rate (train and test base "
                    "rates differ and the model is not recalibrated): use its ranking, not "
                    "its probabilities"
                ),
            )
        )
    return out


def trend_finding(res) -> Finding:
    g = res.gift_trend
    tab = g.table
    first, last = tab.iloc[0], tab.iloc[-1]
    planted = res.planted_gift_period is not None
    check = (
        f"user-bootstrap {g.conf:.0%} interval of the change from {first['period']} to "
        f"{last['period']} excludes zero"
    )
    if not _ok(g.change, g.change_lo, g.change_hi):
        return Finding(
            chapter=CHAPTER,
            key="gift_trend",
            statement="Gifts per click by period cannot be compared.",
            check=check,
            status="not checkable",
            origin="planted" if planted else "data",
            reason="a period has no clicks or too few users for an interval",
        )
    direction = "rose" if g.change > 0 else "fell"
    ok = g.excludes_zero
    statement = (
        f"Gifts per click {direction} from {first['gifts per click']:.2%} ({first['period']}) to "
        f"{last['gifts per click']:.2%} ({last['period']}): {_pp(g.change)} (95% interval "
        f"{_pp(g.change_lo)} to {_pp(g.change_hi)}), a ratio of {g.ratio:.2f}."
    )
    return Finding(
        chapter=CHAPTER,
        key="gift_trend",
        statement=statement,
        check=check,
        status="validated" if ok else "failed",
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
        },
        origin="planted" if planted else "data",
        reason=""
        if ok
        else (
            f"the point estimate {direction} by {_pp(g.change)} (ratio {g.ratio:.2f}), but the "
            f"interval {_pp(g.change_lo)} to {_pp(g.change_hi)} includes both no change and "
            "the real files' rise of +0.30 pp: this sample cannot tell them apart"
        ),
        action=""
        if (not ok or planted)
        else (
            f"Find the cause of the {direction} in gifts per click ({_pp(g.change)}, "
            f"{_pp(g.change_lo)} to {_pp(g.change_hi)}) before crediting or blaming a product "
            "change, and compare gifting experiments within a period, not across periods."
        ),
    )


def funnel_findings(res) -> list[Finding]:
    """Every finding of chapter 5, in the order of the chapter."""
    return [
        *kpi_findings(res),
        *model_findings(res),
        leak_finding(res),
        *calibration_findings(res),
        trend_finding(res),
    ]

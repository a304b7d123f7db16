"""Chapter 5's findings (:meth:`FunnelResult.findings`): each claim with its check, made with the
kit's :func:`~kuailive_analysis.chapter.findings.finding` (status, reason and action rules).

Checks:

* **KPIs** (CTR, GTR): the share with its user-resampled 95% interval; validated when the
  interval exists (origin ``data``).
* **Models beat the best baseline** (CTR, GTR): validated only when the user-bootstrap
  interval of the AUC difference (gradient boosting minus the best baseline without a
  suspected leak) excludes zero; the same for UAUC (ranking within a user's own feed).
* **Leak check**: validated when no single feature predicts the label with AUC above the
  threshold on its own; failed otherwise, with the refit reported in the reason.
* **Calibration**: validated when the expected calibration error (10 equal-count bins) is at
  most :data:`CALIBRATION_TOLERANCE` of the test base rate.
* **Gifts per click over time**: validated when the interval of the change from the first to
  the last UTC period excludes zero. On the twin the rise is planted (origin ``planted``).
"""

from __future__ import annotations

import math

from kuailive_analysis.chapter.findings import Finding, finding
from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.predict.result import leak_text

__all__ = ["CALIBRATION_TOLERANCE", "funnel_findings"]

CHAPTER = ChapterId.FUNNEL
CALIBRATION_TOLERANCE = 0.1
"""A model counts as calibrated when ECE <= this share of the test base rate."""


def _ok(*xs) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


def kpi_findings(res) -> list[Finding]:
    out = []
    steps = res.steps
    for key, name, digits in (
        ("ctr", "exposures are clicked", 1),
        ("gtr", "clicks carry a gift", 2),
    ):
        c = res.kpis.clustered.loc[key]
        v, lo, hi = float(c["value"]), float(c["boot_lo"]), float(c["boot_hi"])
        ok = _ok(v, lo, hi)
        extra = (
            f"; the {steps.biggest_loss_step} step loses the most "
            f"({steps.biggest_loss_share:.1%} of exposures)"
            if key == "ctr"
            else f"; {res.overall('rpm_all'):,.1f} coins per 1,000 exposures"
        )
        half = (hi - lo) / 2 if ok else float("nan")
        action = ""
        if key == "ctr":
            action = (
                f"Test the room card (cover, title) where the funnel loses most: the "
                f"{steps.biggest_loss_step} step drops {steps.biggest_loss_share:.1%} of "
                f"exposures. Power the test on users, not exposures: the CTR interval with users "
                f"resampled is \u00b1{half * 100:.1f} pp, {float(c['width_ratio']):.1f} times the "
                "naive one, so an effect smaller than that is noise at this sample size."
            )
        statement = (
            f"{v:.{digits}%} of {name} (95% interval {lo:.{digits}%} to {hi:.{digits}%}, "
            f"users resampled){extra}."
        )
        out.append(
            finding(
                CHAPTER,
                f"{key}_kpi",
                statement if ok else f"{key.upper()} cannot be estimated on this data.",
                check="user-bootstrap 95% interval of the share",
                passed=True if ok else None,
                reason="too few users or events for a user-resampled interval",
                action=action,
                value=v if _ok(v) else None,
                unit="share",
                interval=(lo, hi) if ok else None,
                level=res.params.conf,
                evidence={"boot_lo": lo, "boot_hi": hi, "width_ratio": float(c["width_ratio"])},
                origin="data",
                headline=True,
            )
        )
    return out


def _model_action(t: str, c: dict, base: str, d: float, lo: float, hi: float) -> str:
    """What a product team could do with a validated model-beats-baseline finding."""
    if t == "ctr":
        return (
            f"Rank the feed with the history model rather than the {base}: {d:+.3f} AUC "
            f"(95% interval {lo:+.3f} to {hi:+.3f}) on held-out days; within a user's "
            f"feed UAUC {c['model_uauc']:.3f} vs {c['baseline_uauc']:.3f} for the "
            f"{c['best_baseline_uauc']}. Confirm with "
            "an A/B test on CTR before rollout: AUC gains do not translate one to one "
            "into clicks."
        )
    within = c["diff_uauc_lo"] > 0
    return (
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
                note = p.info.iloc[0 if t == "ctr" else 1]["note"] or "no eligible baseline"
                out.append(
                    finding(CHAPTER, key, f"The {t.upper()} model was not evaluated.",
                            check=check, passed=None, reason=note)
                )  # fmt: skip
                continue
            ok = lo > 0
            m, b = c[f"model_{met}"], c[f"baseline_{met}"]
            out.append(
                finding(
                    CHAPTER,
                    key,
                    f"Gradient boosting ranks {what} {scope} better than the best baseline "
                    f"({base}): {met.upper()} {m:.3f} vs {b:.3f}, difference {d:+.3f} "
                    f"(95% interval {lo:+.3f} to {hi:+.3f}).",
                    check=check,
                    passed=ok,
                    reason=f"the interval of the {met.upper()} difference, {lo:+.3f} to "
                    f"{hi:+.3f}, does not exclude zero: {scope}, the model is not "
                    f"distinguishable from the {base}",
                    action=_model_action(t, c, base, d, lo, hi) if met == "auc" else "",
                    value=float(d),
                    unit=met.upper(),
                    interval=(float(lo), float(hi)),
                    level=p.conf,
                    evidence={"model": float(m), "baseline": float(b), "best_baseline": base,
                              "n_boot": int(c.get("n_boot", 0))},
                    headline=headline and met == "auc",
                )
            )  # fmt: skip
    return out


def leak_finding(res) -> Finding:
    p = res.prediction
    flagged = {task.split()[0]: p.info.loc[task, "leaks"] for task in p.info.index}
    bad = {t: v for t, v in flagged.items() if v}
    texts = {task.split()[0]: leak_text(ev, p.leak_auc) for task, ev in p.evaluations.items()}
    ran = all(ev.leaks is not None and not ev.leaks.empty for ev in p.evaluations.values())
    check = f"no single feature predicts the label with AUC above {p.leak_auc:g} on its own"
    if not ran:
        return finding(CHAPTER, "leak_check", "The leak check did not run.", check=check,
                       passed=None, reason="a task was skipped for lack of data, so its "
                       "features were not checked")  # fmt: skip
    statement = (
        f"No single feature predicts clicks or gifts with AUC above {p.leak_auc:g} on its own "
        "(checked feature by feature on the test days)"
        + (": " + "; ".join(f"the {t} check {x}" for t, x in texts.items()) if not bad else "")
        + "."
    )
    return finding(
        CHAPTER,
        "leak_check",
        statement,
        check=check,
        passed=not bad,
        reason="; ".join(f"{t}: the check {texts[t]}" for t in bad) + ". The feature is built "
        "from earlier days only, so it is more likely a strong user trait than a leak, but the "
        "headline does not rest on it.",
        evidence={f"{t.lower()}_leaks": v or "none" for t, v in flagged.items()},
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
        key = f"{t.lower()}_calibration"
        ece = ev.comparison.get("ece", float("nan"))
        base = float(p.info.loc[task, "base_rate_test"])
        if not _ok(ece, base) or base <= 0:
            out.append(
                finding(CHAPTER, key, f"The {t} model was not evaluated.", check=check,
                        passed=None, reason="the task was skipped or its test part has a "
                        "single class")
            )  # fmt: skip
            continue
        out.append(
            finding(
                CHAPTER,
                key,
                f"The {t} model's probabilities are calibrated: predicted and observed rates "
                f"differ by {ece * 100:.2f} pp on average against a base rate of {base:.2%}.",
                check=check,
                passed=ece <= CALIBRATION_TOLERANCE * base,
                reason=f"the {t} model is off by {ece * 100:.2f} pp on average, "
                f"{ece / base:.0%} of the {base:.2%} test base rate (train and test base "
                "rates differ and the model is not recalibrated): use its ranking, not "
                "its probabilities",
                value=float(ece),
                unit="share",
                evidence={"ece": float(ece), "base_rate_test": base},
            )
        )
    return out


def trend_finding(res) -> Finding:
    g = res.trends.gift_trend
    first, last = g.table.iloc[0], g.table.iloc[-1]
    origin = "planted" if res.trends.planted_gift_period is not None else "data"
    check = (
        f"user-bootstrap {g.conf:.0%} interval of the change from {first['period']} to "
        f"{last['period']} excludes zero"
    )
    if not _ok(g.change, g.change_lo, g.change_hi):
        return finding(CHAPTER, "gift_trend", "Gifts per click by period cannot be compared.",
                       check=check, passed=None, origin=origin,
                       reason="a period has no clicks or too few users for an interval")  # fmt: skip
    direction = "rose" if g.change > 0 else "fell"
    change, lo, hi = (f"{x * 100:+.2f} pp" for x in (g.change, g.change_lo, g.change_hi))
    return finding(
        CHAPTER,
        "gift_trend",
        f"Gifts per click {direction} from {first['gifts per click']:.2%} ({first['period']}) "
        f"to {last['gifts per click']:.2%} ({last['period']}): {change} (95% interval {lo} to "
        f"{hi}), a ratio of {g.ratio:.2f}.",
        check=check,
        passed=g.excludes_zero,
        reason=f"the point estimate {direction} by {change} (ratio {g.ratio:.2f}), but the "
        f"interval {lo} to {hi} includes both no change and the real files' rise of +0.30 pp: "
        "this sample cannot tell them apart",
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
        },
        origin=origin,
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

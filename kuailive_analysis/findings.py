"""Findings: every headline claim of the book as a record with the check that supports it.

A :class:`Finding` is data (architecture: "a finding is data"): the chapter and key, the
statement in words, the value with its unit and interval, the check that supports it, its
status and the evidence numbers. Chapters build their findings in the package (each chapter
result has a ``findings()`` method); the notebook only renders them with
:func:`kuailive_analysis.report.show_findings`, and the book collects them into
``<build>/executed/findings.json`` and renders the landing page from them.

The gate: only a finding with status ``validated`` may be a headline or a key finding. A
``failed`` or ``not checkable`` finding is shown under "What this data cannot tell us (yet)"
with its reason, never as a result.

``origin`` says where a pattern comes from. On the synthetic twin a pattern the generator
planted is a *recovered planted property* (``"planted"``), not a discovery; a number that a
method estimates is a ``"method"`` output; a plain count or share of the data is ``"data"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields

STATUSES = ("validated", "failed", "not checkable")
"""``validated``: the check passed; ``failed``: it ran and did not pass; ``not checkable``: the
data cannot support the check (e.g. no planted truth on real files)."""

ORIGINS = ("data", "method", "planted")
"""``data``: a count or share read off the data; ``method``: an estimate of a model or test;
``planted``: on the twin, a property the generator planted (recovered, not discovered)."""


@dataclass(frozen=True)
class Finding:
    """One claim of the book with the check that supports it.

    ``value`` is in ``unit`` (``"share"`` values are fractions, shown as percentages);
    ``interval`` is a two-sided interval at ``level`` (None when the check is not an interval);
    ``evidence`` holds the numbers behind the check (e.g. ``{"model_mae": 41.2,
    "baseline_mae": 55.0}``); ``reason`` says why a check failed or cannot be made.
    """

    chapter: str
    key: str
    statement: str
    check: str
    status: str
    value: float | None = None
    unit: str = ""
    interval: tuple[float, float] | None = None
    level: float | None = None
    evidence: Mapping[str, float | int | str] = field(default_factory=dict)
    origin: str = "method"
    headline: bool = False
    reason: str = ""
    action: str = ""  # what a product team could do about it (validated findings only)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"finding {self.key!r}: status {self.status!r} not in {STATUSES}")
        if self.origin not in ORIGINS:
            raise ValueError(f"finding {self.key!r}: origin {self.origin!r} not in {ORIGINS}")
        if not self.key.isidentifier():
            raise ValueError(f"finding key {self.key!r} must be an identifier")
        if self.status != "validated" and not self.reason:
            raise ValueError(f"finding {self.key!r}: a {self.status} finding needs a reason")
        if self.interval is not None:
            lo, hi = self.interval
            if not (lo <= hi):
                raise ValueError(f"finding {self.key!r}: interval {self.interval} is not ordered")

    @property
    def shown(self) -> bool:
        """True when the finding may appear as a result (its check passed)."""
        return self.status == "validated"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["evidence"] = {k: _plain(v) for k, v in dict(self.evidence).items()}
        d["value"] = _plain(self.value)
        d["interval"] = None if self.interval is None else [_plain(x) for x in self.interval]
        return d


def _plain(v):
    """JSON-safe scalar: numpy scalars to Python, non-finite floats to None."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def headlines(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that may be headlines: flagged ``headline`` and validated (the gate)."""
    return [f for f in findings if f.headline and f.shown]


def not_established(findings: Iterable[Finding]) -> list[Finding]:
    """The findings whose check failed or cannot be made (shown with their reason)."""
    return [f for f in findings if not f.shown]


ORIGIN_LABEL = {
    "data": "data",
    "method": "method output",
    "planted": "recovered planted property (twin)",
}


def findings_markdown(findings: Iterable[Finding], *, twin: bool) -> str:
    """Markdown for a chapter's Key findings: validated findings as bullets (with their check
    and, on the twin, their origin), then "What this data cannot tell us (yet)" with reasons."""
    findings = list(findings)
    ok = [f for f in findings if f.shown]
    bad = not_established(findings)
    lines = []
    for f in ok:
        label = f" *({ORIGIN_LABEL[f.origin]})*" if twin or f.origin == "planted" else ""
        lines.append(f"- {f.statement}{label} Check: {f.check}.")
    if not ok:
        lines.append("- No finding of this chapter passed its check on this data.")
    if bad:
        lines.append("")
        lines.append("**What this data cannot tell us (yet)**")
        lines.append("")
        for f in bad:
            lines.append(f"- {cannot_tell_text(f)}")
    return "\n".join(lines)


def cannot_tell_text(f: Finding) -> str:
    """One line of "What this data cannot tell us (yet)": the claim, that it is not a result,
    the check and why it failed or cannot be made."""
    what = "failed" if f.status == "failed" else "cannot be made on this data"
    return f"{f.statement} Not a result: the check ({f.check}) {what}. {f.reason}"


def actions_markdown(findings: Iterable[Finding]) -> str:
    """Markdown for "What this means for the product": the actions of validated findings."""
    acts = [f for f in findings if f.shown and f.action]
    if not acts:
        return "No validated finding of this chapter supports a product decision on this data."
    return "\n".join(f"- {f.action}" for f in acts)


def to_json(findings: Iterable[Finding]) -> str:
    """The findings as a JSON array (the ``findings.json`` record format)."""
    return json.dumps([f.to_dict() for f in findings], indent=2, sort_keys=True)


FIELDS = tuple(f.name for f in fields(Finding))
"""The fields of a record, in order (every one is a key of each ``findings.json`` record)."""


def from_dict(d: Mapping) -> Finding:
    """Inverse of :meth:`Finding.to_dict`. Keys that are not fields of :class:`Finding` (such as
    the ``page`` the book adds in ``findings.json``) are ignored; a missing field takes its
    default (a missing required one raises ``TypeError``)."""
    d = {k: v for k, v in dict(d).items() if k in FIELDS}
    if d.get("interval") is not None:
        d["interval"] = tuple(d["interval"])
    if d.get("evidence") is None:
        d.pop("evidence", None)
    return Finding(**d)


# --- the landing page -----------------------------------------------------------------------
def format_value(value, unit: str = "") -> str:
    """A finding's value as text: ``share`` as a percentage (two decimals below 10%), whole
    numbers with thousands separators, other numbers with 3 significant digits; the unit
    follows (except for shares). None reads ``n/a``."""
    value = _plain(value)
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return f"{value} {unit}".strip()
    if unit == "share":
        return f"{value:.1%}" if abs(value) >= 0.1 or value == 0 else f"{value:.2%}"
    if isinstance(value, bool):
        text = str(value)
    elif float(value).is_integer() and abs(value) >= 1:
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.3g}"
    return f"{text} {unit}".strip()


def interval_text(f: Finding) -> str:
    """``95% interval 80.1% to 84.0%``, ``95% interval 0.077 to 0.095 AUC`` (empty when the
    finding has no interval)."""
    if f.interval is None:
        return ""
    unit = f.unit if f.unit == "share" else ""  # other units once, after the upper end
    lo, hi = (format_value(x, unit) for x in f.interval)
    level = f"{f.level:.0%} interval" if f.level else "interval"
    return f"{level} {lo} to {hi} {'' if unit else f.unit}".rstrip()


def banner_markdown(source) -> str:
    """The landing page's opening: which data this edition ran on, before any number. On the
    twin it says first that the data are synthetic and that planted patterns come back as
    recovered properties. ``source`` is a ``DataSource`` or its dict (None: unknown)."""
    from kuailive_analysis.data.data_source import DataSource

    if isinstance(source, Mapping):
        try:
            source = DataSource.from_dict(dict(source))
        except (TypeError, ValueError):
            source = None
    if source is None:
        return (
            ":::{warning}\nThe data this edition ran on was not recorded: run `kuailive run` "
            "again before reading its numbers.\n:::"
        )
    if source.is_twin:
        body = (
            f"**This edition ran on synthetic data**: the {source.label}, generated by the "
            "package with the real files' format and calibrated to their published statistics, "
            "not the real KuaiLive files. A pattern the generator planted comes back as a "
            "*recovered planted property*, which shows that a method works, not how the real "
            "platform behaves; every number below describes the twin. The appendix lists what is "
            "planted and how close the twin is to the real files."
        )
        return f":::{{admonition}} Synthetic data\n:class: warning\n{body}\n:::"
    body = (
        f"**This edition ran on {source.label}** (fingerprint `{source.fingerprint}`). "
        "Nothing in it is planted: every finding below is a property of that data."
    )
    return f":::{{admonition}} Data\n:class: note\n{body}\n:::"


def _link(page: str) -> str:
    return f"{{doc}}`{page}`" if page else ""


def landing_markdown(records: Iterable[tuple[str, Finding]], *, twin: bool) -> str:
    """The landing page's generated findings: "Headline findings" (the gate: flagged headline
    AND validated; each with its value, interval, check and chapter link) and "What this data
    cannot tell us (yet)" (every failed or not checkable finding with its reason).

    ``records`` are ``(page, finding)`` pairs, ``page`` the document the finding comes from
    (``chapters/03_retention``, relative to the landing page), in book order."""
    records = list(records)
    top = headlines(f for _, f in records)
    bad = [(p, f) for p, f in records if not f.shown]
    lines = ["## Headline findings", ""]
    if not records:
        lines.append("No chapter recorded findings in this edition.")
    elif not top:
        lines.append("No headline finding passed its check on this data.")
    for page, f in ((p, f) for p, f in records if f in top):
        value = format_value(f.value, f.unit) if f.value is not None else ""
        interval = interval_text(f)
        number = ", ".join(x for x in (value, interval) if x)
        origin = f" *({ORIGIN_LABEL[f.origin]})*" if twin or f.origin == "planted" else ""
        lines.append(
            f"- {f.statement}{origin}"
            + (f" **{number}**." if number else "")
            + f" Check: {f.check}. ({_link(page)})"
        )
    lines += ["", "## What this data cannot tell us (yet)", ""]
    if not bad:
        lines.append("Every recorded finding passed its check on this data.")
    for page, f in bad:
        lines.append(f"- {cannot_tell_text(f)} ({_link(page)})")
    return "\n".join(lines)

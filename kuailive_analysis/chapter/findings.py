"""Findings: every headline claim of the book as a record with the check that supports it.

A :class:`Finding` is data (architecture: "a finding is data"): the chapter and key, the
statement in words, the value with its unit and interval, the check that supports it, its
status and the evidence numbers. Chapters build their findings in the package (each chapter
result has a ``findings()`` method); the notebook only renders them with
:func:`kuailive_analysis.report.show_findings`, and the book collects them into
``<build>/executed/findings.json`` and renders the landing page from them.

The gate: only a finding with status ``validated`` may be a key finding. A ``failed`` or ``not
checkable`` finding is shown under "What this data cannot tell us (yet)" as its open
``question``, with the reason, never as a result.

**The headline policy** (:func:`headline_refusal`, the one place it is decided): a headline is
a claim that could have been wrong. It must be a validated ``claim`` about users, streamers,
money or the product (``subject``); its check must be a test that could have failed on other
data (``check_type == "test"``: a holdout that beats the right baseline, an effect whose
interval excludes zero, planted truth recovered) and the record says which result would have
failed it (``would_fail``). A precision gate (a sample size, an interval's width), pipeline QA
and the twin's calibration are not checks of a claim; on the twin, a value the generator was
tuned to (``tuned``) is labelled as such and never headlined. Edition checks (QA, calibration,
fidelity) and method checks (a method recovers planted truth) are findings of their own kinds,
shown in their own box on the landing page.

``origin`` says where a pattern comes from. On the synthetic twin a pattern the generator
planted is a *recovered planted property* (``"planted"``), not a discovery; a number that a
method estimates is a ``"method"`` output; a plain count or share of the data is ``"data"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields

from kuailive_analysis.core.format import plain

STATUSES = ("validated", "failed", "not checkable")
"""``validated``: the check passed; ``failed``: it ran and did not pass; ``not checkable``: the
data cannot support the check (e.g. no planted truth on real files)."""

KINDS = ("claim", "method check", "edition check")
"""``claim``: a statement about users, streamers, money or the product; ``method check``: a
method recovers what it should (planted truth, a published reference); ``edition check``: the
edition itself (cleaning accounts for every row, the twin's calibration, fidelity)."""

SUBJECTS = ("users", "streamers", "money", "product")
"""What a claim is about."""

CHECK_TYPES = ("test", "precision", "qa", "calibration")
"""``test``: a check that could have failed on other data; ``precision``: a sample-size or
interval-width gate (says how precise a number is, not whether a claim holds); ``qa``: the
pipeline did what it should; ``calibration``: the twin matches published numbers."""

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
    ``kind``, ``subject``, ``check_type``, ``would_fail`` and ``tuned`` feed the headline
    policy (see the module docstring); ``question`` is the open question the book asks in
    place of the claim when the check failed or cannot be made.
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
    kind: str = "claim"
    subject: str = ""
    check_type: str = "test"
    would_fail: str = ""
    tuned: bool = False
    question: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"finding {self.key!r}: kind {self.kind!r} not in {KINDS}")
        if self.subject and self.subject not in SUBJECTS:
            raise ValueError(f"finding {self.key!r}: subject {self.subject!r} not in {SUBJECTS}")
        if self.check_type not in CHECK_TYPES:
            raise ValueError(
                f"finding {self.key!r}: check_type {self.check_type!r} not in {CHECK_TYPES}"
            )
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
    v = plain(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def headline_refusal(f: Finding, *, twin: bool) -> str:
    """Why ``f`` may not be a headline (the headline policy, see the module docstring), or ""
    when it may. ``twin``: the edition ran on the synthetic twin."""
    if not f.headline:
        return "not proposed as a headline"
    if f.status != "validated":
        return f"its check {'failed' if f.status == 'failed' else 'cannot be made'}"
    if f.kind != "claim":
        return f"a {f.kind}, not a claim about users, streamers, money or the product"
    if f.subject not in SUBJECTS:
        return "it does not say what it is about (users, streamers, money or the product)"
    if f.check_type != "test":
        return f"its check is {f.check_type}, not a test that could have failed on other data"
    if not f.would_fail.strip():
        return "the record does not say which result would have failed its check"
    if twin and f.tuned:
        return "on the twin it is a value the generator was tuned to"
    return ""


def headlines(findings: Iterable[Finding], *, twin: bool = False) -> list[Finding]:
    """The findings the landing page headlines: those :func:`headline_refusal` accepts."""
    return [f for f in findings if not headline_refusal(f, twin=twin)]


def edition_checks(findings: Iterable[Finding]) -> list[Finding]:
    """Method and edition checks, and findings whose check is QA or calibration: the landing
    page's own box, never headlines."""
    return [f for f in findings if f.kind != "claim" or f.check_type in ("qa", "calibration")]


def not_established(findings: Iterable[Finding]) -> list[Finding]:
    """The findings whose check failed or cannot be made (shown with their reason)."""
    return [f for f in findings if not f.shown]


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


def finding(
    chapter: str,
    key: str,
    statement: str,
    *,
    check: str,
    passed: bool | None,
    reason: str = "",
    action: str = "",
    value: float | None = None,
    unit: str = "",
    interval: tuple[float, float] | None = None,
    level: float | None = None,
    evidence: Mapping[str, float | int | str] | None = None,
    origin: str = "method",
    headline: bool = False,
    kind: str = "claim",
    subject: str = "",
    check_type: str = "test",
    would_fail: str = "",
    tuned: bool = False,
    question: str = "",
) -> Finding:
    """One finding, with the rules every chapter shares applied in one place.

    ``passed``: the check's outcome (True: ``validated``; False: ``failed``; None: ``not
    checkable`` on this data). ``reason`` says why a check failed or cannot be made (required
    then; dropped for a validated finding). ``action`` is what a product team could do; it is
    kept only for a validated finding that is not a planted property of the twin (a planted
    pattern shows that a method works, not how the platform behaves). ``question`` is the open
    question asked in the claim's place when the check does not pass; ``kind``, ``subject``,
    ``check_type``, ``would_fail`` and ``tuned`` feed the headline policy
    (:func:`headline_refusal`). A question is one question: it ends with "?" (what the check
    found belongs in ``reason``)."""
    if question and not question.rstrip().endswith("?"):
        raise ValueError(f"{chapter}/{key}: the open question must end with '?': {question!r}")
    status = "validated" if passed else ("not checkable" if passed is None else "failed")
    ok = status == "validated"
    return Finding(
        chapter=str(chapter),
        key=key,
        statement=statement,
        check=check,
        status=status,
        value=value,
        unit=unit,
        interval=interval,
        level=level,
        evidence=dict(evidence or {}),
        origin=origin,
        headline=headline,
        reason="" if ok else reason,
        action=action if ok and origin != "planted" else "",
        kind=kind,
        subject=subject,
        check_type=check_type,
        would_fail=would_fail,
        tuned=tuned,
        question=question,
    )

"""One published fact about the real files: the record (:class:`Fact`), its families, the
verdicts and the tolerances ``(match, close)`` (see :mod:`kuailive_analysis.fidelity`)."""

from __future__ import annotations

from dataclasses import dataclass

FAMILIES = (
    "counts",
    "engagement rates",
    "watch time",
    "gifting",
    "revenue concentration",
    "streamers",
    "users",
    "rooms",
    "calendar",
    "returns",
    "demographics",
)
VERDICTS = ("match", "close", "off", "not comparable", "n/a")
"""``not comparable``: the comparison is not computed the way its source computed it
(:mod:`kuailive_analysis.fidelity.comparability`); ``n/a``: the data does not allow it."""

# Tolerances (match, close); see the docstring of kuailive_analysis.fidelity.
COUNT = (0.05, 0.20)
COUNT_REAL_FOLDER = (0.0005, 0.02)  # a real download must reproduce the published counts
RATE = (0.10, 0.25)
ROUGH = (0.15, 0.40)  # values the source gives as "about"
TAIL = (0.25, 0.60)  # heavy-tailed: means, p99, max, sums
GINI = (0.03, 0.08)


@dataclass(frozen=True)
class Fact:
    """One published fact about the real files.

    ``unit`` drives formatting: count, share, seconds, minutes, hours, coins, ratio, per_user,
    hour (hour of day), flag (1 = yes). ``mode`` is ``count`` (scaled on a twin, relative),
    ``rel`` (relative), ``abs`` (absolute, in the unit) or ``min`` (at least the real value).
    ``comparable`` and ``basis`` say whether this data's value is computed the way the source
    computed it and why (:mod:`kuailive_analysis.fidelity.comparability`, set for every fact
    of the table there); ``tuned``: the twin's generator was tuned to this value
    (:mod:`kuailive_analysis.fidelity.targets`).
    """

    key: str
    family: str
    fact: str
    real: float
    unit: str
    how: str
    source: str
    tol: tuple[float, float] = RATE
    mode: str = "rel"
    published: str = ""  # how the source states it, when not a plain number
    exact: bool = False  # an exact count of the real files: a real folder must reproduce it
    comparable: bool = True
    basis: str = ""
    tuned: bool = False

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"fact {self.key}: unknown family {self.family!r}")
        if self.mode not in ("count", "rel", "abs", "min"):
            raise ValueError(f"fact {self.key}: unknown mode {self.mode!r}")

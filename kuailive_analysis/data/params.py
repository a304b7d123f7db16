"""The cleaning choices (chapter 1's parameters, part of the cache key), declared once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.core.params import Params, param

__all__ = [
    "KEEPS_REAL_EVENTS",
    "LONG_ROOM_MODES",
    "NAME_RULES",
    "STREAMER_MISMATCH_MODES",
    "CleaningParams",
]

STREAMER_MISMATCH_MODES = ("flag", "drop", "fix")
LONG_ROOM_MODES = ("flag", "drop")
NAME_RULES = ("last", "first")
KEEPS_REAL_EVENTS = {"duplicate_events": "drop_duplicate_events", "long_rooms": "long_rooms"}
"""Rules that may remove real events, with the parameter that makes them drop (they flag by
default)."""


@dataclass(frozen=True)
class CleaningParams(Params):
    """All cleaning choices; every one is part of the Parquet cache's key (see
    :mod:`kuailive_analysis.engine.queries.cleaning` for the rules they steer)."""

    chapter: ClassVar[str] = ChapterId.CLEANING

    max_room_days: float | None = param(
        1.0, "rooms longer than this many days are long rooms; None: no threshold",
        min=0, min_open=True,
    )  # fmt: skip
    long_rooms: str = param(
        "flag", "long rooms and their events: keep flagged or drop", choices=LONG_ROOM_MODES
    )
    drop_duplicate_events: bool = param(
        False, "exact duplicate event rows: False keeps them flagged, True drops them"
    )
    room_name_rule: str = param(
        "last", "title kept for a room listed on several p_dates", choices=NAME_RULES
    )
    streamer_mismatch: str = param(
        "flag", "event vs room streamer_id disagreement", choices=STREAMER_MISMATCH_MODES
    )
    drop_orphans: bool = param(
        True, "drop events whose live_id or user_id is unknown (False: keep them, flagged)"
    )
    drop_outside_window: bool = param(True, "drop events outside the 21-day window")

    def to_dict(self) -> dict:
        """The choices by name (the cache key's ``params``; ``data_dir`` is not a choice)."""
        return self.values()

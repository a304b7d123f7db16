"""The Beijing calendar of the KuaiLive window, and time units (one spelling each).

Every ``*timestamp`` of the files is **epoch milliseconds** (UTC epoch). Calendar days, hours
of day and weekdays are always taken in **Beijing time** (``Asia/Shanghai``, UTC+8, no daylight
saving), the zone the collection window lines up with:

* the window starts at :data:`WINDOW_START_MS` = 2025-05-05 00:00 Beijing (a Monday) and has
  :data:`N_WINDOW_DAYS` = 21 days (to :data:`WINDOW_END_MS` = 2025-05-26 00:00, exclusive);
* **Beijing day index** ``d = (ms - WINDOW_START_MS) // MS_PER_DAY`` (day 0 = 2025-05-05,
  day 20 = 2025-05-25; negative before the window), **hour of day**
  ``((ms - WINDOW_START_MS) % MS_PER_DAY) // MS_PER_HOUR`` (0..23, also before the window,
  because the window starts at a Beijing midnight), **weekday** ``d % 7`` (0 = Monday);
* **UTC day number** ``ms // MS_PER_DAY`` (days since 1970-01-01 UTC; 2025-05-04 = 20,212),
  used only where a published statistic was computed on UTC days.

Units: milliseconds per second / minute / hour / day are :data:`MS_PER_SECOND`,
:data:`MS_PER_MINUTE`, :data:`MS_PER_HOUR`, :data:`MS_PER_DAY`; nothing else in the package
spells them out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TZ = "Asia/Shanghai"
"""Time zone of every calendar-day and hour-of-day view (UTC+8, no daylight saving)."""

MS_PER_SECOND = 1_000
MS_PER_MINUTE = 60 * MS_PER_SECOND
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR
UTC_OFFSET_MS = 8 * MS_PER_HOUR
"""Beijing time minus UTC."""

WINDOW_START_MS = 1_746_374_400_000
"""2025-05-05 00:00:00 Beijing: start of the collection window (first click at +22 ms)."""

N_WINDOW_DAYS = 21
WINDOW_END_MS = WINDOW_START_MS + N_WINDOW_DAYS * MS_PER_DAY
"""2025-05-26 00:00:00 Beijing, exclusive. The real logs end 2025-05-25 22:59:58 (short last
day)."""

CAPPED_END_MS = WINDOW_START_MS + 22 * MS_PER_DAY
"""2025-05-27 00:00:00 Beijing: ``end_timestamp`` of rooms still live at extraction."""

WINDOW_START_DATE = np.datetime64("2025-05-05", "D")
"""Beijing calendar date of day 0."""

WINDOW_START_WEEKDAY = (int(WINDOW_START_DATE.astype("int64")) + 3) % 7
"""Weekday of day 0 (2025-05-05, a Monday): 0. (1970-01-01 was a Thursday, weekday 3.)"""

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _ms(ms) -> np.ndarray:
    return np.asarray(ms, dtype=np.int64)


def beijing_day(ms) -> np.ndarray:
    """Beijing day index since 2025-05-05 (int64; 0..20 inside the window)."""
    return (_ms(ms) - WINDOW_START_MS) // MS_PER_DAY


def beijing_hour(ms) -> np.ndarray:
    """Beijing hour of day 0..23 (int64), also outside the window."""
    return ((_ms(ms) - WINDOW_START_MS) % MS_PER_DAY) // MS_PER_HOUR


def days_since_start(ms) -> np.ndarray:
    """Fractional days since the window start (float64): ``(ms - WINDOW_START_MS) / MS_PER_DAY``."""
    return (np.asarray(ms, dtype=np.float64) - WINDOW_START_MS) / MS_PER_DAY


def day_start_ms(day) -> np.ndarray | int:
    """Epoch ms of Beijing midnight starting day index ``day``."""
    if np.ndim(day) == 0:
        return WINDOW_START_MS + int(day) * MS_PER_DAY
    return WINDOW_START_MS + np.asarray(day, dtype=np.int64) * MS_PER_DAY


def weekday_of_day(day) -> np.ndarray:
    """Weekday (0 = Monday) of Beijing day index ``day`` (0 = 2025-05-05)."""
    return (np.asarray(day, dtype="int64") + WINDOW_START_WEEKDAY) % 7


def day_dates(day) -> np.ndarray:
    """Beijing calendar dates (``datetime64[D]``) of day indices."""
    return WINDOW_START_DATE + np.asarray(day, dtype=np.int64).astype("timedelta64[D]")


def day_date_strings(day) -> list[str]:
    """``YYYY-MM-DD`` strings of Beijing day indices."""
    return [str(d) for d in np.atleast_1d(day_dates(day))]


def beijing_date_int(ms) -> np.ndarray:
    """YYYYMMDD integers (int32) of the Beijing calendar date of epoch-ms values."""
    dates = day_dates(beijing_day(ms))
    y = dates.astype("datetime64[Y]").astype(int) + 1970
    m = dates.astype("datetime64[M]").astype(int) % 12 + 1
    dd = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    return (y * 10000 + m * 100 + dd).astype(np.int32)


def utc_day(ms) -> np.ndarray:
    """UTC day number (days since 1970-01-01 UTC, int64) of epoch-ms values."""
    return _ms(ms) // MS_PER_DAY


def utc_day_start_ms(utc_day_number) -> np.ndarray | int:
    """Epoch ms of UTC midnight starting a UTC day number (08:00 Beijing that day)."""
    if np.ndim(utc_day_number) == 0:
        return int(utc_day_number) * MS_PER_DAY
    return np.asarray(utc_day_number, dtype=np.int64) * MS_PER_DAY


def ms_to_beijing(ms) -> pd.Series | pd.DatetimeIndex:
    """Epoch milliseconds (int64) -> tz-aware ``datetime64[ms, Asia/Shanghai]`` (a Series for
    a Series, keeping its index and name, else a DatetimeIndex)."""
    if isinstance(ms, pd.Series):
        return (
            pd.Series(ms.to_numpy("int64").view("datetime64[ms]"), index=ms.index, name=ms.name)
            .dt.tz_localize("UTC")
            .dt.tz_convert(TZ)
        )
    arr = _ms(ms).view("datetime64[ms]")
    return pd.DatetimeIndex(arr).tz_localize("UTC").tz_convert(TZ)


def format_ms(ms, fmt: str = "%Y-%m-%d %H:%M:%S.%f", *, millis: bool = True) -> str:
    """One epoch-ms value as Beijing wall-clock text (default ``2025-05-05 00:00:00.022``);
    ``millis`` cuts microseconds to milliseconds when ``fmt`` ends with ``%f``. Returns
    ``"out of range"`` for values pandas cannot represent."""
    try:
        text = pd.Timestamp(int(ms), unit="ms", tz="UTC").tz_convert(TZ).strftime(fmt)
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        return "out of range"
    return text[:-3] if millis and fmt.endswith("%f") else text

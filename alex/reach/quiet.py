"""Quiet hours: no reminder and no digest in the evening, at night or at the weekend.

The default is 19:00–07:30 and Saturday/Sunday in the expedition's time zone; an operator may
change the times with ALEX_QUIET_HOURS ("19:00-07:30") and the weekend rule with
ALEX_QUIET_WEEKENDS (true/false).
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

DEFAULT_QUIET = (time(19, 0), time(7, 30))


def parse_quiet_hours(text: str | None) -> tuple[time, time]:
    """'19:00-07:30' → (19:00, 07:30); empty or malformed → the default."""
    if not text:
        return DEFAULT_QUIET
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-", 1))
    except ValueError:
        return DEFAULT_QUIET
    return start, end


def in_quiet_hours(
    now: datetime,
    timezone: str,
    hours: tuple[time, time] = DEFAULT_QUIET,
    weekends: bool = True,
) -> bool:
    """Whether `now` (aware) falls into the quiet hours of a place."""
    local = now.astimezone(ZoneInfo(timezone))
    if weekends and local.weekday() >= 5:
        return True
    start, end = hours
    moment = local.time()
    if start <= end:  # e.g. 12:00-14:00
        return start <= moment < end
    return moment >= start or moment < end  # across midnight

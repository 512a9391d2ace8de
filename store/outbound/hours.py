"""Calling hours in the contact's own time zone: is a moment inside them, and when do they
next open (so a contact due at night waits for its own morning, not the store's)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from store.models.outbound import CallingHours


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours) % 24, int(minutes))


def opening(hours: CallingHours, zone: str, at_us: int) -> int:
    """`at_us` itself when it is inside the hours in `zone`, else when they next open."""
    tz = ZoneInfo(zone)
    local = datetime.fromtimestamp(at_us / 1_000_000, UTC).astimezone(tz)
    start, end = _clock(hours.start), _clock(hours.end)
    for day in range(8):
        date = local.date() + timedelta(days=day)
        if date.isoweekday() not in hours.days:
            continue
        opens = datetime.combine(date, start, tz)
        closes = (
            datetime.combine(date + timedelta(days=1), time(0), tz)
            if hours.end == "24:00"
            else datetime.combine(date, end, tz)
        )
        if day == 0 and opens <= local < closes:
            return at_us
        if local < opens:
            return int(opens.timestamp() * 1_000_000)
    raise ValueError("calling hours never open")  # days is never empty: unreachable


def inside(hours: CallingHours, zone: str, at_us: int) -> bool:
    return opening(hours, zone, at_us) == at_us

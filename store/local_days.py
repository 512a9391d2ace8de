"""Local days of an IANA time zone in UTC µs, in Python and in SQL: a day starts at local
midnight and lasts 23–25 hours. The report rollups (store/rollups.py) are kept per such day."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from store.report_sql import DAY, SECOND

_STEP = DAY


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name` (e.g. Europe/Moscow); ValueError naming it if unknown."""
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Moscow"
        ) from None


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


UTC_ZONE = ZoneInfo("UTC")


def _offset(zone: ZoneInfo, second: int) -> int:
    delta = datetime.fromtimestamp(second, zone).utcoffset()
    assert delta is not None
    return int(delta.total_seconds()) * SECOND


def day_start(zone: ZoneInfo, us: int) -> int:
    """The start (UTC µs) of the local day holding `us`: its midnight, read before a change
    of offset when midnight falls in one (PEP 495 fold 0)."""
    local = datetime.fromtimestamp(us // SECOND, zone)
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
    return int(midnight.timestamp()) * SECOND


def next_day(zone: ZoneInfo, start: int) -> int:
    """The start of the local day after the one starting at `start` (days last 23–25 h)."""
    return day_start(zone, start + 26 * 3600 * SECOND)


def days(zone: ZoneInfo, lo: int, hi: int) -> list[int]:
    """Starts of the local days overlapping [lo, hi)."""
    out, day = [], day_start(zone, lo)
    while day < hi:
        out.append(day)
        day = next_day(zone, day)
    return out


def _periods(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int | None, int]]:
    """(since, offset) of each stretch of one UTC offset over [lo, hi], the first since
    forever: found day by day, each change then to the second by bisection."""
    second, last = lo // SECOND - 2 * 86_400, hi // SECOND + 2 * 86_400
    out: list[tuple[int | None, int]] = [(None, _offset(zone, second))]
    while second < last:
        step = min(86_400, last - second)
        if _offset(zone, second + step) != out[-1][1]:
            a, b = second, second + step  # the change lies in (a, b]
            while b - a > 1:
                mid = (a + b) // 2
                a, b = (a, mid) if _offset(zone, mid) != out[-1][1] else (mid, b)
            out.append((b * SECOND, _offset(zone, b)))
            second = b
        else:
            second += step
    return out


def day_sql(column: str, zone: ZoneInfo, lo: int, hi: int) -> str:
    """SQL for `day_start(zone, column)`, valid for values in [lo, hi]."""
    periods = _periods(zone, lo, hi)

    def start(offset: int, before: int, since: int | None) -> str:
        local = f"((({column}) + ({offset})) / {_STEP}) * {_STEP}"
        if since is None or before == offset:
            return f"({local} - ({offset}))"
        # Midnight read before the change (fold 0) unless it is clearly after it.
        return (
            f"(CASE WHEN {local} - ({max(offset, before)}) < {since} THEN {local} - ({before}) "
            f"ELSE {local} - ({offset}) END)"
        )

    parts = [start(periods[0][1], periods[0][1], None)]
    for (_, before), (since, offset) in pairwise(periods):
        parts.append(start(offset, before, since))
    if len(parts) == 1:
        return parts[0]
    whens = [f"WHEN ({column}) < {since} THEN {part}" for (since, _), part in
             zip(periods[1:], parts, strict=False)]  # fmt: skip
    return f"(CASE {' '.join(whens)} ELSE {parts[-1]} END)"

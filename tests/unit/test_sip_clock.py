"""formats.clock: UTC microseconds that never go backwards."""

from __future__ import annotations

import itertools
import time

from formats.clock import utc_us, utc_us_at_monotonic


def test_utc_us_is_close_to_the_wall_clock() -> None:
    # Read once at import, then advanced by the monotonic clock: within a second of time.time().
    assert abs(utc_us() - time.time_ns() // 1000) < 1_000_000


def test_utc_us_is_microseconds_since_the_epoch() -> None:
    now = utc_us()
    assert isinstance(now, int)
    assert 1_600_000_000 * 10**6 < now < 4_000_000_000 * 10**6


def test_utc_us_never_goes_backwards() -> None:
    readings = [utc_us() for _ in range(20000)]
    assert all(b >= a for a, b in itertools.pairwise(readings))


def test_utc_us_advances_with_elapsed_time() -> None:
    start = utc_us()
    time.sleep(0.02)
    elapsed = utc_us() - start
    assert 19_000 <= elapsed < 1_000_000


def test_utc_us_at_monotonic_matches_utc_us_for_now() -> None:
    before = utc_us()
    stamped = utc_us_at_monotonic(time.monotonic_ns())
    after = utc_us()
    assert before <= stamped <= after


def test_utc_us_at_monotonic_maps_past_readings_by_their_delta() -> None:
    mono = time.monotonic_ns()
    assert utc_us_at_monotonic(mono) - utc_us_at_monotonic(mono - 5_000_000_000) == 5_000_000

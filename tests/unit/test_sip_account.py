"""sip.account: the re-registration back-off, exercised without creating a pjsua2 account."""

from __future__ import annotations

import random
import statistics
from types import SimpleNamespace

import pytest

from sip.account import SipAccount
from sip.config import AccountSettings

JITTER_LOW, JITTER_HIGH = 0.8, 1.0
ROUNDING = 0.005  # the delay is rounded to 1/100 s


def delay(failures: int, retry_min_s: float = 2.0, retry_max_s: float = 300.0) -> float:
    settings = AccountSettings(
        user="1001", domain="pbx.example.com", retry_min_s=retry_min_s, retry_max_s=retry_max_s
    )
    stand_in = SimpleNamespace(failures=failures, settings=settings)
    return SipAccount.next_retry_s(stand_in)  # type: ignore[arg-type]


def in_jitter_band(value: float, base: float) -> bool:
    return JITTER_LOW * base - ROUNDING <= value <= JITTER_HIGH * base + ROUNDING


@pytest.mark.parametrize(
    ("failures", "base"),
    [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (5, 32.0), (6, 64.0), (7, 128.0), (8, 256.0)],
)
def test_delay_doubles_from_retry_min(failures: int, base: float) -> None:
    for _ in range(200):
        assert in_jitter_band(delay(failures), base)


@pytest.mark.parametrize("failures", [9, 10, 16, 17, 50, 10_000])
def test_delay_is_capped_at_retry_max(failures: int) -> None:
    for _ in range(200):
        assert in_jitter_band(delay(failures), 300.0)


def test_cap_applies_to_any_min_and_max() -> None:
    assert all(in_jitter_band(delay(1, 5.0, 12.0), 5.0) for _ in range(100))
    assert all(in_jitter_band(delay(2, 5.0, 12.0), 10.0) for _ in range(100))
    assert all(in_jitter_band(delay(3, 5.0, 12.0), 12.0) for _ in range(100))
    assert all(in_jitter_band(delay(4, 5.0, 5.0), 5.0) for _ in range(100))


def test_delays_never_exceed_retry_max_and_never_shrink_below_the_band() -> None:
    for failures in range(1, 40):
        value = delay(failures, 1.5, 100.0)
        assert value <= 100.0
        assert value >= JITTER_LOW * 1.5 - ROUNDING


def test_jitter_spreads_over_the_band() -> None:
    random.seed(7)
    values = [delay(3) for _ in range(2000)]  # base 8 s
    assert min(values) < 6.5
    assert max(values) > 7.8
    assert statistics.mean(values) == pytest.approx(7.2, abs=0.1)
    assert len(set(values)) > 50  # not a constant


def test_delay_is_rounded_to_hundredths() -> None:
    for failures in range(1, 12):
        value = delay(failures, 1.7, 77.0)
        assert round(value, 2) == value


def test_stand_in_is_only_read() -> None:
    stand_in = SimpleNamespace(
        failures=3, settings=AccountSettings(user="1001", domain="pbx.example.com")
    )
    SipAccount.next_retry_s(stand_in)  # type: ignore[arg-type]
    assert stand_in.failures == 3

"""A call pjsua no longer knows must not stay 'live' in the phone's table."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sip.handlers import CallbackHandlers


class FakeCall:
    def __init__(self, call_id: str, state: str, active: bool) -> None:
        self.call_id, self.state, self.active = call_id, state, active
        self.gone = False
        self.inactive_seen = False

    def isActive(self) -> bool:
        return self.active


def _phone(calls: list[FakeCall]) -> tuple[Any, list[tuple[str, str]], list[str]]:
    ended: list[tuple[str, str]] = []
    errors: list[str] = []

    def on_call_state(call: FakeCall, state: str, code: int, reason: str) -> None:
        call.gone = True
        ended.append((call.call_id, reason))

    table = {c.call_id: c for c in calls}
    handlers = SimpleNamespace(
        state=SimpleNamespace(live_calls=lambda: [c for c in table.values() if not c.gone]),
        on_call_state=on_call_state,
        report_error=lambda where, exc: errors.append(f"{where}: {exc}"),
    )
    return handlers, ended, errors


def test_a_vanished_call_is_ended_at_the_second_audit_and_reported():
    stale, live = FakeCall("a", "confirmed", False), FakeCall("b", "confirmed", True)
    phone, ended, errors = _phone([stale, live])
    CallbackHandlers.end_vanished_calls(phone)
    assert ended == []  # one inactive reading may be a call between states
    CallbackHandlers.end_vanished_calls(phone)
    assert ended == [("a", "call vanished")]
    assert errors == ["call-audit: call a vanished"]


def test_a_call_that_comes_back_is_not_ended():
    flaky = FakeCall("a", "early", False)
    phone, ended, _ = _phone([flaky])
    CallbackHandlers.end_vanished_calls(phone)
    flaky.active = True
    CallbackHandlers.end_vanished_calls(phone)
    flaky.active = False
    CallbackHandlers.end_vanished_calls(phone)
    assert ended == []


def test_calls_not_yet_placed_are_left_alone():
    fresh = FakeCall("a", "null", False)
    phone, ended, _ = _phone([fresh])
    for _ in range(3):
        CallbackHandlers.end_vanished_calls(phone)
    assert ended == []

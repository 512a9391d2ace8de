"""What this desktop tells the supervisors' board about its calls, from engine events through
the call model."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.calls.model import CallBook
from desktop.operator.presence_feed import CallSnapshot
from sip import events as ev

pytestmark = pytest.mark.usefixtures("qapp")  # the call model is a QObject with timers


class Recorded:
    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}

    def update(self, **fields: Any) -> None:
        self.fields.update(fields)


def incoming(call_id: str, number: str, at_us: int) -> ev.IncomingCall:
    return ev.IncomingCall(
        call_id=call_id,
        account_id="acc",
        remote_uri=f"sip:{number}@pbx",
        number=number,
        display_name="",
        sip_call_id=f"sip-{call_id}",
        headers={},
        waiting=False,
        at_us=at_us,
    )


def state(call_id: str, name: str, at_us: int) -> ev.CallStateChanged:
    return ev.CallStateChanged(call_id=call_id, state=name, code=200, reason="", at_us=at_us)


def test_the_board_sees_the_talking_call_its_hold_and_its_end() -> None:
    board = Recorded()
    calls = CallBook()
    snapshot = CallSnapshot(board, calls)
    assert snapshot.current() is None
    calls.apply(incoming("1", "+74951234567", 1_000))
    assert board.fields["call_number"] == "+74951234567"
    assert board.fields["call_answered_us"] is None
    calls.apply(state("1", "confirmed", 3_000))
    assert board.fields["call_answered_us"] == 3_000
    calls.apply(ev.CallMediaChanged(call_id="1", media="local_hold", at_us=5_000))
    assert board.fields["hold_since_us"] == 5_000
    # A second call rings while the first is held: the board keeps showing the answered one.
    calls.apply(incoming("2", "+74997654321", 6_000))
    assert board.fields["call_id"] == "1"
    calls.apply(state("2", "confirmed", 7_000))
    assert board.fields["call_id"] == "2"  # talking beats held
    calls.apply(state("2", "disconnected", 9_000))
    assert board.fields["call_id"] == "1"
    calls.apply(ev.CallMediaChanged(call_id="1", media="active", at_us=9_500))
    assert board.fields["hold_since_us"] is None
    calls.apply(state("1", "disconnected", 10_000))
    assert board.fields["call_id"] is None and board.fields["call_number"] is None


def test_a_dialled_call_is_outbound() -> None:
    board = Recorded()
    calls = CallBook()
    snapshot = CallSnapshot(board, calls)
    calls.on_dialled("7", "+78123334455")
    assert board.fields["call_direction"] == "outbound"
    assert board.fields["call_number"] == "+78123334455"
    assert snapshot.current() is calls.get("7")

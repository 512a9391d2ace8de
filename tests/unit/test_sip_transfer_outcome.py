"""A transfer we asked for always reaches an outcome: from the final NOTIFY, the transferee's
hang-up or resume, pjsip's word that it dropped an unreadable NOTIFY, or the timeout."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from sip import events as ev
from sip.call import CallRecord, offers_hold
from sip.config import EngineConfig
from sip.handlers import UNREADABLE_GRACE_S, CallbackHandlers
from sip.state import TRANSFER_TIMEOUT_S, PhoneState, UnreadableNotifies, transfer_failure

DROPPED = (
    "13:43:20.654        sip_transport.c  Dropping 556 bytes packet from UDP 127.0.0.1:33551 : "
    "PJSIP syntax error exception when parsing 'Subscription-State' header on line 9 col 45"
)


class FakeLoop:
    def __init__(self) -> None:
        self.timers: list[tuple[float, Callable[[], None], SimpleNamespace]] = []

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> SimpleNamespace:
        handle = SimpleNamespace(cancelled=False)
        handle.cancel = lambda: setattr(handle, "cancelled", True)
        self.timers.append((delay_s, fn, handle))
        return handle

    def fire(self, delay_s: float) -> None:
        for due, fn, handle in list(self.timers):
            if due == delay_s and not handle.cancelled:
                handle.cancelled = True
                fn()


class FakeCall:
    def __init__(self, call_id: str = "c1", held: bool = False) -> None:
        self.record = CallRecord(call_id=call_id, account_id="a", direction="inbound")
        self.call_id = call_id
        self.state = "confirmed"
        self.gone = False
        self.hangup_requested = False
        self.quiet = False
        self.monitor = None  # a customer call, not a monitoring leg
        self.far_end_holds = False
        self.transfer: Any = None
        self.media = SimpleNamespace(held=held)
        self.done: list[str] = []

    def cancel_timers(self) -> None:
        pass

    def end(self, code: int = 0) -> None:
        self.hangup_requested = True
        self.done.append("end")

    def take_off_hold(self) -> None:
        self.media.held = False
        self.done.append("resume")

    def put_on_hold(self) -> None:
        self.media.held = True
        self.done.append("hold")


@pytest.fixture
def phone() -> Iterator[tuple[PhoneState, FakeLoop, list[ev.Event]]]:
    events: list[ev.Event] = []
    loop = FakeLoop()
    endpoint = SimpleNamespace(transportShutdown=lambda handle: None)
    state = PhoneState(EngineConfig(), endpoint, loop, events.append, None, None)  # type: ignore[arg-type]
    yield state, loop, events
    state.close()


def start(state: PhoneState, call: FakeCall, kind: str = "blind") -> None:
    state.calls[call.call_id] = call  # type: ignore[assignment]
    entry = {"kind": kind, "target": "sip:carol@pbx", "code": None, "succeeded": None}
    state.transfer_started(call, kind, entry, TRANSFER_TIMEOUT_S)  # type: ignore[arg-type]


def finals(events: list[ev.Event]) -> list[ev.TransferProgress]:
    return [e for e in events if isinstance(e, ev.TransferProgress) and e.final]


def test_a_transfer_without_any_outcome_is_given_up_after_30_s(phone):
    state, loop, events = phone
    call = FakeCall(held=True)
    start(state, call)
    assert [t[0] for t in loop.timers] == [30.0]
    loop.fire(30.0)
    (final,) = finals(events)
    assert not final.succeeded and final.evidence == "timeout" and final.call_back
    assert "30 s" in final.reason and "back with you" in final.reason
    assert call.transfer is None and call.done == ["resume"]
    assert call.record.transfers[0]["succeeded"] is False


def test_the_final_notify_decides_and_stops_the_timer(phone):
    state, loop, events = phone
    handlers = CallbackHandlers(state)
    call = FakeCall()
    start(state, call)
    assert handlers.on_transfer_status(call, 202, "Accepted", False) is True  # type: ignore[arg-type]
    assert handlers.on_transfer_status(call, 200, "OK", True) is False  # type: ignore[arg-type]
    (final,) = finals(events)
    assert final.succeeded and final.evidence == "notify" and not final.call_back
    assert call.done == ["end"] and call.record.ended_by == "transfer"
    assert all(handle.cancelled for _, _, handle in loop.timers)


def test_a_target_refusing_replaces_gives_the_call_back_with_words(phone):
    state, _, events = phone
    handlers = CallbackHandlers(state)
    call, consult = FakeCall(held=True), FakeCall("c2")
    state.calls["c2"] = consult  # type: ignore[assignment]
    start(state, call, "attended")
    handlers.on_transfer_status(call, 202, "Accepted", False)  # type: ignore[arg-type]
    handlers.on_transfer_status(call, 420, "Bad Extension", True)  # type: ignore[arg-type]
    (final,) = finals(events)
    assert not final.succeeded and final.call_back and final.code == 420
    assert "Replaces" in final.reason
    assert consult.done == ["hold"] and call.done == ["resume"]


def test_an_unreadable_final_notify_completes_the_waiting_transfer(phone):
    state, loop, events = phone
    handlers = CallbackHandlers(state)
    call = FakeCall()
    start(state, call)
    handlers.on_transfer_status(call, 202, "Accepted", False)  # type: ignore[arg-type]
    for _ in range(3):  # the far end retransmits what pjsip drops
        logging.getLogger("pjsua2").warning("%s", DROPPED)
        handlers.on_unreadable_notifies()
    assert [t[0] for t in loop.timers] == [TRANSFER_TIMEOUT_S, UNREADABLE_GRACE_S]
    loop.fire(UNREADABLE_GRACE_S)
    (final,) = finals(events)
    assert final.succeeded and final.evidence == "unreadable_notify"
    assert call.done == ["end"]


def test_the_transferee_hanging_up_after_accepting_completes_the_transfer(phone):
    state, _, events = phone
    handlers = CallbackHandlers(state)
    call = FakeCall()
    call.media = SimpleNamespace(held=False, close=lambda: None)
    start(state, call)
    handlers.on_transfer_status(call, 202, "Accepted", False)  # type: ignore[arg-type]
    call.state = "disconnected"
    handlers.on_call_state(call, "disconnected", 200, "Normal call clearing")  # type: ignore[arg-type]
    (final,) = finals(events)
    assert final.succeeded and final.evidence == "hangup"
    ended = [e for e in events if isinstance(e, ev.CallEnded)]
    assert ended[0].record["ended_by"] == "transfer"
    assert ended[0].record["cause_reason"] == "Normal call clearing"


def test_failure_words_name_the_cause():
    assert "not found" in transfer_failure(404, "Not Found", "blind", "notify")
    assert "busy" in transfer_failure(486, "Busy Here", "blind", "notify")
    assert "refused the transfer" in transfer_failure(405, "Not Allowed", "blind", "refused")
    assert "took the call back" in transfer_failure(0, "", "blind", "taken_back")


def test_hold_is_read_from_the_far_ends_offer():
    audio = "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n"
    assert offers_hold(audio + "a=sendonly\r\n")
    assert offers_hold(audio + "a=inactive\r\n")
    assert not offers_hold(audio + "a=sendrecv\r\n")
    assert not offers_hold(audio)
    assert offers_hold("v=0\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n")


def test_unreadable_notifies_are_seen_whatever_the_loggers_level():
    logger = logging.getLogger("pjsua2")
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        seen = UnreadableNotifies()
        passed: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: passed.append(record.getMessage())  # type: ignore[method-assign]
        logger.addHandler(handler)
        logger.warning("%s", DROPPED)
        logger.warning("Dropping 12 bytes packet from UDP 1.2.3.4:5 : bad 'To' header")
        logger.error("an error")
        logger.removeHandler(handler)
        seen.close()
        assert seen.take() == 1
        assert passed == ["an error"]  # what the logger's level let through before
        assert logger.level == logging.ERROR
    finally:
        logger.setLevel(before)

"""The call model: one Call per call id from engine events; hold time, wrap-up and the store
record worked out once; a call leaves the book when its wrap-up and its record are done."""

from __future__ import annotations

import dataclasses
import gc
import weakref

import pytest
from pytestqt.qtbot import QtBot

from desktop.calls.model import Call, CallBook, actions
from formats.clock import utc_us
from sip import events as ev

S = 1_000_000


def incoming(call_id: str, at_us: int = 1_000) -> ev.IncomingCall:
    return ev.IncomingCall(call_id=call_id, account_id="a", remote_uri="sip:+74951234567@pbx",
                           number="+74951234567", display_name="Ivan", sip_call_id=f"s-{call_id}",
                           headers={"x-queue": "sales"}, waiting=False, at_us=at_us)  # fmt: skip


def state(call_id: str, name: str, at_us: int) -> ev.CallStateChanged:
    return ev.CallStateChanged(call_id=call_id, state=name, code=200, reason="OK", at_us=at_us)


def media(call_id: str, name: str, at_us: int) -> ev.CallMediaChanged:
    return ev.CallMediaChanged(call_id=call_id, media=name, at_us=at_us)


def ended(call_id: str, at_us: int, **record: object) -> ev.CallEnded:
    return ev.CallEnded(call_id=call_id, record=dict(record), at_us=at_us)


class Seen:
    """Which call ids each of the book's signals carried, in order."""

    def __init__(self, book: CallBook) -> None:
        self.names: list[tuple[str, str]] = []
        for name in ("added", "ended", "wrap_up_finished", "record_ready"):
            getattr(book, name).connect(lambda call, n=name: self.names.append((n, call.call_id)))


def test_an_answered_call_holds_and_wraps_up_until_its_card_is_finished(qtbot: QtBot) -> None:
    book = CallBook("alice")
    seen = Seen(book)
    for event in (incoming("c1", 1 * S), state("c1", "confirmed", 2 * S),
                  media("c1", "local_hold", 3 * S), media("c1", "local_hold", 4 * S),
                  media("c1", "active", 5 * S), media("c1", "local_hold", 7 * S)):  # fmt: skip
        book.apply(event)
    call = book.get("c1")
    assert isinstance(call, Call) and call.live and call.hold_since_us == 7 * S
    assert call.hold_us(now_us=8 * S) == 3 * S
    assert actions(call, book) >= {"hangup", "resume"}
    book.apply(ended("c1", 9 * S, ended_by="remote", end_at_us=9 * S, cause_code=200))
    assert call.ended and not call.live and call.in_wrap_up and "c1" not in book.rows
    assert call.hold_us() == 4 * S  # the hold still running counts until the end
    assert call.record is not None
    assert call.record["agent"] == "alice" and call.record["ended_by"] == "remote"
    assert call.record["holds"] == [
        {"start_us": 3 * S, "end_us": 5 * S},
        {"start_us": 7 * S, "end_us": 9 * S},
    ]
    assert [e["kind"] for e in call.record["events"]] == [
        "ringing", "confirmed", "media_local_hold", "media_local_hold", "media_active",
        "media_local_hold",
    ]  # fmt: skip
    assert seen.names == [("added", "c1"), ("ended", "c1"), ("record_ready", "c1")]
    assert book.get("c1") is call  # still in wrap-up
    book.finish_wrap_up("c1", 20 * S)
    assert call.wrap_up_end_us == 20 * S and book.get("c1") is None
    assert seen.names[-1] == ("wrap_up_finished", "c1")


def test_the_engines_holds_are_the_ones_kept(qtbot: QtBot) -> None:
    book = CallBook()
    book.apply(incoming("c1", 1 * S))
    book.apply(media("c1", "local_hold", 2 * S))
    holds = [{"start_us": 2 * S, "end_us": 4 * S}]
    book.apply(ended("c1", 9 * S, answer_at_us=1 * S, holds=holds, end_at_us=8 * S))
    call = book.get("c1")
    assert call is not None and call.hold_us() == 2 * S and call.ended_us == 8 * S


def test_a_missed_call_has_no_wrap_up(qtbot: QtBot) -> None:
    book = CallBook()
    seen = Seen(book)
    book.apply(incoming("m"))
    book.apply(ended("m", 5 * S, answer_at_us=None, ended_by="remote"))
    assert seen.names == [("added", "m"), ("ended", "m"), ("wrap_up_finished", "m"),
                          ("record_ready", "m")]  # fmt: skip
    assert book.get("m") is None


def test_calls_refused_in_a_break_go_to_the_store_with_that_state(qtbot: QtBot) -> None:
    """A call the softphone refused by do-not-disturb, and one rejected by hand while it rang,
    are legs for the store with the agent's state then and the INVITE's PBX headers; a call
    refused for another reason (an untrusted source) is none."""
    states = iter(["break", "wrap_up"])
    book = CallBook("ann", extension="1001", agent_state=lambda: next(states))
    ready: list[Call] = []
    book.record_ready.connect(ready.append)
    headers = {"x-queue": "support", "x-queue-wait": "7", "x-pbx-call-id": "pbx-9"}
    refused = ev.IncomingCallRejected(
        account_id="a", remote_uri="sip:+7912@pbx", number="+7912", sip_call_id="r@pbx",
        code=486, reason="do not disturb", headers=headers, dnd=True, at_us=3 * S,
    )  # fmt: skip
    book.apply(refused)
    book.apply(dataclasses.replace(refused, code=403, reason="untrusted", dnd=False))
    book.apply(incoming("h", 5 * S))
    book.apply(ended("h", 6 * S, answer_at_us=None, ended_by="rejected"))
    records = [c.record or {} for c in ready]
    assert [(r["refusal"], r["started_us"], r.get("queue"), r.get("pbx_call_id"),
             r.get("queue_wait_s")) for r in records] == [
        ("break", 3 * S, "support", "pbx-9", 7.0), ("wrap_up", 5 * S, "sales", None, None),
    ]  # fmt: skip
    assert records[0]["agent"] == "ann" and records[0]["extension"] == "1001"
    assert book.calls == {}


def test_the_wrap_up_ends_at_its_maximum_and_the_record_waits_for_the_audio(
    qtbot: QtBot,
) -> None:
    book = CallBook(wrap_up_max_s=0.2, audio_wait_ms=5000)
    seen = Seen(book)
    book.apply(state("o", "calling", 1 * S))  # dialled: the operator was on it
    book.on_dialled("o", "+78123334455")
    book.apply(ev.RecordingStarted(call_id="o", path="/x.wav", first_sample_utc_us=0,
                                   sample_rate=16000))  # fmt: skip
    book.apply(ended("o", 0))
    call = book.get("o")
    assert call is not None and call.number == "+78123334455" and call.direction == "outbound"
    with qtbot.waitSignal(book.wrap_up_finished, timeout=3000):
        pass
    assert call.wrap_up_end_us is not None and book.get("o") is call  # the WAV is not in yet
    book.apply(ev.RecordingFinished(call_id="o", path="/x.wav", first_sample_utc_us=0,
                                    sample_rate=16000, frames=1))  # fmt: skip
    assert seen.names[-1] == ("record_ready", "o") and book.get("o") is None
    assert str(call.audio) == "/x.wav"


@pytest.mark.parametrize("finish", ["card", "operator"])
def test_finishing_ends_the_wrap_up_once(qtbot: QtBot, finish: str) -> None:
    book = CallBook()
    seen = Seen(book)
    book.apply(incoming("c"))
    book.apply(state("c", "confirmed", 2 * S))
    book.apply(ended("c", 3 * S))
    if finish == "card":
        book.finish_wrap_up("c")
    else:
        book.finish_wrap_ups()
    book.finish_wrap_ups()
    assert [n for n in seen.names if n[0] == "wrap_up_finished"] == [("wrap_up_finished", "c")]


def test_a_finished_call_is_not_kept_alive_by_its_timers(qtbot: QtBot) -> None:
    """Its card was finished: the call's objects go at once (the timer of ``wrap_up_max_s``
    still pending names it by id only; it held the whole call for 10 min)."""
    book = CallBook(audio_wait_ms=60_000)
    now = utc_us()
    book.apply(incoming("w", now))
    book.apply(state("w", "confirmed", now + 1))
    book.apply(ev.RecordingStarted(call_id="w", path="/w.wav", first_sample_utc_us=now,
                                   sample_rate=16000))  # fmt: skip
    book.apply(ended("w", now + 2, answer_at_us=now + 1, end_at_us=now + 2))
    call = book.get("w")
    assert call is not None
    gone = weakref.ref(call)
    book.apply(ev.RecordingFinished(call_id="w", path="/w.wav", first_sample_utc_us=now,
                                    sample_rate=16000, frames=1))  # fmt: skip
    book.finish_wrap_up("w")
    del call
    gc.collect()
    assert book.get("w") is None and gone() is None

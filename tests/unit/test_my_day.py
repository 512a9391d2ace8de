"""My day: figures of a hand-computed day, from engine events through the call model and the
local log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.agent.state import AgentState
from desktop.calls.history import (
    CallEntry,
    CallHistory,
    CallLog,
    WrapUpTally,
    day_figures,
    entry_of,
)
from desktop.calls.model import CallBook
from desktop.calls.my_calls import day_start, to_us
from desktop.calls.my_day import MyDayPanel
from sip import events as ev

pytestmark = pytest.mark.usefixtures("qapp")  # the call model is a QObject with timers
S = 1_000_000  # one second in microseconds
# One minute into today, so that every call falls in today whenever the test runs.
T0 = to_us(day_start()) + 60 * S


def ended(
    call_id: str, direction: str, ring: float, answer: float | None, end: float
) -> ev.CallEnded:
    record = {
        "call_id": call_id,
        "direction": direction,
        "number": f"+7495000{call_id}",
        "ring_at_us": T0 + int(ring * S),
        "answer_at_us": None if answer is None else T0 + int(answer * S),
        "end_at_us": T0 + int(end * S),
        "ended_by": "remote",
    }
    return ev.CallEnded(call_id=call_id, record=record, at_us=T0 + int(end * S))


def begin(call_id: str, direction: str, at: float) -> ev.Event:
    """The call's first event: it rings (inbound) or is dialled (outbound)."""
    at_us = T0 + int(at * S)
    if direction == "outbound":
        return ev.CallStateChanged(call_id=call_id, state="calling", code=0, reason="",
                                   at_us=at_us)  # fmt: skip
    return ev.IncomingCall(call_id=call_id, account_id="a", remote_uri=f"sip:{call_id}@pbx",
                           number=f"+7495000{call_id}", display_name="", sip_call_id="",
                           headers={}, waiting=False, at_us=at_us)  # fmt: skip


def media(call_id: str, state: str, at: float) -> ev.CallMediaChanged:
    return ev.CallMediaChanged(call_id=call_id, media=state, at_us=T0 + int(at * S))


# The day, by hand (seconds from T0):
#   1 inbound  rings 0, answered 5, ends 125; on hold 30..50            talk 100, hold 20
#   2 inbound  rings 200, nobody answers, ends 215                      missed
#   3 outbound dialled 300, answered 310, ends 370                      talk 60
#   4 outbound dialled 400, never answered, ends 420                    made, not handled
#   5 inbound  rings 500, answered 502, ends 562; holds 510..520, 530..545  talk 35, hold 25
# Wrap-ups 30 + 12.5 + 20 = 62.5 s. Answered 2, missed 1, made 2, handled 3.
# Talk 195 s, hold 45 s; AHT = (195 + 45 + 62.5) / 3 = 100.8333 s.
DAY: list[ev.Event] = [
    begin("1", "inbound", 0),
    media("1", "active", 5),
    media("1", "local_hold", 30),
    media("1", "active", 50),
    ended("1", "inbound", 0, 5, 125),
    begin("2", "inbound", 200),
    ended("2", "inbound", 200, None, 215),
    begin("3", "outbound", 300),
    media("3", "active", 310),
    ended("3", "outbound", 300, 310, 370),
    begin("4", "outbound", 400),
    ended("4", "outbound", 400, None, 420),
    begin("5", "inbound", 500),
    media("5", "active", 502),
    media("5", "local_hold", 510),
    media("5", "local_hold", 515),  # a repeated report does not restart the hold
    media("5", "active", 520),
    media("5", "local_hold", 530),
    media("5", "remote_hold", 545),
    ended("5", "inbound", 500, 502, 562),
]
WRAPUPS = [30.0, 12.5, 20.0]


def feed(events: list[ev.Event], book: CallBook | None = None) -> CallBook:
    """The events through a call model (a new one unless ``book`` is given)."""
    book = book if book is not None else CallBook()
    for event in events:
        book.apply(event)
    return book


def collect(events: list[ev.Event]) -> list[CallEntry]:
    """The local log's entries of the calls that end in ``events``."""
    book = CallBook()
    entries: list[CallEntry] = []
    book.ended.connect(lambda call: entries.append(entry_of(call)))
    feed(events, book)
    return entries


def test_figures_of_a_hand_computed_day() -> None:
    calls = collect(DAY)
    assert [c.call_id for c in calls] == ["1", "2", "3", "4", "5"]
    assert [c.hold_us // S for c in calls] == [20, 0, 0, 0, 25]
    f = day_figures(calls, WRAPUPS)
    assert (f.answered, f.missed, f.made, f.handled) == (2, 1, 2, 3)
    assert (f.talk_s, f.hold_s, f.wrap_s) == (195.0, 45.0, 62.5)
    assert f.average_handle_s == pytest.approx(302.5 / 3)


def test_a_hold_still_running_at_the_end_counts_until_the_end() -> None:
    calls = collect(
        [begin("9", "inbound", 0), media("9", "local_hold", 40), ended("9", "inbound", 0, 10, 100)]
    )
    assert calls[0].hold_us == 60 * S and calls[0].talk_us == 30 * S


def test_no_handled_call_has_no_average() -> None:
    f = day_figures(collect([begin("2", "inbound", 0), ended("2", "inbound", 0, None, 15)]), [])
    assert (f.missed, f.handled, f.average_handle_s) == (1, 0, None)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[CallHistory]:
    made = CallHistory(CallLog(tmp_path / "calls.sqlite3"))
    yield made
    made.close()


def test_the_panel_shows_the_day_from_the_local_log(qtbot: QtBot, history: CallHistory) -> None:
    panel = MyDayPanel(history)
    qtbot.addWidget(panel)
    panel.set_wrapups(WRAPUPS)
    book = CallBook()
    book.ended.connect(history.on_call_ended)
    feed(DAY, book)
    shown = panel.values
    qtbot.waitUntil(lambda: shown["made"].text() == "2", timeout=5000)
    qtbot.waitUntil(lambda: shown["talk"].text() == "3:15", timeout=5000)
    assert shown["answered"].text() == "2" and shown["missed"].text() == "1"
    assert shown["hold"].text() == "0:45" and shown["wrap"].text() == "1:02"
    assert shown["aht"].text() == "1:41"  # 100.83 s
    # The log is a file: a new panel over a reopened log shows the same day.
    again = CallHistory(CallLog(history.call_log.path))
    other = MyDayPanel(again, wrapups=lambda: WRAPUPS)
    qtbot.addWidget(other)
    qtbot.waitUntil(lambda: other.values["aht"].text() == "1:41", timeout=5000)
    again.close()


def test_wrap_up_time_comes_from_the_agent_state_model() -> None:
    """Two calls, each with a wrap-up: one runs out (30 s), one the operator ends (12 s)."""
    now = [T0]
    state = AgentState(wrap_up_s=30.0, clock=lambda: now[0])
    done: list[int] = []
    tally = WrapUpTally(on_done=lambda: done.append(1))
    state.subscribe(tally.on_change)
    reg = ev.RegistrationChanged(account_id="a", state="registered", code=200, reason="OK")
    state.on_event(reg)
    for call_id, end in (("1", 100), ("2", 300)):
        state.on_event(
            ev.CallStateChanged(call_id=call_id, state="confirmed", code=200, reason="OK",
                                at_us=T0 + (end - 50) * S)
        )  # fmt: skip
        state.on_event(ended(call_id, "inbound", end - 60, end - 50, end))
        assert state.state == "wrap_up"
        if call_id == "1":
            state.tick(T0 + (end + 31) * S)
        else:
            now[0] = T0 + 312 * S  # the operator ends it 12 s in
            state.end_wrap_up()
    assert tally.seconds_since(T0) == [30.0, 12.0] and len(done) == 2
    assert tally.seconds_since(T0 + 200 * S) == [12.0]

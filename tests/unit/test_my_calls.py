"""My calls: the local log written off the UI thread, merging with the store, and the table."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.calls.history import (
    CallEntry,
    CallHistory,
    CallLog,
    from_store,
    merge,
)
from desktop.calls.model import CallBook
from desktop.calls.my_calls import MyCallsPanel, day_start, to_us
from sip import events as ev
from store.client import StoreUnavailable
from tests.unit.test_my_day import begin, collect, feed

S = 1_000_000
T0 = to_us(day_start()) + 60 * S


class ThreadNotingLog(CallLog):
    """The real log, noting which thread writes to it."""

    writers: list[str]

    def add(self, entry: CallEntry) -> None:
        self.writers.append(threading.current_thread().name)
        super().add(entry)


@pytest.fixture
def call_log(tmp_path: Path) -> Iterator[ThreadNotingLog]:
    made = ThreadNotingLog(tmp_path / "calls.sqlite3")
    made.writers = []
    yield made
    made.close()


def call_ended(call_id: str, number: str, at: int, answered: bool = True) -> ev.CallEnded:
    record = {
        "direction": "inbound",
        "number": number,
        "display_name": "Ivan Petrov",
        "sip_call_id": f"sip-{call_id}",
        "ring_at_us": T0 + at * S,
        "answer_at_us": T0 + (at + 3) * S if answered else None,
        "end_at_us": T0 + (at + 65) * S,
    }
    return ev.CallEnded(call_id=call_id, record=record, at_us=T0 + (at + 65) * S)


def test_merge_by_call_id_keeps_local_times_and_takes_the_store_disposition() -> None:
    local = [CallEntry("a", "inbound", "+1", T0, answered_us=T0 + S, ended_us=T0 + 9 * S)]
    store = [
        from_store(
            {
                "id": "a",
                "direction": "inbound",
                "remote_number": "+1",
                "started_us": T0 + 2 * S,  # the store's clock differs a little
                "duration_s": 8.0,
                "disposition": "sale",
            }
        ),
        from_store(
            {
                "id": "b",
                "direction": "outbound",
                "remote_number": "+2",
                "started_us": T0 + 60 * S,
                "answered_us": T0 + 65 * S,
                "ended_us": T0 + 125 * S,
                "holds": [{"start_us": T0 + 70 * S, "end_us": T0 + 80 * S}],
                "disposition": None,
            }
        ),
    ]
    merged = merge(local, store)
    assert [(c.call_id, c.source) for c in merged] == [("b", "store"), ("a", "both")]
    b, a = merged
    assert a.started_us == T0 and a.disposition == "sale"
    assert (b.connected_us, b.hold_us, b.talk_us) == (60 * S, 10 * S, 50 * S)


def test_a_search_summary_counts_its_talk_time() -> None:
    entry = from_store({"id": "x", "direction": "inbound", "started_us": T0, "duration_s": 42.5})
    assert entry.answered and entry.connected_us == 42_500_000


def test_ended_calls_are_written_off_the_ui_thread_and_listed(
    qtbot: QtBot, call_log: ThreadNotingLog
) -> None:
    history = CallHistory(call_log)
    panel = MyCallsPanel(history)
    qtbot.addWidget(panel)
    book = CallBook()
    book.ended.connect(history.on_call_ended)
    feed([begin("c1", "inbound", 10), call_ended("c1", "+74951234567", 10)], book)
    feed([begin("c2", "inbound", 200), call_ended("c2", "+74957654321", 200, False)], book)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=5000)
    assert call_log.writers and all(name.startswith("ui-worker") for name in call_log.writers)
    rows = [
        [panel.table.item(r, c).text() for c in range(panel.table.columnCount())] for r in range(2)
    ]
    assert rows[0][2] == "+74957654321 Ivan Petrov" and rows[0][5] == "missed"
    assert rows[1][2] == "+74951234567 Ivan Petrov" and rows[1][3] == "1:02"
    assert rows[1][5] == "answered"
    # each ended call reloads the list: the status is the last reload's
    qtbot.waitUntil(lambda: "no store is set up" in panel.status.text(), timeout=5000)


def test_an_unreachable_store_still_shows_the_local_calls_and_says_why(
    qtbot: QtBot, call_log: ThreadNotingLog
) -> None:
    def store_down(from_us: int, to_us: int, known: list[str]) -> list[CallEntry]:
        raise StoreUnavailable("cannot reach the store at http://127.0.0.1:9: refused")

    (entry,) = collect([begin("c1", "inbound", 0), call_ended("c1", "+7495", 0)])
    call_log.add(entry)
    history = CallHistory(call_log, store_down)
    panel = MyCallsPanel(history)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: "could not be read" in panel.status.text(), timeout=5000)
    assert panel.table.rowCount() == 1
    assert "cannot reach the store at http://127.0.0.1:9" in panel.status.text()

"""The live board: rows from the store's board answer, times against the server's clock,
norm breaches highlighted, the fetch off the UI thread."""

from __future__ import annotations

import threading
from typing import Any

from pytestqt.qtbot import QtBot

from desktop.supervisor.agent_board import (
    BREACH,
    COL_CALL_TIME,
    COL_HOLD,
    COL_IN_STATE,
    AgentBoard,
    Norms,
    breaches,
)
from store.client_types import Board, BoardRow

S = 1_000_000
NOW = 1_741_170_000 * S


def row(agent: str, state: str, since_s: int, **extra: Any) -> BoardRow:
    base: dict[str, Any] = {
        "agent": agent, "state": state, "reason": None, "since_us": NOW - since_s * S,
        "presence_us": NOW, "occupancy_10min_pct": None, "recording": False,
        "upload_backlog": 0, "upload_backlog_bytes": 0,
    }  # fmt: skip
    base.update(extra)
    return base  # type: ignore[return-value]


def board_answer() -> Board:
    return {
        "now_us": NOW,
        "agents": [
            # On hold for 150 s (norm 120 s) in a call answered 400 s ago; recording.
            row("ann", "on_call", 400, call_number="+79125550102", call_started_us=NOW - 410 * S,
                call_answered_us=NOW - 400 * S, hold_since_us=NOW - 150 * S, recording=True,
                upload_backlog=4, upload_backlog_bytes=3 * 1_048_576, occupancy_10min_pct=71.4),
            # On break for 20 minutes (norm 15).
            row("ben", "break", 1200, reason="lunch"),
            # A call ringing for 45 s (norm 30 s) while ready.
            row("cal", "ready", 60, call_number="+74951234567", call_started_us=NOW - 45 * S),
            # Everything within the norms.
            row("dan", "wrap_up", 30, occupancy_10min_pct=12.0),
        ],
    }  # fmt: skip


def texts(board: AgentBoard, r: int) -> list[str]:
    return [board.table.item(r, c).text() for c in range(board.table.columnCount())]


def highlighted(board: AgentBoard, r: int) -> set[int]:
    return {
        c
        for c in range(board.table.columnCount())
        if board.table.item(r, c).background().color() == BREACH
    }


def test_board_shows_agents_and_highlights_norm_breaches(qtbot: QtBot) -> None:
    threads: list[threading.Thread] = []

    def fetch() -> Board:
        threads.append(threading.current_thread())
        return board_answer()

    board = AgentBoard(fetch)
    qtbot.addWidget(board)
    board.start()
    qtbot.waitUntil(lambda: board.table.rowCount() == 4, timeout=3000)
    assert threads and threads[0] is not threading.main_thread()
    ann = texts(board, 0)
    assert ann[:2] == ["ann", "On a call"]
    assert ann[3] == "+79125550102"
    assert ann[4].startswith("6:4") and ann[5].startswith("2:3")  # 400 s talk, 150 s hold
    assert ann[6:] == ["on", "4 · 3.0 MB", "71 %"]
    assert highlighted(board, 0) == {COL_HOLD}
    assert texts(board, 1)[1] == "Break (lunch)"
    assert highlighted(board, 1) == {COL_IN_STATE}
    assert texts(board, 2)[3] == "+74951234567 (ringing)"
    assert highlighted(board, 2) == {COL_CALL_TIME}
    assert highlighted(board, 3) == set()
    board.stop()


def test_a_failed_fetch_is_shown_and_the_last_board_kept(qtbot: QtBot) -> None:
    answers: list[Any] = [board_answer(), OSError("cannot reach the store")]

    def fetch() -> Board:
        answer = answers.pop(0) if answers else OSError("still down")
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    board = AgentBoard(fetch)
    qtbot.addWidget(board)
    board.refresh()
    qtbot.waitUntil(lambda: board.table.rowCount() == 4, timeout=3000)
    board.refresh()
    qtbot.waitUntil(lambda: "cannot reach the store" in board.status.text(), timeout=3000)
    assert board.table.rowCount() == 4 and board.table.item(0, 0).text() == "ann"


def test_norm_limits_are_strictly_above() -> None:
    norms = Norms(hold_s=120, wait_s=30, break_s=900)
    held = row("ann", "on_call", 10, hold_since_us=NOW - 120 * S, call_started_us=NOW - 10 * S)
    assert breaches(held, NOW, norms) == set()
    assert breaches(held, NOW + 1 * S, norms) == {COL_HOLD}
    assert breaches(row("ben", "break", 900), NOW, norms) == set()
    assert breaches(row("ben", "break", 901), NOW, norms) == {COL_IN_STATE}
    assert breaches(row("cal", "ready", 5000), NOW, norms) == set()  # ready has no limit

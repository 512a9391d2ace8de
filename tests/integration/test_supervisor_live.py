"""The supervisor's desktop against a real store on 127.0.0.1 (offscreen Qt): the live queue
panel shows the queues from queue events the PBX posted; the screen viewer paints the frames an
agent's desktop sends while watched, and the operator's window shows "screen watched" as the
policy says.

Queue fixture (``now`` = the time of the test, seconds; sales):
  PJSIP/201 and PJSIP/202 added; caller A enters at now-100, PJSIP/201 takes it after 5 s;
  B enters at now-80 and hangs up after 10 s; C enters at now-30 and still waits.
  → waiting 1, longest wait ≥ 0:30, free 1 (PJSIP/202; PJSIP/201 is on A),
    answered 1, abandoned 1, offered 3, service level (within 20 s) 100 × 1 / 3 = 33.3 %.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop.operator.screen_watched import ScreenWatched
from desktop.supervisor.queue_panel import (
    COL_ABANDONED,
    COL_ANSWERED,
    COL_FREE,
    COL_LONGEST,
    COL_QUEUE,
    COL_SL,
    COL_WAITING,
    QueuePanel,
)
from desktop.supervisor.screen_view import ScreenView
from formats.screen_live import LiveFrame, LivePart, write_frame
from recorder.live.pictures import jpeg
from store.client import GoneError, StoreClient
from store.pbx.client import QueueClient
from tests.integration.store_kit import running_store
from tests.servers.store import StoreServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreServer]:
    with running_store(request, tmp_path_factory.mktemp("supervisor-live")) as made:
        yield made


def cell(panel: QueuePanel, row: int, col: int) -> str:
    item = panel.table.item(row, col)
    return "" if item is None else item.text()


def test_the_queue_panel_shows_the_pbx_queues(qtbot: QtBot, server: StoreServer) -> None:
    now = int(time.time())
    lines = [
        f"{now - 300}|NONE|sales|PJSIP/201|ADDMEMBER|",
        f"{now - 300}|NONE|sales|PJSIP/202|ADDMEMBER|",
        f"{now - 100}|{now - 100}.1|sales|NONE|ENTERQUEUE||+79990000001|1",
        f"{now - 95}|{now - 100}.1|sales|PJSIP/201|CONNECT|5|{now - 95}.2|5",
        f"{now - 80}|{now - 80}.1|sales|NONE|ENTERQUEUE||+79990000002|1",
        f"{now - 70}|{now - 80}.1|sales|NONE|ABANDON|1|1|10",
        f"{now - 30}|{now - 30}.1|sales|NONE|ENTERQUEUE||+79990000003|1",
    ]
    with QueueClient(server.base_url, server.tokens["ada"]) as pbx:
        assert pbx.send_queue_log("\n".join(lines))["stored"] == len(lines)
    with StoreClient(server.base_url, server.tokens["sam"]) as sam:
        panel = QueuePanel(sam.queues_live)
        qtbot.addWidget(panel)
        panel.start()
        qtbot.waitUntil(lambda: cell(panel, 0, COL_QUEUE) == "sales", timeout=10_000)
        assert [cell(panel, 0, c) for c in (COL_WAITING, COL_FREE)] == ["1", "1"]
        assert [cell(panel, 0, c) for c in (COL_ANSWERED, COL_ABANDONED)] == ["1", "1"]
        assert cell(panel, 0, COL_SL) == "33.3 %"
        minutes, seconds = cell(panel, 0, COL_LONGEST).split(":")
        first = int(minutes) * 60 + int(seconds)
        assert first >= 30
        # The longest wait ticks between two answers of the store.
        qtbot.waitUntil(lambda: cell(panel, 0, COL_LONGEST) != f"{minutes}:{seconds}", timeout=5000)
        # C is answered: nobody waits any more, at the next refresh.
        with QueueClient(server.base_url, server.tokens["ada"]) as pbx:
            pbx.send_queue_log(f"{now}|{now - 30}.1|sales|PJSIP/202|CONNECT|30|{now}.3|2\n")
        qtbot.waitUntil(lambda: cell(panel, 0, COL_WAITING) == "0", timeout=10_000)
        assert (cell(panel, 0, COL_LONGEST), cell(panel, 0, COL_ANSWERED)) == ("", "2")
        assert cell(panel, 0, COL_FREE) == "0"
        panel.stop()


def solid(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    bgra = np.zeros((height, width, 4), np.uint8)
    bgra[..., 0], bgra[..., 1], bgra[..., 2] = rgb[2], rgb[1], rgb[0]
    return jpeg(bgra)


def close_to(colour: QColor, rgb: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 16 for a, b in zip(colour.getRgb()[:3], rgb, strict=True))


def test_the_viewer_paints_what_the_agent_sends_while_watched(
    qtbot: QtBot, server: StoreServer
) -> None:
    alice = StoreClient(server.base_url, server.tokens["alice"])
    sam = StoreClient(server.base_url, server.tokens["sam"])
    ada = StoreClient(server.base_url, server.tokens["ada"])
    line = QLabel("screen watched")
    qtbot.addWidget(line)
    line.hide()
    notice = ScreenWatched(line, None, lambda: "alice")
    try:
        # Nobody watches: a frame is dropped and the operator sees nothing.
        key = LiveFrame(1, True, 64, 48, (LivePart(0, 0, 64, 48, solid(64, 48, (0, 0, 255))),))
        assert alice.put_screen_live("alice", write_frame(key)) == {"watched": False}
        notice.on_answer(alice.put_presence("alice", {}))
        qtbot.waitUntil(lambda: notice.watched is False)
        assert line.isHidden()
        view = ScreenView(sam, "alice")
        qtbot.addWidget(view)
        view.start()
        qtbot.waitUntil(lambda: view.watch_id is not None, timeout=5000)
        notice.on_answer(alice.put_presence("alice", {}))
        qtbot.waitUntil(lambda: notice.watched and not line.isHidden())
        # The key frame (blue) then a change: a red 16×16 square at (32, 16).
        assert alice.put_screen_live("alice", write_frame(key))["watched"] is True
        change = LiveFrame(
            2, False, 64, 48, (LivePart(32, 16, 16, 16, solid(16, 16, (255, 0, 0))),)
        )
        alice.put_screen_live("alice", write_frame(change))
        qtbot.waitUntil(lambda: view.frames_painted >= 2, timeout=5000)
        assert view.picture is not None
        assert close_to(view.picture.pixelColor(40, 24), (255, 0, 0))
        assert close_to(view.picture.pixelColor(8, 8), (0, 0, 255))
        assert view.last_utc_us == 2
        # The policy hides the notice from the operator; the worker is still told.
        ada.set_recording_policy({"show_watched": False})
        notice.on_answer(alice.put_presence("alice", {}))
        qtbot.waitUntil(lambda: line.isHidden(), timeout=5000)
        assert notice.watched is True
        watch_id = view.watch_id
        view.close()
        qtbot.waitUntil(lambda: alice.put_presence("alice", {})["watched"] is False, timeout=5000)
        with pytest.raises(GoneError, match="ended"):
            sam.watch_frames("alice", int(watch_id or 0))
    finally:
        ada.set_recording_policy({})
        for client in (alice, sam, ada):
            client.close()

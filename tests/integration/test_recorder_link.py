"""The desktop's recorder link supervising a real worker on Xvfb: the call model's calls open
and close windows, a window stays open through the whole wrap-up until the dialog card is
finished; a worker killed with SIGKILL is restarted, told the open calls again, and the gap is
recorded. No widgets: the link is a QObject driven by the Qt event loop (pytest-qt)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.calls.model import CallBook
from desktop.recording.link import GAPS_NAME, RecorderLink
from desktop.recording.options import LinkOptions
from recorder.worker_options import WorkerOptions
from sip import events as ev
from tests.integration.recorder_kit import (
    check_manifest_files,
    colour_of,
    decode,
    paint,
    shown_at,
    xvfb,
)
from tests.servers.xvfb import XvfbServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.integration
__all__ = ["xvfb"]  # the fixture, imported for pytest


WRAP_UP_CHANGE_S = 45  # how far into the wrap-up the screen changes


def incoming(call_id: str) -> ev.IncomingCall:
    return ev.IncomingCall(
        call_id=call_id,
        account_id="acc",
        remote_uri="sip:+15550100@pbx",
        number="+15550100",
        display_name="",
        sip_call_id="x",
        headers={"x-queue": "sales"},
        waiting=False,
    )


def windows_of(link: RecorderLink) -> list[str]:
    return [w["call_id"] for w in link.state.get("windows", [])]


def test_a_killed_worker_is_restarted_and_the_gap_recorded(
    xvfb: XvfbServer, tmp_path: Path, qtbot: QtBot
) -> None:
    paint(xvfb, "blue")
    worker = WorkerOptions(out_dir=tmp_path, display=xvfb.display, preroll_s=1)
    options = LinkOptions(worker, backoff_s=(0.3, 1.0))
    book = CallBook()
    link = RecorderLink(options, book)
    statuses: list[str] = []
    gaps: list[dict[str, object]] = []
    link.status_changed.connect(statuses.append)
    link.gap_recorded.connect(gaps.append)
    link.start()
    try:
        qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=15_000)
        book.apply(incoming("K"))
        qtbot.waitUntil(lambda: bool(link.state.get("recording")), timeout=5_000)
        assert link.status_text == "Screen recording ON"
        qtbot.wait(1500)  # a fragment or more of K's segment on disk
        killed = link.pid
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        qtbot.waitUntil(lambda: bool(gaps), timeout=15_000)
        # The new worker was told about K again and records it.
        qtbot.waitUntil(lambda: "K" in windows_of(link) and link.state["recording"], timeout=5_000)
        assert link.pid not in (None, killed) and link.restarts == 1
        book.apply(ev.CallEnded(call_id="K", record={}))
        qtbot.waitUntil(lambda: not windows_of(link), timeout=5_000)  # missed: no wrap-up
    finally:
        link.stop()

    (gap,) = gaps
    assert "killed by signal 9" in str(gap["reason"]) and gap["restarts"] == 1
    start, end = int(str(gap["start_us"])), int(str(gap["end_us"]))
    assert 0 < end - start < 10_000_000
    lines = (tmp_path / GAPS_NAME).read_text().splitlines()
    assert [json.loads(line) for line in lines] == [gap]
    assert any("INTERRUPTED" in s and "signal 9" in s for s in statuses), statuses
    # K's segments: the one cut by the kill (recovered, partial) and the ones after it.
    found = check_manifest_files(tmp_path)
    assert found and all(m["call_ids"] == ["K"] for m in found)
    before = [m for m in found if m["utc_end_us"] <= start]
    after = [m for m in found if m["utc_start_us"] > start]
    assert before and after, [(m["utc_start_us"], m["utc_end_us"]) for m in found]
    assert before[-1]["status"] == "partial"
    # The gap ends when the new worker reports capturing, a housekeeping tick after its
    # first grab.
    assert 0 <= end - after[0]["utc_start_us"] < 500_000


def test_the_screen_is_recorded_through_the_wrap_up_until_the_card_is_finished(
    xvfb: XvfbServer, tmp_path: Path, qtbot: QtBot
) -> None:
    """A change 45 s into the wrap-up (longer than any fixed wrap-up time used to be) is in
    the call's recording; finishing the dialog card closes the window at once."""
    paint(xvfb, "blue")
    options = LinkOptions(WorkerOptions(out_dir=tmp_path, display=xvfb.display, preroll_s=1))
    book = CallBook(wrap_up_max_s=600)
    link = RecorderLink(options, book)
    link.start()
    try:
        qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=15_000)
        book.apply(incoming("W"))
        book.apply(ev.CallStateChanged(call_id="W", state="confirmed", code=200, reason="OK"))
        qtbot.waitUntil(lambda: bool(link.state.get("recording")), timeout=5_000)
        qtbot.wait(1000)
        book.apply(ev.CallEnded(call_id="W", record={}))
        qtbot.wait(WRAP_UP_CHANGE_S * 1000)
        assert windows_of(link) == ["W"] and link.state["recording"], "closed before the card"
        change = paint(xvfb, "red")
        qtbot.wait(2000)
        book.finish_wrap_up("W")  # the dialog card is finished
        qtbot.waitUntil(lambda: not windows_of(link), timeout=5_000)
        call = book.get("W")
        assert call is None  # handed on and wrapped up: the model is done with it
    finally:
        link.stop()

    found = [m for m in check_manifest_files(tmp_path) if "W" in m["call_ids"]]
    assert found, "no segment of the call"
    frames = [f for m in found for f in decode(tmp_path / m["file"], int(m["utc_start_us"]))]
    frames.sort(key=lambda f: f.utc_us)
    red = shown_at(frames, change.after_us + 1_000_000)
    assert colour_of(red.rgb[100, 100]) == "red", red.rgb[100, 100]
    assert colour_of(shown_at(frames, change.before_us - 1_000_000).rgb[100, 100]) == "blue"
    assert max(int(m["utc_end_us"]) for m in found) >= change.after_us + 1_000_000

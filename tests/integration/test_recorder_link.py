"""The desktop's recorder link supervising a real worker on Xvfb: call events open and close
windows; a worker killed with SIGKILL is restarted, told the open calls again, and the gap is
recorded. No widgets: the link is a QObject driven by the Qt event loop (pytest-qt)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.recording.link import GAPS_NAME, RecorderLink
from desktop.recording.options import LinkOptions
from recorder.worker_options import WorkerOptions
from sip import events as ev
from tests.integration.recorder_kit import check_manifest_files, paint, xvfb
from tests.servers.xvfb import XvfbServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.integration
__all__ = ["xvfb"]  # the fixture, imported for pytest


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
    options = LinkOptions(worker, wrapup_s=0.5, backoff_s=(0.3, 1.0))
    link = RecorderLink(options)
    statuses: list[str] = []
    gaps: list[dict[str, object]] = []
    link.status_changed.connect(statuses.append)
    link.gap_recorded.connect(gaps.append)
    link.start()
    try:
        qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=15_000)
        link.on_sip_event(incoming("K"))
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
        link.on_sip_event(ev.CallEnded(call_id="K", record={}))
        qtbot.waitUntil(lambda: not windows_of(link), timeout=5_000)  # after the wrap-up
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

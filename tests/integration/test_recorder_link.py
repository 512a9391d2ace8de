"""The desktop's recorder link supervising a real worker on Xvfb: the call model's calls open
and close windows, a window stays open through the whole wrap-up until the dialog card is
finished; a worker killed with SIGKILL is restarted, told the open calls again, and the gap is
recorded; a manual pause and a sensitive card field's pause are kept apart and reach the
manifests, the call's events, the QA timeline and the audio silences with their reasons. The
link is a QObject driven by the Qt event loop (pytest-qt); the CRM panel is offscreen."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from desktop.calls.model import CallBook
from desktop.crm.config import parse_fields
from desktop.crm.panel import CrmPanel
from desktop.qa.playback.timeline import build_timeline
from desktop.recording.gaps import GAPS_NAME
from desktop.recording.link import RecorderLink
from desktop.recording.options import LinkOptions
from formats.clock import utc_us
from formats.manifest import parse_manifest
from recorder.outbox.silences import SILENCES_NAME, SilenceJournal
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


def test_pauses_keep_their_reasons_apart_and_reach_the_manifest_the_call_and_the_timeline(
    xvfb: XvfbServer, tmp_path: Path, qtbot: QtBot
) -> None:
    """The operator pauses, then focuses a sensitive card field and leaves it: the screen stays
    paused until the operator resumes. The manifests' masked periods, the call's events, the
    QA timeline and the audio silences all say why; the operator's mark is on the timeline."""
    paint(xvfb, "blue")
    options = LinkOptions(WorkerOptions(out_dir=tmp_path, display=xvfb.display, preroll_s=1))
    book = CallBook(wrap_up_max_s=600)
    link = RecorderLink(options, book)
    panel = CrmPanel(parse_fields(("topic: text", "card_no: text, sensitive")), ("done",),
                     book=book, recorder=link)  # fmt: skip
    qtbot.addWidget(panel)
    panel.show()
    topic = panel.dialog.findChild(QLineEdit, "card_topic")
    card_no = panel.dialog.findChild(QLineEdit, "card_card_no")
    ready: list[Any] = []
    book.record_ready.connect(ready.append)

    def reasons() -> list[str]:
        return list(link.state.get("pause_reasons", []))

    link.start()
    try:
        qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=15_000)
        book.apply(incoming("P"))
        book.apply(ev.CallStateChanged(call_id="P", state="confirmed", code=200, reason="OK"))
        qtbot.waitUntil(lambda: bool(link.state.get("recording")), timeout=5_000)
        qtbot.wait(1000)
        link.pause()  # the operator's button
        qtbot.waitUntil(lambda: reasons() == ["manual"], timeout=5_000)
        paused_at = utc_us()
        qtbot.wait(1000)
        card_no.setFocus()
        qtbot.waitUntil(lambda: reasons() == ["manual", "sensitive_field"], timeout=5_000)
        qtbot.wait(1000)
        topic.setFocus()  # leaving the field does not end the operator's pause
        qtbot.waitUntil(lambda: reasons() == ["manual"], timeout=5_000)
        qtbot.wait(1000)
        assert link.state["paused"] and link.paused
        link.resume()
        qtbot.waitUntil(lambda: not link.state.get("paused"), timeout=5_000)
        resumed_at = utc_us()
        link.mark("P", "operator_mark")
        qtbot.wait(1500)
        book.apply(ev.CallEnded(call_id="P", record={}))
        book.finish_wrap_up("P")
        qtbot.waitUntil(lambda: not windows_of(link), timeout=5_000)
    finally:
        link.stop()

    found = [m for m in check_manifest_files(tmp_path) if "P" in m["call_ids"]]
    kept = [parse_manifest(json.dumps(m)) for m in found]
    periods = sorted((p for m in kept for p in m.masked_periods), key=lambda p: p.start_us)
    sequence: list[list[str]] = []
    for period in periods:  # a period cut by a segment boundary goes on in the next
        if not sequence or sequence[-1] != list(period.reasons):
            sequence.append(list(period.reasons))
    assert sequence == [["manual"], ["manual", "sensitive_field"], ["manual"]]
    frames = sorted(
        (f for m in found for f in decode(tmp_path / m["file"], int(m["utc_start_us"]))),
        key=lambda f: f.utc_us,
    )
    assert colour_of(shown_at(frames, paused_at + 500_000).rgb[100, 100]) == "black"
    assert colour_of(shown_at(frames, resumed_at + 1_000_000).rgb[100, 100]) == "blue"

    (call,) = ready
    events = [(e["kind"], e.get("detail", "")) for e in call.record["events"]]
    assert [e for e in events if e[0] in ("pause", "resume", "operator_mark")] == [
        ("pause", "manual"),
        ("pause", "sensitive_field"),
        ("resume", "sensitive_field"),
        ("resume", "manual"),
        ("operator_mark", ""),
    ]
    doc = {**call.record, "media": [
        {"sha256": m.sha256, "kind": "screen", "content_type": "video/mp4",
         "start_us": m.utc_start_us, "end_us": m.utc_end_us, "size": m.bytes, "deleted": False}
        for m in kept]}  # fmt: skip
    timeline = build_timeline(doc, kept)
    band_reasons = [b.reason for b in timeline.bands if b.kind == "masked"]
    assert "manual" in band_reasons and "manual, sensitive_field" in band_reasons
    assert not [b for b in timeline.bands if b.kind == "paused"], "the screen shows them all"
    assert any(m.kind == "operator_mark" for m in timeline.marks)

    spans = SilenceJournal(tmp_path / "outbox" / SILENCES_NAME).spans(call.started_us)
    assert [s.reasons for s in spans] == [("manual",), ("manual", "sensitive_field"), ("manual",)]
    assert all(s.end_us is not None for s in spans)
    assert spans[0].start_us <= paused_at and spans[-1].end_us <= resumed_at  # type: ignore[operator]

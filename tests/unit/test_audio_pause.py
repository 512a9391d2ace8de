"""When the desktop tells the softphone to record silence: pauses by reason, masked windows,
the policy's "audio pauses with the screen", calls that start while paused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.calls.model import CallBook
from desktop.recording.audio_pause import AudioPause
from desktop.recording.link import RecorderLink
from desktop.recording.options import LinkOptions
from recorder.worker_options import WorkerOptions
from sip import events as ev


def ring(book: CallBook, call_id: str) -> None:
    book.apply(ev.IncomingCall(call_id=call_id, account_id="a", remote_uri="sip:1@pbx",
                               number="1", display_name="", sip_call_id=call_id, headers={},
                               waiting=False))  # fmt: skip


def test_the_engine_is_told_per_call_while_any_reason_holds(qtbot: QtBot, tmp_path: Path) -> None:
    book = CallBook()
    link = RecorderLink(LinkOptions(WorkerOptions(out_dir=tmp_path)), book)  # not started
    told: list[tuple[str, bool]] = []
    AudioPause(link, book, lambda call_id, on: told.append((call_id, on)), link)
    ring(book, "c1")
    link.pause("manual")
    link.pause("sensitive_field")
    link.resume("sensitive_field")  # leaving the field keeps the operator's pause
    ring(book, "c2")  # rings while paused: silent from its start
    link.resume("manual")
    assert told == [("c1", True), ("c2", True), ("c1", False), ("c2", False)]
    told.clear()
    state = {"event": "state", "recording": True, "capturing": True, "masked": ["Bank — card"]}
    link.state = state
    link.worker_event.emit(state)  # a window whose title is masked is shown
    assert told == [("c1", True), ("c2", True)]


def test_nothing_is_silenced_when_the_policy_keeps_audio(qtbot: QtBot, tmp_path: Path) -> None:
    book = CallBook()
    options = dataclasses.replace(LinkOptions(WorkerOptions(out_dir=tmp_path)), pause_audio=False)
    link = RecorderLink(options, book)
    told: list[tuple[str, bool]] = []
    AudioPause(link, book, lambda call_id, on: told.append((call_id, on)), link)
    ring(book, "c1")
    link.pause("manual")
    assert told == []

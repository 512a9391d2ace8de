"""The desktop's upload queue and call records: sip events become a call record the store
accepts, queued with the call's audio in the outbox, without blocking the UI thread."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
from pytestqt.qtbot import QtBot

from desktop.calls.model import CallBook
from desktop.calls.records import CallRecords
from desktop.recording.uploads import UploadQueue
from formats.call_audio import CallAudioNote, write_note
from recorder.outbox.journal import Outbox
from sip import events as ev
from store.models import CallIn


def test_a_finished_call_is_queued_with_its_audio(qtbot: QtBot, tmp_path: Path) -> None:
    queue = UploadQueue(tmp_path / "outbox")
    book = CallBook("alice")
    records = CallRecords(queue)
    book.record_ready.connect(records.on_record_ready)
    wav = tmp_path / "c1.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.zeros((16000, 2), "<i2").tobytes())
    note = CallAudioNote("c1", 1_500, 16000, "c1.operator.wav", "c1.customer.wav", wav.name)
    write_note(note, tmp_path)
    t = 1_000
    for event in (
        ev.IncomingCall(
            call_id="c1", account_id="a", remote_uri="sip:+79125550102@pbx",
            number="+79125550102", display_name="", sip_call_id="x@pbx", headers={},
            waiting=False, at_us=t,
        ),
        ev.CallStateChanged(call_id="c1", state="confirmed", code=200, reason="OK", at_us=t + 1),
        ev.RecordingStarted(call_id="c1", path=str(wav), first_sample_utc_us=1_500,
                            sample_rate=16000, at_us=t + 2),
        ev.CallMediaChanged(call_id="c1", media="local_hold", at_us=t + 3),
        ev.DtmfReceived(call_id="c1", digit="5", method="rfc4733", at_us=t + 4),
        ev.CallEnded(call_id="c1", at_us=t + 9, record={
            "direction": "inbound", "number": "+79125550102", "sip_call_id": "x@pbx",
            "ring_at_us": t, "answer_at_us": t + 1, "end_at_us": t + 9,
            "holds": [{"start_us": t + 3, "end_us": t + 9}], "transfers": [],
            "ended_by": "remote", "cause_code": 200, "cause_reason": "Normal call clearing",
        }),
    ):  # fmt: skip
        book.apply(event)
    with qtbot.waitSignal(queue.status_changed, timeout=5000):
        book.apply(
            ev.RecordingFinished(call_id="c1", path=str(wav), first_sample_utc_us=1_500,
                                 sample_rate=16000, frames=16000, at_us=t + 10)
        )  # fmt: skip
    qtbot.waitUntil(lambda: queue.status()["items"] >= 3, timeout=5000)
    queue.patch_call("c1", disposition="sale")
    queue.agent_state("alice", "wrap_up", "", t + 11)
    queue.close()
    box = Outbox(tmp_path / "outbox")
    items = {i.key or i.kind: i for i in box.pending()}
    call = CallIn.model_validate(items["call:c1"].body)  # what the store will accept
    assert call.remote_number == "+79125550102" and call.ended_by == "remote"
    assert [h.start_us for h in call.holds or []] == [t + 3]
    assert [e.kind for e in call.events or []] == [
        "ringing",
        "confirmed",
        "media_local_hold",
        "dtmf",
    ]
    audio = items["audio:c1"]
    assert audio.body["first_sample_utc_us"] == 1_500 and audio.body["frames"] == 16000
    assert (box.spool / "c1.wav").exists() and not wav.exists()
    assert {"patch", "state"} <= set(items)


def test_the_queue_shows_the_outbox_counts_with_the_workers_rate_and_error(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Counts and the quota come from the outbox itself (read off the UI thread); the rate
    and the uploader's error from the worker's events, which a refresh does not overwrite."""
    queue = UploadQueue(tmp_path / "outbox", quota_bytes=1000)
    seen: list[dict[str, object]] = []
    queue.status_changed.connect(seen.append)
    queue.on_worker_event(
        {"event": "upload_status", "items": 0, "bytes": 0, "rate_bps": 8000,
         "last_error": "cannot reach the store", "offline": True}
    )  # fmt: skip
    wav = tmp_path / "c2.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.zeros((16000, 2), "<i2").tobytes())
    queue.call_ended({"id": "c2", "agent": "alice", "started_us": 5}, wav)
    qtbot.waitUntil(lambda: queue.status()["items"] == 3, timeout=5000)  # call, audio, link
    state = queue.status()
    assert state["over_quota"] and "upload spool full" in state["warning"]
    assert state["bytes"] == 44 + 16000 * 4 and state["oldest_us"]
    assert state["rate_bps"] == 8000 and state["last_error"] == "cannot reach the store"
    assert seen[-1] == state
    queue.close()

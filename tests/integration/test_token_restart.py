"""A new store token reaches the recording worker's uploader: the link restarts the worker once
no call is live or in its wrap-up (a call's recording window is never cut for it), with the
new token in the new worker's environment only, and without recording a gap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop import secret_store
from desktop.calls.model import CallBook
from desktop.recording.link import RecorderLink
from desktop.recording.options import LinkOptions, UploadOptions
from recorder.worker_options import WorkerOptions
from sip import events as ev
from tests.integration.recorder_kit import paint, xvfb
from tests.servers.ports import LOOPBACK, free_port
from tests.servers.xvfb import XvfbServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.integration
__all__ = ["xvfb"]  # the fixture, imported for pytest


def token_of(pid: int) -> bytes:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return next((e for e in environ if e.startswith(b"AGENTDESK_STORE_TOKEN=")), b"")


def test_a_new_token_restarts_the_recording_worker_after_the_live_call(
    xvfb: XvfbServer, tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secret_store, "_SESSION", {})
    secret_store.hold_for_session(secret_store.STORE_TOKEN_USER, "old-token")
    paint(xvfb, "blue")
    upload = UploadOptions(
        outbox_dir=tmp_path / "outbox", store_url=f"http://{LOOPBACK}:{free_port()}", quota_mb=100
    )
    worker = WorkerOptions(out_dir=tmp_path, display=xvfb.display, preroll_s=1)
    options = LinkOptions(upload.apply(worker))
    book = CallBook()
    link = RecorderLink(options, book)
    gaps: list[object] = []
    link.gap_recorded.connect(gaps.append)
    link.start()
    try:
        qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=15_000)
        first = link.pid
        assert first is not None and token_of(first) == b"AGENTDESK_STORE_TOKEN=old-token"
        ring = ev.IncomingCall(call_id="T", account_id="acc", remote_uri="sip:+15550100@pbx",
                               number="+15550100", display_name="", sip_call_id="x",
                               headers={}, waiting=False)  # fmt: skip
        book.apply(ring)
        qtbot.waitUntil(lambda: bool(link.state.get("recording")), timeout=5_000)

        secret_store.hold_for_session(secret_store.STORE_TOKEN_USER, "new-token")
        link.restart_for_new_token()
        qtbot.wait(1500)
        assert link.pid == first, "the worker was restarted during a live call"
        book.apply(ev.CallEnded(call_id="T", record={}))  # never answered: no wrap-up
        qtbot.waitUntil(lambda: link.pid not in (None, first), timeout=15_000)
        second = link.pid
        assert second is not None
        assert token_of(second) == b"AGENTDESK_STORE_TOKEN=new-token"
        qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=15_000)
        assert not gaps and link.restarts == 0
    finally:
        link.stop()

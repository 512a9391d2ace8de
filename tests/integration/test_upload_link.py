"""The desktop's uploads when no screen is recorded: ``app.build_uploads`` starts the upload-only
worker (``--no-capture``) with the store's options on its command line and the store's token
(held for the session, as the demo does) only in its environment; a finished call's record
and audio reach a real store, and the recording indicator shows the backlog, then all sent."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from desktop import app, secret_store
from desktop.recording.indicator import RecordingIndicator
from desktop.recording.options import UploadOptions
from desktop.settings.values import RecorderSection
from formats.clock import utc_us
from store.client import StoreClient
from store.client_errors import NotFoundError
from tests.integration.outbox_kit import AGENT, call_record, store_server, write_call_wav
from tests.servers.store import StoreServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.integration
__all__ = ["store_server"]  # the fixture, imported for pytest


def _arrived(client: StoreClient, call_id: str) -> bool:
    try:
        call = client.get_call(call_id)
    except NotFoundError:
        return False
    return any(m["kind"] == "audio" for m in call["media"])


def test_upload_only_worker_takes_a_call_to_the_store(
    qtbot: QtBot,
    store_server: StoreServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop")
    token = store_server.tokens[AGENT]
    monkeypatch.delenv("AGENTDESK_STORE_TOKEN", raising=False)
    monkeypatch.setattr(secret_store, "_SESSION", {})
    secret_store.hold_for_session(secret_store.STORE_TOKEN_USER, token)
    options = UploadOptions(
        outbox_dir=tmp_path / "outbox", store_url=store_server.base_url, quota_mb=100
    )
    parent = QObject()
    indicator = RecordingIndicator()
    qtbot.addWidget(indicator)
    texts: list[str] = []
    queue = app.build_uploads(None, options, RecorderSection(out_dir=str(tmp_path / "rec")), parent)
    queue.status_changed.connect(indicator.show_backlog)
    queue.status_changed.connect(lambda _s: texts.append(indicator.backlog.text()))
    link = queue.uploader
    try:
        assert link is not None
        qtbot.waitUntil(lambda: link.pid is not None, timeout=15_000)
        pid = link.pid
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"--no-capture" in argv
        assert argv[argv.index(b"--store-url") + 1] == store_server.base_url.encode()
        assert argv[argv.index(b"--outbox") + 1] == str(tmp_path / "outbox").encode()
        assert not any(token.encode() in part for part in argv)
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"AGENTDESK_STORE_TOKEN={token}".encode() in environ
        assert "AGENTDESK_STORE_TOKEN" not in os.environ, "the desktop keeps none itself"
        qtbot.waitUntil(lambda: "Uploads: all sent" in texts, timeout=15_000)

        call_id = f"nocap-{utc_us()}"
        record = {"id": call_id, **call_record(0, base_us=utc_us() - 60_000_000)}
        wav = write_call_wav(tmp_path, call_id, seconds=3)
        queue.call_ended(record, wav)
        queue.patch_call(call_id, disposition="resolved")
        with StoreClient(store_server.base_url, token) as client:
            qtbot.waitUntil(lambda: _arrived(client, call_id), timeout=60_000)
            qtbot.waitUntil(lambda: indicator.backlog.text() == "Uploads: all sent", timeout=30_000)
            call = client.get_call(call_id)
        assert call["remote_number"] == record["remote_number"]
        assert call["disposition"] == "resolved"
        (audio,) = [m for m in call["media"] if m["kind"] == "audio"]
        assert audio["content_type"] == "audio/ogg"
        assert any(t.startswith("Uploads waiting: ") for t in texts), texts
        assert not wav.exists() and not list((tmp_path / "outbox" / "spool").glob("*.wav"))
        assert queue.status()["items"] == 0 and not queue.status()["last_error"]
    finally:
        queue.close()
    assert link.pid is None, "the upload-only worker stops with the queue"
    assert token not in caplog.text, "the token is in no log line (desktop or worker)"

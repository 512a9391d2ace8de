"""The recorder worker with its uploader against a real store: kill -9 while it records a
call and uploads, restart it, and every completed item reaches the store once, byte-identical,
the call complete; a full disk while spooling keeps call audio and metadata."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.recording.uploads import UploadQueue
from formats.clock import utc_us
from formats.manifest import read_manifest
from recorder.outbox.journal import DB_NAME, Outbox, OutboxFull
from recorder.worker_options import WorkerOptions
from recorder.worker_upload import UploadSide
from store.client import StoreClient
from tests.integration.outbox_kit import (
    AGENT,
    call_record,
    store_server,
    write_call_wav,
    write_segment,
)
from tests.integration.recorder_kit import paint, xvfb
from tests.integration.worker_kit import WorkerProcess
from tests.servers.store import StoreServer
from tests.servers.tmpfs import tiny_tmpfs
from tests.servers.xvfb import XvfbServer

pytestmark = pytest.mark.integration
__all__ = ["store_server", "xvfb"]  # fixtures, imported for pytest

COLOURS = ("red", "green", "blue", "yellow", "white", "black")


def _flash(server: XvfbServer, halt: threading.Event) -> None:
    index = 0
    while not halt.wait(0.5):
        paint(server, COLOURS[index % len(COLOURS)])
        index += 1


def _confirmed_screens(outbox_dir: Path) -> dict[str, int]:
    """sha256 → bytes of the screen segments the uploader had confirmed."""
    with sqlite3.connect(outbox_dir / DB_NAME) as db:
        rows = db.execute(
            "SELECT sha256, bytes FROM items WHERE media = 'screen' AND state = 'done'"
        ).fetchall()
    return dict(rows)


def test_kill_9_mid_recording_and_upload_then_restart_delivers_everything_once(
    xvfb: XvfbServer,
    store_server: StoreServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTDESK_STORE_TOKEN", store_server.tokens[AGENT])
    out = tmp_path / "rec"
    args = (
        "--store-url", store_server.base_url, "--preroll", "1", "--standby-seconds", "2",
        "--segment-seconds", "3", "--bandwidth-kbps", "300", "--upload-backoff", "1",
    )  # fmt: skip
    call_id = f"kill9-{utc_us()}"
    halt = threading.Event()
    flasher = threading.Thread(target=_flash, args=(xvfb, halt), daemon=True)
    flasher.start()
    worker = WorkerProcess(xvfb, out, *args)
    try:
        worker.wait_capturing()
        opened = worker.send("open_window", call_id=call_id, agent=AGENT)
        # The desktop's part, from this (other) process: the call's audio and record.
        desktop = Outbox(out / "outbox")
        wav = write_call_wav(tmp_path, call_id, seconds=40)
        desktop.add_audio(call_id, wav, opened, 16000, 40 * 16000)
        record = call_record(0, base_us=opened)
        desktop.add_call(call_id, record)
        desktop.add_patch(call_id, {"disposition": "sale"})
        worker.wait_for(lambda e: e["event"] == "segment_done", timeout=30)
        worker.wait_for(lambda e: e["event"] == "upload_status" and e["sent"] >= 1, timeout=30)
        worker.proc.kill()  # SIGKILL: mid-recording, mid-upload
        worker.kill()
        assert worker.proc.returncode == -9
        assert desktop.status()["items"] > 0, "the test killed it too late"

        # The desktop restarts it and tells it again about the open call, then it ends.
        worker = WorkerProcess(xvfb, out, *args)
        worker.wait_capturing()
        worker.send("open_window", call_id=call_id, at_us=opened, agent=AGENT)
        time.sleep(3)
        worker.send("close_window", call_id=call_id)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and desktop.status()["items"]:
            time.sleep(0.5)
        left = [(i.kind, i.key, i.attempts, i.call_id) for i in desktop.pending()]
        assert not left, (left, worker.named("upload_status")[-1:], worker.stderr[-2000:])
        assert worker.stop() == 0
    finally:
        halt.set()
        flasher.join(5)
        worker.kill()

    screens = _confirmed_screens(out / "outbox")
    assert len(screens) >= 2
    with StoreClient(store_server.base_url, store_server.tokens[AGENT]) as client:
        call = client.get_call(call_id)
        assert call["disposition"] == "sale" and call["remote_number"] == record["remote_number"]
        kinds = [m["kind"] for m in call["media"]]
        assert kinds.count("audio") == 1
        linked = {m["sha256"]: m["size"] for m in call["media"] if m["kind"] == "screen"}
        assert linked == screens, "every kept segment linked once, nothing else"
        manifests = [m for m in call["media"] if m["kind"] == "data"]
        assert len(manifests) == len(linked), "each segment's manifest linked for QA playback"
        for link in manifests:
            manifest = json.loads(client.download(link["sha256"]))
            assert manifest["sha256"] in linked and call_id in manifest["call_ids"]
            assert "masked_periods" in manifest
        for sha in linked:
            assert hashlib.sha256(client.download(sha)).hexdigest() == sha
    leftovers = [p.name for p in (out / "outbox" / "spool").iterdir() if p.name[0] != "."]
    assert leftovers == []
    assert not list(out.glob("screen-*")), "every kept segment went to the outbox"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    with tiny_tmpfs(tmp_path / "tiny", "3m") as mount_point:
        yield mount_point


def test_full_disk_while_spooling_keeps_audio_and_metadata(tiny_disk: Path) -> None:
    rec = tiny_disk / "rec"
    rec.mkdir()
    outbox = Outbox(tiny_disk / "outbox")
    # The call's audio is already on this disk (the softphone wrote it); screen segments
    # then fill the disk to the last byte.
    wav = write_call_wav(rec, "full-1", seconds=4)
    index = 0
    with pytest.raises(OSError):
        while True:
            write_segment(rec, index, ["full-1"], 100_000)
            path = rec / f"screen-t{index:04d}.json"
            outbox.add_segment(path, read_manifest(path))
            index += 1
    assert index >= 3
    filler = tiny_disk / "filler"
    with pytest.raises(OSError), open(filler, "wb") as fh:  # the last bytes too
        while True:
            fh.write(b"\0" * 4096)
            fh.flush()
    # Audio and metadata still go in: the outbox gives up its reserve for them.
    outbox.add_call("full-1", call_record(0))
    outbox.add_audio("full-1", wav, 1, 16000, 4 * 16000)
    keys = {i.key for i in outbox.pending()}
    assert {"call:full-1", "audio:full-1", "link:full-1:audio:full-1"} <= keys
    with pytest.raises(OutboxFull, match="disk full"):
        for i in range(10_000):
            outbox.add_patch("full-1", {"tags": [f"t{i}"] * 20})
    # Nothing journalled is corrupt: the journal opens again, every spooled segment still
    # hashes to its manifest.
    outbox.close()
    outbox = Outbox(tiny_disk / "outbox")
    assert {"call:full-1", "audio:full-1"} <= {i.key for i in outbox.pending()}
    for item in outbox.pending():
        if item.kind == "media" and item.media == "screen":
            data = (outbox.spool / item.files[0]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == item.sha256


def _fill_to_the_last_byte(disk: Path) -> Path:
    filler = disk / "filler"
    with contextlib.suppress(OSError), open(filler, "wb") as fh:
        while True:
            fh.write(b"\0" * 4096)
            fh.flush()
    return filler


PATCHES = 1500


def _written(queue: UploadQueue, qtbot: QtBot) -> None:
    """Wait until the queue's writer has done what was asked of it so far."""
    done = queue._writer.submit(lambda: None)
    qtbot.waitUntil(done.done, timeout=60_000)
    queue.refresh()
    qtbot.wait(300)


def test_desktop_writes_on_a_full_then_read_only_disk_wait_and_are_not_lost(
    tiny_disk: Path, qtbot: QtBot
) -> None:
    """The desktop's upload queue on a disk screen segments filled: the first call and its
    audio go in on the reserve, the rest is kept and counted (never "all sent"), the status
    says "disk full", the worker keeps no more segments; once there is room (or the disk is
    writable again) everything is journalled, in order."""
    rec = tiny_disk / "rec"
    rec.mkdir()
    queue = UploadQueue(tiny_disk / "outbox")
    seen: list[dict[str, object]] = []
    queue.status_changed.connect(seen.append)
    queue.agent_state(AGENT, "ready", "", 1)
    qtbot.waitUntil(lambda: queue.status()["items"] == 1, timeout=5000)
    box = Outbox(tiny_disk / "outbox")
    wavs = [write_call_wav(rec, f"full-{i}", seconds=2) for i in range(3)]
    with pytest.raises((OSError, OutboxFull)):
        for index in range(1000):
            write_segment(rec, index, ["full-0"], 100_000)
            path = rec / f"screen-t{index:04d}.json"
            box.add_segment(path, read_manifest(path))
    filler = _fill_to_the_last_byte(tiny_disk)
    for i, wav in enumerate(wavs):
        queue.call_ended({"id": f"full-{i}", **call_record(i)}, wav)
        queue.agent_state(AGENT, "wrap_up", "", 10 + i)
    qtbot.waitUntil(lambda: queue.status()["items"] >= 10, timeout=10_000)
    for i in range(PATCHES):  # more than the reserve holds
        queue.patch_call("full-0", tags=[f"t{i}"] + [f"{i:040d}"] * 19)
    _written(queue, qtbot)
    assert queue.status()["unwritten"] > 0
    state = queue.status()
    assert state["disk"] == "full" and "disk full" in state["warning"], state
    assert state["items"] >= 1 + state["unwritten"]
    assert all(s["items"] for s in seen), "never all sent"
    keys = {i.key for i in box.pending()}
    assert {"call:full-0", "audio:full-0"} <= keys, "the first call went in on the reserve"
    assert box.status()["disk"] == "full"
    side = UploadSide(WorkerOptions(out_dir=rec, outbox_dir=tiny_disk / "outbox"), print, bool)
    side.start()
    assert not side.accepts_screen(), "screen gives way on a full disk"
    side.stop()

    filler.unlink()
    for item in box.pending():  # the store confirmed the segments: room again
        if item.media == "screen":
            box.done(item)
    queue.refresh()
    qtbot.waitUntil(lambda: queue.status()["unwritten"] == 0, timeout=10_000)
    pending = box.pending()
    assert {f"audio:full-{i}" for i in range(3)} <= {i.key for i in pending}
    states = [i.body["at_us"] for i in pending if i.kind == "state"]
    assert states == [1, 10, 11, 12], "in the order they were made"
    tags = [i.body["tags"][0] for i in pending if i.kind == "patch"]
    assert tags == [f"t{i}" for i in range(PATCHES)], "every change kept, in order"

    # Read-only (after a restart): nothing is written, the status says so, and it all goes in
    # once the disk can be written again.
    queue.close()
    box.close()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    try:
        queue = UploadQueue(tiny_disk / "outbox")
        queue.agent_state(AGENT, "break", "lunch", 20)
        queue.patch_call("full-1", disposition="sale")
        qtbot.waitUntil(lambda: queue.status()["unwritten"] == 2, timeout=10_000)
        state = queue.status()
        assert state["disk"] == "cannot write" and state["items"] >= 2, state
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tiny_disk)], check=True)
    queue.refresh()
    qtbot.waitUntil(lambda: queue.status()["unwritten"] == 0, timeout=10_000)
    assert queue.status()["disk"] != "cannot write"
    queue.close()
    last = [(i.kind, i.body.get("at_us")) for i in Outbox(tiny_disk / "outbox").pending()][-2:]
    assert last == [("state", 20), ("patch", None)]

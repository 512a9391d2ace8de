"""The uploader's CPU while the recorder records: the worker on a private Xvfb (1920×1080)
showing ``bench.operator_screen``, uploads on to a real store, and calls coming one after the
other (a recording window each; when a call ends, its stereo WAV and record are journalled by
"the desktop", i.e. this process, as the app does). Measures the worker's CPU (whole process,
from /proc) and the uploader thread's own CPU (``time.thread_time`` reported in the worker's
``upload_status``), both over the same span. Used by :mod:`bench.outbox_drain`."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measured_process import Xvfb, cpu_s, start_worker, stop_process
from bench.record_vs_ffmpeg import OperatorScreen
from recorder.outbox.journal import DB_NAME, Outbox
from tests.integration.outbox_kit import AGENT, call_record, write_call_wav
from tests.servers.store import StoreServer

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RecordingFigures:
    seconds: float
    calls: int
    worker_cpu_s: float
    uploader_cpu_s: float
    sent_items: int
    sent_mb: float
    pending_items: int


class _Worker:
    """``python -m recorder.worker`` with uploads on; events collected by a thread."""

    def __init__(self, display: str, out: Path, store: StoreServer) -> None:
        env = {**os.environ, "AGENTDESK_STORE_TOKEN": store.tokens[AGENT]}
        self.proc = start_worker(
            display, str(out), "--store-url", store.base_url, "--preroll", "5",
            cwd=str(ROOT), env=env,
        )  # fmt: skip
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.events.append(json.loads(line))
                self._cond.notify_all()

    def send(self, cmd: str, **fields: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.proc.stdin.flush()

    def wait_for(self, name: str, after: int = 0, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while time.monotonic() < deadline:
                found = [e for e in self.events[after:] if e["event"] == name]
                if found:
                    return found[-1]
                self._cond.wait(0.2)
        raise RuntimeError(f"no {name} event from the worker within {timeout:.0f} s")

    def upload_status(self) -> dict[str, Any]:
        mark = len(self.events)
        self.send("upload_status")
        return self.wait_for("upload_status", after=mark)


def record_with_uploads(
    tmp: Path, store: StoreServer, seconds: float, call_s: float = 20.0
) -> RecordingFigures:
    """Record ``seconds`` of a busy operator screen with uploads on; see the module doc."""
    tmp.mkdir(parents=True, exist_ok=True)
    xvfb = Xvfb()
    screen = worker = None
    try:
        screen = OperatorScreen(xvfb.display, 7, seconds + 60, tmp / "timeline.jsonl")
        out = tmp / "rec"
        worker = _Worker(xvfb.display, out, store)
        deadline = time.monotonic() + 30
        while not any(e["event"] == "state" and e.get("capturing") for e in worker.events):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not start capturing within 30 s")
            time.sleep(0.1)
        desktop = Outbox(out / "outbox")
        cpu0, thread0 = cpu_s(worker.proc.pid), float(worker.upload_status().get("cpu_s", 0.0))
        sent0 = int(worker.upload_status().get("sent", 0))
        start, calls = time.monotonic(), 0
        while time.monotonic() - start < seconds:
            call_id = f"rec-bench-{calls}-{os.urandom(3).hex()}"
            opened = time.time_ns() // 1000
            worker.send("open_window", call_id=call_id, agent=AGENT)
            time.sleep(max(0.0, min(call_s, seconds - (time.monotonic() - start))))
            worker.send("close_window", call_id=call_id)
            ended = time.time_ns() // 1000
            length = (ended - opened) / 1e6
            wav = write_call_wav(tmp, call_id, length)
            record = {**call_record(0, base_us=opened), "answered_us": opened, "ended_us": ended}
            desktop.add_call(call_id, record)
            desktop.add_audio(call_id, wav, opened, 16000, int(length * 16000))
            calls += 1
        state = worker.upload_status()
        figures = RecordingFigures(
            seconds=time.monotonic() - start,
            calls=calls,
            worker_cpu_s=cpu_s(worker.proc.pid) - cpu0,
            uploader_cpu_s=float(state.get("cpu_s", 0.0)) - thread0,
            sent_items=int(state.get("sent", 0)) - sent0,
            sent_mb=_confirmed_mb(out / "outbox"),
            pending_items=int(state.get("items", 0)),
        )
        desktop.close()
        worker.send("stop")
        worker.proc.wait(60)
        return figures
    finally:
        if worker is not None:
            stop_process(worker.proc)
        if screen is not None:
            screen.stop()
        xvfb.stop()


def _confirmed_mb(outbox_dir: Path) -> float:
    """Bytes of the media the store confirmed from this outbox (audio as packed)."""
    with sqlite3.connect(outbox_dir / DB_NAME) as db:
        row = db.execute("SELECT COALESCE(SUM(bytes), 0) FROM items WHERE state = 'done'")
        return float(row.fetchone()[0]) / 1e6

"""The desktop killed with SIGKILL in the middle of a real call (through Kamailio), started
again over the same data folder: the call reaches the real store, ended by the system, with
its audio (the two unmerged sides merged) and its screen segment's link, which no longer
answers "404 no call"."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from formats.manifest import read_manifest
from recorder.outbox.journal import Outbox
from recorder.outbox.uploader import Uploader
from store.client import StoreClient
from tests.integration.outbox_kit import AGENT, store_server, write_segment
from tests.integration.sipkit import PASSWORDS, Agent
from tests.servers.kamailio import Kamailio
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration
__all__ = ["store_server"]  # the fixture, imported for pytest

ROOT = Path(__file__).resolve().parents[2]


class Pieces:
    """``tests.integration.desktop_pieces`` in a child process, its facts read as they come."""

    def __init__(self, data: Path, kam: Kamailio) -> None:
        args = [data, AGENT, PASSWORDS[AGENT], kam.domain, kam.registrar_uri()]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.desktop_pieces", *map(str, args)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.facts: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_err, daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.facts.put(json.loads(line))

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        self.stderr.extend(self.proc.stderr)

    def wait(self, key: str, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                fact = self.facts.get(timeout=0.2)
            except queue.Empty:
                continue
            if key in fact:
                return fact[key]
        raise AssertionError(f"no {key!r} from the desktop: {''.join(self.stderr)[-3000:]}")

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self._close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        for reader in self.readers:
            reader.join(5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def pieces(kamailio: Kamailio) -> Iterator[Callable[[Path], Pieces]]:
    started: list[Pieces] = []

    def start(data: Path) -> Pieces:
        started.append(Pieces(data, kamailio))
        return started[-1]

    yield start
    for one in started:
        if one.proc.stdout is not None and not one.proc.stdout.closed:
            one.stop()


def test_kill_9_mid_call_then_restart_delivers_the_call_with_its_audio_and_screen(
    kamailio: Kamailio,
    agents: Callable[..., Agent],
    pieces: Callable[[Path], Pieces],
    store_server: StoreServer,
    tmp_path: Path,
) -> None:
    data = tmp_path / "desktop"
    desktop = pieces(data)
    desktop.wait("ready")
    customer = agents("bob")
    out_id = customer.dial(AGENT)
    customer.wait("CallStateChanged", state="confirmed", call_id=out_id)
    call_id = desktop.wait("call")
    # The recorder worker journals a screen segment of the call meanwhile.
    box = Outbox(data / "outbox")
    segment, _ = write_segment(tmp_path, 0, [call_id], 30_000, base_us=time.time_ns() // 1000)
    box.add_segment(segment, read_manifest(segment))
    time.sleep(2.0)  # audio on disk
    killed_at_us = time.time_ns() // 1000
    desktop.kill()
    assert desktop.proc.returncode == -9
    audio = data / "call-audio"
    assert {p.name for p in audio.glob("*.wav")} == {
        f"{call_id}.operator.wav",
        f"{call_id}.customer.wav",
    }, "killed before the sides were merged"
    customer.call("hangup", call_id=out_id)
    customer.wait("CallEnded", call_id=out_id)

    # Started again over the same folder: the call is recovered, the queue drains.
    again = pieces(data)
    again.wait("ready")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not box.has(f"audio:{call_id}"):
        time.sleep(0.1)
    client = StoreClient(store_server.base_url, store_server.tokens[AGENT], timeout=(2.0, 5.0))
    uploader = Uploader(box, client, base_s=0.05, max_backoff_s=0.5)
    assert uploader.drain(60), ([(i.key, i.attempts) for i in box.pending()], box.status())
    assert box.status()["items"] == 0 and box.status()["parked"] == 0

    with StoreClient(store_server.base_url, store_server.tokens[AGENT]) as reader:
        call = reader.get_call(call_id)
        assert call["ended_by"] == "system" and call["cause"] == "desktop restarted"
        assert call["answered_us"] and call["answered_us"] < call["ended_us"] <= killed_at_us
        assert call["ended_us"] > killed_at_us - 8_000_000, "ended at its last known time"
        kinds = sorted(m["kind"] for m in call["media"])
        assert kinds == ["audio", "data", "screen"], kinds
        sound = next(m for m in call["media"] if m["kind"] == "audio")
        assert sound["end_us"] - sound["start_us"] >= 1_500_000, "the seconds before the kill"
    assert not list(audio.glob("*.wav")), "the sides were merged and taken into the outbox"
    stereo = next(iter(box.spool.glob("*.wav")), None)
    assert stereo is None, "uploaded and confirmed: nothing left in the spool"
    client.close()
    box.close()

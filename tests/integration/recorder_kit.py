"""Helpers for the screen recorder's integration tests: Xvfb, a colour script, decoding."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from formats.clock import utc_us
from recorder.segments.config import RecorderConfig
from recorder.segments.pipeline import ScreenRecorder
from tests.servers.xvfb import XvfbServer, xvfb_available

ROOT = Path(__file__).resolve().parents[2]

# Decoded solid colours (QP 30, BT.709 limited range) land within a few levels of the source.
COLOUR_TOLERANCE = 16
COLOURS = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "yellow": (255, 255, 0),
}


def require_xvfb() -> None:
    if not xvfb_available():
        pytest.fail("Xvfb or xsetroot missing: run scripts/setup")


@pytest.fixture(scope="module")
def xvfb() -> Iterator[XvfbServer]:
    require_xvfb()
    with XvfbServer(1280, 720) as server:
        yield server


@dataclass
class Change:
    """The screen became ``colour`` at some moment between ``before_us`` and ``after_us``."""

    colour: str
    before_us: int
    after_us: int


def paint(xvfb: XvfbServer, colour: str) -> Change:
    before = utc_us()
    xvfb.set_root_colour(colour)
    return Change(colour, before, utc_us())


@dataclass
class Shown:
    """A decoded frame and the UTC time from which it is on screen."""

    utc_us: int
    rgb: npt.NDArray[np.uint8]


def manifests(out_dir: Path) -> list[dict[str, Any]]:
    """Every manifest in ``out_dir``, in time order."""
    found = [json.loads(p.read_text()) for p in out_dir.glob("screen-*.json")]
    return sorted(found, key=lambda m: int(m["utc_start_us"]))


def decode(media: Path, utc_start_us: int) -> list[Shown]:
    with av.open(str(media)) as container:
        return [
            Shown(
                utc_start_us + round(float(frame.time or 0.0) * 1e6),
                np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8),
            )
            for frame in container.decode(video=0)
        ]


def decode_all(out_dir: Path) -> list[Shown]:
    shown: list[Shown] = []
    for manifest in manifests(out_dir):
        shown += decode(out_dir / manifest["file"], int(manifest["utc_start_us"]))
    return shown


def shown_at(frames: list[Shown], when_us: int) -> Shown:
    """The frame on screen at ``when_us`` (the last one that started at or before it)."""
    candidates = [f for f in frames if f.utc_us <= when_us]
    assert candidates, f"nothing recorded before {when_us}"
    return candidates[-1]


def colour_of(pixel: npt.NDArray[np.uint8]) -> str | None:
    for name, rgb in COLOURS.items():
        if np.all(np.abs(pixel.astype(int) - np.array(rgb)) <= COLOUR_TOLERANCE):
            return name
    return None


def check_manifest_files(out_dir: Path) -> list[dict[str, Any]]:
    """Each manifest's file exists, matches its size and SHA-256, and decodes completely."""
    found = manifests(out_dir)
    for manifest in found:
        media = out_dir / manifest["file"]
        data = media.read_bytes()
        assert len(data) == manifest["bytes"], manifest["file"]
        assert hashlib.sha256(data).hexdigest() == manifest["sha256"], manifest["file"]
        frames = decode(media, int(manifest["utc_start_us"]))
        assert len(frames) == manifest["frames"], manifest["file"]
    assert not list(out_dir.glob(".*.tmp")), "temp files left behind"
    return found


class RecordingThread:
    """A :class:`ScreenRecorder` running ``run(seconds)`` on a thread."""

    def __init__(self, config: RecorderConfig, seconds: float) -> None:
        self.recorder = ScreenRecorder(config)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(seconds,), daemon=True)
        self._thread.start()

    def _run(self, seconds: float) -> None:
        try:
            self.recorder.run(seconds)
        except BaseException as exc:  # handed to the test by join()
            self.error = exc

    def join(self, timeout: float = 30.0) -> ScreenRecorder:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the recorder did not stop"
        if self.error is not None:
            raise self.error
        return self.recorder


def wait_until(deadline_mono: float) -> None:
    time.sleep(max(0.0, deadline_mono - time.monotonic()))


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m recorder.cli ARGS`` as a child (stderr captured)."""
    return subprocess.Popen(
        [sys.executable, "-m", "recorder.cli", *args],
        cwd=ROOT,
        env=env or dict(os.environ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

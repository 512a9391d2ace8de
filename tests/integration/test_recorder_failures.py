"""The recorder CLI when things go wrong: kill -9, a full disk, no display, a bad folder."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from recorder.segments.writer import recover
from tests.integration.recorder_kit import (
    check_manifest_files,
    cli,
    decode,
    manifests,
    paint,
    xvfb,
)
from tests.servers.tmpfs import tiny_tmpfs
from tests.servers.xvfb import XvfbServer

pytestmark = pytest.mark.integration
__all__ = ["xvfb"]  # the fixture, imported for pytest

FLASH = ("red", "green", "blue", "yellow", "white")


def _flash(server: XvfbServer, halt: threading.Event, period: float = 0.4) -> None:
    """Change the whole screen every ``period`` until ``halt`` (every change is encoded)."""
    index = 0
    while not halt.wait(period):
        paint(server, FLASH[index % len(FLASH)])
        index += 1


def _stop(proc: subprocess.Popen[str]) -> str:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    _, err = proc.communicate(timeout=10)
    return err


def test_kill_9_keeps_finished_segments_and_the_cut_one_plays(
    xvfb: XvfbServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    args = ["--display", xvfb.display, "--out", str(tmp_path), "--seconds", "60"]
    proc = cli(*args, "--segment-seconds", "2", "--fragment-seconds", "1")
    halt = threading.Event()
    flasher = threading.Thread(target=_flash, args=(xvfb, halt), daemon=True)
    flasher.start()
    try:
        # Kill once a segment is finished and the next one is 1.6 s old: by then its first
        # fragment (cut at the first frame 1 s in) is complete, the second one is in progress.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = manifests(tmp_path)
            open_ = [m for m in found if m["status"] == "recording"]
            age_us = time.time_ns() // 1000 - open_[0]["utc_start_us"] if open_ else 0
            if len(found) >= 2 and age_us >= 1_600_000:
                break
            time.sleep(0.02)
        killed_at_us = time.time_ns() // 1000
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        _stop(proc)
        halt.set()
        flasher.join(15)
    assert proc.returncode == -signal.SIGKILL

    found = manifests(tmp_path)
    done = [m for m in found if m["status"] == "complete"]
    cut = [m for m in found if m["status"] == "recording"]
    assert len(done) >= 1 and len(cut) == 1
    # The cut file plays as it is, up to its last complete fragment.
    media = tmp_path / cut[0]["file"]
    frames_before = decode(media, int(cut[0]["utc_start_us"]))
    assert frames_before, "the cut segment should hold at least one complete fragment"

    with caplog.at_level("WARNING"):
        (recovered,) = recover(tmp_path)
    assert "cut short" in caplog.text
    assert recovered.status == "partial"
    after = check_manifest_files(tmp_path)  # sizes, SHA-256, every frame decodes
    assert [m["status"] for m in after] == ["complete"] * len(done) + ["partial"]
    kept = decode(media, recovered.utc_start_us)
    assert len(kept) == recovered.frames >= len(frames_before) - 1
    # At most the fragment in progress (1 s) plus one frame interval was lost.
    assert killed_at_us - recovered.utc_end_us < 1_600_000
    assert recovered.utc_end_us == kept[-1].utc_us


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    with tiny_tmpfs(tmp_path / "tiny", "1m") as mount_point:
        yield mount_point


def test_full_disk_stops_with_a_clear_error_and_corrupts_nothing(
    xvfb: XvfbServer, tiny_disk: Path
) -> None:
    # Plaid patterns in changing colours: 30-90 KB per frame, so 1 MB fills in a few seconds
    # after a few complete segments.
    out = tiny_disk / "rec"
    args = ["--display", xvfb.display, "--out", str(out), "--seconds", "40"]
    proc = cli(*args, "--segment-seconds", "1", "--fragment-seconds", "0.5")
    try:
        deadline = time.monotonic() + 25
        index = 0
        while proc.poll() is None and time.monotonic() < deadline:
            colours = ("#102030", "#f0e0c0", "#803020", "#20a040")
            fg, bg = colours[index % 4], colours[(index + 1) % 4]
            xvfb.run_tool("xsetroot", "-mod", "16", "16", "-fg", fg, "-bg", bg)
            index += 1
            time.sleep(0.5)
        assert proc.poll() is not None, "the recorder did not stop on a full disk"
    finally:
        err = _stop(proc)
    assert proc.returncode == 4, err
    assert "disk full" in err and "recording stopped" in err
    found = check_manifest_files(out)
    assert len(found) >= 2, err
    assert all(m["status"] in ("complete", "partial") for m in found), err


def test_no_display_is_a_clear_error(tmp_path: Path) -> None:
    proc = cli("--display", ":93", "--seconds", "2", "--out", str(tmp_path))
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 3
    assert "cannot open X display :93" in err


def test_output_that_is_not_a_folder_is_a_clear_error(xvfb: XvfbServer, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    proc = cli("--display", xvfb.display, "--seconds", "2", "--out", str(not_a_folder))
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 4
    assert "exists and is not a folder" in err


def test_missing_monitor_is_a_clear_error(xvfb: XvfbServer, tmp_path: Path) -> None:
    proc = cli(
        "--display", xvfb.display, "--seconds", "2", "--out", str(tmp_path), "--monitor", "3"
    )
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 3
    assert "monitor 3 does not exist" in err


def test_seconds_and_scale_record_a_scaled_video(xvfb: XvfbServer, tmp_path: Path) -> None:
    paint(xvfb, "green")
    args = ["--display", xvfb.display, "--seconds", "1.5", "--out", str(tmp_path)]
    proc = cli(*args, "--scale", "640", "--call-id", "call-1", "--call-id", "call-2")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "per frame" in err and "encode" in err
    (manifest,) = check_manifest_files(tmp_path)
    assert (manifest["width"], manifest["height"]) == (640, 360)
    assert manifest["call_ids"] == ["call-1", "call-2"]
    assert manifest["status"] == "complete"

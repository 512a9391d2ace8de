"""The screen recorder on a real Xvfb with real mss grabs: content, time, masks, layout."""

from __future__ import annotations

import itertools
import subprocess
import time
from pathlib import Path

import av
import numpy as np
import pytest

from recorder.capture.geometry import Rect
from recorder.capture.grab import CaptureError
from recorder.segments.config import RecorderConfig
from tests.integration.recorder_kit import (
    RecordingThread,
    check_manifest_files,
    colour_of,
    decode_all,
    manifests,
    paint,
    shown_at,
    wait_until,
    xvfb,
)
from tests.servers.xvfb import XvfbServer

pytestmark = pytest.mark.integration
__all__ = ["xvfb"]  # the fixture, imported for pytest


def test_frames_show_what_was_on_screen_at_each_time(xvfb: XvfbServer, tmp_path: Path) -> None:
    paint(xvfb, "red")
    time.sleep(0.3)
    config = RecorderConfig(out_dir=tmp_path, display=xvfb.display, segment_s=2.5)
    start = time.monotonic()
    recording = RecordingThread(config, seconds=7.0)
    changes = []
    for at, colour in ((1.5, "green"), (3.5, "blue"), (5.5, "yellow")):
        wait_until(start + at)
        changes.append(paint(xvfb, colour))
    recorder = recording.join()

    found = check_manifest_files(tmp_path)
    assert [m["status"] for m in found] == ["complete"] * len(found)
    assert len(found) >= 2, "segment_s=2.5 over 7 s must cut at least once"
    for earlier, later in itertools.pairwise(found):
        assert earlier["utc_end_us"] == later["utc_start_us"], "time must be continuous"
    assert all(m["width"] == 1280 and m["height"] == 720 and m["codec"] == "h264" for m in found)
    # Between the paints the screen is still: the loop sleeps until X reports drawing instead
    # of grabbing 5 times a second (35 ticks in 7 s).
    assert 4 <= recorder.stats.grabs < 20

    frames = decode_all(tmp_path)
    first = int(found[0]["utc_start_us"])
    checks = [(first + 300_000, "red")]
    for change, after in zip(changes, [*changes[1:], None], strict=True):
        # Settled: 0.5 s after the paint returned; before the next one started.
        end = after.before_us if after is not None else int(found[-1]["utc_end_us"])
        checks.append(((change.after_us + 500_000 + end) // 2, change.colour))
        checks.append((end - 100_000, change.colour))
    for when, colour in checks:
        frame = shown_at(frames, when)
        assert colour_of(frame.rgb[360, 640]) == colour, (when - first, frame.rgb[360, 640])
        assert colour_of(frame.rgb[5, 5]) == colour
        assert colour_of(frame.rgb[714, 1274]) == colour
    # Only changed frames are encoded: a few per change, not 5 per second.
    assert sum(int(m["frames"]) for m in found) < 30


def test_an_unchanged_stretch_costs_almost_nothing_but_time_continues(
    xvfb: XvfbServer, tmp_path: Path
) -> None:
    xvfb.run_tool("xsetroot", "-mod", "7", "5", "-fg", "#203040", "-bg", "#e0e0d0")
    time.sleep(0.3)
    seconds = 16.0
    recording = RecordingThread(
        RecorderConfig(out_dir=tmp_path, display=xvfb.display), seconds=seconds
    )
    recorder = recording.join()

    (manifest,) = check_manifest_files(tmp_path)
    frames = decode_all(tmp_path)
    # The key frame, one repeat that closed its fragment after 1 s, the closing repeat.
    assert manifest["frames"] == len(frames) == 3
    assert manifest["key_frames"] == 1
    duration_s = (int(manifest["utc_end_us"]) - int(manifest["utc_start_us"])) / 1e6
    assert seconds - 0.5 < duration_s < seconds + 0.5
    assert (frames[-1].utc_us - frames[0].utc_us) / 1e6 == pytest.approx(duration_s, abs=0.01)
    assert np.array_equal(frames[0].rgb, frames[-1].rgb)
    media = tmp_path / manifest["file"]
    key_frame_bytes = _first_packet_size(media)
    assert key_frame_bytes > 5_000, "the pattern should make a real key frame"
    assert int(manifest["bytes"]) - key_frame_bytes < 3_000
    assert recorder.stats.encoded == 1
    # Not 5 grabs a second (80): the periodic whole grab that checks damage, one wake-up to
    # close the first fragment, the first grab.
    config = recorder.config
    assert recorder.stats.grabs < seconds / config.full_grab_s + 4
    assert recorder.stats.still_waits >= seconds / config.full_grab_s - 1


def _first_packet_size(media: Path) -> int:
    with av.open(str(media)) as container:
        for packet in container.demux(video=0):
            return packet.size
    raise AssertionError("no packet")


def test_masked_rect_is_black_and_marked(xvfb: XvfbServer, tmp_path: Path) -> None:
    paint(xvfb, "white")
    time.sleep(0.3)
    mask = Rect(100, 120, 300, 200)
    start = time.monotonic()
    recording = RecordingThread(RecorderConfig(out_dir=tmp_path, display=xvfb.display), seconds=5.0)
    wait_until(start + 1.0)
    recording.recorder.set_mask([mask])
    wait_until(start + 2.0)
    paint(xvfb, "yellow")  # changes outside and under the mask while it is on
    wait_until(start + 3.0)
    recording.recorder.set_mask([])
    recording.join()

    (manifest,) = check_manifest_files(tmp_path)
    periods = manifest["masked_periods"]
    assert len(periods) == 1
    period = periods[0]
    assert period["rects"] == [[100, 120, 300, 200]]
    origin = int(manifest["utc_start_us"])
    assert 0.7 < (period["start_us"] - origin) / 1e6 < 1.5
    assert 2.7 < (period["end_us"] - origin) / 1e6 < 3.5

    frames = decode_all(tmp_path)
    inside, outside = (220, 250), (600, 600)  # (x, y)
    for when_s, colour_in, colour_out in (
        (0.5, "white", "white"),
        (1.8, "black", "white"),
        (2.7, "black", "yellow"),
        (4.5, "yellow", "yellow"),
    ):
        rgb = shown_at(frames, origin + int(when_s * 1e6)).rgb
        assert colour_of(rgb[inside[1], inside[0]]) == colour_in, when_s
        assert colour_of(rgb[outside[1], outside[0]]) == colour_out, when_s
    masked = shown_at(frames, origin + int(1.8e6)).rgb  # rows, columns; 4 px inside/outside
    assert colour_of(masked[124, 104]) == "black" and colour_of(masked[315, 395]) == "black"
    assert colour_of(masked[115, 104]) == "white" and colour_of(masked[124, 405]) == "white"


def test_layout_changes_start_new_segments_without_crashing(tmp_path: Path) -> None:
    with XvfbServer(1280, 720) as server:
        paint(server, "blue")
        start = time.monotonic()
        recording = RecordingThread(
            RecorderConfig(out_dir=tmp_path, display=server.display, layout_check_s=0.5),
            seconds=5.0,
        )
        wait_until(start + 1.5)
        # Two monitors appear (RandR 1.5 monitors), then the screen shrinks.
        server.run_tool("xrandr", "--setmonitor", "left", "640/170x720/190+0+0", "none")
        server.run_tool("xrandr", "--setmonitor", "right", "640/170x720/190+640+0", "none")
        wait_until(start + 3.0)
        subprocess_shrink(server)
        recording.join()

    found = check_manifest_files(tmp_path)
    assert [m["status"] for m in found] == ["complete"] * len(found)
    assert len(found) >= 3
    sizes = [(m["width"], m["height"]) for m in found]
    assert sizes[0] == (1280, 720) and sizes[-1] == (1024, 600)
    monitors = [len(m["layout"]["monitors"]) for m in manifests(tmp_path)]
    assert monitors[0] == 1 and max(monitors) >= 2
    for earlier, later in itertools.pairwise(found):
        assert earlier["utc_end_us"] == later["utc_start_us"]


def subprocess_shrink(server: XvfbServer) -> None:
    """``xrandr --fb`` smaller than the output: Xvfb shrinks the screen, xrandr reports an
    error for the output it could not keep, which is not ours to care about."""
    subprocess.run(
        ["xrandr", "--fb", "1024x600"],
        env=server.env(),
        capture_output=True,
        timeout=10,
        check=False,
    )


def test_display_going_away_ends_the_recording_cleanly(tmp_path: Path) -> None:
    server = XvfbServer(640, 480)
    server.start()
    try:
        paint(server, "green")
        config = RecorderConfig(
            out_dir=tmp_path, display=server.display, capture_failure_limit_s=1.0
        )
        start = time.monotonic()
        recording = RecordingThread(config, seconds=30.0)
        wait_until(start + 1.5)
    finally:
        server.stop()
    with pytest.raises(CaptureError, match="screen grabs failed"):
        recording.join(timeout=15)
    assert time.monotonic() - start < 10
    (manifest,) = check_manifest_files(tmp_path)
    assert manifest["status"] == "complete"
    assert 1.0 < (manifest["utc_end_us"] - manifest["utc_start_us"]) / 1e6 < 2.5


def test_a_scaled_picture_whose_height_is_not_a_multiple_of_4_is_recorded(
    xvfb: XvfbServer, tmp_path: Path
) -> None:
    """1280×720 scaled to 480 wide would be 480×270; yuv420p buffers need a height divisible
    by 4, so the video is 480×268 and it decodes."""
    paint(xvfb, "green")
    config = RecorderConfig(out_dir=tmp_path, display=xvfb.display, scale_width=480)
    RecordingThread(config, seconds=1.5).join()
    found = check_manifest_files(tmp_path)
    assert [(m["width"], m["height"], m["status"]) for m in found] == [(480, 268, "complete")]
    frames = decode_all(tmp_path)
    assert frames and frames[-1].rgb.shape == (268, 480, 3)
    assert colour_of(frames[-1].rgb[134, 240]) == "green"

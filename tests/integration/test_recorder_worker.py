"""The recorder worker process on a real Xvfb, driven over its JSON pipe: recording windows
with pre-roll, back-to-back and overlapping calls, sampling, pause, title masks, a full disk."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recorder.outbox.silences import SILENCES_NAME, SilenceJournal
from tests.integration.recorder_kit import (
    check_manifest_files,
    colour_of,
    decode,
    paint,
    shown_at,
    xvfb,
)
from tests.integration.test_recorder_failures import tiny_disk
from tests.integration.worker_kit import WorkerProcess, tk_windows
from tests.servers.xvfb import XvfbServer

pytestmark = pytest.mark.integration
__all__ = ["tiny_disk", "xvfb"]  # fixtures, imported for pytest

S = 1_000_000
PREROLL_S = 4


def frames_of(out: Path, found: list[dict[str, Any]], call_id: str) -> list[Any]:
    frames = []
    for manifest in found:
        if call_id in manifest["call_ids"]:
            frames += decode(out / manifest["file"], int(manifest["utc_start_us"]))
    return frames


def check_window(found: list[dict[str, Any]], call_id: str, opened: int, closed: int) -> None:
    """The segments listing ``call_id`` cover its window (pre-roll included) without a gap,
    and every segment overlapping the window lists it."""
    listing = [m for m in found if call_id in m["call_ids"]]
    assert listing, f"no segment lists {call_id}"
    assert listing[0]["utc_start_us"] <= opened - PREROLL_S * S, "the pre-roll is missing"
    assert listing[-1]["utc_end_us"] >= closed
    for earlier, later in itertools.pairwise(listing):
        assert earlier["utc_end_us"] == later["utc_start_us"], f"a gap in {call_id}'s recording"
    for m in found:
        overlaps = m["utc_end_us"] > opened - PREROLL_S * S and m["utc_start_us"] < closed
        assert (call_id in m["call_ids"]) == overlaps, (call_id, m["call_ids"], m["file"])


def test_windows_keep_the_pre_roll_and_list_every_overlapping_call(
    xvfb: XvfbServer, tmp_path: Path
) -> None:
    worker = WorkerProcess(xvfb, tmp_path, "--preroll", str(PREROLL_S))
    try:
        paint(xvfb, "red")
        worker.wait_capturing()
        time.sleep(1.5)
        green = paint(xvfb, "green")  # shown 3 s before call A's window opens
        time.sleep(3.0)
        open_a = worker.send("open_window", call_id="A", queue="sales", agent="1001")
        time.sleep(0.5)
        blue = paint(xvfb, "blue")
        time.sleep(1.0)
        close_a = worker.send("close_window", call_id="A")
        time.sleep(1.0)
        # B, then C while B is still open (call waiting), then C alone.
        open_b = worker.send("open_window", call_id="B")
        paint(xvfb, "yellow")
        time.sleep(1.0)
        open_c = worker.send("open_window", call_id="C")
        time.sleep(1.0)
        close_b = worker.send("close_window", call_id="B")
        paint(xvfb, "white")
        time.sleep(1.0)
        close_c = worker.send("close_window", call_id="C")
        # D is sampled out (0 %): nothing is kept for it.
        worker.send("set_policy", mode="sampled", sample_percent=0)
        worker.send("open_window", call_id="D")
        paint(xvfb, "red")
        state = worker.wait_for(
            lambda e: e["event"] == "state" and any(w["call_id"] == "D" for w in e["windows"])
        )
        time.sleep(1.0)
        worker.send("close_window", call_id="D")
        assert worker.stop() == 0, worker.stderr
    finally:
        worker.kill()

    (d_window,) = [w for w in state["windows"] if w["call_id"] == "D"]
    assert d_window["state"] == "not_recorded" and "0 % sample" in d_window["reason"]
    assert not state["recording"], "D alone must not show as recording"
    found = check_manifest_files(tmp_path)
    assert found and all(m["call_ids"] for m in found), "unclaimed segments must be deleted"
    assert not list((tmp_path / "spool").glob("screen-*")), "the spool must be empty"
    assert not any("D" in m["call_ids"] for m in found)
    done = worker.named("segment_done")
    assert sorted(Path(e["manifest"]).name for e in done) == sorted(
        m["file"].replace(".mp4", ".json") for m in found
    )
    check_window(found, "A", open_a, close_a)
    check_window(found, "B", open_b, close_b)
    check_window(found, "C", open_c, close_c)
    assert any({"B", "C"} <= set(m["call_ids"]) for m in found)
    assert found[-1]["call_ids"] == ["C"]

    # The pre-roll: what was on screen 3 s before A's window opened is in A's segments.
    frames = frames_of(tmp_path, found, "A")
    seen = shown_at(frames, green.after_us + 300_000)
    assert open_a - seen.utc_us > 2_500_000
    assert colour_of(seen.rgb[360, 640]) == "green"
    assert colour_of(shown_at(frames, green.before_us - 300_000).rgb[360, 640]) == "red"
    assert colour_of(shown_at(frames, blue.after_us + 400_000).rgb[360, 640]) == "blue"


def test_pause_blacks_out_the_whole_picture_and_marks_the_period(
    xvfb: XvfbServer, tmp_path: Path
) -> None:
    paint(xvfb, "red")
    worker = WorkerProcess(xvfb, tmp_path, "--preroll", "1")
    try:
        worker.wait_capturing()
        worker.send("open_window", call_id="E")
        time.sleep(1.0)
        paused = worker.send("pause")
        worker.wait_for(lambda e: e["event"] == "state" and e["paused"])
        time.sleep(1.5)
        resumed = worker.send("resume")
        time.sleep(1.0)
        worker.send("close_window", call_id="E")
        assert worker.stop() == 0, worker.stderr
    finally:
        worker.kill()

    found = check_manifest_files(tmp_path)
    frames = frames_of(tmp_path, found, "E")
    assert colour_of(shown_at(frames, paused - 300_000).rgb[360, 640]) == "red"
    during = shown_at(frames, (paused + resumed) // 2).rgb
    assert int(during.max()) < 24, "the paused picture must be black everywhere"
    assert colour_of(shown_at(frames, resumed + 600_000).rgb[360, 640]) == "red"
    periods = [p for m in found for p in m["masked_periods"]]
    (period,) = periods
    assert period["rects"] == [[0, 0, 1280, 720]] and period["reasons"] == ["manual"]
    assert paused <= period["start_us"] < paused + 500_000
    assert resumed <= period["end_us"] < resumed + 500_000
    marks = [json.loads(line) for line in (tmp_path / "marks.jsonl").read_text().splitlines()]
    assert [(m["call_id"], m["event"], m["detail"]) for m in marks] == [
        ("E", "pause", "manual"),
        ("E", "resume", "manual"),
    ]
    (silence,) = SilenceJournal(tmp_path / "outbox" / SILENCES_NAME).spans(paused)
    assert silence.reasons == ("manual",) and silence.end_us is not None
    assert paused <= silence.start_us < silence.end_us <= resumed + 100_000


def test_a_window_whose_title_matches_is_black_and_the_rest_visible(
    xvfb: XvfbServer, tmp_path: Path
) -> None:
    paint(xvfb, "green")
    card = ("Card payment – Acme Bank", "400x300+100+100", "red")
    notes = ("Notes", "300x200+700+100", "blue")
    with tk_windows(xvfb, card, notes):
        worker = WorkerProcess(xvfb, tmp_path, "--preroll", "1", "--mask-title", "(?i)card pay")
        try:
            state = worker.wait_for(lambda e: e["event"] == "state" and e["masked"])
            assert state["masked"] == [card[0]] and not state["mask_failed"]
            worker.send("open_window", call_id="F")
            time.sleep(1.5)
            middle = worker.send("status")
            time.sleep(0.5)
            worker.send("close_window", call_id="F")
            assert worker.stop() == 0, worker.stderr
        finally:
            worker.kill()

    found = check_manifest_files(tmp_path)
    picture = shown_at(frames_of(tmp_path, found, "F"), middle).rgb
    assert int(picture[110:390, 110:490].max()) < 24, "the card window must be black"
    assert colour_of(picture[200, 850]) == "blue"
    assert colour_of(picture[600, 640]) == "green"
    assert colour_of(picture[5, 5]) == "green"
    rects = [r for m in found for p in m["masked_periods"] for r in p["rects"]]
    assert rects and all(r == [100, 100, 400, 300] for r in rects)
    assert all(p["reasons"] == ["masked_title"] for m in found for p in m["masked_periods"])
    spans = SilenceJournal(tmp_path / "outbox" / SILENCES_NAME).spans(middle)
    assert [s.reasons for s in spans] == [("masked_title",)]  # the call audio is silent too


def test_set_policy_changes_title_masks_and_queue_rules_without_a_restart(
    xvfb: XvfbServer, tmp_path: Path
) -> None:
    paint(xvfb, "green")
    secret = ("Secret ledger", "300x200+100+100", "red")
    with tk_windows(xvfb, secret):
        worker = WorkerProcess(xvfb, tmp_path, "--preroll", "1", "--mask-title", "Nothing")
        try:
            worker.wait_for(lambda e: e["event"] == "state" and e["capturing"])
            pid = worker.proc.pid
            rules = {"sales": {"mode": "off"}, "vip": {"mode": "consent"}}
            worker.send("set_policy", mode="all", queues=rules, mask_titles=["(?i)secret"])
            state = worker.wait_for(lambda e: e["event"] == "state" and e["masked"])
            assert state["masked"] == [secret[0]] and state["policy"]["queues"]["sales"] == {
                "mode": "off",
                "sample_percent": 100.0,
            }
            worker.send("open_window", call_id="Q1", queue="sales")
            worker.send("open_window", call_id="Q2", queue="vip")
            worker.send("open_window", call_id="Q3", queue="support")
            asked = worker.send("status")
            status = worker.wait_for(lambda e: e["event"] == "status" and e["at_us"] >= asked)
            windows = {w["call_id"]: w for w in status["windows"]}
            assert windows["Q1"]["state"] == "not_recorded"
            assert "off for queue sales" in windows["Q1"]["reason"]
            assert windows["Q2"]["state"] == "awaiting_consent"
            assert windows["Q3"]["state"] == "recording"
            unmasked = worker.send("set_policy", mode="all", mask_titles=[])
            worker.wait_for(
                lambda e: e["event"] == "state" and e["at_us"] >= unmasked and not e["masked"]
            )
            worker.send("set_policy", mask_titles=["(unclosed"])
            worker.wait_for(lambda e: e["event"] == "error" and "mask_titles" in e["message"])
            assert worker.proc.pid == pid and worker.proc.poll() is None
            for call_id in ("Q1", "Q2", "Q3"):
                worker.send("close_window", call_id=call_id)
            assert worker.stop() == 0, worker.stderr
        finally:
            worker.kill()


def test_a_full_disk_is_a_clear_error_and_corrupts_nothing(
    xvfb: XvfbServer, tiny_disk: Path
) -> None:
    """Screen gives way on a full disk (its segments are no longer kept, so call audio and
    metadata still fit); the worker says so once, goes on uploading and stops cleanly."""
    out = tiny_disk / "rec"
    worker = WorkerProcess(xvfb, out, "--preroll", "1", "--segment-seconds", "1")
    try:
        worker.wait_capturing()
        worker.send("open_window", call_id="G")
        colours = ("#102030", "#f0e0c0", "#803020", "#20a040")
        deadline = time.monotonic() + 25
        index = 0
        while not worker.named("error") and time.monotonic() < deadline:
            fg, bg = colours[index % 4], colours[(index + 1) % 4]
            xvfb.run_tool("xsetroot", "-mod", "16", "16", "-fg", fg, "-bg", bg)
            index += 1
            time.sleep(0.4)
        assert worker.proc.poll() is None, worker.stderr  # still there for the uploads
        code = worker.stop(20)
    finally:
        worker.kill()
    assert code == 0, worker.stderr
    (error,) = worker.named("error")
    assert error["kind"] == "spool_full" and not error["fatal"]
    assert "disk full" in error["message"] and "screen recording stopped" in error["message"]
    for folder in (out, out / "spool"):
        found = check_manifest_files(folder)
        assert all(m["call_ids"] == ["G"] for m in found)
        assert all(m["status"] in ("complete", "partial") for m in found)
        assert np.all([m["bytes"] > 0 for m in found])

"""The formats two parts share: each written by its one writer and read back by its one reader,
and a malformed one refused with a message naming the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formats import pipe, pipe_codec
from formats.call_audio import CallAudioNote, NoteError, note_path, read_note, write_note
from formats.manifest import (
    COMPLETE,
    RECORDING,
    Manifest,
    ManifestError,
    MaskedPeriod,
    parse_manifest,
    read_manifest,
    write_manifest,
)
from recorder.segments.windows import RecordingPolicy
from recorder.worker_options import WorkerOptions


def a_manifest(**changes: object) -> Manifest:
    manifest = Manifest(
        id="0b7c9c7e-1111-4222-8333-944455556666",
        file="screen-20260101T000000.000Z-0b7c9c7e.mp4",
        status=COMPLETE,
        utc_start_us=1_700_000_000_000_000,
        utc_end_us=1_700_000_120_000_000,
        width=1920,
        height=1080,
        fps=5.0,
        layout={"desktop": [0, 0, 1920, 1080], "monitors": [], "selected": 0},
        call_ids=["c1", "c2"],
        frames=310,
        key_frames=1,
        bytes=123_456,
        sha256="ab" * 32,
        masked_periods=[
            MaskedPeriod(1_700_000_010_000_000, 1_700_000_012_000_000, [(0, 0, 640, 480)]),
            MaskedPeriod(1_700_000_100_000_000, None, [(10, 20, 30, 40), (50, 60, 70, 80)]),
        ],
        encoder={"preset": "ultrafast", "qp": 33},
    )
    for name, value in changes.items():
        setattr(manifest, name, value)
    return manifest


# ----- the segment manifest ------------------------------------------------------------------


def test_a_manifest_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "screen-1.json"
    manifest = a_manifest()
    write_manifest(path, manifest)
    assert read_manifest(path) == manifest
    assert parse_manifest(path.read_bytes()) == manifest
    assert not list(tmp_path.glob(".*.tmp")), "the temp file is renamed, not left behind"
    recording = a_manifest(status=RECORDING, pid=4321, masked_periods=[])
    write_manifest(path, recording)
    assert read_manifest(path) == recording


def test_a_manifest_from_a_later_version_keeps_what_it_knows() -> None:
    data = a_manifest().to_json() | {"thumbnail": "later.png"}
    assert parse_manifest(json.dumps(data)) == a_manifest()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"width": None}, "field 'width' has the wrong type"),
        ({"utc_start_us": "soon"}, "field 'utc_start_us' has the wrong type"),
        ({"status": "finished"}, "field 'status': 'finished' is not one of"),
        ({"call_ids": ["c1", 2]}, "field 'call_ids' must be a list of strings"),
        ({"masked_periods": [{"start_us": 1, "rects": [[0, 0, 1]]}]}, "bad period"),
        ({"fps": True}, "field 'fps' has the wrong type"),
    ],
)
def test_a_malformed_manifest_is_refused_by_field(change: dict[str, object], problem: str) -> None:
    data = a_manifest().to_json() | change
    with pytest.raises(ManifestError, match=problem):
        parse_manifest(json.dumps(data))


def test_a_manifest_error_names_the_file_and_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "screen-2.json"
    data = a_manifest().to_json()
    del data["file"]
    path.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match=r"screen-2\.json: missing field 'file'"):
        read_manifest(path)
    path.write_text("{")
    with pytest.raises(ManifestError, match=r"screen-2\.json: not JSON"):
        read_manifest(path)
    path.write_text("[]")
    with pytest.raises(ManifestError, match="a manifest is a JSON object, not list"):
        read_manifest(path)


# ----- the pipe ------------------------------------------------------------------------------

COMMANDS: list[pipe.Command] = [
    pipe.OpenWindow(call_id="c1", at_us=5, queue="sales", agent="1001"),
    pipe.OpenWindow(call_id="c2"),
    pipe.CloseWindow(call_id="c1", at_us=9),
    pipe.Consent(call_id="c1", at_us=7),
    pipe.Mark(call_id="c1", event="hold", at_us=8),
    pipe.Pause(),
    pipe.Resume(),
    pipe.SetPolicy(mode="sampled", sample_percent=12.5, off_agents=("1002",), off_queues=()),
    pipe.Status(),
    pipe.UploadStatusRequest(),
    pipe.Stop(),
]
EVENTS: list[pipe.Event] = [
    pipe.Ready(pid=42, out_dir="/rec", preroll_s=5.0, fps=5.0, policy={"mode": "all"}, at_us=1),
    pipe.RecorderState(
        recording=True,
        capturing=True,
        masked=["Bank"],
        windows=[{"call_id": "c1", "state": "recording"}],
        segments=3,
        spool=1,
        policy={"mode": "all"},
        at_us=2,
    ),
    pipe.RecorderStatus(recording=False, capturing=True, at_us=3),
    pipe.SegmentDone(
        manifest="/rec/screen-1.json",
        call_ids=["c1"],
        status="complete",
        utc_start_us=10,
        utc_end_us=20,
        bytes=99,
        at_us=4,
    ),
    pipe.Marked(call_id="c1", mark="pause", utc_us=11, at_us=5),
    pipe.WorkerError(kind="disk_full", message="disk full", fatal=True, at_us=6),
    pipe.UploadStatus(items=2, bytes=10, oldest_us=None, rate_bps=1.5, offline=True, at_us=7),
    pipe.Stopped(code=0, segments=3, at_us=8),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.NAME)
def test_every_command_reads_back_as_written(command: pipe.Command) -> None:
    line = pipe_codec.encode(command)
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line)["cmd"] == command.NAME
    assert pipe_codec.decode(line, pipe.Command) == command


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.NAME)
def test_every_event_reads_back_as_written(event: pipe.Event) -> None:
    line = pipe_codec.encode(event)
    assert json.loads(line)["event"] == event.NAME
    assert pipe_codec.decode(line, pipe.Event) == event


def test_the_wire_format_is_the_documented_json_line() -> None:
    line = pipe_codec.encode(pipe.CloseWindow(call_id="c1", at_us=9))
    assert json.loads(line) == {"cmd": "close_window", "call_id": "c1", "at_us": 9}
    stamped = json.loads(pipe_codec.encode(pipe.Stopped(code=0, segments=1)))
    assert stamped["event"] == "stopped" and isinstance(stamped["at_us"], int)
    # What older desktops and tests send by hand is read as well.
    raw = '{"cmd": "set_policy", "mode": "consent", "off_queues": ["vip"]}'
    expected = pipe.SetPolicy(mode="consent", off_queues=("vip",))
    assert pipe_codec.decode(raw, pipe.Command) == expected


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "a message is a JSON object, not list"),
        ('{"call_id": "c1"}', "no 'cmd' naming the message"),
        ('{"cmd": "record_everything"}', "unknown command 'record_everything'"),
        ('{"cmd": "open_window"}', "open_window: missing field.* call_id"),
        ('{"cmd": "open_window", "call_id": ""}', "open_window: call_id must be a non-empty"),
        ('{"cmd": "close_window", "call_id": "c", "at_us": "now"}', "close_window: at_us must"),
        ('{"cmd": "mark", "call_id": "c", "event": 5}', "mark: event must be a string"),
        ('{"cmd": "set_policy", "mode": "all", "sampel": 5}', "set_policy: unknown field.* sampel"),
        ('{"cmd": "set_policy", "off_agents": ["a", 1]}', r"set_policy: off_agents\[1\] must"),
        ('{"cmd": "open_window", "call_id": "c", "at_us": true}', "at_us must be an integer"),
    ],
)
def test_a_malformed_command_names_the_problem(line: str, problem: str) -> None:
    with pytest.raises(pipe.PipeError, match=problem):
        pipe_codec.decode(line, pipe.Command)


def test_a_malformed_event_names_the_problem() -> None:
    with pytest.raises(pipe.PipeError, match="unknown event 'exploded'"):
        pipe_codec.decode('{"event": "exploded"}', pipe.Event)
    with pytest.raises(pipe.PipeError, match="state: capturing must be true or false"):
        pipe_codec.decode('{"event": "state", "recording": true, "capturing": "yes"}', pipe.Event)
    with pytest.raises(pipe.PipeError, match="no 'event' naming the message"):
        pipe_codec.decode(pipe_codec.encode(pipe.Stop()), pipe.Event)


def test_an_event_with_fields_it_does_not_know_is_still_read() -> None:
    line = '{"event": "stopped", "at_us": 1, "code": 0, "segments": 2, "later": "x"}'
    assert pipe_codec.decode(line, pipe.Event) == pipe.Stopped(code=0, segments=2, at_us=1)


# ----- the call-audio note -------------------------------------------------------------------


def test_a_call_audio_note_reads_back_as_written(tmp_path: Path) -> None:
    note = CallAudioNote(
        call_id="c9",
        first_sample_utc_us=1_700_000_000_000_123,
        sample_rate=16000,
        operator_wav="c9.operator.wav",
        customer_wav="c9.customer.wav",
        stereo_wav="c9.wav",
    )
    path = write_note(note, tmp_path)
    assert path == note_path(tmp_path / "c9.wav") == tmp_path / "c9.json"
    assert read_note(path) == note
    finished = CallAudioNote(**{**note.__dict__, "finished": True, "frames": 16000})
    write_note(finished, tmp_path)
    assert read_note(path) == finished
    assert json.loads(path.read_text())["channels"] == {"left": "operator", "right": "customer"}


def test_a_malformed_call_audio_note_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "c1.json"
    path.write_text(json.dumps({"call_id": "c1", "first_sample_utc_us": 1, "sample_rate": 8000}))
    with pytest.raises(NoteError, match=r"c1\.json: missing field 'operator_wav'"):
        read_note(path)
    path.write_text(
        json.dumps(
            {
                "call_id": "c1",
                "first_sample_utc_us": "1",
                "sample_rate": 8000,
                "operator_wav": "a",
                "customer_wav": "b",
                "stereo_wav": "c",
            }
        )
    )
    with pytest.raises(NoteError, match="field 'first_sample_utc_us' has the wrong type"):
        read_note(path)
    path.write_text("{")
    with pytest.raises(NoteError, match="not JSON"):
        read_note(path)


# ----- the worker's options ------------------------------------------------------------------


def test_the_worker_options_read_back_from_their_command_line(tmp_path: Path) -> None:
    options = WorkerOptions(
        out_dir=tmp_path / "rec",
        display=":7",
        fps=2.5,
        preroll_s=0.0,
        monitor=1,
        scale_width=1280,
        segment_s=60.0,
        standby_s=3.0,
        mask_titles=("Bank.*", "Password"),
        title_poll_s=0.5,
        policy=RecordingPolicy("sampled", 33.3333, frozenset({"1002"}), frozenset({"vip"})),
        verbose=True,
        outbox_dir=tmp_path / "outbox",
        store_url="https://store.example.com",
        store_ca="/etc/ca.pem",
        quota_mb=500.0,
        bandwidth_kbps=64.0,
        upload_backoff_s=30.0,
        capture=False,
    )
    assert WorkerOptions.from_argv(options.to_argv()) == options
    defaults = WorkerOptions(out_dir=tmp_path, display=":0")
    assert WorkerOptions.from_argv(defaults.to_argv()) == defaults

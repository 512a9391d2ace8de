"""The ``[recorder]`` settings, when recording is on, the worker's command line, and the
operator's status line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.recording import status_line
from desktop.recording.options import LinkOptions, display_available, options_from_settings
from desktop.recording.policy import StorePolicy
from desktop.settings import values as settings
from desktop.settings.values import RecorderSection
from recorder.segments.windows import QueueRule, RecordingPolicy
from recorder.worker_options import WorkerOptions

RECORDER = """\
[recorder]
enabled = true
out_dir = "{out}"
fps = 4
preroll_s = 3
wrapup_s = 20
mask_titles = ["(?i)card payment", "Bank"]
policy = "sampled"
sample_percent = 25
off_queues = ["hr"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agentdesk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_recorder_section_is_read_and_typed(tmp_path: Path) -> None:
    loaded = settings.load(write(tmp_path, RECORDER.format(out=tmp_path / "rec")))
    assert loaded.problems == []
    # An older file's wrap-up of the recorder is read, said to be replaced, and not used.
    assert loaded.notes == [
        "agentdesk.toml: recorder.wrapup_s: deprecated and ignored: the screen is recorded "
        "through the whole wrap-up, until the dialog card is finished, at most [agent] "
        "wrap_up_max_s (line 6)"
    ]
    assert loaded.settings.agent.wrap_up_max_s == 600.0
    r = loaded.settings.recorder
    assert r.enabled is True and r.fps == 4.0 and r.preroll_s == 3.0
    assert r.mask_titles == ("(?i)card payment", "Bank") and r.off_queues == ("hr",)
    assert (r.policy, r.sample_percent) == ("sampled", 25.0)
    off = settings.load(write(tmp_path, "[recorder]\nenabled = false\n")).settings.recorder
    assert off.enabled is False
    assert settings.load(write(tmp_path, "[ui]\n")).settings.recorder.enabled is None


def test_bad_recorder_values_are_named_with_their_key_and_line(tmp_path: Path) -> None:
    text = (
        '[recorder]\nfps = 0\npreroll_s = 90\nmask_titles = ["(card"]\npolicy = "most"\n'
        'out_dir = "relative/dir"\nenabled = "yes"\n'
    )
    problems = settings.load(write(tmp_path, text)).problems
    assert problems == [
        "agentdesk.toml: recorder.enabled: expected true or false, got 'yes' (a string) (line 7)"
    ]
    problems = settings.load(write(tmp_path, text.replace('enabled = "yes"', ""))).problems
    joined = "\n".join(problems)
    for expected in (
        "recorder.fps: must be 0.1..30, got 0 (line 2)",
        "recorder.preroll_s: must be 0..60, got 90 (line 3)",
        "recorder.mask_titles: '(card' is not a regular expression",
        "recorder.policy: 'most' is not one of all, sampled, consent, off (line 5)",
        "recorder.out_dir: 'relative/dir' must be an absolute path",
    ):
        assert expected in joined, joined


def test_recording_is_on_by_default_wherever_there_is_a_display(tmp_path: Path) -> None:
    default = RecorderSection()
    options, note = options_from_settings(default, demo=False, agent="1001", display="host:0")
    assert options is not None and note == ""
    options, note = options_from_settings(default, demo=True, agent="1001", display=None)
    assert options is None and "off in the demo" in note and "DISPLAY" in note
    explicit = RecorderSection(enabled=True, out_dir=str(tmp_path))
    options, note = options_from_settings(explicit, demo=False, agent="1001", display=None)
    assert options is None and "on but cannot run" in note
    off = RecorderSection(enabled=False)
    assert options_from_settings(off, demo=True, agent="", display="host:0")[0] is None


def test_with_a_store_its_policy_decides_and_local_masks_only_add(tmp_path: Path) -> None:
    store = StorePolicy(
        mode="all", fps=2, preroll_s=8, mask_titles=("Bank",), queue_header="x-queue-name",
        queues=(QueueRule("sales", "sampled", 20.0),), source="store",
    )  # fmt: skip
    local = RecorderSection(
        enabled=False, fps=10, policy="consent", off_agents=("1001",), mask_titles=("Card", "Bank")
    )
    options, note = options_from_settings(
        local, demo=False, agent="1001", display="host:0", policy=store
    )
    assert options is not None and note == ""  # enabled = false cannot switch it off
    worker = options.worker
    assert (worker.fps, worker.preroll_s) == (2, 8)
    assert worker.policy == RecordingPolicy("all", queues=(QueueRule("sales", "sampled", 20.0),))
    assert worker.policy.decide("c1", agent="1001").state == "recording"
    assert worker.mask_titles == ("Bank", "Card")
    argv = " ".join(options.command())
    assert "--queue-policy sales=sampled:20" in argv and "--policy all" in argv
    assert WorkerOptions.from_argv(options.command()[3:]) == worker
    off = StorePolicy(mode="off")
    assert not off.records and StorePolicy(mode="off", queues=store.queues).records
    nothing, _ = options_from_settings(
        local, demo=False, agent="1001", display="host:0", policy=off
    )
    assert nothing is not None and not nothing.capture  # uploads only, no screen taken
    assert "--no-capture" in nothing.command()


def test_with_a_store_the_local_policy_keys_are_noted_as_ignored(tmp_path: Path) -> None:
    text = RECORDER.format(out=tmp_path).replace("enabled = true", "enabled = false")
    text += '\n[agent]\nwrap_up_max_s = 60\n\n[store]\nurl = "https://store.example.com"\n'
    loaded = settings.load(write(tmp_path, text))
    assert not loaded.problems, loaded.problems
    notes = "\n".join(loaded.notes)
    assert "recorder.enabled: false does not switch screen recording off" in notes
    for key in ("fps", "preroll_s", "policy", "sample_percent", "off_queues"):
        assert f"recorder.{key}: ignored, the store's recording policy applies" in notes
    assert "mask_titles: ignored" not in notes
    assert "agent.wrap_up_max_s: ignored" in notes
    alone = settings.load(write(tmp_path, RECORDER.format(out=tmp_path)))
    assert not any("store's recording policy" in n for n in alone.notes)


def test_the_display_check_looks_for_the_x_socket() -> None:
    ok, why = display_available(":93")
    assert not ok and "not running" in why
    assert display_available("") == (False, "no X display (DISPLAY is not set)")
    assert display_available("remote.example:0") == (True, "")


def test_the_worker_command_line_carries_the_settings(tmp_path: Path) -> None:
    worker = WorkerOptions(
        out_dir=tmp_path,
        display=":5",
        fps=4,
        preroll_s=3,
        mask_titles=("Card",),
        policy=RecordingPolicy("consent", off_agents=frozenset({"1002"})),
    )
    options = LinkOptions(worker)
    command = options.command()
    assert command[1:3] == ["-m", "recorder.worker"]
    text = " ".join(command[1:])
    for part in ("--fps 4", "--preroll 3", "--policy consent", "--mask-title Card"):
        assert part in text
    assert "--off-agent 1002" in text and "--display :5" in text
    assert f"--out {tmp_path}" in text


def test_the_status_line_always_says_whether_the_screen_is_recorded() -> None:
    def describe(state: dict[str, Any]) -> str:
        return status_line.describe(state, capture=True)

    call = {"call_id": "A", "state": "recording", "reason": ""}
    assert describe({}) == "Screen recorder starting…"
    idle = {"capturing": True, "windows": []}
    assert describe(idle) == "Screen recorder ready (records during calls)"
    on = {"capturing": True, "recording": True, "windows": [call], "masked": ["Card"]}
    assert describe(on) == "Screen recording ON (masked: Card)"
    paused = {**on, "paused": True}
    assert "PAUSED" in describe(paused) and "blacked out" in describe(paused)
    waiting = {**idle, "windows": [{**call, "state": "awaiting_consent"}]}
    assert "consent" in describe(waiting)
    skipped = {**idle, "windows": [{**call, "state": "not_recorded", "reason": "not sampled"}]}
    assert describe(skipped) == "Screen NOT recorded: not sampled"
    failed = {**on, "masked": [], "mask_failed": True}
    assert describe(failed).endswith("whole screen masked")


def test_the_store_policy_names_the_invite_headers_of_the_call_records(qtbot: object) -> None:
    """The queue, its wait and the PBX's call id are read from the headers the store's policy
    names, at start and after a change (desktop.app.follow_policy)."""
    from PySide6.QtCore import QObject, Signal

    from desktop.app import follow_policy
    from desktop.calls.model import CallBook

    class Follower(QObject):
        changed = Signal(object)

        def __init__(self, policy: StorePolicy) -> None:
            super().__init__()
            self.policy = policy

    first = StorePolicy(queue_header="x-q", queue_wait_header="x-w", pbx_call_id_header="x-id")
    follower = Follower(first)
    book = CallBook()
    follow_policy(follower, None, (), book)  # type: ignore[arg-type]
    headers = {"X-Q": "sales", "X-W": "12", "X-Id": "1741.5", "X-Queue": "other"}
    assert book.pbx.read(headers) == {
        "queue": "sales",
        "queue_wait_s": 12.0,
        "pbx_call_id": "1741.5",
    }
    follower.changed.emit(StorePolicy(queue_header="x-queue", wrap_up_max_s=90))
    assert book.pbx.read(headers)["queue"] == "other" and book.wrap_up_max_s == 90

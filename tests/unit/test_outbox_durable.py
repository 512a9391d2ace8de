"""Nothing lost: calls journalled while they go on and ended after a crash, items the store
refuses as invalid parked (not blocking, not dropped, shown), no lone surrogate in the journal,
and writes the outbox cannot take kept and counted until it can."""

from __future__ import annotations

import sqlite3
import wave
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from desktop.calls.history import CallHistory, CallLog
from desktop.calls.model import CallBook
from desktop.calls.records import CallRecords
from desktop.crm.config import parse_fields
from desktop.crm.panel import CrmPanel
from desktop.recording.uploads import UploadQueue
from formats.call_audio import CallAudioNote, write_note
from formats.manifest import read_manifest
from recorder.outbox.database import OutboxDatabase
from recorder.outbox.journal import DB_NAME, Outbox
from recorder.outbox.recovery import close_open_calls
from recorder.outbox.schema import OutboxFull
from recorder.outbox.uploader import Uploader
from sip import events as ev
from store.client_errors import InvalidRequest
from store.models import CallIn
from tests.unit.test_outbox import make_segment


class RefusingStore:
    """A store client that refuses calls whose number is ``bad`` as invalid (422)."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}
        self.states: list[str] = []

    def put_call(self, call_id: str, call: dict[str, Any]) -> dict[str, Any]:
        if call.get("remote_number") == "bad":
            raise InvalidRequest(f"PUT /calls/{call_id}: 422 remote_number: bad", 422)
        self.calls[call_id] = dict(call)
        return call

    def patch_call(self, call_id: str, **fields: Any) -> dict[str, Any]:
        self.calls[call_id].update(fields)
        return self.calls[call_id]

    def set_state(self, agent: str, state: str, reason: str | None, at_us: int) -> None:
        self.states.append(state)

    def me(self) -> dict[str, Any]:
        """The token's owner: the uploader sends calls and states as this user."""
        return {"name": "alice", "role": "agent", "extension": None}


def _record(number: str, started: int = 1_000) -> dict[str, Any]:
    return {"agent": "alice", "direction": "inbound", "remote_number": number,
            "started_us": started, "ended_us": started + 5}  # fmt: skip


def test_an_invalid_item_is_parked_and_the_others_go_past_it(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox")
    box.add_call("bad-1", _record("bad"))
    box.add_patch("bad-1", {"disposition": "sale"})
    box.add_call("good-1", _record("+7912"))
    box.add_patch("good-1", {"disposition": "sale"})
    box.add_state("alice", "ready", None, 5)
    store = RefusingStore()
    uploader = Uploader(box, store, base_s=0.01)  # type: ignore[arg-type]
    for _ in range(10):
        uploader.step()
    assert store.calls == {"good-1": {**_record("+7912"), "disposition": "sale"}}
    assert store.states == ["ready"]
    state = box.status()
    assert state["parked"] == 1 and "422 remote_number: bad" in state["parked_reason"]
    assert state["items"] == 2, "the parked call and its waiting change are not sent"
    assert state["last_error"], "never 'all sent' without a word"
    assert [i.key for i in box.parked()] == ["call:bad-1"]
    assert box.claim() is None, "the parked call's change waits; nothing loops on it"
    # Fixed in the store: the parked item goes again, then its change.
    store.calls["bad-1"] = {}
    box.unpark()
    with sqlite3.connect(tmp_path / "outbox" / DB_NAME) as db:
        db.execute("UPDATE items SET body = replace(body, '\"bad\"', '\"+7913\"')")
    for _ in range(5):
        uploader.step()
    assert store.calls["bad-1"]["disposition"] == "sale" and box.status()["items"] == 0


def test_the_journal_never_holds_a_lone_surrogate(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox")
    name = "Ivan \udcff\udc80 Petrov"  # bytes of a SIP header that were not UTF-8
    box.add_call("c1", {**_record("+7912"), "events": [{"at_us": 1, "kind": "x", "detail": name}]})
    box.add_patch("c1", {"card": {"name": name}})
    box.add_state("alice", "break", name, 5)
    with sqlite3.connect(tmp_path / "outbox" / DB_NAME) as db:
        db.text_factory = bytes
        raw = [row[0] for row in db.execute("SELECT body FROM items")]
    for text in raw:
        decoded = text.decode("utf-8")  # strict: a lone surrogate would not decode
        assert "\\udcff\\udc80" in decoded.replace("\\\\", "\\")
    bodies = [i.body for i in box.pending()]
    assert bodies[0]["events"][0]["detail"] == "Ivan \\udcff\\udc80 Petrov"
    CallIn.model_validate(bodies[0])
    for body in bodies:
        str(body).encode("utf-8")  # what the store gets encodes


def _wav(path: Path, frames: int = 1600) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.full(frames, 100, "<i2").tobytes())


def _ringing_and_answered(book: CallBook, call_id: str, t: int) -> None:
    book.apply(ev.IncomingCall(call_id=call_id, account_id="a", remote_uri="sip:+7912@pbx",
                               number="+7912", display_name="", sip_call_id=f"{call_id}@pbx",
                               headers={}, waiting=False, at_us=t))  # fmt: skip
    book.apply(ev.CallStateChanged(call_id=call_id, state="confirmed", code=200, reason="OK",
                                   at_us=t + 1_000_000))  # fmt: skip


def test_a_call_is_journalled_as_it_goes_and_ended_after_a_crash(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The desktop dies mid-call: the open call, its card draft and its unmerged recording
    are all in the outbox at the next start, the call ended by the system."""
    audio = tmp_path / "call-audio"
    audio.mkdir()
    queue = UploadQueue(tmp_path / "outbox")
    book = CallBook("alice")
    records = CallRecords(queue).follow(book)  # noqa: F841 (kept alive)
    t = 1_700_000_000_000_000
    _ringing_and_answered(book, "c1", t)
    book.apply(ev.CallMediaChanged(call_id="c1", media="local_hold", at_us=t + 2_000_000))
    # The softphone's two sides, headers never written, and its note (as sip.media leaves them).
    for side in ("operator", "customer"):
        _wav(audio / f"c1.{side}.wav")
    note = CallAudioNote("c1", t + 1_000_000, 16000, "c1.operator.wav", "c1.customer.wav",
                         "c1.wav")  # fmt: skip
    write_note(note, audio)
    queue.card_draft("c1", {"card": {"topic": "refund"}, "disposition": "sale"})
    qtbot.waitUntil(lambda: Outbox(tmp_path / "outbox").open_calls() != [], timeout=5000)
    qtbot.waitUntil(lambda: Outbox(tmp_path / "outbox").drafts() != [], timeout=5000)
    box = Outbox(tmp_path / "outbox")
    assert box.status()["items"] == 0, "a call in progress is not waiting to be sent"
    assert box.claim() is None
    queue.close()  # as if killed: the book is gone, nothing ended the call

    restarted = UploadQueue(tmp_path / "outbox")
    history = CallHistory(CallLog(tmp_path / "calls.sqlite3"))
    restarted.recovered.connect(history.on_calls_recovered)
    with qtbot.waitSignal(history.changed, timeout=5000):
        restarted.recover(audio)
    qtbot.waitUntil(lambda: restarted.status()["items"] >= 4, timeout=5000)
    restarted.close()
    [entry] = history.call_log.between(t - 1, t + 1)
    assert entry.call_id == "c1" and entry.answered and entry.ended_by == "system"
    assert entry.hold_us > 0 and entry.source == "local"
    items = {i.key or i.kind: i for i in box.pending()}
    call = CallIn.model_validate(items["call:c1"].body)
    assert call.ended_by == "system" and call.cause == "desktop restarted"
    assert call.answered_us == t + 1_000_000 and call.ended_us and call.ended_us > t
    assert call.holds and call.holds[0].end_us == call.ended_us
    assert items["patch"].body == {"card": {"topic": "refund"}, "disposition": "sale"}
    assert items["audio:c1"].body["frames"] == 1600
    assert (box.spool / "c1.wav").exists() and not list(audio.glob("*.wav"))
    assert box.open_calls() == []


def test_an_open_calls_links_wait_for_it_instead_of_404(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox")
    box.open_call("c1", {"agent": "alice", "direction": "inbound", "started_us": 1})
    wav = tmp_path / "c1.wav"
    _wav(wav)
    box.add_audio("c1", wav, 1, 16000, 1600)
    item = box.claim()
    assert item is not None and item.key == "audio:c1"
    box.done(item)
    assert box.claim() is None, "the link waits for the call's record"
    box.open_call("c1", {"agent": "alice", "direction": "inbound", "started_us": 1})
    assert list(close_open_calls(box)) == ["c1"]
    keys = []
    while (item := box.claim()) is not None:
        keys.append(item.key)
        box.done(item)
    assert keys == ["call:c1", "link:c1:audio:c1"]


def test_a_call_ended_normally_is_not_ended_again(qtbot: QtBot, tmp_path: Path) -> None:
    queue = UploadQueue(tmp_path / "outbox")
    book = CallBook("alice")
    records = CallRecords(queue).follow(book)  # noqa: F841 (kept alive)
    t = 1_700_000_000_000_000
    _ringing_and_answered(book, "c1", t)
    book.apply(ev.CallEnded(call_id="c1", at_us=t + 9, record={"ended_by": "remote",
               "answer_at_us": t + 1_000_000, "end_at_us": t + 9_000_000}))  # fmt: skip
    qtbot.waitUntil(lambda: queue.status()["items"] == 1, timeout=5000)
    queue.close()
    box = Outbox(tmp_path / "outbox")
    assert box.open_calls() == [] and close_open_calls(box) == {}
    assert box.pending()[0].body["ended_by"] == "remote"


def test_writes_the_outbox_cannot_take_are_kept_counted_and_written_later(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """A folder that cannot be written: nothing is "all sent", the status says why, and
    once it can be written everything arrives in order."""
    blocked = tmp_path / "data"
    blocked.write_text("not a folder")  # the outbox cannot be made under it
    queue = UploadQueue(blocked / "outbox")
    seen: list[dict[str, Any]] = []
    queue.status_changed.connect(seen.append)
    queue.agent_state("alice", "ready", "", 1)
    queue.call_ended(_record("+7912") | {"id": "c1"}, None)
    queue.patch_call("c1", disposition="sale")
    qtbot.waitUntil(lambda: queue.status()["unwritten"] == 3, timeout=5000)
    state = queue.status()
    assert state["items"] == 3 and state["disk"] == "cannot write"
    assert "cannot write" in state["warning"] and state["last_error"]
    queue.on_worker_event({"event": "upload_status", "items": 0, "bytes": 0})
    assert queue.status()["items"] == 3, "the worker's count adds what is not written"
    assert all(s["items"] for s in seen)
    blocked.unlink()
    blocked.mkdir()
    queue.refresh()
    qtbot.waitUntil(lambda: queue.status()["unwritten"] == 0, timeout=5000)
    assert queue.status()["disk"] == "" and queue.status()["items"] == 3
    queue.close()
    kinds = [i.kind for i in Outbox(blocked / "outbox").pending()]
    assert kinds == ["state", "call", "patch"]


def test_the_dialog_card_so_far_is_kept_with_the_call_in_progress(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Typing in the card: a second later its values go with the open call; after a crash
    they are sent as a change of the recovered call."""
    queue = UploadQueue(tmp_path / "outbox")
    book = CallBook("alice")
    records = CallRecords(queue).follow(book)  # noqa: F841 (kept alive)
    widget = CrmPanel(parse_fields(("topic: text, label=Topic",)), ("sale", "refund"), book=book)
    qtbot.addWidget(widget)
    widget.draft_changed.connect(queue.card_draft)
    t = 1_700_000_000_000_000
    _ringing_and_answered(book, "c1", t)
    topic = widget.dialog.findChild(QLineEdit, "card_topic")
    with qtbot.waitSignal(widget.draft_changed, timeout=3000) as drafted:
        qtbot.keyClicks(topic, "Refund of order 12")
    assert drafted.args is not None and drafted.args[0] == "c1"
    qtbot.waitUntil(lambda: Outbox(tmp_path / "outbox").drafts() != [], timeout=5000)
    queue.close()
    box = Outbox(tmp_path / "outbox")
    close_open_calls(box)
    [patch] = [i for i in box.pending() if i.kind == "patch"]
    assert patch.body["card"]["topic"]["value"] == "Refund of order 12"


def test_a_write_after_close_is_said_not_raised(qtbot: QtBot, tmp_path: Path) -> None:
    queue = UploadQueue(tmp_path / "outbox")
    queue.close()
    queue.agent_state("alice", "offline", "", 1)  # the desktop's last state, at shutdown


def test_a_card_left_unfinished_in_the_wrap_up_is_sent_after_a_crash(tmp_path: Path) -> None:
    """The call had ended and gone (final) when the operator typed in its card; the desktop
    died before the card was finished: the card goes as it was. A finished card replaces
    its draft."""
    box = Outbox(tmp_path / "outbox")
    box.open_call("c1", _record("+7912"))
    box.add_call("c1", _record("+7912"))  # ended: final
    box.note_draft("c1", {"card": {"topic": {"value": "refund", "changed_us": 5}}})
    box.open_call("c2", _record("+7913"))
    box.add_call("c2", _record("+7913"))
    box.note_draft("c2", {"card": {"topic": {"value": "draft", "changed_us": 5}}})
    box.add_patch("c2", {"card": {"topic": {"value": "done", "changed_us": 6}}, "karma": 1})
    assert [d.call_id for d in box.drafts()] == ["c1"]
    assert close_open_calls(box) == {}
    patches = {i.call_id: i.body for i in box.pending() if i.kind == "patch"}
    assert patches["c1"] == {"card": {"topic": {"value": "refund", "changed_us": 5}}}
    assert patches["c2"]["card"]["topic"]["value"] == "done"
    assert box.drafts() == [] and close_open_calls(box) == {}
    assert len([i for i in box.pending() if i.kind == "patch"]) == 2, "sent once"


def test_an_item_the_store_has_is_not_sent_again_when_no_room_is_left_to_mark_it(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The store confirmed a segment, but another writer took the room its files left before
    the journal could say so: the files are gone, the item is never claimed again, and it is
    marked done at the first claim once there is room."""
    rec = tmp_path / "rec"
    rec.mkdir()
    box = Outbox(tmp_path / "outbox")
    assert box.add_segment(make_segment(rec, "s1", []), read_manifest(rec / "s1.json"))
    item = box.claim()
    assert item is not None and item.key == "screen:s1"
    full = True
    real = OutboxDatabase._attempts

    def attempts(self: OutboxDatabase, what: str, work: Any, reserve: bool) -> Any:
        if full and what.endswith(" done"):  # the disk: no room for this transaction
            raise OutboxFull(f"disk full: cannot journal {what}: database or disk is full")
        return real(self, what, work, reserve)

    monkeypatch.setattr(OutboxDatabase, "_attempts", attempts)
    box.done(item)  # does not raise: the uploader goes on
    assert not [p for p in box.spool.iterdir() if p.name.startswith("s1")], "files kept"
    assert box.claim() is None, "sent again"
    assert [i.key for i in box.pending()] == ["screen:s1"]
    full = False
    assert box.claim() is None
    assert box.pending() == []

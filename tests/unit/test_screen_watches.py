"""Screen watches in the store's database (SQLite; the clock is the boundary): the roles, the
frames a viewer gets (from the latest key frame), a watch whose viewer went away ending by
itself, audited, and nothing kept once nobody watches."""

from __future__ import annotations

from pathlib import Path

import pytest

from formats.screen_live import LiveFrame, LivePart, write_frame
from store import screen_live
from store.db import connect
from store.errors import Forbidden, Gone, Invalid
from store.migrations import migrate
from store.models import Role
from store.users import Principal, add_user

T = 1_800_000_000_000_000
JPEG = b"\xff\xd8\xff\xe0 not decoded by the store"


def frame(utc_us: int, key: bool) -> bytes:
    return write_frame(LiveFrame(utc_us, key, 64, 48, (LivePart(0, 0, 8, 8, JPEG),)))


def test_watches_relay_frames_and_end_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [T]
    monkeypatch.setattr(screen_live, "now_us", lambda: clock[0])
    db = connect(str(tmp_path / "store.sqlite3"))
    migrate(db)
    for name, role in (("alice", "agent"), ("quinn", "qa"), ("sam", "supervisor")):
        add_user(db, name, role)
    alice, quinn = Principal("alice", Role.agent), Principal("quinn", Role.qa)
    sam = Principal("sam", Role.supervisor)
    for who in (alice, quinn):
        with pytest.raises(Forbidden):
            screen_live.start(db, "alice", who)
    assert screen_live.publish(db, "alice", frame(1, True), alice) == {"watched": False}
    watch = screen_live.start(db, "alice", sam)["id"]
    with pytest.raises(Forbidden):
        screen_live.publish(db, "alice", frame(2, True), sam)  # only the agent's own desktop
    with pytest.raises(Invalid, match="does not start with"):
        screen_live.publish(db, "alice", b"junk", alice)
    for utc, key in ((2, True), (3, False), (4, True), (5, False)):
        assert screen_live.publish(db, "alice", frame(utc, key), alice) == {"watched": True}
    answer = screen_live.frames(db, "alice", watch, 0, sam)
    assert [(f["utc_us"], f["key"]) for f in answer["frames"]] == [(4, True), (5, False)]
    assert screen_live.frames(db, "alice", watch, answer["last"], sam)["frames"] == []
    # The viewer stops asking: after 10 s the watch ends by itself, audited as the watcher's.
    clock[0] = T + 5_000_000
    assert screen_live.watched(db, "alice") is True
    clock[0] = T + 10_000_001
    assert screen_live.watched(db, "alice") is False
    with pytest.raises(Gone):
        screen_live.frames(db, "alice", watch, 0, sam)
    rows = db.query("SELECT actor, action, target, detail FROM audit ORDER BY id")
    assert [(r["actor"], r["action"], r["target"]) for r in rows] == [
        ("sam", "screen.watch", "agent/alice"),
        ("sam", "screen.watch_end", "agent/alice"),
    ]
    assert rows[1]["detail"] == f"watch {watch} of alice from {T} to {T} (viewer gone)"
    left = db.one("SELECT COUNT(*) AS n FROM screen_frames")
    assert left is not None and left["n"] == 0
    assert screen_live.publish(db, "alice", frame(6, True), alice) == {"watched": False}
    db.close()

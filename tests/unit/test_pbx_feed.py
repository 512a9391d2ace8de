"""The queue_log format, a queue call from its events, and the feed's place-keeping across
rotations and refusals, with a fake store (the real one: tests/integration/
test_store_queues.py)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from store.pbx.feed import FeedState, QueueLogFeed
from store.pbx.ingest import call_row
from store.pbx.queue_log import BadLine, extension, make_event, parse_bytes, parse_line

S = 1_000_000


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1741165200|1741165200.1|sa", "3 field(s)"),
        ("1741165200|1741165200.1|sales|NONE", "4 field(s)"),
        ("09:00:00|1741165200.1|sales|NONE|ENTERQUEUE||+7912|1", "not a number of seconds"),
        ("1741165200|1741165200.1|sales|NONE|ENTER Q", "is not an event name"),
        ("1741165200|1741165200.1|sales|NONE|ABANDON|1", "ABANDON needs 3 data field(s)"),
        ("1741165200||sales|NONE|ENTERQUEUE||+7912|1", "must not be empty"),
    ],
)
def test_lines_that_are_not_events_say_why(line: str, reason: str) -> None:
    with pytest.raises(BadLine, match=re.escape(reason)):
        parse_line(line)


def test_events_their_keys_and_extensions() -> None:
    event = parse_line("1741165218|1741165200.1|sales|PJSIP/203|CONNECT|18|1741165215.5|3\r\n")
    assert (event.at_us, event.agent, event.data) == (1741165218 * S, "PJSIP/203",
                                                      ("18", "1741165215.5", "3"))  # fmt: skip
    assert event.number(1) == 18.0 and event.number(9) is None
    # trailing empty data fields (Asterisk pads some lines) do not make another event
    padded = parse_line("1741165218|1741165200.1|sales|PJSIP/203|CONNECT|18|1741165215.5|3||")
    assert padded.key == event.key
    same = make_event(1741165218 * S, "1741165200.1", "sales", "PJSIP/203", "connect",
                      ["18", "1741165215.5", "3"])  # fmt: skip
    assert same.key == event.key and same.text() == event.text()
    assert parse_line("1741165218.25|u|q|NONE|QUEUESTART").at_us == 1741165218_250_000
    with pytest.raises(BadLine, match="lone surrogate"):
        make_event(1, "u\ud800", "sales", "NONE", "INFO", [])
    with pytest.raises(BadLine, match="invalid UTF-8"):
        parse_bytes(b"1741165200|1741165200.1|sales|NONE|ENTERQUEUE||\xff|1")
    assert [extension(a) for a in ("PJSIP/201", "Local/2004@from-internal/n", "NONE", "Anna")] == [
        "201", "2004", None, None,
    ]  # fmt: skip


def test_a_queue_call_without_its_connect_line() -> None:
    """COMPLETECALLER alone still says who took the call, the wait and the talk time."""
    row = call_row(
        [
            parse_line("1741165200|u1|sales|NONE|ENTERQUEUE||+79125550101|1"),
            parse_line("1741165518|u1|sales|PJSIP/203|COMPLETECALLER|18|300|1"),
        ]
    )
    assert (row["outcome"], row["agent"], row["wait_us"], row["talk_us"]) == (
        "completed", "PJSIP/203", 18 * S, 300 * S,
    )  # fmt: skip
    assert row["connected_us"] == 1741165218 * S


class FakeStore:
    """Keeps every line it is sent once, like the store; refuses the first `refuse` sends."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.lines: list[str] = []
        self.sends = 0

    def send_queue_log(self, text: str) -> dict[str, Any]:
        self.sends += 1
        if self.refuse:
            self.refuse -= 1
            raise ConnectionError("store down")
        got = text.splitlines()
        new = [line for line in got if line not in self.lines]
        self.lines += new
        return {"received": len(got), "stored": len(new), "duplicates": len(got) - len(new),
                "rejected": []}  # fmt: skip


def line(n: int) -> bytes:
    return f"{1741165200 + n}|u{n}|sales|NONE|ENTERQUEUE||+7912555{n:04d}|1\n".encode()


def run(log: Path, store: FakeStore, settle_s: float = 0.0) -> QueueLogFeed:
    feed = QueueLogFeed(log, log.parent / "state.json", store, settle_s=settle_s,
                        sleep=lambda s: None)  # fmt: skip
    feed.run(once=True)
    return feed


def test_rename_rotation_reads_the_old_file_to_its_end(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    store = FakeStore()
    log.write_bytes(line(1) + line(2) + line(3)[:20])
    run(log, store)
    assert len(store.lines) == 2
    with open(log, "ab") as fh:  # the PBX finishes the line, then the file is rotated
        fh.write(line(3)[20:] + line(4)[:30])  # …and a last line cut in half
    log.rename(tmp_path / "queue_log.1")
    log.write_bytes(line(5))
    feed = run(log, store, settle_s=3600)  # the old file may still be written to: wait
    assert len(store.lines) == 3 and feed.state.inode == (tmp_path / "queue_log.1").stat().st_ino
    feed = run(log, store)  # settled: its cut line is unreadable, then on to the new file
    assert store.lines == [line(n).decode().strip() for n in (1, 2, 3, 5)]
    assert (feed.state.counters.bad, feed.state.inode) == (1, log.stat().st_ino)
    assert feed.state.counters.last_bad == "queue_log.1:4: cut: no end of line"


def test_copytruncate_reads_the_rest_from_the_copy(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    store = FakeStore()
    log.write_bytes(line(1) + line(2))
    run(log, store)
    with open(log, "ab") as fh:
        fh.write(line(3))
    shutil.copyfile(log, tmp_path / "queue_log.1")
    os.truncate(log, 0)
    with open(log, "ab") as fh:
        fh.write(line(4) + line(5) + line(6))  # longer than before: found by its first bytes
    feed = run(log, store)
    assert store.lines == [line(n).decode().strip() for n in range(1, 7)]
    assert (feed.state.offset, feed.state.line) == (log.stat().st_size, 3)


def test_refusals_are_retried_and_nothing_moves_until_the_store_answers(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_bytes(line(1) + line(2))
    down = FakeStore(refuse=1)
    failed = run(log, down)  # once: a refusal ends the run, the place is kept
    assert failed.failed and FeedState.load(tmp_path / "state.json").offset == 0
    store = FakeStore(refuse=3)
    feed = QueueLogFeed(log, tmp_path / "state.json", store, sleep=lambda s: None)
    assert feed.step()  # following: retried until taken
    assert (store.sends, len(store.lines), feed.state.offset) == (4, 2, log.stat().st_size)
    assert FeedState.load(tmp_path / "state.json").offset == log.stat().st_size


def test_the_feed_command_without_a_token_says_where_to_put_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from store import cli
    from store.pbx import feed

    monkeypatch.setattr(feed, "store_token", lambda: None)
    args = ["pbx-feed", "--queue-log", str(tmp_path / "queue_log"), "--store"]
    code = cli.main([*args, "http://127.0.0.1:9", "--state", str(tmp_path / "s.json")])
    assert code == 1
    assert "AGENTDESK_STORE_TOKEN" in capsys.readouterr().err

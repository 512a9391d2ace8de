"""The PBX's view through a real store on SQLite and on PostgreSQL: Asterisk queue_log files
written here, sent by the real `agentdesk-store pbx-feed` across a partial line, unreadable
lines, a rename rotation mid-call, a copytruncate rotation mid-call, restarts and lines sent
twice; then the queue report, each number checked against the hand computation below, and the
live queues read through a second API process.

The fixture (day D = 2025-03-05 UTC, times hh:mm:ss of D; waits are the PBX's holdtime or
waittime, talk its calltime):

sales   A 09:00:00 ring-all: PJSIP/201 and /202 ring 15 s unanswered (RINGNOANSWER), PJSIP/203
          takes it at 09:00:18 (wait 18), caller hangs up 09:05:18 (talk 300)
        B 09:01:00 abandoned after 3 s
        C 09:02:00 abandoned after 40 s
        G 10:00:00 PJSIP/202 takes it at 10:00:04 (wait 4); the log is renamed away here;
          COMPLETEAGENT 10:10:04 (talk 600) is in the new file
support D 09:05:00 PJSIP/201 takes it at 09:05:25 (wait 25), blind transfer to 2100 at
          09:07:25 (talk 120)
        E 09:06:00 the queue's timeout after 60 s
        F 09:06:40 left by pressing 5 after 10 s
        H 10:20:00 PJSIP/202 takes it at 10:20:08 (wait 8); copytruncate here; COMPLETECALLER
          10:22:08 (talk 120) after the truncation
Unreadable lines (4): a line cut in half, an epoch that is not a number, invalid UTF-8, four
fields.

Report for [09:00, 11:00) (7200 s), sl_s = 20, abandon_short_s = 5, by queue:
sales:   offered 4 (A B C G); answered 2 (A G); abandoned 2 (B C); abandoned_short 1 (B: 3 < 5)
         answered_pct = abandoned_pct = 100 × 2 / 4 = 50.0
         avg_wait = (18 + 3 + 40 + 4) / 4 = 65 / 4 = 16.25; avg_answer = (18 + 4) / 2 = 11.0
         max_wait 40; buckets: <10: B G = 2, 10–20: A = 1, 30–60: C = 1, others 0
         service level: A (18 ≤ 20), G (4) → 100 × 2 / 4 = 50.0
         talk = 300 + 600 = 900; avg_talk = 900 / 2 = 450.0; erlangs = 900 / 7200 = 0.125
support: offered 4 (D E F H); answered 2 (D H); abandoned 0; timeout 1 (E); exit_key 1 (F);
         transferred 1 (D); answered_pct 50.0; abandoned_pct 0.0
         avg_wait = (25 + 60 + 10 + 8) / 4 = 103 / 4 = 25.75; avg_answer = (25 + 8) / 2 = 16.5
         max_wait 60; buckets: <10: H, 10–20: F, 20–30: D, 60–120: E (1 each), others 0
         service level: H only (D waited 25 > 20) → 100 × 1 / 4 = 25.0
         talk = 120 + 120 = 240; avg_talk 120.0; erlangs = 240 / 7200 = 0.0333… → 0.033
By hour (both queues):
09h: A B C D E F: offered 6, answered 2 (A D), abandoned 2, SL: A → 100 × 1 / 6 = 16.667
     avg_wait = (18 + 3 + 40 + 25 + 60 + 10) / 6 = 156 / 6 = 26.0; avg_answer (18 + 25) / 2
     = 21.5; talk 300 + 120 = 420; erlangs 420 / 3600 = 0.11666… → 0.117
10h: G H: offered 2, answered 2, SL 100 × 2 / 2 = 100.0, avg_wait (4 + 8) / 2 = 6.0, talk
     600 + 120 = 720, erlangs 720 / 3600 = 0.2
sl_s = 30, abandon_short_s = 50: sales SL (18, 4 ≤ 30) 50.0, abandoned_short 2 (3, 40 < 50);
     support SL (25, 8 ≤ 30) 100 × 2 / 4 = 50.0
By day over [D, D + 1 day): offered 8, answered 4, talk 900 + 240 = 1140, erlangs 1140 / 86400
     = 0.01319… → 0.013
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from store.pbx.client import QueueClient
from store.pbx.feed import FeedState
from tests.servers.chaos_proxy import ChaosProxy
from tests.servers.store import StoreServer, store_command

pytestmark = pytest.mark.integration

S = 1_000_000
D = 1_741_132_800  # 2025-03-05 00:00 UTC, in seconds (queue_log's epoch)
USERS = {"sue": "supervisor", "ada": "admin", "feed": "pbx", "ann": "agent", "bob": "agent",
         "cal": "agent"}  # fmt: skip


def t(hh: int, mm: int, ss: int = 0) -> int:
    return D + (hh * 60 + mm) * 60 + ss


A, B, C, G = (f"{t(9, 0)}.1", f"{t(9, 1)}.2", f"{t(9, 2)}.3", f"{t(10, 0)}.7")
DD, E, F, H = (f"{t(9, 5)}.4", f"{t(9, 6)}.5", f"{t(9, 6, 40)}.6", f"{t(10, 20)}.8")
PART1 = [
    f"{t(9, 0)}|{A}|sales|NONE|ENTERQUEUE||+79125550101|1",
    f"{t(9, 0, 15)}|{A}|sales|PJSIP/201|RINGNOANSWER|15000",
    f"{t(9, 0, 15)}|{A}|sales|PJSIP/202|RINGNOANSWER|15000",
    f"{t(9, 0, 18)}|{A}|sales|PJSIP/203|CONNECT|18|{t(9, 0, 15)}.5|3",
    f"{t(9, 1)}|{B}|sales|NONE|ENTERQUEUE||+79125550102|1",
    f"{t(9, 1, 3)}|{B}|sales|NONE|ABANDON|1|1|3",
    f"{t(9, 1, 30)}|{t(9, 1)}.9|sa",  # cut in half
    f"09:01:31|{t(9, 1)}.9|sales|NONE|ENTERQUEUE||+79125550199|1",  # not an epoch
    f"{t(9, 2)}|{C}|sales|NONE|ENTERQUEUE||+79125550103|1",
    f"{t(9, 2, 40)}|{C}|sales|NONE|ABANDON|1|1|40",
    f"{t(9, 5, 18)}|{A}|sales|PJSIP/203|COMPLETECALLER|18|300|1",
    f"{t(9, 5)}|{DD}|support|NONE|ENTERQUEUE||+79125550104|1",
    f"{t(9, 5, 25)}|{DD}|support|PJSIP/201|CONNECT|25|{t(9, 5, 25)}.6|5",
    f"{t(9, 6)}|{E}|support|NONE|ENTERQUEUE||+79125550105|2",
    "INVALID-UTF8",  # replaced by bytes below
    f"{t(9, 6, 40)}|{F}|support|NONE|ENTERQUEUE||+79125550106|3",
    f"{t(9, 6, 50)}|{F}|support|NONE|EXITWITHKEY|5|3|3|10",
    f"{t(9, 7)}|{E}|support|NONE|EXITWITHTIMEOUT|2|2|60",
    f"{t(9, 7, 10)}|{E}|support|NONE",  # four fields
    f"{t(9, 7, 25)}|{DD}|support|PJSIP/201|BLINDTRANSFER|2100|from-internal|25|120|1",
]
BAD_UTF8 = f"{t(9, 6, 1)}|{t(9, 6, 1)}.9|support|NONE|ENTERQUEUE||".encode() + b"\xff\xfe|1"
G_ENTER = f"{t(10, 0)}|{G}|sales|NONE|ENTERQUEUE||+79125550107|1"
G_CONNECT = f"{t(10, 0, 4)}|{G}|sales|PJSIP/202|CONNECT|4|{t(10, 0, 4)}.9|4"
G_DONE = f"{t(10, 10, 4)}|{G}|sales|PJSIP/202|COMPLETEAGENT|4|600|1"
H_LINES = [
    f"{t(10, 20)}|{H}|support|NONE|ENTERQUEUE||+79125550108|1",
    f"{t(10, 20, 8)}|{H}|support|PJSIP/202|CONNECT|8|{t(10, 20, 8)}.9|8",
]
H_DONE = f"{t(10, 22, 8)}|{H}|support|PJSIP/202|COMPLETECALLER|8|120|1"
GOOD_LINES = len(PART1) - 4 + 3 + 2 + 1  # every readable line of the day, once: 22


def _lines(lines: list[str]) -> bytes:
    return b"".join((BAD_UTF8 if s == "INVALID-UTF8" else s.encode()) + b"\n" for s in lines)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreServer]:
    db_url = None
    if request.param == "postgresql":
        db_url = request.getfixturevalue("pg").database(f"queues_{uuid.uuid4().hex[:10]}")
    server = StoreServer(tmp_path_factory.mktemp(f"queues-{request.param}"), db_url, USERS)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        assert "Traceback" not in server.log(), server.log()


@pytest.fixture(scope="module")
def sue(server: StoreServer) -> Iterator[QueueClient]:
    with QueueClient(server.base_url, server.tokens["sue"]) as client:
        yield client  # type: ignore[misc]


def feed(server: StoreServer, log: Path, state: Path, url: str | None = None, *extra: str) -> Any:
    """The real connector, once over what the file holds: (exit code, its status line)."""
    env = {**os.environ, "AGENTDESK_STORE_TOKEN": server.tokens["feed"]}
    args = [*store_command(), "pbx-feed", "--queue-log", str(log), "--state", str(state)]
    args += ["--store", url or server.base_url, "--once", "--settle-s", "0", *extra]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout.strip(), done.stderr


@pytest.fixture(scope="module")
def fed(server: StoreServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The fixture's files sent by the feed, rotations and all; what each run said."""
    folder = tmp_path_factory.mktemp("asterisk")
    log, state = folder / "queue_log", folder.parent / f"{folder.name}-feed.json"
    said: dict[str, Any] = {}
    # G's ENTERQUEUE is still being written: half of it, no newline.
    log.write_bytes(_lines(PART1) + G_ENTER[:25].encode())
    said["first"] = feed(server, log, state)
    said["state_first"] = FeedState.load(state)
    with open(log, "ab") as fh:
        fh.write(G_ENTER[25:].encode() + b"\n" + G_CONNECT.encode() + b"\n")
    # A store outage: nothing listens there; the feed fails and keeps its place.
    said["outage"] = feed(server, log, state, "http://127.0.0.1:9")
    said["state_outage"] = FeedState.load(state)
    # Rotation by rename mid-call: G's end is in the new file.
    log.rename(folder / "queue_log.1")
    log.write_bytes(_lines([G_DONE]))
    said["renamed"] = feed(server, log, state)
    # copytruncate mid-call: H entered and was connected, the file is copied and emptied,
    # then H's end is written to the emptied file.
    with open(log, "ab") as fh:
        fh.write(_lines(H_LINES))
    (folder / "queue_log.1").rename(folder / "queue_log.2")
    shutil.copyfile(log, folder / "queue_log.1")
    with open(log, "r+b") as fh:
        fh.truncate(0)
    with open(log, "ab") as fh:
        fh.write(_lines([H_DONE]))
    said["truncated"] = feed(server, log, state)
    # A restart that lost its state sends everything again: the store keeps it once.
    state.unlink()
    os.rename(folder / "queue_log.2", folder / "queue_log.0")  # the oldest file, read by name
    said["again"] = feed(server, folder / "queue_log.0", state)
    said["folder"] = folder
    return said


def test_the_feed_sends_every_readable_line_once_across_rotations(
    server: StoreServer, fed: dict[str, Any]
) -> None:
    code, status, _ = fed["first"]
    assert code == 0, fed["first"]
    assert "16 lines sent, 16 stored, 0 already there, 4 unreadable" in status, status
    # The half-written line waits: the offset stops at the end of the last complete line.
    assert fed["state_first"].offset == len(_lines(PART1))
    assert fed["state_first"].line == len(PART1)
    code, status, err = fed["outage"]
    assert code == 1 and "did not take the lines" in err, fed["outage"]
    assert fed["state_outage"].offset == fed["state_first"].offset  # nothing skipped
    code, status, _ = fed["renamed"]
    # G's two lines from the renamed file, then G's end from the new one
    assert code == 0 and "19 lines sent, 19 stored, 0 already there" in status, status
    code, status, _ = fed["truncated"]
    # H's two lines from the copy, H's end from the truncated file
    assert code == 0 and "22 lines sent, 22 stored, 0 already there" in status, status
    code, status, _ = fed["again"]
    assert code == 0 and "18 lines sent, 0 stored, 18 already there, 4 unreadable" in status
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {server.tokens['feed']}"
        body = (fed["folder"] / "queue_log.0").read_bytes()
        sent = http.post(
            f"{server.base_url}/api/v1/pbx/queue-events",
            data=body,
            headers={"Content-Type": "text/plain"},
            timeout=10,
        )
    assert sent.status_code == 200, sent.text
    # the first file again over HTTP: PART1 and G's first two lines, all known already
    answer = sent.json()
    assert (answer["received"], answer["stored"], len(answer["rejected"])) == (18, 0, 4)


def test_unreadable_lines_are_named_with_their_line_number(fed: dict[str, Any]) -> None:
    state = fed["state_first"]
    assert state.counters.bad == 4
    assert state.counters.last_bad.startswith(f"queue_log:{PART1.index(PART1[18]) + 1}: ")
    assert "4 field(s)" in state.counters.last_bad


EXPECTED_BY_QUEUE = {
    "sales": dict(
        offered=4, answered=2, abandoned=2, abandoned_short=1, timeout=0, exit_key=0,
        exit_empty=0, transferred=0, waiting=0, answered_pct=50.0, abandoned_pct=50.0,
        avg_wait_s=16.25, avg_answer_s=11.0, max_wait_s=40.0, wait_lt_10s=2, wait_10_20s=1,
        wait_20_30s=0, wait_30_60s=1, wait_60_120s=0, wait_ge_120s=0, service_level_pct=50.0,
        talk_s=900.0, avg_talk_s=450.0, erlangs=0.125,
    ),
    "support": dict(
        offered=4, answered=2, abandoned=0, abandoned_short=0, timeout=1, exit_key=1,
        exit_empty=0, transferred=1, waiting=0, answered_pct=50.0, abandoned_pct=0.0,
        avg_wait_s=25.75, avg_answer_s=16.5, max_wait_s=60.0, wait_lt_10s=1, wait_10_20s=1,
        wait_20_30s=1, wait_30_60s=0, wait_60_120s=1, wait_ge_120s=0, service_level_pct=25.0,
        talk_s=240.0, avg_talk_s=120.0, erlangs=0.033,
    ),
}  # fmt: skip


def test_queue_report_by_queue_matches_the_hand_computation(
    sue: QueueClient, fed: dict[str, Any]
) -> None:
    report = sue.queue_report(t(9, 0) * S, t(11, 0) * S, by="queue")
    rows = {r["queue"]: r for r in report["rows"]}
    assert set(rows) == set(EXPECTED_BY_QUEUE)
    for queue, expected in EXPECTED_BY_QUEUE.items():
        got = {k: rows[queue][k] for k in expected}
        assert got == expected, queue
    assert report["metrics"] == list(sue.queue_metrics())


def test_queue_report_by_hour_and_day_and_other_norms(
    sue: QueueClient, fed: dict[str, Any]
) -> None:
    hours = sue.queue_report(t(9, 0) * S, t(11, 0) * S, by="hour")["rows"]
    got = [
        (r["bucket_us"] // S, r["offered"], r["answered"], r["abandoned"],
         r["service_level_pct"], r["avg_wait_s"], r["avg_answer_s"], r["talk_s"], r["erlangs"])
        for r in hours
    ]  # fmt: skip
    assert got == [
        (t(9, 0), 6, 2, 2, 16.667, 26.0, 21.5, 420.0, 0.117),
        (t(10, 0), 2, 2, 0, 100.0, 6.0, 6.0, 720.0, 0.2),
    ]
    norms = sue.queue_report(t(9, 0) * S, t(11, 0) * S, sl_s=30, abandon_short_s=50)["rows"]
    got = [(r["queue"], r["service_level_pct"], r["abandoned_short"]) for r in norms]
    assert got == [("sales", 50.0, 2), ("support", 50.0, 0)]
    day = sue.queue_report(D * S, (D + 86_400) * S, by="day")["rows"]
    assert [(r["bucket_us"], r["offered"], r["answered"], r["talk_s"], r["erlangs"])
            for r in day] == [(D * S, 8, 4, 1140.0, 0.013)]  # fmt: skip
    one = sue.queue_report(t(9, 0) * S, t(11, 0) * S, by="queue,hour", queue="support")["rows"]
    assert [(r["queue"], r["bucket_us"] // S, r["offered"]) for r in one] == [
        ("support", t(9, 0), 3),
        ("support", t(10, 0), 1),
    ]


def test_queue_calls_keep_caller_agent_extension_and_ring_attempts(
    server: StoreServer, fed: dict[str, Any]
) -> None:
    from store.db import connect

    db = connect(server.db_url or str(server.data_dir / "store.sqlite3"))
    try:
        rows = {r["uniqueid"]: r for r in db.query("SELECT * FROM pbx_queue_calls")}
        events = db.one(
            "SELECT COUNT(*) AS n FROM pbx_queue_events WHERE queue IN ('sales', 'support') "
            "AND at_us < ?",
            (t(11, 0) * S,),
        )
    finally:
        db.close()
    assert events is not None and events["n"] == GOOD_LINES
    a = rows[A]
    assert (a["queue"], a["caller"], a["agent"], a["extension"], a["rings"]) == (
        "sales", "+79125550101", "PJSIP/203", "203", 2,
    )  # fmt: skip
    assert (a["entered_us"], a["connected_us"], a["wait_us"], a["talk_us"], a["outcome"]) == (
        t(9, 0) * S, t(9, 0, 18) * S, 18 * S, 300 * S, "completed",
    )  # fmt: skip
    assert (rows[DD]["outcome"], rows[DD]["transfer_to"]) == ("transferred", "2100")
    assert (rows[G]["outcome"], rows[G]["ended_by"], rows[G]["talk_us"]) == (
        "completed", "agent", 600 * S,
    )  # fmt: skip
    assert rows[H]["outcome"] == "completed"


def test_roles_content_types_and_json_events(server: StoreServer, sue: QueueClient) -> None:
    base = f"{server.base_url}/api/v1"

    def call(method: str, path: str, who: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {server.tokens[who]}", **kwargs.pop("headers", {})}
        return requests.request(method, base + path, headers=headers, timeout=10, **kwargs)

    line = f"{t(11, 0)}|{t(11, 0)}.1|sales|NONE|ENTERQUEUE||+79125550109|1\n"
    assert call("POST", "/pbx/queue-events", "sue", data=line,
                headers={"Content-Type": "text/plain"}).status_code == 403  # fmt: skip
    assert call("POST", "/pbx/queue-events", "ann", data=line,
                headers={"Content-Type": "text/plain"}).status_code == 403  # fmt: skip
    assert call("POST", "/pbx/queue-events", "feed", data=line,
                headers={"Content-Type": "text/csv"}).status_code == 415  # fmt: skip
    # The pbx role sends events and asks routing hints; it reads nothing else.
    assert call("GET", "/routing-hint?number=%2B79125550101", "feed").status_code == 200
    assert call("GET", "/me", "feed").json()["role"] == "pbx"
    for path in ("/calls", "/callers/me", "/reports/queues?from=0&to=1", "/queues/live"):
        assert call("GET", path, "feed").status_code == 403, path
    assert call("GET", "/reports/queues?from=0&to=1", "ann").status_code == 403
    # JSON: the same event as fields is the same line, stored once.
    event = {"at_us": t(11, 0) * S, "uniqueid": f"{t(11, 0)}.1", "queue": "sales",
             "event": "ENTERQUEUE", "data": ["", "+79125550109", "1"]}  # fmt: skip
    with QueueClient(server.base_url, server.tokens["ada"]) as ada:
        first = ada.send_queue_events([event, {**event, "event": "NO SUCH"}])
        assert (first["received"], first["stored"], first["rejected"][0]["line"]) == (1, 1, 2)
        again = ada.send_queue_log(line)
        assert (again["received"], again["stored"], again["duplicates"]) == (1, 0, 1)
    bad = call("POST", "/pbx/queue-events", "feed", json={"events": [{"at_us": -1}]})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert call("GET", "/reports/queues?from=5&to=1", "sue").status_code == 422
    assert call("GET", "/reports/queues?from=0&to=1&by=day,hour", "sue").status_code == 422


def test_live_queues_through_another_api_process(server: StoreServer, sue: QueueClient) -> None:
    """Callers waiting now (one rated difficult by an operator), today's figures and the
    members by state, written through one API process and read through another."""
    now = int(time.time())
    ann = QueueClient(server.base_url, server.tokens["ann"])
    ann.put_call(f"k{uuid.uuid4().hex[:8]}", {  # type: ignore[typeddict-item]
        "agent": "ann", "direction": "inbound", "remote_number": "8 999 000-00-01",
        "started_us": (now - 86_400) * S, "karma": -2, "temperament": 1,
    })  # fmt: skip
    ann.put_call(f"k{uuid.uuid4().hex[:8]}", {
        "agent": "ann", "direction": "inbound", "local_number": "303",
        "remote_number": "+79990000009", "started_us": (now - 3600) * S,
    })  # fmt: skip
    ann.close()
    q = f"live{uuid.uuid4().hex[:6]}"
    lines = [
        f"{now - 300}|NONE|{q}|PJSIP/301|ADDMEMBER|",
        f"{now - 300}|NONE|{q}|PJSIP/302|ADDMEMBER|",
        f"{now - 300}|NONE|{q}|PJSIP/303|ADDMEMBER|",
        f"{now - 200}|NONE|{q}|PJSIP/302|PAUSE|lunch",
        f"{now - 100}|{now - 100}.1|{q}|NONE|ENTERQUEUE||+79990000003|1",
        f"{now - 95}|{now - 100}.1|{q}|PJSIP/303|CONNECT|5|{now - 95}.2|5",
        f"{now - 80}|{now - 80}.1|{q}|NONE|ENTERQUEUE||+79990000004|1",
        f"{now - 70}|{now - 80}.1|{q}|NONE|ABANDON|1|1|10",
        f"{now - 30}|{now - 30}.1|{q}|NONE|ENTERQUEUE||+79990000001|1",
        f"{now - 10}|{now - 10}.1|{q}|NONE|ENTERQUEUE||+79990000002|2",
    ]
    with QueueClient(server.base_url, server.tokens["feed"]) as pbx:
        assert pbx.send_queue_log("\n".join(lines))["stored"] == len(lines)
    other = StoreServer(server.data_dir, server.db_url, {})  # a second API process, same data
    other.start()
    try:
        with QueueClient(other.base_url, server.tokens["sue"]) as sue2:
            live = {row["queue"]: row for row in sue2.queues_live()["queues"]}[q]
    finally:
        other.stop()
    assert live["waiting"] == 2
    assert 29 <= live["longest_wait_s"] <= time.time() - now + 31  # entered at now - 30
    first, second = live["callers"]
    assert (first["number"], first["karma_avg"], first["hint"], first["route"]) == (
        "+79990000001", -2.0, "difficult", "senior",
    )  # fmt: skip
    assert (second["number"], second["karma_avg"], second["hint"]) == (
        "+79990000002", None, "unknown",
    )  # fmt: skip
    # today: 4 offered (2 waiting, 1 answered after 5 s, 1 abandoned); SL 100 × 1 / 4 = 25.0
    assert (live["offered"], live["answered"], live["abandoned"]) == (4, 1, 1)
    assert live["service_level_pct"] == 25.0
    assert live["agents"] == {"free": 1, "on_call": 1, "wrap_up": 0, "break": 1, "not_ready": 0}
    members = {m["agent"]: m for m in live["members"]}
    paused = members["PJSIP/302"]
    assert (paused["state"], paused["pbx_state"], paused["reason"]) == ("break", "paused", "lunch")
    on_call = members["PJSIP/303"]
    assert (on_call["state"], on_call["extension"], on_call["user"], on_call["uniqueid"]) == (
        "on_call", "303", "ann", f"{now - 100}.1",
    )  # fmt: skip
    # The call ends: the member is free again, the call is not counted as talking.
    with QueueClient(server.base_url, server.tokens["feed"]) as pbx:
        pbx.send_queue_log(f"{now}|{now - 100}.1|{q}|PJSIP/303|COMPLETEAGENT|5|95|1\n")
    live = {row["queue"]: row for row in sue.queues_live()["queues"]}[q]
    assert live["agents"] == {"free": 2, "on_call": 0, "wrap_up": 0, "break": 1, "not_ready": 0}
    # An agent logging off with queue NONE leaves every queue.
    with QueueClient(server.base_url, server.tokens["feed"]) as pbx:
        pbx.send_queue_log(f"{now}|NONE|NONE|PJSIP/301|AGENTLOGOFF|\n")
    live = {row["queue"]: row for row in sue.queues_live()["queues"]}[q]
    assert live["agents"] == {"free": 1, "on_call": 0, "wrap_up": 0, "break": 1, "not_ready": 0}
    assert [m["agent"] for m in live["members"]] == ["PJSIP/302", "PJSIP/303"]


def test_the_feed_follows_the_file_through_a_faulty_network(
    server: StoreServer, sue: QueueClient, tmp_path: Path
) -> None:
    """The connector as a long-running process behind a proxy that drops requests, answers
    503, or lets the store take the lines and loses its answer: every line stored once."""
    q = f"chaos{uuid.uuid4().hex[:6]}"
    base = t(12, 0)
    log, state = tmp_path / "queue_log", tmp_path / "feed-state.json"
    log.write_bytes(b"")
    env = {**os.environ, "AGENTDESK_STORE_TOKEN": server.tokens["feed"]}
    faults = ("503", "500_after", "reset_in_body", "reset_after")
    with ChaosProxy(server.port, fault_rate=0.3, faults=faults, seed=14) as proxy:
        args = [*store_command(), "pbx-feed", "--queue-log", str(log), "--state", str(state),
                "--store", proxy.base_url, "--poll-s", "0.05"]  # fmt: skip
        proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            for i in range(30):  # 30 calls, each entering and abandoned after i s
                with open(log, "ab") as fh:
                    fh.write(
                        f"{base + i}|{base}.{i}|{q}|NONE|ENTERQUEUE||+7999{i:07d}|1\n".encode()
                    )
                    fh.write(f"{base + i}|{base}.{i}|{q}|NONE|ABANDON|1|1|{i}\n".encode())
                time.sleep(0.02)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if FeedState.load(state).offset == log.stat().st_size:
                    break
                time.sleep(0.2)
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    rows = sue.queue_report(base * S, (base + 60) * S, queue=q)["rows"]
    # 30 calls abandoned after 0 … 29 s: short (< 5 s) 5; mean wait 14.5; longest 29
    assert [(r["offered"], r["abandoned"], r["abandoned_short"], r["avg_wait_s"],
             r["max_wait_s"]) for r in rows] == [(30, 30, 5, 14.5, 29.0)]  # fmt: skip
    assert f"at line 60 (byte {log.stat().st_size})" in out
    # seed 14: the first request reaches the store and its answer is lost, so that batch is
    # sent again (the store already has it) after a reset and a 503
    assert min(proxy.counts[f] for f in ("500_after", "reset_in_body", "503")) >= 1, proxy.counts
    assert not re.search(r"(?<!\d)0 already there", out), out


def test_queue_calls_join_the_desktop_call_that_took_them(
    sue: QueueClient, fed: dict[str, Any]
) -> None:
    """A's desktop call: ann at extension 203, from A's caller, started a second before the
    CONNECT; another call of hers from that caller an hour later is not it."""
    near, far = f"desk-{uuid.uuid4().hex[:8]}", f"desk-{uuid.uuid4().hex[:8]}"
    for call_id, started in ((near, t(9, 0, 17)), (far, t(10, 0, 17))):
        sue.put_call(call_id, {  # type: ignore[typeddict-item]
            "agent": "ann", "direction": "inbound", "local_number": "203",
            "remote_number": "8 (912) 555-01-01", "started_us": started * S,
        })  # fmt: skip
    rows = {r["uniqueid"]: r for r in sue.queue_calls(t(9, 0) * S, t(11, 0) * S)}
    assert len(rows) == 8
    assert (rows[A]["desktop_call_id"], rows[A]["user"], rows[A]["rings"]) == (near, "ann", 2)
    assert rows[B]["desktop_call_id"] is None  # abandoned: no agent took it
    only = sue.queue_calls(t(9, 0) * S, t(11, 0) * S, uniqueid=G)
    assert [(r["queue"], r["agent"], r["desktop_call_id"]) for r in only] == [
        ("sales", "PJSIP/202", None)
    ]


def test_queue_calls_join_by_the_pbx_call_id_first(
    server: StoreServer, sue: QueueClient, fed: dict[str, Any]
) -> None:
    """H (support, PJSIP/202 connected 10:20:08, caller …0108) rang bob (extension 202) in
    his break, refused at 10:20:08, and ann took it: her leg carries H's uniqueid as the PBX
    call id, started 10:20:01. By extension, caller and time bob's refused leg is nearest the
    CONNECT (0 s against 7 s); by the PBX call id ann's leg is the one. DD (support,
    PJSIP/201 connected 09:05:25, caller …0104) was taken by cal, whose desktop sent no PBX
    call id and no local number: the store's extension of cal (201) finds it."""
    for name, ext in (("bob", "202"), ("cal", "201")):
        args = [*store_command(), "user", "set", name, "--extension", ext, *server.db_args()]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    refused, took, cals = (f"desk-{uuid.uuid4().hex[:8]}" for _ in range(3))
    h_leg = {"direction": "inbound", "remote_number": "+79125550108", "pbx_call_id": H}
    legs: dict[str, dict[str, Any]] = {
        refused: {**h_leg, "agent": "bob", "refusal": "break", "ended_by": "agent",
                  "started_us": t(10, 20, 8) * S, "ended_us": t(10, 20, 8) * S},
        took: {**h_leg, "agent": "ann", "queue": "support", "started_us": t(10, 20, 1) * S,
               "answered_us": t(10, 20, 8) * S, "ended_us": t(10, 22, 8) * S},
        cals: {"agent": "cal", "direction": "inbound", "remote_number": "+79125550104",
               "started_us": t(9, 5, 24) * S, "answered_us": t(9, 5, 25) * S},
    }  # fmt: skip
    for call_id, body in legs.items():
        sue.put_call(call_id, body)  # type: ignore[arg-type]
    rows = {r["uniqueid"]: r for r in sue.queue_calls(t(9, 0) * S, t(11, 0) * S)}
    assert (rows[H]["desktop_call_id"], rows[H]["user"]) == (took, "ann")
    assert (rows[DD]["desktop_call_id"], rows[DD]["user"]) == (cals, "cal")
    assert sue.get_call(refused)["leg"] == "refused"  # type: ignore[typeddict-item]

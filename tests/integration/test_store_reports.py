"""Reports and the live board through a real store on SQLite and on PostgreSQL, each metric
checked against numbers computed by hand from a small fixture of calls and state changes, on
both paths of a report: the per-day rollups (whole UTC days, the store's default reporting
zone) and the raw rows (`rollups=False`, and whatever the rollups cannot answer).

The fixture (day D = 2025-03-05 UTC; times hh:mm:ss of D unless said otherwise):

ann  C1 inbound sales   started 09:00:00, PBX queue wait 10 s, answered 09:00:05, ended 09:05:05
        (300 s), hold 09:01:00–09:02:00 (60 s), screen recorded, wrap-up 30 s, QA 80 %
     C2 inbound sales   started 09:10:00, no queue wait given, answered 09:10:25 (ring 25 s),
        ended 09:30:25 (1200 s), holds 09:15–09:17 (120 s) and from 09:30:00 never ended
        (until the call's end: 25 s) → 145 s, wrap-up 60 s, QA 60 % and 90 %
     C3 inbound sales   09:40:00, not answered, the caller hung up at 09:40:30 (abandoned)
     C4 inbound support 10:15:00, not answered, ended by the system (missed, not abandoned)
     C5 outbound        answered 10:20:10, ended 10:22:10 (120 s), no wrap-up
ben  C6 inbound support started 09:20:00, queue wait 40 s, answered 09:20:02, ended 09:24:02
        (240 s), screen recorded, wrap-up 20 s, QA 70 %
     C8 inbound support 22:00:00, not answered, the caller hung up (abandoned)
     C0 the day before and C7 the day after: outside the range.
States, ann: 08:00 ready, 09:00:05 on_call C1, 09:05:05 wrap_up C1, 09:05:35 ready,
     09:10:25 on_call C2, 09:30:25 wrap_up C2, 09:31:25 not_ready (coaching), 09:45 break
     (lunch), 10:00 ready, 10:20:10 on_call C5, 10:22:10 ready, 10:30 outbound, 10:40 ready,
     11:00 offline.
States, ben: D−1 23:00 ready (straddles the day start), 09:20:02 on_call C6, 09:24:02 wrap_up
     C6, 09:24:22 break (lunch), 09:54:22 ready, 10:30 offline.
"""

from __future__ import annotations

import csv
import io
import random
import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from desktop.agent.presence import PresencePublisher
from store import local_days, rollups
from store.agents import set_state
from store.calls import patch, put
from store.client import InvalidRequest, PermissionDenied, StoreClient
from store.client_types import CallInput
from store.db import Database, connect
from store.migrations import MIGRATIONS, _statements, migrate
from store.models import CallFields, CallIn, EvaluationIn, FormIn, Role, StateIn
from store.qa import create_form, evaluate
from store.report_columns import link_state
from store.reports import ReportQuery, calls_report, states_report
from store.users import Principal, add_user
from tests.integration.store_kit import assert_close, now_us, served
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration

S = 1_000_000
D = 1_741_132_800 * S  # 2025-03-05 00:00 UTC
DAY = 86_400 * S
USERS = {"ann": "agent", "ben": "agent", "cal": "agent", "sue": "supervisor", "ada": "admin"}


def at(hh: int, mm: int, ss: int = 0, day: int = 0) -> int:
    return D + day * DAY + ((hh * 60 + mm) * 60 + ss) * S


class Kit:
    def __init__(self, server: StoreServer) -> None:
        self.server = server
        self.c = {name: StoreClient(server.base_url, server.tokens[name]) for name in USERS}

    def report(
        self, path: str = "rollups", source: str | None = None, **options: Any
    ) -> dict[tuple[Any, ...], Mapping[str, Any]]:
        """The calls report of day D by group key, read on `path`; `source`: the path the
        store must have taken (default: `path`)."""
        options.setdefault("group", "agent")
        report = self.c["sue"].report("calls", D, D + DAY, rollups=path == "rollups", **options)
        assert report["source"] == (source or path)
        return {(r["agent"], r["queue"], r["bucket_us"]): r for r in report["rows"]}


def _load(kit: Kit) -> None:
    sue, ada = kit.c["sue"], kit.c["ada"]
    screen = sue.upload_bytes(b"\x00\x00\x00\x18ftypmp42 screen " + uuid.uuid4().bytes, "video/mp4")
    calls: dict[str, CallInput] = {
        "C1": {"agent": "ann", "direction": "inbound", "queue": "sales", "started_us": at(9, 0),
               "answered_us": at(9, 0, 5), "ended_us": at(9, 5, 5), "queue_wait_s": 10,
               "holds": [{"start_us": at(9, 1), "end_us": at(9, 2)}], "ended_by": "remote"},
        "C2": {"agent": "ann", "direction": "inbound", "queue": "sales", "started_us": at(9, 10),
               "answered_us": at(9, 10, 25), "ended_us": at(9, 30, 25),
               "holds": [{"start_us": at(9, 15), "end_us": at(9, 17)}, {"start_us": at(9, 30)}],
               "ended_by": "agent"},
        "C3": {"agent": "ann", "direction": "inbound", "queue": "sales", "started_us": at(9, 40),
               "ended_us": at(9, 40, 30), "ended_by": "remote"},
        "C4": {"agent": "ann", "direction": "inbound", "queue": "support",
               "started_us": at(10, 15), "ended_us": at(10, 15, 20), "ended_by": "system"},
        "C5": {"agent": "ann", "direction": "outbound", "started_us": at(10, 20),
               "answered_us": at(10, 20, 10), "ended_us": at(10, 22, 10)},
        "C6": {"agent": "ben", "direction": "inbound", "queue": "support",
               "started_us": at(9, 20), "answered_us": at(9, 20, 2), "ended_us": at(9, 24, 2),
               "queue_wait_s": 40},
        "C8": {"agent": "ben", "direction": "inbound", "queue": "support",
               "started_us": at(22, 0), "ended_us": at(22, 0, 10), "ended_by": "remote"},
        "C0": {"agent": "ann", "direction": "inbound", "queue": "sales",
               "started_us": at(23, 59, day=-1), "answered_us": at(23, 59, 30, day=-1),
               "ended_us": at(0, 1)},
        "C7": {"agent": "ben", "direction": "outbound", "started_us": at(0, 0, day=1),
               "answered_us": at(0, 0, 5, day=1), "ended_us": at(0, 3, day=1)},
    }  # fmt: skip
    for call_id, call in calls.items():
        sue.put_call(call_id, call)
    for call_id in ("C1", "C6"):
        sue.link_media(call_id, screen["sha256"], "screen")
    form = ada.create_form("Reports", [{"key": "all", "label": "All", "max_score": 10}])
    for call_id, score in (("C1", 8), ("C2", 6), ("C2", 9), ("C6", 7)):
        sue.evaluate(call_id, form["id"], {"all": score})
    states = {
        "ann": [(at(8, 0), "ready", None, None), (at(9, 0, 5), "on_call", None, "C1"),
                (at(9, 5, 5), "wrap_up", None, "C1"), (at(9, 5, 35), "ready", None, None),
                (at(9, 10, 25), "on_call", None, "C2"), (at(9, 30, 25), "wrap_up", None, "C2"),
                (at(9, 31, 25), "not_ready", "coaching", None),
                (at(9, 45), "break", "lunch", None), (at(10, 0), "ready", None, None),
                (at(10, 20, 10), "on_call", None, "C5"), (at(10, 22, 10), "ready", None, None),
                (at(10, 30), "outbound", None, None), (at(10, 40), "ready", None, None),
                (at(11, 0), "offline", None, None)],
        "ben": [(at(23, 0, day=-1), "ready", None, None), (at(9, 20, 2), "on_call", None, "C6"),
                (at(9, 24, 2), "wrap_up", None, "C6"), (at(9, 24, 22), "break", "lunch", None),
                (at(9, 54, 22), "ready", None, None), (at(10, 30), "offline", None, None)],
    }  # fmt: skip
    for agent, changes in states.items():
        for when, state, reason, of_call in changes:
            kit.c[agent].set_state(agent, state, reason, at_us=when, call_id=of_call)  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def kit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    db_url = None
    if request.param == "postgresql":
        db_url = request.getfixturevalue("pg").database(f"reports_{uuid.uuid4().hex[:10]}")
    folder = tmp_path_factory.mktemp(f"reports-{request.param}")
    with served(folder, db_url, USERS) as server:
        made = Kit(server)
        try:
            _load(made)
            yield made
        finally:
            for client in made.c.values():
                client.close()


def test_call_metrics_by_agent_match_the_hand_computation(kit: Kit, path: str) -> None:
    rows = kit.report(path)
    assert set(rows) == {("ann", None, None), ("ben", None, None)}  # C0, C7, cal: no row
    # ann: offered C1–C4, answered C1 C2, handled C1 C2 C5; talk = (300−60) + (1200−145) + 120.
    assert_close(rows["ann", None, None], {
        "offered": 4, "answered": 2, "missed": 2, "abandoned": 1, "outbound": 1, "handled": 3,
        "talk_s": 1415.0, "hold_s": 205.0, "wrap_s": 90.0, "handle_s": 1710.0,
        "avg_talk_s": 1415 / 3, "avg_hold_s": 205 / 3, "avg_wrap_s": 30.0, "avg_handle_s": 570.0,
        "answered_pct": 50.0, "missed_pct": 50.0,
        "avg_wait_s": 15.0,            # only C1 has a PBX queue wait: 10 + 5 s ring
        "service_level_pct": 25.0,     # C1 within 20 s (15), C2 not (0 + 25): 1 of 4 offered
        "long_calls": 1,               # C2: 1200 s > 600 s
        "screen_pct": 100 / 3,         # C1 of the 3 handled
        "evaluations": 3, "qa_avg_pct": (80 + 60 + 90) / 3,
    })  # fmt: skip
    # ben: C6 answered after 40 + 2 s (outside 20 s), C8 abandoned.
    assert_close(rows["ben", None, None], {
        "offered": 2, "answered": 1, "missed": 1, "abandoned": 1, "outbound": 0, "handled": 1,
        "talk_s": 240.0, "hold_s": 0.0, "wrap_s": 20.0, "handle_s": 260.0, "avg_handle_s": 260.0,
        "answered_pct": 50.0, "avg_wait_s": 42.0, "service_level_pct": 0.0, "long_calls": 0,
        "screen_pct": 100.0, "evaluations": 1, "qa_avg_pct": 70.0,
    })  # fmt: skip


def test_time_in_state_and_occupancy_by_agent(kit: Kit, path: str) -> None:
    rows = kit.report(path)
    # ann 08:00–11:00 logged in = 10 800 s; ready 3605 + 290 + 1210 + 470 + 1200; outbound
    # 10:30–10:40; busy = on_call
    # 300 + 1200 + 120 plus wrap_up 30 + 60.
    assert_close(rows["ann", None, None], {
        "logged_in_s": 10_800.0, "ready_s": 6775.0, "not_ready_s": 815.0, "break_s": 900.0,
        "busy_s": 1710.0, "outbound_s": 600.0, "occupancy_pct": 100 * 1710 / 10_800,
    })  # fmt: skip
    # ben: ready since the day before, counted from 00:00 (33 602 s) to 10:30 = 37 800 s.
    assert_close(rows["ben", None, None], {
        "logged_in_s": 37_800.0, "ready_s": 33_602.0 + 2138, "not_ready_s": 0.0,
        "break_s": 1800.0, "busy_s": 260.0, "outbound_s": 0.0, "occupancy_pct": 100 * 260 / 37_800,
    })  # fmt: skip
    states = kit.c["sue"].report("states", D, D + DAY, group="agent", rollups=path == "rollups")
    assert states["source"] == path
    got = {(r["agent"], r["state"], r["reason"]): r["seconds"] for r in states["rows"]}
    assert got == {
        ("ann", "ready", None): 6775.0, ("ann", "outbound", None): 600.0,
        ("ann", "on_call", None): 1620.0,
        ("ann", "wrap_up", None): 90.0, ("ann", "not_ready", "coaching"): 815.0,
        ("ann", "break", "lunch"): 900.0,
        ("ben", "ready", None): 35_740.0, ("ben", "on_call", None): 240.0,
        ("ben", "wrap_up", None): 20.0, ("ben", "break", "lunch"): 1800.0,
    }  # fmt: skip


def test_by_queue_by_hour_and_local_days(kit: Kit, path: str) -> None:
    queues = kit.report(path, group="queue")
    # sales: C1 C2 C3; support: C4 C6 C8; no queue: the outbound C5.
    assert_close(queues[None, "sales", None], {
        "offered": 3, "answered": 2, "abandoned": 1, "talk_s": 1295.0, "hold_s": 205.0,
        "wrap_s": 90.0, "service_level_pct": 100 / 3, "logged_in_s": None,
        "occupancy_pct": None,
    })  # fmt: skip
    assert_close(queues[None, "support", None], {"offered": 3, "answered": 1, "missed": 2})
    assert_close(queues[None, None, None], {"offered": 0, "outbound": 1, "handled": 1})

    hours = kit.report(path, "raw", group="hour,agent", agent="ann")  # hours: raw rows
    assert sorted(k[2] for k in hours) == [at(8, 0), at(9, 0), at(10, 0)]
    assert_close(
        hours["ann", None, at(8, 0)], {"offered": 0, "logged_in_s": 3600.0, "ready_s": 3600.0}
    )
    assert_close(hours["ann", None, at(9, 0)], {
        "offered": 3, "answered": 2, "logged_in_s": 3600.0, "break_s": 900.0,
        "busy_s": 300 + 30 + 1200 + 60,
    })  # fmt: skip
    assert_close(
        hours["ann", None, at(10, 0)],
        {"offered": 1, "outbound": 1, "busy_s": 120.0, "outbound_s": 600.0},
    )

    # Moscow days (UTC+3): everything up to 21:00 UTC is local D; C8 at 22:00 is local D+1.
    local = kit.report(path, "raw", group="day", tz_offset_min=180)  # not the store's days
    assert sorted(k[2] for k in local) == [D - 3 * 3600 * S, D + 21 * 3600 * S]
    assert_close(local[None, None, D + 21 * 3600 * S], {"offered": 1, "abandoned": 1})
    assert_close(local[None, None, D - 3 * 3600 * S], {"offered": 5, "logged_in_s": 48_600.0})


def test_csv_export_holds_the_same_numbers(kit: Kit, path: str) -> None:
    options: Mapping[str, Any] = {"group": "day,agent", "rollups": path == "rollups"}
    body = kit.c["sue"].report_csv("calls", D, D + DAY, **options)
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    report = kit.c["sue"].report("calls", D, D + DAY, **options)
    assert report["source"] == path
    assert list(table[0])[:3] == ["agent", "bucket", "offered"]
    assert [(r["agent"], r["bucket"]) for r in table] == [
        ("ann", "2025-03-05 00:00"), ("ben", "2025-03-05 00:00")
    ]  # fmt: skip
    for line, row in zip(table, report["rows"], strict=True):
        for name in report["columns"]:
            expected = "" if row[name] is None else str(row[name])
            assert line[name] == expected, name
    assert table[0]["handle_s"] == "1710.0" and table[1]["abandoned"] == "1"


def test_bad_report_requests_are_refused_with_a_reason(kit: Kit) -> None:
    sue = kit.c["sue"]
    with pytest.raises(InvalidRequest, match="unknown grouping 'week'"):
        sue.report("calls", D, D + DAY, group="week")
    with pytest.raises(InvalidRequest, match="day or by hour"):
        sue.report("calls", D, D + DAY, group="day,hour")
    with pytest.raises(InvalidRequest, match="to_us must be after"):
        sue.report("calls", D + DAY, D)
    with pytest.raises(InvalidRequest, match="not per queue"):
        sue.report("states", D, D + DAY, group="queue")
    with pytest.raises(PermissionDenied):
        kit.c["ann"].report("calls", D, D + DAY)
    metrics = sue.report_metrics()
    assert metrics["occupancy_pct"] == "100 × busy_s / logged_in_s"


def test_live_board_shows_presence_state_and_recent_occupancy(kit: Kit) -> None:
    cal = kit.c["cal"]
    start = now_us()
    # cal: ready for 5 minutes, then on a call for the last 5: about 50 % of the last 10.
    cal.set_state("cal", "ready", at_us=start - 600 * S)
    cal.set_state("cal", "on_call", at_us=start - 300 * S, call_id="live-1")
    snapshot = cal.put_presence("cal", {
        "call_id": "live-1", "call_number": "+79125550102", "call_direction": "inbound",
        "call_started_us": start - 310 * S, "call_answered_us": start - 300 * S,
        "hold_since_us": start - 130 * S, "recording": True, "upload_backlog": 3,
        "upload_backlog_bytes": 7_340_032,
    })  # fmt: skip
    assert snapshot["recording"] is True
    with pytest.raises(PermissionDenied):
        cal.put_presence("ann", {"recording": False})
    with pytest.raises(InvalidRequest, match="upload_backlog"):
        cal.put_presence("cal", {"upload_backlog": -1})
    with pytest.raises(PermissionDenied):
        cal.live_board()
    board = kit.c["sue"].live_board()
    rows = {r["agent"]: r for r in board["agents"]}
    assert set(rows) == {"ann", "ben", "cal"}  # agents only
    row = rows["cal"]
    assert (row["state"], row["call_number"], row["hold_since_us"]) == (
        "on_call", "+79125550102", start - 130 * S
    )  # fmt: skip
    assert row["recording"] is True and row["upload_backlog"] == 3
    assert board["now_us"] >= start and row["presence_us"] is not None
    assert row["occupancy_10min_pct"] == pytest.approx(50, abs=5)
    assert rows["ann"]["state"] == "offline" and rows["ann"]["presence_us"] is None
    assert rows["ann"]["occupancy_10min_pct"] is None  # offline since D: not logged in now


def test_hold_and_wait_columns_follow_a_patch(kit: Kit) -> None:
    """A call patched later (hold ended, queue wait known) is counted as it is now."""
    sue = kit.c["sue"]
    base = at(12, 0, day=2)
    sue.put_call("P1", {"agent": "cal", "direction": "inbound", "started_us": base,
                        "answered_us": base + 2 * S, "ended_us": base + 62 * S})  # fmt: skip
    sue.patch_call("P1", holds=[{"start_us": base + 10 * S, "end_us": base + 30 * S}],
                   queue_wait_s=3.5)  # fmt: skip
    report = sue.report("calls", base - 3600 * S, base + 3600 * S, agent="cal")
    (row,) = report["rows"]
    assert_close(
        row, {"hold_s": 20.0, "talk_s": 40.0, "avg_wait_s": 5.5, "service_level_pct": 100.0}
    )


def test_the_desktops_presence_publisher_reaches_the_board(kit: Kit) -> None:
    publisher = PresencePublisher(kit.c["ben"], "ben", every_s=0.2)
    publisher.update(recording=True, upload_backlog=5, upload_backlog_bytes=2048)
    publisher.start()
    try:
        for _ in range(100):  # bounded: up to ~10 s
            row = next(r for r in kit.c["sue"].live_board()["agents"] if r["agent"] == "ben")
            if row["upload_backlog"] == 5:
                break
            time.sleep(0.1)
        assert (row["upload_backlog"], row["upload_backlog_bytes"], row["recording"]) == (
            5, 2048, True
        )  # fmt: skip
    finally:
        publisher.stop()
    assert not publisher.failing and publisher.posted >= 1


def test_wrap_up_follows_late_and_out_of_order_state_changes(kit: Kit) -> None:
    """Wrap-up is kept per call as states arrive: a change posted late inside a wrap-up
    shortens it, a wrap_up posted after the change that ends it still counts, and a wrap_up
    posted before its call exists counts once the call is stored."""
    sue, cal = kit.c["sue"], kit.c["cal"]
    e = 3  # day D+3, cal only

    def call(started: int, ended: int) -> CallInput:
        return {"agent": "cal", "direction": "inbound", "queue": "sales",
                "started_us": started, "answered_us": started, "ended_us": ended}  # fmt: skip

    sue.put_call("K1", call(at(9, 10, day=e), at(9, 15, day=e)))
    sue.put_call("K3", call(at(11, 0, day=e), at(11, 5, day=e)))
    changes = [
        (at(9, 0, day=e), "ready", None), (at(9, 10, day=e), "on_call", "K1"),
        (at(9, 15, day=e), "wrap_up", "K1"), (at(9, 16, day=e), "ready", None),
        (at(9, 15, 40, day=e), "not_ready", None),  # late: K1's wrap-up is 40 s, not 60
        (at(10, 0, day=e), "on_call", "K2"), (at(10, 5, day=e), "wrap_up", "K2"),
        (at(10, 5, 25, day=e), "ready", None),  # K2 is stored only below: 25 s
        (at(11, 0, day=e), "on_call", "K3"), (at(11, 6, day=e), "ready", None),
        (at(11, 5, day=e), "wrap_up", "K3"),  # late, ended by the ready already stored: 60 s
        (at(12, 0, day=e), "offline", None),
    ]  # fmt: skip
    for when, state, call_id in changes:
        cal.set_state("cal", state, at_us=when, call_id=call_id)  # type: ignore[arg-type]
    sue.put_call("K2", call(at(10, 0, day=e), at(10, 5, day=e)))
    hours = kit.c["sue"].report("calls", at(0, 0, day=e), at(0, 0, day=e + 1),
                                group="hour", agent="cal")  # fmt: skip
    wraps = {r["bucket_us"]: (r["wrap_s"], r["busy_s"]) for r in hours["rows"]}
    # busy: on_call 300 s per call (K3's cut to 300 s by its late wrap_up) + the wrap-ups
    assert wraps == {at(9, 0, day=e): (40.0, 340.0), at(10, 0, day=e): (25.0, 325.0),
                     at(11, 0, day=e): (60.0, 360.0)}  # fmt: skip
    states = kit.c["sue"].report("states", at(0, 0, day=e), at(0, 0, day=e + 1), agent="cal")
    got = {(r["state"], r["reason"]): r["seconds"] for r in states["rows"]}
    assert got[("wrap_up", None)] == 125.0 and got[("not_ready", None)] == 20.0


def test_an_open_wrap_up_counts_until_now_and_then_until_the_next_change(kit: Kit) -> None:
    sue, ben = kit.c["sue"], kit.c["ben"]
    start = now_us()
    sue.put_call("W1", {"agent": "ben", "direction": "inbound", "started_us": start - 100 * S,
                        "answered_us": start - 95 * S, "ended_us": start - 60 * S})  # fmt: skip
    ben.set_state("ben", "on_call", at_us=start - 95 * S, call_id="W1")
    ben.set_state("ben", "wrap_up", at_us=start - 60 * S, call_id="W1")
    window = (start - 3600 * S, start + 3600 * S)
    (row,) = sue.report("calls", *window, agent="ben")["rows"]
    assert 60 <= row["wrap_s"] <= 60 + (now_us() - start) / S
    ben.set_state("ben", "ready", at_us=start - 40 * S)
    (row,) = sue.report("calls", *window, agent="ben")["rows"]
    assert row["wrap_s"] == 20.0 and row["busy_s"] == 55.0


def test_days_up_to_today_join_the_rollups_with_todays_raw_rows(kit: Kit) -> None:
    """Whole days up to tomorrow: yesterday from the rollups, today from the raw rows (a call,
    its states with a wrap-up still open, an evaluation) added per day and agent to them —
    the numbers of the raw rows alone, yesterday to the millisecond."""
    sue, cal = kit.c["sue"], kit.c["cal"]
    now = now_us()
    today = now // DAY * DAY
    form = kit.c["ada"].create_form(f"Today {uuid.uuid4().hex[:6]}",
                                    [{"key": "all", "label": "All", "max_score": 10}])  # fmt: skip
    for call_id, start, score in (("T1", today - DAY + 3600 * S, 7), ("T2", now - 120 * S, 9)):
        call: CallInput = {"agent": "cal", "direction": "inbound", "started_us": start,
                           "answered_us": start + 5 * S, "ended_us": start + 60 * S}  # fmt: skip
        sue.put_call(call_id, call)
        cal.set_state("cal", "on_call", at_us=start + 5 * S, call_id=call_id)
        cal.set_state("cal", "wrap_up", at_us=start + 60 * S, call_id=call_id)
        sue.evaluate(call_id, form["id"], {"all": score})
    cal.set_state("cal", "ready", at_us=today - DAY + 3700 * S)
    window = (today - DAY, today + DAY)
    for group in ("day,agent", "agent"):
        fast = sue.report("calls", *window, group=group, agent="cal")
        slow = sue.report("calls", *window, group=group, agent="cal", rollups=False)
        assert (fast["source"], slow["source"]) == ("rollups+raw", "raw"), group
        assert len(fast["rows"]) == len(slow["rows"]) == (2 if group == "day,agent" else 1)
        for a, b in zip(fast["rows"], slow["rows"], strict=True):
            stable = ("offered", "answered", "talk_s", "evaluations", "qa_avg_pct")
            assert {k: a[k] for k in stable} == {k: b[k] for k in stable}, group
            assert a["handled"] == b["handled"] == (1 if group == "day,agent" else 2)
    yesterday_fast, today_fast = sue.report("calls", *window, group="day,agent", agent="cal")[
        "rows"
    ]
    yesterday_slow = sue.report("calls", *window, group="day,agent", agent="cal",
                                rollups=False)["rows"][0]  # fmt: skip
    assert dict(yesterday_fast) == dict(yesterday_slow)
    assert (yesterday_fast["wrap_s"], yesterday_fast["qa_avg_pct"]) == (40.0, 70.0)
    assert (today_fast["evaluations"], today_fast["qa_avg_pct"]) == (1, 90.0)
    assert today_fast["wrap_s"] >= 60.0  # still open: counted until now


def test_migration_5_backfills_what_the_write_path_keeps(tmp_path: Path) -> None:
    """An upgraded store gets the same interval ends and wrap-ups as one that kept them."""
    db = connect(f"sqlite:///{tmp_path / 'meta.db'}")
    migrate(db)
    rng = random.Random(3)
    db.execute("INSERT INTO calls (id, agent, direction, started_us, doc, created_us, "
               "updated_us) VALUES ('X1', 'ann', 'inbound', 0, '{}', 0, 0)")  # fmt: skip
    states = ["ready", "on_call", "wrap_up", "not_ready", "wrap_up"]
    for _ in range(60):  # out of order, ties included, one agent or the other
        agent, at_us, state = rng.choice(["ann", "ben"]), rng.randrange(40) * S, rng.choice(states)
        call_id = "X1" if state == "wrap_up" and rng.random() < 0.5 else None
        with db.transaction():
            db.execute("INSERT INTO agent_states (agent, state, at_us, recorded_us, call_id) "
                       "VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
                       (agent, state, at_us, call_id))  # fmt: skip
            mine = db.one("SELECT id, call_id FROM agent_states WHERE agent = ? AND at_us = ? "
                          "AND state = ?", (agent, at_us, state))  # fmt: skip
            assert mine is not None
            link_state(db, mine["id"], agent, at_us, state, mine["call_id"])
    read = ("SELECT id, next_us FROM agent_states ORDER BY id", "SELECT wrap_us, wrap_open_us "
            "FROM calls")  # fmt: skip
    kept = [db.query(sql) for sql in read]
    assert kept[1][0]["wrap_us"] > 0
    db.execute("UPDATE agent_states SET next_us = NULL")
    db.execute("UPDATE calls SET wrap_us = 0, wrap_open_us = NULL")
    (sql,) = [sql for version, _, sql in MIGRATIONS if version == 5]
    for statement in _statements(sql, "sqlite"):
        if statement.startswith("UPDATE"):
            db.execute(statement)
    assert [db.query(sql) for sql in read] == kept
    db.close()


def test_an_open_wrap_up_of_a_past_day_counts_its_cap_on_both_paths(kit: Kit, path: str) -> None:
    """ada's latest state is a wrap-up left open on day D+5: it counts 12 h (the cap)."""
    sue, ada = kit.c["sue"], kit.c["ada"]
    f = 5
    sue.put_call("A1", {"agent": "ada", "direction": "inbound", "queue": "vip",
                        "started_us": at(9, 0, day=f), "answered_us": at(9, 0, day=f),
                        "ended_us": at(9, 5, day=f)})  # fmt: skip
    ada.set_state("ada", "on_call", at_us=at(9, 0, day=f), call_id="A1")
    ada.set_state("ada", "wrap_up", at_us=at(9, 5, day=f), call_id="A1")
    day = (at(0, 0, day=f), at(0, 0, day=f + 1))
    for group in ("agent", "queue,agent"):
        report = kit.c["sue"].report("calls", *day, group=group, rollups=path == "rollups")
        assert report["source"] == path
        (row,) = report["rows"]
        assert_close(row, {"handled": 1, "talk_s": 300.0, "wrap_s": 43_200.0, "handle_s": 43_500.0})
    (row,) = kit.c["sue"].report("calls", *day, group="agent", rollups=path == "rollups")["rows"]
    assert_close(row, {"logged_in_s": 43_500.0, "busy_s": 43_500.0, "occupancy_pct": 100.0})


def test_the_http_default_is_one_object_per_row(kit: Kit) -> None:
    """Other clients get objects; store.client asks for the compact columns."""
    url = f"{kit.server.base_url}/api/v1/reports/calls"
    params: dict[str, str | int] = {"from_us": D, "to_us": D + DAY, "group": "day,agent"}
    auth = {"Authorization": f"Bearer {kit.server.tokens['sue']}"}
    objects = requests.get(url, params=params, headers=auth, timeout=30).json()
    compact = requests.get(url, params={**params, "format": "columns"}, headers=auth,
                           timeout=30).json()  # fmt: skip
    assert "fields" not in objects and compact["fields"][:3] == ["agent", "queue", "bucket_us"]
    assert objects["rows"] == [
        dict(zip(compact["fields"], r, strict=True)) for r in compact["rows"]
    ]
    assert objects["rows"] == kit.c["sue"].report("calls", D, D + DAY, group="day,agent")["rows"]
    assert objects["rows"][0]["agent"] == "ann" and objects["rows"][0]["offered"] == 4


MSK = 3 * 3600 * S  # Moscow: UTC+3 all year


@contextmanager
def _restarted(tmp_path: Path, **options: Any) -> Iterator[Kit]:
    """The fixture's data in a fresh store, which is then restarted with `options`
    (StoreServer's extra_args, env): its clients, closed and the server checked after."""
    server = StoreServer(tmp_path / "store", None, USERS)
    server.start()
    try:
        _load(Kit(server))
    finally:
        assert server.stop() in (0, -signal.SIGTERM), server.log()
    again = StoreServer(tmp_path / "store", None, **options)
    again.tokens = server.tokens  # the same database: its users and tokens
    again.start()
    kit = Kit(again)
    try:
        yield kit
    finally:
        for client in kit.c.values():
            client.close()
        assert again.stop() in (0, -signal.SIGTERM), again.log()
        assert "Traceback" not in again.log(), again.log()


def test_rollups_follow_the_report_time_zone(tmp_path: Path) -> None:
    """A store restarted with AGENTDESK_STORE_REPORT_TZ=Europe/Moscow rebuilds its rollups
    for Moscow days; its reports of whole Moscow days read them and match the raw rows, also
    after late writes."""
    with _restarted(tmp_path, env={"AGENTDESK_STORE_REPORT_TZ": "Europe/Moscow"}) as kit:
        assert "report rollups built for Europe/Moscow" in kit.server.log()
        sue, cal = kit.c["sue"], kit.c["cal"]

        def both(kind: str, group: str) -> list[Mapping[str, Any]]:
            lo, hi = D - MSK, D - MSK + 2 * DAY
            fast = sue.report(kind, lo, hi, group=group, tz_offset_min=180)  # type: ignore[arg-type]
            slow = sue.report(kind, lo, hi, group=group, tz_offset_min=180, rollups=False)  # type: ignore[arg-type]
            assert (fast["source"], slow["source"]) == ("rollups", "raw")
            assert fast["rows"] == slow["rows"], group
            return fast["rows"]

        rows = both("calls", "day")
        # Moscow day D holds C0 (D−1 23:59 UTC) and ben's ready from D−1 23:00; C8 is on D+1.
        assert [(r["bucket_us"], r["offered"]) for r in rows] == [(D - MSK, 6), (D + DAY - MSK, 1)]
        assert_close(rows[0], {"logged_in_s": 10_800.0 + 41_400, "wrap_s": 110.0})
        for group in ("agent", "queue", "day,agent", "day,queue,agent"):
            both("calls", group)
        both("states", "day,agent")
        # Late writes: a state inside ann's Moscow day D, a call moved to another queue and day.
        cal.set_state("cal", "ready", at_us=at(20, 30))
        cal.set_state("cal", "break", at_us=at(21, 30), reason="lunch")  # Moscow D+1 00:30
        sue.patch_call("C4", queue="sales", started_us=at(21, 15), ended_us=at(21, 15, 20))
        kit.c["ann"].set_state("ann", "not_ready", at_us=at(10, 50), reason="late")
        rows = both("calls", "day,agent")
        assert ("cal", D + DAY - MSK) in {(r["agent"], r["bucket_us"]) for r in rows}
        both("calls", "day,queue")
        both("states", "day,agent")


def test_an_unknown_report_tz_is_refused_by_name(tmp_path: Path) -> None:
    server = StoreServer(tmp_path, None, {}, extra_args=["--report-tz", "Mars/Olympus"])
    with pytest.raises(RuntimeError, match="unknown time zone 'Mars/Olympus'"):
        server.start()
    for flag, value, says in (("--report-sl-s", "0", "outside 1"),
                              ("--report-long-call-s", "ten", "not a whole number")):  # fmt: skip
        server = StoreServer(tmp_path, None, {}, extra_args=[flag, value])
        with pytest.raises(RuntimeError, match=f"{flag}: .*{says}"):
            server.start()


def test_rollups_follow_the_stores_norms(tmp_path: Path) -> None:
    """A store restarted with a 30 s service level and 5-minute long calls rebuilds its
    rollups for them: reports at those norms (its default now) read them and match the raw
    rows; a report at other norms reads the raw rows."""
    with _restarted(tmp_path, extra_args=["--report-sl-s", "30"],
                    env={"AGENTDESK_STORE_REPORT_LONG_CALL_S": "300"}) as kit:  # fmt: skip
        assert "service level within 30 s, long calls over 300 s" in kit.server.log()
        sue = kit.c["sue"]
        assert sue.report_norms() == {"tz": "UTC", "sl_s": 30, "long_call_s": 300}
        for group in ("agent", "day,agent", "queue"):
            fast = sue.report("calls", D, D + DAY, group=group)
            slow = sue.report("calls", D, D + DAY, group=group, sl_s=30, long_call_s=300,
                              rollups=False)  # fmt: skip
            assert (fast["source"], slow["source"]) == ("rollups", "raw")
            assert fast["rows"] == slow["rows"], group
        (ann, ben) = sue.report("calls", D, D + DAY, group="agent")["rows"][:2]
        # Within 30 s: C1 (10 s queue + 5 s ring) and C2 (25 s ring); C6 waited 40 s.
        assert (ann["service_level_pct"], ben["service_level_pct"]) == (50.0, 0.0)
        assert (ann["long_calls"], ben["long_calls"]) == (1, 0)  # C2; C1 lasts 300 s: not over
        other = sue.report("calls", D, D + DAY, group="agent", sl_s=20)
        assert other["source"] == "raw" and other["rows"][0]["service_level_pct"] == 25.0


def test_day_sql_matches_day_start_around_offset_changes() -> None:
    """The SQL that files a time under its local day (the rebuild) and the Python that does it
    (the writers) agree, right at each change of offset too (DST, midnight changes)."""
    conn = sqlite3.connect(":memory:")
    lo, hi = 1_600_000_000 * S, 1_700_000_000 * S
    for name in ("UTC", "Europe/Moscow", "Europe/Berlin", "America/Havana", "America/Santiago",
                 "Australia/Lord_Howe", "Asia/Kolkata"):  # fmt: skip
        zone = local_days.zone_named(name)
        expr = local_days.day_sql("x", zone, lo, hi)
        points = [lo, hi, *random.Random(name).sample(range(lo, hi), 200)]
        for since, _ in local_days._periods(zone, lo, hi)[1:]:
            assert since is not None
            points += [since + d for d in (-3600 * S, -1, 0, 1, 3600 * S, 86_400 * S)]
        for x in points:
            (got,) = conn.execute(f"SELECT {expr} FROM (SELECT ? AS x)", (x,)).fetchone()
            start = local_days.day_start(zone, x)
            assert got == start and start <= x < local_days.next_day(zone, start), (name, x)
    conn.close()


def _rollup_rows(db: Database) -> list[list[tuple[Any, ...]]]:
    return [sorted(tuple(map(repr, r.values())) for r in db.query(f"SELECT * FROM {table}"))
            for table in ("report_day_calls", "report_day_states", "report_day_evaluations",
                          "report_day_agents")]  # fmt: skip


def test_rollups_left_to_build_are_not_read_until_built(tmp_path: Path) -> None:
    """A migration that adds a rollup (7) leaves them all to be built by `serve`, in the zone
    it is given: until then a report reads the raw rows, and no write updates a rollup of
    some other zone; `ensure` builds them and the same report reads them."""
    db = connect(str(tmp_path / "meta.db"))
    migrate(db)
    assert rollups.current(db) is None
    sue = Principal("sue", Role.supervisor)
    add_user(db, "ann", "agent")
    answered = CallIn.model_validate({"agent": "ann", "direction": "inbound", "queue": "sales",
                                      "started_us": at(9, 0), "answered_us": at(9, 0, 5),
                                      "ended_us": at(9, 3)})  # fmt: skip
    put(db, "U1", answered, sue)
    set_state(db, "ann", StateIn.model_validate({"state": "ready", "at_us": at(8, 0)}), sue)
    assert db.one("SELECT COUNT(*) AS n FROM report_day_calls") == {"n": 0}
    q = ReportQuery(from_us=D, to_us=D + DAY, group=("day", "agent"))
    before = calls_report(db, q, sue)
    assert before["source"] == "raw" and len(before["rows"]) == 1
    utc = rollups.Basis()
    assert rollups.ensure(db, utc) is not None and rollups.ensure(db, utc) is None
    after = calls_report(db, q, sue)
    assert after["source"] == "rollups" and after["rows"] == before["rows"]
    db.close()


def test_rollups_kept_by_writes_equal_a_rebuild_across_dst(tmp_path: Path) -> None:
    """Calls written, moved and patched and states arriving out of order around Berlin's DST
    change keep the same rollups as a rebuild from scratch, and every report of whole Berlin
    days reads the same from them as from the raw rows."""
    db = connect(str(tmp_path / "meta.db"))
    migrate(db)
    berlin = local_days.zone_named("Europe/Berlin")
    rollups.rebuild(db, rollups.Basis(berlin))
    sue = Principal("sue", Role.supervisor)
    for name in ("ann", "ben", "sue"):
        add_user(db, name, "agent" if name != "sue" else "supervisor")
    first = local_days.day_start(berlin, 1_743_120_000 * S)  # 2025-03-28, DST starts on the 30th
    rng = random.Random(7)
    hours = [first + h * 3600 * S for h in range(5 * 24)]

    def call(agent: str, started: int) -> CallIn:
        answered = started + rng.randrange(1, 30) * S if rng.random() < 0.7 else None
        return CallIn.model_validate({
            "agent": agent, "direction": rng.choice(["inbound", "outbound"]),
            "queue": rng.choice(["sales", "support", None]), "started_us": started,
            "answered_us": answered, "ended_us": (answered or started) + rng.randrange(600) * S,
            "queue_wait_s": rng.choice([None, 5, 30]), "ended_by": rng.choice(["remote", "agent"]),
        })  # fmt: skip

    for i in range(40):
        agent = rng.choice(["ann", "ben"])
        put(db, f"R{i}", call(agent, rng.choice(hours) + rng.randrange(3600) * S), sue)
    form = create_form(db, FormIn.model_validate(
        {"name": "f", "criteria": [{"key": "a", "label": "A", "max_score": 7}]}),
        Principal("ada", Role.admin))  # fmt: skip
    for i in rng.choices(range(40), k=15):  # before some calls move: their scores move along
        evaluate(db, f"R{i}", EvaluationIn(form_id=form["id"], scores={"a": rng.randrange(8)}), sue)
    for i in rng.sample(range(40), 10):  # moved: another day, agent or queue
        put(db, f"R{i}", call(rng.choice(["ann", "ben"]), rng.choice(hours)), sue)
    for i in rng.sample(range(40), 5):
        t = rng.choice(hours)
        moved = CallFields.model_validate(
            {"queue": "vip", "started_us": t, "answered_us": t + 5 * S, "ended_us": t + 65 * S}
        )
        patch(db, f"R{i}", moved, sue)
    kinds = ["ready", "on_call", "wrap_up", "not_ready", "break", "offline"]
    for _ in range(150):  # in no particular order: many arrive late
        kind = rng.choice(kinds)
        wrapped = f"R{rng.randrange(45)}" if kind == "wrap_up" else None
        change = StateIn.model_validate({
            "state": kind, "at_us": rng.choice(hours) + rng.randrange(3600) * S,
            "reason": "lunch" if kind == "break" else None, "call_id": wrapped,
        })  # fmt: skip
        set_state(db, rng.choice(["ann", "ben"]), change, sue)
    kept = _rollup_rows(db)
    assert all(kept)
    rollups.rebuild(db, rollups.Basis(berlin))
    assert _rollup_rows(db) == kept

    days = local_days.days(berlin, first, hours[-1])
    dst = (days[0], days[-1])  # over the change of offset
    plain = (days[0], days[2])  # before it: every day at UTC+1
    for (lo, hi), group, offset in [(dst, ("agent",), 0), (dst, ("queue", "agent"), 0),
                                    (plain, ("day", "agent"), 60), (dst, ("day",), 60),
                                    (plain, ("agent",), 0)]:  # fmt: skip
        q = ReportQuery(from_us=lo, to_us=hi, group=group, tz_offset_min=offset)
        fast, slow = calls_report(db, q, sue), calls_report(db, q, sue, use_rollups=False)
        assert fast["source"] == ("raw" if (lo, hi) == dst and "day" in group else "rollups")
        assert fast["rows"] == slow["rows"], (group, offset)
        if "queue" not in group:
            fast, slow = states_report(db, q, sue), states_report(db, q, sue, use_rollups=False)
            assert fast["rows"] == slow["rows"] and fast["rows"], group
    db.close()

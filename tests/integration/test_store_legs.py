"""Calls counted as the customer experiences them: one caller's call that rang several agents
(ring-all, roll-over) is one offered call, through a real store on SQLite and PostgreSQL, each
figure checked against a hand computation on both paths of a report (the per-day rollups and
the raw rows). The legs are the records the desktop makes (desktop.calls.call.store_record)
from the INVITE's headers (X-PBX-Call-ID, X-Queue, X-Queue-Wait) and the engine's ending,
posted in a shuffled order, some twice.

The fixture (day D = 2025-03-05 UTC; times hh:mm:ss of D):

R  ring-all, queue sales, PBX call id pbx-R, X-Queue-Wait 4 s: at 10:00:00 the PBX rings ann,
   ben and cal; ben answers at 10:00:06 and talks until 10:03:06 (180 s); the PBX CANCELs
   ann's and cal's legs at 10:00:06 (pjsua reports 487 Request Terminated: the CANCEL's
   Reason "Call completed elsewhere" does not reach the end cause), so they are completed
   elsewhere — another leg was answered while they rang.
O  roll-over, queue support, pbx-O, X-Queue-Wait 2 s on the first INVITE, 17 s on the second:
   ann rings 11:00:00–11:00:15, no answer (the PBX cancels); dan rings from 11:00:15,
   answers 11:00:20, ends 11:05:20 (300 s). ann's leg ended before dan's started: missed.
A  abandoned, queue sales, pbx-A, no wait header: ann and ben ring from 12:00:00, the caller
   hangs up at 12:00:09 (both legs ended by remote). Both missed; the call is abandoned and
   counted at its last leg to ring (same start: the larger id, A-ben).
B  refusal during break, queue support, pbx-B, X-Queue-Wait 30 s: cal is on break, her
   desktop refuses the INVITE at 13:00:00 (do-not-disturb, refusal "break"); the PBX rolls
   over to ben at 13:00:01, who answers 13:00:04 and talks until 13:02:04 (120 s).

Customer waits (the first leg's queue wait + the answer − the first leg's ring):
R 4 + 6 = 10 s (within 20), O 2 + 20 = 22 s, B 30 + 4 = 34 s. Legs per agent:
ann R elsewhere, O missed, A missed; ben R answered*, A missed*, B answered*; cal R
elsewhere, B refused; dan O answered* (* stands for its customer call: offered there).
Counted per leg as before this change it would have been 9 offered, 3 answered, 6 missed and
5 abandoned (every unanswered leg ended by the remote side).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from desktop.calls.call import Call, Ending, store_record
from store import rollups
from store.calls import put
from store.client import StoreClient
from store.db import connect
from store.legs import LegRow, outcomes
from store.migrations import MIGRATIONS, _statements, migrate
from store.models import CallIn, Role
from store.reports import ReportQuery, calls_report
from store.users import Principal
from tests.integration.store_kit import assert_close, served
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration

S = 1_000_000
D = 1_741_132_800 * S  # 2025-03-05 00:00 UTC
DAY = 86_400 * S
USERS = {"ann": "agent", "ben": "agent", "cal": "agent", "dan": "agent", "sue": "supervisor"}


def at(hh: int, mm: int, ss: int = 0) -> int:
    return D + ((hh * 60 + mm) * 60 + ss) * S


def headers(pbx: str, queue: str, wait: str | None) -> dict[str, str]:
    """The INVITE's headers as sip.headers.parse_headers keeps them (names in lower case)."""
    found = {"x-pbx-call-id": pbx, "x-queue": queue}
    return found | ({"x-queue-wait": wait} if wait is not None else {})


def leg(
    call_id: str,
    agent: str,
    invite: dict[str, str],
    rang: int,
    ended: int,
    answered: int | None = None,
    ended_by: str = "remote",
    cause: tuple[int, str] = (487, "Request Terminated"),
    refusal: str = "",
) -> dict[str, Any]:
    """The desktop's store record of one leg (what CallBook hands on when it ends)."""
    call = Call(call_id, "inbound", "+79125550102", headers=invite,
                sip_call_id=f"{call_id}@pbx", started_us=rang, answered_us=answered,
                ended_us=ended, refusal=refusal)  # fmt: skip
    call.ending = Ending(ended_by=ended_by, cause_code=cause[0], cause_reason=cause[1])
    return store_record(call, agent)


def fixture_legs() -> list[dict[str, Any]]:
    r, o1 = headers("pbx-R", "sales", "4"), headers("pbx-O", "support", "2")
    o2 = headers("pbx-O", "support", "17")
    a, b = headers("pbx-A", "sales", None), headers("pbx-B", "support", "30")
    bye = (200, "Normal call clearing")
    return [
        leg("R-ann", "ann", r, at(10, 0), at(10, 0, 6)),
        leg("R-ben", "ben", r, at(10, 0), at(10, 3, 6), at(10, 0, 6), "local", bye),
        leg("R-cal", "cal", r, at(10, 0), at(10, 0, 6)),
        leg("O-ann", "ann", o1, at(11, 0), at(11, 0, 15)),
        leg("O-dan", "dan", o2, at(11, 0, 15), at(11, 5, 20), at(11, 0, 20), "remote", bye),
        leg("A-ann", "ann", a, at(12, 0), at(12, 0, 9)),
        leg("A-ben", "ben", a, at(12, 0), at(12, 0, 9)),
        leg("B-cal", "cal", b, at(13, 0), at(13, 0), None, "rejected", (486, "do not disturb"),
            refusal="break"),
        leg("B-ben", "ben", b, at(13, 0, 1), at(13, 2, 4), at(13, 0, 4), "local", bye),
    ]  # fmt: skip


class Kit:
    def __init__(self, server: StoreServer) -> None:
        self.server = server
        self.c = {name: StoreClient(server.base_url, server.tokens[name]) for name in USERS}

    def report(self, path: str, **options: Any) -> dict[tuple[Any, ...], Mapping[str, Any]]:
        report = self.c["sue"].report("calls", D, D + DAY, rollups=path == "rollups", **options)
        assert report["source"] == path
        return {(r["agent"], r["queue"]): r for r in report["rows"]}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def kit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    db_url = None
    if request.param == "postgresql":
        db_url = request.getfixturevalue("pg").database(f"legs_{uuid.uuid4().hex[:10]}")
    folder = tmp_path_factory.mktemp(f"legs-{request.param}")
    with served(folder, db_url, USERS) as server:
        made = Kit(server)
        try:
            records = fixture_legs()
            rng = random.Random(5)
            rng.shuffle(records)  # the answered leg before or after the cancelled ones
            for record in [*records, *rng.sample(records, 3)]:  # some sent again
                call_id = record.pop("id")
                made.c[record["agent"]].put_call(call_id, record)  # type: ignore[arg-type]
                record["id"] = call_id
            yield made
        finally:
            for client in made.c.values():
                client.close()


def test_each_agent_counts_the_legs_that_belong_to_it(kit: Kit, path: str) -> None:
    rows = kit.report(path, group="agent")
    assert set(rows) == {("ann", None), ("ben", None), ("cal", None), ("dan", None)}
    # ann: R elsewhere, O missed (15 s, no answer), A missed; stands for no customer call.
    assert_close(rows["ann", None], {
        "offered": 0, "answered": 0, "abandoned": 0, "missed": 2, "presented": 3,
        "refused": 0, "completed_elsewhere": 1, "handled": 0,
        "missed_pct": 100 * 2 / 3,     # 2 missed of 3 legs that rang her
        "answered_pct": None, "service_level_pct": None, "avg_wait_s": None,
    })  # fmt: skip
    # ben: answered R and B, stands for A (abandoned), missed A; talk 180 + 120.
    assert_close(rows["ben", None], {
        "offered": 3, "answered": 2, "abandoned": 1, "missed": 1, "presented": 3,
        "refused": 0, "completed_elsewhere": 0, "handled": 2, "talk_s": 300.0,
        "answered_pct": 100 * 2 / 3, "missed_pct": 100 / 3,
        "avg_wait_s": (10 + 34) / 2,   # R 4 + 6, B 30 + 4 (cal's INVITE said 30 s)
        "service_level_pct": 100 / 3,  # R within 20 s; B not; A not answered: 1 of 3
    })  # fmt: skip
    # cal: R completed elsewhere, B refused on break: neither is her missed call.
    assert_close(rows["cal", None], {
        "offered": 0, "missed": 0, "presented": 1, "refused": 1, "completed_elsewhere": 1,
        "missed_pct": 0.0,
    })  # fmt: skip
    # dan: O answered after 2 s in the queue + 20 s since ann's leg rang = 22 s > 20.
    assert_close(rows["dan", None], {
        "offered": 1, "answered": 1, "abandoned": 0, "missed": 0, "presented": 1,
        "talk_s": 300.0, "avg_wait_s": 22.0, "service_level_pct": 0.0, "answered_pct": 100.0,
    })  # fmt: skip


def test_the_day_and_the_queues_count_each_customer_call_once(kit: Kit, path: str) -> None:
    (total,) = kit.report(path, group="day").values()
    # R, O, A, B offered; R, O, B answered; A abandoned; missed O-ann, A-ann, A-ben;
    # presented every leg but B-cal: 8.
    assert_close(total, {
        "offered": 4, "answered": 3, "abandoned": 1, "missed": 3, "presented": 8, "refused": 1,
        "completed_elsewhere": 2, "handled": 3, "talk_s": 600.0, "answered_pct": 75.0,
        "missed_pct": 100 * 3 / 8, "avg_wait_s": (10 + 22 + 34) / 3,
        "service_level_pct": 25.0,     # R only, of 4 offered
    })  # fmt: skip
    queues = kit.report(path, group="queue")
    assert set(queues) == {(None, "sales"), (None, "support")}  # the queue from X-Queue
    # sales: R (answered, 10 s) and A (abandoned); legs R×3, A×2.
    assert_close(queues[None, "sales"], {
        "offered": 2, "answered": 1, "abandoned": 1, "missed": 2, "presented": 5,
        "completed_elsewhere": 2, "service_level_pct": 50.0, "avg_wait_s": 10.0,
    })  # fmt: skip
    # support: O (22 s) and B (34 s) answered; O-ann missed, B-cal refused.
    assert_close(queues[None, "support"], {
        "offered": 2, "answered": 2, "abandoned": 0, "missed": 1, "presented": 3, "refused": 1,
        "service_level_pct": 0.0, "avg_wait_s": 28.0,
    })  # fmt: skip
    by_agent = kit.report(path, group="agent", queue="support")
    assert {k[0] for k in by_agent} == {"ann", "ben", "cal", "dan"}
    assert_close(by_agent["ben", None], {"offered": 1, "answered": 1, "missed": 0})


def test_each_leg_says_what_became_of_it_and_carries_the_pbx_headers(kit: Kit) -> None:
    sue = kit.c["sue"]
    expected = {"R-ann": "elsewhere", "R-ben": "answered", "R-cal": "elsewhere",
                "O-ann": "missed", "O-dan": "answered", "A-ann": "missed", "A-ben": "missed",
                "B-cal": "refused", "B-ben": "answered"}  # fmt: skip
    got = {call_id: sue.get_call(call_id) for call_id in expected}
    assert {k: c.get("leg") for k, c in got.items()} == expected
    o = got["O-dan"]
    assert (o.get("pbx_call_id"), o.get("queue"), o.get("queue_wait_s")) == ("pbx-O", "support", 17)
    assert got["B-cal"].get("refusal") == "break" and got["B-cal"]["ended_by"] == "agent"
    assert "queue_wait_s" not in got["A-ann"] or got["A-ann"]["queue_wait_s"] is None
    sales = sue.search_calls(queue="sales", from_us=D, to_us=D + DAY)
    assert {c["id"] for c in sales["items"]} == {"R-ann", "R-ben", "R-cal", "A-ann", "A-ben"}
    # ann sees her own legs only, each with its outcome.
    mine = kit.c["ann"].search_calls(from_us=D, to_us=D + DAY)
    assert {c["id"] for c in mine["items"]} == {"R-ann", "O-ann", "A-ann"}


def test_a_leg_that_arrives_late_or_moves_regroups_its_calls(kit: Kit) -> None:
    """ben's answered leg of a ring-all arrives first and counts the call; cal's cancelled
    leg arrives later and is completed elsewhere, not cal's missed call. Moved to another PBX
    call id, it is a customer call of its own again, missed and abandoned; moved back, not."""
    sue, day = kit.c["sue"], D + 3 * DAY
    base = day + 9 * 3600 * S
    invite = headers("pbx-L", "sales", "0")
    ben = leg("L-ben", "ben", invite, base, base + 60 * S, base + 5 * S, "local", (200, "OK"))
    cal = leg("L-cal", "cal", invite, base, base + 5 * S)
    for record in (ben, cal):
        call_id = record.pop("id")
        sue.put_call(call_id, record)  # type: ignore[arg-type]

    def counts(**options: Any) -> tuple[Any, ...]:
        rows = sue.report("calls", day, day + DAY, group="agent", **options)["rows"]
        return tuple((r["agent"], r["offered"], r["missed"], r["abandoned"],
                      r["completed_elsewhere"]) for r in rows)  # fmt: skip

    assert counts() == (("ben", 1, 0, 0, 0), ("cal", 0, 0, 0, 1))
    sue.patch_call("L-cal", pbx_call_id="pbx-L2")
    assert counts() == (("ben", 1, 0, 0, 0), ("cal", 1, 1, 1, 0))
    sue.patch_call("L-cal", pbx_call_id="pbx-L")
    assert counts() == (("ben", 1, 0, 0, 0), ("cal", 0, 0, 0, 1))
    assert counts(rollups=False) == counts()


def test_legs_of_one_call_written_at_once_count_it_once(kit: Kit) -> None:
    """Three desktops send their legs of 20 ring-all calls at the same time (on PostgreSQL
    each in its own transaction of another API connection): each call is offered once."""
    day = D + 5 * DAY
    work: dict[str, list[tuple[str, dict[str, Any]]]] = {"ann": [], "ben": [], "cal": []}
    for n in range(20):
        base = day + (9 * 3600 + n * 60) * S
        invite = headers(f"pbx-T{n}", "sales", "1")
        taker = ("ann", "ben", "cal")[n % 3]
        for agent in work:
            if agent == taker:
                record = leg(f"T{n}-{agent}", agent, invite, base, base + 30 * S, base + 3 * S,
                             "local", (200, "OK"))  # fmt: skip
            else:
                record = leg(f"T{n}-{agent}", agent, invite, base, base + 3 * S)
            work[agent].append((record.pop("id"), record))

    def send(agent: str) -> None:
        for call_id, record in work[agent]:
            kit.c[agent].put_call(call_id, record)  # type: ignore[arg-type]

    threads = [threading.Thread(target=send, args=(agent,)) for agent in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for rollups_path in (True, False):
        report = kit.c["sue"].report("calls", day, day + DAY, group="day", rollups=rollups_path)
        (row,) = report["rows"]
        got = {k: row[k] for k in ("offered", "answered", "missed", "completed_elsewhere")}
        assert got == {"offered": 20, "answered": 20, "missed": 0, "completed_elsewhere": 40}


def _leg(call_id: str, started: int, ended: int, answered: int | None = None,
         cause: str = "487 Request Terminated", refusal: str | None = None) -> LegRow:  # fmt: skip
    return LegRow(call_id, "x", None, started, answered, ended, "remote", cause, refusal, None)


def test_outcomes_tell_a_roll_over_from_a_ring_all_even_with_auto_answer() -> None:
    # Roll-over onto a desktop that auto-answers: b rings 50 ms after a's leg ended and
    # answers 100 ms later, within a second of a's end — a's leg is still a missed one.
    a, b = _leg("a", 0, 15 * S), _leg("b", 15 * S + 50_000, 60 * S, answered=15 * S + 150_000)
    assert {k: v["leg"] for k, v in outcomes([a, b]).items()} == {"a": "missed", "b": "answered"}
    # Ring-all where b's desktop clock is 0.4 s behind a's: a is still completed elsewhere.
    a, b = _leg("a", 0, 8 * S), _leg("b", -400_000, 60 * S, answered=8 * S - 400_000)
    assert outcomes([a, b])["a"]["leg"] == "elsewhere"
    # The end cause saying so is enough, even when the answering leg is not in the store.
    said = _leg("c", 0, 8 * S, cause='200 SIP;cause=200;text="Call completed elsewhere"')
    (c,) = outcomes([said]).values()
    assert (c["leg"], c["offer"], c["offer_abandoned"]) == ("elsewhere", 1, 0)
    # Everyone refused: the call is offered (at the last refusal), nobody missed it.
    one, two = _leg("r1", 0, 0, refusal="break"), _leg("r2", S, S, refusal="wrap_up")
    got = outcomes([one, two])
    assert [(v["leg"], v["offer"]) for v in got.values()] == [("refused", 0), ("refused", 1)]


def test_migration_12_counts_earlier_calls_as_before(tmp_path: Path) -> None:
    """Calls stored before migration 12 each count as a customer call of their own, as they
    were counted; the rollups are then rebuilt with the per-leg sums."""
    db = connect(f"sqlite:///{tmp_path / 'meta.db'}")
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT "
               "NOT NULL, applied_us INTEGER NOT NULL)")  # fmt: skip
    (legs_version,) = [v for v, _, sql in MIGRATIONS if sql == rollups.LEGS_SCHEMA]
    for version, name, sql in MIGRATIONS:
        if version < legs_version:
            for statement in _statements(sql, "sqlite"):
                db.execute(statement)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, name))
    rows = [("X1", "inbound", at(9, 0), at(9, 0, 5), "agent", 10 * S),
            ("X2", "inbound", at(9, 10), None, "remote", None),
            ("X3", "outbound", at(9, 20), at(9, 20, 9), "agent", None)]  # fmt: skip
    for call_id, direction, started, answered, ended_by, wait in rows:
        db.execute("INSERT INTO calls (id, agent, direction, started_us, answered_us, ended_by, "
                   "queue_wait_us, sip_call_id, doc, created_us, updated_us) VALUES "
                   "(?, 'ann', ?, ?, ?, ?, ?, 'same@pbx', '{}', 0, 0)",
                   (call_id, direction, started, answered, ended_by, wait))  # fmt: skip
    assert migrate(db)[0] == legs_version
    got = db.query("SELECT id, customer, leg, offer, offer_answered, offer_abandoned, "
                   "offer_wait_us, offer_waited FROM calls ORDER BY id")  # fmt: skip
    assert [tuple(r.values()) for r in got] == [
        ("X1", "c:X1", "answered", 1, 1, 0, 15 * S, 1),
        ("X2", "c:X2", "missed", 1, 0, 1, None, 0),
        ("X3", None, None, 0, 0, 0, None, 0),
    ]  # fmt: skip
    assert rollups.current(db) is None
    rollups.ensure(db, rollups.Basis())
    sue = Principal("sue", Role.supervisor)
    q = ReportQuery(from_us=D, to_us=D + DAY, group=("agent",))
    fast, slow = calls_report(db, q, sue), calls_report(db, q, sue, use_rollups=False)
    assert fast["source"] == "rollups" and fast["rows"] == slow["rows"]
    (row,) = (dict(zip(fast["fields"], r, strict=True)) for r in fast["rows"])
    assert (row["offered"], row["answered"], row["missed"], row["abandoned"]) == (2, 1, 1, 1)
    # Written again, X1 and X2 are grouped by their SIP Call-ID: one customer call, answered
    # (X1); X2 rang 10 minutes after X1's answer, so it is a missed leg, not an abandon.
    for call_id, started, answered in (("X1", at(9, 0), at(9, 0, 5)), ("X2", at(9, 10), None)):
        again = CallIn.model_validate(
            {
                "agent": "ann",
                "direction": "inbound",
                "started_us": started,
                "answered_us": answered,
                "ended_us": started + 30 * S,
                "ended_by": "remote",
                "sip_call_id": "same@pbx",
            }
        )
        put(db, call_id, again, sue)
    again_report = calls_report(db, q, sue)
    (row,) = (dict(zip(again_report["fields"], r, strict=True)) for r in again_report["rows"])
    assert (row["offered"], row["answered"], row["missed"], row["abandoned"]) == (1, 1, 1, 0)
    assert calls_report(db, q, sue)["rows"] == calls_report(db, q, sue, use_rollups=False)["rows"]
    db.close()

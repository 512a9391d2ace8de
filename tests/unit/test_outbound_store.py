"""Outbound campaigns in the store on a real SQLite database with a fake clock: calling hours
in each contact's own time zone, the outcome scheduling the next attempt by the campaign's
rules, callbacks back to their operator, lapsed claims, the do-not-call list at claim and at
dial, and CSV imports refused whole with every bad line named."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store import agents
from store.db import Database, connect
from store.errors import Conflict, Invalid
from store.migrations import migrate
from store.models import Role
from store.models.outbound import CampaignIn, OutcomeIn
from store.models.people import StateIn
from store.outbound import campaigns, claims, contacts_csv, dnc, progress
from store.users import Principal, add_user

BOSS = Principal("sam", Role.supervisor)
S = 1_000_000


def at(text: str) -> int:
    """UTC microseconds of an ISO time in UTC."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) * S


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = connect(str(tmp_path / "store.sqlite3"))
    migrate(database)
    for name, role in (("alice", "agent"), ("bob", "agent"), ("sam", "supervisor")):
        add_user(database, name, role)
    yield database
    database.close()


def campaign(db: Database, **settings: object) -> int:
    body = CampaignIn.model_validate({
        "name": "renewals", "hours": {"start": "09:00", "end": "21:00", "days": [1, 2, 3, 4, 5]},
        "max_attempts": 2, "retry_s": {"busy": 600, "no_answer": 3600, "failed": 7200,
                                       "think_about_it": 86_400},
        "default_tz": "Europe/Moscow", **settings,
    })  # fmt: skip
    return campaigns.create(db, body, BOSS, at("2026-12-07T00:00:00")).id


def load(db: Database, campaign_id: int, text: str, now: int) -> None:
    contacts_csv.import_contacts(db, campaigns.get(db, campaign_id), text.encode(), now)


def finish(db: Database, agent: str, now: int, **outcome: object) -> claims.OutcomeOut:
    task = claims.claim(db, agent, now)
    assert task is not None
    if outcome["outcome"] != "skipped":
        claims.dial(db, task.claim_id, agent, now)
    return claims.report(db, task.claim_id, agent, OutcomeIn.model_validate(outcome), now)


def test_calling_hours_are_each_contacts_own(db: Database) -> None:
    cid = campaign(db)
    # Monday 2026-12-07 07:00 UTC: 17:00 in Vladivostok, 10:00 in Moscow, 02:00 in New York.
    now = at("2026-12-07T07:00:00")
    load(db, cid, "phone,tz,name\n+1 212 555 0100,America/New_York,Ann\n"
         "+7 423 555 0101,Asia/Vladivostok,Boris\n+7 495 555 0102,,Clara\n", now)  # fmt: skip
    first, second = claims.claim(db, "alice", now), claims.claim(db, "bob", now)
    assert first is not None and second is not None
    claims.dial(db, first.claim_id, "alice", now)
    assert {first.name, second.name} == {"Boris", "Clara"}
    assert second.tz == ("Europe/Moscow" if second.name == "Clara" else "Asia/Vladivostok")
    assert claims.claim(db, "alice", now) is None  # New York sleeps: moved to its 09:00
    claims.report(
        db, first.claim_id, "alice", OutcomeIn(outcome="answered", disposition="sold"), now
    )
    claims.dial(db, second.claim_id, "bob", now)
    claims.report(
        db, second.claim_id, "bob", OutcomeIn(outcome="answered", disposition="sold"), now
    )
    ann = db.one("SELECT next_due_us FROM outbound_contacts WHERE name = 'Ann'")
    assert ann is not None and ann["next_due_us"] == at("2026-12-07T14:00:00")
    assert claims.claim(db, "alice", at("2026-12-07T13:59:59")) is None
    late = claims.claim(db, "alice", at("2026-12-07T14:00:00"))
    assert late is not None and late.name == "Ann"
    # Friday 22:00 in Moscow: the next opening is Monday 09:00 there (weekdays only).
    assert claims.hours.opening(
        campaigns.get(db, cid).hours, "Europe/Moscow", at("2026-12-11T19:00:00")
    ) == at("2026-12-14T06:00:00")


def test_each_outcome_schedules_by_the_rules(db: Database) -> None:
    cid = campaign(db)
    now = at("2026-12-07T07:00:00")  # 10:00 in Moscow
    load(db, cid, "phone\n84955550001\n84955550002\n84955550003\n84955550004\n", now)
    busy = finish(db, "alice", now, outcome="busy", call_id="c1")
    assert (busy.status, busy.next_due_us, busy.attempts) == ("waiting", now + 600 * S, 1)
    silent = finish(db, "alice", now, outcome="no_answer")
    assert (silent.status, silent.next_due_us) == ("waiting", now + 3600 * S)
    think = finish(db, "alice", now, outcome="answered", disposition="think_about_it")
    assert think.next_due_us == now + 86_400 * S
    sold = finish(db, "alice", now, outcome="answered", disposition="sold")
    assert (sold.status, sold.next_due_us) == ("done", None)
    # 20:55 in Moscow + 1 h of failure: outside the hours, due at 09:00 the next morning.
    evening = at("2026-12-07T17:55:00")
    retry = finish(db, "bob", evening, outcome="failed")  # the busy one, due again
    assert retry.status == "exhausted"  # its second attempt: max_attempts is 2
    skipped = finish(db, "bob", evening, outcome="skipped", reason="wrong region")
    assert skipped.next_due_us == at("2026-12-08T06:00:00") and skipped.attempts == 1
    report = progress.progress(db, cid, evening)
    assert (report.total, report.done, report.exhausted, report.scheduled) == (4, 1, 1, 2)
    assert report.outcomes == {"busy": 1, "no_answer": 1, "think_about_it": 1, "sold": 1,
                               "failed": 1, "skipped": 1}  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(progress.results_csv(db, cid))))
    assert [r["status"] for r in rows] == ["exhausted", "waiting", "waiting", "done"]
    assert rows[0]["last_outcome"] == "failed" and rows[3]["last_disposition"] == "sold"
    history = progress.history(db, int(db.one("SELECT MIN(id) AS i FROM outbound_contacts")["i"]))
    made = [(a.outcome, a.call_id) for a in history.attempts_made]
    assert made == [("busy", "c1"), ("failed", None)]


def test_callbacks_return_to_their_operator_while_logged_in(db: Database) -> None:
    cid = campaign(db, max_attempts=5)
    now = at("2026-12-07T07:00:00")
    load(db, cid, "phone\n+74955550001\n", now)
    agents.set_state(db, "alice", StateIn(state="ready", at_us=now), Principal("alice", Role.agent))
    back = now + 1800 * S
    done = finish(db, "alice", now, outcome="callback", callback_us=back)
    assert done.next_due_us == back
    assert claims.claim(db, "bob", back) is None  # alice's, and alice is logged in
    task = claims.claim(db, "alice", back)
    assert task is not None and task.callback
    claims.release(db, task.claim_id, "alice", back)
    agents.set_state(
        db, "alice", StateIn(state="offline", at_us=back), Principal("alice", Role.agent)
    )
    given = claims.claim(db, "bob", back)  # alice went home: the campaign's again
    assert given is not None and not given.callback


def test_a_lapsed_claim_goes_back_and_its_holder_loses_it(db: Database) -> None:
    cid = campaign(db, lease_s=30)
    now = at("2026-12-07T07:00:00")
    load(db, cid, "phone\n+74955550001\n", now)
    task = claims.claim(db, "alice", now)
    assert task is not None
    claims.dial(db, task.claim_id, "alice", now)
    claims.heartbeat(db, task.claim_id, "alice", now + 20 * S)  # lease to +50 s
    assert claims.claim(db, "bob", now + 45 * S) is None
    again = claims.claim(db, "bob", now + 51 * S)
    assert again is not None and again.contact_id == task.contact_id and again.attempts == 1
    with pytest.raises(Conflict, match="no longer yours"):
        claims.report(db, task.claim_id, "alice", OutcomeIn(outcome="busy"), now + 52 * S)
    outcomes = [a.outcome for a in progress.history(db, task.contact_id).attempts_made]
    assert outcomes == ["abandoned", None]


def test_do_not_call_numbers_are_never_claimed_nor_dialled(db: Database) -> None:
    cid = campaign(db)
    now = at("2026-12-07T07:00:00")
    load(db, cid, "phone\n+7 495 555-00-01\n+7 495 555-00-02\n", now)
    dnc.add(db, ["84955550001"], "asked not to", BOSS, now)
    task = claims.claim(db, "alice", now)
    assert task is not None and task.phone == "+7 495 555-00-02"
    dnc.add(db, ["+74955550002"], "asked during the claim", BOSS, now)
    with pytest.raises(Conflict, match="do-not-call") as refused:
        claims.dial(db, task.claim_id, "alice", now)
    assert refused.value.code == "do_not_call"
    assert claims.claim(db, "bob", now + 3600 * S) is None
    report = progress.progress(db, cid, now)
    assert (report.blocked, report.outcomes) == (2, {"blocked": 1})
    dnc.remove(db, "+7 495 555 00 01", BOSS)
    freed = claims.claim(db, "bob", now)
    assert freed is not None and freed.phone == "+7 495 555-00-01"


def test_a_malformed_csv_is_refused_whole_with_line_numbers(db: Database) -> None:
    cid = campaign(db)
    bad = ("phone;name;tz;crm_id;plan\n+74955550001;Ann;;crm-1;gold\n"
           "not a number;Bob;;crm-2;gold\n+74955550003;Cid;Mars/Olympus;crm-3;\n"
           "+74955550004;Dan\n+7 495 555 00 01;Eve;;crm-5;silver\n")  # fmt: skip
    with pytest.raises(Invalid) as refused:
        load(db, cid, bad, 0)
    message = refused.value.message
    assert "4 bad rows" in message, message
    for piece in ("line 3: 'not a number' is not a phone number", "line 4: unknown time zone",
                  "line 5: 2 fields", "line 6: +7 495 555 00 01 is already on line 2"):  # fmt: skip
        assert piece in message, message
    assert progress.progress(db, cid, 0).total == 0  # nothing half-imported
    # Windows-1251 with semicolons, as a Russian spreadsheet saves it: detected.
    good = "телефон;имя;crm;тариф\n84955550001;Анна;crm-1;золото\n".encode("cp1251")
    parsed = contacts_csv.import_contacts(db, campaigns.get(db, cid), good, 0)
    assert (parsed.encoding, parsed.delimiter) == ("cp1251", ";")
    task = claims.claim(db, "alice", at("2026-12-07T07:00:00"))
    assert task is not None
    assert (task.name, task.crm_id, task.extra) == ("Анна", "crm-1", {"тариф": "золото"})
    with pytest.raises(Invalid, match=r"line 2: (new-line character|unexpected end)"):
        contacts_csv.parse(b'phone,name\n+74955550001,"Ann\n', "UTC", None, None)


def test_the_campaign_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from store.cli import main

    data = ["--data", str(tmp_path / "cli")]
    settings = tmp_path / "campaign.json"
    settings.write_text('{"mode": "progressive", "max_attempts": 4, "default_tz": "Asia/Omsk"}')
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("phone\tname\n+74955550001\tAnn\n+74955550002\tBob\n")
    assert main(["campaign", "create", "spring", "--settings", str(settings), *data]) == 0
    assert main(["campaign", "import", "spring", str(contacts), *data]) == 0
    assert "2 contacts imported into 'spring' (utf-8, delimiter '\\t')" in capsys.readouterr().out
    assert main(["dnc", "add", "8 495 555-00-02", "--reason", "asked", *data]) == 0
    assert main(["campaign", "pause", "spring", *data]) == 0
    assert main(["campaign", "progress", "spring", *data]) == 0
    out = capsys.readouterr().out
    assert '"paused": true' in out and '"blocked": 1' in out and '"due_now": 1' in out
    assert main(["campaign", "export", "spring", *data]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["name"], r["tz"], r["status"]) for r in rows] == [
        ("Ann", "Asia/Omsk", "waiting"), ("Bob", "Asia/Omsk", "waiting"),
    ]  # fmt: skip
    settings.write_text('{"mode": "robocall"}')
    assert main(["campaign", "create", "bad", "--settings", str(settings), *data]) == 1
    assert "mode: Input should be 'preview' or 'progressive'" in capsys.readouterr().err


def test_a_campaign_goes_to_its_team_and_its_queue(db: Database) -> None:
    from store.policy import set_team
    from store.users import set_extension

    now = at("2026-12-07T07:00:00")
    set_team(db, "alice", "night")
    set_extension(db, "bob", "1002")
    db.execute(
        "INSERT INTO pbx_queue_members (queue, agent, extension, state, reason, since_us) "
        "VALUES ('sales', 'PJSIP/1002', '1002', 'ready', NULL, 0)"
    )
    night = campaign(db, name="night-shift", team="night")
    sales = campaign(db, name="sales-calls", queue="sales")
    load(db, night, "phone\n+74955550001\n", now)
    load(db, sales, "phone\n+74955550002\n", now)
    assert campaigns.workable_ids(db, "alice") == [night]
    assert campaigns.workable_ids(db, "bob") == [sales]
    bob = claims.claim(db, "bob", now)
    assert bob is not None and bob.campaign.name == "sales-calls"
    assert claims.claim(db, "bob", now) is None  # the night team's contact is not his
    campaigns.change(db, night, BOSS, now, paused=True)
    assert claims.claim(db, "alice", now) is None  # paused: nobody gets it


def test_due_contacts_are_pushed_to_the_agents_who_may_take_them(db: Database) -> None:
    from store.policy import set_team

    def pushed() -> list[tuple[str, int]]:
        rows = db.query("SELECT recipient, body FROM live_events WHERE type = 'outbound.task' "
                        "ORDER BY id")  # fmt: skip
        out = [(r["recipient"], json.loads(r["body"])["campaign"]) for r in rows]
        db.execute("DELETE FROM live_events")
        return out

    now = at("2026-12-07T07:00:00")
    set_team(db, "alice", "night")
    night = campaign(db, name="night-shift", team="night")
    every = campaign(db, name="everyone", max_attempts=5)
    load(db, night, "phone\n+74955550001\n", now)
    assert pushed() == [("alice", night)]  # bob is not of the night team
    load(db, every, "phone\n+74955550002\n+74955550003\n", now - 60 * S)
    assert pushed() == [("alice", every), ("bob", every)]
    campaigns.change(db, every, BOSS, now, paused=True)
    assert pushed() == []
    campaigns.change(db, every, BOSS, now, paused=False)
    assert pushed() == [("alice", every), ("bob", every)]

    task = claims.claim(db, "alice", now)  # the longest waiting of her two campaigns' heads
    assert task is not None and task.campaign.id == every and task.phone == "+74955550002"
    claims.release(db, task.claim_id, "alice", now)
    assert pushed() == [("bob", every)]  # given back: to the others

    agents.set_state(db, "alice", StateIn(state="ready", at_us=now), Principal("alice", Role.agent))
    watch = claims.CallbackWatch(db, now)
    finish(db, "alice", now, outcome="callback", callback_us=now + 60 * S)
    assert watch.look(now + 30 * S) == 0 and pushed() == []
    assert watch.look(now + 61 * S) == 1 and pushed() == [("alice", every)]  # her promise
    assert watch.look(now + 62 * S) == 0  # told once
    agents.set_state(
        db, "alice", StateIn(state="offline", at_us=now + 70 * S), Principal("alice", Role.agent)
    )
    finish(db, "bob", now + 70 * S, outcome="callback", callback_us=now + 120 * S)
    agents.set_state(
        db, "bob", StateIn(state="offline", at_us=now + 80 * S), Principal("bob", Role.agent)
    )
    assert watch.look(now + 121 * S) == 1
    assert pushed() == [("alice", every), ("bob", every)]  # bob went home: the campaign's

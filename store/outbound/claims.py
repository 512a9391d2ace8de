"""An agent's next task: the next due contact claimed atomically, its lease kept alive by
heartbeats, the dial checked against the do-not-call list, and the outcome scheduling the next
attempt by the campaign's rules.

Claiming: PostgreSQL locks candidate rows with ``FOR UPDATE SKIP LOCKED`` (two agents never
wait for or get the same contact); SQLite runs it inside ``BEGIN IMMEDIATE`` (one writer at a
time). A claim whose desktop stopped sending heartbeats lapses at `lease_until_us` and its
contact is claimable again; its unfinished attempt is closed as ``abandoned``. A contact due
outside its calling hours (in its own time zone) is moved to when they next open, not claimed.
Callbacks go first to the operator who promised them, to anybody once that operator is
offline.
"""

from __future__ import annotations

import json
import secrets

from store.db import Database, Row
from store.errors import Conflict, Invalid
from store.models.outbound import Campaign, Outcome, OutcomeIn, OutcomeOut, Task
from store.outbound import campaigns, due, hours, push
from store.outbound.dnc import blocked

MAX_POSTPONED = 250  # contacts moved to their calling hours' opening within one claim
DEFAULT_RETRY_S = {"busy": 600, "no_answer": 1800, "failed": 3600}
DIALLED = {Outcome.answered, Outcome.busy, Outcome.no_answer, Outcome.failed, Outcome.callback}


def claim(db: Database, agent: str, now_us: int) -> Task | None:
    """The next due contact of a campaign this agent works, now held by it; None if none."""
    running = {i: campaigns.get(db, i) for i in campaigns.workable_ids(db, agent)}
    if not running:
        return None
    with db.transaction():
        for _ in range(MAX_POSTPONED + 1):
            row = due.next_row(db, list(running), agent, now_us)
            if row is None:
                return None
            campaign = running[int(row["campaign_id"])]
            opens = hours.opening(campaign.hours, row["tz"], now_us)
            if opens == now_us:
                return _take(db, row, campaign, agent, now_us)
            _postpone(db, row, opens, now_us)
    return None


def _postpone(db: Database, row: Row, opens_us: int, now_us: int) -> None:
    if row["status"] == "claimed":
        _abandon(db, row["claim_id"], now_us)
    db.execute(
        "UPDATE outbound_contacts SET status = 'waiting', claim_id = NULL, claimed_by = NULL, "
        "lease_until_us = NULL, next_due_us = ?, updated_us = ? WHERE id = ?",
        (opens_us, now_us, row["id"]),
    )


def _abandon(db: Database, claim_id: str | None, now_us: int) -> None:
    db.execute(
        "UPDATE outbound_attempts SET outcome = 'abandoned', ended_us = ? "
        "WHERE claim_id = ? AND outcome IS NULL",
        (now_us, claim_id),
    )


def _take(db: Database, row: Row, campaign: Campaign, agent: str, now_us: int) -> Task:
    if row["status"] == "claimed":
        _abandon(db, row["claim_id"], now_us)
    claim_id = secrets.token_hex(16)
    lease = now_us + campaign.lease_s * 1_000_000
    db.execute(
        "UPDATE outbound_contacts SET status = 'claimed', claim_id = ?, claimed_by = ?, "
        "lease_until_us = ?, updated_us = ? WHERE id = ?",
        (claim_id, agent, lease, now_us, row["id"]),
    )
    db.execute(
        "INSERT INTO outbound_attempts (contact_id, campaign_id, claim_id, agent, claimed_us) "
        "VALUES (?, ?, ?, ?, ?)",
        (row["id"], campaign.id, claim_id, agent, now_us),
    )
    return Task(
        claim_id=claim_id,
        lease_until_us=lease,
        campaign=campaign,
        contact_id=int(row["id"]),
        phone=row["phone"],
        name=row["name"],
        tz=row["tz"],
        crm_id=row["crm_id"],
        extra=json.loads(row["extra"]),
        attempts=int(row["attempts"]),
        callback=row["callback_agent"] == agent,
    )


def _held(db: Database, claim_id: str, agent: str) -> Row:
    """The claimed contact while the claim is still this agent's: a lapsed lease nobody has
    claimed again yet still counts (a desktop cut off for a while keeps its call's outcome)."""
    row = db.one(
        "SELECT o.id, o.campaign_id, o.phone_norm, o.tz, o.attempts, a.dialled_us "
        "FROM outbound_contacts o JOIN outbound_attempts a ON a.claim_id = o.claim_id "
        "WHERE o.claim_id = ? AND o.claimed_by = ? AND o.status = 'claimed'",
        (claim_id, agent),
    )
    if row is None:
        raise Conflict("this task is no longer yours: its claim lapsed or was finished", "lapsed")
    return row


def heartbeat(db: Database, claim_id: str, agent: str, now_us: int) -> int:
    """Extends the lease; the new end. `Conflict` once the claim has lapsed."""
    with db.transaction():
        row = _held(db, claim_id, agent)
        lease = now_us + campaigns.get(db, int(row["campaign_id"])).lease_s * 1_000_000
        db.execute(
            "UPDATE outbound_contacts SET lease_until_us = ? WHERE id = ?", (lease, row["id"])
        )
    return lease


def dial(db: Database, claim_id: str, agent: str, now_us: int) -> int:
    """Permission to dial, given once per claim: the attempt counted; refused (`Conflict`
    ``do_not_call``, the claim closed as ``blocked``) when the number is on the list."""
    with db.transaction():
        row = _held(db, claim_id, agent)
        refused = blocked(db, row["phone_norm"])
        if refused:
            _close(db, row, claim_id, "waiting", None, now_us)
            db.execute(
                "UPDATE outbound_attempts SET outcome = 'blocked', ended_us = ? WHERE claim_id = ?",
                (now_us, claim_id),
            )
        elif row["dialled_us"] is not None:
            raise Conflict("this task was dialled already", "dialled")
        else:
            db.execute(
                "UPDATE outbound_attempts SET dialled_us = ? WHERE claim_id = ?", (now_us, claim_id)
            )
            db.execute(
                "UPDATE outbound_contacts SET attempts = attempts + 1 WHERE id = ?", (row["id"],)
            )
    if refused:  # after the commit: the claim stays closed as blocked
        raise Conflict("the number is on the do-not-call list: not dialled", "do_not_call")
    return int(row["attempts"]) + 1


def next_attempt(
    campaign: Campaign, body: OutcomeIn, attempts: int, tz: str, now_us: int
) -> tuple[str, int | None]:
    """The contact's status and next due time after this outcome, by the campaign's rules."""
    if body.outcome is Outcome.callback:
        assert body.callback_us is not None
        return "waiting", max(body.callback_us, now_us)
    if body.outcome is Outcome.skipped:
        delay_s = campaign.skip_retry_s
    elif body.outcome is Outcome.answered:
        if (body.disposition or "") not in campaign.retry_s:
            return "done", None
        delay_s = campaign.retry_s[body.disposition or ""]
    else:
        key = body.outcome.value
        delay_s = campaign.retry_s.get(key, DEFAULT_RETRY_S.get(key, 3600))
    if body.outcome is not Outcome.skipped and attempts >= campaign.max_attempts:
        return "exhausted", None
    return "waiting", hours.opening(campaign.hours, tz, now_us + delay_s * 1_000_000)


def report(db: Database, claim_id: str, agent: str, body: OutcomeIn, now_us: int) -> OutcomeOut:
    """Records the attempt's outcome and schedules the next one; the claim ends."""
    if body.outcome in (Outcome.blocked,):
        raise Invalid("outcome blocked is the store's to give (at dial), not the desktop's")
    with db.transaction():
        row = _held(db, claim_id, agent)
        dialled = row["dialled_us"] is not None
        if body.outcome in DIALLED and not dialled:
            raise Conflict(f"outcome {body.outcome.value} needs a dial first", "not_dialled")
        if body.outcome is Outcome.skipped and dialled:
            raise Conflict("a dialled task cannot be skipped: give the call's outcome", "dialled")
        campaign = campaigns.get(db, int(row["campaign_id"]))
        status, due = next_attempt(campaign, body, int(row["attempts"]), row["tz"], now_us)
        callback_agent = agent if body.outcome is Outcome.callback else None
        _close(db, row, claim_id, status, due, now_us, callback_agent, body)
        db.execute(
            "UPDATE outbound_attempts SET ended_us = ?, outcome = ?, disposition = ?, reason = ?, "
            "call_id = ?, next_due_us = ? WHERE claim_id = ?",
            (now_us, body.outcome.value, body.disposition, body.reason, body.call_id, due,
             claim_id),
        )  # fmt: skip
    return OutcomeOut(status=status, next_due_us=due, attempts=int(row["attempts"]))  # type: ignore[arg-type]


def release(db: Database, claim_id: str, agent: str, now_us: int) -> None:
    """The operator left Outbound before dialling: the contact is due again at once."""
    with db.transaction():
        row = _held(db, claim_id, agent)
        if row["dialled_us"] is not None:
            raise Conflict("a dialled task needs its outcome, not a release", "dialled")
        _close(db, row, claim_id, "waiting", now_us, now_us)
        db.execute("DELETE FROM outbound_attempts WHERE claim_id = ?", (claim_id,))
        campaign = campaigns.get(db, int(row["campaign_id"]))
        push.tasks_due(db, campaign, [a for a in push.agents_of(db, campaign) if a != agent])


def _close(
    db: Database,
    row: Row,
    claim_id: str,
    status: str,
    due: int | None,
    now_us: int,
    callback_agent: str | None = None,
    body: OutcomeIn | None = None,
) -> None:
    db.execute(
        "UPDATE outbound_contacts SET status = ?, next_due_us = ?, claim_id = NULL, "
        "claimed_by = NULL, lease_until_us = NULL, callback_agent = ?, "
        "last_outcome = COALESCE(?, last_outcome), last_disposition = COALESCE(?, "
        "last_disposition), updated_us = ? WHERE id = ? AND claim_id = ?",
        (status, due if due is not None else now_us, callback_agent,
         body.outcome.value if body else None, body.disposition if body else None, now_us,
         row["id"], claim_id),
    )  # fmt: skip


class CallbackWatch:
    """Callbacks whose time came since the last look: their operator is told over the live
    channel, or the campaign's agents when that operator is offline. The live channel's
    housekeeping calls `look` about once a second; each API process keeps its own cursor
    (two processes may both tell: a push is only a prompt to claim)."""

    def __init__(self, db: Database, now_us: int) -> None:
        self.db = db
        self.last_us = now_us

    def look(self, now_us: int) -> int:
        """How many callbacks came due in (last look, now_us]."""
        rows = self.db.query(
            "SELECT o.campaign_id, o.callback_agent, a.state FROM outbound_contacts o "
            "LEFT JOIN agent_current a ON a.agent = o.callback_agent "
            "WHERE o.status = 'waiting' AND o.callback_agent IS NOT NULL "
            "AND o.next_due_us > ? AND o.next_due_us <= ?",
            (self.last_us, now_us),
        )
        self.last_us = now_us
        for row in rows:
            campaign = campaigns.get(self.db, int(row["campaign_id"]))
            online = row["state"] is not None and row["state"] != "offline"
            push.tasks_due(self.db, campaign, [row["callback_agent"]] if online else None)
        return len(rows)

"""What supervisors read of a campaign: its counts (done, due now, scheduled, exhausted,
claimed, blocked; attempts by outcome and disposition), one contact's attempts, and the
results as CSV (one row per contact with its last outcome)."""

from __future__ import annotations

import json
from typing import Any

from store.db import Database
from store.errors import NotFound
from store.models.outbound import Attempt, ContactHistory, Progress
from store.outbound import campaigns
from store.report_formats import rows_csv

_BLOCKED = "EXISTS (SELECT 1 FROM outbound_dnc d WHERE d.number_norm = o.phone_norm)"


def progress(db: Database, campaign_id: int, now_us: int) -> Progress:
    campaign = campaigns.get(db, campaign_id)
    row = db.one(
        "SELECT COUNT(*) AS total, "
        "SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) AS done, "
        "SUM(CASE WHEN status = 'exhausted' THEN 1 ELSE 0 END) AS exhausted, "
        f"SUM(CASE WHEN status = 'waiting' AND {_BLOCKED} THEN 1 ELSE 0 END) AS blocked, "
        f"SUM(CASE WHEN status = 'waiting' AND NOT {_BLOCKED} AND next_due_us <= ? "
        "THEN 1 ELSE 0 END) AS due_now, "
        f"SUM(CASE WHEN status = 'waiting' AND NOT {_BLOCKED} AND next_due_us > ? "
        "THEN 1 ELSE 0 END) AS scheduled, "
        "SUM(CASE WHEN status = 'claimed' THEN 1 ELSE 0 END) AS claimed "
        "FROM outbound_contacts o WHERE campaign_id = ?",
        (now_us, now_us, campaign_id),
    )
    assert row is not None
    outcomes = {
        r["k"]: int(r["n"])
        for r in db.query(
            "SELECT COALESCE(disposition, outcome) AS k, COUNT(*) AS n FROM outbound_attempts "
            "WHERE campaign_id = ? AND outcome IS NOT NULL GROUP BY COALESCE(disposition, outcome)",
            (campaign_id,),
        )
    }
    counts = {
        k: int(row[k] or 0)
        for k in ("total", "done", "exhausted", "blocked", "due_now", "scheduled", "claimed")
    }
    return Progress(
        campaign_id=campaign.id,
        name=campaign.name,
        paused=campaign.paused,
        outcomes=outcomes,
        **counts,
    )


def history(db: Database, contact_id: int) -> ContactHistory:
    row = db.one(
        "SELECT id, campaign_id, phone, name, tz, crm_id, extra, status, attempts, next_due_us "
        "FROM outbound_contacts WHERE id = ?",
        (contact_id,),
    )
    if row is None:
        raise NotFound(f"no outbound contact {contact_id}")
    attempts = db.query(
        "SELECT id, agent, claimed_us, dialled_us, ended_us, outcome, disposition, reason, "
        "call_id, next_due_us FROM outbound_attempts WHERE contact_id = ? ORDER BY claimed_us, id",
        (contact_id,),
    )
    return ContactHistory(
        **{**row, "extra": json.loads(row["extra"])},
        attempts_made=[Attempt(**a) for a in attempts],
    )


def contacts(db: Database, campaign_id: int, limit: int, offset: int) -> list[dict[str, Any]]:
    return db.query(
        "SELECT id, phone, name, tz, crm_id, status, attempts, next_due_us, last_outcome, "
        "last_disposition, claimed_by FROM outbound_contacts WHERE campaign_id = ? "
        "ORDER BY id LIMIT ? OFFSET ?",
        (campaign_id, limit, offset),
    )


RESULT_COLUMNS = (
    "phone",
    "name",
    "crm_id",
    "tz",
    "status",
    "attempts",
    "last_outcome",
    "last_disposition",
    "last_agent",
    "last_call_id",
    "next_due_us",
)


def results_csv(db: Database, campaign_id: int) -> str:
    """Every contact with its status and last attempt, UTF-8 CSV with a header."""
    campaigns.get(db, campaign_id)
    rows = db.query(
        "SELECT o.phone, o.name, o.crm_id, o.tz, o.status, o.attempts, o.last_outcome, "
        "o.last_disposition, a.agent AS last_agent, a.call_id AS last_call_id, o.next_due_us "
        "FROM outbound_contacts o LEFT JOIN outbound_attempts a ON a.id = (SELECT MAX(id) "
        "FROM outbound_attempts x WHERE x.contact_id = o.id AND x.outcome IS NOT NULL) "
        "WHERE o.campaign_id = ? ORDER BY o.id",
        (campaign_id,),
    )
    return rows_csv(RESULT_COLUMNS, rows, line_end="\n")

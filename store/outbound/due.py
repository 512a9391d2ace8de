"""Which contact an agent gets next, found by index probes rather than by sorting every due
row (migration 22's partial indexes): its own callbacks first, then a claim whose desktop
stopped beating, then the campaign whose head contact has waited longest.

Each query takes one row (``LIMIT 1``); PostgreSQL locks it with ``FOR UPDATE SKIP LOCKED``
(another claimer's row is passed over, never waited for); SQLite's callers hold the write
lock already (``BEGIN IMMEDIATE``)."""

from __future__ import annotations

from store.db import Database, Row

COLUMNS = (
    "id, campaign_id, phone, phone_norm, name, tz, crm_id, extra, attempts, status, "
    "claim_id, callback_agent, next_due_us"
)
NOT_BLOCKED = "NOT EXISTS (SELECT 1 FROM outbound_dnc d WHERE d.number_norm = o.phone_norm)"
# not a callback promised by another operator who is still logged in
FREE = (
    "(o.callback_agent IS NULL OR o.callback_agent = ? OR NOT EXISTS (SELECT 1 FROM "
    "agent_current a WHERE a.agent = o.callback_agent AND a.state <> 'offline'))"
)
# by campaign and due time, on outbound_contacts_waiting
DUE_IN = (
    f"SELECT {COLUMNS} FROM outbound_contacts o WHERE o.campaign_id = ? "
    f"AND o.status = 'waiting' AND o.next_due_us <= ? AND {FREE} AND {NOT_BLOCKED} "
    "ORDER BY o.next_due_us, o.id LIMIT 1"
)
# on outbound_contacts_callbacks
OWN_CALLBACK = (
    f"SELECT {COLUMNS} FROM outbound_contacts o WHERE o.callback_agent = ? "
    "AND o.status = 'waiting' AND o.next_due_us <= ? AND o.campaign_id IN ({marks}) "
    f"AND {NOT_BLOCKED} ORDER BY o.next_due_us, o.id LIMIT 1"
)
# on outbound_contacts_due (a campaign's claimed contacts are few)
LAPSED = (
    f"SELECT {COLUMNS} FROM outbound_contacts o WHERE o.status = 'claimed' "
    "AND o.lease_until_us < ? AND o.campaign_id IN ({marks}) "
    "ORDER BY o.lease_until_us, o.id LIMIT 1"
)


def _lock(db: Database) -> str:
    return " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""


def due_in(
    db: Database, campaign_id: int, agent: str, now_us: int, lock: bool = True
) -> Row | None:
    """The campaign's longest-waiting due contact this agent may take (locked if `lock`)."""
    sql = DUE_IN + (_lock(db) if lock else "")
    return db.one(sql, (campaign_id, now_us, agent))


def next_row(db: Database, campaign_ids: list[int], agent: str, now_us: int) -> Row | None:
    """The contact to hand this agent now, locked (inside the caller's transaction)."""
    marks = ", ".join("?" for _ in campaign_ids)
    lock = _lock(db)
    row = db.one(OWN_CALLBACK.format(marks=marks) + lock, (agent, now_us, *campaign_ids))
    if row is None:
        row = db.one(LAPSED.format(marks=marks) + lock, (now_us, *campaign_ids))
    if row is not None or not campaign_ids:
        return row
    if len(campaign_ids) == 1:
        return due_in(db, campaign_ids[0], agent, now_us)
    heads = []  # each campaign's head, unlocked; then the oldest one taken, if still free
    for campaign_id in campaign_ids:
        head = due_in(db, campaign_id, agent, now_us, lock=False)
        if head is not None:
            heads.append((int(head["next_due_us"]), int(head["id"]), campaign_id))
    for _, _, campaign_id in sorted(heads):
        row = due_in(db, campaign_id, agent, now_us)
        if row is not None:
            return row
    return None

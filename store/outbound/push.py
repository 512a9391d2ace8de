"""Tasks pushed through the live channel: when contacts become due for agents — imported, a
campaign resumed, a claim released, a callback's time come — the agents who may take them get
``outbound.task`` {campaign} and their desktops ask for a task at once instead of at their
next poll. A push only says "ask now": the claim decides who gets what. Callbacks coming due
are found by store.outbound.claims.CallbackWatch on the live channel's housekeeping."""

from __future__ import annotations

from store import live
from store.db import Database
from store.models.outbound import Campaign

TASK = "outbound.task"


def agents_of(db: Database, campaign: Campaign) -> list[str]:
    """The enabled agents who work this campaign (the inverse of campaigns.workable_ids)."""
    if campaign.team is None and campaign.queue is None:
        rows = db.query(
            "SELECT name FROM users WHERE role = 'agent' AND disabled = 0 ORDER BY name"
        )
    else:
        rows = db.query(
            "SELECT u.name FROM users u WHERE u.role = 'agent' AND u.disabled = 0 AND "
            "(u.team = ? OR u.extension IN (SELECT m.extension FROM pbx_queue_members m "
            "WHERE m.queue = ?)) ORDER BY u.name",
            (campaign.team, campaign.queue),
        )
    return [r["name"] for r in rows]


def tasks_due(db: Database, campaign: Campaign, agents: list[str] | None = None) -> None:
    """Tell `agents` (default: all of the campaign's) that its contacts are due now."""
    if campaign.paused:
        return
    to = agents_of(db, campaign) if agents is None else agents
    if to:
        live.publish_many(db, to, {"type": TASK, "campaign": campaign.id})

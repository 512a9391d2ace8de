"""Campaigns: made and changed by supervisors and admins, paused and resumed; which of them an
agent works (its team's, its queues', and those bound to neither)."""

from __future__ import annotations

import json
from typing import Any

from store import audit
from store.db import Database, IntegrityError, Row
from store.errors import Conflict, NotFound
from store.models.outbound import Campaign, CampaignIn, CampaignSettings
from store.outbound import push
from store.users import Principal

_COLUMNS = "id, name, queue, team, mode, settings, paused, created_by, created_us, updated_us"


def _campaign(row: Row) -> Campaign:
    settings = json.loads(row["settings"])
    return Campaign(
        **settings,
        id=int(row["id"]),
        name=row["name"],
        paused=bool(row["paused"]),
        created_by=row["created_by"],
        created_us=int(row["created_us"]),
        updated_us=int(row["updated_us"]),
    )


def _settings_json(settings: CampaignSettings) -> str:
    return CampaignSettings.model_validate(settings.model_dump()).model_dump_json()


def create(db: Database, body: CampaignIn, who: Principal, now_us: int) -> Campaign:
    settings = CampaignSettings.model_validate(body.model_dump(exclude={"name"}))
    try:
        with db.transaction():
            db.execute(
                "INSERT INTO outbound_campaigns (name, queue, team, mode, settings, paused, "
                "created_by, created_us, updated_us) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
                (body.name, settings.queue, settings.team, settings.mode.value,
                 _settings_json(settings), who.name, now_us, now_us),
            )  # fmt: skip
            audit.record(db, who, "campaign.create", body.name)
    except IntegrityError:
        raise Conflict(f"a campaign named {body.name!r} exists already") from None
    return by_name(db, body.name)


def get(db: Database, campaign_id: int) -> Campaign:
    row = db.one(f"SELECT {_COLUMNS} FROM outbound_campaigns WHERE id = ?", (campaign_id,))
    if row is None:
        raise NotFound(f"no campaign {campaign_id}")
    return _campaign(row)


def by_name(db: Database, name: str) -> Campaign:
    row = db.one(f"SELECT {_COLUMNS} FROM outbound_campaigns WHERE name = ?", (name,))
    if row is None:
        raise NotFound(f"no campaign named {name!r}")
    return _campaign(row)


def all_campaigns(db: Database) -> list[Campaign]:
    rows = db.query(f"SELECT {_COLUMNS} FROM outbound_campaigns ORDER BY name")
    return [_campaign(r) for r in rows]


def change(
    db: Database,
    campaign_id: int,
    who: Principal,
    now_us: int,
    paused: bool | None = None,
    settings: CampaignSettings | None = None,
) -> Campaign:
    """Pause, resume or replace the settings (audited)."""
    current = get(db, campaign_id)
    sets: list[str] = ["updated_us = ?"]
    params: list[Any] = [now_us]
    if paused is not None:
        sets.append("paused = ?")
        params.append(int(paused))
    if settings is not None:
        sets += ["queue = ?", "team = ?", "mode = ?", "settings = ?"]
        params += [settings.queue, settings.team, settings.mode.value, _settings_json(settings)]
    with db.transaction():
        db.execute(f"UPDATE outbound_campaigns SET {', '.join(sets)} WHERE id = ?",
                   [*params, campaign_id])  # fmt: skip
        action = {None: "campaign.change", True: "campaign.pause", False: "campaign.resume"}
        audit.record(db, who, action[paused], current.name)
        changed = get(db, campaign_id)
        if current.paused and not changed.paused:  # resumed: its due contacts are offered
            push.tasks_due(db, changed)
    return changed


def workable_ids(db: Database, agent: str) -> list[int]:
    """The running campaigns this agent works: bound to its team, to a PBX queue its SIP
    extension is a member of (the PBX's queue events), or to neither."""
    rows = db.query(
        "SELECT c.id FROM outbound_campaigns c WHERE c.paused = 0 AND ("
        "(c.team IS NULL AND c.queue IS NULL) "
        "OR c.team = (SELECT team FROM users WHERE name = ?) "
        "OR c.queue IN (SELECT m.queue FROM pbx_queue_members m JOIN users u "
        "ON u.extension = m.extension WHERE u.name = ?)) ORDER BY c.id",
        (agent, agent),
    )
    return [int(r["id"]) for r in rows]

"""Calls: create/replace/patch with their metadata, links to media segments, and who may see them.

A call is one row: the searchable fields in columns, the whole document (holds, transfers,
dialog card, events …) as JSON in `doc`. Agents see and write only their own calls; another
agent's call answers 404 as if it did not exist.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from store import legs, monitoring
from store.db import Database, Row
from store.errors import Forbidden, Invalid, NotFound
from store.media import linkable
from store.models import CallFields, CallIn, MediaKind, MediaLink, Role
from store.numbers import normalise
from store.report_columns import refresh_wrap
from store.rollups import CallGroup, refresh_call, refresh_call_groups
from store.users import Principal, now_us

WRITERS = (Role.agent, Role.supervisor, Role.admin)


def _check_writer(who: Principal, agent: str | None) -> None:
    if who.role not in WRITERS:
        raise Forbidden(f"role {who.role.value} cannot write calls")
    if who.role is Role.agent and agent is not None and agent != who.name:
        raise Forbidden("agents can only write their own calls")


def visible_call(db: Database, call_id: str, who: Principal, columns: str = "*") -> Row:
    """The call's row if `who` may see it; NotFound otherwise (same answer for both cases)."""
    row = db.one(f"SELECT {columns}, agent AS owner_ FROM calls WHERE id = ?", (call_id,))
    if row is None or (not who.sees_all and row["owner_"] != who.name):
        raise NotFound(f"no call {call_id!r}")
    return row


def hold_total_us(call: CallIn) -> int:
    """Time on hold: every hold until its end, or until the call's end if it was still held."""
    total = 0
    for hold in call.holds or []:
        end = hold.end_us if hold.end_us is not None else call.ended_us
        if end is not None and call.ended_us is not None:
            end = min(end, call.ended_us)
        if end is not None:
            total += max(0, end - hold.start_us)
    return total


def _columns(call_id: str, call: CallIn) -> dict[str, Any]:
    duration = 0
    if call.answered_us is not None and call.ended_us is not None:
        duration = max(0, call.ended_us - call.answered_us)
    card = call.card or {}
    tags = sorted(set(call.tags or []))
    return {
        "agent": call.agent,
        "direction": call.direction.value,
        "local_number": call.local_number,
        "remote_number": call.remote_number,
        "local_norm": normalise(call.local_number),
        "remote_norm": normalise(call.remote_number),
        "queue": call.queue,
        "sip_call_id": call.sip_call_id,
        "pbx_call_id": call.pbx_call_id,
        "customer": legs.customer_key(
            call_id, call.direction.value, call.pbx_call_id, call.sip_call_id
        ),
        "refusal": call.refusal.value if call.refusal else None,
        "started_us": call.started_us,
        "answered_us": call.answered_us,
        "ended_us": call.ended_us,
        "duration_us": duration,
        "hold_us": min(duration, hold_total_us(call)),
        "queue_wait_us": None if call.queue_wait_s is None else round(call.queue_wait_s * 1e6),
        "ended_by": call.ended_by.value if call.ended_by else None,
        "cause": call.cause,
        "disposition": call.disposition,
        "karma": call.karma,
        "literacy": call.literacy,
        "temperament": call.temperament,
        "tags": "," + ",".join(tags) + "," if tags else "",
        "card_text": "\n".join(v.value.lower() for v in card.values()),
        "doc": call.model_dump_json(),
    }


def put(db: Database, call_id: str, call: CallIn, who: Principal) -> bool:
    """Create or replace a call; True if created. Idempotent for the same body."""
    _check_writer(who, call.agent)
    cols = _columns(call_id, call)
    stamp = now_us()
    with db.transaction():
        existing = db.one(
            "SELECT agent, started_us, queue, customer FROM calls WHERE id = ?", (call_id,)
        )
        if existing is not None and who.role is Role.agent and existing["agent"] != who.name:
            raise NotFound(f"no call {call_id!r}")
        old_key = None if existing is None else existing["customer"]
        legs.lock(db, [cols["customer"], old_key])
        if existing is None:
            names = ["id", *cols, "created_us", "updated_us"]
            marks = ", ".join("?" for _ in names)
            db.execute(
                f"INSERT INTO calls ({', '.join(names)}) VALUES ({marks})",
                [call_id, *cols.values(), stamp, stamp],
            )
        else:
            sets = ", ".join(f"{c} = ?" for c in cols)
            db.execute(
                f"UPDATE calls SET {sets}, updated_us = ? WHERE id = ?",
                [*cols.values(), stamp, call_id],
            )
        groups = _regroup(db, call_id, cols["customer"], old_key)
        refresh_wrap(db, call_id, rollup=False)  # its wrap_up states may have come first
        groups.add((call.started_us, call.agent, call.queue))  # its rollup, the old group's
        if existing is not None:  # too if it moved, and its other legs'
            groups.add((existing["started_us"], existing["agent"], existing["queue"]))
        refresh_call_groups(db, groups)
    return existing is None


def patch(db: Database, call_id: str, fields: CallFields, who: Principal) -> None:
    """Update the given fields; dialog-card values merge per field, the later change wins."""
    _check_writer(who, fields.agent)
    with db.transaction():
        row = visible_call(db, call_id, who, "doc, customer")
        current = json.loads(row["doc"])
        given = fields.model_dump(mode="json", exclude_unset=True)
        if "card" in given and given["card"] is not None:
            card = dict(current.get("card") or {})
            for key, value in given["card"].items():
                old = card.get(key)
                if old is None or value["changed_us"] >= old["changed_us"]:
                    card[key] = value
            given["card"] = card
        try:
            merged = CallIn.model_validate({**current, **given})
        except ValidationError as exc:
            raise Invalid(f"the patched call is not valid: {_first_error(exc)}") from None
        cols = _columns(call_id, merged)
        legs.lock(db, [cols["customer"], row["customer"]])
        sets = ", ".join(f"{c} = ?" for c in cols)
        db.execute(
            f"UPDATE calls SET {sets}, updated_us = ? WHERE id = ?",
            [*cols.values(), now_us(), call_id],
        )
        groups = _regroup(db, call_id, cols["customer"], row["customer"])
        groups.add((merged.started_us, merged.agent, merged.queue))
        groups.add((current["started_us"], current["agent"], current.get("queue")))
        refresh_call_groups(db, groups)


def _regroup(db: Database, call_id: str, key: str | None, old_key: str | None) -> set[CallGroup]:
    """The written leg's customer call counted again (and the one it left, if it moved):
    the rollup groups of the legs that changed."""
    if key is None:
        legs.clear(db, call_id)
    groups = legs.regroup(db, key)
    if old_key is not None and old_key != key:
        groups |= legs.regroup(db, old_key)
    return groups


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def get(db: Database, call_id: str, who: Principal) -> dict[str, Any]:
    """The whole call as CallOut fields."""
    row = visible_call(db, call_id, who)
    media = db.query(
        "SELECT l.sha256, l.kind, l.start_us, l.end_us, m.size, m.content_type, m.deleted_us "
        "FROM call_media l JOIN media m ON m.sha256 = l.sha256 WHERE l.call_id = ? "
        "ORDER BY l.start_us, l.sha256",
        (call_id,),
    )
    out: dict[str, Any] = json.loads(row["doc"])
    out.update(
        id=row["id"],
        local_norm=row["local_norm"],
        remote_norm=row["remote_norm"],
        duration_s=row["duration_us"] / 1e6,
        has_screen=bool(row["has_screen"]),
        leg=row["leg"],
        evaluated=bool(row["evaluated"]),
        created_us=row["created_us"],
        updated_us=row["updated_us"],
        media=[{**m, "deleted": m.pop("deleted_us") is not None} for m in media],
    )
    noted = monitoring.call_events(db, call_id)  # supervisors who listened, whispered…
    if noted:
        out["events"] = sorted([*(out.get("events") or []), *noted], key=lambda e: e["at_us"])
    return out


def link_media(db: Database, call_id: str, sha256: str, link: MediaLink, who: Principal) -> bool:
    """Link a stored segment to a call (a segment may belong to several); True if new."""
    _check_writer(who, None)
    with db.transaction():
        visible_call(db, call_id, who, "id")
        linkable(db, sha256, who)
        existed = db.one(
            "SELECT 1 AS x FROM call_media WHERE call_id = ? AND sha256 = ?", (call_id, sha256)
        )
        db.execute(
            "INSERT INTO call_media (call_id, sha256, kind, start_us, end_us) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (call_id, sha256) DO UPDATE SET "
            "kind = excluded.kind, start_us = excluded.start_us, end_us = excluded.end_us",
            (call_id, sha256, link.kind.value, link.start_us, link.end_us),
        )
        if link.kind is MediaKind.screen:
            db.execute("UPDATE calls SET has_screen = 1 WHERE id = ?", (call_id,))
            refresh_call(db, call_id)
    return existed is None

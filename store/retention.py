"""Retention: rules that delete media older than N days per queue or tag, keeping metadata.

A call matches a rule when the rule's queue (if set) equals the call's queue and the rule's
tag (if set) is among the call's tags; a rule with neither matches every call. A call's media
expire after the LONGEST matching rule (a legal-hold tag with a long rule wins over a short
queue rule); calls matching no rule keep their media. A segment shared by several calls is
deleted only when it has expired for every one of them. Deletions are logged in
`retention_log` and the audit table; the media row stays, marked deleted (410 on read).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from store import audit
from store.blobs import BlobStore
from store.db import Database, Row
from store.errors import Forbidden, NotFound
from store.models import Role, RuleIn
from store.users import Principal, now_us

DAY_US = 86_400_000_000
SYSTEM = Principal("system:retention", Role.admin)
log = logging.getLogger(__name__)


def add_rule(db: Database, rule: RuleIn, who: Principal) -> Row:
    if who.role is not Role.admin:
        raise Forbidden("only admins manage retention rules")
    row = db.one(
        "INSERT INTO retention_rules (queue, tag, days, created_by, created_us) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id, queue, tag, days, created_by, created_us",
        (rule.queue, rule.tag, rule.days, who.name, now_us()),
    )
    assert row is not None
    return row


def list_rules(db: Database) -> list[Row]:
    return db.query(
        "SELECT id, queue, tag, days, created_by, created_us FROM retention_rules ORDER BY id"
    )


def delete_rule(db: Database, rule_id: int, who: Principal) -> None:
    if who.role is not Role.admin:
        raise Forbidden("only admins manage retention rules")
    if not db.execute("DELETE FROM retention_rules WHERE id = ?", (rule_id,)):
        raise NotFound(f"no retention rule {rule_id}")


@dataclass
class Report:
    dry_run: bool
    deleted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(d["size"] for d in self.deleted)


def _matching(rules: list[Row], queue: str | None, tags: str) -> list[Row]:
    return [
        r
        for r in rules
        if (r["queue"] is None or r["queue"] == queue)
        and (r["tag"] is None or f",{r['tag']}," in tags)
    ]


def run(db: Database, blobs: BlobStore, now: int | None = None, dry_run: bool = False) -> Report:
    """Apply every rule once; returns what was (or, dry, would be) deleted."""
    now = now_us() if now is None else now
    report = Report(dry_run)
    rules = list_rules(db)
    if not rules:
        return report
    oldest_cutoff = now - min(r["days"] for r in rules) * DAY_US
    candidates = {
        r["sha256"]
        for r in db.query(
            "SELECT DISTINCT l.sha256 FROM call_media l JOIN calls c ON c.id = l.call_id "
            "JOIN media m ON m.sha256 = l.sha256 WHERE m.deleted_us IS NULL AND c.started_us < ?",
            (oldest_cutoff,),
        )
    }
    links: dict[str, list[Row]] = defaultdict(list)
    for sha in sorted(candidates):
        links[sha] = db.query(
            "SELECT c.id, c.queue, c.tags, c.started_us FROM call_media l "
            "JOIN calls c ON c.id = l.call_id WHERE l.sha256 = ?",
            (sha,),
        )
    for sha, calls in links.items():
        rule_ids: set[int] = set()
        expired = True
        for call in calls:
            matching = _matching(rules, call["queue"], call["tags"])
            keep_days = max((r["days"] for r in matching), default=None)
            if keep_days is None or call["started_us"] >= now - keep_days * DAY_US:
                expired = False
                break
            rule_ids.update(r["id"] for r in matching if r["days"] == keep_days)
        if expired:
            _delete(db, blobs, sha, sorted(rule_ids), [c["id"] for c in calls], report)
    return report


def _delete(
    db: Database,
    blobs: BlobStore,
    sha: str,
    rule_ids: list[int],
    call_ids: list[str],
    report: Report,
) -> None:
    size_row = db.one("SELECT size FROM media WHERE sha256 = ?", (sha,))
    size = int(size_row["size"]) if size_row else 0
    entry = {"sha256": sha, "size": size, "rule_ids": rule_ids, "call_ids": sorted(call_ids)}
    report.deleted.append(entry)
    if report.dry_run:
        return
    stamp = now_us()
    reason = "retention rule " + ", ".join(str(i) for i in rule_ids)
    # The row goes first: once marked, nobody can read the blob, so a crash before the blob
    # delete leaves an invisible orphan, never a visible row without bytes.
    with db.transaction():
        db.execute(
            "UPDATE media SET deleted_us = ?, deleted_reason = ? WHERE sha256 = ?",
            (stamp, reason, sha),
        )
        db.execute(
            "INSERT INTO retention_log (sha256, size, deleted_us, rule_ids, call_ids) "
            "VALUES (?, ?, ?, ?, ?)",
            (sha, size, stamp, json.dumps(rule_ids), json.dumps(entry["call_ids"])),
        )
        audit.record(db, SYSTEM, "media.delete", sha, f"{reason}; calls {entry['call_ids']}")
    blobs.delete(sha)
    log.info("retention deleted %s (%d bytes, %s)", sha, size, reason)

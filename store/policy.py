"""The company's recording policy: one document, every change a new version (number, who,
when, the document), an audit entry and a ``policy.changed`` on the live channel of every
user whose rules it changes; what applies to a user is resolved here, most specific
first: the user's own rule, their team's, the call's queue's, the default."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from store import audit, live
from store.db import Database
from store.errors import Invalid, NotFound
from store.models.policy import PolicyDocument
from store.users import Principal, now_us

SCHEMA = """
ALTER TABLE users ADD COLUMN team TEXT;
CREATE TABLE recording_policy (
    version INTEGER PRIMARY KEY,
    changed_us {bigint} NOT NULL,
    changed_by TEXT NOT NULL,
    document TEXT NOT NULL
)
"""
HISTORY_LIMIT = 1000
# What a user's poll needs to know whether its answer changed: the newest version (with its
# time, so two stores' versions of one number differ) and the user's team; index reads only.
_HEAD = (
    "SELECT (SELECT MAX(version) FROM recording_policy) AS version, "
    "(SELECT changed_us FROM recording_policy ORDER BY version DESC LIMIT 1) AS changed_us, "
    "(SELECT team FROM users WHERE name = ?) AS team"
)
# Answers (and their ETags) by (version, changed_us, user, team), per process: a new version or
# team changes the key, so an answer is never served after the version it was built from.
_ANSWERS: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = {}
_DOCUMENTS: dict[tuple[Any, Any], PolicyDocument] = {}
_CACHE_LIMIT = 20_000


def _version(row: Any) -> dict[str, Any]:
    return {
        "version": int(row["version"]),
        "changed_us": row["changed_us"],
        "changed_by": row["changed_by"],
        "policy": PolicyDocument.model_validate_json(row["document"]),
    }


def current(db: Database) -> dict[str, Any]:
    """The newest version, or version 0: the built-in default (record every call)."""
    row = db.one(
        "SELECT version, changed_us, changed_by, document FROM recording_policy "
        "ORDER BY version DESC LIMIT 1"
    )
    if row is None:
        return {"version": 0, "changed_us": None, "changed_by": None, "policy": PolicyDocument()}
    return _version(row)


def history(db: Database, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """Every version, newest first."""
    rows = db.query(
        "SELECT version, changed_us, changed_by, document FROM recording_policy "
        "ORDER BY version DESC LIMIT ?",
        (limit,),
    )
    return [_version(row) for row in rows]


def put(db: Database, document: PolicyDocument, who: Principal) -> dict[str, Any]:
    """Store ``document`` as the next version and audit it (two admins at once: one of them
    gets a 409 from the primary key and sends again)."""
    text = document.model_dump_json()
    with db.transaction():
        before = current(db)["policy"]
        row = db.one("SELECT MAX(version) AS v FROM recording_policy")
        version = (int(row["v"]) if row and row["v"] is not None else 0) + 1
        db.execute(
            "INSERT INTO recording_policy (version, changed_us, changed_by, document) "
            "VALUES (?, ?, ?, ?)",
            (version, now_us(), who.name, text),
        )
        audit.record(db, who, "policy.set", f"recording-policy/{version}", text)
        users = db.query("SELECT name, team FROM users WHERE disabled = 0 AND role <> 'pbx'")
        affected = [
            u["name"]
            for u in users
            if effective(before, u["name"], u["team"]) != effective(document, u["name"], u["team"])
        ]
        live.publish_many(db, affected, {"type": "policy.changed", "version": version})
    live.wake_local()
    return current(db)


def team_of(db: Database, name: str) -> str | None:
    row = db.one("SELECT team FROM users WHERE name = ?", (name,))
    return row["team"] if row else None


def set_team(db: Database, name: str, team: str | None) -> None:
    """Put the user in a team; "" or None takes them out."""
    if team is not None and not (0 < len(team) <= 100 and team.isprintable()):
        raise Invalid(f"bad team {team!r}: 1 to 100 printable characters")
    if not db.execute("UPDATE users SET team = ? WHERE name = ?", (team or None, name)):
        raise NotFound(f"no user {name!r}")
    live.publish(db, name, {"type": "policy.changed", "version": current(db)["version"]})


def effective(document: PolicyDocument, agent: str, team: str | None) -> dict[str, Any]:
    """What applies to ``agent`` of ``team``: their own rule or their team's for every call;
    else each queue's rule (the call's queue decides) and the default for other calls."""
    rule, scope, queues = document.default, "queues", document.queues
    if agent in document.agents:
        rule, scope, queues = document.agents[agent], f"agent {agent}", {}
    elif team is not None and team in document.teams:
        rule, scope, queues = document.teams[team], f"team {team}", {}
    return {
        "scope": scope,
        "mode": rule.mode.value,
        "sample_percent": rule.sample_percent,
        "queues": {q: r.model_dump(mode="json") for q, r in queues.items()},
        "fps": document.fps,
        "preroll_s": document.preroll_s,
        "wrap_up_max_s": document.wrap_up_max_s,
        "mask_titles": list(document.mask_titles),
        "pause_audio": document.pause_audio,
        "show_listening": document.show_listening,
        "headers": document.headers.model_dump(mode="json"),
    }


def for_user(db: Database, who: Principal) -> tuple[dict[str, Any], str]:
    """The current version with what applies to ``who``, and its ETag. A desktop polls this
    every few seconds: one statement of index reads decides whether the answer built for the
    same version and team can be given again (the same object: callers must not change it)."""
    head = db.one(_HEAD, (who.name,))
    assert head is not None
    key = (head["version"] or 0, head["changed_us"], who.name, head["team"])
    hit = _ANSWERS.get(key)
    if hit is None:
        answer = current(db)
        answer["effective"] = effective(answer["policy"], who.name, head["team"])
        hit = (answer, etag(answer))
        if answer["version"] == key[0] and answer["changed_us"] == key[1]:
            if len(_ANSWERS) >= _CACHE_LIMIT:
                _ANSWERS.clear()
            _ANSWERS[key] = hit
    return hit


def current_document(db: Database) -> PolicyDocument:
    """The newest version's document (the built-in default if none), parsed once per version
    and process: one index read per call."""
    head = db.one("SELECT version, changed_us FROM recording_policy ORDER BY version DESC LIMIT 1")
    key = (head["version"], head["changed_us"]) if head else (0, None)
    document = _DOCUMENTS.get(key)
    if document is None:
        answer = current(db)
        document = answer["policy"]
        if (answer["version"], answer["changed_us"]) == key:
            if len(_DOCUMENTS) >= _CACHE_LIMIT:
                _DOCUMENTS.clear()
            _DOCUMENTS[key] = document
    return document


def etag(answer: dict[str, Any]) -> str:
    """A strong ETag of an answer (it differs per user when their team or rule differs)."""
    data = {**answer, "policy": answer["policy"].model_dump(mode="json")}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'

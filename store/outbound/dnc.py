"""The do-not-call list: normalised numbers (store.numbers), checked at every claim and again
right before every dial."""

from __future__ import annotations

from store import audit
from store.db import Database, Row
from store.errors import Invalid
from store.numbers import normalise
from store.users import Principal


def add(db: Database, numbers: list[str], reason: str, who: Principal, now_us: int) -> int:
    """Adds the numbers (one already there keeps its first entry); how many were new."""
    keys = []
    for number in numbers:
        key = normalise(number)
        if key is None:
            raise Invalid(f"{number!r} is not a phone number")
        keys.append((key, number.strip()))
    added = 0
    with db.transaction():
        for key, number in keys:
            added += db.execute(
                "INSERT INTO outbound_dnc (number_norm, number, reason, added_by, added_us) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (number_norm) DO NOTHING",
                (key, number, reason, who.name, now_us),
            )
        audit.record(db, who, "dnc.add", f"{len(keys)} numbers", reason)
    return added


def remove(db: Database, number: str, who: Principal) -> bool:
    key = normalise(number) or ""
    with db.transaction():
        gone = db.execute("DELETE FROM outbound_dnc WHERE number_norm = ?", (key,)) > 0
        audit.record(db, who, "dnc.remove", number)
    return gone


def blocked(db: Database, phone_norm: str) -> bool:
    hit = db.one("SELECT 1 AS x FROM outbound_dnc WHERE number_norm = ?", (phone_norm,))
    return hit is not None


def entries(db: Database, limit: int = 10_000) -> list[Row]:
    return db.query(
        "SELECT number, number_norm, reason, added_by, added_us FROM outbound_dnc "
        "ORDER BY added_us DESC LIMIT ?",
        (limit,),
    )

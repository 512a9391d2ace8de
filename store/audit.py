"""The audit trail: who read which media, exported or evaluated which call, and when."""

from __future__ import annotations

from store.db import Database, Row
from store.users import Principal, now_us


def record(db: Database, who: Principal, action: str, target: str, detail: str = "") -> None:
    record_by(db, who.name, action, target, detail)


def record_by(db: Database, actor: str, action: str, target: str, detail: str = "") -> None:
    """An entry for ``actor`` when the store acts for them (a watch whose viewer went away)."""
    db.execute(
        "INSERT INTO audit (at_us, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (now_us(), actor, action, target, detail),
    )


def search(
    db: Database,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since_us: int | None = None,
    limit: int = 100,
) -> list[Row]:
    where: list[str] = []
    params: list[object] = []
    for column, value in (("actor", actor), ("action", action), ("target", target)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if since_us is not None:
        where.append("at_us >= ?")
        params.append(since_us)
    sql = "SELECT id, at_us, actor, action, target, detail FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return db.query(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])

"""Call search, the caller summary by number and the PBX routing hint.

Queries lean on two indexes: (agent, started_us) and (remote_norm|local_norm, started_us);
every other filter narrows what those find.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from store.db import Database, Row
from store.errors import Forbidden
from store.numbers import normalise
from store.users import Principal

SUMMARY_COLUMNS = (
    "id, agent, direction, remote_number, queue, started_us, duration_us, disposition, karma, "
    "literacy, temperament, has_screen, evaluated"
)
SORTS = {"started": "started_us", "duration": "duration_us", "karma": "karma"}
Sort = Literal["started", "duration", "karma"]


@dataclass
class CallFilter:
    agent: str | None = None
    from_us: int | None = None
    to_us: int | None = None
    number: str | None = None
    queue: str | None = None
    direction: str | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    disposition: str | None = None
    karma: int | None = None
    has_screen: bool | None = None
    evaluated: bool | None = None
    text: str | None = None
    tag: str | None = None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(f: CallFilter) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        where.append(sql)
        params.extend(values)

    for column in ("agent", "queue", "direction", "disposition", "karma"):
        value = getattr(f, column)
        if value is not None:
            add(f"{column} = ?", value)
    if f.from_us is not None:
        add("started_us >= ?", f.from_us)
    if f.to_us is not None:
        add("started_us < ?", f.to_us)
    if f.number is not None:
        norm = normalise(f.number)
        add("(remote_norm = ? OR local_norm = ?)", norm, norm)
    if f.min_duration_s is not None:
        add("duration_us >= ?", int(f.min_duration_s * 1e6))
    if f.max_duration_s is not None:
        add("duration_us <= ?", int(f.max_duration_s * 1e6))
    if f.has_screen is not None:
        add("has_screen = ?", int(f.has_screen))
    if f.evaluated is not None:
        add("evaluated = ?", int(f.evaluated))
    if f.text:
        add("card_text LIKE ? ESCAPE '\\'", f"%{_like_escape(f.text.lower())}%")
    if f.tag:
        add("tags LIKE ? ESCAPE '\\'", f"%,{_like_escape(f.tag)},%")
    return (" WHERE " + " AND ".join(where)) if where else "", params


def summary(row: Row) -> dict[str, Any]:
    out = dict(row)
    out["duration_s"] = out.pop("duration_us") / 1e6
    out["has_screen"] = bool(out["has_screen"])
    out["evaluated"] = bool(out["evaluated"])
    return out


def search(
    db: Database,
    f: CallFilter,
    who: Principal,
    limit: int = 50,
    offset: int = 0,
    sort: Sort = "started",
    order: Literal["asc", "desc"] = "desc",
) -> tuple[int, list[dict[str, Any]]]:
    """(total matches, one page of call summaries) visible to `who`."""
    if not who.sees_all:
        if f.agent is not None and f.agent != who.name:
            raise Forbidden("agents can only search their own calls")
        f.agent = who.name
    where, params = _where(f)
    direction = "DESC" if order == "desc" else "ASC"
    column = SORTS[sort]
    # Unrated calls sort last on both databases; the NOT NULL columns keep their index order.
    nulls_last = "(karma IS NULL), " if sort == "karma" else ""
    total_row = db.one(f"SELECT COUNT(*) AS n FROM calls{where}", params)
    rows = db.query(
        f"SELECT {SUMMARY_COLUMNS} FROM calls{where} "
        f"ORDER BY {nulls_last}{column} {direction}, id {direction} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return int(total_row["n"] if total_row else 0), [summary(r) for r in rows]


def _karma(db: Database, norm: str | None) -> Row:
    row = db.one(
        "SELECT COUNT(*) AS calls, COUNT(karma) AS ratings, COALESCE(SUM(karma), 0) AS ksum, "
        "AVG(karma) AS kavg FROM calls WHERE remote_norm = ?",
        (norm,),
    )
    assert row is not None
    return row


RATINGS = ("literacy", "temperament")
SKIP_IVR_LITERACY = 4.0  # tech-savvy: straight past the basic menu
SENIOR_TEMPERAMENT = 2.0  # difficult: to the senior group


def weighted_rating(per_rater: list[tuple[float, int]]) -> dict[str, Any] | None:
    """One rating over all operators, from (operator's mean, their count) pairs.

    Each operator counts once, with their mean (ten ratings by one person are one opinion).
    An operator's weight is 1 + the number of other operators whose mean is within 1 point
    of theirs, so opinions others share outweigh a lone outlier. ``agreement`` is the share
    of operators within 1 point of the result.
    """
    if not per_rater:
        return None
    means = [m for m, _ in per_rater]
    weights = [1 + sum(1 for j, o in enumerate(means) if j != i and abs(o - m) <= 1)
               for i, m in enumerate(means)]  # fmt: skip
    score = sum(w * m for w, m in zip(weights, means, strict=True)) / sum(weights)
    return {
        "score": round(score, 2),
        "ratings": sum(n for _, n in per_rater),
        "raters": len(means),
        "agreement": round(sum(1 for m in means if abs(m - score) <= 1) / len(means), 3),
    }


def _ratings(db: Database, norm: str | None) -> dict[str, dict[str, Any] | None]:
    out: dict[str, dict[str, Any] | None] = {}
    for column in RATINGS:
        rows = db.query(
            f"SELECT agent, AVG({column}) AS mean, COUNT({column}) AS n FROM calls "
            f"WHERE remote_norm = ? AND {column} IS NOT NULL GROUP BY agent",
            (norm,),
        )
        out[column] = weighted_rating([(float(r["mean"]), int(r["n"])) for r in rows])
    return out


def caller_summary(db: Database, number: str, who: Principal, last: int = 10) -> dict[str, Any]:
    """Karma over every operator's ratings of this caller, and the last calls `who` may see."""
    norm = normalise(number)
    agg = _karma(db, norm)
    where = "remote_norm = ?"
    params: list[Any] = [norm]
    if not who.sees_all:
        where += " AND agent = ?"
        params.append(who.name)
    rows = db.query(
        f"SELECT {SUMMARY_COLUMNS} FROM calls WHERE {where} ORDER BY started_us DESC LIMIT ?",
        [*params, last],
    )
    return {
        "number": norm or number,
        "calls": int(agg["calls"]),
        "ratings": int(agg["ratings"]),
        "karma_sum": int(agg["ksum"]),
        "karma_avg": None if agg["kavg"] is None else round(float(agg["kavg"]), 3),
        **_ratings(db, norm),
        "last_calls": [summary(r) for r in rows],
    }


def routing_hint(db: Database, number: str, who: Principal) -> dict[str, Any]:
    """A tiny answer a PBX can route on: how pleasant and how tech-savvy the caller is, where
    to send them (``route``), who served them last."""
    norm = normalise(number)
    agg = _karma(db, norm)
    avg = None if agg["kavg"] is None else round(float(agg["kavg"]), 3)
    rated = _ratings(db, norm)
    literacy = rated["literacy"]["score"] if rated["literacy"] else None
    temperament = rated["temperament"]["score"] if rated["temperament"] else None
    hard = temperament is not None and temperament <= SENIOR_TEMPERAMENT
    if int(agg["calls"]) == 0:
        hint = "unknown"
    elif hard or (avg is not None and avg <= -1):
        hint = "difficult"
    elif avg is None or avg < 1:
        hint = "normal"
    else:
        hint = "pleasant"
    route = "default"
    if hint == "difficult":
        route = "senior"
    elif literacy is not None and literacy >= SKIP_IVR_LITERACY:
        route = "skip_ivr"
    last = db.one(
        "SELECT agent FROM calls WHERE remote_norm = ? ORDER BY started_us DESC LIMIT 1", (norm,)
    )
    return {
        "number": norm or number,
        "hint": hint,
        "karma_avg": avg,
        "ratings": int(agg["ratings"]),
        "calls": int(agg["calls"]),
        # Agents must not learn who else serves a caller; a PBX uses a supervisor token.
        "last_agent": last["agent"] if last and who.sees_all else None,
        "literacy": literacy,
        "temperament": temperament,
        "route": route,
    }

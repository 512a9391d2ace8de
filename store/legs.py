"""Customer calls: the inbound calls (legs) that one caller's call made ring at several agents
(ring-all, or rolling over on no answer), counted once, as the caller experienced them.

Legs belong to one customer call when they share the PBX's call id (`pbx_call_id`, from the
INVITE's headers), else the SIP Call-ID (a forking proxy's branches); a leg with neither is a
customer call of its own. Whenever a leg is written, every leg of its customer call gets these
columns again (so a report stays one pass over the calls, and the rollups sum them alike):

- `leg`, what became of the call at this agent: `answered`; `refused` (the desktop refused it
  in break, not-ready or wrap-up); `elsewhere` (cancelled because another agent answered: its
  end cause says "completed elsewhere", or another leg was answered while this one rang —
  that leg had started before this one ended and answered between its start and its end,
  give or take SLACK_US of clock difference between desktops); else `missed`.
- `offer` = 1 on the one leg that stands for the customer call (its answered leg, the
  earliest answer if several; else its last leg to ring that was not refused; else its last
  leg), where the call is counted: that leg's agent, queue and start. On that leg:
  `offer_answered` (a leg answered), `offer_abandoned` (no leg answered or completed
  elsewhere, and that last leg was ended by the caller), `offer_wait_us` (answered: the
  customer's wait, the first leg's PBX queue wait, 0 if not given, plus the time from the
  first leg's ring to the answer) and `offer_waited` (answered and the first leg's queue wait
  was given).

Writers lock the customer calls they touch before writing a leg (`lock`), so two desktops
writing legs of one call at once (PostgreSQL) never both stand for it, and refresh the
rollups of every leg that changed only after writing their rows, one agent after the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from store.db import Database
from store.rollups import CallGroup

SLACK_US = 1_000_000
# Refusals in these agent states are not the agent's missed calls.
NOT_READY = ("break", "not_ready", "wrap_up")
COLUMNS = ("leg", "offer", "offer_answered", "offer_abandoned", "offer_wait_us", "offer_waited")


def customer_key(
    call_id: str, direction: str, pbx_call_id: str | None, sip_call_id: str | None
) -> str | None:
    """The key of the customer call an inbound leg belongs to (None: not inbound)."""
    if direction != "inbound":
        return None
    if pbx_call_id:
        return f"p:{pbx_call_id}"
    if sip_call_id:
        return f"s:{sip_call_id}"
    return f"c:{call_id}"


def lock(db: Database, keys: Iterable[str | None]) -> None:
    """Serialise writers of these customer calls (PostgreSQL; SQLite has one writer). Taken
    before the leg's row is written, keys in one order, so two writers of legs of one call
    wait for each other rather than deadlock."""
    if db.dialect != "postgresql":
        return
    for key in sorted({k for k in keys if k is not None}):
        db.query("SELECT pg_advisory_xact_lock(4242003, hashtext(?))", (key,))


@dataclass(frozen=True)
class LegRow:
    id: str
    agent: str
    queue: str | None
    started_us: int
    answered_us: int | None
    ended_us: int | None
    ended_by: str | None
    cause: str | None
    refusal: str | None
    queue_wait_us: int | None

    @property
    def refused(self) -> bool:
        return self.answered_us is None and self.refusal in NOT_READY

    @property
    def said_elsewhere(self) -> bool:
        """Its end cause says the PBX cancelled it because the call was answered elsewhere
        (SIP CANCEL with `Reason: SIP;cause=200;text="Call completed elsewhere"`)."""
        cause = (self.cause or "").lower()
        return "completed elsewhere" in cause or "answered elsewhere" in cause

    def rang_when_answered(self, other: LegRow) -> bool:
        """`other` was answered while this leg rang."""
        if other.answered_us is None or other is self:
            return False
        end = self.ended_us if self.ended_us is not None else other.answered_us + SLACK_US
        return (
            other.started_us < end
            and self.started_us - SLACK_US <= other.answered_us <= end + SLACK_US
        )


def outcomes(legs: list[LegRow]) -> dict[str, dict[str, Any]]:
    """The COLUMNS of each leg of one customer call, by leg id."""
    answered = sorted((g for g in legs if g.answered_us is not None),
                      key=lambda g: (g.answered_us, g.id))  # fmt: skip
    out: dict[str, dict[str, Any]] = {}
    for g in legs:
        if g.answered_us is not None:
            leg = "answered"
        elif g.refused:
            leg = "refused"
        elif g.said_elsewhere or any(g.rang_when_answered(a) for a in answered):
            leg = "elsewhere"
        else:
            leg = "missed"
        out[g.id] = {"leg": leg, "offer": 0, "offer_answered": 0, "offer_abandoned": 0,
                     "offer_wait_us": None, "offer_waited": 0}  # fmt: skip
    by_start = sorted(legs, key=lambda g: (g.started_us, g.id))
    first = by_start[0]
    if answered:
        taker = answered[0]
        answer_us = taker.answered_us or 0  # (set: it answered)
        wait = (first.queue_wait_us or 0) + max(0, answer_us - first.started_us)
        out[taker.id].update(
            offer=1, offer_answered=1, offer_wait_us=wait,
            offer_waited=int(first.queue_wait_us is not None),
        )  # fmt: skip
        return out
    rung = [g for g in by_start if out[g.id]["leg"] != "refused"] or by_start
    last = rung[-1]
    elsewhere = any(out[g.id]["leg"] == "elsewhere" for g in legs)
    out[last.id].update(offer=1, offer_abandoned=int(not elsewhere and last.ended_by == "remote"))
    return out


_SELECT = (
    "SELECT id, agent, queue, started_us, answered_us, ended_us, ended_by, cause, refusal, "
    f"queue_wait_us, {', '.join(COLUMNS)} FROM calls WHERE customer = ?"
)


def regroup(db: Database, key: str | None) -> set[CallGroup]:
    """Recompute the COLUMNS of every leg of the customer call `key`; the rollup groups of
    the legs that changed, for the caller to refresh (store.rollups.refresh_call_groups,
    after every row it writes). Call inside the writing transaction, after `lock`."""
    changed: set[CallGroup] = set()
    rows = [] if key is None else db.query(_SELECT, (key,))
    if not rows:
        return changed
    legs = [LegRow(**{f: r[f] for f in LegRow.__dataclass_fields__}) for r in rows]
    new = outcomes(legs)
    sets = ", ".join(f"{c} = ?" for c in COLUMNS)
    for row in rows:
        values = new[row["id"]]
        if all(row[c] == values[c] for c in COLUMNS):
            continue
        db.execute(f"UPDATE calls SET {sets} WHERE id = ?", [*values.values(), row["id"]])
        changed.add((row["started_us"], row["agent"], row["queue"]))
    return changed


def clear(db: Database, call_id: str) -> None:
    """A call that is not an inbound leg (any more): none of the COLUMNS."""
    db.execute(
        "UPDATE calls SET leg = NULL, offer = 0, offer_answered = 0, offer_abandoned = 0, "
        "offer_wait_us = NULL, offer_waited = 0 WHERE id = ?",
        (call_id,),
    )

"""Transcription jobs: one row per call with audio, claimed by one worker at a time.

New calls with an audio link become ``queued`` jobs (`enqueue`, run by every worker on each
poll; a second insert of the same call adds nothing). `claim` takes the next due job:
PostgreSQL with ``FOR UPDATE SKIP LOCKED`` (several workers, several machines), SQLite inside
``BEGIN IMMEDIATE`` (one writer at a time). A job whose worker died is claimed again once its
lease has passed. A failure is retried with exponential backoff (30 s, 1 min, 2 min … capped at
an hour) and after ``max_attempts`` stays ``failed`` with its last error until retried by hand
(``transcribe --retry-failed``): never lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.db import Database, Row

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
BACKOFF_S = 30
BACKOFF_CAP_S = 3600
AUDIO_TYPES = ("audio/ogg", "audio/wav")


@dataclass(frozen=True)
class Job:
    call_id: str
    sha256: str
    attempts: int  # including this one


def enqueue(db: Database, now_us: int) -> int:
    """A queued job for every call with live audio and no job yet; how many were added."""
    marks = ", ".join("?" for _ in AUDIO_TYPES)
    return db.execute(
        "INSERT INTO transcript_jobs (call_id, sha256, status, attempts, next_try_us, "
        "created_us, updated_us) "
        "SELECT cm.call_id, MIN(cm.sha256), ?, 0, ?, ?, ? FROM call_media cm "
        "JOIN media m ON m.sha256 = cm.sha256 "
        f"WHERE cm.kind = 'audio' AND m.deleted_us IS NULL AND m.content_type IN ({marks}) "
        "AND NOT EXISTS (SELECT 1 FROM transcript_jobs j WHERE j.call_id = cm.call_id) "
        "GROUP BY cm.call_id ON CONFLICT (call_id) DO NOTHING",
        (QUEUED, now_us, now_us, now_us, *AUDIO_TYPES),
    )


def claim(db: Database, worker: str, now_us: int, lease_us: int) -> Job | None:
    """The next due job, now ``running`` for `worker`; None when nothing is due."""
    lock = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""
    with db.transaction():
        row = db.one(
            "SELECT call_id, sha256, attempts FROM transcript_jobs "
            "WHERE (status = ? AND next_try_us <= ?) OR (status = ? AND claimed_us < ?) "
            f"ORDER BY next_try_us, call_id LIMIT 1{lock}",
            (QUEUED, now_us, RUNNING, now_us - lease_us),
        )
        if row is None:
            return None
        db.execute(
            "UPDATE transcript_jobs SET status = ?, attempts = attempts + 1, worker = ?, "
            "claimed_us = ?, updated_us = ? WHERE call_id = ?",
            (RUNNING, worker, now_us, now_us, row["call_id"]),
        )
    return Job(row["call_id"], row["sha256"], int(row["attempts"]) + 1)


def finish(db: Database, job: Job, worker: str, now_us: int) -> None:
    db.execute(
        "UPDATE transcript_jobs SET status = ?, last_error = NULL, updated_us = ? "
        "WHERE call_id = ? AND worker = ?",
        (DONE, now_us, job.call_id, worker),
    )


def backoff_us(attempts: int) -> int:
    return min(BACKOFF_CAP_S, BACKOFF_S * 2 ** max(0, attempts - 1)) * 1_000_000


def fail(db: Database, job: Job, worker: str, error: str, now_us: int, max_attempts: int) -> str:
    """Notes the error; queued again after a backoff, or ``failed`` for good. The new status."""
    status = FAILED if job.attempts >= max_attempts else QUEUED
    db.execute(
        "UPDATE transcript_jobs SET status = ?, last_error = ?, next_try_us = ?, "
        "updated_us = ? WHERE call_id = ? AND worker = ?",
        (status, error[:2000], now_us + backoff_us(job.attempts), now_us, job.call_id, worker),
    )
    return status


def retry_failed(db: Database, now_us: int) -> int:
    """Failed jobs queued again with their attempts reset; how many."""
    return db.execute(
        "UPDATE transcript_jobs SET status = ?, attempts = 0, next_try_us = ?, updated_us = ? "
        "WHERE status = ?",
        (QUEUED, now_us, now_us, FAILED),
    )


def job_of(db: Database, call_id: str) -> Row | None:
    return db.one(
        "SELECT call_id, sha256, status, attempts, last_error, next_try_us, worker, "
        "claimed_us, updated_us FROM transcript_jobs WHERE call_id = ?",
        (call_id,),
    )


def jobs(db: Database, status: str | None, limit: int) -> list[Row]:
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    return db.query(
        "SELECT call_id, sha256, status, attempts, last_error, next_try_us, worker, "
        f"claimed_us, updated_us FROM transcript_jobs {where} ORDER BY updated_us DESC LIMIT ?",
        [*params, limit],
    )

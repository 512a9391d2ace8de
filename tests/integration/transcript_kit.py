"""A call's transcript stored as the transcription worker stores it (its job claimed and
finished, segments masked, the automatic checks evaluated), without running the recogniser:
for the tests of what reads transcripts (the console, the QA window, the reports)."""

from __future__ import annotations

from collections.abc import Sequence

from store.db import Database
from store.transcripts import checks, jobs, records
from store.transcripts.masking import Segment, Word, mask_segment
from store.transcripts.metrics import talk_metrics
from tests.integration.store_kit import now_us


def segment(side: str, start_us: int, words: Sequence[str], step_us: int = 250_000) -> Segment:
    """A segment of `words` (each with its leading space), one every `step_us`."""
    made = [
        Word(start_us + i * step_us, start_us + (i + 1) * step_us - 20_000, w, 0.9)
        for i, w in enumerate(words)
    ]
    text = "".join(words).strip()
    return Segment(side, start_us, made[-1].end_us, text, made, "en")


def store_transcript(db: Database, call_id: str, segments: list[Segment]) -> None:
    """Claims the call's job (the call must have audio) and saves `segments` masked, with the
    checks of the rules in force, as the worker does."""
    jobs.enqueue(db, now_us())
    row = jobs.job_of(db, call_id)
    assert row is not None, f"call {call_id} has no transcription job (no audio?)"
    db.execute(  # claimed as `jobs.claim` would, this call's job rather than the next due
        "UPDATE transcript_jobs SET status = ?, attempts = 1, worker = ?, claimed_us = ? "
        "WHERE call_id = ?",
        (jobs.RUNNING, "test-kit", now_us(), call_id),
    )
    job = jobs.Job(call_id, row["sha256"], 1)
    call = db.one("SELECT started_us, answered_us, ended_us, queue FROM calls WHERE id = ?",
                  (call_id,))  # fmt: skip
    assert call is not None
    start, end = int(call["started_us"]), int(call["ended_us"] or call["started_us"])
    masked = sum(mask_segment(s, []) for s in segments)
    speech = {side: [(w.start_us, w.end_us) for s in segments if s.side == side for w in s.words]
              for side in ("operator", "customer")}  # fmt: skip
    metrics = talk_metrics(speech["operator"], speech["customer"], start, end, 0)
    results = checks.evaluate(
        checks.rules_for(db, call["queue"]), segments, int(call["answered_us"] or start)
    )
    records.save(db, call_id, job.sha256, "en", "test", start, end - start, segments, metrics,
                 masked, now_us(), results)  # fmt: skip
    jobs.finish(db, job, "test-kit", now_us())

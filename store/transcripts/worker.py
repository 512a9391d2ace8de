"""The transcription worker (`agentdesk-store transcribe`): claims jobs, transcribes each
call's operator and customer channels apart, masks, measures and stores the result.

faster-whisper (CTranslate2: int8 on the CPU, int8_float16 on a CUDA GPU when there is one,
store/transcripts/device.py) with its VAD filter on, in the call's language:
the queue's setting (`transcribe-language QUEUE ru|en`) if there is one, else detected and
kept to Russian or English (whichever both channels together find likelier). Beam 5, one
temperature per window (TEMPERATURES), no conditioning on the previous window's text (one
misheard window does not drag the next along). Segment and word
times are the audio link's ``start_us`` (else the Ogg comment's first sample, else the call's
``started_us``) plus their offset in the audio: UTC µs like every time in the store.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from store.blobs import BlobStore
from store.db import Database
from store.transcripts import checks, jobs, records
from store.transcripts.audio import RATE, CallAudio, decode
from store.transcripts.device import Placement, choose
from store.transcripts.masking import (
    Segment,
    Word,
    manifest_spans,
    mask_segment,
    paused_spans,
)
from store.transcripts.metrics import talk_metrics

log = logging.getLogger("store.transcripts")

LANGUAGES = ("ru", "en")
SIDES = ("operator", "customer")
MAX_AUDIO_BYTES = 512 * 1024 * 1024


def now_us() -> int:
    return time.time_ns() // 1000


# Whisper decodes a window again at a higher temperature when the text looks wrong (repeats,
# low probability). faster-whisper's default tries six temperatures; on hard audio (espeak's
# Russian) that made a channel take 2–4× its length and still come out garbled, and sampling
# makes the text differ from run to run. Greedy only: one decode per window, the same text
# every time, no worse on what we measured (bench/transcribe.py). No repetition penalty or
# n-gram ban: card numbers repeat digits, and masking needs every digit heard.
TEMPERATURES = (0.0,)


class Transcriber:
    """One faster-whisper model, loaded once per worker process."""

    def __init__(
        self,
        model_dir: Path,
        threads: int = 0,
        beam_size: int = 5,
        placement: Placement | None = None,
    ) -> None:
        from faster_whisper import WhisperModel  # the speech extra; only the worker needs it

        self.placement = placement or choose("auto")
        log.info("speech model on %s, %s: %s", self.placement.device,
                 self.placement.compute_type, self.placement.reason)  # fmt: skip
        self.model = WhisperModel(
            str(model_dir),
            device=self.placement.device,
            compute_type=self.placement.compute_type,
            cpu_threads=threads,
        )
        self.beam_size = beam_size

    def detect(self, channels: list[np.ndarray]) -> str:
        """Russian or English, whichever the channels with speech find likelier together."""
        score = dict.fromkeys(LANGUAGES, 0.0)
        for pcm in channels:
            if len(pcm) < RATE // 2:
                continue
            _, _, probs = self.model.detect_language(pcm, vad_filter=True)
            for lang, prob in probs:
                if lang in score:
                    score[lang] += prob
        return max(LANGUAGES, key=lambda lang: score[lang])

    def transcribe(self, pcm: np.ndarray, language: str, side: str, start_us: int) -> list[Segment]:
        if len(pcm) < RATE // 10:
            return []
        found, _ = self.model.transcribe(
            pcm,
            language=language,
            vad_filter=True,
            word_timestamps=True,
            beam_size=self.beam_size,
            condition_on_previous_text=False,
            temperature=list(TEMPERATURES),
        )
        out: list[Segment] = []
        for seg in found:
            words = [
                Word(start_us + round(w.start * 1e6), start_us + round(w.end * 1e6), w.word,
                     float(w.probability))
                for w in seg.words or []
            ]  # fmt: skip
            out.append(
                Segment(side, start_us + round(seg.start * 1e6), start_us + round(seg.end * 1e6),
                        seg.text.strip(), words, language)
            )  # fmt: skip
        return out


@dataclass
class WorkerOptions:
    name: str = ""
    lease_s: int = 1800
    max_attempts: int = 5
    poll_s: float = 2.0


class Worker:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        transcriber_factory: Callable[[], Transcriber],
        model_name: str,
        options: WorkerOptions,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self._factory = transcriber_factory
        self._transcriber: Transcriber | None = None
        self.model_name = model_name
        self.options = options
        self.name = options.name or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()

    @property
    def transcriber(self) -> Transcriber:
        if self._transcriber is None:
            self._transcriber = self._factory()
        return self._transcriber

    def step(self) -> bool:
        """Queues new calls, does one due job; False when none was due."""
        jobs.enqueue(self.db, now_us())
        job = jobs.claim(self.db, self.name, now_us(), self.options.lease_s * 1_000_000)
        if job is None:
            return False
        started = time.monotonic()
        try:
            info = self.process(job)
        except Exception as exc:  # every failure is noted on the job, then retried
            status = jobs.fail(
                self.db, job, self.name, f"{type(exc).__name__}: {exc}", now_us(),
                self.options.max_attempts,
            )  # fmt: skip
            log.warning("call %s: attempt %d failed (%s), now %s", job.call_id, job.attempts,
                        exc, status)  # fmt: skip
        else:
            jobs.finish(self.db, job, self.name, now_us())
            log.info("call %s transcribed in %.1f s: %s", job.call_id,
                     time.monotonic() - started, info)  # fmt: skip
        return True

    def run(self, once: bool = False) -> None:
        """Works until stopped; with `once`, until no job is due."""
        while not self.stopping.is_set():
            if self.step():
                continue
            if once:
                return
            self.stopping.wait(self.options.poll_s)

    # --- one job -------------------------------------------------------------------------

    def _read_blob(self, sha256: str) -> bytes:
        size = self.blobs.size(sha256)
        if size is None:
            raise FileNotFoundError(f"media {sha256} is not in storage")
        if size > MAX_AUDIO_BYTES:
            raise ValueError(f"media {sha256} is {size} bytes, over {MAX_AUDIO_BYTES}")
        return b"".join(self.blobs.read_range(sha256, 0, size - 1)) if size else b""

    def _manifests(self, call_id: str) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT cm.sha256 FROM call_media cm JOIN media m ON m.sha256 = cm.sha256 "
            "WHERE cm.call_id = ? AND cm.kind = 'data' AND m.content_type = 'application/json' "
            "AND m.deleted_us IS NULL",
            (call_id,),
        )
        out = []
        for row in rows:
            try:
                out.append(json.loads(self._read_blob(row["sha256"])))
            except ValueError as exc:
                log.warning("call %s: manifest %s unreadable: %s", call_id, row["sha256"], exc)
        return [m for m in out if isinstance(m, dict)]

    def _language(self, queue: str | None, audio: CallAudio) -> str:
        if queue:
            row = self.db.one("SELECT language FROM transcript_languages WHERE queue = ?", (queue,))
            if row is not None and row["language"] in LANGUAGES:
                return str(row["language"])
        return self.transcriber.detect([audio.operator, audio.customer])

    def process(self, job: jobs.Job) -> dict[str, Any]:
        call = self.db.one(
            "SELECT c.started_us, c.answered_us, c.ended_us, c.queue, c.doc, "
            "cm.start_us AS audio_start_us "
            "FROM calls c JOIN call_media cm ON cm.call_id = c.id AND cm.sha256 = ? "
            "WHERE c.id = ?",
            (job.sha256, job.call_id),
        )
        if call is None:
            raise LookupError(f"call {job.call_id} no longer links audio {job.sha256}")
        audio = decode(self._read_blob(job.sha256))
        start_us = int(call["audio_start_us"] or audio.first_sample_utc_us or call["started_us"])
        end_us = start_us + audio.duration_us
        language = self._language(call["queue"], audio)
        segments: list[Segment] = []
        for side, pcm in zip(SIDES, (audio.operator, audio.customer), strict=True):
            segments.extend(self.transcriber.transcribe(pcm, language, side, start_us))
        segments.sort(key=lambda s: (s.start_us, s.side))
        doc = json.loads(call["doc"])
        spans = paused_spans(doc.get("events") or [], call["ended_us"] or end_us)
        spans += manifest_spans(self._manifests(job.call_id), end_us)
        speech = {side: [(w.start_us, w.end_us) for s in segments if s.side == side
                         for w in s.words] for side in SIDES}  # fmt: skip
        op_words = sum(len(s.words) for s in segments if s.side == "operator")
        metrics = talk_metrics(speech["operator"], speech["customer"], start_us, end_us, op_words)
        masked = sum(mask_segment(s, spans) for s in segments)
        results = checks.evaluate(
            checks.rules_for(self.db, call["queue"]), segments,
            int(call["answered_us"] or call["started_us"]),
        )  # fmt: skip
        records.save(self.db, job.call_id, job.sha256, language, self.model_name, start_us,
                     audio.duration_us, segments, metrics, masked, now_us(), results)  # fmt: skip
        return {"language": language, "segments": len(segments), "masked": masked}

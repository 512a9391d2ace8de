"""`agentdesk-store transcribe` (the worker) and `transcribe-language` (a queue's language)."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from store.db import Database
from store.settings import Settings
from store.transcripts import jobs
from store.transcripts.device import DEVICES, choose
from store.transcripts.model import resolve
from store.transcripts.worker import LANGUAGES, Transcriber, Worker, WorkerOptions, now_us


def cmd_transcribe(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    placement = choose(args.device)  # first: `--device cuda` without one stops here
    if args.retry_failed:
        print(f"queued again {jobs.retry_failed(db, now_us())} failed job(s)", file=sys.stderr)
    model_dir, model_name = resolve(
        Path(args.model_dir) if args.model_dir else None, settings.data_dir / "models"
    )
    options = WorkerOptions(
        name=args.name or "",
        lease_s=args.lease_s,
        max_attempts=args.max_attempts,
        poll_s=args.poll_s,
    )
    worker = Worker(
        db,
        settings.open_blobs(),
        lambda: Transcriber(
            model_dir, threads=args.threads, beam_size=args.beam_size, placement=placement
        ),
        model_name,
        options,
    )

    def stop(signum: int, frame: Any) -> None:
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"transcribe: worker {worker.name}, model {model_name} on {placement.device} "
          f"({placement.compute_type}: {placement.reason})", file=sys.stderr)  # fmt: skip
    worker.run(once=args.once)
    db.close()
    return 0


def cmd_language(args: argparse.Namespace, db: Database) -> int:
    if args.language == "auto":
        db.execute("DELETE FROM transcript_languages WHERE queue = ?", (args.queue,))
    else:
        db.execute(
            "INSERT INTO transcript_languages (queue, language) VALUES (?, ?) "
            "ON CONFLICT (queue) DO UPDATE SET language = excluded.language",
            (args.queue, args.language),
        )
    print(f"queue {args.queue}: transcripts in {args.language}")
    return 0


def add_parsers(
    sub: Any,
    common: argparse.ArgumentParser,
    settings_of: Callable[[argparse.Namespace], Settings],
    open_db: Callable[[argparse.Namespace], Database],
) -> None:
    """The subcommands, run with the settings `settings_of` makes of the arguments and the
    database `open_db` opens (migrated)."""
    work = sub.add_parser(
        "transcribe",
        parents=[common],
        help="the transcription worker: claims calls with audio and transcribes them",
    )
    work.add_argument("--model-dir", help="a faster-whisper model folder (default: the "
                      "installed Whisper base)")  # fmt: skip
    work.add_argument("--threads", type=int, default=0, help="CPU threads (0: all)")
    work.add_argument("--device", choices=DEVICES, default="auto",
                      help="where the model runs: auto (a CUDA GPU when CTranslate2 sees one, "
                      "else the CPU), cpu or cuda")  # fmt: skip
    work.add_argument("--beam-size", type=int, default=5)
    work.add_argument("--once", action="store_true", help="exit when no job is due")
    work.add_argument("--poll-s", type=float, default=2.0, help="how often to look (2 s)")
    work.add_argument("--lease-s", type=int, default=1800,
                      help="a running job is claimed again after this long (1800 s)")  # fmt: skip
    work.add_argument("--max-attempts", type=int, default=5)
    work.add_argument("--retry-failed", action="store_true", help="queue failed jobs again")
    work.add_argument("--name", help="this worker's name in the jobs (default host:pid)")
    work.set_defaults(func=lambda args: cmd_transcribe(args, settings_of(args), open_db(args)))

    lang = sub.add_parser(
        "transcribe-language", parents=[common], help="the language of a queue's calls"
    )
    lang.add_argument("queue")
    lang.add_argument("language", choices=[*LANGUAGES, "auto"])
    lang.set_defaults(func=lambda args: cmd_language(args, open_db(args)))

"""Drain rate of a busy operator's hour of recordings from the outbox into the store.

Starts a real `agentdesk-store serve` on 127.0.0.1 (SQLite + folder, in a temp dir), fills an
outbox with one busy hour: ``--calls`` calls (a stereo 16 kHz WAV of ``--call-seconds`` each,
packed to Opus by the uploader as in production, plus the call record, three later changes
and two agent states per call) and ``--segments`` screen segments of ``--segment-mb`` (the
recorder's measured ~0.6 MB per 60 s segment at 1080p; random bytes, which no step
compresses). Then drains it on one uploader thread and prints wall time, MB/s, items/s and the
uploader's CPU (this process: packing, hashing, HTTP; the store is another process), i.e.
the CPU it costs per hour recorded. Checks that everything landed.

Then (``--record-seconds``, 0 to skip) the uploader while the recorder records: the worker on
a private Xvfb showing ``bench.operator_screen``, uploads on, a call every 20 s (its window
records; its WAV and record are journalled when it ends); prints the worker's CPU and the
uploader thread's share of it (:mod:`bench.outbox_recording`).

    .venv/bin/python -m bench.outbox_drain [--calls 40] [--call-seconds 90] [--segments 60]
                                           [--segment-mb 0.6] [--bandwidth-kbps 0]
                                           [--record-seconds 60]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.outbox_recording import record_with_uploads  # noqa: E402
from formats.manifest import read_manifest  # noqa: E402
from recorder.outbox.journal import Outbox  # noqa: E402
from recorder.outbox.uploader import Uploader  # noqa: E402
from store.client import StoreClient  # noqa: E402
from tests.integration.outbox_kit import (  # noqa: E402
    AGENT,
    call_record,
    write_call_wav,
    write_segment,
)
from tests.servers.store import StoreServer  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--call-seconds", type=float, default=90)
    parser.add_argument("--segments", type=int, default=60)
    parser.add_argument("--segment-mb", type=float, default=0.6)
    parser.add_argument("--bandwidth-kbps", type=float, default=0)
    parser.add_argument("--record-seconds", type=float, default=60, help="0: skip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "src"
        src.mkdir()
        outbox = Outbox(tmp / "outbox")
        ids = [f"bench-{i}-{os.urandom(3).hex()}" for i in range(args.calls)]
        wav_bytes = 0
        for i in range(args.segments):
            owner = [ids[i % len(ids)]] if ids else []
            path, _ = write_segment(src, i, owner, round(args.segment_mb * 1e6))
            outbox.add_segment(path, read_manifest(path))
        for i, call_id in enumerate(ids):
            record = call_record(i)
            outbox.add_call(call_id, record)
            wav = write_call_wav(src, call_id, args.call_seconds)
            wav_bytes += wav.stat().st_size
            frames = int(args.call_seconds * 16000)
            outbox.add_audio(call_id, wav, int(str(record["started_us"])), 16000, frames)
            for change in ({"disposition": "sale"}, {"karma": 1}, {"tags": ["x"]}):
                outbox.add_patch(call_id, change)
            for state in ("wrap_up", "ready"):
                outbox.add_state(AGENT, state, None, int(str(record["ended_us"])) + len(state))
        items = outbox.status()["items"]
        print(
            f"backlog: {items} items; {args.calls} calls × {args.call_seconds:g} s audio "
            f"({wav_bytes / 1e6:.0f} MB WAV), {args.segments} segments × "
            f"{args.segment_mb:g} MB"
        )
        with StoreServer(tmp / "store", users={AGENT: "agent"}) as server:
            client = StoreClient(server.base_url, server.tokens[AGENT])
            uploader = Uploader(outbox, client, bandwidth_kbps=args.bandwidth_kbps)
            cpu0, wall0 = _cpu(), time.monotonic()
            drained = uploader.drain(3600)
            wall, cpu = time.monotonic() - wall0, _cpu() - cpu0
            sent_bytes = (
                sum(m["size"] for c in ids for m in client.get_call(c)["media"]) if drained else 0
            )
            missing = [c for c in ids if len(client.get_call(c)["media"]) < 1]
            client.close()
            recording = None
            if args.record_seconds > 0:
                recording = record_with_uploads(tmp / "recording", server, args.record_seconds)
        print(f"drained: {drained}; calls without media: {len(missing)}")
        print(f"wall {wall:.1f} s; {items / wall:.1f} items/s; {sent_bytes / 1e6 / wall:.2f} MB/s")
        print(
            f"uploaded {sent_bytes / 1e6:.1f} MB (audio packed to Opus); uploader CPU {cpu:.1f} s "
            f"= {100 * cpu / 3600:.2f} % of one core over the hour it drains"
        )
        if recording is not None:
            r = recording
            print(
                f"recording {r.seconds:.0f} s of a busy 1080p screen at 5 fps with uploads on, "
                f"{r.calls} calls: worker CPU {r.worker_cpu_s:.1f} s "
                f"({100 * r.worker_cpu_s / r.seconds:.1f} % of one core), of which the uploader "
                f"thread {r.uploader_cpu_s:.2f} s ({100 * r.uploader_cpu_s / r.seconds:.2f} %); "
                f"{r.sent_items} items ({r.sent_mb:.1f} MB) confirmed, {r.pending_items} waiting"
            )
        return 0 if drained and not missing else 1


if __name__ == "__main__":
    sys.exit(main())

"""Uploads per second of 200 KB media segments into the store (SQLite + local folder).

Starts a real `agentdesk-store serve --workers N` on 127.0.0.1 in a temp dir (SQLite in WAL with
synchronous=FULL; every blob fsynced, renamed into place and its folder fsynced) and uploads
distinct segments through `store.client.StoreClient` from a pool of threads: each upload is
hashed by the client, streamed, hashed again by the server and compared before it is
published. Prints uploads/s, MB/s and per-upload latency; checks every upload landed.

    .venv/bin/python -m bench.store_upload [--seconds 10] [--threads 8] [--size-kb 200]
                                           [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/store_upload.py``
    sys.path.insert(0, str(ROOT))

from store.client import StoreClient  # noqa: E402
from store.db import connect  # noqa: E402
from tests.servers.store import StoreServer  # noqa: E402

GOAL = 400.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _cpu_s(root: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process and its live descendants (Linux /proc)."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stats[int(entry.parent.name)] = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, f in stats.items() if int(f[1]) in tree} - tree
        tree |= more
        grew = bool(more)
    tick = os.sysconf("SC_CLK_TCK")
    user = sum(int(stats[p][11]) for p in tree if p in stats) / tick
    system = sum(int(stats[p][12]) for p in tree if p in stats) / tick
    return user, system


def run(seconds: float, threads: int, size: int, workers: int) -> int:
    base = os.urandom(size)
    extra = ["--workers", str(workers)] if workers > 1 else []
    counter = iter(range(10**9))
    lock = threading.Lock()
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
        server = StoreServer(Path(tmp), users={"agent": "agent"}, extra_args=extra)
        server.start()
        try:
            client = StoreClient(server.base_url, server.tokens["agent"], pool_size=threads)
            client.upload_bytes(b"warm-up", "application/json")
            deadline = time.monotonic() + seconds

            def worker() -> int:
                done = 0
                while time.monotonic() < deadline:
                    with lock:
                        n = next(counter)
                    segment = n.to_bytes(8, "big") + base[8:]  # distinct bytes, distinct hash
                    t = time.perf_counter()
                    result = client.upload_bytes(segment, "video/mp4")
                    elapsed = time.perf_counter() - t
                    assert result["created"] and result["size"] == size
                    with lock:
                        latencies.append(elapsed)
                    done += 1
                return done

            assert server.proc is not None
            cpu_before, own_cpu = _cpu_s(server.proc.pid), time.process_time()
            start = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                total = sum(f.result() for f in [pool.submit(worker) for _ in range(threads)])
            wall = time.perf_counter() - start
            cpu_after = _cpu_s(server.proc.pid)
            user, system = (
                after - before for after, before in zip(cpu_after, cpu_before, strict=True)
            )
            own_cpu = time.process_time() - own_cpu
            client.close()
        finally:
            server.stop()
        db = connect(str(Path(tmp) / "store.sqlite3"))
        stored = db.one("SELECT COUNT(*) AS n FROM media WHERE content_type = 'video/mp4'")
        db.close()
        blobs = sum(1 for p in (Path(tmp) / "blobs").rglob("*") if p.is_file())
    rate = total / wall
    print(
        f"segments       {total} x {size // 1000} KB in {wall:.1f} s, {threads} client threads,"
        f" {workers} server process(es)"
    )
    print(f"uploads/s      {rate:.0f}   (goal >= {GOAL:.0f})  {rate * size / 1e6:.1f} MB/s")
    print(
        f"latency ms     p50 {_percentile(latencies, 0.5) * 1e3:.1f}  "
        f"p95 {_percentile(latencies, 0.95) * 1e3:.1f}  "
        f"max {max(latencies) * 1e3:.1f}  mean {statistics.fmean(latencies) * 1e3:.1f}"
    )
    print(
        f"CPU ms/upload  server {user / total * 1e3:.2f} user + {system / total * 1e3:.2f} sys"
        f"  client {own_cpu / total * 1e3:.2f}"
        f"  (machine: {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f})"
    )
    ok = stored is not None and stored["n"] == total and blobs == total + 1
    print(
        f"check          {stored['n'] if stored else 0} rows, {blobs - 1} blobs: "
        f"{'all landed' if ok else 'MISMATCH'}"
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--size-kb", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    return run(args.seconds, args.threads, args.size_kb * 1000, args.workers)


if __name__ == "__main__":
    sys.exit(main())

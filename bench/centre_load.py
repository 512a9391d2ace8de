"""The store traffic of a contact centre's desktops and supervisors, without SIP.

Each simulated agent does through `store.client.StoreClient` (its own token, its own session)
what the desktop does: a presence snapshot every 2 s and on every change, the recording
policy polled every 3 s (`If-None-Match`), state changes (`on_call`, `wrap_up`, `ready`),
the call written when answered and again when it ends, its Opus audio (32 kbit/s stereo, the
outbox's packing) uploaded and linked after the call, and a screen segment with its manifest
every 120 s (the recorder's segment length) at the recorder's measured rate (18 MB/h), linked
to the call on the screen. Supervisors fetch the live board every 2 s (the desktop board's
refresh) and search calls every 10 s. Uploads go through presigned URLs when the store offers
them (radosgw), exactly as `upload_file` does for the outbox.

One loader process runs a slice of the agents: a scheduler thread hands due actions to a
thread pool; every action's latency (client wall time, HTTP and JSON included) and how late
it started (the loader's own lag) are recorded.
"""

from __future__ import annotations

import heapq
import itertools
import os
import random
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.client import StoreClient

SECOND_US = 1_000_000
PRESENCE_S = 2.0  # desktop/agent/presence.py: every_s
POLICY_S = 3.0  # desktop/recording/policy.py: POLL_S
SEGMENT_S = 120.0  # recorder/worker_options.py: SEGMENT_S
SCREEN_MB_PER_H = 18.0  # issue 23's measurement of the recorder
OPUS_BYTES_PER_S = 32_000 // 8  # recorder/outbox/audio_pack.py: BIT_RATE
BOARD_S = 2.0  # desktop/supervisor/agent_board.py: refreshed every 2 s
SEARCH_S = 10.0
QUEUES = [f"queue{i}" for i in range(10)]


@dataclass
class Plan:
    """What one loader process runs."""

    base_url: str
    agents: list[tuple[str, str]]  # (name, token)
    supervisors: list[tuple[str, str]]
    warmup_s: float
    seconds: float
    seed: int
    threads: int = 48
    talk_s: tuple[float, float] = (60.0, 300.0)
    wrap_s: tuple[float, float] = (10.0, 40.0)
    ready_s: tuple[float, float] = (5.0, 40.0)
    history_agents: list[str] = field(default_factory=list)


@dataclass
class Call:
    id: str
    number: str
    queue: str
    started_us: int
    answered_us: int


class Recorder:
    """Latencies per operation inside the measured window, errors everywhere."""

    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}
        self.lag: list[float] = []

    def timed(self, op: str, action: Callable[[], Any]) -> Any:
        t0 = time.monotonic()
        try:
            result = action()
        except Exception as exc:
            with self.lock:
                self.errors.setdefault(op, []).append(f"{type(exc).__name__}: {exc}"[:300])
            return None
        t1 = time.monotonic()
        if self.start <= t0 < self.end:
            with self.lock:
                self.times.setdefault(op, []).append((t1 - t0) * 1e3)
        return result


class Scheduler:
    """Due actions in a heap, run by a pool; `at(delay, fn)` from any thread."""

    def __init__(self, threads: int, rec: Recorder, stop_at: float) -> None:
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="load")
        self.heap: list[tuple[float, int, Callable[[], None]]] = []
        self.cond = threading.Condition()
        self.seq = itertools.count()
        self.rec = rec
        self.stop_at = stop_at

    def at(self, delay: float, fn: Callable[[], None]) -> None:
        due = time.monotonic() + delay
        if due >= self.stop_at:
            return
        with self.cond:
            heapq.heappush(self.heap, (due, next(self.seq), fn))
            self.cond.notify()

    def run(self) -> None:
        while True:
            with self.cond:
                now = time.monotonic()
                if now >= self.stop_at:
                    break
                if not self.heap or self.heap[0][0] > now:
                    wait = self.heap[0][0] - now if self.heap else self.stop_at - now
                    self.cond.wait(min(wait, self.stop_at - now))
                    continue
                due, _, fn = heapq.heappop(self.heap)
            if self.rec.start <= now < self.rec.end:
                self.rec.lag.append((now - due) * 1e3)
            self.pool.submit(self._guard, fn)
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _guard(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:  # a bug in the bench, not a store error: keep it visible
            traceback.print_exc()


class Media:
    """Distinct random bytes of a given size, written to a file for `upload_file`."""

    def __init__(self, seed: int, folder: Path) -> None:
        self.pool = random.Random(seed).randbytes(2 * 1024 * 1024)
        self.count = itertools.count()
        self.folder = folder
        self.tag = os.getpid().to_bytes(4, "big")

    def file(self, size: int) -> Path:
        n = next(self.count)
        start = (n * 7919) % (len(self.pool) - size) if size < len(self.pool) else 0
        body = self.tag + n.to_bytes(8, "big") + self.pool[start : start + max(0, size - 12)]
        path = self.folder / f"{os.getpid()}-{n}"
        path.write_bytes(body)
        return path


class Agent:
    """One desktop's store traffic."""

    def __init__(self, name: str, token: str, plan: Plan, env: Env) -> None:
        self.name = name
        self.client = StoreClient(plan.base_url, token, pool_size=4)
        self.plan = plan
        self.env = env
        self.rng = random.Random(f"{plan.seed}-{name}")
        self.lock = threading.Lock()
        self.call: Call | None = None
        self.last_call: Call | None = None
        self.etag: str | None = None
        self.calls = itertools.count()

    def start(self) -> None:
        at = self.env.sched.at
        at(self.rng.uniform(0, PRESENCE_S), self.presence_beat)
        at(self.rng.uniform(0, POLICY_S), self.policy_poll)
        at(self.rng.uniform(0, SEGMENT_S), self.segment)
        at(self.rng.uniform(0, 30), self.ring)

    # --- periodic --------------------------------------------------------------------

    def presence_beat(self) -> None:
        self.presence()
        self.env.sched.at(PRESENCE_S, self.presence_beat)

    def presence(self) -> None:
        call = self.call
        snapshot: dict[str, Any] = {"recording": call is not None, "upload_backlog": 0}
        if call is not None:
            snapshot.update(
                call_id=call.id,
                call_number=call.number,
                call_direction="inbound",
                call_started_us=call.started_us,
                call_answered_us=call.answered_us,
            )
        self.env.rec.timed("presence", lambda: self.client.put_presence(self.name, snapshot))  # type: ignore[arg-type]

    def policy_poll(self) -> None:
        got = self.env.rec.timed("policy", lambda: self.client.recording_policy(self.etag))
        if got:
            self.etag = got[1]
        self.env.sched.at(POLICY_S, self.policy_poll)

    def segment(self) -> None:
        """A screen segment and its manifest, linked to the call on screen (if any)."""
        size = int(SCREEN_MB_PER_H * 1e6 / 3600 * SEGMENT_S * self.rng.uniform(0.7, 1.3))
        end = now_us()
        self.upload("screen", size, "video/mp4", self.call or self.last_call, end)
        self.upload("manifest", self.rng.randrange(1500, 4000), "application/json", None, end)
        self.env.sched.at(SEGMENT_S, self.segment)

    def upload(self, kind: str, size: int, content_type: str, call: Call | None, end: int) -> None:
        path = self.env.media.file(size)
        try:
            got = self.env.rec.timed(
                f"upload {kind}", lambda: self.client.upload_file(path, content_type)
            )
        finally:
            path.unlink(missing_ok=True)
        if got and call is not None:
            media = "screen" if kind == "screen" else "audio"
            start = end - int(SEGMENT_S * SECOND_US) if kind == "screen" else call.answered_us
            self.env.rec.timed(
                "link",
                lambda: self.client.link_media(call.id, got["sha256"], media, start, end),  # type: ignore[arg-type]
            )

    # --- a call ---------------------------------------------------------------------

    def ring(self) -> None:
        n = next(self.calls)
        start = now_us()
        call = Call(
            id=f"{self.name}-{os.getpid()}-{n}-{start}",
            number=f"+7912{self.rng.randrange(200_000):07d}",
            queue=self.rng.choice(QUEUES),
            started_us=start,
            answered_us=start + int(self.rng.uniform(1, 6) * SECOND_US),
        )
        self.call = call
        rec = self.env.rec
        rec.timed(
            "state",
            lambda: self.client.set_state(self.name, "on_call", None, call.answered_us, call.id),
        )
        rec.timed("call", lambda: self.client.put_call(call.id, self.body(call, None)))  # type: ignore[arg-type]
        self.presence()  # the desktop posts at once on a change
        self.env.sched.at(self.rng.uniform(*self.plan.talk_s), self.hang_up)

    def body(self, call: Call, ended_us: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "agent": self.name,
            "direction": "inbound",
            "started_us": call.started_us,
            "answered_us": call.answered_us,
            "extension": "1001",
            "local_number": "1001",
            "remote_number": call.number,
            "queue": call.queue,
            "sip_call_id": f"{call.id}@pbx",
        }
        if ended_us is not None:
            body.update(
                ended_us=ended_us,
                ended_by="remote",
                disposition=self.rng.choice(("sold", "info", "callback")),
                karma=self.rng.choice((None, -1, 0, 1, 2)),
                card={
                    "topic": {
                        "value": self.rng.choice(("refund", "tariff")),
                        "changed_us": ended_us,
                    }
                },
            )
        return body

    def hang_up(self) -> None:
        call = self.call
        assert call is not None
        ended = now_us()
        self.call, self.last_call = None, call
        rec = self.env.rec
        rec.timed(
            "state", lambda: self.client.set_state(self.name, "wrap_up", None, ended, call.id)
        )
        rec.timed("call", lambda: self.client.put_call(call.id, self.body(call, ended)))  # type: ignore[arg-type]
        self.presence()
        talk_s = (ended - call.answered_us) / SECOND_US
        self.upload("audio", int(talk_s * OPUS_BYTES_PER_S), "audio/ogg", call, ended)
        self.env.sched.at(self.rng.uniform(*self.plan.wrap_s), self.ready)

    def ready(self) -> None:
        self.env.rec.timed("state", lambda: self.client.set_state(self.name, "ready"))
        self.env.sched.at(self.rng.uniform(*self.plan.ready_s), self.ring)


class Supervisor:
    """The live board every 2 s and a search every 10 s."""

    def __init__(self, name: str, token: str, plan: Plan, env: Env, agents: list[str]) -> None:
        self.client = StoreClient(plan.base_url, token, pool_size=4)
        self.env = env
        self.rng = random.Random(f"{plan.seed}-{name}")
        self.agents = agents

    def start(self) -> None:
        self.env.sched.at(self.rng.uniform(0, BOARD_S), self.board)
        self.env.sched.at(self.rng.uniform(0, SEARCH_S), self.search)

    def board(self) -> None:
        self.env.rec.timed("board", self.client.live_board)
        self.env.sched.at(BOARD_S, self.board)

    def search(self) -> None:
        day = 86_400 * SECOND_US
        now = now_us()
        kind = self.rng.randrange(4)
        filters: dict[str, Any]
        if kind == 0:  # an agent's calls this week
            filters = {
                "agent": self.rng.choice(self.agents),
                "from_us": now - 7 * day,
                "to_us": now,
            }
        elif kind == 1:  # a caller's number, as people write it
            d = f"+7912{self.rng.randrange(200_000):07d}"
            filters = {"number": f"{d[:2]} ({d[2:5]}) {d[5:8]}-{d[8:10]}-{d[10:]}"}
        elif kind == 2:  # a queue today
            filters = {"queue": self.rng.choice(QUEUES), "from_us": now - day, "to_us": now}
        else:  # short answered calls of the last hour
            filters = {"from_us": now - 3600 * SECOND_US, "to_us": now, "max_duration_s": 90}
        self.env.rec.timed("search", lambda: self.client.search_calls(**filters))
        self.env.sched.at(SEARCH_S, self.search)


@dataclass
class Env:
    sched: Scheduler
    rec: Recorder
    media: Media


def now_us() -> int:
    return time.time_ns() // 1000


def run_loader(plan: Plan, out: Any) -> None:
    """A loader process: run the plan, put its figures on the queue `out`."""
    begin = time.monotonic()
    measure_from = begin + plan.warmup_s
    rec = Recorder(measure_from, measure_from + plan.seconds)
    sched = Scheduler(plan.threads, rec, measure_from + plan.seconds)
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory(prefix="agentdesk-centre-", dir="/dev/shm") as tmp:
        env = Env(sched, rec, Media(plan.seed + os.getpid(), Path(tmp)))
        names = [name for name, _ in plan.agents] or plan.history_agents
        for name, token in plan.agents:
            Agent(name, token, plan, env).start()
        for name, token in plan.supervisors:
            Supervisor(name, token, plan, env, names).start()
        sched.run()
    out.put(
        {
            "times": rec.times,
            "errors": rec.errors,
            "lag": rec.lag,
            "cpu_s": time.process_time() - cpu0,
            "agents": len(plan.agents),
        }
    )

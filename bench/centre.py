"""The store at a contact centre's scale: simulated agents and supervisors against PostgreSQL,
radosgw and `--workers` API processes on this machine (issue 23).

Starts a throw-away PostgreSQL 15 (tests/servers/postgres.py) and Ceph radosgw
(tests/servers/radosgw.py), loads `--history` past calls with COPY (bench/store_search.py's
generator: a year of calls by the same agent names), makes the users and their tokens, starts
`agentdesk-store serve --workers N` with S3 on radosgw, and runs the desktops' and the
supervisors' traffic (bench/centre_load.py) from `--loaders` processes: `--warmup` seconds,
then `--seconds` measured. Prints p50/p95/max of every operation (presence writes, the board,
search and uploads above all), errors, CPU per API process and of PostgreSQL and radosgw.

`--ramp 100,150,200` runs one measured round per agent count on the same servers (use it with
`--workers 1` to find how many agents one API process carries before the board's p95 passes
200 ms).

    .venv/bin/python -m bench.centre [--agents 200] [--supervisors 5] [--workers 2]
        [--seconds 120] [--warmup 30] [--history 200000] [--shift-hours 12] [--loaders 2]
        [--ramp N,N,...]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import store_search  # noqa: E402
from bench.centre_load import Plan, run_loader  # noqa: E402
from store.db import connect  # noqa: E402
from store.migrations import migrate  # noqa: E402
from store.users import add_user, issue_token  # noqa: E402
from tests.servers.postgres import Postgres  # noqa: E402
from tests.servers.radosgw import Radosgw  # noqa: E402
from tests.servers.store import StoreServer  # noqa: E402

GOAL_BOARD_P95_MS = 200.0
MAIN_OPS = ("presence", "board", "search", "upload screen", "upload audio")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads)."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(entry.name))
        if fields is not None and int(fields[1]) == pid:
            kids.append(int(entry.name))
    return sorted(kids)


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


class Servers:
    """PostgreSQL, radosgw, users and the store, for every round of a run."""

    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.pg = Postgres(
            {"shared_buffers": "256MB", "work_mem": "16MB", "max_connections": "300"}
        )
        # Screen at 18 MB/h per agent; radosgw's OSD keeps objects in RAM and blocks when full.
        agents = max(args.ramp or [args.agents])
        rounds = len(args.ramp or [0])
        need_mb = agents * 18 / 3600 * (args.seconds + args.warmup) * rounds * 1.3
        self.rgw = Radosgw("agentdesk-centre", memstore_mb=int(need_mb) + 512)
        self.store: StoreServer | None = None
        self.agents: list[tuple[str, str]] = []
        self.supervisors: list[tuple[str, str]] = []

    def start(self) -> None:
        t = time.monotonic()
        self.pg.start()
        self.rgw.start(timeout=120)
        print(f"PostgreSQL and radosgw up in {time.monotonic() - t:.1f} s")
        url = self.pg.database("centre")
        db = connect(url)
        migrate(db)
        if self.args.history:
            took = store_search.load(db, self.args.history)  # type: ignore[arg-type]
            print(f"loaded {self.args.history:,} past calls with COPY in {took:.1f} s")
        count = max(self.args.ramp or [self.args.agents])
        if self.args.shift_hours:
            took, n = shift_of_states(db, count, self.args.shift_hours)
            print(f"made {n:,} past state changes ({self.args.shift_hours:g} h) in {took:.1f} s")
        for i in range(count):
            name = agent_name(i)
            add_user(db, name, "agent")
            self.agents.append((name, issue_token(db, name, days=1)[0]))
        for i in range(self.args.supervisors):
            add_user(db, f"sup{i}", "supervisor")
            self.supervisors.append((f"sup{i}", issue_token(db, f"sup{i}", days=1)[0]))
        db.close()
        extra = ["--workers", str(self.args.workers), "--s3-endpoint", self.rgw.endpoint]
        extra += ["--s3-bucket", self.rgw.bucket]
        env = {
            "AGENTDESK_S3_ACCESS_KEY": self.rgw.access_key,
            "AGENTDESK_S3_SECRET_KEY": self.rgw.secret_key,
        }
        self.store = StoreServer(self.tmp / "store", url, None, extra, env)
        self.store.start(timeout=60)

    def api_pids(self) -> list[int]:
        assert self.store is not None and self.store.proc is not None
        root = self.store.proc.pid
        if self.args.workers == 1:
            return [root]
        # uvicorn's supervisor → multiprocessing's resource tracker and the workers.
        return [
            p
            for p in children(root)
            if _cmdline(p).find("multiprocessing") >= 0 and "resource_tracker" not in _cmdline(p)
        ] or children(root)

    def pg_pids(self) -> list[int]:
        try:
            root = int((self.pg.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return tree(root)

    def rgw_pids(self) -> list[int]:
        return [proc.pid for proc in self.rgw._procs.values()]

    def stop(self) -> None:
        if self.store is not None:
            self.store.stop()
        self.rgw.stop()
        self.pg.stop()


def agent_name(i: int) -> str:
    return store_search.AGENTS[i] if i < len(store_search.AGENTS) else f"agent{i:04d}"


def shift_of_states(db: Any, agents: int, hours: float) -> tuple[float, int]:
    """The state changes of the shift before the run: each agent ready → on_call → wrap_up
    every 90 s or so, linked (`next_us`) and current (`agent_current`) as set_state keeps
    them; the live board's occupancy reads this table."""
    t = time.monotonic()
    now = time.time_ns() // 1000
    start = now - int(hours * 3600e6)
    names = "', '".join(agent_name(i) for i in range(agents))
    db.execute(
        "INSERT INTO agent_states (agent, state, at_us, recorded_us, next_us) "
        "SELECT agent, state, at_us, at_us, LEAD(at_us) OVER (PARTITION BY agent ORDER BY at_us) "
        "FROM (SELECT a.agent, (ARRAY['ready', 'on_call', 'wrap_up'])[1 + n % 3] AS state, "
        f"{start}::bigint + n::bigint * 30000000 + (hashtext(a.agent) % 20000000) AS at_us "
        f"FROM unnest(ARRAY['{names}']) AS a(agent), "
        f"generate_series(0, {int(hours * 120) - 1}) AS n) x"
    )
    db.execute(
        "INSERT INTO agent_current (agent, state, reason, since_us) "
        "SELECT DISTINCT ON (agent) agent, state, reason, at_us FROM agent_states "
        "ORDER BY agent, at_us DESC"
    )
    db.execute("VACUUM ANALYZE agent_states")
    row = db.one("SELECT COUNT(*) AS n FROM agent_states")
    return time.monotonic() - t, int(row["n"]) if row else 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def one_round(servers: Servers, agents: int) -> dict[str, Any]:
    args = servers.args
    assert servers.store is not None
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    loaders = max(1, min(args.loaders, agents))
    slices = [servers.agents[:agents][i::loaders] for i in range(loaders)]
    history = store_search.AGENTS[: max(1, agents)]
    procs = []
    for i, part in enumerate(slices):
        plan = Plan(
            base_url=servers.store.base_url,
            agents=part,
            supervisors=servers.supervisors if i == 0 else [],
            warmup_s=args.warmup,
            seconds=args.seconds,
            seed=args.seed + i,
            history_agents=history,
        )
        procs.append(ctx.Process(target=run_loader, args=(plan, out), name=f"loader{i}"))
    for p in procs:
        p.start()
    time.sleep(args.warmup)
    api = servers.api_pids()
    watched = {"api": api, "postgres": servers.pg_pids(), "radosgw": servers.rgw_pids()}
    before = {k: [cpu_s(p) for p in v] for k, v in watched.items()}
    load0, t0 = os.getloadavg()[0], time.monotonic()
    results = [out.get(timeout=args.seconds + args.warmup + 300) for _ in procs]
    wall = time.monotonic() - t0
    after = {k: [cpu_s(p) for p in v] for k, v in watched.items()}
    for p in procs:
        p.join(timeout=30)
    cpu = {k: [(a - b) / wall for a, b in zip(after[k], before[k], strict=True)] for k in watched}
    return {
        "agents": agents,
        "results": results,
        "cpu": cpu,
        "wall": wall,
        "load": (load0, os.getloadavg()[0]),
    }


def report(r: dict[str, Any], workers: int) -> float:
    times: dict[str, list[float]] = {}
    errors: dict[str, list[str]] = {}
    lag: list[float] = []
    for res in r["results"]:
        for op, v in res["times"].items():
            times.setdefault(op, []).extend(v)
        for op, v in res["errors"].items():
            errors.setdefault(op, []).extend(v)
        lag.extend(res["lag"])
    print(
        f"\n== {r['agents']} agents, {workers} API process(es), {r['wall']:.0f} s measured, "
        f"load average {r['load'][0]:.1f} → {r['load'][1]:.1f} =="
    )
    print(
        f"{'operation':<16} {'n':>6} {'per s':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'errors':>6}"
    )
    ordered = [*MAIN_OPS, *sorted(set(times) | set(errors) - set(MAIN_OPS))]
    for op in dict.fromkeys(ordered):
        v = times.get(op, [])
        print(
            f"{op:<16} {len(v):>6} {len(v) / r['wall']:>6.1f} {pct(v, 0.5):>8.1f} "
            f"{pct(v, 0.95):>8.1f} {max(v, default=float('nan')):>8.1f} "
            f"{len(errors.get(op, [])):>6}"
        )
    for op, errs in errors.items():
        print(f"  {op} error, first of {len(errs)}: {errs[0]}")
    print(
        f"loader lag (start after due) p50 {pct(lag, 0.5):.1f} p95 {pct(lag, 0.95):.1f} ms; "
        f"loader CPU {sum(x['cpu_s'] for x in r['results']) / r['wall'] * 100:.0f} % of a core"
    )
    cpu = r["cpu"]
    api = " + ".join(f"{c * 100:.0f} %" for c in cpu["api"])
    print(
        f"CPU (% of one core): API processes {api}; PostgreSQL {sum(cpu['postgres']) * 100:.0f} %;"
        f" radosgw {sum(cpu['radosgw']) * 100:.0f} %"
    )
    board = pct(times.get("board", []), 0.95)
    uploads = sum(len(v) for op, v in errors.items() if op.startswith("upload"))
    ok = board <= GOAL_BOARD_P95_MS and uploads == 0
    print(
        f"goal board p95 <= {GOAL_BOARD_P95_MS:.0f} ms and no upload error: "
        f"{'met' if ok else 'MISSED'} (board p95 {board:.1f} ms, {uploads} upload errors)"
    )
    return board if uploads == 0 else float("inf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--supervisors", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="API processes")
    parser.add_argument("--seconds", type=float, default=120.0, help="measured, per round")
    parser.add_argument("--warmup", type=float, default=30.0, help="before measuring")
    parser.add_argument("--history", type=int, default=200_000, help="past calls loaded")
    parser.add_argument(
        "--shift-hours",
        type=float,
        default=12.0,
        help="hours of past state changes per agent (the board reads them)",
    )
    parser.add_argument("--loaders", type=int, default=2, help="load generator processes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--ramp",
        type=lambda s: [int(x) for x in s.split(",")],
        default=None,
        help="agent counts, one measured round each (e.g. 100,200,300)",
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    failed = False
    with tempfile.TemporaryDirectory(prefix="agentdesk-centre-") as tmp:
        servers = Servers(args, Path(tmp))
        try:
            servers.start()
            carried = 0
            for agents in args.ramp or [args.agents]:
                p95 = report(one_round(servers, agents), args.workers)
                failed |= p95 > GOAL_BOARD_P95_MS
                if p95 <= GOAL_BOARD_P95_MS:
                    carried = max(carried, agents)
            if args.ramp:
                print(
                    f"\nlargest agent count with board p95 <= {GOAL_BOARD_P95_MS:.0f} ms "
                    f"on {args.workers} API process(es): {carried or 'none'}"
                )
        finally:
            servers.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

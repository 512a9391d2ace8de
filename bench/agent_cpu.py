"""The whole agent's CPU: the desktop as ``agentdesk`` composes it (``desktop.app.build``),
its softphone engine and its recorder worker (capture, encoder, uploader), idle and during a
recorded call with uploads on.

Real servers on 127.0.0.1 as in ``bench.desktop_ui`` (Xvfb 1280×800 with the desktop's window
on it, Kamailio, the store on SQLite, the CRM test server, a customer softphone). Phases:

- ``idle``: registered and Ready, the recorder worker capturing into its spool, nothing else
  happening, ``--idle-s`` seconds;
- ``call``: a call rings (CRM card), is answered, put on hold and resumed, muted, a DTMF sent
  every 2 s for ``--call-s``, hung up and its dialog card finished;
- ``upload``: from then until the worker's uploader has sent everything (the store then has
  the call's audio and screen).

For each phase: user + system CPU of each process of the agent (the bench's own process is
the desktop's: it only waits on the Qt loop), as % of one core, and the wake-ups per second
(voluntary context switches) and CPU of their busiest threads: what to look at for timers and
polling when idle. Goals (issue 23): idle ≤ 1 %, call with uploads ≤ 6 %. ``--rounds`` repeats the
idle and call phases alternately (A B A B) in one desktop. Run::

    .venv/bin/python -m bench.agent_cpu [--idle-s 30] [--call-s 60] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/agent_cpu.py``
    sys.path.insert(0, str(ROOT))

from bench.desktop_ui import (  # noqa: E402
    CUSTOMER,
    OPERATOR,
    StoreWatch,
    answer,
    desk_servers,
    hang_up_and_finish,
    on_xvfb,
    spin,
    talk,
    wait,
)
from bench.measured_process import ThreadUsage, process_usage, tree_usage  # noqa: E402
from tests.integration.sipkit import Agent  # noqa: E402

GOALS = {"idle": 1.0, "call": 6.0, "call+upload": 6.0}
BENCH_THREADS = ("crm-server",)  # the CRM test server runs on a thread of this process
Snapshot = dict[int, tuple[str, list[ThreadUsage]]]


def _role(command: str) -> str:
    for module, role in (("sip.remote", "engine"), ("recorder.worker", "recorder worker")):
        if module in command:
            return role
    return "desktop"


def _python_names() -> dict[str, str]:
    """This process's threads by id as Python names them (the kernel's name is the
    process's own for every Python thread)."""
    return {str(t.native_id): f"{t.name}#{t.native_id}" for t in threading.enumerate()}


def _is_bench_thread(named: dict[str, str], name: str) -> bool:
    return named.get(name.rpartition("#")[2], "").startswith(BENCH_THREADS)


def _delta(before: Snapshot, after: Snapshot, wall_s: float, agent: set[int]) -> dict[str, Any]:
    """CPU % of one core per process of the agent, and its threads that woke most (per s)."""
    out: dict[str, Any] = {}
    for pid, (command, threads) in after.items():
        if pid not in agent:
            continue
        named = _python_names() if pid == os.getpid() else {}
        if named:  # the bench's own threads in this process are not the desktop's
            threads = [t for t in threads if not _is_bench_thread(named, t.name)]
        old = {t.name: t for t in before.get(pid, ("", []))[1]}
        cpu = sum(t.cpu_s - (old[t.name].cpu_s if t.name in old else 0.0) for t in threads)
        wakes = sorted(
            (
                (t.wakeups - (old[t.name].wakeups if t.name in old else 0)) / wall_s,
                named.get(t.name.rpartition("#")[2], t.name),
                100 * (t.cpu_s - (old[t.name].cpu_s if t.name in old else 0.0)) / wall_s,
            )
            for t in threads
        )[::-1]
        role = _role(command)
        if role in out:  # never two processes under one name: say which it is
            role = f"{role} {pid}"
        out[role] = {"cpu_pct": 100 * cpu / wall_s, "wakeups": wakes}
    return out


class Measured:
    """The agent's processes: this one (the desktop) and the children ``build()`` started
    (its engine, its recorder worker); not the servers nor the customer's softphone."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.figures: dict[str, list[dict[str, Any]]] = {}
        self.servers = set(tree_usage(root)) - {root}
        self.agent = {root}

    def _own(self) -> tuple[str, list[ThreadUsage]]:
        usage = process_usage(self.root)
        assert usage is not None  # this very process
        return usage

    def built(self) -> None:
        """Called after ``build()``: its new children are the agent's."""
        self.agent = set(tree_usage(self.root)) - self.servers

    def begin(self) -> None:
        # This process is read last here and first in end(): the bench's own reading of /proc
        # (~10 ms of its main thread) is not counted as the desktop's.
        before = tree_usage(self.root)
        self._t0 = time.monotonic()
        self._before = {**before, self.root: self._own()}

    def end(self, phase: str) -> dict[str, Any]:
        own = self._own()
        wall = time.monotonic() - self._t0
        figures = _delta(self._before, {**tree_usage(self.root), self.root: own}, wall, self.agent)
        figures["_wall_s"] = wall
        self.figures.setdefault(phase, []).append(figures)
        total = sum(v["cpu_pct"] for k, v in figures.items() if not k.startswith("_"))
        parts = ", ".join(
            f"{k} {v['cpu_pct']:.2f}" for k, v in figures.items() if not k.startswith("_")
        )
        print(f"  {phase}: {total:.2f} % of one core over {wall:.1f} s ({parts})", flush=True)
        return figures


def run(args: argparse.Namespace, display: str, tmp: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop.app import build
    from desktop.crm.panel import CrmPanel

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert app is not None
    with desk_servers(tmp) as (kam, store, loaded):
        measured = Measured(os.getpid())  # the servers are running: they are not the agent's
        status: dict[str, Any] = {}
        customer: Agent | None = None
        desk = build(loaded, [], display=display)
        try:
            window = desk.window
            window.show()
            wait(lambda: window.agent.state == "ready", 20, "registration")
            link = desk.recorder
            if link is None:
                raise SystemExit("agent_cpu: the desktop built no recorder")
            link.worker_event.connect(
                lambda e: status.update(e) if e.get("event") == "upload_status" else None
            )
            wait(lambda: bool(link.state.get("capturing")), 30, "the recorder worker")
            measured.built()
            panel = window.findChild(CrmPanel)
            assert panel is not None
            customer = Agent(kam, CUSTOMER)
            customer.wait_registered()
            spin(5.0)  # start-up settles (first segments, first status)
            for number in range(args.rounds):
                print(f"round {number + 1} (load average {os.getloadavg()[0]:.2f})", flush=True)
                measured.begin()
                spin(args.idle_s)
                measured.end("idle")
                measured.begin()
                customer.dial(OPERATOR)
                call_id = answer(window, panel)
                talk(window, args.call_s)
                hang_up_and_finish(window, panel)
                call = measured.end("call")
                sent_before = int(status.get("sent") or 0)
                measured.begin()
                wait(
                    lambda s=sent_before: (
                        int(status.get("sent") or 0) > s  # type: ignore[misc]
                        and not status.get("items")
                    ),
                    120,
                    "the uploads",
                    on=link.worker_event,
                )
                upload = measured.end("upload")
                _merge(measured, call, upload)
                watch = StoreWatch(store.base_url, store.tokens["quinn"], call_id, 60)
                watch.run()
                print(f"  the store has {sorted(watch.kinds)} for the call", flush=True)
        finally:
            if customer is not None:
                customer.close()
            desk.window.close()
            desk.close()
    return report(measured)


def _merge(measured: Measured, call: dict[str, Any], upload: dict[str, Any]) -> None:
    """The call and its upload as one phase (the goal's "recorded call with uploads on")."""
    wall = call["_wall_s"] + upload["_wall_s"]
    merged: dict[str, Any] = {"_wall_s": wall}
    for role in set(call) | set(upload):
        if role.startswith("_"):
            continue
        cpu = sum(p[role]["cpu_pct"] * p["_wall_s"] for p in (call, upload) if role in p)
        merged[role] = {"cpu_pct": cpu / wall, "wakeups": call.get(role, upload[role])["wakeups"]}
    measured.figures.setdefault("call+upload", []).append(merged)


def report(measured: Measured) -> int:
    print()
    print("CPU, % of one core: per round, median, goal")
    met = True
    for phase, rounds in measured.figures.items():
        totals = [sum(v["cpu_pct"] for k, v in r.items() if not k.startswith("_")) for r in rounds]
        median = statistics.median(totals)
        goal = GOALS.get(phase)
        verdict = (
            "" if goal is None else f"goal <= {goal:g} %: {'met' if median <= goal else 'NOT met'}"
        )
        met = met and (goal is None or median <= goal)
        print(f"  {phase:<12} {' '.join(f'{t:.2f}' for t in totals):<24} {median:6.2f}  {verdict}")
        last = rounds[-1]
        for role, value in last.items():
            if role.startswith("_"):
                continue
            top = ", ".join(
                f"{name} {rate:.1f}/s {pct:.3f} %" for rate, name, pct in value["wakeups"][:5]
            )
            print(f"      {role:<16} {value['cpu_pct']:5.2f} %   wake-ups: {top}")
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--call-s", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    return on_xvfb(lambda display, tmp: run(args, display, tmp))


if __name__ == "__main__":
    sys.exit(main())

"""Processes of the recorder bench: a private Xvfb, bounded stops, and CPU and memory of a
process tree measured while it runs (``os.wait4`` for CPU, ``/proc`` polling for RSS)."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class Xvfb:
    """A private Xvfb on a display number it picks itself (``-displayfd``), no TCP."""

    def __init__(self, size: str = "1920x1080x24") -> None:
        read_fd, write_fd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp"],
                pass_fds=(write_fd,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        number = b""
        deadline = time.monotonic() + 15
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while not number.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([pipe], [], [], remaining)[0]:
                    break
                chunk = pipe.read(16)
                if not chunk:  # Xvfb exited
                    break
                number += chunk
        if not number.strip().isdigit():
            self.stop()
            raise RuntimeError("Xvfb did not report a display number")
        self.display = f":{number.strip().decode()}"

    def stop(self) -> None:
        stop_process(self.proc)


def stop_process(proc: subprocess.Popen[Any], grace_s: float = 5.0) -> None:
    """SIGTERM to the process group we started, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace_s)


def start_worker(
    display: str, out: str, *args: str, cwd: str, env: dict[str, str]
) -> subprocess.Popen[str]:
    """``python -m recorder.worker`` recording ``display`` into ``out`` as the desktop starts
    it: commands on its stdin, events (text) on its stdout, in a process group of its own
    (for :func:`stop_process`); stderr dropped."""
    return subprocess.Popen(
        [sys.executable, "-m", "recorder.worker", "--display", display, "--out", out, *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


@dataclass
class Usage:
    cpu_s: float = 0.0  # user+sys of the process and its waited-for descendants (wait4)
    peak_rss_mb: float = 0.0  # the largest VmHWM (peak RSS) of any process of the tree
    tree_rss_peak_mb: float = 0.0  # peak of the summed RSS of the live tree (polled)
    tree_cpu_polled_s: float = 0.0  # cross-check: last polled user+sys per process, summed
    wall_s: float = 0.0
    exit_code: int | None = None


def _proc_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, utime+stime ticks, rss pages) for every process we can read."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                raw = stat.read().decode(errors="replace")
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21]))
    return table


def _descendants(table: dict[int, tuple[int, int, int]], root: int) -> set[int]:
    """``root`` and every process below it in ``table`` (from :func:`_proc_table`)."""
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _, _) in table.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return tree


def _peak_rss_mb(pid: int) -> float:
    """VmHWM of a live process. Not ru_maxrss: a child forked from this (big) harness inherits
    the harness's high-water mark at exec, so ru_maxrss would report ours, not its own."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return 0.0


def wait_measured(proc: subprocess.Popen[Any], timeout_s: float, poll_s: float = 0.1) -> Usage:
    """Waits for ``proc`` (killing its group after ``timeout_s``) and measures its tree.

    CPU comes from ``os.wait4`` (exact, includes every descendant the process waited for);
    RSS figures come from polling /proc every ``poll_s``. VmHWM is a high-water mark, so the
    polling only misses growth in the last ``poll_s`` of a process's life.
    """
    usage = Usage()
    start = time.monotonic()
    last_cpu: dict[int, int] = {}
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        table = _proc_table()
        tree = _descendants(table, proc.pid)
        rss = sum(table[p][2] for p in tree if p in table) * PAGE_SIZE / 1e6
        usage.tree_rss_peak_mb = max(usage.tree_rss_peak_mb, rss)
        for p in tree:
            if p in table:
                last_cpu[p] = table[p][1]
                usage.peak_rss_mb = max(usage.peak_rss_mb, _peak_rss_mb(p))
        if time.monotonic() - start > timeout_s:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(poll_s)
    usage.wall_s = time.monotonic() - start
    usage.cpu_s = rusage.ru_utime + rusage.ru_stime
    usage.tree_cpu_polled_s = sum(last_cpu.values()) / CLOCK_TICKS
    usage.exit_code = os.waitstatus_to_exitcode(status)
    proc.returncode = usage.exit_code
    return usage


def cpu_s(pid: int) -> float:
    """utime+stime of one live process so far."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        raw = stat.read().decode(errors="replace")
    fields = raw[raw.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return ""


def _wakeups(status: str) -> int:
    """Voluntary context switches in a /proc status text: how often the thread slept and woke."""
    for line in status.splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    return 0


@dataclass
class ThreadUsage:
    name: str
    cpu_s: float
    wakeups: int


def _thread_cpu_s(pid: int, tid: str, stat_fields: list[str]) -> float:
    """A thread's CPU time: from ``schedstat`` in nanoseconds where the kernel has it (``stat``
    counts 10 ms ticks: 0.03 % of a core over 30 s, the size of an idle desktop's figure)."""
    sched = _read(f"/proc/{pid}/task/{tid}/schedstat").split()
    if sched:
        return int(sched[0]) / 1e9
    return (int(stat_fields[11]) + int(stat_fields[12])) / CLOCK_TICKS


def tree_usage(root: int) -> dict[int, tuple[str, list[ThreadUsage]]]:
    """``root`` and its live descendants: pid -> (command line, its threads' CPU and wake-ups)."""
    table = _proc_table()
    out = {}
    for pid in sorted(_descendants(table, root)):
        usage = process_usage(pid)
        if usage is not None:
            out[pid] = usage
    return out


def process_usage(pid: int) -> tuple[str, list[ThreadUsage]] | None:
    """One process's command line and its threads' CPU and wake-ups (None once it is gone)."""
    command = _read(f"/proc/{pid}/cmdline").replace("\0", " ").strip()
    threads = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        raw = _read(f"/proc/{pid}/task/{tid}/stat")
        if not raw:
            continue
        fields = raw[raw.rfind(")") + 2 :].split()
        name = raw[raw.find("(") + 1 : raw.rfind(")")]
        cpu = _thread_cpu_s(pid, tid, fields)
        status = _read(f"/proc/{pid}/task/{tid}/status")
        threads.append(ThreadUsage(f"{name}#{tid}", cpu, _wakeups(status)))
    return (command, threads)

"""The softphone engine in a child process, started again when it dies — what the desktop runs.

pjsip aborts its whole process on conditions a remote party can trigger (an ioqueue assertion,
a stray Call at destroy), so the desktop keeps pjsua2 out of its own process.
:class:`EngineProcess` runs ``python -m sip.remote`` (one :class:`sip.engine.Engine` there) and
offers its interface over JSON lines: commands answered by futures, events rebuilt as
:mod:`sip.events` dataclasses for subscribers on a reader thread. When the child ends unasked
(an abort, ``kill -9``; or killed when its SIP thread answered nothing for ``hang_after_s``),
calls end (``CallEnded`` by "system"), so do monitoring sessions, ``EngineStopped(clean=False)``
and :class:`sip.events.EngineLost` are emitted, and a new child starts after a back-off with the
accounts (ids unchanged; passwords only over the pipe, never in argv, environment or logs), the
last DND, auto-answer and sound-device choices and the unused monitoring grants again. Only
``start`` and ``stop`` block their caller.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any

from sip import errors
from sip import events as ev
from sip.child import (
    CallsInProgress,
    ChildProcess,
    EngineCommands,
    Watchdog,
    exit_words,
    remote_error,
    then,
)
from sip.config import AccountSettings, EngineConfig
from sip.monitor_commands import GrantReplay, MonitorCommands

log = logging.getLogger(__name__)

RESTART_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # the last one repeats
STABLE_S = 60.0  # a child that ran this long starts the back-off from the first delay again
LOST = "the softphone stopped unexpectedly"
HANG_AFTER_S = 30.0  # a child whose SIP thread answers nothing for this long is killed
# The choices replayed into a new child.
_STICKY = ("set_dnd", "set_auto_answer", "set_audio_devices", "set_kept_headers")


class EngineProcess(EngineCommands, MonitorCommands):
    """The :class:`sip.engine.Engine` interface, served by a child process. Thread-safe."""

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        log_level: str = "WARNING",
        restart_delays_s: tuple[float, ...] = RESTART_DELAYS_S,
        start_timeout_s: float = 20.0,
        stderr: IO[Any] | None = None,
        hang_after_s: float | None = HANG_AFTER_S,
    ) -> None:
        self.config = (config or EngineConfig()).validate()
        self.log_level = log_level
        self.restart_delays_s = restart_delays_s
        self.start_timeout_s = start_timeout_s
        self._stderr = stderr
        self._sinks: list[Callable[[ev.Event], None]] = []
        self._lock = threading.Lock()
        self._next_id = 0
        self._child: ChildProcess | None = None  # the one commands go to (None while restarting)
        self._latest: ChildProcess | None = None  # the newest spawned, current or still starting
        self._accounts: dict[str, AccountSettings] = {}  # stable id → settings (with password)
        self._child_ids: dict[str, str] = {}  # stable id → the current child's id
        self._registered: dict[str, bool] = {}
        self._sticky: dict[str, dict[str, Any]] = {}
        self._calls = CallsInProgress()  # for a "system" end if the child is lost
        self.monitoring = GrantReplay()  # monitoring grants for a new child (sip.monitor)
        self._stopping = threading.Event()
        self._restarter: threading.Thread | None = None
        self._failures = 0  # restarts in a row without a stable child
        self._born = 0.0
        self._levels = (-120.0, -120.0)
        self._levels_asked = False
        self.started_event: ev.EngineStarted | None = None
        self.restarts = 0
        self.watchdog = Watchdog(self._ping, self._hung, hang_after_s)

    # --- events ---------------------------------------------------------------------------
    def subscribe(self, sink: Callable[[ev.Event], None]) -> None:
        self._sinks.append(sink)

    def emit(self, event: ev.Event) -> None:
        for sink in list(self._sinks):
            try:
                sink(event)
            except Exception:
                log.exception("event subscriber failed on %s", type(event).__name__)

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.proc.pid if child is not None else None

    @property
    def running(self) -> bool:
        return self._child is not None and not self._stopping.is_set()

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, timeout: float | None = None) -> ev.EngineStarted:
        """Start the child and wait for its engine (blocks: not on the UI thread)."""
        if self._latest is not None:
            raise errors.EngineStateError("the engine was already started")
        child = self._spawn(dataclasses.asdict(self.config))
        started = self._await_start(child, timeout or self.start_timeout_s)
        with self._lock:
            if child.ended:  # died right after starting: nobody would restart it
                raise errors.EngineStateError(f"the softphone process ended: {LOST}")
            self._child = child
        self.watchdog.thread.start()
        return started

    def stop(self, timeout: float = 20.0) -> bool:
        """Ask the child to hang up, unregister and destroy pjsua2; kill it after ``timeout``.
        Returns False if it had to be killed or did not end cleanly."""
        self._stopping.set()
        self.watchdog.stop()
        with self._lock:
            child, self._child = self._latest, None
        clean = child is None or self._stop_child(child, timeout)
        if self._restarter is not None:  # it gives up once its child is gone
            self._restarter.join(timeout)
            with self._lock:
                latest = self._latest
            if latest is not child and latest is not None:
                clean = self._stop_child(latest, timeout)
        return clean

    @staticmethod
    def _stop_child(child: ChildProcess, timeout: float) -> bool:
        if child.ended and child.proc.poll() is not None:  # a lost child was said so already
            return child.proc.returncode == 0 or not child.asked_to_stop
        child.asked_to_stop = True
        child.send({"cmd": "stop"})
        child.close_input()
        try:
            code = child.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("the softphone process did not stop within %.0f s: killed", timeout)
            child.kill()
            code = -1
        if child.reader is not None:
            child.reader.join(5)
        return code == 0

    def _spawn(self, config: dict[str, Any]) -> ChildProcess:
        fields = {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}
        child = ChildProcess(fields, self.log_level, self._stderr)
        reader = threading.Thread(target=self._read, args=(child,), name="sip-child", daemon=True)
        child.reader = reader
        with self._lock:
            self._latest = child
        reader.start()
        return child

    def _await_start(self, child: ChildProcess, timeout: float) -> ev.EngineStarted:
        if not child.started.wait(timeout) or child.started_event is None:
            child.kill()
            why = child.start_error or (
                f"it ended ({exit_words(child.proc.returncode)})"
                if child.ended
                else f"no answer within {timeout:.0f} s"
            )
            raise errors.EngineStateError(f"the softphone process did not start: {why}")
        self._born = time.monotonic()
        return child.started_event

    # --- the child's output (reader thread) ------------------------------------------------
    def _read(self, child: ChildProcess) -> None:
        assert child.proc.stdout is not None
        for line in child.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            if "event" in msg:
                try:
                    event = ev.from_dict(msg["event"])
                except (KeyError, TypeError) as exc:
                    log.warning("an event from the softphone process was not understood: %s", exc)
                    continue
                self._on_event(child, event)
            else:
                self._on_answer(child, msg)
        child.proc.stdout.close()
        self._ended(child)

    def _on_answer(self, child: ChildProcess, msg: dict[str, Any]) -> None:
        rid = msg.get("id")
        with self._lock:
            future = child.pending.pop(rid, None) if isinstance(rid, int) else None
        if future is None:
            if rid == 0 and not msg.get("ok"):  # the engine failed to start
                child.start_error = f"{msg.get('kind')}: {msg.get('error')}"
            return
        if msg.get("ok"):
            future.set_result(msg.get("result"))
        else:
            future.set_exception(remote_error(str(msg.get("kind")), str(msg.get("error"))))

    def _on_event(self, child: ChildProcess, event: ev.Event) -> None:
        if isinstance(event, ev.EngineStarted):
            child.started_event = self.started_event = event
            child.started.set()
        account = getattr(event, "account_id", None)
        if account is not None:
            stable = {v: k for k, v in list(self._child_ids.items())}.get(account)
            if stable is not None and stable != account:
                event = dataclasses.replace(event, account_id=stable)  # type: ignore[call-arg]
        self._calls.follow(event)
        self.monitoring.follow(event)
        self.emit(event)

    def _ended(self, child: ChildProcess) -> None:
        """The child's stdout closed: it exited (asked or not), or is about to."""
        try:
            code = child.proc.wait(5)
        except subprocess.TimeoutExpired:
            code = child.kill()
        with self._lock:
            child.ended = True
            pending, child.pending = child.pending, {}
            lost = child is self._child and not child.asked_to_stop
            if lost:
                self._child = None
        child.started.set()
        for future in pending.values():
            future.set_exception(errors.EngineStateError(LOST))
        if not lost or self._stopping.is_set():
            return
        how = f"no answer for {child.hung_s:g} s" if child.hung_s else exit_words(code)
        log.error("%s (%s)", LOST, how)
        ended = self._end_calls()
        self.emit(ev.EngineStopped(clean=False))
        delay = self._next_delay()
        self.emit(ev.EngineLost(exit=how, calls_ended=ended, restart_in_s=delay))
        self._restarter = threading.Thread(
            target=self._restart, args=(delay,), name="sip-restart", daemon=True
        )
        self._restarter.start()

    def _ping(self) -> tuple[object, Future[Any]] | None:
        child = self._child
        try:
            return (child, self._request("stats", {}, child)) if child is not None else None
        except errors.EngineStateError:
            return None

    def _hung(self, child: object, after_s: float) -> None:
        if isinstance(child, ChildProcess) and child is self._child:
            log.error("the softphone process answered nothing for %g s: killed", after_s)
            child.hung_s = after_s
            child.kill()  # its reader then sees the end, as after an abort

    def _end_calls(self) -> int:
        ended = self._calls.end_all(LOST)
        for event in [*ended, *self.monitoring.end_all("engine_lost")]:
            self.emit(event)
        return len(ended)

    def _next_delay(self) -> float:
        if self._born and time.monotonic() - self._born >= STABLE_S:
            self._failures = 0
        delay = self.restart_delays_s[min(self._failures, len(self.restart_delays_s) - 1)]
        self._failures += 1
        return delay

    # --- restarting (its own thread) --------------------------------------------------------
    def _restart(self, delay: float) -> None:
        previous = self.started_event
        keep_port = self.config.sip_port == 0 and previous is not None
        while not self._stopping.wait(delay):
            config = dataclasses.asdict(self.config)
            if keep_port and previous is not None and previous.sip_ports:
                # the same port again, so a peer that calls this computer directly still can
                config["sip_port"] = next(iter(previous.sip_ports.values()))
            keep_port = False
            child: ChildProcess | None = None
            try:
                child = self._spawn(config)
                self._await_start(child, self.start_timeout_s)
                if self._stopping.is_set():
                    return
                self._replay(child)
                with self._lock:
                    if child.ended:
                        raise errors.EngineStateError(f"it ended ({exit_words(child.proc.poll())})")
                    if not self._stopping.is_set():
                        self._child = child
            except Exception as exc:
                if self._stopping.is_set():
                    return
                if child is not None:
                    child.kill()
                delay = self._next_delay()
                log.error("the softphone did not start again (%s); next try in %g s", exc, delay)
                self.emit(
                    ev.EngineError(where="restart", message=f"{exc}; next try in {delay:g} s")
                )
                continue
            self.restarts += 1
            log.warning("the softphone runs again (pid %d)", child.proc.pid)
            return

    def _replay(self, child: ChildProcess) -> None:
        """The accounts (registered or not), sticky choices and unused grants, into a child."""
        for stable, settings in list(self._accounts.items()):
            fields = dataclasses.asdict(settings)
            new_id = self._request("add_account", {"settings": fields}, child).result(15)
            self._child_ids[stable] = str(new_id)
            if not self._registered.get(stable, True):
                self._request("register", {"account_id": new_id, "on": False}, child).result(15)
        sticky = [(cmd, self._sticky[cmd]) for cmd in _STICKY if cmd in self._sticky]
        for cmd, args in [*sticky, *self.monitoring.commands()]:
            self._request(cmd, args, child).result(15)

    # --- commands -------------------------------------------------------------------------
    def _request(
        self, cmd: str, args: dict[str, Any], child: ChildProcess | None = None
    ) -> Future[Any]:
        with self._lock:
            target = child if child is not None else self._child
            if target is None or target.ended or self._stopping.is_set():
                why = "is restarting" if self._latest and not self._stopping.is_set() else ""
                raise errors.EngineStateError(f"the SIP engine {why or 'is not running'}")
            self._next_id += 1
            rid = self._next_id
            future: Future[Any] = Future()
            target.pending[rid] = future
        target.send({"id": rid, "cmd": cmd, "args": args})
        return future

    def _account(self, stable: str) -> str:
        return self._child_ids.get(stable, stable)

    def add_account(self, settings: AccountSettings) -> Future[str]:
        def added(result: Any) -> str:
            account_id = str(result)
            self._accounts[account_id] = settings  # for a new child, should this one die
            self._child_ids[account_id] = account_id
            return account_id

        return then(self._request("add_account", {"settings": dataclasses.asdict(settings)}), added)

    def remove_account(self, account_id: str) -> Future[None]:
        future = self._request("remove_account", {"account_id": self._account(account_id)})
        self._accounts.pop(account_id, None)
        self._child_ids.pop(account_id, None)
        return future

    def register(self, account_id: str, on: bool = True) -> Future[None]:
        self._registered[account_id] = on
        return self._request("register", {"account_id": self._account(account_id), "on": on})

    def make_call(
        self, account_id: str, target: str, headers: dict[str, str] | None = None
    ) -> Future[str]:
        args = {"account_id": self._account(account_id), "target": target, "headers": headers}
        return self._request("make_call", args)

    def _sticky_request(self, cmd: str, args: dict[str, Any]) -> Future[None]:
        self._sticky[cmd] = args  # for a new child, should this one die
        return self._request(cmd, args)

    def levels(self) -> tuple[float, float]:
        """(mic, speaker) dBFS as the child last said; asks it again without waiting, so a UI
        timer may call this freely (the figures are one call old)."""
        with self._lock:
            ask = not self._levels_asked
            self._levels_asked = True
        if ask:
            try:
                future = self._request("levels", {})
            except errors.EngineStateError:
                self._levels_asked = False
                return (-120.0, -120.0)
            future.add_done_callback(self._got_levels)
        return self._levels

    def _got_levels(self, future: Future[Any]) -> None:
        if future.exception() is None:
            mic, speaker = future.result()
            self._levels = (float(mic), float(speaker))
        self._levels_asked = False

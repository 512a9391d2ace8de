"""A stand-in for sip.engine.Engine at the bridge's boundary: records commands, emits events."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sip import events as ev
from sip.remote import COMMANDS  # the engine's command names, kept in one place


class FakeEngine:
    """Commands answer at once (``results``/``failures`` by name); ``emit`` plays the SIP thread."""

    def __init__(self) -> None:
        self.sinks: list[Callable[[ev.Event], None]] = []
        self.commands: list[tuple[str, tuple[Any, ...]]] = []
        self.results: dict[str, Any] = {"make_call": "out-1"}
        self.failures: dict[str, Exception] = {}
        self.accounts: list[Any] = []
        self.stopped = False

    def subscribe(self, sink: Callable[[ev.Event], None]) -> None:
        self.sinks.append(sink)

    def emit(self, event: ev.Event) -> None:
        for sink in self.sinks:
            sink(event)

    def emit_from_thread(self, event: ev.Event) -> None:
        """Emit on another thread, as the real engine does."""
        t = threading.Thread(target=self.emit, args=(event,), name="fake-sip")
        t.start()
        t.join()

    def start(self, timeout: float = 15.0) -> ev.EngineStarted:
        started = ev.EngineStarted(version="fake", sip_ports={"udp": 5060}, audio="null")
        self.emit(started)
        return started

    def stop(self, timeout: float = 20.0) -> bool:
        self.stopped = True
        return True

    def add_account(self, settings: Any) -> Future[str]:
        self.accounts.append(settings)
        return self._answer("add_account", "acc-1")

    def levels(self) -> tuple[float, float]:
        return (-20.0, -120.0)

    def _answer(self, name: str, result: Any) -> Future[Any]:
        future: Future[Any] = Future()
        if name in self.failures:
            future.set_exception(self.failures[name])
        else:
            future.set_result(result)
        return future

    def __getattr__(self, name: str) -> Any:
        if name not in COMMANDS:
            raise AttributeError(name)

        def command(*args: Any) -> Future[Any]:
            self.commands.append((name, args))
            return self._answer(name, self.results.get(name))

        return command

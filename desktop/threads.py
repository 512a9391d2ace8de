"""Threads made explicit: check that code runs on the UI thread, and run work off it.

``run_in_thread`` and ``when_done`` hand a finished :class:`concurrent.futures.Future` back to
the UI thread through a queued Qt signal, so callbacks may touch widgets. Nothing here blocks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

log = logging.getLogger(__name__)
Done = Callable[[Future[Any]], None]
T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ui-worker")
_relay_lock = threading.Lock()
_relay: _Relay | None = None


class WrongThread(AssertionError):
    """UI code ran on another thread (widgets must only be touched from the UI thread)."""


def is_gui_thread() -> bool:
    app = QCoreApplication.instance()
    return app is None or QThread.currentThread() is app.thread()


def assert_gui_thread() -> None:
    """Raise :class:`WrongThread` unless called on the thread that owns the QApplication."""
    if not is_gui_thread():
        raise WrongThread(f"must run on the UI thread, not {threading.current_thread().name!r}")


class _Relay(QObject):
    """Lives on the UI thread; its queued signal carries (future, callback) over to it."""

    finished = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object, object)
    def _deliver(self, future: Future[Any], on_done: Done) -> None:
        try:
            on_done(future)
        except Exception:
            log.exception("a UI callback failed")


def _get_relay() -> _Relay:
    """The relay, created on first use from the UI thread (it must live there)."""
    global _relay
    with _relay_lock:
        if _relay is None:
            assert_gui_thread()
            _relay = _Relay()
            app = QCoreApplication.instance()
            if app is not None:
                _relay.moveToThread(app.thread())
        return _relay


def when_done(future: Future[T], on_done: Callable[[Future[T]], None]) -> None:
    """Call ``on_done(future)`` on the UI thread once ``future`` has finished."""
    relay = _get_relay()

    def hand_over(f: Future[T]) -> None:
        try:
            relay.finished.emit(f, on_done)
        except RuntimeError:  # the relay went away with the application at exit
            log.debug("result dropped after the UI closed")

    future.add_done_callback(hand_over)


def run_in_thread(fn: Callable[[], T], on_done: Callable[[Future[T]], None]) -> Future[T]:
    """Run ``fn()`` on a worker thread; ``on_done(future)`` then runs on the UI thread."""
    future = _pool.submit(fn)
    when_done(future, on_done)
    return future

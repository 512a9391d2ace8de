"""The presence publisher that feeds the live board: posts on change and as a heartbeat from
its own thread, never blocks the caller, survives a store that is down."""

from __future__ import annotations

import threading

import pytest

from desktop.agent.presence import PresencePublisher
from store.client_types import Presence


class Sink:
    """The store boundary: records posts; can fail or block on demand."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, Presence, str]] = []
        self.fail = False
        self.gate = threading.Event()
        self.gate.set()
        self.posted = threading.Condition()

    def put_presence(self, agent: str, snapshot: Presence) -> Presence:
        self.gate.wait(10)
        if self.fail:
            raise ConnectionError("store down")
        with self.posted:
            self.posts.append((agent, snapshot, threading.current_thread().name))
            self.posted.notify_all()
        return snapshot

    def wait_for(self, check: object, timeout: float = 5.0) -> None:
        with self.posted:
            assert self.posted.wait_for(lambda: check(self.posts), timeout), self.posts  # type: ignore[operator]


def test_changes_are_posted_from_the_publishers_thread() -> None:
    sink = Sink()
    pub = PresencePublisher(sink, "ann", every_s=60)
    pub.start()
    try:
        sink.wait_for(lambda posts: len(posts) == 1)  # the first snapshot at start
        pub.update(call_number="+79125550102", call_started_us=5, recording=True)
        sink.wait_for(lambda posts: posts[-1][1].get("call_number") == "+79125550102")
        agent, snapshot, thread = sink.posts[-1]
        assert agent == "ann" and thread == "presence"
        assert snapshot["recording"] is True and snapshot["upload_backlog"] == 0
        pub.update(call_number=None)
        sink.wait_for(lambda posts: posts[-1][1]["call_number"] is None)
    finally:
        pub.stop()


def test_heartbeat_repeats_an_unchanged_snapshot() -> None:
    sink = Sink()
    pub = PresencePublisher(sink, "ann", every_s=0.05)
    pub.update(upload_backlog=3)
    pub.start()
    try:
        sink.wait_for(lambda posts: len(posts) >= 3)
        assert all(p[1]["upload_backlog"] == 3 for p in sink.posts)
    finally:
        pub.stop()


def test_update_never_waits_for_the_store_and_failures_are_retried() -> None:
    sink = Sink()
    errors: list[Exception] = []
    pub = PresencePublisher(sink, "ann", every_s=0.05, on_error=errors.append)
    sink.gate.clear()  # the store hangs
    pub.start()
    for n in range(100):
        pub.update(upload_backlog=n)  # returns at once although a post is stuck
    sink.fail = True
    sink.gate.set()
    deadline = threading.Event()
    for _ in range(100):
        if errors:
            break
        deadline.wait(0.05)
    assert len(errors) == 1 and pub.failing  # said once, not on every retry
    sink.fail = False
    try:
        sink.wait_for(lambda posts: bool(posts))
        assert sink.posts[-1][1]["upload_backlog"] == 99
    finally:
        pub.stop()
    assert not pub.failing


def test_unknown_fields_are_refused() -> None:
    pub = PresencePublisher(Sink(), "ann")
    with pytest.raises(TypeError, match="unknown presence fields: on_hold"):
        pub.update(on_hold=True)

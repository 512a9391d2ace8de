"""sip.loop: commands from any thread run in order on the owner, timers fire in due order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError

import pytest

from sip.loop import CommandLoop


class Errors:
    def __init__(self) -> None:
        self.seen: list[tuple[str, BaseException]] = []

    def __call__(self, where: str, exc: BaseException) -> None:
        self.seen.append((where, exc))


def owned_loop() -> CommandLoop:
    loop = CommandLoop()
    loop.owner = threading.current_thread()
    return loop


def run_until(loop: CommandLoop, done: Callable[[], bool], timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out"
        loop.run_pending(Errors())
        time.sleep(0.001)


def test_commands_run_in_submission_order_and_answer_their_futures() -> None:
    loop = owned_loop()
    order: list[int] = []

    def command(i: int) -> Callable[[], int]:
        def fn() -> int:
            order.append(i)
            return i * 10

        return fn

    futures = [loop.submit(command(i)) for i in range(5)]
    assert not any(f.done() for f in futures)  # nothing runs until run_pending
    assert loop.run_pending(Errors()) == 5
    assert order == [0, 1, 2, 3, 4]
    assert [f.result(timeout=0) for f in futures] == [0, 10, 20, 30, 40]


def test_a_failing_command_answers_its_future_with_the_exception_and_the_rest_run() -> None:
    loop = owned_loop()
    errors = Errors()

    def boom() -> None:
        raise ValueError("bad call id")

    bad = loop.submit(boom)
    good = loop.submit(lambda: "ok")
    loop.run_pending(errors)
    with pytest.raises(ValueError, match="bad call id"):
        bad.result(timeout=0)
    assert good.result(timeout=0) == "ok"
    assert errors.seen == []  # command errors go to the caller, not to on_error


def test_commands_run_on_the_thread_calling_run_pending() -> None:
    loop = owned_loop()
    results: list[object] = []

    def submitter() -> None:
        results.append(loop.submit(threading.current_thread).result(timeout=2))

    t = threading.Thread(target=submitter)
    t.start()
    run_until(loop, lambda: bool(results))
    t.join(timeout=2)
    assert results == [threading.current_thread()]


def test_commands_from_many_threads_all_run_once() -> None:
    loop = owned_loop()
    counter: list[int] = []
    futures = []
    lock = threading.Lock()

    def submitter(n: int) -> None:
        for i in range(50):
            f = loop.submit(lambda i=i: counter.append(n * 100 + i))
            with lock:
                futures.append(f)

    threads = [threading.Thread(target=submitter, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=2)
    loop.run_pending(Errors())
    assert len(futures) == 200
    assert all(f.done() for f in futures)
    assert sorted(counter) == sorted(n * 100 + i for n in range(4) for i in range(50))
    for n in range(4):  # each thread's commands keep their order
        mine = [c for c in counter if c // 100 == n]
        assert mine == sorted(mine)


def test_a_cancelled_command_does_not_run() -> None:
    loop = owned_loop()
    ran: list[str] = []
    fut = loop.submit(lambda: ran.append("cancelled one"))
    other = loop.submit(lambda: ran.append("other"))
    assert fut.cancel()
    loop.run_pending(Errors())
    assert ran == ["other"]
    assert other.done()
    with pytest.raises(CancelledError):
        fut.result(timeout=0)


def test_run_pending_with_nothing_to_do_returns_zero() -> None:
    assert owned_loop().run_pending(Errors()) == 0


def test_timers_fire_in_due_order_not_in_creation_order() -> None:
    loop = owned_loop()
    fired: list[str] = []
    loop.call_later(0.03, lambda: fired.append("c"))
    loop.call_later(0.01, lambda: fired.append("a"))
    loop.call_later(0.02, lambda: fired.append("b"))
    time.sleep(0.04)
    loop.run_pending(Errors())
    assert fired == ["a", "b", "c"]


def test_timers_with_the_same_due_time_fire_in_creation_order() -> None:
    loop = owned_loop()
    fired: list[int] = []
    for i in range(10):
        loop.call_later(0, lambda i=i: fired.append(i))
    loop.run_pending(Errors())
    assert fired == list(range(10))


def test_a_timer_does_not_fire_before_it_is_due() -> None:
    loop = owned_loop()
    fired: list[str] = []
    loop.call_later(0.05, lambda: fired.append("late"))
    loop.call_later(-5, lambda: fired.append("now"))  # negative delay = at once
    loop.run_pending(Errors())
    assert fired == ["now"]
    run_until(loop, lambda: len(fired) == 2)
    assert fired == ["now", "late"]


def test_a_cancelled_timer_does_not_fire() -> None:
    loop = owned_loop()
    fired: list[str] = []
    loop.call_later(0, lambda: fired.append("kept"))
    handle = loop.call_later(0, lambda: fired.append("cancelled"))
    handle.cancel()
    loop.run_pending(Errors())
    assert fired == ["kept"]
    time.sleep(0.002)
    loop.run_pending(Errors())
    assert fired == ["kept"]


def test_a_failing_timer_is_reported_and_the_next_timer_still_fires() -> None:
    loop = owned_loop()
    errors = Errors()
    fired: list[str] = []
    boom = RuntimeError("timer failed")

    def bad() -> None:
        raise boom

    loop.call_later(0, bad)
    loop.call_later(0, lambda: fired.append("after"))
    loop.run_pending(errors)
    assert errors.seen == [("timer", boom)]
    assert fired == ["after"]


def test_a_timer_scheduled_by_a_timer_waits_for_the_next_round() -> None:
    loop = owned_loop()
    fired: list[str] = []

    def first() -> None:
        fired.append("first")
        loop.call_later(0, lambda: fired.append("second"))

    loop.call_later(0, first)
    loop.run_pending(Errors())
    assert fired == ["first"]
    run_until(loop, lambda: len(fired) == 2)
    assert fired == ["first", "second"]


def test_fail_pending_fails_queued_futures_and_drops_timers() -> None:
    loop = owned_loop()
    ran: list[str] = []
    futures = [loop.submit(lambda: ran.append("x")) for _ in range(3)]
    cancelled = loop.submit(lambda: ran.append("y"))
    cancelled.cancel()
    loop.call_later(0, lambda: ran.append("timer"))
    stop = RuntimeError("engine stopped")
    loop.fail_pending(stop)
    for f in futures:
        assert f.exception(timeout=0) is stop
    assert cancelled.cancelled()
    assert loop.run_pending(Errors()) == 0
    assert ran == []


def test_call_later_refuses_a_foreign_thread() -> None:
    loop = CommandLoop()
    loop.owner = threading.Thread(target=lambda: None, name="sip-thread")
    with pytest.raises(RuntimeError, match="SIP thread"):
        loop.call_later(0, lambda: None)


def test_assert_owner_passes_on_the_owner_and_raises_elsewhere() -> None:
    loop = owned_loop()
    loop.assert_owner()
    caught: list[BaseException] = []

    def elsewhere() -> None:
        try:
            loop.assert_owner()
        except RuntimeError as exc:
            caught.append(exc)

    t = threading.Thread(target=elsewhere, name="ui-thread")
    t.start()
    t.join(timeout=2)
    assert len(caught) == 1
    assert "ui-thread" in str(caught[0])


def test_assert_owner_raises_before_an_owner_is_set() -> None:
    with pytest.raises(RuntimeError):
        CommandLoop().assert_owner()


def test_the_wait_until_the_next_timer_skips_cancelled_ones_and_is_large_without_any() -> None:
    loop = owned_loop()
    assert loop.ms_to_next_timer() > 3_600_000, "no timer: an idle loop may wait long"
    soon = loop.call_later(0.02, lambda: None)
    loop.call_later(30.0, lambda: None)
    assert 0 < loop.ms_to_next_timer() <= 20
    soon.cancel()
    assert 29_000 < loop.ms_to_next_timer() <= 30_000
    loop.call_later(-1, lambda: None)
    assert loop.ms_to_next_timer() == 0

"""The parent side of the engine's process without a child: back-off, the calls a lost child
leaves, how an exit and a refusal are put into words."""

from __future__ import annotations

import time
from concurrent.futures import Future

import pytest

from sip import errors
from sip import events as ev
from sip.child import CallsInProgress, exit_words, remote_error, then
from sip.process import LOST, STABLE_S, EngineProcess


def test_restarts_back_off_and_start_afresh_after_a_stable_run() -> None:
    engine = EngineProcess()
    assert [engine._next_delay() for _ in range(7)] == [1.0, 2.0, 5.0, 10.0, 30.0, 30.0, 30.0]
    engine._born = time.monotonic() - STABLE_S
    assert engine._next_delay() == 1.0


def test_commands_before_start_fail_at_once() -> None:
    engine = EngineProcess()
    with pytest.raises(errors.EngineStateError, match="not running"):
        engine.hangup("c1")
    assert engine.levels() == (-120.0, -120.0) and not engine.running


def test_a_lost_child_ends_each_call_in_progress_by_system() -> None:
    calls = CallsInProgress()
    ring = ev.IncomingCall(
        call_id="in", account_id="a", remote_uri="sip:200@pbx", number="200", display_name="Ann",
        sip_call_id="x@pbx", headers={}, waiting=False,
    )  # fmt: skip
    for event in (
        ring,
        ev.CallStateChanged(call_id="in", state="confirmed", code=200, reason="OK"),
        ev.CallStateChanged(call_id="out", state="calling", code=0, reason=""),
        ev.CallStateChanged(call_id="gone", state="early", code=180, reason="Ringing"),
        ev.CallEnded(call_id="gone", record={}),
        ev.CallReplaced(old_call_id="in", new_call_id="new"),
        ev.TransferRequested(call_id="out", target_uri="sip:300@pbx", new_call_id="refer"),
    ):
        calls.follow(event)
    ended = {e.call_id: e.record for e in calls.end_all(LOST)}
    assert set(ended) == {"in", "out", "new", "refer"} and len(calls) == 0
    assert ended["in"]["direction"] == "inbound" and ended["in"]["number"] == "200"
    assert ended["in"]["answer_at_us"] and "answer_at_us" not in ended["out"]
    assert ended["new"]["number"] == "200" and ended["refer"]["remote_uri"] == "sip:300@pbx"
    assert all(r["ended_by"] == "system" and r["cause_reason"] == LOST for r in ended.values())


def test_exits_and_refusals_in_words() -> None:
    assert exit_words(-9) == "signal SIGKILL" and exit_words(-6) == "signal SIGABRT"
    assert exit_words(1) == "exit 1" and exit_words(None) == "still running"
    assert isinstance(remote_error("LimitError", "4 calls"), errors.LimitError)
    other = remote_error("KeyError", "'x'")
    assert isinstance(other, errors.SipError) and "KeyError" in str(other)


def test_then_derives_a_result_or_passes_the_failure_on() -> None:
    ok: Future[int] = Future()
    doubled = then(ok, lambda n: n * 2)
    ok.set_result(21)
    assert doubled.result(0) == 42
    bad: Future[int] = Future()
    failed = then(bad, lambda n: n)
    bad.set_exception(errors.NotFoundError("no call c9"))
    assert isinstance(failed.exception(0), errors.NotFoundError)

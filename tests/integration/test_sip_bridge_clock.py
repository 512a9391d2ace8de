"""The audio clock stops between calls (sip.bridge_clock) and that loses nothing: fifty calls
in a row leave no conference slot behind, and the next call still carries and records both
sides."""

from __future__ import annotations

import time

import pytest

from tests.integration.sipkit import Agent, channel_tones, connect

pytestmark = pytest.mark.integration

CALLS = 50


def clock_stopped(agent: Agent, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while agent.call("stats")["audio_clock"]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_fifty_calls_with_the_clock_stopped_between_them_leak_no_slot(agents, tmp_path):
    alice = agents("alice", recording_dir=str(tmp_path / "a"))
    bob = agents("bob")
    idle = alice.call("stats")
    assert not idle["audio_clock"], "an idle engine should not clock the conference bridge"
    baseline = idle["conference_ports"]
    starts = idle["audio_clock_starts"]

    for n in range(CALLS):
        a_call, b_call = connect(alice, bob)
        assert alice.call("stats")["audio_clock"]
        (alice if n % 2 else bob).call("hangup", call_id=a_call if n % 2 else b_call)
        alice.wait("CallEnded", call_id=a_call)
        bob.wait("CallEnded", call_id=b_call)
        assert clock_stopped(alice), f"the clock still runs after call {n + 1}"
        assert alice.ports_settle(baseline) == baseline, f"a slot is left after call {n + 1}"
    assert alice.call("stats")["audio_clock_starts"] == starts + CALLS

    # The next call: both directions heard and recorded on their own channels.
    a_call, b_call = connect(alice, bob)
    alice.call("play_tone", call_id=a_call, freq1=1000)
    bob.call("play_tone", call_id=b_call, freq1=600)
    alice.wait("RecordingStarted", call_id=a_call)
    time.sleep(1.5)
    alice.call("hangup", call_id=a_call)
    done = alice.wait("RecordingFinished", call_id=a_call)
    left, right, lrms, rrms = channel_tones(done["path"])
    assert abs(left - 1000) < 25 and abs(right - 600) < 25, (left, right)
    assert min(lrms, rrms) > 0.01
    assert clock_stopped(alice) and alice.ports_settle(baseline) == baseline

"""Live monitoring mixed in the operator's own softphone, with real engines through Kamailio:
the customer (bob) plays 600 Hz, the operator (alice) 1000 Hz, the supervisor (dave) 1400 Hz.
What each one hears is read from recordings (the customer's, the supervisor's) and, for the
operator, from her speaker on a real sound server."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from formats.clock import utc_us
from sip import events as ev
from sip.remote import RemoteError
from tests.integration.sipkit import Agent, channel_window, connect, tone_share
from tests.integration.test_engine_process import OPERATOR, Desk, desk  # noqa: F401
from tests.servers.pulse import PulseServer, pulse_server

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
HEARD, NOT_HEARD = 0.05, 0.005  # a tone's share of the energy: clearly there / absent
PHASE_S = 1.2


@pytest.fixture
def pulse() -> Iterator[PulseServer]:
    yield from pulse_server()


def session() -> str:
    return uuid.uuid4().hex


def expiry(seconds: float) -> int:
    return utc_us() + int(seconds * 1e6)


def leg_events(agent: Agent, call_id: str) -> list[str]:
    """Types of the not yet consumed events that name ``call_id``."""
    return [e["type"] for e in agent.engine.events if e.get("call_id") == call_id]


def recording(agent: Agent, call_id: str) -> tuple[str, int]:
    done = agent.wait("RecordingFinished", call_id=call_id, timeout=15)
    return done["path"], int(done["first_sample_utc_us"])


def test_one_call_through_listen_whisper_and_barge(agents, pulse, tmp_path: Path):
    alice = agents(
        "alice", audio="portaudio", env=pulse.child_env(), recording_dir=str(tmp_path / "a")
    )
    bob = agents("bob", recording_dir=str(tmp_path / "b"))
    dave = agents("dave")
    assert alice.engine.started["audio"] == "portaudio", alice.engine.started["audio_detail"]
    b_call, a_call = connect(bob, alice)
    bob.call("play_tone", call_id=b_call, freq1=600)
    alice.call("play_tone", call_id=a_call, freq1=1000)

    sid = session()
    alice.call(
        "grant_monitor", session_id=sid, supervisor="dave", mode="listen", expires_us=expiry(60)
    )
    d_leg = dave.call("call_monitor", target="alice", session_id=sid)
    started = alice.wait("MonitorStarted", session_id=sid)
    assert started["role"] == "agent" and started["customer_call_id"] == a_call
    assert started["supervisor"] == "dave" and started["mode"] == "listen"
    assert dave.wait("MonitorStarted", session_id=sid)["call_id"] == d_leg
    dave.call("play_tone", call_id=d_leg, freq1=1400)
    dave.call("start_recording", call_id=d_leg, folder=str(tmp_path / "d"))

    windows, heard = {}, {}
    for mode in ("listen", "whisper", "barge"):
        if mode != "listen":
            alice.call("set_monitor_mode", session_id=sid, mode=mode)
            changed = alice.wait("MonitorModeChanged", session_id=sid, mode=mode)
            assert changed["previous"] == ("listen" if mode == "whisper" else "whisper")
        time.sleep(0.6)  # the bridge, the jitter buffers and the sound server settle
        start = utc_us()
        heard[mode] = pulse.record_sink(PHASE_S)  # the operator's speaker
        windows[mode] = (start, utc_us())
    # A sensitive moment while the supervisor barges: the call goes on, its recording takes
    # nothing of anyone.
    alice.call("set_recording_paused", call_id=a_call, paused=True)
    time.sleep(0.2)
    paused = (utc_us(), utc_us() + 800_000)
    time.sleep(1.0)
    alice.call("set_recording_paused", call_id=a_call, paused=False)

    bob.call("hangup", call_id=b_call)
    ended = alice.wait("MonitorEnded", session_id=sid)
    assert ended["reason"] == "call_ended" and ended["role"] == "agent" and ended["started"]
    assert dave.wait("MonitorEnded", session_id=sid)["reason"] == "agent_ended"
    alice.wait("CallEnded", call_id=a_call)

    # The operator's ears: the customer always, the supervisor from whisper on.
    for mode, samples in heard.items():
        assert tone_share(samples, 16000, 600) > HEARD, mode
        if mode == "listen":
            assert tone_share(samples, 16000, 1400) < NOT_HEARD
        else:
            assert tone_share(samples, 16000, 1400) > HEARD, mode
    # The supervisor hears the customer and the operator, never himself.
    d_path, d_first = recording(dave, d_leg)
    for mode, (start, end) in windows.items():
        _sent, got = channel_window(d_path, d_first, start, end)
        assert tone_share(got, 16000, 600) > HEARD and tone_share(got, 16000, 1000) > HEARD, mode
        assert tone_share(got, 16000, 1400) < NOT_HEARD, mode
    # The customer hears the supervisor only in barge; so does the recording of the call.
    b_path, b_first = recording(bob, b_call)
    a_path, a_first = recording(alice, a_call)
    for mode, (start, end) in windows.items():
        _sent, customer_heard = channel_window(b_path, b_first, start, end)
        operator_side, customer_side = channel_window(a_path, a_first, start, end)
        assert tone_share(customer_heard, 16000, 1000) > HEARD, mode
        assert tone_share(operator_side, 16000, 1000) > HEARD, mode
        assert tone_share(customer_side, 16000, 1400) < NOT_HEARD, mode
        for samples in (customer_heard, operator_side):
            share = tone_share(samples, 16000, 1400)
            assert share > HEARD if mode == "barge" else share < NOT_HEARD, (mode, share)
    operator_side, customer_side = channel_window(a_path, a_first, *paused)
    assert float(np.max(np.abs(operator_side))) == float(np.max(np.abs(customer_side))) == 0
    _sent, customer_heard = channel_window(b_path, b_first, *paused)
    assert tone_share(customer_heard, 16000, 1400) > HEARD  # the supervisor still barges in
    # The monitoring leg was never a call of the operator's: no ringing, no call events, no
    # recording of its own.
    assert not any(e["type"] == "IncomingCall" for e in alice.engine.events)
    assert leg_events(alice, started["call_id"]) == []
    assert sorted(p.name for p in (tmp_path / "a").glob("*.wav")) == [f"{a_call}.wav"]


def test_forged_expired_replayed_and_foreign_sessions_get_no_media(agents):
    alice = agents("alice", max_calls=3)  # the operator
    bob, carol, dave = agents("bob"), agents("carol"), agents("dave", max_calls=1)
    connect(bob, alice)

    def grant(supervisor: str = "dave", seconds: float = 60, mode: str = "listen") -> str:
        sid = session()
        alice.call(
            "grant_monitor", session_id=sid, supervisor=supervisor, mode=mode,
            expires_us=expiry(seconds),
        )  # fmt: skip
        return sid

    def refused(sid: str, why: str, by: Agent = dave) -> None:
        leg = by.call("call_monitor", target="alice", session_id=sid)
        ended = by.wait("MonitorEnded", call_id=leg)
        assert not ended["started"] and ended["reason"].startswith("refused: "), ended
        rejected = alice.wait("MonitorRejected", session_id=sid)
        assert why in rejected["reason"] and rejected["supervisor"] == by.user, rejected
        assert "MonitorStarted" not in leg_events(by, leg)

    def admitted(sid: str) -> str:
        leg = str(dave.call("call_monitor", target="alice", session_id=sid))
        dave.wait("MonitorStarted", session_id=sid)
        alice.wait("MonitorStarted", session_id=sid)
        return leg

    refused(session(), "no such monitoring session")  # forged
    soon = grant(seconds=0.3)
    time.sleep(0.5)
    refused(soon, "expired")
    refused(grant("carol"), "is for carol, not dave")
    with pytest.raises(RemoteError, match="mode 'spy' must be one of listen, whisper, barge"):
        grant(mode="spy")
    with pytest.raises(RemoteError, match="NotFoundError: no monitoring session"):
        alice.call("set_monitor_mode", session_id=session(), mode="barge")

    once = grant(mode="whisper")
    leg = admitted(once)
    dave.call("hangup", call_id=leg)
    assert alice.wait("MonitorEnded", session_id=once)["reason"] == "supervisor_hung_up"
    assert dave.wait("MonitorEnded", session_id=once)["reason"] == "hung_up"
    refused(once, "already used")  # replayed
    revoked = grant()
    admitted(revoked)
    alice.call("revoke_monitor", session_id=revoked)
    assert alice.wait("MonitorEnded", session_id=revoked)["reason"] == "revoked"
    assert dave.wait("MonitorEnded", session_id=revoked)["reason"] == "agent_ended"
    refused(revoked, "no such monitoring session")

    # Customer + consultation + monitoring fit; one call more is refused by the limit, in
    # words, on either phone.
    consult = alice.dial("carol")
    ring = carol.wait("IncomingCall")
    carol.call("answer", call_id=ring["call_id"])
    alice.wait("CallStateChanged", call_id=consult, state="confirmed")
    admitted(grant())
    with pytest.raises(RemoteError, match="limit of 1 calls is reached: end a call before"):
        dave.call("call_monitor", target="alice", session_id=grant())
    refused(grant("carol"), "486 Busy Here: this softphone's limit of 3 calls is reached", carol)
    assert not any(e["type"] == "IncomingCall" for e in alice.engine.events)


def test_a_grant_survives_a_restart_follows_the_operator_and_is_never_given_twice(
    qtbot: QtBot,
    desk: Desk,  # noqa: F811
    agents: Callable[..., Agent],
    tmp_path: Path,
) -> None:
    # The desktop's own engine (a child process behind the bridge) is the operator's phone.
    alice, carol = agents("alice"), agents("carol")  # the customer, the supervisor
    sid = session()
    desk.engine.grant_monitor(sid, "carol", "listen", expiry(60), follow=True).result(5)

    def killed() -> ev.EngineLost:
        pid = desk.engine.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        lost = desk.wait(qtbot, ev.EngineLost, 3000)
        desk.wait(qtbot, ev.RegistrationChanged, 15000, state="registered")
        qtbot.waitUntil(lambda: desk.engine.pid not in (None, pid), timeout=5000)
        assert isinstance(lost, ev.EngineLost)
        return lost

    killed()  # the grant, not used yet, reaches the new process
    leg = carol.call("call_monitor", target=OPERATOR, session_id=sid)
    started = desk.wait(qtbot, ev.MonitorStarted, 5000, session_id=sid)
    assert isinstance(started, ev.MonitorStarted) and started.follow
    assert started.customer_call_id == ""  # the operator is between calls: it waits
    carol.wait("MonitorStarted", session_id=sid)
    carol.call("start_recording", call_id=leg, folder=str(tmp_path / "carol"))

    a_out = alice.dial(OPERATOR)
    ring = desk.wait(qtbot, ev.IncomingCall, 5000)
    assert isinstance(ring, ev.IncomingCall)
    desk.bridge.answer(ring.call_id)
    followed = desk.wait(qtbot, ev.MonitorFollowed, 5000, session_id=sid)
    assert isinstance(followed, ev.MonitorFollowed) and followed.customer_call_id == ring.call_id
    alice.wait("CallStateChanged", call_id=a_out, state="confirmed")
    alice.call("play_tone", call_id=a_out, freq1=600)
    time.sleep(0.6)
    start = utc_us()
    time.sleep(1.0)
    end = utc_us()

    # A lost process ends its session; only the customer's call counts as a call.
    assert killed().calls_ended == 1
    ended = desk.wait(qtbot, ev.MonitorEnded, 2000, session_id=sid)
    assert isinstance(ended, ev.MonitorEnded) and ended.reason == "engine_lost"
    assert list(desk.book.calls) == [ring.call_id]  # the operator's list: the customer only
    carol.call("hangup", call_id=leg)
    path, first = recording(carol, leg)
    _sent, heard = channel_window(path, first, start, end)
    assert tone_share(heard, 16000, 600) > HEARD  # it followed the operator onto the call
    # The used grant was not given to the new process: calling with it again is refused.
    again = carol.call("call_monitor", target=OPERATOR, session_id=sid)
    assert not carol.wait("MonitorEnded", call_id=again)["started"]
    rejected = desk.wait(qtbot, ev.MonitorRejected, 5000, session_id=sid)
    assert isinstance(rejected, ev.MonitorRejected) and rejected.code == 403
    alice.call("hangup", call_id=a_out)

"""The desktop's engine in its own process (sip.process.EngineProcess behind the EngineBridge),
registered at a real Kamailio and called by a real second engine: a ``kill -9`` of the child
mid-call ends the call by "system" within 2 s, this process (the UI's) lives on, and the child
is started again, re-registers and rings for the next call. A pause of the screen silences both
channels of the call's recording in the child, for the paused span only."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from desktop.calls.engine_bridge import EngineBridge, make_engine
from desktop.calls.model import Call, CallBook
from desktop.recording.audio_pause import AudioPause
from desktop.recording.link import RecorderLink
from desktop.recording.options import LinkOptions
from formats.call_audio import read_pcm16
from recorder.worker_options import WorkerOptions
from sip import events as ev
from sip.config import AccountSettings, EngineConfig
from sip.process import LOST, EngineProcess
from tests.integration.sipkit import PASSWORDS, Agent
from tests.servers.baresip import dominant_frequency
from tests.servers.kamailio import Kamailio

pytestmark = pytest.mark.integration
OPERATOR = "dave"


class Desk:
    """The bridge over a child engine, every event it delivered (on the UI thread) and the
    operator's error lines."""

    def __init__(self, bridge: EngineBridge, engine: EngineProcess, kamailio: Kamailio) -> None:
        self.bridge, self.engine, self.kamailio = bridge, engine, kamailio
        self.events: list[ev.Event] = []
        self.errors: list[str] = []
        self.book = CallBook.following(bridge, bridge, extension=OPERATOR)
        self.ended: list[Call] = []
        self.book.ended.connect(self.ended.append)
        bridge.sip_event.connect(self.events.append)
        bridge.error.connect(self.errors.append)

    def wait(
        self, qtbot: QtBot, type_: type[ev.Event], timeout_ms: int = 10000, **match: object
    ) -> ev.Event:
        def found() -> ev.Event | None:
            for e in self.events:
                if isinstance(e, type_) and all(getattr(e, k) == v for k, v in match.items()):
                    return e
            return None

        qtbot.waitUntil(lambda: found() is not None, timeout=timeout_ms)
        event = found()
        assert event is not None
        self.events.remove(event)
        return event


@pytest.fixture
def desk(qtbot: QtBot, kamailio: Kamailio, tmp_path: Path) -> Iterator[Desk]:
    config = EngineConfig(
        bind_address="127.0.0.1",
        transports=("udp",),
        audio="null",
        recording_dir=str(tmp_path / "audio"),
    )
    engine = make_engine(config)
    assert isinstance(engine, EngineProcess)
    bridge = EngineBridge(engine)
    desk = Desk(bridge, engine, kamailio)
    account = AccountSettings(
        user=OPERATOR, domain=kamailio.domain, registrar=kamailio.registrar_uri("udp")
    )
    bridge.start(account, lambda: PASSWORDS[OPERATOR])
    try:
        desk.wait(qtbot, ev.RegistrationChanged, 15000, state="registered")
        yield desk
    finally:
        assert bridge.stop(), "the engine's process did not stop cleanly"
        assert engine.pid is None
        assert kamailio.contacts(OPERATOR) == []  # it un-REGISTERed before it went


def answered_call(qtbot: QtBot, desk: Desk, caller: Agent) -> tuple[str, str]:
    """``caller`` dials the operator, the operator answers: (caller's id, operator's id)."""
    out_id = caller.dial(OPERATOR)
    ring = desk.wait(qtbot, ev.IncomingCall)
    assert isinstance(ring, ev.IncomingCall)
    desk.bridge.answer(ring.call_id)
    desk.wait(qtbot, ev.CallStateChanged, call_id=ring.call_id, state="confirmed")
    caller.wait("CallStateChanged", call_id=out_id, state="confirmed")
    return out_id, ring.call_id


def test_a_killed_engine_ends_its_call_and_comes_back_registered(
    qtbot: QtBot, desk: Desk, agents: Callable[..., Agent]
) -> None:
    alice = agents("alice")
    out_id, call_id = answered_call(qtbot, desk, alice)
    desk.bridge.levels()  # asked of the child without waiting
    old_pid = desk.engine.pid
    assert old_pid is not None and old_pid != os.getpid()
    secret = PASSWORDS[OPERATOR].encode()
    for what in ("cmdline", "environ"):  # the password went over the pipe only
        assert secret not in Path(f"/proc/{old_pid}/{what}").read_bytes()

    killed = time.monotonic()
    os.kill(old_pid, signal.SIGKILL)
    ended = desk.wait(qtbot, ev.CallEnded, 2000, call_id=call_id)
    took = time.monotonic() - killed
    assert isinstance(ended, ev.CallEnded) and took < 2.0
    assert ended.record["ended_by"] == "system" and ended.record["cause_reason"] == LOST
    assert ended.record["direction"] == "inbound" and ended.record.get("answer_at_us")
    qtbot.waitUntil(lambda: bool(desk.ended), timeout=2000)
    call = desk.ended[0]
    assert call.call_id == call_id and call.record is not None
    assert call.record["ended_by"] == "system" and call.record["cause"] == LOST
    assert call.answered_us is not None
    lost = desk.wait(qtbot, ev.EngineLost, 2000)
    assert isinstance(lost, ev.EngineLost) and lost.exit == "signal SIGKILL"
    assert lost.calls_ended == 1 and lost.restart_in_s == 1.0
    desk.wait(qtbot, ev.EngineStopped, 2000, clean=False)
    qtbot.waitUntil(lambda: any("stopped unexpectedly" in e for e in desk.errors), timeout=2000)
    # The call audio written until the kill stays for the outbox's recovery.
    assert list((Path(desk.engine.config.recording_dir)).glob(f"{call_id}*.json"))

    desk.wait(qtbot, ev.EngineStarted, 10000)
    desk.wait(qtbot, ev.RegistrationChanged, 10000, state="registered")
    assert len(kamailio_contacts := desk.kamailio.contacts(OPERATOR)) == 1, kamailio_contacts
    new_pid = desk.engine.pid
    assert new_pid is not None and new_pid != old_pid and desk.engine.restarts == 1
    qtbot.waitUntil(lambda: any("runs again" in e for e in desk.errors), timeout=2000)
    alice.call("hangup", call_id=out_id)
    alice.wait("CallEnded", call_id=out_id)

    out_id, call_id = answered_call(qtbot, desk, alice)  # a new call rings and is answered
    desk.bridge.hangup(call_id)
    ended = desk.wait(qtbot, ev.CallEnded, 5000, call_id=call_id)
    assert isinstance(ended, ev.CallEnded) and ended.record["ended_by"] == "local"
    alice.wait("CallEnded", call_id=out_id)


def test_a_new_engine_gets_the_same_account_and_choices_and_commands_meanwhile_fail_in_words(
    qtbot: QtBot, desk: Desk, agents: Callable[..., Agent]
) -> None:
    alice = agents("alice")
    account = desk.bridge.account_id
    desk.bridge.set_dnd(True)
    qtbot.waitUntil(lambda: bool(desk.engine.stats().result(5)["dnd"]), timeout=2000)
    pid = desk.engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGABRT)  # what pjsip's assertions do
    desk.wait(qtbot, ev.EngineLost, 3000)
    started = time.perf_counter()
    assert desk.bridge.levels() == (-120.0, -120.0)
    desk.bridge.make_call("alice")
    assert time.perf_counter() - started < 0.05  # nothing waited for the child
    assert any("Could not call alice" in e and "restarting" in e for e in desk.errors)

    desk.wait(qtbot, ev.RegistrationChanged, 15000, state="registered")
    qtbot.waitUntil(lambda: desk.engine.pid is not None, timeout=5000)
    assert desk.engine.stats().result(5)["dnd"] is True  # the operator's choice came back
    assert desk.bridge.account_id == account  # the id the window knows still dials
    with qtbot.waitSignal(desk.bridge.dialled, timeout=5000) as dialled:
        desk.bridge.make_call("alice")
    ring = alice.wait("IncomingCall")
    alice.call("reject", call_id=ring["call_id"])
    desk.wait(qtbot, ev.CallEnded, 5000, call_id=dialled.args[0])
    devices = desk.bridge.list_devices().result(20)
    assert isinstance(devices, list)  # asked of the child (no sound devices on this machine)


def test_an_engine_that_answers_nothing_is_killed_and_started_again(
    qtbot: QtBot, desk: Desk
) -> None:
    desk.engine.watchdog.hang_after_s = 2.0
    pid = desk.engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # as stuck as a deadlocked SIP thread
    lost = desk.wait(qtbot, ev.EngineLost, 6000)
    assert isinstance(lost, ev.EngineLost) and lost.exit == "no answer for 2 s"
    desk.engine.watchdog.hang_after_s = 30.0
    desk.wait(qtbot, ev.RegistrationChanged, 15000, state="registered")
    assert desk.engine.pid not in (None, pid)


def loud_windows(channel: np.ndarray, rate: int, window_s: float = 0.01) -> np.ndarray:
    """Whether each ``window_s`` of ``channel`` holds sound (RMS above -50 dBFS)."""
    n = int(rate * window_s)
    frames = channel[: len(channel) // n * n].astype(np.float64).reshape(-1, n) / 32768.0
    loud: np.ndarray = np.sqrt(np.mean(frames**2, axis=1)) > 10 ** (-50 / 20)
    return loud


def test_a_pause_silences_both_channels_of_the_recording_at_the_source(
    qtbot: QtBot, desk: Desk, agents: Callable[..., Agent], tmp_path: Path
) -> None:
    """The INVITE's Queue-Name header (named by the policy) reaches the desktop. Both sides
    play a tone all through the call (operator 1000 Hz, customer 600 Hz); the
    operator pauses (manual) 1.5 s in, resumes 1.5 s later, hangs up 1.5 s after. The call's
    WAV: each channel its tone before and after, and nothing at all (zeros) in between; the
    silence starts and ends within 100 ms of the pause and resume noted for the call."""
    alice = agents("alice")  # the customer, through a PBX that names its queue its own way
    link = RecorderLink(LinkOptions(WorkerOptions(out_dir=tmp_path / "screen")), desk.book)
    AudioPause(link, desk.book, desk.bridge.set_recording_paused, parent=link)  # no worker
    desk.bridge.set_kept_headers(("queue-name",))  # as the recording policy names it
    desk.engine.stats().result(5)  # answered after the headers were taken (one pipe, in order)
    out_id = str(alice.call("make_call", account_id=alice.account, target=OPERATOR,
                            headers={"Queue-Name": "vip"}))  # fmt: skip
    ring = desk.wait(qtbot, ev.IncomingCall)
    assert isinstance(ring, ev.IncomingCall) and ring.headers.get("queue-name") == "vip"
    call_id = ring.call_id
    desk.bridge.answer(call_id)
    desk.wait(qtbot, ev.CallStateChanged, call_id=call_id, state="confirmed")
    started = desk.wait(qtbot, ev.RecordingStarted, call_id=call_id)
    assert isinstance(started, ev.RecordingStarted)
    desk.engine.play_tone(call_id, 1000).result(5)
    alice.call("play_tone", call_id=out_id, freq1=600)
    qtbot.wait(1500)
    link.pause("manual")
    qtbot.wait(1500)
    link.resume("manual")
    qtbot.wait(1500)
    desk.bridge.hangup(call_id)
    done = desk.wait(qtbot, ev.RecordingFinished, 15000, call_id=call_id)
    assert isinstance(done, ev.RecordingFinished)
    alice.wait("CallEnded", call_id=out_id)
    call = desk.book.get(call_id) or next(c for c in desk.ended if c.call_id == call_id)
    marks = {n["kind"]: n["at_us"] for n in call.notes if n["kind"] in ("pause", "resume")}
    pcm, rate, _ = read_pcm16(done.path)
    pause_s = (marks["pause"] - done.first_sample_utc_us) / 1e6
    resume_s = (marks["resume"] - done.first_sample_utc_us) / 1e6
    figures = []
    for channel, freq in ((0, 1000.0), (1, 600.0)):
        loud = loud_windows(pcm[:, channel], rate)
        quiet = np.nonzero(~loud[int((pause_s - 0.5) / 0.01) :])[0]
        assert len(quiet), f"channel {channel}: never silent"
        silent_from = (int((pause_s - 0.5) / 0.01) + int(quiet[0])) * 0.01
        back = np.nonzero(loud[int(silent_from / 0.01) :])[0]
        assert len(back), f"channel {channel}: silent to the end"
        silent_to = (int(silent_from / 0.01) + int(back[0])) * 0.01
        figures.append((channel, silent_from - pause_s, silent_to - resume_s))
        assert abs(silent_from - pause_s) <= 0.1 and abs(silent_to - resume_s) <= 0.1, figures
        inside = pcm[int((pause_s + 0.1) * rate) : int((resume_s - 0.1) * rate), channel]
        assert int(np.abs(inside).max()) == 0, f"channel {channel}: sound while paused"
        before = pcm[int((pause_s - 1.0) * rate) : int((pause_s - 0.1) * rate), channel]
        after = pcm[int((resume_s + 0.2) * rate) : int((resume_s + 1.1) * rate), channel]
        for part in (before, after):
            assert dominant_frequency(part.astype(np.float64), rate) == pytest.approx(freq, abs=5)
    print("silence edges − pause/resume marks (s):", figures)

"""The PortAudio bridge against a real PulseAudio server with null devices: what the caller
says comes out of the operator's speaker sink; what the operator's microphone hears reaches
the caller."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from sip.remote import RemoteEngine
from tests.integration.sipkit import channel_tones
from tests.servers.baresip import dominant_frequency
from tests.servers.pulse import SERVER_RATE, PulseServer, pulse_server

pytestmark = pytest.mark.integration
LOCAL = {"bind_address": "127.0.0.1", "transports": ["udp"]}


@pytest.fixture
def pulse() -> Iterator[PulseServer]:
    yield from pulse_server()


def _agent(config: dict, user: str, env: dict[str, str] | None = None) -> tuple[RemoteEngine, str]:
    engine = RemoteEngine({**LOCAL, **config}, env=env)
    acc = engine.call(
        "add_account", settings={"user": user, "domain": "127.0.0.1", "register": False}
    )
    return engine, acc


def _streams(pulse: PulseServer, engine: RemoteEngine) -> tuple[int, int]:
    """How many playback and capture streams the engine's process has on the sound server."""
    ours = f'application.process.id = "{engine.proc.pid}"'
    return (
        pulse.pactl("list", "sink-inputs").count(ours),
        pulse.pactl("list", "source-outputs").count(ours),
    )


def _streams_after(
    pulse: PulseServer, engine: RemoteEngine, want: tuple[int, int], within_s: float
) -> tuple[int, int]:
    deadline = time.monotonic() + within_s
    while (now := _streams(pulse, engine)) != want and time.monotonic() < deadline:
        time.sleep(0.2)
    return now


def test_call_audio_flows_through_the_os_sound_server(pulse, tmp_path):
    operator, _op_acc = _agent({"audio": "portaudio"}, "operator", env=pulse.child_env())
    customer, cu_acc = _agent({"audio": "null", "recording_dir": str(tmp_path)}, "customer")
    try:
        assert operator.started["audio"] == "portaudio", operator.started["audio_detail"]
        # Idle with a device chosen: no stream open on the sound server (they cost ~4 % of a
        # core). Asking for the levels (the audio settings do) opens them for a moment.
        assert _streams_after(pulse, operator, (0, 0), within_s=4.0) == (0, 0)
        tone = np.sin(2 * np.pi * 500 * np.arange(int(2 * SERVER_RATE)) / SERVER_RATE) * 0.4
        with pulse.play_into_source(tone.astype(np.float32)):
            mic_levels = []
            for _ in range(12):
                mic_levels.append(operator.call("levels")[0])
                time.sleep(0.1)
            assert _streams(pulse, operator) == (1, 1)
        assert max(mic_levels) > -20, mic_levels  # 0.4 of full scale: about -11 dBFS
        assert _streams_after(pulse, operator, (0, 0), within_s=4.0) == (0, 0)
        idle_ports = operator.call("stats")["conference_ports"]
        port = operator.started["sip_ports"]["udp"]
        for _ in range(4):  # the streams and the port come and go with each call, no slot kept
            short = customer.call(
                "make_call", account_id=cu_acc, target=f"sip:operator@127.0.0.1:{port}"
            )
            operator.call("answer", call_id=operator.wait_event("IncomingCall")["call_id"])
            customer.wait_event("CallStateChanged", state="confirmed", call_id=short)
            assert _streams_after(pulse, operator, (1, 1), within_s=2.0) == (1, 1)
            customer.call("hangup", call_id=short)
            customer.wait_event("CallStateChanged", state="disconnected", call_id=short)
            assert _streams_after(pulse, operator, (0, 0), within_s=4.0) == (0, 0)
            assert operator.call("stats")["conference_ports"] == idle_ports
        cu_call = customer.call(
            "make_call", account_id=cu_acc, target=f"sip:operator@127.0.0.1:{port}"
        )
        ring = operator.wait_event("IncomingCall")
        # A call opens them from its first ring (its answer needs no wait); the ring plays on
        # a stream of its own meanwhile.
        assert _streams_after(pulse, operator, (2, 1), within_s=2.0) == (2, 1)
        operator.call("answer", call_id=ring["call_id"])
        customer.wait_event("CallStateChanged", state="confirmed", call_id=cu_call)
        customer.call("play_tone", call_id=cu_call, freq1=1000)
        tone = np.sin(2 * np.pi * 500 * np.arange(int(4 * SERVER_RATE)) / SERVER_RATE) * 0.4
        feed = pulse.play_into_source(tone.astype(np.float32))
        feed_start_us = time.time_ns() // 1000
        time.sleep(0.8)  # jitter buffers and the sound server settle
        heard = pulse.record_sink(1.5)
        rms = float(np.sqrt(np.mean(heard**2)))
        assert abs(dominant_frequency(heard, 16000) - 1000) < 25 and rms > 0.02, rms
        levels_ok = operator.call("stats")  # the engine is still healthy mid-call
        assert levels_ok["calls"] == 1
        time.sleep(0.5)
        feed_stop_us = time.time_ns() // 1000
        feed.stop()
        customer.call("hangup", call_id=cu_call)
        done = customer.wait_event("RecordingFinished", call_id=cu_call)
        # The customer's recording: left = what the customer sent (1000 Hz), right = what
        # the operator's microphone picked up (500 Hz from the sound server).
        # Align by the recording's UTC stamp: analyse only while the microphone was fed.
        start_s = (feed_start_us - done["first_sample_utc_us"]) / 1e6 + 0.5
        until_s = (feed_stop_us - done["first_sample_utc_us"]) / 1e6 - 0.1
        left, right, _, right_rms = channel_tones(done["path"], start_s, until_s)
        assert abs(left - 1000) < 25
        assert abs(right - 500) < 25 and right_rms > 0.01, (right, right_rms)
        # Closed again a moment after the call ended, and the conference as before the calls.
        assert _streams_after(pulse, operator, (0, 0), within_s=4.0) == (0, 0)
        assert operator.call("stats")["conference_ports"] == idle_ports
    finally:
        assert customer.close() == 0
        assert operator.close() == 0


def test_a_sound_device_chosen_during_a_call_carries_that_call(pulse, tmp_path):
    # Started without sound (the null device's slot carries calls, no bridge port exists);
    # the operator then picks the devices of the sound server in the middle of a call.
    operator, _op_acc = _agent({"audio": "null"}, "operator", env=pulse.child_env())
    customer, cu_acc = _agent({"audio": "null", "recording_dir": str(tmp_path)}, "customer")
    try:
        assert operator.started["audio"] == "null"
        port = operator.started["sip_ports"]["udp"]
        cu_call = customer.call(
            "make_call", account_id=cu_acc, target=f"sip:operator@127.0.0.1:{port}"
        )
        ring = operator.wait_event("IncomingCall")
        operator.call("answer", call_id=ring["call_id"])
        customer.wait_event("CallStateChanged", state="confirmed", call_id=cu_call)
        customer.call("play_tone", call_id=cu_call, freq1=1000)
        operator.call("set_audio_devices", mic="", speaker="")
        changed = operator.wait_event("AudioDevicesChanged", mode="portaudio")
        assert changed["speaker"], changed
        tone = np.sin(2 * np.pi * 500 * np.arange(int(3 * SERVER_RATE)) / SERVER_RATE) * 0.4
        feed = pulse.play_into_source(tone.astype(np.float32))
        feed_start_us = time.time_ns() // 1000
        time.sleep(0.8)
        heard = pulse.record_sink(1.0)
        assert abs(dominant_frequency(heard, 16000) - 1000) < 25, "the speaker took no call"
        feed_stop_us = time.time_ns() // 1000
        feed.stop()
        customer.call("hangup", call_id=cu_call)
        done = customer.wait_event("RecordingFinished", call_id=cu_call)
        start_s = (feed_start_us - done["first_sample_utc_us"]) / 1e6 + 0.5
        until_s = (feed_stop_us - done["first_sample_utc_us"]) / 1e6 - 0.1
        _, right, _, right_rms = channel_tones(done["path"], start_s, until_s)
        assert abs(right - 500) < 25 and right_rms > 0.01, (right, right_rms)
    finally:
        assert customer.close() == 0
        assert operator.close() == 0


def test_without_sound_devices_the_engine_says_so_and_still_calls():
    engine, _ = _agent({"audio": "auto"}, "operator", env={"PULSE_SERVER": "unix:/nonexistent"})
    try:
        assert engine.started["audio"] == "null"
        assert "no sound device" in engine.started["audio_detail"]
        assert engine.call("stats")["calls"] == 0
    finally:
        assert engine.close() == 0


def test_a_broken_sound_configuration_does_not_take_the_phone_down(tmp_path):
    # alsa-lib aborts the process that lists devices with this configuration.
    (tmp_path / "empty.conf").write_text("")
    env = {"ALSA_CONFIG_PATH": str(tmp_path / "empty.conf"), "PULSE_SERVER": "unix:/nonexistent"}
    engine, _acc = _agent({"audio": "auto"}, "operator", env=env)
    try:
        assert engine.started["audio"] == "null"
        assert "sound system failed" in engine.started["audio_detail"]
        engine.call("set_dnd", on=True)  # the engine answers commands: it is alive
    finally:
        assert engine.close() == 0


def _band_level(samples: np.ndarray, rate: int, lo: float, hi: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    freqs = np.fft.rfftfreq(samples.size, 1.0 / rate)
    return float(spectrum[(freqs >= lo) & (freqs <= hi)].sum() / max(spectrum.sum(), 1e-9))


def test_an_unanswered_call_rings_on_the_ring_device_and_stops_when_answered(pulse):
    operator, _ = _agent({"audio": "portaudio"}, "operator", env=pulse.child_env())
    customer, cu_acc = _agent({"audio": "null"}, "customer")
    try:
        port = operator.started["sip_ports"]["udp"]
        cu_call = customer.call(
            "make_call", account_id=cu_acc, target=f"sip:operator@127.0.0.1:{port}"
        )
        ring = operator.wait_event("IncomingCall")
        ringing = pulse.record_sink(2.0)  # the cadence is 1 s on, 2 s off
        share = _band_level(ringing, 16000, 420, 500)
        assert share > 0.5, f"the ring tone (440+480 Hz) is only {share:.0%} of the sink"
        operator.call("answer", call_id=ring["call_id"])
        customer.wait_event("CallStateChanged", state="confirmed", call_id=cu_call)
        time.sleep(0.3)
        quiet = pulse.record_sink(1.5)
        assert float(np.sqrt(np.mean(quiet**2))) < 0.01, "still ringing after the answer"
        customer.call("hangup", call_id=cu_call)
        operator.wait_event("CallEnded", call_id=ring["call_id"])
    finally:
        assert customer.close() == 0
        assert operator.close() == 0


def test_a_sound_device_gone_before_a_call_is_named_and_the_call_goes_on(pulse):
    operator, _ = _agent({"audio": "portaudio"}, "operator", env=pulse.child_env())
    customer, cu_acc = _agent({"audio": "null"}, "customer")
    try:
        assert operator.started["audio"] == "portaudio", operator.started["audio_detail"]
        assert _streams_after(pulse, operator, (0, 0), within_s=4.0) == (0, 0)
        assert operator.wait_event("AudioDevicesChanged")["mode"] == "portaudio"  # at start
        pulse.stop()  # the sound server goes away while the phone is idle
        port = operator.started["sip_ports"]["udp"]
        cu_call = customer.call(
            "make_call", account_id=cu_acc, target=f"sip:operator@127.0.0.1:{port}"
        )
        ring = operator.wait_event("IncomingCall")
        failed = operator.wait_event("AudioDevicesChanged", timeout=10)
        assert failed["mode"] == "failed", failed  # the desktop says the call runs silent
        assert "sound device failed" in failed["detail"], failed
        assert "the call goes on without sound" in failed["detail"], failed
        operator.call("answer", call_id=ring["call_id"])
        customer.wait_event("CallStateChanged", state="confirmed", call_id=cu_call)
        assert operator.call("stats")["calls"] == 1
        customer.call("hangup", call_id=cu_call)
        customer.wait_event("CallStateChanged", state="disconnected", call_id=cu_call)
    finally:
        assert customer.close() == 0
        assert operator.close() == 0

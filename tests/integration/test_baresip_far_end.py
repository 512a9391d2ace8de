"""Our engine against a real baresip registered at the same Kamailio: we call it and it calls
us, with audio checked on both ends (our stereo recording and baresip's decoded dump)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from formats.call_audio import read_pcm16
from tests.servers.baresip import (
    TONE_HZ,
    Baresip,
    baresip_available,
    dominant_frequency,
    read_wav,
    write_tone_wav,
)
from tests.servers.kamailio import Kamailio

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(30),
    pytest.mark.skipif(not baresip_available(), reason="baresip is not installed"),
]

FAR_TONE_HZ = 850.0  # what baresip plays to us
OUR_TONE_HZ = 500.0  # what we play to baresip
TOLERANCE_HZ = 25.0


def far_end(kam: Kamailio, user: str, workdir: Path, **kwargs: Any) -> Baresip:
    """A baresip account ``user`` registered at ``kam`` over UDP (added as a subscriber)."""
    password = f"{user}-pw-baresip"
    kam.add_user(user, password)
    return Baresip(
        user=user,
        password=password,
        registrar=f"127.0.0.1:{kam.udp_port}",
        workdir=workdir,
        **kwargs,
    )


def stereo_channels(path: str, skip_s: float = 0.3) -> tuple[np.ndarray, np.ndarray, int]:
    """(left, right) float samples of our stereo recording, lead-in skipped, and the rate."""
    pcm, rate, channels = read_pcm16(path)
    assert channels == 2, f"{path} has {channels} channels"
    body = pcm[int(skip_s * rate) :].astype(np.float64) / 32768.0
    assert len(body) > rate, f"{path} holds only {len(pcm) / rate:.2f} s"
    return body[:, 0], body[:, 1], rate


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2)))


def test_we_call_baresip_and_each_side_hears_the_other(kamailio, agents, tmp_path):
    tone = write_tone_wav(tmp_path / "far-850.wav", seconds=70, freq=FAR_TONE_HZ)
    with far_end(kamailio, "erin", tmp_path / "baresip", answermode="auto", play_wav=tone) as far:
        far.registered()
        alice = agents("alice", "udp", recording_dir=str(tmp_path / "rec"))

        call_id = alice.dial("erin")
        alice.wait("CallStateChanged", state="confirmed", call_id=call_id)
        alice.call("play_tone", call_id=call_id, freq1=int(OUR_TONE_HZ))
        established = far.wait_event("CALL_ESTABLISHED", timeout=5, direction="incoming")
        assert established["peeruri"].startswith("sip:alice@")
        started = alice.wait("RecordingStarted", call_id=call_id)

        time.sleep(2.0)
        alice.call("hangup", call_id=call_id)
        record = alice.wait("CallEnded", call_id=call_id)["record"]
        done = alice.wait("RecordingFinished", call_id=call_id)
        far.wait_event("CALL_CLOSED", timeout=5)
        (far_dec,) = far.wait_recordings("dec", timeout=5)

    assert record["ended_by"] == "local"
    assert record["answer_at_us"] is not None
    assert record["answer_at_us"] >= record["ring_at_us"]
    assert done["path"] == started["path"]
    assert done["frames"] > 1.5 * done["sample_rate"]

    # Our stereo WAV: left what we sent (500 Hz), right what baresip sent (850 Hz).
    left, right, rate = stereo_channels(done["path"])
    left_hz, right_hz = dominant_frequency(left, rate), dominant_frequency(right, rate)
    assert abs(right_hz - FAR_TONE_HZ) <= TOLERANCE_HZ, (left_hz, right_hz)
    assert abs(left_hz - OUR_TONE_HZ) <= TOLERANCE_HZ, (left_hz, right_hz)
    assert min(rms(left), rms(right)) > 0.01

    # baresip's decoded dump: what it heard from us.
    heard, far_rate = read_wav(far_dec)
    steady = heard[far_rate // 2 :]  # jitter buffer start, and our tone starts after confirm
    assert steady.size > far_rate, f"baresip decoded only {heard.size / far_rate:.2f} s"
    assert rms(steady) > 0.01, f"baresip heard (nearly) silence: rms={rms(steady):.4f}"
    assert abs(dominant_frequency(steady, far_rate) - OUR_TONE_HZ) <= TOLERANCE_HZ


def test_baresip_calls_us_and_hangs_up(kamailio, agents, tmp_path):
    with far_end(kamailio, "frank", tmp_path / "baresip", answermode="manual") as far:
        far.registered()
        bob = agents("bob", "udp", recording_dir=str(tmp_path / "rec"))

        assert far.dial(kamailio.uri("bob"))["ok"] is True
        ring = bob.wait("IncomingCall")
        assert ring["number"] == "frank"
        assert ring["waiting"] is False
        bob.call("answer", call_id=ring["call_id"])
        bob.wait("CallStateChanged", state="confirmed", call_id=ring["call_id"])
        established = far.wait_event("CALL_ESTABLISHED", timeout=5, direction="outgoing")
        assert established["peeruri"].startswith(f"sip:bob@127.0.0.1:{kamailio.udp_port}")

        time.sleep(1.5)
        assert far.hangup()["ok"] is True
        record = bob.wait("CallEnded", call_id=ring["call_id"])["record"]
        done = bob.wait("RecordingFinished", call_id=ring["call_id"])
        far.wait_event("CALL_CLOSED", timeout=5)

    assert record["ended_by"] == "remote"
    assert record["answer_at_us"] is not None
    # baresip offered, we answered: its default tone arrives on our customer channel.
    left, right, rate = stereo_channels(done["path"])
    assert rms(right) > 0.01, f"nothing heard from baresip: rms={rms(right):.4f}"
    assert abs(dominant_frequency(right, rate) - TONE_HZ) <= TOLERANCE_HZ
    assert rms(left) < 0.001  # we sent only silence (null audio device)

"""A call's recording stays true to the clock through hold, resume and mute: a tone played
after them sits in both channels where its time says, as one played before did."""

from __future__ import annotations

import time

import numpy as np
import pytest

from formats.call_audio import read_pcm16
from formats.clock import utc_us
from tests.integration.sipkit import Agent, connect

pytestmark = pytest.mark.integration
WINDOW_S = 0.005
TOLERANCE_S = 0.040


def tone_power(channel: np.ndarray, rate: int, freq: float) -> np.ndarray:
    """Power of ``freq`` in consecutive windows of WINDOW_S."""
    n = int(rate * WINDOW_S)
    frames = channel[: len(channel) // n * n].astype(np.float64).reshape(-1, n) / 32768.0
    # Two windows per row so the frequency resolution stays fine enough.
    pairs = np.concatenate([frames[:-1], frames[1:]], axis=1)
    t = np.arange(2 * n) / rate
    probe = np.exp(-2j * np.pi * freq * t)
    return np.abs(pairs @ probe) ** 2


def onset_s(power: np.ndarray, after_s: float) -> float:
    """Seconds from the file's start to the first window past ``after_s`` where the tone is on."""
    start = max(0, int(after_s / WINDOW_S))
    on = np.nonzero(power[start:] > 0.25 * power.max())[0]
    assert len(on), f"no tone after {after_s:.2f} s"
    return (start + int(on[0])) * WINDOW_S


def burst(operator: Agent, o_call: str, far: Agent, f_call: str) -> tuple[int, int]:
    """Both sides play their tone for 0.4 s; returns when (utc µs) each was started."""
    o_at = utc_us()
    operator.call("play_tone", call_id=o_call, freq1=1000)
    f_at = utc_us()
    far.call("play_tone", call_id=f_call, freq1=600)
    time.sleep(0.4)
    operator.call("stop_playback", call_id=o_call)
    far.call("stop_playback", call_id=f_call)
    time.sleep(0.4)
    return o_at, f_at


def test_tones_after_hold_and_mute_sit_at_their_time_in_both_channels(agents, tmp_path):
    alice = agents("alice", recording_dir=str(tmp_path))  # the operator
    bob = agents("bob")  # the customer
    a_call, b_call = connect(alice, bob)
    first = alice.wait("RecordingStarted", call_id=a_call)["first_sample_utc_us"]
    time.sleep(0.3)
    starts = [burst(alice, a_call, bob, b_call)]

    alice.call("hold", call_id=a_call)
    held = alice.wait("CallMediaChanged", call_id=a_call, media="local_hold")["at_us"]
    time.sleep(2.0)
    alice.call("resume", call_id=a_call)
    alice.wait("CallMediaChanged", call_id=a_call, media="active", after_us=held)
    time.sleep(0.3)
    starts.append(burst(alice, a_call, bob, b_call))

    alice.call("set_mute", call_id=a_call, muted=True)
    time.sleep(1.0)
    alice.call("set_mute", call_id=a_call, muted=False)
    time.sleep(0.2)
    starts.append(burst(alice, a_call, bob, b_call))

    alice.call("hangup", call_id=a_call)
    done = alice.wait("RecordingFinished", call_id=a_call, timeout=15)
    pcm, rate, _ = read_pcm16(done["path"])
    length_s = len(pcm) / rate
    ended = alice.wait("CallEnded", call_id=a_call)["record"]
    # The file covers the whole call: nothing of the hold or the mute is left out.
    assert length_s == pytest.approx((ended["end_at_us"] - first) / 1e6, abs=0.1)
    for channel, freq in ((0, 1000.0), (1, 600.0)):
        power = tone_power(pcm[:, channel], rate, freq)
        expected = [(s[channel] - first) / 1e6 for s in starts]
        lags = [onset_s(power, e - 0.2) - e for e in expected]
        assert -0.05 <= lags[0] < 0.3, f"channel {channel}: first tone {lags[0]:+.3f} s off"
        for lag in lags[1:]:
            assert lag == pytest.approx(lags[0], abs=TOLERANCE_S), (channel, lags)


def test_silence_is_sent_as_audio_without_suppression(agents):
    alice, bob = agents("alice"), agents("bob")
    a_call, b_call = connect(alice, bob)
    alice.call("set_mute", call_id=a_call, muted=True)  # nothing but silence from alice
    time.sleep(0.7)  # past pjmedia's VAD hangover (600 ms), were VAD on
    before = alice.call("stats")["rtp"][a_call]["sent"]
    time.sleep(2.0)
    sent = alice.call("stats")["rtp"][a_call]["sent"] - before
    assert sent >= 90, f"{sent} RTP packets in 2 s of silence (50 per second expected)"
    alice.call("hangup", call_id=a_call)
    bob.wait("CallEnded", call_id=b_call)

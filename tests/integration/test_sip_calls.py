"""Two and three softphone processes through a real Kamailio: register, call, audio on the
right channel, hold, DTMF, transfers, call waiting, DND, auto-answer."""

from __future__ import annotations

import pytest

from tests.integration.sipkit import channel_tones, connect
from tests.servers.sipp import good_call_scenario, run_uac_load, sipp_available

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_call_carries_each_side_on_its_own_channel(agents, tmp_path, transport):
    alice = agents("alice", transport, recording_dir=str(tmp_path / "a"))
    bob = agents("bob", "udp", recording_dir=str(tmp_path / "b"))
    a_call, b_call = connect(alice, bob)
    alice.call("play_tone", call_id=a_call, freq1=1000)
    bob.call("play_tone", call_id=b_call, freq1=600)
    a_rec = alice.wait("RecordingStarted", call_id=a_call)
    import time

    time.sleep(2.0)
    alice.call("hangup", call_id=a_call)
    a_end = alice.wait("CallEnded", call_id=a_call)["record"]
    b_end = bob.wait("CallEnded", call_id=b_call)["record"]
    assert a_end["ended_by"] == "local" and b_end["ended_by"] == "remote"
    assert a_end["answer_at_us"] >= a_end["ring_at_us"]
    a_done = alice.wait("RecordingFinished", call_id=a_call)
    b_done = bob.wait("RecordingFinished", call_id=b_call)
    assert a_done["first_sample_utc_us"] == a_rec["first_sample_utc_us"]

    # Alice (operator) said 1000 Hz, heard 600 Hz; Bob the other way round.
    a_left, a_right, a_lrms, a_rrms = channel_tones(a_done["path"])
    b_left, b_right, b_lrms, b_rrms = channel_tones(b_done["path"])
    assert abs(a_left - 1000) < 25 and abs(a_right - 600) < 25, (a_left, a_right)
    assert abs(b_left - 600) < 25 and abs(b_right - 1000) < 25, (b_left, b_right)
    assert min(a_lrms, a_rrms, b_lrms, b_rrms) > 0.01
    assert a_done["frames"] > 1.5 * a_done["sample_rate"]


def test_a_call_hung_up_at_once_still_yields_a_whole_recording(agents, tmp_path):
    alice = agents("alice", recording_dir=str(tmp_path / "a"))
    bob = agents("bob")
    a_call, b_call = connect(alice, bob)
    bob.call("hangup", call_id=b_call)
    started = alice.wait("RecordingStarted", call_id=a_call)
    done = alice.wait("RecordingFinished", call_id=a_call)
    ended = alice.wait("CallEnded", call_id=a_call)["record"]
    length_s = (ended["end_at_us"] - started["first_sample_utc_us"]) / 1e6
    # The merged file covers the call up to its end (pjmedia writes in 20 ms frames).
    assert done["frames"] / done["sample_rate"] == pytest.approx(length_s, abs=0.1)
    assert not list((tmp_path / "a").glob("*.operator.wav")), "mono parts left behind"


def test_two_softphones_talk_g722(agents):
    alice, bob = agents("alice"), agents("bob")
    a_call, b_call = connect(alice, bob)
    assert alice.wait("CallMediaChanged", call_id=a_call, media="active")["codec"] == "G722/16000"
    assert bob.wait("CallMediaChanged", call_id=b_call, media="active")["codec"] == "G722/16000"
    alice.call("hangup", call_id=a_call)
    bob.wait("CallEnded", call_id=b_call)


@pytest.mark.parametrize(
    ("offer", "codecs", "negotiated"),
    [
        ("0 8 9", None, "G722/16000"),  # a PBX listing PCMU first still gets G.722
        ("0 8", None, "PCMA/8000"),
        ("0", None, "PCMU/8000"),
        ("9 8 0", ["PCMU", "G722"], "PCMU/8000"),  # sip.codecs decides
    ],
)
def test_an_offer_is_answered_with_our_preferred_codec(agents, tmp_path, offer, codecs, negotiated):
    if not sipp_available():
        pytest.fail("sipp (sip-tester) is not installed: run scripts/setup")
    config = {"codecs": codecs} if codecs else {}
    alice = agents("alice", auto_answer_s=0, **config)
    port = int(alice.engine.started["sip_ports"]["udp"])
    scenario = good_call_scenario(tmp_path, offer)
    result = run_uac_load("127.0.0.1", port, calls=1, rate=1, limit=1, scenario=scenario)
    assert result.ok, result.stdout_tail
    assert alice.wait("CallMediaChanged", media="active")["codec"] == negotiated

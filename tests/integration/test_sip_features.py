"""Call features between real softphone processes through a real Kamailio."""

from __future__ import annotations

import time

import pytest

from sip.remote import RemoteError
from tests.integration.sipkit import connect

pytestmark = pytest.mark.integration


def test_hold_resume_and_dtmf_both_methods(agents):
    alice, bob = agents("alice"), agents("bob")
    a_call, b_call = connect(alice, bob)
    alice.call("hold", call_id=a_call)
    a_held = alice.wait("CallMediaChanged", call_id=a_call, media="local_hold")["at_us"]
    b_held = bob.wait("CallMediaChanged", call_id=b_call, media="remote_hold")["at_us"]
    alice.call("resume", call_id=a_call)
    alice.wait("CallMediaChanged", call_id=a_call, media="active", after_us=a_held)
    bob.wait("CallMediaChanged", call_id=b_call, media="active", after_us=b_held)
    alice.call("send_dtmf", call_id=a_call, digits="19#", method="rfc4733")
    got = [bob.wait("DtmfReceived", call_id=b_call, method="rfc4733")["digit"] for _ in "19#"]
    alice.call("send_dtmf", call_id=a_call, digits="*7", method="info")
    got += [bob.wait("DtmfReceived", call_id=b_call, method="info")["digit"] for _ in "*7"]
    assert got == ["1", "9", "#", "*", "7"]
    bob.call("hangup", call_id=b_call)
    rec = alice.wait("CallEnded", call_id=a_call)["record"]
    assert rec["ended_by"] == "remote"
    assert len(rec["holds"]) == 1 and rec["holds"][0]["end_us"] > rec["holds"][0]["start_us"]
    assert rec["dtmf_sent"] == "19#*7"
    b_rec = bob.wait("CallEnded", call_id=b_call)["record"]
    assert b_rec["ended_by"] == "local"
    assert b_rec["dtmf_received"].startswith("19#*7")


def test_blind_transfer_reaches_third_party(agents):
    alice, bob, carol = agents("alice"), agents("bob"), agents("carol")
    a_call, b_call = connect(alice, bob)
    bob.call("transfer_blind", call_id=b_call, target="carol")
    moved = alice.wait("TransferRequested", call_id=a_call)
    ring = carol.wait("IncomingCall")
    assert ring["number"] == "alice"
    carol.call("answer", call_id=ring["call_id"])
    alice.wait("CallStateChanged", call_id=moved["new_call_id"], state="confirmed")
    final = bob.wait("TransferProgress", call_id=b_call, final=True)
    assert final["succeeded"] and final["code"] == 200
    b_rec = bob.wait("CallEnded", call_id=b_call)["record"]
    assert b_rec["ended_by"] == "transfer"
    assert b_rec["transfers"][0]["kind"] == "blind" and b_rec["transfers"][0]["succeeded"]
    alice.wait("CallEnded", call_id=a_call)
    carol.call("hangup", call_id=ring["call_id"])
    alice.wait("CallEnded", call_id=moved["new_call_id"])


def test_attended_transfer_joins_caller_and_consulted_party(agents):
    alice, bob, carol = agents("alice"), agents("bob"), agents("carol")
    a_call, b_call = connect(alice, bob)  # alice is the customer, bob the operator
    bob.call("hold", call_id=b_call)
    bob.wait("CallMediaChanged", call_id=b_call, media="local_hold")
    consult, c_call = connect(bob, carol)
    bob.call("transfer_attended", call_id=b_call, consult_call_id=consult)
    replaced = carol.wait("CallReplaced", old_call_id=c_call)
    moved = alice.wait("TransferRequested", call_id=a_call)
    alice.wait("CallStateChanged", call_id=moved["new_call_id"], state="confirmed")
    final = bob.wait("TransferProgress", call_id=b_call, final=True)
    assert final["succeeded"]
    # The operator is out of both calls; the customer talks to carol.
    assert bob.wait("CallEnded", call_id=b_call)["record"]["ended_by"] == "transfer"
    bob.wait("CallEnded", call_id=consult)
    assert carol.wait("CallEnded", call_id=c_call)["record"]["ended_by"] == "replaced"
    carol.wait("CallStateChanged", call_id=replaced["new_call_id"], state="confirmed")
    carol.call("hangup", call_id=replaced["new_call_id"])
    alice.wait("CallEnded", call_id=moved["new_call_id"])
    assert int(bob.call("stats")["calls"]) == 0


def test_call_waiting_holds_the_first_call_when_answering_the_second(agents):
    alice, bob, carol = agents("alice"), agents("bob"), agents("carol")
    a_call, b_first = connect(alice, bob)
    carol.dial("bob")
    second = bob.wait("IncomingCall", number="carol")
    assert second["waiting"] is True
    bob.call("answer", call_id=second["call_id"])
    bob.wait("CallMediaChanged", call_id=b_first, media="local_hold")
    bob.wait("CallStateChanged", call_id=second["call_id"], state="confirmed")
    alice.wait("CallMediaChanged", call_id=a_call, media="remote_hold")
    assert int(bob.call("stats")["calls"]) == 2


def test_dnd_rejects_without_ringing_and_auto_answer_picks_up(agents):
    alice, bob = agents("alice"), agents("bob")
    bob.call("set_dnd", on=True)
    a_call = alice.dial("bob")
    rejected = bob.wait("IncomingCallRejected")
    assert rejected["code"] == 486 and rejected["number"] == "alice"
    ended = alice.wait("CallEnded", call_id=a_call)["record"]
    assert ended["cause_code"] == 486 and ended["ended_by"] == "failed"
    assert not [e for e in bob.engine.events if e["type"] == "IncomingCall"]

    bob.call("set_dnd", on=False)
    bob.call("set_auto_answer", delay_s=0.3)
    started = time.monotonic()
    a_call = alice.dial("bob")
    ring = bob.wait("IncomingCall")
    assert ring["auto_answer_in_s"] == 0.3
    alice.wait("CallStateChanged", call_id=a_call, state="confirmed")
    assert time.monotonic() - started >= 0.3
    alice.call("hangup", call_id=a_call)
    bob.wait("CallEnded", call_id=ring["call_id"])


def test_reject_busy_and_unknown_user_report_causes(agents):
    alice, bob = agents("alice"), agents("bob")
    a_call = alice.dial("bob")
    ring = bob.wait("IncomingCall")
    bob.call("reject", call_id=ring["call_id"], code=603)
    assert alice.wait("CallEnded", call_id=a_call)["record"]["cause_code"] == 603
    assert bob.wait("CallEnded", call_id=ring["call_id"])["record"]["ended_by"] == "rejected"
    gone = alice.dial("nobody-here")
    rec = alice.wait("CallEnded", call_id=gone)["record"]
    assert rec["cause_code"] == 404 and rec["ended_by"] == "failed"


def test_bad_input_and_limits_are_clear_errors(agents):
    alice = agents("alice")
    with pytest.raises(RemoteError) as bad_uri:
        alice.dial("sip:bad uri with spaces@")
    assert bad_uri.value.kind == "ConfigError" and "not a valid" in bad_uri.value.message
    with pytest.raises(RemoteError) as no_call:
        alice.call("hangup", call_id="no-such-call")
    assert no_call.value.kind == "NotFoundError"
    with pytest.raises(RemoteError) as bad_dtmf:
        alice.call("send_dtmf", call_id="x", digits="12x")
    assert bad_dtmf.value.kind in ("ConfigError", "NotFoundError")
    # Four calls are the most one process may hold; the fifth is refused by us, clearly.
    calls = [alice.dial(f"ghost{i}@127.0.0.1:9") for i in range(4)]
    with pytest.raises(RemoteError) as too_many:
        alice.dial("ghost5@127.0.0.1:9")
    assert too_many.value.kind == "LimitError" and "4 calls" in too_many.value.message
    for cid in calls:
        alice.call("hangup", call_id=cid)
    # Eight accounts at most: the ninth would abort the process inside pjsua2.
    for i in range(7):
        alice.call(
            "add_account", settings={"user": f"u{i}", "domain": "127.0.0.1", "register": False}
        )
    with pytest.raises(RemoteError) as nine:
        alice.call("add_account", settings={"user": "u9", "domain": "127.0.0.1", "register": False})
    assert nine.value.kind == "LimitError" and "8 accounts" in nine.value.message
    assert alice.engine.proc.poll() is None  # still alive


def test_wrong_password_is_a_clear_failure_with_backoff(agents, kamailio):
    kamailio.add_user("erin", "right-password")
    erin = agents("erin", register=False)  # sipkit gives unknown users a wrong password
    first = erin.wait("RegistrationChanged", state="failed")
    assert first["code"] in (401, 403, 407) and first["reason"]
    assert first["retry_in_s"] > 0
    second = erin.wait("RegistrationChanged", timeout=10, state="failed")
    assert second["retry_in_s"] >= first["retry_in_s"]
    assert kamailio.contacts("erin") == []


def test_unreachable_registrar_fails_fast_and_retries(agents, kamailio):
    from tests.servers.ports import free_port

    dead = free_port()
    agent = agents("alice", register=False)
    acc = agent.call(
        "add_account",
        settings={
            "user": "dave",
            "domain": "127.0.0.1",
            "transport": "tcp",
            "registrar": f"sip:127.0.0.1:{dead}",
            "password": "x",
            "retry_min_s": 0.5,
        },
    )
    failed = agent.wait("RegistrationChanged", account_id=acc, state="failed")
    assert failed["code"] >= 500 or failed["code"] == 0 or failed["code"] == 408
    assert failed["reason"]
    agent.wait("RegistrationChanged", account_id=acc, state="failed", timeout=5)


def test_shutdown_unregisters_leaving_no_binding(agents, kamailio):
    dave = agents("dave", "tcp")
    assert kamailio.contacts("dave"), "dave should be registered"
    assert dave.close() == 0
    deadline = time.monotonic() + 3
    while kamailio.contacts("dave") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kamailio.contacts("dave") == []


def test_pbx_headers_reach_the_ringing_event(agents):
    alice, bob = agents("alice"), agents("bob")
    headers = {
        "P-Asserted-Identity": '"Ivan Petrov" <sip:+74951234567@127.0.0.1>',
        "X-Queue": "sales",
        "X-Customer-Id": "C-1001",
    }
    a_call = alice.call("make_call", account_id=alice.account, target="bob", headers=headers)
    ring = bob.wait("IncomingCall")
    assert ring["number"] == "+74951234567" and ring["display_name"] == "Ivan Petrov"
    assert ring["headers"]["x-queue"] == "sales"
    assert ring["headers"]["x-customer-id"] == "C-1001"
    assert ring["sip_call_id"] and ring["sip_call_id"] == ring["headers"]["call-id"]
    bob.call("reject", call_id=ring["call_id"], code=486)
    assert alice.wait("CallEnded", call_id=a_call)["record"]["cause_code"] == 486


def test_mute_silences_what_the_customer_hears(agents, tmp_path):
    import numpy as np

    from formats.call_audio import read_pcm16

    alice = agents("alice")
    bob = agents("bob", recording_dir=str(tmp_path))
    a_call, b_call = connect(alice, bob)
    alice.call("play_tone", call_id=a_call, freq1=800)
    time.sleep(1.0)
    alice.call("set_mute", call_id=a_call, muted=True)
    muted_at = time.time_ns() // 1000
    time.sleep(1.0)
    alice.call("set_mute", call_id=a_call, muted=False)
    unmuted_at = time.time_ns() // 1000
    time.sleep(1.0)
    alice.call("hangup", call_id=a_call)
    done = bob.wait("RecordingFinished", call_id=b_call)
    pcm, rate, _ = read_pcm16(done["path"])
    heard = pcm[:, 1].astype(np.float64) / 32768.0  # bob's customer side = alice

    def rms(from_us: int, to_us: int) -> float:
        a = int((from_us - done["first_sample_utc_us"]) / 1e6 * rate)
        b = int((to_us - done["first_sample_utc_us"]) / 1e6 * rate)
        return float(np.sqrt(np.mean(heard[a:b] ** 2)))

    assert rms(muted_at - 600_000, muted_at - 100_000) > 0.02  # tone before
    assert rms(muted_at + 200_000, unmuted_at - 100_000) < 0.002  # silence while muted
    assert rms(unmuted_at + 200_000, unmuted_at + 700_000) > 0.02  # tone again


def test_codec_mismatch_is_refused_with_488_and_reported(agents):
    from tests.servers.sipp import send_raw_udp

    bob = agents("bob", register=False)
    port = bob.engine.started["sip_ports"]["udp"]
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
    )
    invite = (
        f"INVITE sip:bob@127.0.0.1:{port} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5099;rport;branch=z9hG4bK-g729-1\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:g729@127.0.0.1>;tag=g1\r\n"
        f"To: <sip:bob@127.0.0.1:{port}>\r\nCall-ID: g729-only-1@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
        "Contact: <sip:g729@127.0.0.1:5099>\r\nContent-Type: application/sdp\r\n"
        f"Content-Length: {len(sdp)}\r\n\r\n{sdp}"
    )
    replies = send_raw_udp("127.0.0.1", port, invite.encode(), wait_s=2.0)
    codes = [r.split(b" ", 2)[1] for r in replies if r.startswith(b"SIP/2.0 ")]
    assert b"488" in codes, replies
    rejected = bob.wait("IncomingCallRejected")
    assert rejected["code"] == 488

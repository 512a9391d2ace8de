"""Transfers with other people's softphones as the customer or the target: linphonec (whose
final NOTIFY pjsip cannot parse) and baresip 1.0 (no Replaces). Every transfer ends with an
outcome: the operator's leg ends after a completed one, and comes back after a failed one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sip.remote import RemoteError
from tests.integration.sipkit import channel_tones
from tests.servers.baresip import TONE_HZ, Baresip, baresip_available
from tests.servers.kamailio import Kamailio
from tests.servers.linphone import Linphonec, linphonec_available

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
needs_linphonec = pytest.mark.skipif(
    not linphonec_available(), reason="linphonec is not installed (linphone-cli)"
)
needs_baresip = pytest.mark.skipif(not baresip_available(), reason="baresip is not installed")


@pytest.fixture
def linphone(kamailio: Kamailio, tmp_path: Path) -> Iterator[Linphonec]:
    """linphonec as the customer ``frank``, registered at the test Kamailio, auto-answering."""
    kamailio.add_user("frank", "frank-pw-linphone")
    far = Linphonec(
        "frank",
        "frank-pw-linphone",
        f"127.0.0.1:{kamailio.udp_port}",
        workdir=tmp_path / "linphonec",
    )
    far.start()
    try:
        yield far
    finally:
        far.stop()


def baresip_end(kam: Kamailio, user: str, workdir: Path) -> Baresip:
    password = f"{user}-pw-baresip"
    kam.add_user(user, password)
    return Baresip(
        user=user, password=password, registrar=f"127.0.0.1:{kam.udp_port}", workdir=workdir
    )


def answered(agent, call_id: str) -> None:
    """Wait until our call is confirmed with its audio flowing (a re-INVITE may go now)."""
    agent.wait("CallStateChanged", call_id=call_id, state="confirmed")
    agent.wait("CallMediaChanged", call_id=call_id, media="active")


def hold(agent, call_id: str) -> int:
    """Put our call on hold (retried while the far end's own re-INVITE is under way);
    returns when the hold took effect."""
    deadline = time.monotonic() + 5
    while True:
        try:
            agent.call("hold", call_id=call_id)
            break
        except RemoteError as exc:
            if "PJ_EINVALIDOP" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return int(agent.wait("CallMediaChanged", call_id=call_id, media="local_hold")["at_us"])


def customer_calls(operator, customer: Linphonec) -> str:
    """linphonec calls the operator, who answers; returns the operator's call id."""
    customer.dial(f"sip:{operator.user}@127.0.0.1")
    ring = operator.wait("IncomingCall")
    operator.call("answer", call_id=ring["call_id"])
    operator.wait("CallStateChanged", call_id=ring["call_id"], state="confirmed")
    operator.wait("CallMediaChanged", call_id=ring["call_id"], media="active")
    return str(ring["call_id"])


@needs_linphonec
def test_blind_transfer_of_a_linphone_customer_concludes_and_ends_our_leg(agents, linphone):
    alice, carol = agents("alice"), agents("carol")
    call = customer_calls(alice, linphone)
    alice.call("transfer_blind", call_id=call, target="carol")
    ring = carol.wait("IncomingCall")
    assert ring["number"] == "frank"
    carol.call("answer", call_id=ring["call_id"])
    carol.wait("CallStateChanged", call_id=ring["call_id"], state="confirmed")
    final = alice.wait("TransferProgress", call_id=call, final=True, timeout=10)
    assert final["succeeded"] and final["evidence"] == "unreadable_notify"
    record = alice.wait("CallEnded", call_id=call, timeout=5)["record"]
    assert record["ended_by"] == "transfer"
    (transfer,) = record["transfers"]
    assert transfer["kind"] == "blind" and transfer["succeeded"] is True
    assert transfer["evidence"] == "unreadable_notify"
    # The customer and the target stay connected without the operator.
    carol.wait("CallMediaChanged", call_id=ring["call_id"], media="active")
    assert int(carol.call("stats")["calls"]) == 1
    carol.call("hangup", call_id=ring["call_id"])
    carol.wait("CallEnded", call_id=ring["call_id"])


@needs_linphonec
def test_a_target_that_is_not_found_gives_the_held_customer_back(agents, linphone):
    alice = agents("alice")
    call = customer_calls(alice, linphone)
    held = hold(alice, call)
    alice.call("transfer_blind", call_id=call, target="nobody")
    final = alice.wait("TransferProgress", call_id=call, final=True, timeout=10)
    assert not final["succeeded"], final
    if not final["call_back"]:
        # linphonec sometimes hangs up its first call once the call it was sent to fails: the
        # transfer is then reported as failed, with the target's answer, never as done.
        assert final["code"] == 404 and "the target answered 404" in final["reason"], final
        record = alice.wait("CallEnded", call_id=call)["record"]
        assert record["ended_by"] == "remote"
        (transfer,) = record["transfers"]
        assert transfer["succeeded"] is False and transfer["code"] == 404
        return
    assert "back with you" in final["reason"]
    alice.wait("CallMediaChanged", call_id=call, media="active", after_us=held, timeout=5)
    assert int(alice.call("stats")["calls"]) == 1  # the customer is still with the operator
    alice.call("hangup", call_id=call)
    record = alice.wait("CallEnded", call_id=call)["record"]
    assert record["ended_by"] == "local"
    (transfer,) = record["transfers"]
    assert transfer["succeeded"] is False and transfer["evidence"] in ("taken_back", "notify")


def test_a_target_answering_404_gives_the_held_customer_back(agents):
    alice, bob = agents("alice"), agents("bob")  # alice the customer, bob the operator
    b_call = bob.dial("alice")
    ring = alice.wait("IncomingCall")
    alice.call("answer", call_id=ring["call_id"])
    answered(bob, b_call)
    held = hold(bob, b_call)
    bob.call("transfer_blind", call_id=b_call, target="nobody")
    final = bob.wait("TransferProgress", call_id=b_call, final=True)
    assert not final["succeeded"] and final["call_back"] and final["code"] == 404
    assert final["evidence"] == "notify" and "not found" in final["reason"]
    bob.wait("CallMediaChanged", call_id=b_call, media="active", after_us=held)
    bob.call("hangup", call_id=b_call)
    (transfer,) = bob.wait("CallEnded", call_id=b_call)["record"]["transfers"]
    assert transfer["succeeded"] is False and transfer["code"] == 404


@needs_baresip
def test_an_attended_transfer_to_baresip_refusing_replaces_gives_the_call_back(
    agents, kamailio, tmp_path
):
    alice, bob = agents("alice"), agents("bob")  # alice the customer, bob the operator
    with baresip_end(kamailio, "erin", tmp_path / "baresip") as target:
        target.registered()
        b_call = bob.dial("alice")
        ring = alice.wait("IncomingCall")
        alice.call("answer", call_id=ring["call_id"])
        answered(bob, b_call)
        held = hold(bob, b_call)
        consult = bob.dial("erin")
        answered(bob, consult)
        bob.call("transfer_attended", call_id=b_call, consult_call_id=consult)
        final = bob.wait("TransferProgress", call_id=b_call, final=True)
        assert not final["succeeded"] and final["call_back"]
        assert final["code"] == 420 and "Replaces" in final["reason"]
        # The customer is back with the operator; the target waits on hold.
        bob.wait("CallMediaChanged", call_id=b_call, media="active", after_us=held)
        bob.wait("CallMediaChanged", call_id=consult, media="local_hold")
        bob.call("hangup", call_id=consult)
        bob.call("hangup", call_id=b_call)
        record = bob.wait("CallEnded", call_id=b_call)["record"]
        assert record["transfers"][0]["succeeded"] is False


@needs_baresip
def test_baresip_as_the_customer_of_an_attended_transfer_gives_the_call_back(
    agents, kamailio, tmp_path
):
    bob, carol = agents("bob"), agents("carol")  # bob the operator, carol the target
    with baresip_end(kamailio, "erin", tmp_path / "baresip") as customer:
        customer.registered()
        b_call = bob.dial("erin")
        answered(bob, b_call)
        held = hold(bob, b_call)
        consult = bob.dial("carol")
        c_ring = carol.wait("IncomingCall")
        carol.call("answer", call_id=c_ring["call_id"])
        answered(bob, consult)
        bob.call("transfer_attended", call_id=b_call, consult_call_id=consult, timeout_s=8)
        final = bob.wait("TransferProgress", call_id=b_call, final=True, timeout=15)
        assert not final["succeeded"] and final["call_back"] and final["reason"]
        bob.wait("CallMediaChanged", call_id=b_call, media="active", after_us=held)
        assert int(carol.call("stats")["calls"]) <= 1  # no second call took over the consult
        bob.call("hangup", call_id=consult)
        bob.call("hangup", call_id=b_call)
        bob.wait("CallEnded", call_id=b_call)


@needs_linphonec
def test_no_transfer_stays_waiting_past_its_timeout(agents, linphone):
    alice, carol = agents("alice"), agents("carol", ring_timeout_s=0)
    call = customer_calls(alice, linphone)
    alice.call("transfer_blind", call_id=call, target="carol", timeout_s=3)
    carol.wait("IncomingCall")  # the target rings and never answers
    final = alice.wait("TransferProgress", call_id=call, final=True, timeout=8)
    assert not final["succeeded"] and final["evidence"] == "timeout" and final["call_back"]
    assert int(alice.call("stats")["calls"]) == 1
    alice.call("hangup", call_id=call)
    (transfer,) = alice.wait("CallEnded", call_id=call)["record"]["transfers"]
    assert transfer["succeeded"] is False and transfer["evidence"] == "timeout"


@needs_linphonec
def test_attended_transfer_of_a_linphone_customer_joins_customer_and_target(agents, linphone):
    bob, carol = agents("bob"), agents("carol")  # bob the operator, carol the target
    b_call = customer_calls(bob, linphone)
    hold(bob, b_call)
    consult = bob.dial("carol")
    c_ring = carol.wait("IncomingCall")
    carol.call("answer", call_id=c_ring["call_id"])
    answered(bob, consult)
    bob.call("transfer_attended", call_id=b_call, consult_call_id=consult)
    replaced = carol.wait("CallReplaced", old_call_id=c_ring["call_id"], timeout=10)
    final = bob.wait("TransferProgress", call_id=b_call, final=True, timeout=10)
    assert final["succeeded"]
    assert bob.wait("CallEnded", call_id=b_call)["record"]["ended_by"] == "transfer"
    bob.wait("CallEnded", call_id=consult)
    carol.wait("CallMediaChanged", call_id=replaced["new_call_id"], media="active")
    carol.call("hangup", call_id=replaced["new_call_id"])
    carol.wait("CallEnded", call_id=replaced["new_call_id"])


@needs_linphonec
def test_linphonec_answers_and_sends_its_tone(agents, linphone, tmp_path):
    alice = agents("alice", recording_dir=str(tmp_path / "rec"))
    call = alice.dial("frank")
    alice.wait("CallMediaChanged", call_id=call, media="active")
    time.sleep(1.5)
    alice.call("hangup", call_id=call)
    done = alice.wait("RecordingFinished", call_id=call)
    _, far_hz, _, far_rms = channel_tones(done["path"])
    assert abs(far_hz - TONE_HZ) < 25 and far_rms > 0.01

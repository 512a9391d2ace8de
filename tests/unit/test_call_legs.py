"""What a desktop's call record tells the store about the customer call it is a leg of: the
PBX's call id, queue and queue wait from the INVITE's headers, and why a call was refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.calls.call import Call, Ending, PbxHeaders, refused_call, store_record
from desktop.settings import values
from sip import events as ev
from store.models import CallIn

S = 1_000_000


def test_the_pbx_headers_are_read_in_any_case_and_bad_values_are_left_out() -> None:
    invite = {"x-pbx-call-id": " 1741165200.12 ", "X-Queue": "sales", "x-queue-wait": "12.3456"}
    assert PbxHeaders().read(invite) == {
        "pbx_call_id": "1741165200.12", "queue": "sales", "queue_wait_s": 12.346,
    }  # fmt: skip
    for wait in ("", "soon", "-1", "nan", "inf", "86401"):
        assert "queue_wait_s" not in PbxHeaders().read({"x-queue-wait": wait}), wait
    assert PbxHeaders().read({"x-queue": "   ", "x-pbx-call-id": ""}) == {}
    long = PbxHeaders().read({"x-queue": "q" * 300, "x-pbx-call-id": "p" * 300})
    assert (len(long["queue"]), len(long["pbx_call_id"])) == (100, 256)
    own = PbxHeaders(queue="X-Asterisk-Queue", queue_wait="X-Wait", pbx_call_id="X-Linkedid")
    assert own.read({"x-asterisk-queue": "vip", "x-wait": "3", "x-linkedid": "L1"}) == {
        "pbx_call_id": "L1", "queue": "vip", "queue_wait_s": 3.0,
    }  # fmt: skip


def test_an_inbound_record_carries_them_and_the_store_takes_it() -> None:
    invite = {"x-pbx-call-id": "pbx-R", "x-queue": "sales", "x-queue-wait": "4"}
    call = Call("c1", "inbound", "+79125550102", sip_call_id="abc@pbx", started_us=10 * S,
                answered_us=16 * S, ended_us=70 * S, headers=invite)  # fmt: skip
    call.ending = Ending(ended_by="local", cause_code=200, cause_reason="Normal call clearing")
    record = store_record(call, "ben")
    assert {k: record[k] for k in ("pbx_call_id", "queue", "queue_wait_s", "sip_call_id")} == {
        "pbx_call_id": "pbx-R", "queue": "sales", "queue_wait_s": 4.0, "sip_call_id": "abc@pbx",
    }  # fmt: skip
    assert "refusal" not in record
    CallIn.model_validate({k: v for k, v in record.items() if k != "id"})
    outbound = Call("c2", "outbound", "+7912", headers={"x-queue": "sales"}, started_us=S)
    assert "queue" not in store_record(outbound, "ben")


@pytest.mark.parametrize(
    ("state", "refusal"),
    [("break", "break"), ("not_ready", "not_ready"), ("wrap_up", "wrap_up"),
     ("offline", "not_ready"), ("ready", "dnd")],
)  # fmt: skip
def test_a_refused_call_is_a_record_with_the_agents_state(state: str, refusal: str) -> None:
    event = ev.IncomingCallRejected(account_id="a", remote_uri="sip:+7912@pbx", number="+7912",
                                    sip_call_id="r@pbx", code=486, reason="do not disturb",
                                    at_us=5 * S)  # fmt: skip
    call = refused_call(event, state, {"x-pbx-call-id": "pbx-B", "x-queue": "support"})
    record = store_record(call, "cal")
    assert record["refusal"] == refusal and record["ended_by"] == "agent"
    assert (record["started_us"], record["ended_us"], record["cause"]) == (
        5 * S, 5 * S, "486 do not disturb"
    )  # fmt: skip
    assert (record["pbx_call_id"], record["queue"]) == ("pbx-B", "support")
    assert "answered_us" not in record
    CallIn.model_validate({k: v for k, v in record.items() if k != "id"})


def test_the_header_names_are_settings(tmp_path: Path) -> None:
    default = values.RecorderSection()
    assert (default.queue_header, default.queue_wait_header, default.pbx_call_id_header) == (
        "X-Queue", "X-Queue-Wait", "X-PBX-Call-ID"
    )  # fmt: skip
    path = tmp_path / "agentdesk.toml"
    path.write_text('[recorder]\nqueue_wait_header = "X-Wait"\npbx_call_id_header = "X-Linkedid"\n')
    loaded = values.load(path)
    assert not loaded.problems
    r = loaded.settings.recorder
    assert (r.queue_header, r.queue_wait_header, r.pbx_call_id_header) == (
        "X-Queue", "X-Wait", "X-Linkedid"
    )  # fmt: skip

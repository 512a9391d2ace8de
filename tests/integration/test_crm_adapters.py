"""The CRM adapters against a real HTTP server on 127.0.0.1 answering in Bitrix24's and a
generic REST shape, and misbehaving: errors, delays, HTML, huge and malformed bodies."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.crm.base import safe_lookup
from desktop.crm.bitrix24 import Bitrix24Adapter
from desktop.crm.rest import RestAdapter, RestConfig
from desktop.crm.types import CallReport, CrmError, Outcome
from tests.servers.crm import SECRET, CrmServer, Person

pytestmark = pytest.mark.integration
ANNA = "+79125550102"


@pytest.fixture(scope="module")
def crm() -> Iterator[CrmServer]:
    with CrmServer() as server:
        server.companies[7] = "Acme Ltd"
        server.add_person(
            Person(
                11, "Anna", "Petrova", phone=ANNA, company_id=7, type_id="VIP",
                comments="<b>Prefers</b> e-mail", balance=-150.5,
                deals=[
                    {"ID": "5", "TITLE": "Fibre upgrade", "STAGE_ID": "NEW",
                     "OPPORTUNITY": "1200.00", "CURRENCY_ID": "RUB", "CLOSED": "N"},
                    {"ID": "6", "TITLE": "Old router", "STAGE_ID": "WON", "CLOSED": "Y"},
                ],
            )
        )  # fmt: skip
        yield server


@pytest.fixture(autouse=True)
def healthy(crm: CrmServer) -> Iterator[None]:
    crm.mode = "ok"
    yield
    crm.mode = "ok"


def bitrix(crm: CrmServer, timeout_s: float = 1.5) -> Bitrix24Adapter:
    return Bitrix24Adapter(crm.webhook_url, SECRET, user_id=3, timeout_s=timeout_s)


def generic(crm: CrmServer, timeout_s: float = 1.5) -> RestAdapter:
    config = RestConfig(
        lookup_url=crm.url + "/api/contacts?phone={number}",
        contact_path="data",
        fields={
            "id": "uid", "name": "full_name", "company": "org.title", "status": "segment",
            "balance": "account.balance", "notes": "notes", "items": "tickets",
            "item.title": "subject", "item.status": "state",
        },
        open_url=crm.url + "/contacts/{id}",
        create_url=crm.url + "/contacts/new?phone={number}",
        post_url=crm.url + "/api/calls",
        timeout_s=timeout_s,
    )  # fmt: skip
    return RestAdapter(config, token="tok-123")


def test_bitrix24_finds_the_caller_then_its_company_and_open_deals(crm: CrmServer) -> None:
    adapter = bitrix(crm)
    found = adapter.lookup(ANNA)
    assert found.outcome is Outcome.found and found.contact is not None
    assert found.contact.name == "Anna Petrova"
    assert found.contact.web_url == f"{crm.url}/crm/contact/details/11/"
    assert crm.calls_to("telephony.externalCall.searchCrmEntities")[-1] == {"PHONE_NUMBER": ANNA}
    full = adapter.details(found.contact)
    assert (full.company, full.status, full.notes) == ("Acme Ltd", "VIP", "Prefers e-mail")
    assert [(i.title, i.status, i.amount) for i in full.items] == [
        ("Fibre upgrade", "NEW", "1200.00 RUB")
    ]


def test_bitrix24_unknown_number_and_creating_a_contact(crm: CrmServer) -> None:
    adapter = bitrix(crm)
    assert adapter.lookup("+74950000001").outcome is Outcome.not_found
    url = adapter.create_contact("+74950000001", "New caller")
    assert url.startswith(f"{crm.url}/crm/contact/details/")
    assert adapter.lookup("+74950000001").outcome is Outcome.found


def test_bitrix24_logs_the_call_with_its_card_and_recording(crm: CrmServer, tmp_path: Path) -> None:
    adapter = bitrix(crm)
    contact = adapter.details(adapter.lookup(ANNA).contact)  # type: ignore[arg-type]
    wav = tmp_path / "call.wav"
    wav.write_bytes(b"RIFF" + bytes(range(200)))
    report = CallReport(
        call_id="c1", number=ANNA, direction="inbound", started_us=1_700_000_000_000_000,
        duration_s=65, answered=True, disposition="resolved",
        card={"topic": "Router reboot"}, contact=contact,
    )  # fmt: skip
    bitrix_id = adapter.post_call(report, wav)
    registered = crm.calls_to("telephony.externalcall.register")[-1]
    assert registered["PHONE_NUMBER"] == ANNA and registered["TYPE"] == 2
    assert registered["CRM_ENTITY_TYPE"] == "CONTACT" and registered["CRM_ENTITY_ID"] == "11"
    assert registered["CALL_START_DATE"] == "2023-11-14T22:13:20+00:00"
    finished = crm.calls_to("telephony.externalcall.finish")[-1]
    assert finished == {"CALL_ID": bitrix_id, "USER_ID": 3, "DURATION": 65,
                        "STATUS_CODE": "200", "ADD_TO_CHAT": 0}  # fmt: skip
    comment = crm.calls_to("crm.timeline.comment.add")[-1]["fields"]
    assert comment["COMMENT"] == "disposition: resolved\ntopic: Router reboot"
    attached = crm.calls_to("telephony.externalCall.attachRecord")[-1]
    assert attached["CALL_ID"] == bitrix_id
    assert base64.b64decode(attached["FILE_CONTENT"]) == wav.read_bytes()


def test_bitrix24_wrong_secret_says_so_without_leaking_it(crm: CrmServer) -> None:
    adapter = Bitrix24Adapter(crm.webhook_url, "wrong-secret", timeout_s=1.5)
    result = adapter.lookup(ANNA)
    assert result.outcome is Outcome.failed
    assert "401" in result.problem and "Wrong authorization data" in result.problem
    assert "wrong-secret" not in result.problem


def test_generic_rest_maps_fields_and_posts_back(crm: CrmServer) -> None:
    adapter = generic(crm)
    result = adapter.lookup(ANNA)
    assert result.contact is not None
    c = result.contact
    assert (c.name, c.company, c.status, c.balance) == ("Anna Petrova", "Acme Ltd", "VIP", "-150.5")
    assert [i.title for i in c.items] == ["Fibre upgrade", "Old router"]
    assert c.web_url == f"{crm.url}/contacts/11"
    assert crm.requests[-1][1] == "/api/contacts?phone=%2B79125550102"
    assert adapter.lookup("+74950000009").outcome is Outcome.not_found
    assert adapter.create_contact("+74950000009", "") == (
        f"{crm.url}/contacts/new?phone=%2B74950000009"
    )
    report = CallReport("c2", ANNA, "outbound", 1, 3, True, "callback", {"topic": "x"}, c)
    adapter.post_call(report)
    method, path, body = crm.requests[-1]
    assert (method, path) == ("POST", "/api/calls")
    assert body["disposition"] == "callback" and body["contact"] == "11"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("error", "answered 500: the CRM is having a bad day"),
        ("html", "answered with text/html, not JSON"),
        ("huge", "bytes; the limit is"),
        ("malformed", "malformed JSON"),
        ("down", "cannot be reached"),
    ],
)
def test_a_misbehaving_crm_gives_a_plain_problem(crm: CrmServer, mode: str, expected: str) -> None:
    crm.mode = mode
    for adapter in (bitrix(crm), generic(crm)):
        result = safe_lookup(adapter, ANNA)
        assert result.outcome is Outcome.failed, adapter.name
        assert expected in result.problem, (adapter.name, result.problem)
        assert SECRET not in result.problem


@pytest.mark.parametrize("mode", ["delay", "drip"])
def test_a_slow_crm_is_cut_off_at_the_timeout(crm: CrmServer, mode: str) -> None:
    crm.mode, crm.delay_s = mode, 3.0
    for adapter in (bitrix(crm, 0.4), generic(crm, 0.4)):
        started = time.monotonic()
        result = safe_lookup(adapter, ANNA)
        took = time.monotonic() - started
        assert result.outcome is Outcome.failed and "within 0.4 s" in result.problem
        assert took < 2.5, took  # bounded by the timeout, far below the CRM's 3 s


def test_errors_in_writing_raise_crm_error(crm: CrmServer) -> None:
    crm.mode = "error"
    with pytest.raises(CrmError, match="500"):
        bitrix(crm).create_contact("+74950000002", "x")

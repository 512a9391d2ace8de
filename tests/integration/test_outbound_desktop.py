"""The operator's outbound card and the supervisor's Campaigns tab against a real store (the
softphone engine is the one fake, at its boundary): choosing Outbound opens the next task's
card with the contact's data and the campaign's script; Skip sends its reason; a progressive
task counts down visibly and Stop holds it; Call dials the contact, the answered call carries
the campaign to its record, and the operator's disposition schedules the next attempt. The
supervisor sees the progress, pauses the campaign, reads a contact's attempts and exports the
results."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime
from pytestqt.qtbot import QtBot

from desktop.agent import state as st
from desktop.calls.call import store_record
from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.model import CallBook
from desktop.crm.base import full_lookup, safe_lookup
from desktop.crm.bitrix24 import Bitrix24Adapter
from desktop.crm.config import parse_fields
from desktop.crm.numbers import to_e164
from desktop.crm.panel import CrmPanel
from desktop.crm.rest import RestAdapter, RestConfig
from desktop.live.channel import LiveChannel
from desktop.outbound.controller import OutboundDesk
from desktop.outbound.dialler import Phase
from desktop.outbound.panel import OutboundPanel
from desktop.outbound.supervision import CampaignsView
from formats.clock import utc_us
from sip import events as ev
from sip.config import AccountSettings
from tests.integration.store_kit import Store, store_with_clients
from tests.servers.crm import SECRET, CrmServer, Person
from tests.unit.fake_engine import FakeEngine

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
ALL_DAY = {"start": "00:00", "end": "24:00", "days": [1, 2, 3, 4, 5, 6, 7]}
S = 1_000_000


@pytest.fixture
def crm() -> Iterator[CrmServer]:
    with CrmServer() as server:
        server.companies[7] = "Acme Ltd"
        server.add_person(Person(11, "Anna", "Petrova", phone="+74955550001", company_id=7,
                                 type_id="VIP", balance=-150.5))  # fmt: skip
        yield server


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with store_with_clients(request, tmp_path / "store", "sqlite") as made:
        yield made


def fields(panel: OutboundPanel) -> dict[str, str]:
    form = panel.form
    return {
        form.itemAt(r, form.ItemRole.LabelRole).widget().text():  # type: ignore[union-attr]
        form.itemAt(r, form.ItemRole.FieldRole).widget().text()  # type: ignore[union-attr]
        for r in range(form.rowCount())
    }


def operator_desk(
    qtbot: QtBot,
) -> tuple[FakeEngine, EngineBridge, CallBook, st.AgentState, OutboundPanel]:
    """Extension 1001's softphone (a fake engine behind the real bridge), call book, agent
    state and outbound panel, wired as the app wires them."""
    engine = FakeEngine()
    bridge = EngineBridge(engine)
    book = CallBook.following(bridge, bridge, extension="1001")
    agent = st.AgentState(wrap_up_s=0)
    bridge.sip_event.connect(agent.on_event)
    panel = OutboundPanel()
    qtbot.addWidget(panel)
    return engine, bridge, book, agent, panel


def register(qtbot: QtBot, engine: FakeEngine, bridge: EngineBridge) -> None:
    """The softphone starts and its account registers."""
    bridge.start(AccountSettings(user="1001", domain="127.0.0.1"), lambda: "pw")
    qtbot.waitUntil(lambda: bridge.account_id == "acc-1", timeout=3000)
    engine.emit_from_thread(ev.RegistrationChanged(account_id="acc-1", state="registered",
                                                   code=200, reason="OK"))  # fmt: skip


def test_the_operator_works_tasks_and_the_supervisor_watches(
    qtbot: QtBot, store: Store, crm: CrmServer, tmp_path: Path
) -> None:
    preview = store.sam.create_campaign("renewals", {
        "hours": ALL_DAY, "script": "Good morning, this is Anna from the bank.",
        "dispositions": ["sold", "think_it_over"], "retry_s": {"think_it_over": 7200},
    })  # fmt: skip
    store.sam.import_contacts(preview["id"], "phone;name;crm;plan\n+7 495 555-00-01;Анна;c-7;gold\n"
                              .encode("cp1251"))  # fmt: skip
    progressive = store.sam.create_campaign("winback", {
        "hours": ALL_DAY, "mode": "progressive", "countdown_s": 3, "dispositions": ["sold"],
        "caller_id": "+74957770000",
    })  # fmt: skip
    store.sam.import_contacts(progressive["id"], b"phone,name\n+74955550002,Boris\n")

    engine, bridge, book, agent, panel = operator_desk(qtbot)
    panel.show()
    adapter = Bitrix24Adapter(crm.webhook_url, SECRET, user_id=3, timeout_s=2)
    desk = OutboundDesk(store.alice, bridge, book, agent, panel, poll_ms=200,
                        crm_lookup=lambda n: safe_lookup(adapter, to_e164(n) or n))  # fmt: skip
    register(qtbot, engine, bridge)
    qtbot.waitUntil(lambda: agent.reachable, timeout=3000)
    assert "Outbound state" in panel.status.text()

    agent.choose(st.OUTBOUND)
    qtbot.waitUntil(lambda: desk.dialler.phase is Phase.PREVIEW, timeout=5000)
    qtbot.waitUntil(lambda: "Анна" in fields(panel).values(), timeout=3000)
    card = fields(panel)
    assert (card["Phone"], card["CRM id"], card["plan"]) == ("+7 495 555-00-01", "c-7", "gold")
    assert card["Their time"].endswith(" (UTC)") and card["Attempts so far"] == "0"
    assert panel.script.toPlainText() == "Good morning, this is Anna from the bank."
    qtbot.waitUntil(lambda: "Anna Petrova" in panel.crm.text(), timeout=3000)  # the CRM's
    qtbot.waitUntil(lambda: panel.history.text() != "", timeout=3000)  # the store's history
    assert panel.history.text() == "0 calls with this number; karma —"
    assert not any(name == "make_call" for name, _ in engine.commands)
    panel.skip_reason.setCurrentText("Wrong time for her")
    panel.skip_button.click()

    # The next task is progressive: a visible countdown, stopped by the operator.
    qtbot.waitUntil(lambda: desk.dialler.phase is Phase.COUNTDOWN, timeout=5000)
    qtbot.waitUntil(lambda: "Dialling in" in panel.status.text(), timeout=2000)
    assert fields(panel)["Name"] == "Boris" and panel.stop_button.isVisible()
    panel.stop_button.click()
    qtbot.waitUntil(lambda: desk.dialler.phase is Phase.PREVIEW, timeout=2000)
    qtbot.wait(3500)  # past the countdown: nothing dialled
    assert not any(name == "make_call" for name, _ in engine.commands)
    panel.call_button.click()
    qtbot.waitUntil(lambda: book.get("out-1") is not None, timeout=3000)
    caller_id = {"P-Preferred-Identity": "<tel:+74957770000>"}
    assert ("make_call", ("acc-1", "+74955550002", caller_id)) in engine.commands
    call = book.get("out-1")
    assert call is not None and call.campaign == "winback"
    record = store_record(call, "alice")
    assert record.pop("id") == "out-1" and record["campaign"] == "winback"
    body = {"agent": "alice", "direction": "outbound", "started_us": call.started_us,
            "campaign": record["campaign"]}  # fmt: skip
    assert store.alice.put_call("out-1", body)["campaign"] == "winback"  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: desk.dialler.attempt is not None
                    and desk.dialler.attempt.call_id == "out-1", timeout=2000)  # fmt: skip
    engine.emit_from_thread(ev.CallStateChanged(call_id="out-1", state="confirmed", code=200,
                                                reason="OK"))  # fmt: skip
    qtbot.waitUntil(lambda: panel.finish_button.isEnabled(), timeout=3000)
    panel.disposition.setCurrentText("sold")
    panel.finish_button.click()
    engine.emit_from_thread(ev.CallStateChanged(call_id="out-1", state="disconnected", code=200,
                                                reason="Normal"))  # fmt: skip
    qtbot.waitUntil(lambda: desk.dialler.last is not None
                    and desk.dialler.last["status"] == "done", timeout=5000)  # fmt: skip

    engine.emit_from_thread(ev.CallEnded(call_id="out-1", record={"ended_by": "local"}))
    qtbot.waitUntil(lambda: agent.state == st.OUTBOUND, timeout=3000)  # no wrap-up time here
    asked = desk.claims_asked  # nothing is due now: the store is asked once per poll, no more
    qtbot.wait(1000)
    assert desk.claims_asked - asked <= 1000 // 200 + 2, desk.claims_asked - asked
    assert desk.dialler.phase is Phase.IDLE

    # The supervisor's tab: progress, a contact's attempts, pause, the export.
    view = CampaignsView(store.sam)
    qtbot.addWidget(view)
    out = tmp_path / "results.csv"
    view.save_path = lambda _suggested: str(out)
    view.refresh()
    qtbot.waitUntil(lambda: view.campaigns.rowCount() == 2, timeout=5000)
    row = [view.campaigns.item(0, c).text() for c in range(view.campaigns.columnCount())]
    assert row[0] == "renewals" and row[3:10] == ["1", "0", "0", "1", "0", "0", "0"], row
    assert row[10] == "skipped 1"
    qtbot.waitUntil(lambda: view.contacts.rowCount() == 1, timeout=3000)
    view.contacts.selectRow(0)
    qtbot.waitUntil(lambda: view.attempts.rowCount() == 1, timeout=3000)
    assert [view.attempts.item(0, c).text() for c in (0, 3, 4)] == [
        "alice", "skipped", "Wrong time for her",
    ]  # fmt: skip
    view.campaigns.selectRow(1)
    qtbot.waitUntil(lambda: view.contacts.item(0, 1) is not None
                    and view.contacts.item(0, 1).text() == "Boris", timeout=3000)  # fmt: skip
    assert view.campaigns.item(1, 10).text() == "sold 1"
    view.pause_button.click()
    qtbot.waitUntil(lambda: view.campaigns.item(1, 2).text() == "paused", timeout=3000)
    assert [c["paused"] for c in store.sam.campaigns()] == [False, True]
    assert view.pause_button.text() == "Resume"
    view.export_button.click()
    qtbot.waitUntil(lambda: out.exists() and "Saved" in view.message.text(), timeout=3000)
    (result,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
    assert (result["name"], result["status"], result["last_disposition"]) == (
        "Boris",
        "done",
        "sold",
    )
    assert result["last_call_id"] == "out-1" and result["last_agent"] == "alice"
    agent.choose(st.READY)
    desk.close()


def rest_crm(crm: CrmServer) -> RestAdapter:
    config = RestConfig(
        lookup_url=crm.url + "/api/contacts?phone={number}",
        contact_path="data",
        fields={"id": "uid", "name": "full_name", "company": "org.title", "status": "segment",
                "balance": "account.balance", "items": "tickets", "item.title": "subject"},
    )  # fmt: skip
    return RestAdapter(config)


def test_a_pushed_task_on_the_campaigns_own_card_then_a_callback(
    qtbot: QtBot, store: Store, crm: CrmServer
) -> None:
    """An idle desk is handed a task the moment contacts are imported (the live channel, not
    the poll); the task's call has the campaign's dialog card (fields, sensitive masking,
    dispositions, script) and finishing it reports the disposition once; the callback button
    brings the contact back to the same operator while logged in, not to another."""
    crm.people[11].deals = [{"TITLE": "Router"}, {"TITLE": "TV box"}]
    made = store.sam.create_campaign("upsell", {
        "hours": ALL_DAY, "script": "Offer the annual plan.", "dispositions": ["agreed", "refused"],
        "card_form": [
            {"key": "plan_ok", "type": "choice", "choices": ["yes", "no"], "label": "Plan",
             "required": True},
            {"key": "card_no", "label": "Card", "sensitive": "mask"},
        ],
    })  # fmt: skip
    store.alice.set_state("alice", "ready")  # logged in, as far as the store knows

    engine, bridge, book, agent, panel = operator_desk(qtbot)
    adapter = rest_crm(crm)
    card = CrmPanel(parse_fields(("topic: text", "notes: text")), ("resolved",), book=book,
                    adapter=adapter)  # fmt: skip
    qtbot.addWidget(card)
    desk = OutboundDesk(store.alice, bridge, book, agent, panel, poll_ms=60_000,
                        crm_lookup=lambda n: full_lookup(adapter, to_e164(n) or n))  # fmt: skip
    card.form_of = desk.card_form
    panel.dispose_on_card()
    card.saved.connect(
        lambda call_id: desk.card_finished(call_id, card.dialog.chosen_disposition())
    )
    live = LiveChannel(store.url, "", lambda _url: store.server.tokens["alice"])
    statuses: list[str] = []
    live.status.connect(statuses.append)
    live.received.connect(desk.on_live_event)
    live.start()
    register(qtbot, engine, bridge)
    qtbot.waitUntil(lambda: agent.reachable and "connected" in statuses, timeout=5000)
    try:
        agent.choose(st.OUTBOUND)  # nothing to call yet: one claim, then the desk waits
        qtbot.waitUntil(lambda: desk.claims_asked == 1 and not desk.asking, timeout=3000)
        assert desk.dialler.phase is Phase.IDLE and desk.woken == 0

        store.sam.import_contacts(made["id"], b"phone,name\n+74955550001,Anna\n")
        qtbot.waitUntil(lambda: desk.dialler.phase is Phase.PREVIEW, timeout=5000)
        assert desk.woken >= 1 and desk.claims_asked == 2  # pushed: asked once, on the event
        qtbot.waitUntil(lambda: "open items" in panel.crm.text(), timeout=3000)
        assert (
            panel.crm.text() == "CRM: Anna Petrova · Acme Ltd · VIP · balance -150.5 · 2 open items"
        )
        assert panel.disposition.isHidden() and panel.finish_button.isHidden()

        panel.call_button.click()
        qtbot.waitUntil(lambda: card.card_call == "out-1", timeout=3000)
        assert list(card.dialog.editors) == ["plan_ok", "card_no"]
        box = card.dialog.disposition
        assert [box.itemData(i) for i in range(box.count())] == ["", "agreed", "refused"]
        assert not card.script.isHidden() and card.script.toPlainText() == "Offer the annual plan."
        qtbot.waitUntil(lambda: desk.dialler.attempt is not None
                        and desk.dialler.attempt.call_id == "out-1", timeout=2000)  # fmt: skip
        engine.emit_from_thread(ev.CallStateChanged(call_id="out-1", state="confirmed", code=200,
                                                    reason="OK"))  # fmt: skip
        card.dialog.set_value("plan_ok", "yes")
        card.dialog.set_value("card_no", "4111 1111 1111 1234")
        assert card.dialog.card()["card_no"]["value"] == "************1234"
        engine.emit_from_thread(ev.CallStateChanged(call_id="out-1", state="disconnected",
                                                    code=200, reason="Normal"))  # fmt: skip
        engine.emit_from_thread(ev.CallEnded(call_id="out-1", record={"ended_by": "remote"}))
        qtbot.waitUntil(lambda: desk.dialler.phase is Phase.WRAP_UP, timeout=3000)
        qtbot.waitUntil(lambda: card.finish.isEnabled(), timeout=3000)
        box.setCurrentIndex(box.findData("agreed"))
        assert card.finish_wrap_up()
        qtbot.waitUntil(lambda: desk.dialler.last is not None, timeout=5000)
        assert desk.dialler.last is not None and desk.dialler.last["status"] == "done"
        assert list(card.dialog.editors) == ["topic", "notes"]  # the settings' card again
        contacts = store.sam.campaign_contacts(made["id"])
        history = store.sam.contact_history(contacts[0]["id"])
        assert [(a["outcome"], a["disposition"], a["call_id"]) for a in history["attempts_made"]] \
            == [("answered", "agreed", "out-1")]  # fmt: skip

        # A callback: the operator picks a time; the contact is promised back to her.
        qtbot.waitUntil(lambda: desk.claims_asked == 3 and not desk.asking, timeout=3000)
        asked, woken = desk.claims_asked, desk.woken  # the task done, the desk asked once more
        store.sam.import_contacts(made["id"], b"phone,name\n+74955550002,Boris\n")
        qtbot.waitUntil(lambda: desk.dialler.phase is Phase.PREVIEW, timeout=5000)
        assert desk.woken > woken and desk.claims_asked == asked + 1
        engine.results["make_call"] = "out-2"
        panel.call_button.click()
        qtbot.waitUntil(lambda: desk.dialler.attempt is not None
                        and desk.dialler.attempt.call_id == "out-2", timeout=3000)  # fmt: skip
        engine.emit_from_thread(ev.CallStateChanged(call_id="out-2", state="confirmed", code=200,
                                                    reason="OK"))  # fmt: skip
        qtbot.waitUntil(lambda: panel.callback_button.isEnabled(), timeout=3000)
        panel.callback_at.setDateTime(QDateTime.currentDateTime().addSecs(2))
        promised_us = panel.callback_at.dateTime().toMSecsSinceEpoch() * 1000
        panel.callback_button.click()
        agent.choose(st.READY)  # not taking tasks for now (still logged in)
        engine.emit_from_thread(ev.CallStateChanged(call_id="out-2", state="disconnected",
                                                    code=200, reason="Normal"))  # fmt: skip
        engine.emit_from_thread(ev.CallEnded(call_id="out-2", record={"ended_by": "remote"}))
        qtbot.waitUntil(lambda: desk.dialler.last is not None
                        and desk.dialler.last["status"] == "waiting", timeout=5000)  # fmt: skip
        boris = store.sam.campaign_contacts(made["id"])[1]
        assert boris["next_due_us"] == max(promised_us, boris["next_due_us"])
        woken = desk.woken
        qtbot.waitUntil(
            lambda: utc_us() > boris["next_due_us"] and desk.woken > woken, timeout=8000
        )  # the store told its operator when the time came
        assert store.bob.claim_task() is None  # promised to alice, who is logged in
        agent.choose(st.OUTBOUND)
        qtbot.waitUntil(lambda: desk.dialler.phase is Phase.PREVIEW, timeout=5000)
        task = desk.dialler.task
        assert task is not None and task["phone"] == "+74955550002" and task["callback"]
        assert fields(panel)["Callback"] == "you promised to call back"
    finally:
        agent.choose(st.READY)
        desk.close()
        live.close()

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
from pytestqt.qtbot import QtBot

from desktop.agent import state as st
from desktop.calls.call import store_record
from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.model import CallBook
from desktop.crm.base import safe_lookup
from desktop.crm.bitrix24 import Bitrix24Adapter
from desktop.crm.numbers import to_e164
from desktop.outbound.controller import OutboundDesk
from desktop.outbound.dialler import Phase
from desktop.outbound.panel import OutboundPanel
from desktop.outbound.supervision import CampaignsView
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

    engine = FakeEngine()
    bridge = EngineBridge(engine)
    book = CallBook.following(bridge, bridge, extension="1001")
    agent = st.AgentState(wrap_up_s=0)
    bridge.sip_event.connect(agent.on_event)
    panel = OutboundPanel()
    qtbot.addWidget(panel)
    panel.show()
    adapter = Bitrix24Adapter(crm.webhook_url, SECRET, user_id=3, timeout_s=2)
    desk = OutboundDesk(store.alice, bridge, book, agent, panel, poll_ms=200,
                        crm_lookup=lambda n: safe_lookup(adapter, to_e164(n) or n))  # fmt: skip
    bridge.start(AccountSettings(user="1001", domain="127.0.0.1"), lambda: "pw")
    qtbot.waitUntil(lambda: bridge.account_id == "acc-1", timeout=3000)
    engine.emit_from_thread(ev.RegistrationChanged(account_id="acc-1", state="registered",
                                                   code=200, reason="OK"))  # fmt: skip
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

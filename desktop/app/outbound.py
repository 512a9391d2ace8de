"""The outbound card as the composition root adds it: a side panel fed by the store's tasks
while the operator is in the Outbound state, dialling through the window's engine bridge."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop.agent.state import OUTBOUND, StateChange
from desktop.calls.model import CallBook
from desktop.crm.base import full_lookup
from desktop.crm.numbers import to_e164
from desktop.crm.panel import CrmPanel
from desktop.crm.types import LookupResult
from desktop.live.channel import LiveChannel
from desktop.operator.window import MainWindow
from desktop.outbound.controller import OutboundDesk
from desktop.outbound.panel import OutboundPanel
from store.client import StoreClient


def add_outbound_panel(
    window: MainWindow,
    book: CallBook,
    client: StoreClient,
    crm: CrmPanel | None = None,
    live: LiveChannel | None = None,
) -> OutboundDesk:
    """The outbound card. A task's call gets the campaign's dialog-card form (fields,
    dispositions, script) on the CRM panel, and the disposition it is finished with is the
    attempt's outcome; tasks pushed over ``live`` are asked for at once."""
    panel = OutboundPanel()
    dock = window.add_side_panel(panel, QCoreApplication.translate("OutboundPanel", "Outbound"))

    def shown(change: StateChange) -> None:  # choosing Outbound brings its card to the front
        if change.state == OUTBOUND and change.previous != OUTBOUND:
            dock.show()
            dock.raise_()

    window.agent.subscribe(shown)

    def crm_lookup(number: str) -> LookupResult | None:
        adapter = crm.adapter if crm is not None else None
        if adapter is None or crm is None:
            return None
        return full_lookup(adapter, to_e164(number, crm.country_code) or number)

    desk = OutboundDesk(client, window.bridge, book, window.agent, panel, crm_lookup=crm_lookup)
    if live is not None:
        live.received.connect(desk.on_live_event)
    if crm is not None:
        desk.follow_card(crm)
    app = QCoreApplication.instance()
    if app is not None:  # tasks not dialled yet go back to the pool when the app quits
        app.aboutToQuit.connect(desk.close)
    return desk

"""What the caller panel offers, by the call's phase: the caller rating only once the call on
the card was answered (a caller who never spoke cannot be rated), the wrap-up hint only while
the operator is in wrap-up (not while the next call rings)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Qt

from desktop.agent import state as st

if TYPE_CHECKING:
    from desktop.crm.panel import CrmPanel


def wrap_up_hint() -> str:
    """The panel's wrap-up hint as it shows it (desktop.crm.panel.CrmPanel._wrap_up)."""
    return QCoreApplication.translate(
        "CrmPanel", "Wrap-up: choose a disposition, rate the caller, finish."
    )


class CardGate(QObject):
    """Follows the panel's calls and the agent state; :meth:`update` after each change."""

    def __init__(self, panel: CrmPanel, agent: st.AgentState | None, parent: QObject) -> None:
        super().__init__(parent)
        self.panel = panel
        self.agent = agent
        bridge = getattr(panel.window(), "bridge", None)
        if bridge is not None:  # queued: after the panel has taken the event itself
            bridge.sip_event.connect(self.update, Qt.ConnectionType.QueuedConnection)
            bridge.dialled.connect(self.update, Qt.ConnectionType.QueuedConnection)
        panel.saved.connect(self.update, Qt.ConnectionType.QueuedConnection)
        if agent is not None:
            agent.subscribe(lambda _change: self.update())
        self.update()

    def answered(self) -> bool:
        info = self.panel.calls.get(self.panel.card_call)
        return info is not None and info.answered_us is not None

    def in_wrap_up(self) -> bool:
        return self.agent is not None and self.agent.state == st.WRAP_UP

    def update(self, *_: Any) -> None:
        panel = self.panel
        panel.rating.setEnabled(self.answered())
        hint = wrap_up_hint()
        if panel.message.text() == hint and not self.in_wrap_up():
            panel.message.clear()
        elif self.in_wrap_up() and self.answered() and not panel.message.text():
            panel.message.setText(hint)

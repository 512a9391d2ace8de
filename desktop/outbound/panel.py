"""The operator's outbound card: the task's contact (its data, its own local time, the store's
history and karma of the number), the campaign's script, and the buttons of the course: Call,
Skip with a reason, Stop the countdown, the disposition or a callback time after the call.
A view only: `controller` fills it and takes its signals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.crm.types import LookupResult, Outcome
from desktop.outbound.dialler import Phase
from store.client_outbound import Task

SIP_OUTCOMES = ("busy", "no_answer", "failed")
DONE = "done"


def dispositions_of(campaign: dict[str, Any]) -> list[str]:
    """The campaign's dispositions; without a list, those it has retry delays for and done."""
    named = list(campaign.get("dispositions") or [])
    if named:
        return named
    retried = [k for k in campaign.get("retry_s", {}) if k not in SIP_OUTCOMES]
    return [*retried, DONE]


class OutboundPanel(QWidget):
    call_clicked = Signal()
    skip_clicked = Signal(str)  # the reason
    stop_clicked = Signal()
    disposition_chosen = Signal(str)
    callback_chosen = Signal(object)  # when, UTC µs (an int past 32 bits)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboundPanel")
        self.status = QLabel(self.tr("Choose the Outbound state to get calls to make."), self)
        self.status.setObjectName("outboundStatus")
        self.status.setWordWrap(True)
        self.card = QGroupBox(self.tr("Contact"), self)
        self.form = QFormLayout(self.card)
        self.crm = QLabel(self)
        self.crm.setObjectName("outboundCrm")
        self.crm.setWordWrap(True)
        self.history = QLabel(self)
        self.history.setObjectName("outboundHistory")
        self.history.setWordWrap(True)
        self.script = QPlainTextEdit(self)
        self.script.setObjectName("outboundScript")
        self.script.setReadOnly(True)
        self.script.setPlaceholderText(self.tr("The campaign's script"))
        self.call_button = QPushButton(self.tr("Call"), self)
        self.call_button.setObjectName("outboundCall")
        self.stop_button = QPushButton(self.tr("Stop"), self)
        self.stop_button.setObjectName("outboundStop")
        self.skip_reason = QComboBox(self)
        self.skip_reason.setObjectName("outboundSkipReason")
        self.skip_reason.setEditable(True)
        self.skip_reason.addItems([self.tr("Wrong time"), self.tr("Wrong number"),
                                   self.tr("Not the person to speak to")])  # fmt: skip
        self.skip_button = QPushButton(self.tr("Skip"), self)
        self.skip_button.setObjectName("outboundSkip")
        self.disposition = QComboBox(self)
        self.disposition.setObjectName("outboundDisposition")
        self.finish_button = QPushButton(self.tr("Finish"), self)
        self.finish_button.setObjectName("outboundFinish")
        self.callback_at = QDateTimeEdit(self)
        self.callback_at.setObjectName("outboundCallbackAt")
        self.callback_at.setCalendarPopup(True)
        self.callback_button = QPushButton(self.tr("Call back then"), self)
        self.callback_button.setObjectName("outboundCallback")
        actions = QHBoxLayout()
        for choice in (self.call_button, self.stop_button, self.skip_reason, self.skip_button):
            actions.addWidget(choice)
        after = QHBoxLayout()
        for widget in self._after_call():
            after.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.card)
        layout.addWidget(self.crm)
        layout.addWidget(self.history)
        layout.addWidget(self.script, 1)
        layout.addLayout(actions)
        layout.addLayout(after)
        self.call_button.clicked.connect(self.call_clicked)
        self.stop_button.clicked.connect(self.stop_clicked)
        self.skip_button.clicked.connect(self._skip)
        self.finish_button.clicked.connect(
            lambda: self.disposition_chosen.emit(self.disposition.currentText())
        )
        self.callback_button.clicked.connect(
            lambda: self.callback_chosen.emit(
                self.callback_at.dateTime().toMSecsSinceEpoch() * 1000
            )
        )
        self.show_phase(Phase.IDLE, 0, "")

    def dispose_on_card(self) -> None:
        """The dialog card gives the disposition (in the campaign's form): this card keeps
        only the callback, so that the operator picks a disposition once."""
        self.disposition.hide()
        self.finish_button.hide()

    def _after_call(self) -> tuple[QWidget, ...]:
        return (self.disposition, self.finish_button, self.callback_at, self.callback_button)

    def _skip(self) -> None:
        reason = self.skip_reason.currentText().strip()
        if reason:
            self.skip_clicked.emit(reason)

    def show_task(self, task: Task | None) -> None:
        """The contact's card (None: empty)."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.history.clear()
        self.crm.clear()
        if task is None:
            self.script.clear()
            return
        campaign = task["campaign"]
        try:
            local = datetime.now(UTC).astimezone(ZoneInfo(task["tz"])).strftime("%H:%M ")
        except (ZoneInfoNotFoundError, ValueError):  # no time zone database on this PC
            local = ""
        rows = [
            (self.tr("Campaign"), campaign["name"]),
            (self.tr("Name"), task["name"] or "—"),
            (self.tr("Phone"), task["phone"]),
            (self.tr("Their time"), f"{local}({task['tz']})"),
            (self.tr("Attempts so far"), str(task["attempts"])),
        ]
        if task["crm_id"]:
            rows.append((self.tr("CRM id"), task["crm_id"]))
        if task["callback"]:
            rows.append((self.tr("Callback"), self.tr("you promised to call back")))
        rows += sorted(task["extra"].items())
        for title, value in rows:
            label = QLabel(value, self.card)
            label.setObjectName("outboundField")
            self.form.addRow(title, label)
        self.script.setPlainText(campaign.get("script", ""))
        self.disposition.clear()
        self.disposition.addItems(dispositions_of(dict(campaign)))
        soon = QDateTime.currentDateTime().addSecs(3600)
        self.callback_at.setDateTime(soon)

    def show_crm(self, found: LookupResult) -> None:
        """What the CRM knows of the contact's number."""
        contact = found.contact
        if found.outcome is Outcome.failed:
            self.crm.setText(self.tr("CRM: %1").replace("%1", found.problem))
        elif contact is None:
            self.crm.setText(self.tr("Not in the CRM"))
        else:
            facts = [contact.name, contact.company, contact.status]
            if contact.balance:
                facts.append(self.tr("balance %1").replace("%1", contact.balance))
            if contact.items:
                facts.append(self.tr("%n open items", "", len(contact.items)))
            self.crm.setText(self.tr("CRM: %1").replace("%1", " · ".join(f for f in facts if f)))

    def show_history(self, text: str) -> None:
        self.history.setText(text)

    def show_phase(self, phase: Phase, countdown_s: int, note: str) -> None:
        """Which buttons apply now, and the status line."""
        choosing = phase in (Phase.PREVIEW, Phase.COUNTDOWN)
        self.call_button.setEnabled(choosing)
        self.skip_button.setEnabled(choosing)
        self.skip_reason.setEnabled(choosing)
        self.stop_button.setVisible(phase is Phase.COUNTDOWN)
        answered = phase in (Phase.TALKING, Phase.WRAP_UP)
        for widget in self._after_call():
            widget.setEnabled(answered)
        self.status.setText(self._status(phase, countdown_s, note))

    def _status(self, phase: Phase, countdown_s: int, note: str) -> str:
        if phase is Phase.COUNTDOWN:
            return self.tr("Dialling in %n s", "", countdown_s)
        if phase is Phase.PREVIEW:
            return self.tr("Read the card, then Call or Skip.")
        if phase is Phase.DIALLING:
            return self.tr("Calling…")
        if phase is Phase.TALKING:
            return self.tr("On the call: choose the outcome when you are done.")
        if phase is Phase.WRAP_UP:
            return self.tr("The call is over: choose its outcome.")
        if note == "blocked":
            return self.tr("That number is on the do-not-call list: not dialled.")
        if note == "lapsed":
            return self.tr("The task was given to somebody else (this desktop lost the store).")
        if note:
            return note
        return self.tr("Waiting for the next task…")

"""The screen-pop card: who is calling as the CRM knows them, their recent calls from the
store and their ratings. It appears at once and fills in as each answer arrives."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n
from desktop.crm.numbers import display
from desktop.crm.types import CrmContact, LookupResult, Outcome


class CrmCard(QWidget):
    """Shows one caller; emits what the operator asks for (the panel does the work)."""

    open_url = Signal(str)  # the contact's page in the CRM's web UI
    create_contact = Signal(str)  # the E.164 number to create a contact for
    play_call = Signal(str)  # a past call's id in the store
    filled = Signal(str)  # the CRM's contact (or a problem) is on show: what the card says

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crmCard")
        self.number = ""
        self.web_url = ""
        self.caller = QLabel(self)
        self.caller.setObjectName("crmCaller")
        self.caller.setStyleSheet("font-weight: bold;")
        self.caller.setWordWrap(True)
        self.state = QLabel(self)
        self.state.setObjectName("crmState")
        self.state.setWordWrap(True)
        self.rows: dict[str, QLabel] = {}
        self.form = form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for key, label in (
            ("name", self.tr("Name")),
            ("company", self.tr("Company")),
            ("status", self.tr("Status")),
            ("balance", self.tr("Balance")),
            ("items", self.tr("Open deals")),
            ("notes", self.tr("Notes")),
        ):
            value = QLabel(self)
            value.setObjectName(f"crm_{key}")
            value.setWordWrap(True)
            value.setMinimumWidth(120)
            value.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.rows[key] = value
            form.addRow(label, value)
        self.extra = QLabel(self)
        self.extra.setObjectName("crmExtra")
        self.extra.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Open in CRM"), self)
        self.open_button.clicked.connect(lambda: self.open_url.emit(self.web_url))
        self.create_button = QPushButton(self.tr("Create contact"), self)
        self.create_button.clicked.connect(lambda: self.create_contact.emit(self.number))
        self.ratings = QLabel(self)
        self.ratings.setObjectName("crmRatings")
        self.ratings.setWordWrap(True)
        self.history = QTableWidget(0, 5, self)
        self.history.setObjectName("crmHistory")
        self.history.setHorizontalHeaderLabels(
            [self.tr("Date"), self.tr("Agent"), self.tr("Duration"), self.tr("Disposition"), ""]
        )
        self.history.verticalHeader().hide()
        header = self.history.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.history.setWordWrap(False)
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.create_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caller)
        layout.addWidget(self.state)
        layout.addLayout(form)
        layout.addWidget(self.extra)
        layout.addLayout(buttons)
        layout.addWidget(self.ratings)
        layout.addWidget(self.history, 10)
        layout.addStretch(1)  # keeps the card at the top while there is no history
        self.clear()

    def clear(self) -> None:
        self.number = self.web_url = ""
        self.caller.setText(self.tr("No call"))
        self.state.clear()
        for value in self.rows.values():
            value.clear()
            value.setToolTip("")
            self.form.setRowVisible(value, False)  # a row shows once the CRM gives its value
        self.extra.clear()
        self.ratings.clear()
        self.history.setRowCount(0)
        self.history.hide()
        self.open_button.hide()
        self.create_button.hide()

    # --- the CRM's answers ----------------------------------------------------------------
    def show_ringing(self, number: str, raw: str, display_name: str, crm_name: str) -> None:
        """At once, before any answer: who rings, and that the CRM is being asked."""
        self.clear()
        self.number = number
        shown = display(number) if number else raw
        self.caller.setText(f"{shown} {display_name}".strip())
        if not crm_name:
            self.state.setText(self.tr("No CRM is configured"))
        elif not number:
            self.state.setText(self.tr("Not a phone number: the CRM is not asked"))
        else:
            self.state.setText(self.tr("Looking up in %1…").replace("%1", crm_name))

    def show_lookup(self, result: LookupResult, crm_name: str) -> None:
        if result.outcome is Outcome.found and result.contact is not None:
            self.state.setText(self.tr("Found in %1").replace("%1", crm_name))
            self.show_contact(result.contact)
        elif result.outcome is Outcome.not_found:
            self.state.setText(self.tr("Not in %1").replace("%1", crm_name))
            self.create_button.show()
        else:
            self.show_problem(result.problem)

    def show_contact(self, contact: CrmContact) -> None:
        values = {
            "name": contact.name,
            "company": contact.company,
            "status": contact.status,
            "balance": contact.balance,
            "notes": contact.notes,
            "items": "\n".join(
                " · ".join(t for t in (i.title, i.status, i.amount) if t) for i in contact.items
            ),
        }
        for key, value in values.items():
            self.rows[key].setText(value)
            self.rows[key].setToolTip(value)
            self.form.setRowVisible(self.rows[key], bool(value))
        self.extra.setText("\n".join(f"{label}: {value}" for label, value in contact.extra))
        self.web_url = contact.web_url
        self.open_button.setVisible(bool(contact.web_url))
        self.create_button.hide()
        self.filled.emit(contact.name)

    def show_problem(self, problem: str) -> None:
        """The CRM failed; the call goes on untouched."""
        text = self.tr("CRM unavailable: %1. The call is not affected.")
        self.state.setText(text.replace("%1", problem))
        self.filled.emit(self.state.text())

    # --- the store's answer ---------------------------------------------------------------
    def show_history(self, summary: dict[str, Any]) -> None:
        parts: list[str] = []
        if summary.get("karma_avg") is not None:
            karma = self.tr("karma %1 (%2 ratings)")
            parts.append(
                karma.replace("%1", f"{summary['karma_avg']:+.1f}").replace(
                    "%2", str(summary.get("ratings", 0))
                )
            )
        for key, label in (
            ("literacy", self.tr("tech literacy")),
            ("temperament", self.tr("temperament")),
        ):
            score = summary.get(key)
            if score:
                text = self.tr("%1 %2/5 (%3 operators, %4% agree)")
                parts.append(
                    text.replace("%1", label)
                    .replace("%2", f"{score['score']:.1f}")
                    .replace("%3", str(score["raters"]))
                    .replace("%4", str(round(score["agreement"] * 100)))
                )
        calls = summary.get("calls", 0)
        head = self.tr("%1 earlier calls").replace("%1", str(calls))
        self.ratings.setText("; ".join([head, *parts]))
        rows = summary.get("last_calls") or []
        self.history.setRowCount(len(rows))
        self.history.setVisible(bool(rows))
        for r, call in enumerate(rows):
            cells = (i18n.local_time(call["started_us"]), call.get("agent", ""),
                     i18n.duration_text(call.get("duration_s") or 0),
                     i18n.shown(call.get("disposition") or ""))  # fmt: skip
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.history.setItem(r, c, item)
            play = QPushButton(self.tr("Play"), self.history)
            play.setObjectName(f"play_{call['id']}")
            play.clicked.connect(lambda _=False, cid=call["id"]: self.play_call.emit(cid))
            self.history.setCellWidget(r, 4, play)

    def show_history_problem(self, problem: str) -> None:
        self.ratings.setText(self.tr("Call history unavailable: %1").replace("%1", problem))

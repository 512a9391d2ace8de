"""The supervisors' campaigns: each campaign's progress (total, done, due now, scheduled,
exhausted, being called, blocked; attempts by outcome and disposition), pause and resume, a
contact's attempts, and the results saved as CSV. Every store request runs off the UI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.threads import run_in_thread
from desktop.widgets.tables import read_only_table
from store.client_outbound import Campaign, ContactHistory, Progress

log = logging.getLogger(__name__)
T = TypeVar("T")
PROGRESS_KEYS = ("total", "done", "due_now", "scheduled", "exhausted", "claimed", "blocked")


class CampaignSource(Protocol):
    """What the view needs of ``store.client.StoreClient``."""

    def campaigns(self) -> list[Campaign]: ...
    def campaign_progress(self, campaign_id: int) -> Progress: ...
    def change_campaign(self, campaign_id: int, paused: bool | None = None) -> Campaign: ...
    def campaign_contacts(self, campaign_id: int) -> list[dict[str, Any]]: ...
    def contact_history(self, contact_id: int) -> ContactHistory: ...
    def campaign_results_csv(self, campaign_id: int) -> bytes: ...


def when(us: int | None) -> str:
    if not us:
        return ""
    return datetime.fromtimestamp(us / 1e6, UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def _fill(table: QTableWidget, rows: list[list[str]], keys: list[int] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if keys is not None:
                item.setData(Qt.ItemDataRole.UserRole, keys[r])
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


class CampaignsView(QWidget):
    """Campaigns above, the selected campaign's contacts below, a contact's attempts beside."""

    def __init__(self, source: CampaignSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("campaignsView")
        self.source = source
        self.progress: dict[int, Progress] = {}
        self.campaigns = read_only_table(
            self,
            "campaignTable",
            [
                self.tr("Campaign"),
                self.tr("Mode"),
                self.tr("State"),
                self.tr("Total"),
                self.tr("Done"),
                self.tr("Due now"),
                self.tr("Scheduled"),
                self.tr("Exhausted"),
                self.tr("Being called"),
                self.tr("Do not call"),
                self.tr("Outcomes"),
            ],
            pick_row=True,
        )
        self.contacts = read_only_table(
            self,
            "campaignContacts",
            [
                self.tr("Phone"),
                self.tr("Name"),
                self.tr("Status"),
                self.tr("Attempts"),
                self.tr("Next attempt"),
                self.tr("Last outcome"),
            ],
            pick_row=True,
        )
        self.attempts = read_only_table(
            self,
            "contactAttempts",
            [
                self.tr("Agent"),
                self.tr("Claimed"),
                self.tr("Dialled"),
                self.tr("Outcome"),
                self.tr("Reason"),
                self.tr("Call"),
            ],
            pick_row=True,
        )
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.pause_button = QPushButton(self.tr("Pause"), self)
        self.pause_button.setObjectName("campaignPause")
        self.export_button = QPushButton(self.tr("Export results…"), self)
        self.export_button.setObjectName("campaignExport")
        self.message = QLabel(self)
        self.message.setObjectName("campaignMessage")
        buttons = QHBoxLayout()
        for button in (self.refresh_button, self.pause_button, self.export_button):
            buttons.addWidget(button)
        buttons.addWidget(self.message, 1)
        lower = QHBoxLayout()
        lower.addWidget(self.contacts, 3)
        lower.addWidget(self.attempts, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.campaigns, 2)
        layout.addLayout(lower, 3)
        self.refresh_button.clicked.connect(self.refresh)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.export_button.clicked.connect(self.export)
        self.campaigns.itemSelectionChanged.connect(self._campaign_chosen)
        self.contacts.itemSelectionChanged.connect(self._contact_chosen)
        self.save_path: Callable[[str], str] = self._ask_path

    def selected(self) -> int | None:
        return self._key(self.campaigns)

    @staticmethod
    def _key(table: QTableWidget) -> int | None:
        rows = table.selectionModel().selectedRows()
        if not rows:
            return None
        item = table.item(rows[0].row(), 0)
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _ask(self, fn: Callable[[], T], then: Callable[[T], None]) -> None:
        def done(future: Future[T]) -> None:
            try:
                result = future.result()
            except Exception as exc:
                self.message.setText(str(exc))
                return
            then(result)

        run_in_thread(fn, done)

    def refresh(self) -> None:
        source = self.source

        def read() -> list[tuple[Campaign, Progress]]:
            return [(c, source.campaign_progress(c["id"])) for c in source.campaigns()]

        self._ask(read, self._show_campaigns)

    def _show_campaigns(self, found: list[tuple[Campaign, Progress]]) -> None:
        chosen = self.selected()
        self.progress = {c["id"]: p for c, p in found}
        rows = [
            [c["name"], c.get("mode", ""), self.tr("paused") if c["paused"] else self.tr("running"),
             *(str(p[k]) for k in PROGRESS_KEYS),  # type: ignore[literal-required]
             ", ".join(f"{k} {n}" for k, n in sorted(p["outcomes"].items()))]
            for c, p in found
        ]  # fmt: skip
        self.campaigns.blockSignals(True)
        _fill(self.campaigns, rows, [c["id"] for c, _ in found])
        self.campaigns.blockSignals(False)
        ids = [c["id"] for c, _ in found]
        if chosen in ids:
            self.campaigns.selectRow(ids.index(chosen))
        elif ids:
            self.campaigns.selectRow(0)
        self._update_pause()

    def _update_pause(self) -> None:
        chosen = self.selected()
        paused = self._paused(chosen)
        self.pause_button.setText(self.tr("Resume") if paused else self.tr("Pause"))
        self.pause_button.setEnabled(chosen is not None)
        self.export_button.setEnabled(chosen is not None)

    def _paused(self, campaign_id: int | None) -> bool:
        known = self.progress.get(campaign_id) if campaign_id is not None else None
        return bool(known and known["paused"])

    def _campaign_chosen(self) -> None:
        self._update_pause()
        chosen = self.selected()
        if chosen is None:
            return
        self._ask(lambda: self.source.campaign_contacts(chosen), self._show_contacts)

    def _show_contacts(self, rows: list[dict[str, Any]]) -> None:
        shown = [
            [r["phone"], r["name"], r["status"], str(r["attempts"]),
             when(r["next_due_us"]) if r["status"] == "waiting" else "",
             r.get("last_disposition") or r.get("last_outcome") or ""]
            for r in rows
        ]  # fmt: skip
        _fill(self.contacts, shown, [int(r["id"]) for r in rows])
        self.attempts.setRowCount(0)

    def _contact_chosen(self) -> None:
        contact = self._key(self.contacts)
        if contact is not None:
            self._ask(lambda: self.source.contact_history(contact), self._show_attempts)

    def _show_attempts(self, history: ContactHistory) -> None:
        rows = [
            [a["agent"], when(a["claimed_us"]), when(a["dialled_us"]),
             a["disposition"] or a["outcome"] or self.tr("in progress"), a["reason"] or "",
             a["call_id"] or ""]
            for a in history["attempts_made"]
        ]  # fmt: skip
        _fill(self.attempts, rows)

    def toggle_pause(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        pause = not self._paused(chosen)
        self._ask(
            lambda: self.source.change_campaign(chosen, paused=pause), lambda _c: self.refresh()
        )

    def export(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        name = self.progress[chosen]["name"] if chosen in self.progress else "campaign"
        path = self.save_path(f"{name}-results.csv")
        if not path:
            return

        def save() -> str:
            Path(path).write_bytes(self.source.campaign_results_csv(chosen))
            return path

        self._ask(save, lambda p: self.message.setText(self.tr("Saved %1").replace("%1", p)))

    def _ask_path(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export results"), suggested, self.tr("CSV files (*.csv)")
        )
        return path

"""The scorecard: a form from the store (criteria with maximum scores), scores, comments
anchored at the playback position, a summary; saved to the store with ``client.evaluate``
on a worker thread. A question that names an automatic check is answered by the call's
check (full marks if it passed, else 0) for QA to confirm or change."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.qa.player import clock_text
from desktop.threads import run_in_thread
from store.client import StoreClient, StoreError
from store.client_types import Comment, Form


class ScorecardWidget(QWidget):
    """Emits ``saved(evaluation)`` after the store accepted it; ``seek_requested(ms)`` when a
    comment is activated."""

    saved = Signal(object)
    seek_requested = Signal(int)

    def __init__(
        self,
        client: StoreClient,
        call_id: str,
        position_ms: Callable[[], int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.call_id = call_id
        self._position_ms = position_ms
        self.forms: list[Form] = []
        self.scores: dict[str, QSpinBox] = {}
        self.automatic: dict[str, bool] = {}  # check name → passed, from the transcript
        self._edited = False
        self.comments: list[Comment] = []
        self.form_choice = QComboBox()
        self.form_choice.currentIndexChanged.connect(self._show_form)
        self.criteria = QFormLayout()
        self.comment_text = QLineEdit()
        self.comment_text.setPlaceholderText(self.tr("Comment at the current position"))
        self.comment_text.returnPressed.connect(self.add_comment)
        add = QPushButton(self.tr("Add comment"))
        add.clicked.connect(self.add_comment)
        self.comment_list = QListWidget()
        self.comment_list.itemActivated.connect(self._comment_chosen)
        self.summary = QPlainTextEdit()
        self.summary.setPlaceholderText(self.tr("Summary"))
        self.summary.setMaximumHeight(70)
        self.save_button = QPushButton(self.tr("Save evaluation"))
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)
        self.status = QLabel(self.tr("Loading scorecard forms…"))
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.comment_text, 1)
        row.addWidget(add)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form_choice)
        layout.addLayout(self.criteria)
        layout.addLayout(row)
        layout.addWidget(self.comment_list, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.save_button)
        layout.addWidget(self.status)
        run_in_thread(client.forms, self._forms_loaded)

    def _forms_loaded(self, future: Future[list[Form]]) -> None:
        try:
            self.forms = future.result()
        except StoreError as exc:
            self.status.setText(self.tr("Cannot load the scorecard forms: {0}").format(exc))
            return
        if not self.forms:
            self.status.setText(self.tr("The store has no scorecard forms yet."))
            return
        for form in self.forms:
            self.form_choice.addItem(form["name"], form["id"])
        self.status.setText("")
        self.save_button.setEnabled(True)
        self._show_form()

    def current_form(self) -> Form | None:
        index = self.form_choice.currentIndex()
        return self.forms[index] if 0 <= index < len(self.forms) else None

    def _show_form(self) -> None:
        while self.criteria.rowCount():
            self.criteria.removeRow(0)
        self.scores = {}
        form = self.current_form()
        if form is None:
            return
        self._edited = False
        for criterion in form["criteria"]:
            box = QSpinBox()
            box.setRange(0, criterion["max_score"])
            box.setSuffix(f" / {criterion['max_score']}")
            self.scores[criterion["key"]] = box
            self.criteria.addRow(criterion["label"], box)
            rule = criterion.get("rule")
            if rule and rule in self.automatic:
                passed = self.automatic[rule]
                box.setValue(criterion["max_score"] if passed else 0)
                answer = self.tr("yes") if passed else self.tr("no")
                note = QLabel(self.tr("automatic check: {0} — confirm or change").format(answer))
                note.setObjectName(f"automatic-{criterion['key']}")
                self.criteria.addRow("", note)
            box.valueChanged.connect(self._mark_edited)

    def _mark_edited(self) -> None:
        self._edited = True

    def suggest(self, checks: list[dict[str, Any]]) -> None:
        """The call's automatic checks: questions naming one are answered by it (unless QA
        changed a score already)."""
        self.automatic = {str(c["name"]): bool(c["passed"]) for c in checks}
        if not self._edited:
            self._show_form()

    def add_comment(self) -> None:
        text = self.comment_text.text().strip()
        if not text:
            return
        at = int(self._position_ms())
        self.comments.append({"position_ms": at, "text": text})
        item = QListWidgetItem(f"{clock_text(at)}  {text}")
        item.setData(Qt.ItemDataRole.UserRole, at)
        self.comment_list.addItem(item)
        self.comment_text.clear()

    def _comment_chosen(self, item: QListWidgetItem) -> None:
        self.seek_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def save(self) -> None:
        form = self.current_form()
        if form is None:
            return
        scores = {key: box.value() for key, box in self.scores.items()}
        comments = list(self.comments)
        summary = self.summary.toPlainText().strip()
        self.save_button.setEnabled(False)
        self.status.setText(self.tr("Saving…"))

        def evaluate() -> Any:
            return self.client.evaluate(self.call_id, form["id"], scores, comments, summary)

        run_in_thread(evaluate, self._saved)

    def _saved(self, future: Future[Any]) -> None:
        self.save_button.setEnabled(True)
        try:
            evaluation = future.result()
        except StoreError as exc:
            self.status.setText(self.tr("Not saved: {0}").format(exc))
            return
        self.status.setText(self.tr("Saved: {0}%").format(f"{evaluation['score_pct']:g}"))
        self.saved.emit(evaluation)

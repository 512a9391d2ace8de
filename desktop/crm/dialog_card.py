"""The dialog card: fields from the settings, filled during the call and wrap-up.

Every change is time-stamped on the project's clock (UTC µs, ``formats.clock``), so QA can jump
to that moment in playback; the card's values go to the store as
``{key: {"value", "changed_us"}}``. A disposition is always asked for.

A sensitive field (a card number) pauses the recording while it has focus, shows its value
masked once it loses focus, and gives :meth:`DialogCard.card` only what its ``sensitive=``
flag lets out (masked, keyed hash, or nothing: desktop/crm/sensitive.py). Its value in clear
stays in the editor and in a :class:`~desktop.crm.sensitive.Secret`; ``changes`` and
``value_changed`` carry the masked form.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from desktop.crm.config import FieldSpec
from desktop.crm.sensitive import Secret, masked, protect
from desktop.i18n import shown
from formats.clock import utc_us

Editor = QLineEdit | QComboBox | QCheckBox | QDateEdit
MASK_SETTLE_MS = 300  # more than one frame of the recorder (5 fps) plus the pipe


class DialogCard(QWidget):
    value_changed = Signal(str, str, object)  # key, value, changed_us (int)
    sensitive_focus = Signal(bool)  # a sensitive field gained (True) or lost focus

    def __init__(
        self, specs: list[FieldSpec], dispositions: tuple[str, ...], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dialogCard")
        self.hash_key: bytes | None = None  # for sensitive=hash fields (from the keyring)
        self._filling = False
        self._form = QFormLayout(self)
        self.set_form(specs, dispositions)

    def set_form(self, specs: list[FieldSpec], dispositions: tuple[str, ...]) -> None:
        """Another form (an outbound campaign's, or the settings' again): its fields and
        dispositions replace the card's, empty."""
        while self._form.rowCount():
            self._form.removeRow(0)
        self.specs = {s.key: s for s in specs}
        self.dispositions = tuple(dispositions)
        self.editors: dict[str, Editor] = {}
        self.changes: dict[str, tuple[str, int]] = {}
        self._secrets: dict[str, Secret] = {}  # sensitive values in clear
        self._sensitive: dict[QObject, str] = {}  # editor → key
        for spec in specs:
            editor = self._editor(spec)
            editor.setObjectName(f"card_{spec.key}")
            if spec.sensitive:
                editor.installEventFilter(self)
                self._sensitive[editor] = spec.key
            self.editors[spec.key] = editor
            label = shown(spec.label) + (" *" if spec.required else "")
            self._form.addRow(label, editor)
        self.disposition = QComboBox(self)
        self.disposition.setObjectName("card_disposition")
        self.disposition.addItem("", "")
        for disposition in dispositions:  # shown translated, stored as configured
            self.disposition.addItem(shown(disposition), disposition)
        self.disposition.currentIndexChanged.connect(
            lambda _i: self._changed("disposition", self.chosen_disposition())
        )
        self._form.addRow(self.tr("Disposition *"), self.disposition)

    def _editor(self, spec: FieldSpec) -> Editor:
        key = spec.key
        if spec.kind == "choice":
            box = QComboBox(self)
            box.addItem("", "")
            for choice in spec.choices:
                box.addItem(shown(choice), choice)
            box.currentIndexChanged.connect(lambda _i: self._changed(key, str(box.currentData())))
            return box
        if spec.kind == "checkbox":
            check = QCheckBox(self)
            check.toggled.connect(lambda on: self._changed(key, "yes" if on else "no"))
            return check
        if spec.kind == "date":
            date = QDateEdit(self)
            date.setCalendarPopup(True)
            date.setSpecialValueText(" ")
            date.setMinimumDate(QDate(2000, 1, 1))
            date.setDate(date.minimumDate())
            empty = date.minimumDate()
            date.dateChanged.connect(
                lambda d: self._changed(key, "" if d == empty else d.toString("yyyy-MM-dd"))
            )
            return date
        line = QLineEdit(self)
        line.setMaxLength(4000)
        line.textEdited.connect(lambda t: self._changed(key, t))
        return line

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        key = self._sensitive.get(watched)
        if key is None:
            return False
        # The recorder masks from its next frame on: the value in clear is shown only a
        # moment after the pause is asked for, and the pause ends only a moment after the
        # value is masked again (and repainted).
        if event.type() == QEvent.Type.FocusIn:
            self.sensitive_focus.emit(True)
            if isinstance(watched, QLineEdit) and self._secrets.get(key):
                watched.setReadOnly(True)  # no typing into the masked text meanwhile
            QTimer.singleShot(MASK_SETTLE_MS, self, lambda: self._show_clear(key))
        elif event.type() == QEvent.Type.FocusOut:
            self._show_masked(key)
            QTimer.singleShot(MASK_SETTLE_MS, self, self._focus_left)
        return False

    def _show_clear(self, key: str) -> None:
        """A sensitive line shows its value while focused (to be edited)."""
        editor, secret = self.editors.get(key), self._secrets.get(key)
        if isinstance(editor, QLineEdit):
            editor.setReadOnly(False)
            if secret and editor.hasFocus():
                editor.setText(secret.reveal())

    def _show_masked(self, key: str) -> None:
        editor, secret = self.editors.get(key), self._secrets.get(key)
        if isinstance(editor, QLineEdit) and secret:
            editor.setText(masked(secret.reveal()))
            editor.repaint()

    def _focus_left(self) -> None:
        if not any(e.hasFocus() for e in self._sensitive if isinstance(e, QWidget)):
            self.sensitive_focus.emit(False)

    def _changed(self, key: str, value: str) -> None:
        at = utc_us()
        spec = self.specs.get(key)
        if spec is not None and spec.sensitive:
            self._secrets[key] = Secret(value)
            value = masked(value)
            editor = self.editors.get(key)
            if isinstance(editor, QLineEdit) and not editor.hasFocus():
                editor.setText(value)  # set from outside (the CRM): shown masked at once
        self.changes[key] = (value, at)
        if not self._filling:
            self.value_changed.emit(key, value, at)

    # --- the panel's side -----------------------------------------------------------------
    def set_value(self, key: str, value: str) -> None:
        """Put ``value`` in a field as if typed (time-stamped now)."""
        editor = self.editors.get(key)
        if isinstance(editor, QLineEdit):
            editor.setText(value)
            self._changed(key, value)
        elif isinstance(editor, QComboBox):
            if editor.findData(value) < 0:
                editor.addItem(shown(value), value)
            editor.setCurrentIndex(editor.findData(value))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(value.strip().lower() in ("yes", "true", "1", "y", "да"))
        elif isinstance(editor, QDateEdit):
            editor.setDate(QDate.fromString(value[:10], "yyyy-MM-dd"))

    def prefill(self, crm_values: dict[str, str]) -> list[str]:
        """Fields mapped to the CRM (``crm=``) take its values unless the operator already
        typed something; the keys filled."""
        filled: list[str] = []
        for spec in self.specs.values():
            value = crm_values.get(spec.crm) if spec.crm else None
            if value and spec.key not in self.changes:
                self.set_value(spec.key, value)
                filled.append(spec.key)
        return filled

    def card(self) -> dict[str, dict[str, object]]:
        """The store's ``card``: each field given a value, with the time it was last changed;
        a sensitive one as its ``sensitive=`` flag says (dropped: left out)."""
        out: dict[str, dict[str, object]] = {}
        for key, (value, at) in self.changes.items():
            spec = self.specs.get(key)
            if key == "disposition":
                continue
            if spec is not None and spec.sensitive:
                secret = self._secrets.get(key)
                kept = protect(secret.reveal() if secret else "", spec.protect, self.hash_key)
                if kept is None:
                    continue
                value = kept
            out[key] = {"value": value, "changed_us": at}
        return out

    def chosen_disposition(self) -> str:
        """The disposition as configured (its stored key), whatever language shows it."""
        return str(self.disposition.currentData() or "")

    def missing(self) -> list[str]:
        """Labels of the required fields still empty (the disposition included)."""
        out = [
            shown(s.label)
            for s in self.specs.values()
            if s.required and not self.changes.get(s.key, ("", 0))[0].strip()
        ]
        if not self.chosen_disposition():
            out.append(self.tr("Disposition"))
        return out

    def reset(self) -> None:
        self._filling = True
        try:
            for editor in self.editors.values():
                if isinstance(editor, QLineEdit):
                    editor.clear()
                elif isinstance(editor, QComboBox):
                    editor.setCurrentIndex(0)
                elif isinstance(editor, QCheckBox):
                    editor.setChecked(False)
                else:
                    editor.setDate(editor.minimumDate())
            self.disposition.setCurrentIndex(0)
        finally:
            self._filling = False
        self.changes.clear()
        self._secrets.clear()

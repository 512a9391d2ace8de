"""Two clicks after a call: the caller's technical literacy and temperament, 1 to 5."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QLabel, QToolButton, QWidget

DIMENSIONS = ("literacy", "temperament")


class CallerRating(QWidget):
    """Rows of 1–5 buttons; ``rated(dimension, value)`` on each click."""

    rated = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callerRating")
        self.groups: dict[str, QButtonGroup] = {}
        layout = QGridLayout(self)
        hints = {
            "literacy": (self.tr("Tech literacy"), self.tr("1 novice … 5 expert")),
            "temperament": (self.tr("Temperament"), self.tr("1 hostile … 5 easy-going")),
        }
        for row, key in enumerate(DIMENSIONS):
            title, hint = hints[key]
            label = QLabel(title, self)
            label.setToolTip(hint)
            layout.addWidget(label, row, 0)
            group = QButtonGroup(self)
            group.setExclusive(True)
            for value in range(1, 6):
                button = QToolButton(self)
                button.setObjectName(f"{key}_{value}")
                button.setText(str(value))
                button.setCheckable(True)
                button.setToolTip(hint)
                group.addButton(button, value)
                layout.addWidget(button, row, value)
            group.idClicked.connect(lambda value, key=key: self.rated.emit(key, value))
            self.groups[key] = group

    def value(self, dimension: str) -> int | None:
        chosen = self.groups[dimension].checkedId()
        return chosen if chosen > 0 else None

    def values(self) -> dict[str, int]:
        """The ratings given (a dimension left alone is not sent)."""
        out = {k: self.value(k) for k in DIMENSIONS}
        return {k: v for k, v in out.items() if v is not None}

    def reset(self) -> None:
        for group in self.groups.values():
            group.setExclusive(False)
            for button in group.buttons():
                button.setChecked(False)
            group.setExclusive(True)

"""My day: today's answered, missed and made calls; talk, hold, wrap-up and handle times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QWidget

from desktop.calls.history import CallHistory, HistoryResult, day_figures
from desktop.calls.my_calls import clock, day_start, to_us

FIGURES = ("answered", "missed", "made", "talk", "hold", "wrap", "aht")


class MyDayPanel(QWidget):
    """Figures of today's calls (this PC's log merged with the store's).

    Wrap-up time is not a call's property: ``wrapups`` gives today's wrap-up durations in
    seconds (the agent-state model), or :meth:`set_wrapups` hands them over.
    """

    def __init__(
        self,
        history: CallHistory,
        wrapups: Callable[[], list[float]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.history = history
        self._wrapups = wrapups
        self._wrapups_given: list[float] = []
        self._result = HistoryResult([])
        self._asked = 0  # loads requested; only the newest one's answer is shown
        self.figures = day_figures([])
        self.values = {name: QLabel("–", self) for name in FIGURES}
        for name, label in self.values.items():
            label.setObjectName(f"myDay_{name}")
        self.captions = {name: QLabel(self) for name in FIGURES}
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.reload = QPushButton(self)
        form = QFormLayout(self)
        for name in FIGURES:
            form.addRow(self.captions[name], self.values[name])
        form.addRow(self.note)
        form.addRow(self.reload)
        self._retranslate()
        self.reload.clicked.connect(self.refresh)
        history.changed.connect(self.refresh)
        self.refresh()

    def _retranslate(self) -> None:
        captions = {
            "answered": self.tr("Calls answered"),
            "missed": self.tr("Calls missed"),
            "made": self.tr("Calls made"),
            "talk": self.tr("Talk time"),
            "hold": self.tr("Hold time"),
            "wrap": self.tr("Wrap-up time"),
            "aht": self.tr("Average handle time"),
        }
        for name, text in captions.items():
            self.captions[name].setText(text)
        self.reload.setText(self.tr("Refresh"))
        self._show_note()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def recount(self) -> None:
        """Compute the figures again from the calls already loaded (e.g. a wrap-up ended)."""
        self._show(self._result)

    def set_wrapups(self, seconds: list[float]) -> None:
        """Today's wrap-up durations, when the agent-state model pushes them."""
        self._wrapups_given = list(seconds)
        self._show(self._result)

    def refresh(self) -> None:
        start = day_start()
        self._asked += 1
        asked = self._asked

        def loaded(result: HistoryResult) -> None:
            if asked == self._asked:  # an older load that ended late would show less
                self._show(result)

        self.history.load(to_us(start), to_us(start + timedelta(days=1)), loaded)

    def _show(self, result: HistoryResult) -> None:
        self._result = result
        wrapups = self._wrapups() if self._wrapups is not None else self._wrapups_given
        f = self.figures = day_figures(result.calls, wrapups)
        self.values["answered"].setText(str(f.answered))
        self.values["missed"].setText(str(f.missed))
        self.values["made"].setText(str(f.made))
        self.values["talk"].setText(clock(f.talk_s))
        self.values["hold"].setText(clock(f.hold_s))
        self.values["wrap"].setText(clock(f.wrap_s))
        aht = f.average_handle_s
        self.values["aht"].setText("–" if aht is None else clock(aht))
        self._show_note()

    def _show_note(self) -> None:
        problem = self._result.store_problem
        text = (
            self.tr("Calls of this PC only: the store could not be read (%1)").replace(
                "%1", problem
            )
            if problem
            else self.tr("Average handle time = (talk + hold + wrap-up) / calls answered or made")
        )
        self.note.setText(text)

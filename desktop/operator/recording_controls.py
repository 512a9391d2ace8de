"""The recording indicator's part of the window: it shows the recorder link's status and sends
the operator's pause, consent and mark (for the current call) to the link."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Slot

from desktop.recording.indicator import RecordingIndicator
from desktop.recording.link import RecorderLink


class RecorderControls(QObject):
    """Connects a :class:`RecordingIndicator` to the link given by :meth:`attach` (if any)."""

    def __init__(
        self,
        indicator: RecordingIndicator,
        current_call: Callable[[], str],
        say: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.indicator = indicator
        self.link: RecorderLink | None = None
        self._current_call = current_call
        self._say = say
        indicator.pause_toggled.connect(self._pause)
        indicator.consent_given.connect(self._consent)
        indicator.marked.connect(self._mark)

    def attach(self, link: RecorderLink | None, note: str = "") -> None:
        """Show ``link``'s recording state (``note``: why there is none)."""
        self.link = link
        self.indicator.set_available(link is not None)
        if link is None:
            self.indicator.show_status(note, {}, alive=False)
            return

        def refresh(what: object = None) -> None:
            text = what if isinstance(what, str) else link.status_text
            self.indicator.show_status(text, link.state, link.pid is not None)

        link.status_changed.connect(refresh)
        link.worker_event.connect(refresh)
        refresh()

    @Slot(bool)
    def _pause(self, on: bool) -> None:
        if self.link is not None:
            (self.link.pause if on else self.link.resume)()

    @Slot()
    def _consent(self) -> None:
        call_id = self._current_call()
        if self.link is not None and call_id:
            self.link.consent(call_id)
            self._say(
                QCoreApplication.translate(
                    "MainWindow", "The caller's consent to recording is noted"
                )
            )

    @Slot()
    def _mark(self) -> None:
        call_id = self._current_call()
        if self.link is not None and call_id:
            self.link.mark(call_id, "operator_mark")
            self._say(QCoreApplication.translate("MainWindow", "Moment marked in the recording"))

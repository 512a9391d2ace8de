"""One call under review: the player with the transcript beside it, the scorecard (QA
roles) and the MP4 export (with its progress and a Cancel that leaves no file behind)."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.qa.playback.export import ExportCancelled, ExportResult, export_mp4
from desktop.qa.playback.session import PlaybackSession
from desktop.qa.player import PlayerWidget
from desktop.qa.scorecard import ScorecardWidget
from desktop.qa.transcript_panel import TranscriptFocus, TranscriptPanel
from desktop.threads import run_in_thread
from store.client import StoreClient, StoreError
from store.client_transcript_types import Transcript


class CallReview(QWidget):
    """One call: the player with the transcript, the scorecard (QA roles) and the export.
    Opened from a phrase-search hit (`focus`), it starts at the hit, marked."""

    export_progress = Signal(float)  # from the export's thread

    def __init__(
        self,
        client: StoreClient,
        call_id: str,
        user: str,
        role: str | None,
        focus: TranscriptFocus | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.call_id = call_id
        self.user = user
        self.focus = focus
        self.player = PlayerWidget()
        self.transcript = TranscriptPanel()
        self.transcript.seek_requested.connect(self.player.seek)
        self.player.position_changed.connect(self.transcript.follow)
        self.export_button = QPushButton(self.tr("Export MP4…"))
        self.export_button.clicked.connect(self.ask_export)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton(self.tr("Cancel the export"))
        self.cancel_button.hide()
        self._cancel = threading.Event()
        self.cancel_button.clicked.connect(lambda: self._cancel.set())
        self.export_progress.connect(self._show_progress)
        self.status = QLabel(self.tr("Loading the call…"))
        side = QVBoxLayout()
        self.scorecard: ScorecardWidget | None = None
        if role != "agent":
            self.scorecard = ScorecardWidget(client, call_id, self.player.position_ms)
            self.scorecard.seek_requested.connect(self._seek_ms)
            side.addWidget(self.scorecard, 1)
        side.addWidget(self.export_button)
        side.addWidget(self.progress)
        side.addWidget(self.cancel_button)
        side.addWidget(self.status)
        panel = QWidget()
        panel.setLayout(side)
        split = QSplitter()
        split.addWidget(self.player)
        split.addWidget(self.transcript)
        split.addWidget(panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        run_in_thread(lambda: PlaybackSession.open(client, call_id), self._opened)

    def _opened(self, future: Future[PlaybackSession]) -> None:
        try:
            session = future.result()
        except (StoreError, ValueError, OSError) as exc:
            self.status.setText(self.tr("Cannot play this call: {0}").format(exc))
            return
        self.status.setText("")
        self.player.set_session(session)
        if self.focus is not None:
            self.player.seek(self.focus.at_us)
        run_in_thread(lambda: self.client.transcript(self.call_id), self._transcribed)

    def _transcribed(self, future: Future[Transcript]) -> None:
        session = self.player.session
        if session is None:  # closed meanwhile
            return
        try:
            transcript = future.result()
        except StoreError as exc:
            if exc.status == 404:
                self.transcript.show_problem(self.tr("No transcript yet"))
            else:
                self.transcript.show_problem(self.tr("Cannot read the transcript: {0}").format(exc))
            return
        self.transcript.show_transcript(transcript, session.timeline.start_us, self.focus)
        self.transcript.follow(session.position_ms())
        if self.scorecard is not None and transcript["job"]["status"] == "done":
            self.scorecard.suggest(transcript.get("checks") or [])

    def _seek_ms(self, ms: int) -> None:
        if self.player.session is not None:
            self.player.seek(self.player.session.timeline.utc_at(ms))

    def ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export the call"), f"call-{self.call_id}.mp4", "MP4 (*.mp4)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        self.export_button.setEnabled(False)
        self.status.setText(self.tr("Exporting…"))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        cancel = self._cancel = threading.Event()
        told = [-1]

        def progress(share: float) -> None:  # on the export's thread
            if cancel.is_set():
                raise ExportCancelled()
            permille = int(share * 1000)
            if permille != told[0]:
                told[0] = permille
                self.export_progress.emit(share)

        def job() -> ExportResult:
            return export_mp4(
                self.client, self.call_id, path, exported_by=self.user, progress=progress
            )

        run_in_thread(job, self._exported)

    def _show_progress(self, share: float) -> None:
        self.progress.setValue(max(self.progress.value(), int(share * 1000)))

    def _exported(self, future: Future[ExportResult]) -> None:
        self.export_button.setEnabled(True)
        self.progress.hide()
        self.cancel_button.hide()
        try:
            result = future.result()
        except ExportCancelled:
            self.status.setText(self.tr("Export cancelled: no file was written"))
            return
        except Exception as exc:  # shown to the user; nothing half-written is kept
            self.status.setText(self.tr("Export failed: {0}").format(exc))
            return
        self.status.setText(self.tr("Exported to {0}").format(str(result.path)))

    def closeEvent(self, event: Any) -> None:
        self._cancel.set()  # an export running for a closed review stops
        self.player.close_session()
        super().closeEvent(event)

"""The call's transcript beside the QA player: each side's phrases in time order with their
positions; a click seeks the player there; the phrase being played is the current row, kept in
view; masked words (card numbers, what was said while paused) show as masked, with why; a
phrase-search hit the call was opened at is marked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from desktop.qa.player import clock_text
from store.client_transcript_types import Transcript, TranscriptSegment

HIT_COLOUR = QColor("#fde68a")


@dataclass(frozen=True)
class TranscriptFocus:
    """Where a phrase-search hit opens a call: its UTC µs, the side and the phrase."""

    at_us: int
    side: str | None = None
    phrase: str = ""


@dataclass(frozen=True)
class ShownSegment:
    start_us: int
    end_us: int
    start_ms: int  # in the call's timeline
    end_ms: int
    side: str


class TranscriptPanel(QWidget):
    """Shows one transcript; ``seek_requested(utc_us)`` when a phrase is chosen."""

    seek_requested = Signal(object)  # UTC µs (beyond a C int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = QLabel(self.tr("Loading the transcript…"))
        self.state.setWordWrap(True)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.itemClicked.connect(self._chosen)
        self.list.itemActivated.connect(self._chosen)
        self.checks = QListWidget()
        self.checks.setMaximumHeight(110)
        self.checks.itemClicked.connect(self._chosen)
        self.checks.itemActivated.connect(self._chosen)
        self.checks_title = QLabel(self.tr("Automatic checks"))
        self.segments: list[ShownSegment] = []
        self.current_row = -1
        self.hit_row = -1
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("Transcript")))
        layout.addWidget(self.state)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.checks_title)
        layout.addWidget(self.checks)
        self.checks_title.hide()
        self.checks.hide()

    def side_name(self, side: str) -> str:
        return self.tr("Operator") if side == "operator" else self.tr("Customer")

    def masked_text(self, reason: str) -> str:
        names = {
            "card": self.tr("card number masked"),
            "digits": self.tr("number masked"),
            "paused": self.tr("masked: paused"),
        }
        return f"[{names.get(reason, reason)}]"

    def segment_text(self, seg: TranscriptSegment) -> str:
        """The words as said, each run of masked words as one box saying why."""
        if not seg["words"]:
            return seg["text"]
        out: list[str] = []
        last_masked = ""
        for word in seg["words"]:
            reason = word.get("masked") or ""
            if reason:
                if reason != last_masked:
                    out.append(" " + self.masked_text(reason))
                last_masked = reason
                continue
            last_masked = ""
            out.append(word["text"])
        return "".join(out).strip()

    def show_problem(self, text: str) -> None:
        self.list.clear()
        self.segments = []
        self.state.setText(text)
        self.state.show()

    def show_transcript(
        self, transcript: Transcript, origin_us: int, focus: TranscriptFocus | None = None
    ) -> None:
        """The segments, positions counted from `origin_us` (the timeline's start)."""
        status = transcript["job"]["status"]
        if status != "done":
            texts = {
                "queued": self.tr("The transcript is not ready yet"),
                "running": self.tr("Transcribing…"),
                "failed": self.tr("Transcription failed"),
            }
            self.show_problem(texts.get(status, status))
            return
        self.state.hide()
        self.list.clear()
        self.segments, self.current_row, self.hit_row = [], -1, -1
        for seg in transcript.get("segments") or []:
            start_ms = (seg["start_us"] - origin_us) // 1000
            shown = ShownSegment(seg["start_us"], seg["end_us"], start_ms,
                                 (seg["end_us"] - origin_us) // 1000, seg["side"])  # fmt: skip
            item = QListWidgetItem(
                f"{clock_text(max(0, start_ms))}  {self.side_name(seg['side'])}: "
                f"{self.segment_text(seg)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, seg["start_us"])
            if seg["side"] == "customer":
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight)
            if self.hit_row < 0 and focus is not None and _is_hit(shown, focus):
                self.hit_row = self.list.count()
                item.setBackground(QBrush(HIT_COLOUR))
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                item.setToolTip(self.tr("Found: {0}").format(focus.phrase))
            self.list.addItem(item)
            self.segments.append(shown)
        if not self.segments:
            self.show_problem(self.tr("Nothing was said"))
        if self.hit_row >= 0:
            self.list.scrollToItem(self.list.item(self.hit_row))
        self.show_checks(transcript.get("checks") or [], origin_us)

    def show_checks(self, results: list[dict[str, Any]], origin_us: int) -> None:
        """Each automatic check, passed or failed, with where its phrase was said (a click
        seeks to the first place)."""
        self.checks.clear()
        for check in results:
            mark = "✓" if check["passed"] else "✗"
            outcome = self.tr("passed") if check["passed"] else self.tr("failed")
            text = f"{mark} {check['name']}: {outcome}"
            evidence = check.get("evidence") or []
            if evidence:
                first = evidence[0]
                at = clock_text(max(0, (first["start_us"] - origin_us) // 1000))
                text += f"  {at} {self.side_name(first['side'])}"
            item = QListWidgetItem(text)
            if evidence:
                item.setData(Qt.ItemDataRole.UserRole, evidence[0]["start_us"])
                item.setToolTip(evidence[0]["text"])
            self.checks.addItem(item)
        self.checks_title.setVisible(bool(results))
        self.checks.setVisible(bool(results))

    def follow(self, position_ms: int) -> None:
        """Makes the phrase at `position_ms` (the latest begun and not over) the current row."""
        row = -1
        for i, seg in enumerate(self.segments):
            if seg.start_ms > position_ms:
                break
            if position_ms < seg.end_ms:
                row = i
        if row == self.current_row:
            return
        self.current_row = row
        self.list.blockSignals(True)
        try:
            if row < 0:
                self.list.clearSelection()
            else:
                self.list.setCurrentRow(row)
                self.list.scrollToItem(self.list.item(row))
        finally:
            self.list.blockSignals(False)

    def _chosen(self, item: QListWidgetItem) -> None:
        at = item.data(Qt.ItemDataRole.UserRole)
        if at is not None:
            self.seek_requested.emit(int(at))


def _is_hit(seg: ShownSegment, focus: TranscriptFocus) -> bool:
    if focus.side and seg.side != focus.side:
        return False
    return seg.start_us <= focus.at_us <= seg.end_us

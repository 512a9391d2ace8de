"""The screen recorder's gaps: from a worker's death until a new one captures again, the
screen is not recorded. Each gap is appended to ``OUT/recorder-gaps.jsonl`` when it ends, as
``{start_us, end_us, reason, restarts}``."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("desktop.recording.link")

GAPS_NAME = "recorder-gaps.jsonl"


class GapJournal:
    """The gap in progress (if any) and the file it is written to once it ends."""

    def __init__(self) -> None:
        self._gap: dict[str, Any] | None = None

    @property
    def is_open(self) -> bool:
        return self._gap is not None

    def worker_died(self, now_us: int, reason: str) -> None:
        """A worker died: a gap starts (the first death names it) or has one more restart."""
        if self._gap is None:
            self._gap = {"start_us": now_us, "reason": reason, "restarts": 0}
        self._gap["restarts"] += 1

    def end(self, out_dir: Path, end_us: int, note: str = "") -> dict[str, Any] | None:
        """End the gap at ``end_us`` (``note`` added to its reason) and append it to the file
        in ``out_dir``; its JSON line, or None if no gap was open."""
        gap, self._gap = self._gap, None
        if gap is None:
            return None
        line = {**gap, "end_us": end_us, "reason": gap["reason"] + note}
        try:
            with open(out_dir / GAPS_NAME, "a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
        except OSError as exc:
            log.error("recorder: cannot record the gap %s: %s", line, exc)
        log.warning(
            "recorder: screen not recorded for %.1f s: %s",
            (end_us - gap["start_us"]) / 1e6,
            line["reason"],
        )
        return line

"""A call's timeline: where its screen segments and audio lie in UTC, its events to jump to,
and bands (masked screen, pause, hold, silence) to draw. Built from the store's call document
and the segments' manifests; positions shown to users are milliseconds from the timeline start.

Masked bands carry the manifest's reasons (``manual``, ``sensitive_field``, ``masked_title``,
``titles_unreadable``). The operator's marks and pauses come with the call's ``events``
(``operator_mark``; ``pause``/``resume`` with the reason as detail): they are marks, and a
pause also gives a ``paused`` band (its audio is silent) where no masked band of the same
reason shows it already (the screen was not recorded then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from formats.manifest import Manifest

AUDIO_TYPES = ("audio/wav", "audio/ogg")
SCREEN_TYPES = ("video/mp4",)


@dataclass(frozen=True)
class Mark:
    """A moment to jump to: ring, answer, hold on/off, transfer, DTMF, card change, hang-up …"""

    at_us: int
    kind: str
    label: str = ""


@dataclass(frozen=True)
class Band:
    """A period drawn on the timeline: ``masked``, ``paused``, ``hold`` or ``silence``;
    ``reason``: why it is masked or paused (reasons joined by ", ")."""

    start_us: int
    end_us: int
    kind: str
    reason: str = ""


@dataclass(frozen=True)
class MediaPart:
    """One linked medium: a screen segment or the call's stereo audio."""

    sha256: str
    content_type: str
    size: int
    start_us: int
    end_us: int | None


@dataclass
class CallTimeline:
    call_id: str
    start_us: int
    end_us: int
    marks: list[Mark] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    screens: list[MediaPart] = field(default_factory=list)
    audio: MediaPart | None = None

    @property
    def duration_ms(self) -> int:
        return max(0, (self.end_us - self.start_us) // 1000)

    def position_ms(self, utc_us: int) -> int:
        """Milliseconds from the timeline start (what comments are anchored to)."""
        return max(0, min(self.duration_ms, (utc_us - self.start_us) // 1000))

    def utc_at(self, position_ms: int) -> int:
        return self.start_us + max(0, min(self.duration_ms, position_ms)) * 1000

    def screen_at(self, utc_us: int) -> MediaPart | None:
        """The segment showing the screen at ``utc_us`` (the later one on a shared boundary)."""
        found = None
        for part in self.screens:
            if part.start_us <= utc_us and (part.end_us is None or utc_us <= part.end_us):
                found = part
        return found


class TimelineError(ValueError):
    """The call cannot be played: it names what is missing."""


def _label(detail: Any) -> str:
    return str(detail) if detail else ""


def call_marks(call: dict[str, Any]) -> list[Mark]:
    """The call's events in time order, from its store document."""
    marks = [Mark(int(call["started_us"]), "ring")]
    if call.get("answered_us"):
        marks.append(Mark(int(call["answered_us"]), "answer"))
    for hold in call.get("holds") or []:
        marks.append(Mark(int(hold["start_us"]), "hold"))
        if hold.get("end_us"):
            marks.append(Mark(int(hold["end_us"]), "unhold"))
    for transfer in call.get("transfers") or []:
        marks.append(Mark(int(transfer["at_us"]), "transfer", _label(transfer.get("to"))))
    for event in call.get("events") or []:
        marks.append(Mark(int(event["at_us"]), str(event["kind"]), _label(event.get("detail"))))
    for name, value in (call.get("card") or {}).items():
        marks.append(Mark(int(value["changed_us"]), "card", f"{name}: {value['value']}"))
    if call.get("ended_us"):
        marks.append(Mark(int(call["ended_us"]), "hangup", _label(call.get("ended_by"))))
    return sorted(marks, key=lambda m: (m.at_us, m.kind))


def hold_bands(call: dict[str, Any]) -> list[Band]:
    end = call.get("ended_us")
    bands = []
    for hold in call.get("holds") or []:
        stop = hold.get("end_us") or end
        if stop:
            bands.append(Band(int(hold["start_us"]), int(stop), "hold"))
    return bands


def masked_bands(manifests: list[Manifest]) -> list[Band]:
    """The masked periods with their reasons; one still open (a cut segment) ends with it."""
    bands = []
    for m in manifests:
        for p in m.masked_periods:
            end = p.end_us if p.end_us is not None else m.utc_end_us
            bands.append(Band(p.start_us, end, "masked", ", ".join(p.reasons)))
    return bands


def pause_bands(call: dict[str, Any]) -> list[Band]:
    """``paused`` bands from the call's pause/resume events, one per reason (a pause not
    resumed lasts to the end of the call, or to the last event)."""
    events = sorted(call.get("events") or [], key=lambda e: int(e["at_us"]))
    end = call.get("ended_us") or max((int(e["at_us"]) for e in events), default=0)
    open_since: dict[str, int] = {}
    bands: list[Band] = []
    for event in events:
        reason = str(event.get("detail") or "manual")
        if event["kind"] == "pause":
            open_since.setdefault(reason, int(event["at_us"]))
        elif event["kind"] == "resume" and reason in open_since:
            bands.append(Band(open_since.pop(reason), int(event["at_us"]), "paused", reason))
    for reason, start in open_since.items():
        bands.append(Band(start, max(start, int(end)), "paused", reason))
    return bands


def _shown(band: Band, masked: list[Band]) -> bool:
    """True if a masked band of the same reason overlaps ``band``."""
    return any(
        m.start_us < band.end_us
        and band.start_us < m.end_us
        and band.reason in m.reason.split(", ")
        for m in masked
    )


def build_timeline(call: dict[str, Any], manifests: list[Manifest]) -> CallTimeline:
    """The timeline of ``call`` (a store call document with its ``media`` links).

    Screen segments are placed by their link's ``start_us``/``end_us`` (else their manifest's
    ``utc_start_us``/``utc_end_us``); the audio by its link's ``start_us``, the UTC of its first
    sample. The timeline spans the call and all its media: pre-roll and wrap-up included.
    """
    by_sha = {m.sha256: m for m in manifests}
    screens: list[MediaPart] = []
    audio: MediaPart | None = None
    for link in call.get("media") or []:
        if link.get("deleted"):
            continue
        manifest = by_sha.get(link["sha256"])
        start = link.get("start_us") or (manifest.utc_start_us if manifest else None)
        end = link.get("end_us") or (manifest.utc_end_us if manifest else None)
        if link["kind"] == "screen" and link["content_type"] in SCREEN_TYPES:
            if start is None:
                raise TimelineError(f"screen segment {link['sha256'][:12]} has no start time")
            part = MediaPart(link["sha256"], link["content_type"], link["size"], start, end)
            screens.append(part)
        elif link["kind"] == "audio" and link["content_type"] in AUDIO_TYPES:
            if start is None:
                raise TimelineError(
                    f"the call audio {link['sha256'][:12]} has no start time (link start_us)"
                )
            if audio is None or start < audio.start_us:
                audio = MediaPart(link["sha256"], link["content_type"], link["size"], start, end)
    screens.sort(key=lambda p: p.start_us)
    edges = [int(call["started_us"])]
    edges += [v for v in (call.get("ended_us"), call.get("answered_us")) if v]
    for part in [*screens, *([audio] if audio else [])]:
        edges.append(part.start_us)
        if part.end_us:
            edges.append(part.end_us)
    marks = call_marks(call)
    edges += [m.at_us for m in marks]
    masked = masked_bands(manifests)
    paused = [b for b in pause_bands(call) if not _shown(b, masked)]
    bands = sorted(hold_bands(call) + masked + paused, key=lambda b: b.start_us)
    return CallTimeline(
        call_id=str(call["id"]),
        start_us=min(edges),
        end_us=max(edges),
        marks=marks,
        bands=bands,
        screens=screens,
        audio=audio,
    )


def silence_bands(
    pcm: npt.NDArray[np.float32],
    rate: int,
    start_us: int,
    threshold: float = 0.003,
    min_s: float = 1.0,
) -> list[Band]:
    """Periods of at least ``min_s`` where both channels stay below ``threshold`` RMS."""
    window = max(1, rate // 10)
    count = len(pcm) // window
    if count == 0:
        return []
    blocks = pcm[: count * window].reshape(count, window, -1)
    rms = np.sqrt(np.mean(blocks.astype(np.float64) ** 2, axis=1)).max(axis=1)
    quiet = rms < threshold
    bands: list[Band] = []
    run_start: int | None = None
    for i, q in enumerate([*quiet.tolist(), False]):
        if q and run_start is None:
            run_start = i
        elif not q and run_start is not None:
            if (i - run_start) * window >= min_s * rate:
                a = start_us + run_start * window * 1_000_000 // rate
                b = start_us + i * window * 1_000_000 // rate
                bands.append(Band(a, b, "silence"))
            run_start = None
    return bands

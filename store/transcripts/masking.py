"""Masking before a transcript is stored: card numbers and what was said while paused.

A card number is a run of 13–19 digits that passes the Luhn check, written (``4111 1111-1111
1111``) or spoken digit by digit (``four one one one …``, ``четыре один один …``), possibly
across several of the recogniser's words, short words between the digits included (``453 I N
1488`` is "four five three nine …" misheard). The recogniser mishears digits (a 16-digit number
comes out with 17 or a wrong one, failing the check), so any run of 13 or more digits is
masked as well, whole (``[number]``): no such run in a call is worth keeping in clear.
Paused spans come from the call's ``pause``/``resume`` events (the reason as ``detail``; a
pause lasts until every reason it was taken for is resumed, or the call's end) and the masked
periods of its screen segments' manifests. Masked words keep their times (so the talk metrics
stay true) but not their text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

CARD_MASK = "[card number]"
DIGITS_MASK = "[number]"
PAUSE_MASK = "[paused]"
MIN_DIGITS, MAX_DIGITS = 13, 19

SPOKEN_DIGITS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "for": "4", "to": "2", "too": "2", "won": "1", "ate": "8",  # heard for digits in a run
    "ноль": "0", "нуль": "0", "один": "1", "одна": "1", "два": "2", "две": "2", "три": "3",
    "четыре": "4", "пять": "5", "шесть": "6", "семь": "7", "восемь": "8", "девять": "9",
}  # fmt: skip
_PUNCT = ".,;:!?…\"'«»()[]-–—"
BRIDGE_CHARS = 2  # a word this short between digits may be a digit misheard ("nine" → "I N")


@dataclass
class Word:
    start_us: int
    end_us: int
    text: str  # as the recogniser wrote it, with its leading space
    probability: float = 0.0
    masked: str = ""  # why it is masked: "card", "digits" (13 or more, no card) or "paused"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start_us": self.start_us, "end_us": self.end_us}
        out["text"] = self.text if not self.masked else ""
        out["probability"] = round(self.probability, 3)
        if self.masked:
            out["masked"] = self.masked
        return out


@dataclass
class Segment:
    side: str  # operator | customer
    start_us: int
    end_us: int
    text: str
    words: list[Word] = field(default_factory=list)
    language: str = ""


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits_of(text: str) -> str | None:
    """The digits a word stands for (written or one spoken digit), None if it is no number."""
    word = text.strip().strip(_PUNCT).lower()
    if not word:
        return None
    if word in SPOKEN_DIGITS:
        return SPOKEN_DIGITS[word]
    if re.fullmatch(r"[0-9][0-9 \-]*", word):
        return re.sub(r"\D", "", word)
    return None


def is_card(digits: str) -> bool:
    """13–19 digits passing the Luhn check."""
    return MIN_DIGITS <= len(digits) <= MAX_DIGITS and luhn_ok(digits)


def mask_card_words(words: list[Word]) -> int:
    """Marks the words that spell a card number; how many were masked."""
    masked = 0
    run: list[int] = []  # indexes of consecutive number words

    def close() -> None:
        nonlocal masked
        groups = [_digits_of(words[k].text) or "" for k in run]
        if len("".join(groups)) < MIN_DIGITS:
            return
        # A card number, or one misheard (a digit too many or wrong): the whole run goes.
        why = "card" if is_card("".join(groups)) else "digits"
        for k in run:
            if not words[k].masked:
                words[k].masked = why
                masked += 1

    pending: list[int] = []  # short words after the run's last digit word
    for k, word in enumerate(words):
        if _digits_of(word.text) is not None:
            run.extend(pending)
            pending = []
            run.append(k)
        elif run and len(word.text.strip().strip(_PUNCT)) <= BRIDGE_CHARS:
            pending.append(k)
        else:
            if run:
                close()
            run, pending = [], []
    if run:
        close()
    return masked


_LONG_DIGITS = re.compile(r"\d(?:[ \-]?\d){12,}")


def mask_card_text(text: str) -> str:
    """Runs of 13 or more digits in free text (no word timings) masked."""

    def repl(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return CARD_MASK if is_card(digits) else DIGITS_MASK

    return _LONG_DIGITS.sub(repl, text)


Span = tuple[int, int]


def paused_spans(events: Iterable[dict[str, Any]], call_end_us: int | None) -> list[Span]:
    """The call's paused time from its pause/resume events: paused while any reason is open;
    a pause never resumed runs to the call's end (or forever)."""
    open_reasons: dict[str, int] = {}
    spans: list[Span] = []
    start: int | None = None
    end_default = call_end_us if call_end_us is not None else 2**62
    for ev in sorted(events, key=lambda e: int(e.get("at_us", 0))):
        kind = str(ev.get("kind", ""))
        if kind not in ("pause", "resume"):
            continue
        at = int(ev["at_us"])
        reason = str(ev.get("detail") or "manual")
        if kind == "pause":
            if not open_reasons:
                start = at
            open_reasons[reason] = at
        else:
            open_reasons.pop(reason, None)
            if reason == "all":
                open_reasons.clear()
            if not open_reasons and start is not None:
                spans.append((start, at))
                start = None
    if start is not None:
        spans.append((start, end_default))
    return spans


def manifest_spans(manifests: Iterable[dict[str, Any]], segment_end_default: int) -> list[Span]:
    """Masked periods of screen segment manifests (JSON) as spans; open ones to the end."""
    spans: list[Span] = []
    for manifest in manifests:
        end_default = int(manifest.get("utc_end_us") or segment_end_default)
        for period in manifest.get("masked_periods") or []:
            start = int(period["start_us"])
            end = period.get("end_us")
            spans.append((start, int(end) if end is not None else end_default))
    return spans


def mask_paused_words(words: list[Word], spans: Sequence[Span]) -> int:
    """Marks every word that overlaps a span; how many."""
    masked = 0
    for word in words:
        if any(word.start_us < b and word.end_us > a for a, b in spans):
            if word.masked != "paused":
                masked += 1
            word.masked = "paused"
    return masked


def segment_text(words: Sequence[Word]) -> str:
    """The words joined, each masked run replaced by one mask."""
    out: list[str] = []
    last = ""
    for word in words:
        if word.masked:
            mark = {"card": CARD_MASK, "digits": DIGITS_MASK}.get(word.masked, PAUSE_MASK)
            if last != mark:
                out.append(" " + mark)
            last = mark
        else:
            out.append(word.text if word.text.startswith(" ") else " " + word.text)
            last = ""
    return "".join(out).strip()


def mask_segment(segment: Segment, spans: Sequence[Span]) -> int:
    """Masks a segment in place (its words, then its text); how many words were masked. A
    segment without words inside a span is masked whole; written numbers in text too."""
    count = 0
    if segment.words:
        count += mask_paused_words(segment.words, spans)
        count += mask_card_words(segment.words)
        segment.text = segment_text(segment.words)
    elif any(segment.start_us < b and segment.end_us > a for a, b in spans):
        segment.text = PAUSE_MASK
        count += 1
    masked_text = mask_card_text(segment.text)
    if masked_text != segment.text:
        segment.text = masked_text
        count += 1
    return count

"""Per-call talk metrics from the two channels' word timings.

Speech of a side is the union of its words' intervals, gaps shorter than ``JOIN_GAP_US``
closed (the pauses between words of one sentence are still talk). Over the audio's length:
each side's talk share, the silence share (neither speaks) and the longest silence, overtalk
(both speak at once; each overlap of at least ``MIN_OVERTALK_US`` counted) and the operator's
speech rate in words per minute of their own talk time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

JOIN_GAP_US = 500_000
MIN_OVERTALK_US = 200_000

Span = tuple[int, int]


def merge(spans: Iterable[Span], gap_us: int = 0) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + gap_us:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def total(spans: Sequence[Span]) -> int:
    return sum(b - a for a, b in spans)


def intersect(x: Sequence[Span], y: Sequence[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole > 0 else 0.0


def talk_metrics(
    operator: Sequence[Span], customer: Sequence[Span], start_us: int, end_us: int,
    operator_words: int,
) -> dict[str, Any]:  # fmt: skip
    """The metrics for speech spans (UTC µs) within the audio [start_us, end_us)."""
    clip = [(start_us, end_us)]
    op = intersect(merge(operator, JOIN_GAP_US), clip)
    cu = intersect(merge(customer, JOIN_GAP_US), clip)
    length = max(0, end_us - start_us)
    anyone = merge([*op, *cu])
    silences: list[Span] = []
    cursor = start_us
    for a, b in anyone:
        if a > cursor:
            silences.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < end_us:
        silences.append((cursor, end_us))
    overtalk = [s for s in intersect(op, cu) if s[1] - s[0] >= MIN_OVERTALK_US]
    op_talk = total(op)
    return {
        "duration_s": round(length / 1e6, 3),
        "operator_talk_s": round(op_talk / 1e6, 3),
        "customer_talk_s": round(total(cu) / 1e6, 3),
        "operator_talk_share": _ratio(op_talk, length),
        "customer_talk_share": _ratio(total(cu), length),
        "silence_s": round(total(silences) / 1e6, 3),
        "silence_share": _ratio(total(silences), length),
        "longest_silence_s": round(max((b - a for a, b in silences), default=0) / 1e6, 3),
        "overtalk_count": len(overtalk),
        "overtalk_s": round(total(overtalk) / 1e6, 3),
        "operator_words": operator_words,
        "operator_wpm": round(operator_words / (op_talk / 60e6), 1) if op_talk else None,
    }

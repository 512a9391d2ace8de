"""Every report metric, defined once: its formula in words (METRICS, which `GET /reports/metrics`
serves and store/README.md "Metrics" writes out) and in SQL (`metric_sql`) over one group's
sums — the call sums of store/report_sql.CALL_SUMS, the state time of STATE_SUMS, the
group's QA evaluations (`evaluations`, and `score_centi`: Σ score_pct in hundredths, which
is how the store rounds a score, so the sum is exact) and the talk measured in its calls'
transcripts (TRANSCRIPT_SUMS).

The database computes every figure: durations are µs in BIGINTs rounded to the millisecond
half up, ratios and averages are integer arithmetic rounded half up to three decimals, and
only the last division (by 1000) is a float's, so SQLite and PostgreSQL answer alike.
"""

from __future__ import annotations

from collections.abc import Callable

# name: formula (the documentation of each metric; `metric_sql` is the same in SQL)
METRICS: dict[str, str] = {
    "offered": "customer calls: inbound calls, the legs that rang several agents (one PBX "
    "call id, else one SIP Call-ID) counted once, at their answered leg (else their last)",
    "answered": "customer calls a leg answered",
    "missed": "legs that rang the agent while ready, unanswered, not completed elsewhere",
    "abandoned": "customer calls no leg answered nor completed elsewhere, whose last leg the "
    "caller hung up (ended_by = remote)",
    "presented": "legs that rang the agent (inbound calls not refused)",
    "refused": "legs the desktop refused in break, not ready or wrap-up",
    "completed_elsewhere": "legs cancelled because another leg of the customer call answered",
    "outbound": "outbound calls",
    "handled": "calls with answered_us, any direction",
    "talk_s": "Σ over handled calls of (ended_us − answered_us − hold)",
    "hold_s": "Σ hold time of handled calls (each hold until its end or the call's end)",
    "wrap_s": "Σ wrap_up state intervals whose call_id is a call of the group",
    "handle_s": "talk_s + hold_s + wrap_s",
    "avg_talk_s": "talk_s / handled",
    "avg_hold_s": "hold_s / handled",
    "avg_wrap_s": "wrap_s / handled",
    "avg_handle_s": "handle_s / handled",
    "answered_pct": "100 × answered / offered",
    "missed_pct": "100 × missed / presented",
    "avg_wait_s": "mean customer wait (the first leg's queue_wait_s + the answer − the first "
    "leg's start) over answered customer calls whose PBX supplied queue_wait_s",
    "service_level_pct": "100 × answered customer calls whose wait (queue_wait_s 0 if not "
    "supplied) ≤ sl_s / offered",
    "long_calls": "handled calls with ended_us − answered_us > long_call_s",
    "screen_pct": "100 × handled calls with a screen recording / handled",
    "evaluations": "QA evaluations of the group's calls",
    "qa_avg_pct": "mean score_pct of those evaluations",
    "logged_in_s": "time in any state but offline (agent, day and hour groups only)",
    "ready_s": "time in ready",
    "not_ready_s": "time in not_ready (every reason; the states report splits them)",
    "break_s": "time in break",
    "busy_s": "time in on_call or wrap_up",
    "outbound_s": "time in outbound: waiting for or working outbound tasks between calls (its "
    "calls count as on_call)",
    "occupancy_pct": "100 × busy_s / logged_in_s",
    "transcribed": "calls of the group with a transcript (the talk metrics below are over "
    "these calls' audio, each weighted by its length: sums divided by sums, never a mean of "
    "per-call percentages)",
    "audio_s": "Σ audio time of the transcribed calls (what the talk shares are of)",
    "operator_talk_pct": "100 × Σ operator talk / Σ audio time of the transcribed calls (talk: "
    "the union of the side's word intervals, pauses under 0.5 s closed)",
    "customer_talk_pct": "100 × Σ customer talk / Σ audio time of the transcribed calls",
    "silence_pct": "100 × Σ time neither side speaks / Σ audio time of the transcribed calls",
    "avg_longest_silence_s": "Σ each transcribed call's longest silence / transcribed",
    "overtalks": "Σ times both sides spoke at once for at least 0.2 s",
    "overtalk_s": "Σ time of those overtalks",
    "operator_wpm": "Σ operator words / Σ operator talk in minutes (words per minute of the "
    "operator's own talk time)",
}


def seconds(us: str) -> str:
    """µs → seconds to the millisecond, half up."""
    return f"CAST(({us} + 500) / 1000 AS DOUBLE PRECISION) / 1000"


def average_s(us: str, n: str) -> str:
    """us / n in seconds to the millisecond, half up; NULL for no n."""
    return (
        f"(CASE WHEN {n} > 0 THEN "
        f"CAST((2 * {us} + {n} * 1000) / ({n} * 2000) AS DOUBLE PRECISION) / 1000 END)"
    )


def percent(part: str, whole: str) -> str:
    """100 × part / whole to three decimals, half up; NULL for no whole."""
    return (
        f"(CASE WHEN {whole} > 0 THEN "
        f"CAST((200000 * {part} + {whole}) / (2 * {whole}) AS DOUBLE PRECISION) / 1000 END)"
    )


def mean_of_centi(total: str, n: str) -> str:
    """The mean of n values given as their sum in hundredths, to three decimals, half up;
    NULL for no n."""
    return (
        f"(CASE WHEN {n} > 0 THEN "
        f"CAST((20 * {total} + {n}) / (2 * {n}) AS DOUBLE PRECISION) / 1000 END)"
    )


def per_minute(n: str, us: str) -> str:
    """n per minute of `us` µs to three decimals, half up; NULL for no time."""
    return (
        f"(CASE WHEN {us} > 0 THEN "
        f"CAST((120000000000 * {n} + {us}) / (2 * {us}) AS DOUBLE PRECISION) / 1000 END)"
    )


def metric_sql(at: Callable[[str], str]) -> list[str]:
    """`expr AS name` for each metric of METRICS, in order. `at(sum)` names a column holding
    one group's sum: each of CALL_SUMS, STATE_SUMS and TRANSCRIPT_SUMS, `evaluations` and
    `score_centi`. A
    group without state time (logged_in_us = 0) has no state metrics (NULL)."""
    talk, hold, wrap = at("talk_us"), at("hold_us"), at("wrap_us")
    handled, offered, logged = at("handled"), at("offered"), at("logged_in_us")
    handle = f"({talk} + {hold} + {wrap})"
    missed, presented = at("missed"), at("presented")
    audio = at("audio_us")

    def state(expr: str) -> str:
        return f"(CASE WHEN {logged} > 0 THEN {expr} END)"

    exprs = {
        "offered": offered,
        "answered": at("answered"),
        "missed": missed,
        "abandoned": at("abandoned"),
        "presented": presented,
        "refused": at("refused"),
        "completed_elsewhere": at("elsewhere"),
        "outbound": at("outbound"),
        "handled": handled,
        "talk_s": seconds(talk),
        "hold_s": seconds(hold),
        "wrap_s": seconds(wrap),
        "handle_s": seconds(handle),
        "avg_talk_s": average_s(talk, handled),
        "avg_hold_s": average_s(hold, handled),
        "avg_wrap_s": average_s(wrap, handled),
        "avg_handle_s": average_s(handle, handled),
        "answered_pct": percent(at("answered"), offered),
        "missed_pct": percent(missed, presented),
        "avg_wait_s": average_s(at("wait_us"), at("waited")),
        "service_level_pct": percent(at("in_sl"), offered),
        "long_calls": at("long_calls"),
        "screen_pct": percent(at("screened"), handled),
        "evaluations": at("evaluations"),
        "qa_avg_pct": mean_of_centi(at("score_centi"), at("evaluations")),
        "logged_in_s": state(seconds(logged)),
        "ready_s": state(seconds(at("ready_us"))),
        "not_ready_s": state(seconds(at("not_ready_us"))),
        "break_s": state(seconds(at("break_us"))),
        "busy_s": state(seconds(at("busy_us"))),
        "outbound_s": state(seconds(at("outbound_us"))),
        "occupancy_pct": percent(at("busy_us"), logged),
        "transcribed": at("transcribed"),
        "audio_s": seconds(audio),
        "operator_talk_pct": percent(at("operator_talk_us"), audio),
        "customer_talk_pct": percent(at("customer_talk_us"), audio),
        "silence_pct": percent(at("silence_us"), audio),
        "avg_longest_silence_s": average_s(at("longest_silence_us"), at("transcribed")),
        "overtalks": at("overtalks"),
        "overtalk_s": seconds(at("overtalk_us")),
        "operator_wpm": per_minute(at("operator_words"), at("operator_talk_us")),
    }
    assert list(exprs) == list(METRICS)
    return [f"{expr} AS {name}" for name, expr in exprs.items()]

"""Recording windows, the policy and the spool index: pure logic, no screen."""

from __future__ import annotations

import uuid

import pytest

from formats import pipe, pipe_codec
from recorder.segments.windows import (
    AWAITING_CONSENT,
    NOT_RECORDED,
    RECORDING,
    QueueRule,
    RecordingPolicy,
    RecordingWindows,
    SpoolIndex,
    SpoolSegment,
    sampled_in,
)

S = 1_000_000  # µs per second
T0 = 1_700_000_000 * S


def test_sampling_is_deterministic_per_call_and_close_to_the_share() -> None:
    ids = [uuid.uuid4().hex for _ in range(4000)]
    picked = [i for i in ids if sampled_in(i, 25)]
    assert 0.22 < len(picked) / len(ids) < 0.28
    assert picked == [i for i in ids if sampled_in(i, 25)]  # same answer again
    assert not any(sampled_in(i, 0) for i in ids)
    assert all(sampled_in(i, 100) for i in ids)
    # A larger share keeps every call of a smaller one (the buckets are nested).
    assert set(picked) <= {i for i in ids if sampled_in(i, 50)}


def test_policy_decides_per_call_agent_and_queue() -> None:
    policy = RecordingPolicy(off_agents=frozenset({"1002"}), off_queues=frozenset({"hr"}))
    assert policy.decide("c1", "1001", "sales").state == RECORDING
    off = policy.decide("c1", "1002", "sales")
    assert off.state == NOT_RECORDED and "agent 1002" in off.reason
    assert "queue hr" in policy.decide("c1", "1001", "hr").reason
    consent = RecordingPolicy(mode="consent").decide("c1")
    assert consent.state == AWAITING_CONSENT
    none = RecordingPolicy(mode="sampled", sample_percent=0).decide("c1")
    assert none.state == NOT_RECORDED and "0 % sample" in none.reason


def test_policy_from_json_names_the_bad_key() -> None:
    policy = RecordingPolicy.from_json(
        {"mode": "sampled", "sample_percent": 10, "off_queues": ["q"]}
    )
    assert policy == RecordingPolicy("sampled", 10.0, frozenset(), frozenset({"q"}))
    assert RecordingPolicy.from_json(policy.to_json()) == policy
    for bad, key in (
        ({"mode": "some"}, "policy.mode"),
        ({"sample_percent": 120}, "policy.sample_percent"),
        ({"sample_percent": "10"}, "policy.sample_percent"),
        ({"off_agents": "1001"}, "policy.off_agents"),
        ({"colour": "red"}, "colour"),
    ):
        with pytest.raises(ValueError, match=key):
            RecordingPolicy.from_json(bad)


def test_a_window_records_from_its_pre_roll_until_its_wrap_up_ends() -> None:
    windows = RecordingWindows(preroll_s=5)
    window = windows.open("A", T0)
    assert window.recording and window.recording_from_us == T0 - 5 * S
    assert windows.active_ids() == ["A"]
    assert windows.open("A", T0 + S) is window  # opened again (e.g. replayed): unchanged
    # The call ended at T0+60 s; wrap-up of 30 s: the close is scheduled.
    assert windows.close("A", T0 + 90 * S, now_us=T0 + 60 * S) is window
    assert window.is_open and windows.next_close_us() == T0 + 90 * S
    assert windows.due(T0 + 89 * S) == []
    assert windows.due(T0 + 90 * S + 1) == [window]
    assert not window.is_open and window.closed_us == T0 + 90 * S
    assert windows.active_ids() == [] and windows.open_windows() == []
    assert windows.close("A", T0 + 91 * S, T0 + 91 * S) is None  # already closed


def test_an_explicit_wrap_up_end_closes_before_the_scheduled_time() -> None:
    windows = RecordingWindows()
    windows.open("A", T0)
    windows.close("A", T0 + 90 * S, now_us=T0 + 60 * S)
    window = windows.close("A", T0 + 70 * S, now_us=T0 + 70 * S)
    assert window is not None and window.closed_us == T0 + 70 * S
    assert windows.due(T0 + 100 * S) == []


def test_consent_windows_start_at_consent_without_pre_roll() -> None:
    windows = RecordingWindows(RecordingPolicy(mode="consent"), preroll_s=5)
    window = windows.open("B", T0)
    assert window.state == AWAITING_CONSENT and windows.active_ids() == []
    windows.consent("B", T0 + 20 * S)
    assert window.recording and window.recording_from_us == T0 + 20 * S
    assert window.preroll_us == 0
    with pytest.raises(KeyError):
        windows.consent("nobody", T0)


def test_overlapping_windows_are_all_active_and_policy_changes_apply_to_new_ones() -> None:
    windows = RecordingWindows(preroll_s=5)
    windows.open("A", T0)
    windows.policy = RecordingPolicy(mode="sampled", sample_percent=0)
    skipped = windows.open("B", T0 + S)
    assert skipped.state == NOT_RECORDED and windows.active_ids() == ["A"]
    windows.policy = RecordingPolicy()
    windows.open("C", T0 + 2 * S)
    assert windows.active_ids() == ["A", "C"]
    windows.close("A", T0 + 3 * S, T0 + 3 * S)
    assert windows.active_ids() == ["C"]
    assert [w.call_id for w in windows.open_windows()] == ["B", "C"]


def test_claims_of_segments_recorded_without_the_call_ids() -> None:
    windows = RecordingWindows(preroll_s=5)
    windows.open("A", T0 + 10 * S)  # pre-roll from T0+5 s
    assert windows.claims(T0, T0 + 5 * S) == []  # ends where the pre-roll begins
    assert windows.claims(T0, T0 + 6 * S) == ["A"]
    assert windows.claims(T0 + 12 * S, T0 + 14 * S) == ["A"]  # a race with the opening
    windows.close("A", T0 + 20 * S, T0 + 20 * S)
    assert windows.claims(T0 + 19 * S, T0 + 21 * S) == ["A"]
    assert windows.claims(T0 + 20 * S, T0 + 25 * S) == []  # cut at the close: not A's
    windows.policy = RecordingPolicy(mode="consent")
    windows.open("B", T0 + 30 * S)
    windows.consent("B", T0 + 40 * S)
    assert windows.claims(T0 + 35 * S, T0 + 40 * S + 200_000) == []  # cut at consent
    assert windows.claims(T0 + 40 * S + 200_000, T0 + 45 * S) == ["B"]
    windows.prune(T0 + 200 * S)
    assert windows.get("A") is None and windows.get("B") is not None


def test_spool_keeps_claimed_segments_and_deletes_the_rest_once_settled() -> None:
    spool = SpoolIndex(preroll_s=5, late_s=2)
    for n in range(6):  # 5 s standby segments from T0 to T0+30 s
        spool.add(SpoolSegment(f"s{n}", T0 + 5 * n * S, T0 + 5 * (n + 1) * S))
    # A window opens at T0+32 s: its pre-roll from T0+27 s claims the last segment only.
    changed = spool.claim("A", T0 + 27 * S)
    assert [s.name for s in changed] == ["s5"] and changed[0].call_ids == ["A"]
    assert spool.claim("A", T0 + 27 * S) == []  # nothing new
    keep, drop = spool.settle(T0 + 32 * S)  # held: ended < 7 s ago
    assert keep == [] and [s.name for s in drop] == ["s0", "s1", "s2", "s3"]
    keep, drop = spool.settle(T0 + 38 * S)
    assert [s.name for s in keep] == ["s5"] and [s.name for s in drop] == ["s4"]
    assert len(spool) == 0


def test_spool_holds_leftovers_and_drains_everything_at_stop() -> None:
    spool = SpoolIndex(preroll_s=5, late_s=2)
    spool.add(SpoolSegment("old", T0, T0 + S, hold_until_us=T0 + 100 * S))
    spool.add(SpoolSegment("kept", T0, T0 + S, ["A"]))
    keep, drop = spool.settle(T0 + 50 * S)
    assert [s.name for s in keep] == ["kept"] and drop == []
    keep, drop = spool.drain()
    assert keep == [] and [s.name for s in drop] == ["old"]


def test_a_queue_rule_beats_the_default_and_off_records_nothing() -> None:
    policy = RecordingPolicy.from_json(
        {"mode": "off", "queues": {"sales": {"mode": "all"}, "vip": {"mode": "consent"}}}
    )
    assert policy.decide("c1", queue="sales").state == RECORDING
    assert policy.decide("c1", queue="vip").state == AWAITING_CONSENT
    other = policy.decide("c1", queue="support")
    assert other.state == NOT_RECORDED and "policy is off" in other.reason
    assert RecordingPolicy.from_json(policy.to_json()) == policy
    none = RecordingPolicy(queues=(QueueRule("q", "sampled", 0.0),)).decide("c1", queue="q")
    assert none.state == NOT_RECORDED and "for queue q" in none.reason
    with pytest.raises(ValueError, match=r"policy\.queues\.q\.mode"):
        RecordingPolicy.from_json({"queues": {"q": {"mode": "never"}}})


def test_set_policy_carries_queue_rules_and_title_masks_on_the_pipe() -> None:
    message = pipe.SetPolicy(
        mode="off", queues={"sales": {"mode": "all", "sample_percent": 100.0}}, mask_titles=("A",)
    )
    assert pipe_codec.decode(pipe_codec.encode(message), pipe.Command) == message
    unchanged = pipe_codec.decode('{"cmd": "set_policy", "mode": "all"}', pipe.Command)
    assert isinstance(unchanged, pipe.SetPolicy) and unchanged.mask_titles is None

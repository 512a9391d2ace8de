"""Caller ratings through a real store (SQLite and PostgreSQL): operators rate a caller's
technical literacy and temperament per call, the store weighs them by agreement, the caller
summary shows them and the routing hint turns them into a route."""

from __future__ import annotations

from typing import Any

import pytest

from store.client import InvalidRequest
from store.client_types import CallInput
from tests.integration.store_kit import Store, new_id, now_us

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True),
]


def _number() -> str:
    return "+7495" + new_id()[:7].translate(str.maketrans("abcdef", "123456"))


def _call(agent: str, number: str, t: int, **extra: Any) -> CallInput:
    call: dict[str, Any] = {"agent": agent, "direction": "inbound", "started_us": t,
                            "remote_number": number}  # fmt: skip
    call.update(extra)
    return call  # type: ignore[return-value]


def test_ratings_are_weighted_by_agreement_and_route_the_caller(store: Store) -> None:
    number, t0 = _number(), now_us()
    store.sam.put_call(new_id(), _call("alice", number, t0, literacy=5, temperament=4))
    store.sam.put_call(new_id(), _call("bob", number, t0 + 1, literacy=5, temperament=3))
    store.sam.put_call(new_id(), _call("carol", number, t0 + 2, literacy=1))
    later = new_id()
    store.alice.put_call(later, _call("alice", number, t0 + 3))
    store.alice.patch_call(later, literacy=4)  # rated in wrap-up, after the call was saved

    summary = store.quinn.caller_summary(f"{number[:2]} ({number[2:5]}) {number[5:]}")
    # Operators' means: alice 4.5 (2 ratings), bob 5, carol 1. Alice and bob agree (within 1
    # point): weights 2, 2, 1 -> (9 + 10 + 1) / 5 = 4.0; the plain mean would be 3.5.
    assert summary["literacy"] == {"score": 4.0, "ratings": 4, "raters": 3,
                                   "agreement": pytest.approx(0.667, abs=1e-3)}  # fmt: skip
    assert summary["temperament"] == {"score": 3.5, "ratings": 2, "raters": 2, "agreement": 1.0}
    assert [c.get("literacy") for c in summary["last_calls"]] == [4, 1, 5, 5]
    own = store.alice.caller_summary(number)
    assert own["literacy"] == summary["literacy"]  # everyone's ratings, own calls only
    assert {c["agent"] for c in own["last_calls"]} == {"alice"}

    hint = store.sam.routing_hint(number)
    assert (hint["hint"], hint["route"]) == ("normal", "skip_ivr")
    assert (hint["literacy"], hint["temperament"]) == (4.0, 3.5)


def test_a_difficult_caller_goes_to_the_senior_group(store: Store) -> None:
    number, t0 = _number(), now_us()
    store.sam.put_call(new_id(), _call("alice", number, t0, literacy=5, temperament=1))
    store.sam.put_call(new_id(), _call("bob", number, t0 + 1, temperament=2))
    hint = store.sam.routing_hint(number)
    assert (hint["hint"], hint["route"], hint["temperament"]) == ("difficult", "senior", 1.5)
    fresh = store.sam.routing_hint(_number())
    assert (fresh["hint"], fresh["route"], fresh["literacy"]) == ("unknown", "default", None)
    unrated = store.quinn.caller_summary(_number())
    assert unrated["literacy"] is None and unrated["temperament"] is None


@pytest.mark.parametrize(("field", "value"), [("literacy", 6), ("temperament", 0)])
def test_ratings_outside_one_to_five_are_refused(store: Store, field: str, value: int) -> None:
    call_id = new_id()
    store.alice.put_call(call_id, _call("alice", _number(), now_us()))
    with pytest.raises(InvalidRequest, match=field):
        store.alice.patch_call(call_id, **{field: value})
    assert store.alice.get_call(call_id).get(field) is None

"""Agent states and the live view; QA scorecard forms and evaluations, through a real store."""

from __future__ import annotations

import pytest

from store.client import ConflictError, InvalidRequest, NotFoundError, PermissionDenied
from tests.integration.store_kit import Store, new_id, now_us

pytestmark = pytest.mark.integration


def test_agent_states_and_live_view(store: Store) -> None:
    t0 = now_us() - 60_000_000
    store.alice.set_state("alice", "ready", at_us=t0)
    store.alice.set_state("alice", "not_ready", reason="coaching", at_us=t0 + 1_000_000)
    current = store.alice.set_state("alice", "break", at_us=t0 + 2_000_000)
    assert (current["state"], current["since_us"]) == ("break", t0 + 2_000_000)
    # A late event goes into the history but does not move the live view back.
    late = store.alice.set_state("alice", "wrap_up", at_us=t0 + 500_000)
    assert late["state"] == "break"
    store.bob.set_state("bob", "offline")
    live = {s["agent"]: s for s in store.sam.live_states()}
    assert live["alice"]["state"] == "break" and live["bob"]["state"] == "offline"
    history = store.alice.state_history("alice", from_us=t0)
    assert [(h["state"], h["reason"]) for h in history] == [
        ("ready", None), ("wrap_up", None), ("not_ready", "coaching"), ("break", None)
    ]  # fmt: skip
    with pytest.raises(PermissionDenied):
        store.alice.set_state("bob", "ready")
    with pytest.raises(PermissionDenied):
        store.alice.live_states()
    with pytest.raises(PermissionDenied):
        store.alice.state_history("bob")
    with pytest.raises(PermissionDenied):
        store.quinn.set_state("alice", "ready")
    assert store.sam.set_state("alice", "offline")["state"] == "offline"  # a supervisor may
    with pytest.raises(NotFoundError, match="no user"):
        store.sam.set_state("nobody", "ready")
    with pytest.raises(InvalidRequest):
        store.alice.set_state("alice", "asleep")  # type: ignore[arg-type]


def test_forms_evaluations_and_audit(store: Store) -> None:
    name = f"Inbound sales {new_id()[:6]}"
    criteria = [
        {"key": "greeting", "label": "Greeting", "max_score": 5, "weight": 1.0},
        {"key": "solution", "label": "Solved the issue", "max_score": 10, "weight": 3.0},
    ]
    with pytest.raises(PermissionDenied, match="admins"):
        store.quinn.create_form(name, criteria)  # type: ignore[arg-type]
    form = store.ada.create_form(name, criteria)  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        store.ada.create_form(name, criteria)  # type: ignore[arg-type]
    assert form["id"] in [f["id"] for f in store.alice.forms()]

    call_id = new_id()
    store.alice.put_call(
        call_id, {"agent": "alice", "direction": "inbound", "started_us": now_us()}
    )
    with pytest.raises(PermissionDenied):
        store.alice.evaluate(call_id, form["id"], {"greeting": 5, "solution": 10})
    with pytest.raises(InvalidRequest, match="not scored: solution"):
        store.quinn.evaluate(call_id, form["id"], {"greeting": 5})
    with pytest.raises(InvalidRequest, match="above its maximum"):
        store.quinn.evaluate(call_id, form["id"], {"greeting": 6, "solution": 1})
    with pytest.raises(InvalidRequest, match="not in the form"):
        store.quinn.evaluate(call_id, form["id"], {"greeting": 1, "solution": 1, "smile": 1})
    with pytest.raises(InvalidRequest, match="no scorecard form"):
        store.quinn.evaluate(call_id, 10**9, {"greeting": 1})
    with pytest.raises(NotFoundError):
        store.quinn.evaluate("no-such-call", form["id"], {"greeting": 1, "solution": 1})

    comments = [{"position_ms": 12_500, "text": "Good greeting"},
                {"position_ms": 61_000, "text": "Missed the upsell"}]  # fmt: skip
    done = store.quinn.evaluate(
        call_id,
        form["id"],
        {"greeting": 5, "solution": 6},
        comments,
        "Solid call",  # type: ignore[arg-type]
    )
    # (1*5/5 + 3*6/10) / 4 = 0.7
    assert done["score_pct"] == 70.0 and done["evaluator"] == "quinn"
    assert store.alice.evaluations(call_id)[0]["comments"][1]["position_ms"] == 61_000
    with pytest.raises(NotFoundError):
        store.bob.evaluations(call_id)
    assert store.alice.get_call(call_id)["evaluated"] is True
    assert call_id in [c["id"] for c in store.sam.iter_calls(evaluated=True, agent="alice")]
    rows = store.ada.audit(action="evaluation.create", target=call_id)
    assert [(r["actor"], r["detail"]) for r in rows] == [
        ("quinn", f"evaluation {done['id']}: 70.0%")
    ]
    with pytest.raises(PermissionDenied):
        store.quinn.audit()

"""Calls through a real store: create/update, agents isolated from each other's calls, search
filters and paging, caller karma, the routing hint, segments shared by calls, export audit."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests

from store.client import InvalidRequest, NotFoundError, PermissionDenied
from store.client_types import CallInput
from tests.integration.store_kit import Store, new_id, now_us

pytestmark = pytest.mark.integration

DAY = 86_400_000_000


def _call(agent: str, started_us: int, **extra: Any) -> CallInput:
    call: dict[str, Any] = {"agent": agent, "direction": "inbound", "started_us": started_us}
    call.update(extra)
    return call  # type: ignore[return-value]


def test_put_get_patch_roundtrip(store: Store) -> None:
    t0 = now_us()
    call_id = new_id()
    full = _call(
        "alice",
        t0,
        local_number="1001",
        remote_number="+7 (912) 555-01-02",
        queue="sales",
        sip_call_id="abc@pbx",
        answered_us=t0 + 3_000_000,
        ended_us=t0 + 63_000_000,
        holds=[{"start_us": t0 + 10_000_000, "end_us": t0 + 20_000_000}],
        transfers=[{"at_us": t0 + 60_000_000, "to": "2002", "kind": "attended"}],
        ended_by="remote",
        cause="200 BYE",
        disposition="sold",
        card={"topic": {"value": "Upgrade plan", "changed_us": t0 + 5_000_000}},
        karma=1,
        tags=["vip"],
        events=[{"at_us": t0, "kind": "ringing"}, {"at_us": t0 + 3_000_000, "kind": "answered"}],
    )
    created = store.alice.put_call(call_id, full)
    assert created["remote_norm"] == "+79125550102"
    assert created["duration_s"] == 60.0
    assert created["holds"][0]["end_us"] == t0 + 20_000_000
    assert created["card"]["topic"]["value"] == "Upgrade plan"
    # PUT again with the same body: idempotent, 200.
    again = requests.put(
        f"{store.url}/api/v1/calls/{call_id}", json=full, headers=store.alice.session.headers,
        timeout=10,
    )  # fmt: skip
    assert again.status_code == 200
    # PATCH merges card values per field by change time, replaces other fields.
    store.alice.patch_call(
        call_id,
        disposition="callback",
        card={
            "topic": {"value": "stale edit", "changed_us": t0 + 1},
            "note": {"value": "Call back Monday", "changed_us": t0 + 70_000_000},
        },
    )
    got = store.alice.get_call(call_id)
    assert got["disposition"] == "callback"
    assert got["card"]["topic"]["value"] == "Upgrade plan"
    assert got["card"]["note"]["value"] == "Call back Monday"
    assert got["karma"] == 1 and got["tags"] == ["vip"]


def test_invalid_calls_are_422_with_clear_messages(store: Store) -> None:
    t0 = now_us()
    with pytest.raises(InvalidRequest, match="ended_us is before started_us"):
        store.alice.put_call(new_id(), _call("alice", t0, ended_us=t0 - 1))
    with pytest.raises(InvalidRequest, match="karma"):
        store.alice.put_call(new_id(), _call("alice", t0, karma=7))
    with pytest.raises(InvalidRequest, match="direction"):
        store.alice.put_call(new_id(), {"agent": "alice", "started_us": t0})  # type: ignore[typeddict-item]
    with pytest.raises(InvalidRequest, match="NUL"):
        store.alice.put_call(new_id(), _call("alice", t0, disposition="a\x00b"))
    with pytest.raises(NotFoundError):
        store.alice.patch_call("never-created", disposition="x")
    bad_json = requests.put(
        f"{store.url}/api/v1/calls/{new_id()}",
        data=b'{"agent": "alice", "direction": ',
        headers={**store.alice.session.headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert bad_json.status_code == 422
    assert "JSON" in bad_json.json()["detail"]


def test_agent_cannot_list_read_or_stream_another_agents_call(store: Store) -> None:
    t0 = now_us()
    call_id = new_id()
    store.bob.put_call(call_id, _call("bob", t0, remote_number="+15550001", queue="support"))
    data = os.urandom(4096)
    sha = store.bob.upload_bytes(data, "audio/ogg")["sha256"]
    store.bob.link_media(call_id, sha, "audio", t0, t0 + 1_000_000)

    with pytest.raises(NotFoundError):
        store.alice.get_call(call_id)
    with pytest.raises(NotFoundError):
        store.alice.download(sha)
    with pytest.raises(NotFoundError):
        store.alice.export_call(call_id)
    with pytest.raises(NotFoundError):
        store.alice.patch_call(call_id, disposition="mine now")
    with pytest.raises(NotFoundError):
        store.alice.put_call(call_id, _call("alice", t0))
    with pytest.raises(PermissionDenied, match="own calls"):
        store.alice.put_call(new_id(), _call("bob", t0))
    with pytest.raises(PermissionDenied, match="own calls"):
        store.alice.search_calls(agent="bob")
    assert call_id not in [c["id"] for c in store.alice.iter_calls(number="+15550001")]
    summary = store.alice.caller_summary("+15550001")
    assert summary["calls"] >= 1 and summary["last_calls"] == []  # counts, but no details

    # QA, supervisors and admins see it.
    for reader in (store.quinn, store.sam, store.ada):
        assert reader.get_call(call_id)["agent"] == "bob"
        assert reader.download(sha) == data
        assert call_id in [c["id"] for c in reader.iter_calls(agent="bob")]
    assert store.bob.get_call(call_id)["media"][0]["sha256"] == sha


def test_search_filters_sort_and_paging(store: Store) -> None:
    base = now_us() - 300 * DAY  # a window no other test writes into
    queue = f"q{new_id()[:8]}"
    made = []
    for i in range(12):
        call_id = new_id()
        made.append(call_id)
        store.sam.put_call(
            call_id,
            _call(
                "alice" if i % 2 == 0 else "bob",
                base + i * 60_000_000,
                direction="inbound" if i % 3 else "outbound",
                remote_number=f"8 800 555 00 {i:02d}",
                queue=queue,
                answered_us=base + i * 60_000_000,
                ended_us=base + i * 60_000_000 + i * 10_000_000,
                disposition="sold" if i < 4 else "info",
                karma=(i % 5) - 2,
                card={"note": {"value": f"Customer asked about Tariff-{i}", "changed_us": base}},
            ),
        )
    window = {"from_us": base, "to_us": base + DAY, "queue": queue}

    def ids(**f: Any) -> list[str]:
        return [c["id"] for c in store.sam.iter_calls(**window, **f)]

    assert len(ids()) == 12
    assert ids(agent="alice") == [made[i] for i in (10, 8, 6, 4, 2, 0)]
    assert ids(direction="outbound") == [made[i] for i in (9, 6, 3, 0)]
    assert ids(number="88005550007") == [made[7]]
    assert ids(number="8 (800) 555-00-07") == [made[7]]
    assert ids(min_duration_s=50, max_duration_s=80) == [made[i] for i in (8, 7, 6, 5)]
    assert ids(disposition="sold", order="asc") == made[:4]
    assert ids(karma=2) == [made[i] for i in (9, 4)]
    assert ids(text="tariff-11") == [made[11]]
    assert ids(text="TARIFF-1") == [made[11], made[10], made[1]]
    assert ids(text="100%") == []  # LIKE wildcards are literal
    assert ids(has_screen=True) == [] and len(ids(has_screen=False)) == 12
    assert ids(evaluated=False, agent="bob", min_duration_s=100) == [made[11]]
    page = store.sam.search_calls(**window, limit=5, offset=5, sort="duration", order="desc")
    assert page["total"] == 12 and [c["id"] for c in page["items"]] == made[6:1:-1]
    assert page["items"][0]["duration_s"] == 60.0
    # Agents' searches are their own calls only, without having to say so.
    assert {c["agent"] for c in store.alice.iter_calls(**window)} == {"alice"}
    with pytest.raises(InvalidRequest):
        store.sam.search_calls(limit=0)


def test_caller_karma_is_aggregated_over_ratings(store: Store) -> None:
    number = f"+4930{new_id()[:8].translate(str.maketrans('abcdef', '123456'))}"
    t0 = now_us() - 200 * DAY
    ratings = [("alice", 2), ("bob", 1), ("alice", -1), ("bob", None)]
    for i, (agent, karma) in enumerate(ratings):
        store.sam.put_call(new_id(), _call(agent, t0 + i, remote_number=number, karma=karma))
    spaced = number[:3] + " " + number[3:]
    summary = store.quinn.caller_summary(spaced)
    assert summary["number"] == number
    assert (summary["calls"], summary["ratings"], summary["karma_sum"]) == (4, 3, 2)
    assert summary["karma_avg"] == pytest.approx(2 / 3, abs=1e-3)
    assert [c["karma"] for c in summary["last_calls"]] == [None, -1, 1, 2]
    for order, karmas in (("asc", [-1, 1, 2, None]), ("desc", [2, 1, -1, None])):
        page = store.sam.search_calls(number=number, sort="karma", order=order)
        assert [c["karma"] for c in page["items"]] == karmas  # unrated last either way
    own = store.alice.caller_summary(number)
    assert own["ratings"] == 3 and {c["agent"] for c in own["last_calls"]} == {"alice"}

    hint = store.sam.routing_hint("00" + number[1:])
    assert hint == {
        "number": number, "hint": "normal", "karma_avg": pytest.approx(0.667, abs=1e-3),
        "ratings": 3, "calls": 4, "last_agent": "bob",
        "literacy": None, "temperament": None, "route": "default",
    }  # fmt: skip
    assert store.alice.routing_hint(number)["last_agent"] is None
    assert store.sam.routing_hint("+999000111")["hint"] == "unknown"


def test_a_segment_belongs_to_several_calls(store: Store) -> None:
    t0 = now_us()
    first, second = new_id(), new_id()
    store.alice.put_call(first, _call("alice", t0))
    store.alice.put_call(second, _call("alice", t0 + 5_000_000))
    sha = store.alice.upload_bytes(os.urandom(2048), "video/mp4")["sha256"]
    assert store.alice.link_media(first, sha, "screen", t0, t0 + 10_000_000)["kind"] == "screen"
    store.alice.link_media(second, sha, "screen", t0, t0 + 10_000_000)
    store.alice.link_media(second, sha, "screen", t0, t0 + 10_000_000)  # idempotent
    assert sorted(store.alice.media_info(sha)["calls"]) == sorted([first, second])
    assert store.alice.get_call(first)["has_screen"] is True
    assert [m["sha256"] for m in store.alice.get_call(second)["media"]] == [sha]
    assert first in [c["id"] for c in store.alice.iter_calls(has_screen=True, from_us=t0)]


def test_export_is_audited(store: Store) -> None:
    call_id = new_id()
    store.alice.put_call(call_id, _call("alice", now_us(), disposition="sold"))
    exported = store.quinn.export_call(call_id)
    assert exported["call"]["id"] == call_id and exported["evaluations"] == []
    rows = store.ada.audit(action="call.export", target=call_id)
    assert [r["actor"] for r in rows] == ["quinn"]

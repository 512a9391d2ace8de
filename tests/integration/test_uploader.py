"""The uploader against a real store on loopback: a backlog drains, the store going away and
coming back loses nothing, and a chaos proxy answering 500/503, resetting connections and
hanging still gets every item there once, byte-identical, each call complete."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from formats.clock import utc_us
from recorder.outbox.journal import Outbox
from recorder.outbox.uploader import Uploader
from store.client import StoreClient
from tests.integration.outbox_kit import (
    AGENT,
    call_record,
    check_store,
    fill_outbox,
    store_server,
)
from tests.servers.chaos_proxy import ChaosProxy
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration
__all__ = ["store_server"]  # the fixture, imported for pytest


@pytest.fixture
def agent_client(store_server: StoreServer) -> Iterator[StoreClient]:
    with StoreClient(store_server.base_url, store_server.tokens[AGENT]) as client:
        yield client


def _uploader(outbox: Outbox, url: str, token: str, **kwargs: float) -> Uploader:
    client = StoreClient(url, token, timeout=(2.0, 2.0))
    return Uploader(outbox, client, base_s=0.05, max_backoff_s=0.5, **kwargs)


def test_backlog_drains_and_the_audio_keeps_its_start_time(
    store_server: StoreServer, agent_client: StoreClient, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox")
    sent = fill_outbox(outbox, tmp_path / "src", calls=3, segments=6, seg_bytes=40_000, audio_s=4)
    uploader = _uploader(outbox, store_server.base_url, store_server.tokens[AGENT])
    assert uploader.drain(60), outbox.status()
    check_store(agent_client, sent)
    call_id = sent.audio_calls[0]
    audio = next(m for m in agent_client.get_call(call_id)["media"] if m["kind"] == "audio")
    with av.open(io.BytesIO(agent_client.download(audio["sha256"]))) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.channels == 2
        assert stream.metadata["AGENTDESK_FIRST_SAMPLE_UTC_US"] == str(audio["start_us"])
        assert stream.metadata["AGENTDESK_CALL_ID"] == call_id
    assert [p.name for p in outbox.spool.iterdir() if not p.name.startswith(".")] == []
    history = agent_client.state_history(AGENT, from_us=sent.states[0][1])
    assert [(s["state"], s["since_us"]) for s in history] == sent.states


def test_store_down_for_a_while_then_back_loses_nothing(
    tmp_path: Path, agent_client: StoreClient
) -> None:
    server = StoreServer(tmp_path / "store2", users={AGENT: "agent"})
    server.start()
    token = server.tokens[AGENT]
    outbox = Outbox(tmp_path / "outbox")
    uploader = _uploader(outbox, server.base_url, token)
    server.stop()  # down before anything was sent
    sent = fill_outbox(outbox, tmp_path / "src", calls=2, segments=4, seg_bytes=30_000, audio_s=2)
    for _ in range(20):
        uploader.step()
    state = uploader.status()
    assert state["items"] == outbox.status()["items"] > 0
    assert "cannot reach the store" in state["last_error"]
    # Back, on the same port and data: the backlog drains.
    again = StoreServer(server.data_dir, users={})
    again.port, again.base_url, again.tokens = server.port, server.base_url, server.tokens
    with again:
        assert uploader.drain(60), outbox.status()
        with StoreClient(again.base_url, token) as client:
            check_store(client, sent)
    assert uploader.status()["items"] == 0


@pytest.mark.parametrize("seed", [11, 12])
def test_chaos_every_item_arrives_once(
    store_server: StoreServer, agent_client: StoreClient, tmp_path: Path, seed: int
) -> None:
    outbox = Outbox(tmp_path / "outbox")
    sent = fill_outbox(outbox, tmp_path / "src", calls=3, segments=8, seg_bytes=200_000, audio_s=3)
    with ChaosProxy(store_server.port, fault_rate=0.35, seed=seed, hang_s=2.5) as proxy:
        uploader = _uploader(
            outbox, proxy.base_url, store_server.tokens[AGENT], bandwidth_kbps=40_000
        )
        assert uploader.drain(180), (outbox.status(), proxy.counts)
    assert sum(n for fault, n in proxy.counts.items() if fault != "pass") >= 5, proxy.counts
    check_store(agent_client, sent)
    history = agent_client.state_history(AGENT, from_us=min(sent.states)[1])
    ours = [
        (s["state"], s["since_us"]) for s in history if (s["state"], s["since_us"]) in sent.states
    ]
    assert sorted(ours) == sorted(sent.states), proxy.counts


def test_a_state_sent_again_after_a_lost_answer_is_stored_once(
    store_server: StoreServer, agent_client: StoreClient, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox")
    at = utc_us()
    outbox.add_state(AGENT, "not_ready", "coaching", at)
    uploader = _uploader(outbox, store_server.base_url, store_server.tokens[AGENT])
    item = outbox.claim()
    assert item is not None
    # The first try reached the store, but its answer was lost: the item is tried again.
    uploader.client.set_state(AGENT, "not_ready", "coaching", at)
    outbox.retry(item, "read timed out", 0)
    assert uploader.drain(30), outbox.status()
    history = agent_client.state_history(AGENT, from_us=at, to_us=at + 1)
    assert [(h["state"], h["reason"], h["since_us"]) for h in history] == [
        ("not_ready", "coaching", at)
    ]


def test_an_item_the_store_refuses_is_parked_and_the_rest_drains(
    store_server: StoreServer, agent_client: StoreClient, tmp_path: Path
) -> None:
    """One call with a lone surrogate from a SIP header, one the store refuses as invalid:
    the first is stored (escaped), the second parked and shown, everything else arrives."""
    outbox = Outbox(tmp_path / "outbox")
    sent = fill_outbox(outbox, tmp_path / "src", calls=2, segments=2, seg_bytes=20_000, audio_s=1)
    base = int(str(next(iter(sent.calls.values()))["started_us"]))
    odd, refused = f"odd-{utc_us()}", f"refused-{utc_us()}"
    name = "Ivan \udcff Petrov"  # a display name whose bytes were not UTF-8
    record = {**call_record(7, base), "remote_number": "+79125550007",
              "events": [{"at_us": base, "kind": "ringing", "detail": name}]}  # fmt: skip
    outbox.add_call(odd, record)
    outbox.add_patch(odd, {"disposition": name})
    outbox.add_call(refused, {**call_record(8, base), "direction": "sideways"})
    outbox.add_patch(refused, {"disposition": "sale"})
    uploader = _uploader(outbox, store_server.base_url, store_server.tokens[AGENT])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and outbox.status()["items"] > 2:
        if not uploader.step():
            time.sleep(0.05)
    check_store(agent_client, sent)
    stored = agent_client.get_call(odd)
    assert stored["events"][0]["detail"] == "Ivan \\udcff Petrov"
    assert stored["disposition"] == "Ivan \\udcff Petrov"
    state = uploader.status()
    assert state["parked"] == 1 and "422" in state["parked_reason"]
    assert "direction" in state["parked_reason"]
    assert state["items"] == 2 and state["last_error"], "the parked call and its change"
    assert [i.key for i in outbox.parked()] == [f"call:{refused}"]
    for _ in range(5):
        assert not uploader.step(), "nothing retries the parked call or 404s on its change"

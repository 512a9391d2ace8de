"""The recording policy in the store: admins set it (API and CLI), every change is a version
and an audit entry, bad documents are 422s naming the field, users read what applies to them
(agent > team > queue > default) and poll it with an ETag."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from store.client import InvalidRequest, PermissionDenied, StoreClient
from tests.integration.store_kit import Store, store_with_clients
from tests.servers.store import store_command

pytestmark = pytest.mark.integration

POLICY = {
    "default": {"mode": "all"},
    "queues": {"sales": {"mode": "sampled", "sample_percent": 20}},
    "teams": {"night": {"mode": "consent"}},
    "agents": {"bob": {"mode": "off"}},
    "fps": 4,
    "preroll_s": 3,
    "wrap_up_max_s": 300,
    "mask_titles": ["(?i)password", "Online banking"],
    "pause_audio": False,
    "headers": {"queue": "X-Queue-Name", "queue_wait": "X-Wait", "pbx_call_id": "X-Uniq"},
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with store_with_clients(request, tmp_path_factory.mktemp("policy"), request.param) as made:
        yield made


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*store_command(), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_before_any_change_everyone_reads_the_built_in_default(store: Store) -> None:
    answer, etag = store.alice.recording_policy() or ({}, "")
    if answer["version"] == 0:
        assert answer["changed_by"] is None and answer["policy"]["default"]["mode"] == "all"
        assert answer["effective"]["mode"] == "all" and answer["effective"]["fps"] == 5
    assert etag.startswith('"')


def test_an_admin_sets_it_an_agent_may_not(store: Store) -> None:
    with pytest.raises(PermissionDenied):
        store.alice.set_recording_policy({"default": {"mode": "off"}})  # type: ignore[typeddict-item]
    with pytest.raises(PermissionDenied):
        store.sam.set_recording_policy({"default": {"mode": "off"}})  # type: ignore[typeddict-item]
    with pytest.raises(PermissionDenied):
        store.alice.recording_policy_history()
    before = store.ada.recording_policy_history()
    answer = store.ada.set_recording_policy(POLICY)  # type: ignore[arg-type]
    assert answer["version"] == (before[0]["version"] if before else 0) + 1
    assert answer["changed_by"] == "ada" and answer["policy"]["fps"] == 4
    assert answer["policy"]["headers"]["queue"] == "x-queue-name"  # header names: lowercase
    history = store.ada.recording_policy_history()
    assert history[0]["version"] == answer["version"] and history[0]["policy"] == answer["policy"]
    audit = store.ada.audit(action="policy.set")
    assert audit[0]["actor"] == "ada"
    assert audit[0]["target"] == f"recording-policy/{answer['version']}"
    assert json.loads(audit[0]["detail"])["queues"]["sales"]["sample_percent"] == 20


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({"default": {"mode": "sometimes"}}, "body.default.mode", "all"),
        ({"queues": {"sales": {"mode": "sampled"}}}, "body.queues.sales", "sample_percent"),
        ({"queues": {"s": {"mode": "sampled", "sample_percent": 120}}}, "sample_percent", "100"),
        ({"mask_titles": ["ok", "(unclosed"]}, "body.mask_titles.1", "regular expression"),
        ({"fps": 0}, "body.fps", "greater than"),
        ({"fps": True}, "body.fps", "true or false"),
        ({"pause_audio": 1}, "body.pause_audio", "true or false"),
        ({"record": "all"}, "body.record", "Extra inputs"),
        ({"headers": {"queue": "X Queue"}}, "body.headers.queue", "pattern"),
        ({"agents": {"bad name!": {"mode": "off"}}}, "body.agents", "pattern"),
    ],
)
def test_a_bad_document_is_a_422_naming_the_field(
    store: Store, document: dict[str, object], field: str, words: str
) -> None:
    version = store.ada.recording_policy_history(limit=1)
    with pytest.raises(InvalidRequest) as caught:
        store.ada.set_recording_policy(document)  # type: ignore[arg-type]
    assert caught.value.status == 422 and field in str(caught.value), str(caught.value)
    assert words in str(caught.value), str(caught.value)
    assert store.ada.recording_policy_history(limit=1) == version  # nothing stored


def test_what_applies_is_the_most_specific_rule(store: Store) -> None:
    store.ada.set_recording_policy(POLICY)  # type: ignore[arg-type]
    with store.db() as db:
        db.execute("UPDATE users SET team = 'night' WHERE name IN ('quinn', 'bob')")
    bob = store.bob.recording_policy()
    alice = store.alice.recording_policy()
    quinn = store.quinn.recording_policy()
    assert bob and alice and quinn
    assert bob[0]["effective"]["scope"] == "agent bob" and bob[0]["effective"]["mode"] == "off"
    assert bob[0]["effective"]["queues"] == {}  # the agent's rule covers every queue
    assert quinn[0]["effective"]["scope"] == "team night"
    assert quinn[0]["effective"]["mode"] == "consent"
    effective = alice[0]["effective"]
    assert effective["scope"] == "queues" and effective["mode"] == "all"
    assert effective["queues"] == {"sales": {"mode": "sampled", "sample_percent": 20.0}}
    assert effective["mask_titles"] == POLICY["mask_titles"] and effective["pause_audio"] is False
    assert store.alice.me()["team"] is None and store.quinn.me()["team"] == "night"


def test_polling_with_the_etag_answers_304_until_it_changes(store: Store) -> None:
    first = store.alice.recording_policy()
    assert first is not None
    answer, etag = first
    assert store.alice.recording_policy(etag) is None
    raw = requests.get(
        f"{store.url}/api/v1/recording-policy",
        headers={
            "Authorization": store.alice.session.headers["Authorization"],
            "If-None-Match": etag,
        },
        timeout=10,
    )
    assert raw.status_code == 304 and raw.headers["ETag"] == etag and not raw.content
    store.ada.set_recording_policy({**POLICY, "fps": 2})  # type: ignore[typeddict-item]
    changed = store.alice.recording_policy(etag)
    assert changed is not None and changed[1] != etag
    assert changed[0]["effective"]["fps"] == 2 and changed[0]["version"] == answer["version"] + 1
    # Written by another process (the CLI, the database): the next poll sees it at once.
    with store.db() as db:
        db.execute("UPDATE users SET team = 'night' WHERE name = 'alice'")
    night = store.alice.recording_policy(changed[1])
    assert night is not None and night[0]["effective"]["scope"] == "team night"
    with store.db() as db:
        db.execute("UPDATE users SET team = NULL WHERE name = 'alice'")
    assert store.alice.recording_policy(night[1]) == changed


def test_the_cli_shows_sets_and_lists_versions(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path)]
    assert _cli("user", "add", "kim", "--role", "agent", *data).returncode == 0
    team = _cli("user", "set", "kim", "--team", "night", *data)
    assert team.returncode == 0 and "team night" in team.stdout
    assert "kim\tagent\tteam night" in _cli("user", "list", *data).stdout
    assert "give --extension and/or --team" in _cli("user", "set", "kim", *data).stderr
    shown = _cli("policy", "show", *data)
    assert shown.returncode == 0 and "version 0" in shown.stdout and '"mode": "all"' in shown.stdout
    good = tmp_path / "policy.json"
    good.write_text(json.dumps(POLICY))
    assert _cli("policy", "set", "--file", str(good), *data).returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"teams": {"night": {"mode": "never"}}}))
    refused = _cli("policy", "set", "--file", str(bad), *data)
    assert refused.returncode == 1 and "teams.night.mode" in refused.stderr
    shown = _cli("policy", "show", *data).stdout
    assert "version 1" in shown and "by cli" in shown and '"fps": 4.0' in shown
    history = _cli("policy", "history", *data).stdout.splitlines()
    assert len(history) == 1 and history[0].startswith("1\t") and "1 team(s)" in history[0]
    token = _cli("token", "issue", "kim", *data).stdout.strip()
    from tests.servers.store import StoreServer

    with StoreServer(tmp_path) as server, StoreClient(server.base_url, token) as client:
        answer = client.recording_policy()
        assert answer is not None and answer[0]["effective"]["scope"] == "team night"

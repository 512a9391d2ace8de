"""Tokens (missing, malformed, forged, expired, revoked, disabled user) and retention (media
deleted by rule through the CLI, metadata kept, deletions logged) against a real store."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
import requests

from store import users
from store.client import AuthError, GoneError, StoreClient
from tests.integration.store_kit import Store, new_id, now_us
from tests.servers.store import store_command

pytestmark = pytest.mark.integration
DAY = 86_400_000_000


def _status(store: Store, headers: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    response = requests.get(f"{store.url}/api/v1/me", headers=headers, timeout=10)
    return response.status_code, response.json(), response.headers.get("www-authenticate", "")


def test_tokens_are_checked(store: Store) -> None:
    assert _status(store, {})[:2] == (
        401, {"detail": "missing bearer token: send 'Authorization: Bearer <token>'",
              "code": "unauthorized"},
    )  # fmt: skip
    assert _status(store, {})[2] == "Bearer"
    assert _status(store, {"Authorization": "Basic YWxpY2U6eA=="})[0] == 401
    assert "malformed" in _status(store, {"Authorization": "Bearer abc"})[1]["detail"]
    forged = "adt_" + "A" * 43
    assert _status(store, {"Authorization": f"Bearer {forged}"})[1]["detail"] == "unknown token"
    assert store.alice.me() == {"name": "alice", "role": "agent", "extension": None, "team": None}
    assert requests.get(f"{store.url}/api/v1/health", timeout=10).json()["status"] == "ok"

    with store.db() as db:
        users.add_user(db, f"tmp{new_id()[:6]}", "agent")
        name = users.list_users(db)[-1]["name"]
        expired, _ = users.issue_token(db, "alice", days=-1 / 86_400)
        revoked, _ = users.issue_token(db, str(name), days=1)
        users.revoke_tokens(db, str(name))
        disabled, _ = users.issue_token(db, "bob", days=1)
    with StoreClient(store.url, expired) as client, pytest.raises(AuthError, match="expired"):
        client.me()
    with StoreClient(store.url, revoked) as client, pytest.raises(AuthError, match="revoked"):
        client.me()
    with store.db() as db:
        users.set_disabled(db, "bob", True)
    try:
        with StoreClient(store.url, disabled) as client, pytest.raises(AuthError, match="disabled"):
            client.me()
    finally:
        with store.db() as db:
            users.set_disabled(db, "bob", False)
    # Forged tokens on every kind of route: 401, never data.
    for method, path in [("GET", "/calls"), ("PUT", "/media/" + "0" * 64), ("GET", "/audit")]:
        response = requests.request(
            method, f"{store.url}/api/v1{path}", headers={"Authorization": f"Bearer {forged}"},
            data=b"x", timeout=10,
        )  # fmt: skip
        assert response.status_code == 401, (method, path)


def _retention(store: Store, *extra: str) -> str:
    result = subprocess.run(
        [*store_command(), "retention", "run", *store.server.db_args(), *extra],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_retention_deletes_media_keeps_metadata(store: Store) -> None:
    queue = f"archive{new_id()[:6]}"
    rule = store.ada.add_retention_rule(30, queue=queue)
    store.ada.add_retention_rule(3650, tag="legal")
    now = now_us()

    def call(days_ago: int, queue_: str, tags: list[str] | None = None) -> str:
        call_id = new_id()
        body = {"agent": "alice", "direction": "inbound", "started_us": now - days_ago * DAY,
                "queue": queue_, "tags": tags, "disposition": "kept"}  # fmt: skip
        store.sam.put_call(call_id, body)  # type: ignore[arg-type]
        return call_id

    kept_bytes: dict[str, bytes] = {}

    def media(*call_ids: str) -> str:
        data = os.urandom(3000)
        sha = store.alice.upload_bytes(data, "audio/ogg")["sha256"]
        kept_bytes[sha] = data
        for call_id in call_ids:
            store.sam.link_media(call_id, sha, "audio")
        return sha

    old, new = call(40, queue), call(10, queue)
    held, other = call(40, queue, ["legal"]), call(40, "other")
    expired, fresh, on_hold, no_rule, shared = (
        media(old), media(new), media(held), media(other), media(old, new)
    )  # fmt: skip

    dry = _retention(store, "--dry-run")
    assert f"would delete {expired}" in dry and "would delete 1 media" in dry
    assert store.quinn.download(expired)  # a dry run deletes nothing

    report = _retention(store)
    assert f"deleted {expired} 3000 B rules=[{rule['id']}]" in report
    assert "deleted 1 media object(s), 3000 bytes" in report
    with pytest.raises(GoneError, match="retention rule"):
        store.quinn.download(expired)
    for sha in (fresh, on_hold, no_rule, shared):
        assert len(store.quinn.download(sha)) == 3000
    kept = store.quinn.get_call(old)
    assert kept["disposition"] == "kept"
    assert {m["sha256"]: m["deleted"] for m in kept["media"]} == {expired: True, shared: False}
    with store.db() as db:
        log = db.query("SELECT sha256, size, call_ids FROM retention_log WHERE sha256 = ?",
                       (expired,))  # fmt: skip
    assert [(r["sha256"], r["size"]) for r in log] == [(expired, 3000)]
    assert [r["actor"] for r in store.ada.audit(action="media.delete", target=expired)] == [
        "system:retention"
    ]
    if not store.s3:
        blob = store.server.data_dir / "blobs" / expired[:2] / expired[2:4] / expired
        assert not blob.exists()
    assert "deleted 0 media" in _retention(store)  # applying again finds nothing new
    # Uploading the same bytes again brings the media back.
    assert store.alice.upload_bytes(kept_bytes[expired], "audio/ogg")["created"] is True
    assert store.quinn.download(expired) == kept_bytes[expired]

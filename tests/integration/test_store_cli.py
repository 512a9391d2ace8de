"""`agentdesk-store` commands: migrate, users, tokens, retention rules, refusing secrets in argv."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from store.client import StoreClient
from store.migrations import LATEST, MIGRATIONS
from tests.servers.store import StoreServer, store_command

pytestmark = pytest.mark.integration


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*store_command(), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_sets_up_a_store_that_serves(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path)]
    first = _cli("migrate", *data)
    every = [version for version, _name, _sql in MIGRATIONS]
    assert first.returncode == 0 and f"applied {every}" in first.stdout
    assert f"already at {LATEST}" in _cli("migrate", *data).stdout
    assert _cli("user", "add", "carol", "--role", "agent", *data).returncode == 0
    again = _cli("user", "add", "carol", "--role", "agent", *data)
    assert again.returncode == 1 and "already exists" in again.stderr
    bad_role = _cli("user", "add", "dave", "--role", "boss", *data)
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
    assert "carol\tagent" in _cli("user", "list", *data).stdout
    issued = _cli("token", "issue", "carol", "--days", "2", *data)
    token = issued.stdout.strip()
    assert token.startswith("adt_") and "shown once" in issued.stderr
    assert "no user 'nobody'" in _cli("token", "issue", "nobody", *data).stderr
    rule = _cli("retention", "add", "--queue", "sales", "--days", "90", *data)
    assert "queue=sales" in rule.stdout and "days=90" in _cli("retention", "list", *data).stdout

    with StoreServer(tmp_path) as server, StoreClient(server.base_url, token) as client:
        assert client.me() == {"name": "carol", "role": "agent", "extension": None, "team": None}
        revoked = _cli("token", "revoke", "carol", *data)
        assert "revoked 1 token(s)" in revoked.stdout


def test_cli_refuses_secrets_on_the_command_line(tmp_path: Path) -> None:
    result = _cli("migrate", "--data", str(tmp_path), "--db", "postgresql://u:secret@db/store")
    assert result.returncode == 1
    assert "PGPASSWORD" in result.stderr and "secret" not in result.stderr.replace("PGP", "")
    missing = _cli("migrate")
    assert missing.returncode == 1 and "--data" in missing.stderr


def test_serve_with_several_worker_processes(tmp_path: Path) -> None:
    server = StoreServer(tmp_path, users={"anna": "agent"}, extra_args=["--workers", "2"])
    with server, StoreClient(server.base_url, server.tokens["anna"]) as client:
        shas = {client.upload_bytes(bytes([i]) * 1000, "audio/wav")["sha256"] for i in range(20)}
        assert all(client.download(sha) for sha in shas)
        assert {client.me()["name"] for _ in range(10)} == {"anna"}
    assert server.proc is None and "Traceback" not in server.log()


def test_an_admin_gives_users_sip_extensions_shown_in_me_and_the_board(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path)]
    assert (
        _cli("user", "add", "erin", "--role", "agent", "--extension", "1001", *data).returncode == 0
    )
    assert _cli("user", "add", "fred", "--role", "agent", *data).returncode == 0
    assert _cli("user", "add", "sue", "--role", "supervisor", *data).returncode == 0
    assert _cli("user", "set", "fred", "--extension", "2004", *data).returncode == 0
    bad = _cli("user", "set", "fred", "--extension", "20 04; drop", *data)
    assert bad.returncode == 1 and "bad extension" in bad.stderr
    assert "no user 'nobody'" in _cli("user", "set", "nobody", "--extension", "1", *data).stderr
    listed = _cli("user", "list", *data).stdout
    assert "erin\tagent\text. 1001" in listed and "fred\tagent\text. 2004" in listed
    tokens = {n: _cli("token", "issue", n, *data).stdout.strip() for n in ("erin", "fred", "sue")}

    with StoreServer(tmp_path) as server:
        clients = {n: StoreClient(server.base_url, t) for n, t in tokens.items()}
        assert clients["erin"].me() == {
            "name": "erin",
            "role": "agent",
            "extension": "1001",
            "team": None,
        }
        assert clients["sue"].me() == {
            "name": "sue",
            "role": "supervisor",
            "extension": None,
            "team": None,
        }
        board = {r["agent"]: r for r in clients["sue"].live_board()["agents"]}
        assert {n: board[n]["extension"] for n in ("erin", "fred")} == {
            "erin": "1001",
            "fred": "2004",
        }
        assert _cli("user", "set", "erin", "--extension", "", *data).returncode == 0
        assert clients["erin"].me()["extension"] is None  # read per request, not cached
        for client in clients.values():
            client.close()

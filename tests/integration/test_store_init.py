"""`agentdesk-store init`: a new store's folder, database, first admin and the next steps,
followed as printed."""

from __future__ import annotations

import os
import shlex
import subprocess
import uuid
from pathlib import Path

import pytest

from store.client import StoreClient
from store.migrations import LATEST
from tests.integration.store_kit import pg  # noqa: F401 - fixture
from tests.servers.postgres import Postgres
from tests.servers.store import StoreServer, store_command

pytestmark = pytest.mark.integration


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*store_command(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def _token(stdout: str) -> str:
    (token,) = [line for line in stdout.splitlines() if line.startswith("adt_")]
    return token


def _step(stdout: str, starts: str, name: str) -> list[str]:
    """The printed command that starts with ``starts``, NAME replaced, as arguments."""
    (line,) = [line.strip() for line in stdout.splitlines() if line.strip().startswith(starts)]
    words = shlex.split(line.replace("NAME", name))
    assert words[0] == "agentdesk-store"
    return words[1:]


def test_init_makes_a_store_whose_admin_token_works(tmp_path: Path) -> None:
    data = tmp_path / "srv" / "agentdesk"
    result = _cli("init", "--data", str(data), "--admin", "boss")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (data / "store.sqlite3").is_file()
    assert (data / "blobs").is_dir()
    assert data.stat().st_mode & 0o007 == 0  # no access for others
    assert f"schema {LATEST}" in out
    token = _token(out)
    assert out.count(token) == 1  # shown once
    for step in (
        f"agentdesk-store serve --data {data}",
        "agentdesk-store.service",
        "nginx-agentdesk-store.conf",
        "--role agent --extension",
        "agentdesk-store token issue NAME",
    ):
        assert step in out, step

    # The printed steps, as printed: an agent with an extension and a token.
    added = _cli(*_step(out, "agentdesk-store user add", "anna"))
    assert added.returncode == 0, added.stderr
    agent_token = _cli(*_step(out, "agentdesk-store token issue", "anna")).stdout.strip()

    with StoreServer(data) as server:
        with StoreClient(server.base_url, token) as admin:
            assert admin.me() == {"name": "boss", "role": "admin", "extension": None, "team": None}
        with StoreClient(server.base_url, agent_token) as agent:
            assert agent.me() == {
                "name": "anna",
                "role": "agent",
                "extension": "1001",
                "team": None,
            }


def test_init_refuses_a_store_that_has_users(tmp_path: Path) -> None:
    assert _cli("init", "--data", str(tmp_path)).returncode == 0
    again = _cli("init", "--data", str(tmp_path), "--admin", "other")
    assert again.returncode == 1
    assert "already has users (admin)" in again.stderr
    assert "adt_" not in again.stdout
    names = _cli("user", "list", "--data", str(tmp_path)).stdout
    assert names.splitlines() == ["admin\tadmin"]


def test_init_refuses_a_bad_admin_name_and_a_missing_folder(tmp_path: Path) -> None:
    bad = _cli("init", "--data", str(tmp_path), "--admin", "no spaces")
    assert bad.returncode == 1 and "bad user name" in bad.stderr
    missing = _cli("init")
    assert missing.returncode == 1 and "--data" in missing.stderr


def test_init_with_postgresql_from_the_environment_like_the_unit(
    tmp_path: Path,
    pg: Postgres,  # noqa: F811 - fixture
) -> None:
    """As installer/README.md runs it: the database URL from store.env's AGENTDESK_STORE_DB."""
    url = pg.database(f"init_{uuid.uuid4().hex[:12]}")
    result = _cli("init", "--data", str(tmp_path), env={"AGENTDESK_STORE_DB": url})
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "store.sqlite3").exists()
    assert (tmp_path / "blobs").is_dir()
    token = _token(result.stdout)
    with StoreServer(tmp_path, url) as server, StoreClient(server.base_url, token) as admin:
        assert admin.me() == {"name": "admin", "role": "admin", "extension": None, "team": None}

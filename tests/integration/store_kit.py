"""Fixtures for the store's integration tests: a real `agentdesk-store serve` on loopback with
SQLite in a temp dir, and the same over a real PostgreSQL; clients for five users."""

from __future__ import annotations

import contextlib
import signal
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from store.client import StoreClient
from store.db import Database, connect
from tests.servers.postgres import Postgres, postgres_available
from tests.servers.radosgw import Radosgw, radosgw_available
from tests.servers.store import StoreServer

USERS = {"alice": "agent", "bob": "agent", "quinn": "qa", "sam": "supervisor", "ada": "admin"}
MAX_UPLOAD_MB = 1
# The embedded default, PostgreSQL metadata, and the scale-out set-up: PostgreSQL + S3 media
# on a real Ceph radosgw (clients upload and download through presigned URLs there).
BACKENDS = ["sqlite", "postgresql", "postgresql+s3"]


def now_us() -> int:
    return time.time_ns() // 1000


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Store:
    """A running server, one client per user, and a direct handle on its database."""

    server: StoreServer
    backend: str
    alice: StoreClient
    bob: StoreClient
    quinn: StoreClient
    sam: StoreClient
    ada: StoreClient

    @property
    def s3(self) -> bool:
        return self.backend.endswith("+s3")

    @property
    def url(self) -> str:
        return self.server.base_url

    @contextlib.contextmanager
    def db(self) -> Iterator[Database]:
        """The server's own database, opened directly (to check what is really stored)."""
        db = connect(self.server.db_url or str(self.server.data_dir / "store.sqlite3"))
        try:
            yield db
        finally:
            db.close()

    def client(self, token: str) -> StoreClient:
        return StoreClient(self.url, token)

    def clients(self) -> list[StoreClient]:
        return [self.alice, self.bob, self.quinn, self.sam, self.ada]


@pytest.fixture(scope="session")
def pg() -> Iterator[Postgres]:
    if not postgres_available():
        pytest.fail("PostgreSQL is not installed: run scripts/setup")
    with Postgres() as server:
        yield server


@pytest.fixture(scope="session")
def radosgw() -> Iterator[Radosgw]:
    if not radosgw_available():
        pytest.fail("Ceph radosgw is not installed: run scripts/setup")
    with Radosgw(bucket="agentdesk-store-tests", memstore_mb=512) as server:
        yield server


def start_store(
    request: pytest.FixtureRequest, tmp: Path, backend: str, extra: list[str] | None = None
) -> StoreServer:
    db_url = None
    args = list(extra or [])
    env: dict[str, str] = {}
    if backend.startswith("postgresql"):
        postgres: Postgres = request.getfixturevalue("pg")
        db_url = postgres.database(f"store_{uuid.uuid4().hex[:12]}")
    if backend.endswith("+s3"):
        rgw: Radosgw = request.getfixturevalue("radosgw")
        args += ["--s3-endpoint", rgw.endpoint, "--s3-bucket", rgw.bucket]
        # Secrets reach the server through the environment, never its command line.
        env = {"AGENTDESK_S3_ACCESS_KEY": rgw.access_key, "AGENTDESK_S3_SECRET_KEY": rgw.secret_key}
    server = StoreServer(tmp, db_url, dict(USERS), args, env)
    server.start()
    return server


@contextlib.contextmanager
def running_store(
    request: pytest.FixtureRequest,
    tmp: Path,
    backend: str = "sqlite",
    extra: list[str] | None = None,
) -> Iterator[StoreServer]:
    """A store for the ``with`` block; it must exit cleanly and log no traceback."""
    server = start_store(request, tmp, backend, extra)
    try:
        yield server
    finally:
        code = server.stop()
        # uvicorn shuts down gracefully on SIGTERM, then re-raises it: -15 is a clean exit.
        assert code in (0, -signal.SIGTERM), f"store exited with {code}:\n{server.log()}"
        assert "Traceback" not in server.log(), server.log()


@contextlib.contextmanager
def store_with_clients(
    request: pytest.FixtureRequest, tmp: Path, backend: str, extra: list[str] | None = None
) -> Iterator[Store]:
    """:func:`running_store` plus a client for each of :data:`USERS`."""
    with running_store(request, tmp, backend, extra) as server:
        made = Store(
            server, backend, *(StoreClient(server.base_url, server.tokens[n]) for n in USERS)
        )
        try:
            yield made
        finally:
            for client in made.clients():
                client.close()


@pytest.fixture(scope="module", params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    backend = request.param
    tmp = tmp_path_factory.mktemp(f"store-{backend.replace('+', '-')}")
    with store_with_clients(request, tmp, backend, ["--max-upload-mb", str(MAX_UPLOAD_MB)]) as made:
        yield made


@contextlib.contextmanager
def served(folder: Path, db_url: str | None, users: dict[str, Any]) -> Iterator[StoreServer]:
    """A store for a report fixture: started, then stopped cleanly with no traceback logged."""
    server = StoreServer(folder, db_url, users)
    server.start()
    try:
        yield server
    finally:
        code = server.stop()
        assert code in (0, -signal.SIGTERM), server.log()
        assert "Traceback" not in server.log(), server.log()


def assert_close(row: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """A report row's figures: whole numbers exactly, the rest to their three decimals."""
    for name, value in expected.items():
        if value is None or isinstance(value, int):
            assert row[name] == value, f"{name}: {row[name]} != {value}"
        else:
            assert row[name] == pytest.approx(value, abs=0.002), name

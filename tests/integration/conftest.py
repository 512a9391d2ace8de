"""Real servers for integration tests, started by fixtures on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.integration.sipkit import PASSWORDS, Agent
from tests.servers.kamailio import Kamailio, kamailio_available


@pytest.fixture(scope="module")
def kamailio() -> Iterator[Kamailio]:
    if not kamailio_available():
        pytest.fail("Kamailio is not installed: run scripts/setup")
    server = Kamailio(dict(PASSWORDS))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def agents(kamailio: Kamailio) -> Iterator[Callable[..., Agent]]:
    """Factory of registered agents; every agent is shut down cleanly after the test."""
    made: list[Agent] = []

    def make(user: str, transport: str = "udp", register: bool = True, **config: object) -> Agent:
        agent = Agent(kamailio, user, transport, **config)
        made.append(agent)
        if register:
            agent.wait_registered()
        return agent

    yield make
    codes = [a.close() for a in made]
    assert all(c == 0 for c in codes), f"an engine did not exit cleanly: {codes}"


# The store's fixtures (a real server over SQLite and over PostgreSQL).
from tests.integration.store_kit import pg, radosgw, store  # noqa: E402, F401


@pytest.fixture(params=["rollups", "raw"])
def path(request: pytest.FixtureRequest) -> str:
    """Each hand-computed report check on the rollups and on the raw rows."""
    return str(request.param)

"""My calls and My day against a real store on 127.0.0.1, merged with this PC's call log.

The store runs as `agentdesk-store serve` (SQLite); the token reaches "My calls" only through
the keyring, as in the app.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop import secret_store
from desktop.calls.history import CallEntry, CallHistory, CallLog, store_fetch
from desktop.calls.my_calls import MyCallsPanel, day_start, to_us
from desktop.calls.my_day import MyDayPanel
from store.client import StoreClient
from tests.integration.store_kit import running_store
from tests.servers.store import StoreServer
from tests.unit.conftest import MemoryKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

S = 1_000_000
T0 = to_us(day_start()) + 60 * S  # one minute into today
EARLIER = to_us(day_start(3)) + 3600 * S  # in the last 7 days, not today


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreServer]:
    with running_store(request, tmp_path_factory.mktemp("my-calls-store")) as made:
        yield made


@pytest.fixture
def keyring_with_token(server: StoreServer) -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    secret_store.store_store_token(server.base_url, server.tokens["alice"])
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def stored_calls(server: StoreServer) -> None:
    """Alice's calls as her other PC (or the uploader) wrote them, and one of Bob's."""
    with StoreClient(server.base_url, server.tokens["alice"]) as alice:
        alice.put_call(  # also in the local log: the store adds the disposition
            "shared",
            {
                "agent": "alice",
                "direction": "inbound",
                "remote_number": "+74951111111",
                "started_us": T0 + 300 * S,
                "answered_us": T0 + 305 * S,
                "ended_us": T0 + 365 * S,
                "disposition": "sale",
            },
        )
        alice.put_call(  # only in the store: fetched whole for its answer and hold times
            "store-only",
            {
                "agent": "alice",
                "direction": "outbound",
                "remote_number": "+74952222222",
                "started_us": T0 + 600 * S,
                "answered_us": T0 + 610 * S,
                "ended_us": T0 + 700 * S,
                "holds": [{"start_us": T0 + 620 * S, "end_us": T0 + 650 * S}],
                "disposition": "callback",
            },
        )
        alice.put_call(
            "earlier",
            {
                "agent": "alice",
                "direction": "inbound",
                "remote_number": "+74953333333",
                "started_us": EARLIER,
            },
        )
    with StoreClient(server.base_url, server.tokens["bob"]) as bob:
        bob.put_call(
            "bobs",
            {"agent": "bob", "direction": "inbound", "started_us": T0 + 400 * S},
        )


@pytest.fixture
def history(tmp_path: Path, server: StoreServer) -> Iterator[CallHistory]:
    call_log = CallLog(tmp_path / "calls.sqlite3")
    call_log.add(  # only on this PC (the store never got it)
        CallEntry("local-only", "inbound", "+74950000000", T0, None, T0 + 2 * S, T0 + 122 * S)
    )
    call_log.add(
        CallEntry(
            "shared", "inbound", "+74951111111", T0 + 299 * S, "Ivan", T0 + 304 * S,
            T0 + 364 * S, hold_us=20 * S,
        )
    )  # fmt: skip
    made = CallHistory(call_log, store_fetch(server.base_url))
    yield made
    made.close()


def table(panel: MyCallsPanel) -> dict[str, list[str]]:
    t = panel.table
    rows = {}
    for r in range(t.rowCount()):
        first = t.item(r, 0)
        rows[first.data(Qt.ItemDataRole.UserRole)] = [
            t.item(r, c).text() for c in range(t.columnCount())
        ]
    return rows


@pytest.mark.integration
def test_my_calls_merges_the_store_with_the_local_log(
    qtbot: QtBot, history: CallHistory, stored_calls: None, keyring_with_token: MemoryKeyring
) -> None:
    panel = MyCallsPanel(history)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: "from the store" in panel.status.text(), timeout=15000)
    rows = table(panel)
    assert list(rows) == ["store-only", "shared", "local-only"]  # newest first; no Bob
    assert panel.status.text() == "3 calls, 2 of them from the store"
    shared = rows["shared"]
    assert shared[2] == "+74951111111 Ivan" and shared[3] == "1:00" and shared[4] == "0:20"
    assert shared[6] == "sale"  # from the store
    assert rows["store-only"][1:] == [
        "outgoing",
        "+74952222222",
        "1:30",
        "0:30",
        "answered",
        "callback",
    ]
    assert rows["local-only"][5] == "answered" and rows["local-only"][6] == ""
    panel.period.setCurrentIndex(1)  # the last 7 days
    qtbot.waitUntil(lambda: panel.table.rowCount() == 4, timeout=15000)
    assert table(panel)["earlier"][5] == "missed"


@pytest.mark.integration
def test_my_day_counts_store_only_calls_too(
    qtbot: QtBot, history: CallHistory, stored_calls: None, keyring_with_token: MemoryKeyring
) -> None:
    panel = MyDayPanel(history, wrapups=lambda: [15.0, 45.0])
    qtbot.addWidget(panel)
    # By hand: answered local-only (talk 120) and shared (60 - 20 hold = 40); made
    # store-only (90 - 30 hold = 60). Talk 220, hold 50, wrap-up 60; AHT 330 / 3 = 110 s.
    qtbot.waitUntil(lambda: panel.values["made"].text() == "1", timeout=15000)
    shown = {name: label.text() for name, label in panel.values.items()}
    assert shown == {
        "answered": "2",
        "missed": "0",
        "made": "1",
        "talk": "3:40",
        "hold": "0:50",
        "wrap": "1:00",
        "aht": "1:50",
    }


@pytest.mark.integration
def test_a_refused_token_leaves_the_local_calls_and_says_so(
    qtbot: QtBot, history: CallHistory, server: StoreServer, keyring_with_token: MemoryKeyring
) -> None:
    secret_store.store_store_token(server.base_url, "not-a-token")
    panel = MyCallsPanel(history)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: "could not be read" in panel.status.text(), timeout=15000)
    assert set(table(panel)) == {"local-only", "shared"}
    assert "401" in panel.status.text() and "not-a-token" not in panel.status.text()

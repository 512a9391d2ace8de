"""Who the operator is, and what the window says when the store will not say it: the desktop's
store session (as ``desktop.app.connect_store`` wires it) against the real store on loopback,
with a fake engine. Each failure's window is kept as a screenshot in tests/artifacts/."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from desktop import secret_store, store_session
from desktop.app import StoreLink, connect_store
from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.model import CallBook
from desktop.operator.window import MainWindow
from desktop.recording.uploads import UploadQueue
from desktop.settings.values import AccountSection, Settings, StoreSection
from desktop.store_session import StoreSession
from store.client import StoreClient
from store.db import connect
from store.users import issue_token, revoke_tokens
from tests.servers.ports import LOOPBACK, free_port
from tests.servers.store import StoreServer
from tests.unit.conftest import MemoryKeyring
from tests.unit.fake_engine import FakeEngine

REPO = Path(__file__).resolve().parents[2]
ANNA = AccountSection(user="1001", domain="pbx.example.com", registrar="sip:pbx.example.com")


def artifacts() -> Path:
    folder = Path(os.environ.get("AGENTDESK_ARTIFACTS") or REPO / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    users = {"anna": "agent", "quinn": "qa", "rex": "agent", "sue": "supervisor"}
    with StoreServer(tmp_path_factory.mktemp("identity-store"), users=users) as server:
        yield server


@pytest.fixture(scope="module")
def html_site() -> Iterator[str]:
    """A web server that answers every path with an HTML page (a wrong address)."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def me_1002() -> Iterator[str]:
    """A store whose /me knows anna at extension 1002 (stores that keep users' extensions)."""

    class Me(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"name": "anna", "role": "agent", "extension": "1002"}'
            self.send_response(200 if self.path.endswith("/me") else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self) -> None:
            self.do_GET()

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Me)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Crm(QObject):
    """What connect_store takes of the CRM panel."""

    play_requested = Signal(str)
    saved = Signal(str)  # a dialog card finished (the outbound card listens)


class Desk:
    def __init__(self, qtbot: QtBot, conf: Settings, outbox: Path) -> None:
        self.bridge = EngineBridge(FakeEngine())
        account = conf.account
        self.book = CallBook(extension=account.user if account else "")
        name = f"{account.user}@{account.domain}" if account else ""
        self.window = MainWindow(self.bridge, book=self.book, account=name)
        qtbot.addWidget(self.window)
        self.uploads = UploadQueue(outbox, self.window)
        self.window.attach_uploads(self.uploads)  # journals the current agent state
        session = connect_store(self.window, self.book, conf, None, self.uploads, Crm())  # type: ignore[arg-type]
        assert isinstance(session, StoreSession)
        self.session = session
        self.window.show()

    def close(self) -> None:
        self.session.close()
        self.uploads.close()


@pytest.fixture
def desks(qtbot: QtBot, tmp_path: Path) -> Iterator[list[Desk]]:
    made: list[Desk] = []
    yield made
    for desk in made:
        desk.close()


@pytest.fixture
def keyring_(memory_keyring: MemoryKeyring) -> Iterator[MemoryKeyring]:
    held = secret_store._SESSION.pop(secret_store.STORE_TOKEN_USER, None)
    yield memory_keyring
    if held is not None:
        secret_store._SESSION[secret_store.STORE_TOKEN_USER] = held


def open_desk(
    qtbot: QtBot,
    desks: list[Desk],
    tmp_path: Path,
    url: str,
    account: AccountSection | None = ANNA,
) -> Desk:
    conf = Settings(account=account, store=StoreSection(url=url))
    desk = Desk(qtbot, conf, tmp_path / f"outbox-{len(desks)}")
    desks.append(desk)
    return desk


def says(qtbot: QtBot, desk: Desk, *words: str, shot: str) -> str:
    """Wait until the window's store line says all of ``words``; keep a screenshot."""
    line = desk.window.store_problem
    qtbot.waitUntil(
        lambda: line.isVisible() and all(w in line.text() for w in words), timeout=10000
    )
    desk.window.grab().save(str(artifacts() / f"identity-{shot}.png"))
    return line.text()


def waiting_reason(qtbot: QtBot, desk: Desk) -> str:
    qtbot.waitUntil(lambda: desk.uploads.status()["items"] > 0, timeout=5000)
    qtbot.waitUntil(lambda: bool(desk.uploads.status()["reason"]), timeout=5000)
    return str(desk.uploads.status()["reason"])


def test_the_operator_is_the_tokens_owner_never_the_sip_user(
    qtbot: QtBot, desks: list[Desk], tmp_path: Path, store: StoreServer, keyring_: MemoryKeyring
) -> None:
    keyring_.set_password("agentdesk", "store-token", store.tokens["anna"])
    desk = open_desk(qtbot, desks, tmp_path, store.base_url)
    qtbot.waitUntil(lambda: desk.session.identity is not None, timeout=10000)
    who = desk.session.identity
    assert who is not None and (who.name, who.role, who.extension) == ("anna", "agent", "1001")
    assert desk.book.agent == "anna" and desk.book.extension == "1001"
    assert not desk.window.store_problem.isVisible()
    assert desk.window.controls.isVisibleTo(desk.window)  # an agent has the softphone
    qtbot.waitUntil(lambda: desk.session.presence is not None, timeout=5000)
    presence = desk.session.presence
    assert presence is not None
    qtbot.waitUntil(lambda: presence.posted > 0, timeout=5000)
    with StoreClient(store.base_url, store.tokens["sue"]) as supervisor:
        board = {row["agent"]: row for row in supervisor.live_board()["agents"]}
    assert board["anna"]["presence_us"] is not None
    assert "1001" not in board


def test_a_token_revoked_while_the_desktop_runs_is_said_at_once(
    qtbot: QtBot, desks: list[Desk], tmp_path: Path, store: StoreServer, keyring_: MemoryKeyring
) -> None:
    db = connect(str(store.data_dir / "store.sqlite3"))
    try:
        token = issue_token(db, "anna", days=1)[0]
        keyring_.set_password("agentdesk", "store-token", token)
        desk = open_desk(qtbot, desks, tmp_path, store.base_url)
        qtbot.waitUntil(lambda: desk.session.presence is not None, timeout=10000)
        assert not desk.window.store_problem.isVisible()
        revoke_tokens(db, "anna")  # the presence's next post is refused: /me is asked again
    finally:
        db.close()
    says(qtbot, desk, "does not accept the saved token", shot="revoked-while-running")
    store.tokens["anna"] = issue_token_for(store, "anna")


def issue_token_for(store: StoreServer, name: str) -> str:
    db = connect(str(store.data_dir / "store.sqlite3"))
    try:
        return issue_token(db, name, days=1)[0]
    finally:
        db.close()


def test_no_token_in_the_keyring(
    qtbot: QtBot, desks: list[Desk], tmp_path: Path, store: StoreServer, keyring_: MemoryKeyring
) -> None:
    desk = open_desk(qtbot, desks, tmp_path, store.base_url)
    text = says(qtbot, desk, "No store token is saved", "Settings", shot="no-token")
    assert "401" not in text and "Unauthorized" not in text
    assert waiting_reason(qtbot, desk) == "no store token is saved"


def test_a_revoked_token_then_a_new_one_saved(
    qtbot: QtBot, desks: list[Desk], tmp_path: Path, store: StoreServer, keyring_: MemoryKeyring
) -> None:
    db = connect(str(store.data_dir / "store.sqlite3"))
    try:
        revoked = issue_token(db, "rex", days=1)[0]
        revoke_tokens(db, "rex")
        fresh = issue_token(db, "rex", days=1)[0]
    finally:
        db.close()
    keyring_.set_password("agentdesk", "store-token", revoked)
    desk = open_desk(qtbot, desks, tmp_path, store.base_url)
    says(qtbot, desk, "does not accept the saved token", "wrong, expired or revoked",
         "new token", shot="revoked-token")  # fmt: skip
    assert waiting_reason(qtbot, desk) == "the store does not accept the saved token"
    # The operator saves a new token in the settings: no restart.
    keyring_.set_password("agentdesk", "store-token", fresh)
    desk.session.follow(store.base_url, "")
    qtbot.waitUntil(lambda: not desk.window.store_problem.isVisible(), timeout=10000)
    assert desk.session.identity is not None and desk.session.identity.name == "rex"
    assert desk.session.token_renewed
    assert desk.uploads.status()["reason"] == ""


def test_a_token_of_a_user_who_may_not_act_as_an_agent(
    qtbot: QtBot, desks: list[Desk], tmp_path: Path, store: StoreServer, keyring_: MemoryKeyring
) -> None:
    keyring_.set_password("agentdesk", "store-token", store.tokens["quinn"])
    desk = open_desk(qtbot, desks, tmp_path, store.base_url)
    says(qtbot, desk, "belongs to quinn (qa)", "may not take calls as an agent", shot="not-agent")
    assert waiting_reason(qtbot, desk) == "the token's user quinn (qa) may not act as an agent"


def test_an_unreachable_store(
    qtbot: QtBot, desks: list[Desk], tmp_path: Path, keyring_: MemoryKeyring
) -> None:
    keyring_.set_password("agentdesk", "store-token", "some-token")
    url = f"http://{LOOPBACK}:{free_port()}"
    desk = open_desk(qtbot, desks, tmp_path, url)
    text = says(qtbot, desk, f"The store at {url} cannot be reached (Connection refused)",
                "kept on this PC", shot="unreachable")  # fmt: skip
    assert "HTTPConnectionPool" not in text
    assert waiting_reason(qtbot, desk) == "the store cannot be reached"


def test_an_address_that_answers_html(
    qtbot: QtBot, desks: list[Desk], tmp_path: Path, html_site: str, keyring_: MemoryKeyring
) -> None:
    keyring_.set_password("agentdesk", "store-token", "some-token")
    desk = open_desk(qtbot, desks, tmp_path, html_site)
    says(qtbot, desk, f"The address {html_site} does not answer like an AgentDesk store",
         "(it answers text/html, not the store's JSON)", "Check the store address",
         shot="html")  # fmt: skip
    assert waiting_reason(qtbot, desk) == "the store address does not answer like a store"


@pytest.mark.parametrize(
    ("user", "said"),
    [
        ("quinn", "Signed in to the store as quinn (QA)"),
        ("sue", "Signed in to the store as sue (supervisor)"),
        ("anna", "You are an agent in the store, but no SIP account is set on this PC"),
    ],
)
def test_users_without_a_sip_account_see_no_softphone(
    qtbot: QtBot,
    desks: list[Desk],
    tmp_path: Path,
    store: StoreServer,
    keyring_: MemoryKeyring,
    user: str,
    said: str,
) -> None:
    keyring_.set_password("agentdesk", "store-token", store.tokens[user])
    desk = open_desk(qtbot, desks, tmp_path, store.base_url, account=None)
    qtbot.waitUntil(lambda: desk.session.identity is not None, timeout=10000)
    window = desk.window
    assert not window.store_problem.isVisible()
    for part in (window.controls, window.dial, window.registration, window.calls):
        assert not part.isVisibleTo(window)
    assert window.who_line.isVisible()
    assert said in window.who_line.text()
    window.grab().save(str(artifacts() / f"identity-store-only-{user}.png"))


def test_an_extension_other_than_the_stores_is_said_but_calls_still_go(
    qtbot: QtBot, desks: list[Desk], tmp_path: Path, me_1002: str, keyring_: MemoryKeyring
) -> None:
    keyring_.set_password("agentdesk", "store-token", "anna-token")
    desk = open_desk(qtbot, desks, tmp_path, me_1002)
    says(qtbot, desk, "The store has anna at extension 1002", "registered as 1001",
         shot="extension-differs")  # fmt: skip
    assert desk.book.agent == "anna" and desk.session.problem is None


def test_a_store_that_goes_away_is_said_and_its_return_clears_the_line(
    qtbot: QtBot,
    desks: list[Desk],
    tmp_path: Path,
    keyring_: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_session, "RECHECK_MS", 500)
    server = StoreServer(tmp_path / "store", users={"anna": "agent"})
    server.start()
    try:
        keyring_.set_password("agentdesk", "store-token", server.tokens["anna"])
        desk = open_desk(qtbot, desks, tmp_path, server.base_url)
        qtbot.waitUntil(lambda: desk.session.presence is not None, timeout=10000)
        server.stop()  # the presence's next post fails: /me is asked again
        says(qtbot, desk, "cannot be reached", shot="store-went-away")
        again = StoreServer(tmp_path / "store")
        again.port, again.base_url = server.port, server.base_url
        again.start()
        try:
            qtbot.waitUntil(lambda: not desk.window.store_problem.isVisible(), timeout=15000)
        finally:
            again.stop()
    finally:
        server.stop()


def test_a_store_set_after_start_brings_the_session_and_the_live_channel(
    qtbot: QtBot, tmp_path: Path, store: StoreServer, keyring_: MemoryKeyring
) -> None:
    """The desktop started with no store; the operator sets one in the settings: the session
    and the live channel start then, no restart."""
    keyring_.set_password("agentdesk", "store-token", store.tokens["anna"])
    bridge, book = EngineBridge(FakeEngine()), CallBook(extension="1001")
    window = MainWindow(bridge, book=book, account="1001@pbx.example.com")
    qtbot.addWidget(window)
    uploads = UploadQueue(tmp_path / "outbox", window)
    link = StoreLink(window, book, Settings(account=ANNA), None, uploads, Crm())  # type: ignore[arg-type]
    try:
        assert link.session is None and link.live is None
        link.follow(Settings(account=ANNA))  # saved again without a store: still nothing
        assert link.session is None and link.live is None
        link.follow(Settings(account=ANNA, store=StoreSection(url=store.base_url)))
        live = link.live
        assert live is not None and link.session is not None
        heard: list[dict[str, object]] = []
        live.received.connect(heard.append)
        qtbot.waitUntil(lambda: any(e["type"] == "hello" for e in heard), timeout=10000)
        assert heard[-1]["user"] == "anna"
        assert link.session.identity is not None and link.session.identity.name == "anna"
        session = link.session
        link.follow(Settings(account=ANNA, store=StoreSection(url=store.base_url)))
        assert link.session is session and link.live is live  # followed, not made twice
    finally:
        link.close()
        uploads.close()

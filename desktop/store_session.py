"""The desktop's session with the central store: who the operator is there (the token's
owner, ``GET /me``, never the SIP user), its client, the live presence for the supervisors'
board, and opening past calls for review (the CRM card's play buttons; in demo mode also as the
demo QA controller). The composition root connects it to the window.

The token is read from the keyring (or the demo's session secret) off the UI thread; what is
wrong with it or the store (no token, a refused one, a user who may not act as an agent, the
store unreachable or not a store) is said in words, with what to do.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from desktop import secret_store
from desktop.agent.identity import (
    KEYRING,
    NO_TOKEN,
    NOT_AGENT,
    NOT_STORE,
    TOKEN_REFUSED,
    UNREACHABLE,
    Identity,
    IdentityProblem,
    who_am_i,
)
from desktop.agent.presence import PresencePublisher
from desktop.operator.presence_feed import CallSnapshot
from desktop.qa.window import QaWindow
from desktop.supervisor.window import MenuHost
from desktop.threads import run_in_thread
from store.client import StoreClient
from store.client_errors import StoreUnavailable
from store.client_types import Presence

log = logging.getLogger(__name__)


TOKEN_KINDS = frozenset({NO_TOKEN, KEYRING, TOKEN_REFUSED, NOT_AGENT})  # fixed by a new token
RECHECK_MS = 30_000  # while there is a problem, /me is asked again this often
REFUSED_RECHECK_MS = 10_000  # a refusal seen elsewhere asks /me again, at most this often


class StoreSession(QObject):
    """The client of the store and who the operator is there (``GET /me``, off the UI thread,
    at start, when the settings change, and again after a refusal).

    ``identity_changed(Identity)`` when /me answers for a new user or token;
    ``problem_changed(str, str)`` with the words for the window and the short reason for the
    upload backlog ('' and '' once fine).
    """

    identity_changed = Signal(object)
    problem_changed = Signal(str, str)
    refused = Signal(object)  # a refusal seen on another thread (presence): ask /me again

    def __init__(
        self,
        url: str,
        ca_file: str,
        extension: str = "",
        parent: QObject | None = None,
        *,
        needs_agent: bool = False,
    ) -> None:
        super().__init__(parent)
        self.url, self.ca_file = url, ca_file
        self.extension = extension  # this PC's SIP user: rides along, never the agent
        self.needs_agent = needs_agent  # this desktop takes calls
        self.client: StoreClient | None = None
        self.identity: Identity | None = None
        self.problem: IdentityProblem | None = None
        self.presence: PresencePublisher | None = None
        self.calls: CallSnapshot | None = None  # what the presence tells of the calls
        self._review: QaWindow | None = None
        self._pending_play: list[str] = []
        self._pending_review = False
        self._closed = False
        self._checking = False
        self._again = False
        self._token_fingerprint = ""
        self._on_ready: Callable[[StoreClient], None] | None = None
        self._old_clients: list[StoreClient] = []
        self.token_renewed = False  # the last identity came with another token than before
        self._recheck = QTimer(self)
        self._recheck.setSingleShot(True)
        self._recheck.timeout.connect(self.check)
        self._last_refusal_check = 0.0
        self.refused.connect(self._refused)

    def open(self, on_ready: Callable[[StoreClient], None]) -> None:
        """Ask the store who the token belongs to; ``on_ready(client)`` the first time it
        answers with a usable identity."""
        self._on_ready = on_ready
        self.check()

    def follow(self, url: str, ca_file: str) -> None:
        """The settings were saved (maybe a new address or token): ask again now."""
        self.url, self.ca_file = url, ca_file
        self.check()

    def check(self) -> None:
        """Ask ``/me`` off the UI thread (once at a time; asked again after one running)."""
        if self._closed:
            return
        if self._checking:
            self._again = True
            return
        self._checking, self._again = True, False
        self._recheck.stop()
        url, ca_file, extension = self.url, self.ca_file, self.extension
        token_seen: list[str] = []

        def read_token() -> str | None:
            token = secret_store.read_store_token(url)
            token_seen.append(_fingerprint(token or ""))
            return token

        def make_client(token: str) -> StoreClient:
            return StoreClient(url, token, ca_bundle=ca_file or None, timeout=5)

        def ask() -> tuple[StoreClient | None, Identity | IdentityProblem]:
            return who_am_i(read_token, make_client, extension, self.needs_agent)

        def answered(future: Future[tuple[StoreClient | None, Identity | IdentityProblem]]) -> None:
            self._checking = False
            try:
                client, answer = future.result()
            except Exception as exc:  # a bug: say so in the log, keep the session
                log.exception("store: asking who the token belongs to failed")
                client, answer = None, IdentityProblem(UNREACHABLE, repr(exc))
            self._answered(client, answer, token_seen[0] if token_seen else "")
            if self._again:
                self.check()

        run_in_thread(ask, answered)

    def _answered(
        self, client: StoreClient | None, answer: Identity | IdentityProblem, token: str
    ) -> None:
        if self._closed:
            if client is not None:
                client.close()
            return
        if client is not None and client is not self.client:
            if self.client is not None:  # the review window may still hold it: closed at exit
                self._old_clients.append(self.client)
            self.client = client
        if isinstance(answer, IdentityProblem):
            self._set_problem(answer)
            self._recheck.start(RECHECK_MS)
            return
        changed = answer != self.identity or token != self._token_fingerprint
        # The worker that uploads read the token when it started: a new one needs a restart.
        self.token_renewed = bool(self._token_fingerprint and token != self._token_fingerprint) or (
            self.problem is not None and self.problem.kind in TOKEN_KINDS
        )
        self.identity, self._token_fingerprint = answer, token
        self._set_problem(None)
        if answer.extension_differs:  # calls still go, as this user with this PC's extension
            log.warning("store: %s is at extension %s in the store, this PC is %s",
                        answer.name, answer.registered_extension, answer.extension)  # fmt: skip
            self.problem_changed.emit(extension_words(answer), "")
        if changed:
            log.info("store: the operator is %s (%s), extension %s", answer.name, answer.role,
                     answer.extension or "none")  # fmt: skip
            self.identity_changed.emit(answer)
        if self._on_ready is not None and self.client is not None:
            ready, self._on_ready = self._on_ready, None
            ready(self.client)
            if self._pending_review:
                self.show_review()
            for call_id in self._pending_play:
                self.play(call_id)
            self._pending_play.clear()

    def _set_problem(self, problem: IdentityProblem | None) -> None:
        if problem == self.problem:
            return
        self.problem = problem
        if problem is None:
            log.info("store: %s answers for this desktop again", self.url)
            self.problem_changed.emit("", "")
            return
        log.warning("store: %s: %s %s", self.url, problem.kind, problem.detail)
        self.problem_changed.emit(*problem_words(problem, self.url))

    def _refused(self, exc: object) -> None:
        """A request was refused or failed elsewhere: is it who we are? Ask /me again."""
        now = time.monotonic()
        if now - self._last_refusal_check < REFUSED_RECHECK_MS / 1000:
            return
        self._last_refusal_check = now
        log.info("store: refused (%s); asking who the token belongs to", exc)
        self.check()

    def agent_name(self) -> str:
        """The operator's name in the store ('' until /me answered)."""
        return self.identity.name if self.identity is not None else ""

    def put_presence(self, agent: str, snapshot: Presence) -> Presence:
        """For the presence thread: through the current client (replaced on a new token)."""
        client = self.client
        if client is None or not agent:
            raise StoreUnavailable("no identity in the store yet")
        return client.put_presence(agent, snapshot)

    def show_review(self) -> QaWindow | None:
        """The review window (search, player, scorecard) on this session's client; None until
        the client exists (asked again once it does)."""
        if self.client is None:
            self._pending_review = True
            return None
        if self._review is None:
            self._review = QaWindow(self.client)
        self._review.show()
        self._review.raise_()
        return self._review

    def play(self, call_id: str) -> None:
        """Open a past call in the review window (the store decides what this user may see)."""
        if self.client is None:
            self._pending_play.append(call_id)
            return
        review = self.show_review()
        if review is not None:
            review.open_call(call_id)

    def close(self) -> None:
        self._closed = True
        if self.presence is not None:
            self.presence.stop()
        if self._review is not None:
            self._review.close()
        self._recheck.stop()
        for client in [*self._old_clients, *([self.client] if self.client else [])]:
            client.close()


def problem_words(problem: IdentityProblem, url: str) -> tuple[str, str]:
    """What the window says (what is wrong and what to do) and the upload backlog's reason."""

    kind = problem.kind
    if kind == NO_TOKEN:
        words = QCoreApplication.translate(
            "StoreSession",
            "No store token is saved on this PC: nothing is sent to the store at %1 (calls and "
            "states are kept here). Ask your administrator for your token and enter it in "
            "Phone → Settings… → Store.",
        )
        short = QCoreApplication.translate("StoreSession", "no store token is saved")
    elif kind == KEYRING:
        words = QCoreApplication.translate(
            "StoreSession",
            "The system keyring cannot be read (%2), so the store token is unknown: nothing is "
            "sent to the store. Unlock the keyring (or log in to the desktop session again), "
            "then save the settings again.",
        )
        short = QCoreApplication.translate("StoreSession", "the keyring cannot be read")
    elif kind == TOKEN_REFUSED:
        words = QCoreApplication.translate(
            "StoreSession",
            "The store at %1 does not accept the saved token: it is wrong, expired or revoked. "
            "Nothing is sent until it is replaced (calls and states are kept here). Ask your "
            "administrator for a new token and enter it in Phone → Settings… → Store.",
        )
        short = QCoreApplication.translate(
            "StoreSession", "the store does not accept the saved token"
        )
    elif kind == NOT_AGENT:
        who = f"{problem.name} ({problem.role})" if problem.name else "?"
        words = QCoreApplication.translate(
            "StoreSession",
            "The saved store token belongs to %3, who may not take calls as an agent: calls and "
            "states are not accepted by the store (they are kept here). Enter your own agent "
            "token in Phone → Settings… → Store, or ask your administrator.",
        ).replace("%3", who)
        short = QCoreApplication.translate(
            "StoreSession", "the token's user %1 may not act as an agent"
        ).replace("%1", who)
    elif kind == NOT_STORE:
        words = QCoreApplication.translate(
            "StoreSession",
            "The address %1 does not answer like an AgentDesk store (%2). Check the store "
            "address in Phone → Settings… → Store: the store's own address, e.g. "
            "https://store.example.com. Calls and states are kept here meanwhile.",
        )
        short = QCoreApplication.translate(
            "StoreSession", "the store address does not answer like a store"
        )
    elif kind == UNREACHABLE:
        words = QCoreApplication.translate(
            "StoreSession",
            "The store at %1 cannot be reached (%2). Calls and states are kept on this PC and "
            "sent when it answers again. Check the network, or the store address in Phone → "
            "Settings… → Store.",
        )
        short = QCoreApplication.translate("StoreSession", "the store cannot be reached")
    else:
        words = QCoreApplication.translate(
            "StoreSession",
            "The store at %1 fails (%2). Calls and states are kept on this PC and sent when it "
            "works again; tell your administrator.",
        )
        short = QCoreApplication.translate("StoreSession", "the store fails")
    return words.replace("%1", url).replace("%2", problem.detail or "-"), short


def who_words(who: Identity) -> str:
    """The line a user without the softphone sees: who they are and where their work is."""
    if who.role == "agent":
        text = QCoreApplication.translate(
            "StoreSession",
            "You are an agent in the store, but no SIP account is set on this PC: calls cannot be "
            "taken. Enter your SIP account in Phone → Settings… and restart.",
        )
    elif who.role == "qa":
        text = QCoreApplication.translate(
            "StoreSession",
            "Signed in to the store as %1 (QA). Find and replay calls in Calls → Review calls…; "
            "there is no softphone on this PC.",
        )
    else:
        text = QCoreApplication.translate(
            "StoreSession",
            "Signed in to the store as %1 (%2). The live board and reports are in Supervisor → "
            "Agents and reports…, past calls in Calls → Review calls…; there is no softphone on "
            "this PC.",
        )
    return text.replace("%1", who.name).replace("%2", who.role)


def extension_words(who: Identity) -> str:
    """This PC's SIP extension is not the one the store has for the token's user."""
    return (
        QCoreApplication.translate(
            "StoreSession",
            "The store has %1 at extension %2, but this PC is registered as %3: calls are saved "
            "as %1 with extension %3. If this is not your PC or token, tell your administrator.",
        )
        .replace("%1", who.name)
        .replace("%2", who.registered_extension)
        .replace("%3", who.extension)
    )


def _fingerprint(token: str) -> str:
    """Tells tokens apart without keeping them."""
    return hashlib.sha256(token.encode()).hexdigest()[:16] if token else ""


def offer_demo_qa(window: MenuHost, url: str, token: str) -> None:
    """Demo mode: "Calls → Review as the demo QA controller…" opens the review window with the
    demo QA user's token (held in memory only), so a newcomer sees what QA sees."""
    opened: list[QaWindow] = []

    def open_window() -> None:
        if not opened:
            opened.append(QaWindow(StoreClient(url, token, timeout=5)))
        opened[0].show()
        opened[0].raise_()

    parent = window if isinstance(window, QWidget) else None
    text = QCoreApplication.translate("StoreSession", "Review calls as the demo &QA controller…")
    action = QAction(text, parent)
    action.setObjectName("openDemoQaReview")
    action.triggered.connect(open_window)
    window.add_menu_action(QCoreApplication.translate("QaWindow", "&Calls"), action)

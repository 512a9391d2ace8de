"""Who the operator is: the owner of the store token (``GET /me``), never the SIP user.

:func:`who_am_i` runs on a worker thread and answers an :class:`Identity` or an
:class:`IdentityProblem` whose ``kind`` says what is wrong (no token, a refused token, a user
who may not act as an agent, the store unreachable, an address that is not the store). No Qt:
the words shown to the operator are chosen by the Qt side from the kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from store.client import StoreClient
from store.client_errors import (
    AuthError,
    NotFoundError,
    PermissionDenied,
    ServerError,
    StoreError,
    StoreUnavailable,
)

AGENT_ROLES = frozenset({"agent", "supervisor", "admin"})  # may put calls and states
NO_TOKEN = "no_token"
KEYRING = "keyring"
TOKEN_REFUSED = "token_refused"
NOT_AGENT = "not_agent"
UNREACHABLE = "unreachable"
NOT_STORE = "not_store"
SERVER_ERROR = "server_error"


@dataclass(frozen=True)
class Identity:
    """The token's owner as the store knows it; ``extension`` is this PC's SIP user."""

    name: str
    role: str
    extension: str = ""
    registered_extension: str = ""  # the user's extension as the store keeps it, if it does

    @property
    def acts_as_agent(self) -> bool:
        return self.role in AGENT_ROLES

    @property
    def extension_differs(self) -> bool:
        """The store knows this user at another extension than this PC is registered as."""
        known = self.registered_extension
        return bool(known and self.extension and known != self.extension)


@dataclass(frozen=True)
class IdentityProblem:
    """Why there is no usable identity; ``detail`` is the technical cause (for the log and in
    brackets after the words), ``name``/``role`` are set for :data:`NOT_AGENT`."""

    kind: str
    detail: str = ""
    name: str = ""
    role: str = ""


def who_am_i(
    read_token: Callable[[], str | None],
    make_client: Callable[[str], StoreClient],
    extension: str,
    needs_agent: bool,
) -> tuple[StoreClient | None, Identity | IdentityProblem]:
    """Read the token, ask the store who it belongs to (blocking: call it off the UI thread).

    ``needs_agent``: this desktop takes calls, so the token's user must be allowed to act as
    an agent. The client is returned whenever one was made (the caller closes or keeps it).
    """
    try:
        token = read_token()
    except Exception as exc:  # a locked or missing keyring
        return None, IdentityProblem(KEYRING, f"{type(exc).__name__}: {exc}")
    if not token:
        return None, IdentityProblem(NO_TOKEN)
    client = make_client(token)
    try:
        me = client.me()
    except StoreError as exc:
        return client, problem_of(exc)
    registered = str(cast(dict[str, object], me).get("extension") or "")
    identity = Identity(str(me["name"]), str(me["role"]), extension, registered)
    if needs_agent and not identity.acts_as_agent:
        return client, IdentityProblem(NOT_AGENT, "", identity.name, identity.role)
    return client, identity


def plain_cause(message: str) -> str:
    """The part of a transport error a person can read: "Connection refused", "timed out",
    "certificate verify failed", "answers text/html" rather than the whole urllib3 chain."""
    if m := re.search(r"answered \S+ with (.+?), not JSON", message):
        return f"it answers {m.group(1)}, not the store's JSON"
    if m := re.search(r"\[Errno -?\d+\] ([^'\")]+)", message):
        return m.group(1).strip()
    for words in ("certificate verify failed", "timed out", "Name or service not known"):
        if words.lower() in message.lower():
            return words
    return message[:200]


def problem_of(exc: StoreError) -> IdentityProblem:
    """The kind of problem a failed ``/me`` (or any refused request) shows."""
    detail = plain_cause(exc.message)
    if isinstance(exc, AuthError):
        return IdentityProblem(TOKEN_REFUSED, detail)
    if isinstance(exc, PermissionDenied):
        return IdentityProblem(NOT_AGENT, detail)
    if isinstance(exc, StoreUnavailable):
        if "not JSON" in exc.message:  # a web page where the API should be
            return IdentityProblem(NOT_STORE, detail)
        return IdentityProblem(UNREACHABLE, detail)
    if isinstance(exc, ServerError):
        return IdentityProblem(SERVER_ERROR, detail)
    if isinstance(exc, NotFoundError) or exc.status in (405, 400):
        return IdentityProblem(NOT_STORE, detail)
    return IdentityProblem(SERVER_ERROR, detail)

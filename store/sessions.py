"""Web console sessions: sign-in with a password, a server-side session per browser, its CSRF
token, and throttling of failed sign-ins per user and per client address.

The browser holds only a random session token (an httpOnly, SameSite=Strict cookie); the
database keeps its SHA-256, the user, a CSRF token and the expiry. Signing out deletes the row.
A state-changing request made with the cookie must carry the session's CSRF token (header
`X-CSRF-Token` or form field `csrf`). Bearer tokens are untouched by any of this.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from store.db import Database
from store.errors import Forbidden, TooManyRequests, Unauthorized
from store.models import Role
from store.users import Principal, check_password, now_us

__all__ = ["now_us"]

SESSION_COOKIE = "agentdesk_session"
SESSION_HOURS = 12
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Failed sign-ins in the last WINDOW: at USER_LIMIT for one user name, or ADDRESS_LIMIT from one
# address, further attempts are refused (even with the right password) until the oldest of
# them is older than the window.
WINDOW_S = 15 * 60
USER_LIMIT = 5
ADDRESS_LIMIT = 20


@dataclass(frozen=True)
class Session:
    who: Principal
    csrf: str
    expires_us: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _retry_after(db: Database, column: str, value: str, limit: int) -> int | None:
    since = now_us() - WINDOW_S * 1_000_000
    rows = db.query(
        f"SELECT at_us FROM sign_in_failures WHERE {column} = ? AND at_us > ? "
        "ORDER BY at_us DESC LIMIT ?",
        (value, since, limit),
    )
    if len(rows) < limit:
        return None
    oldest = min(int(r["at_us"]) for r in rows)
    return max(1, (oldest - since) // 1_000_000 + 1)


def check_throttle(db: Database, name: str, address: str) -> None:
    """TooManyRequests while this user or this address has too many recent failures."""
    limits = (("user_name", name, USER_LIMIT), ("address", address, ADDRESS_LIMIT))
    for column, value, limit in limits:
        wait = _retry_after(db, column, value, limit)
        if wait is not None:
            raise TooManyRequests(
                f"too many failed sign-ins; try again in {wait} s", retry_after_s=int(wait)
            )


def sign_in(db: Database, name: str, password: str, address: str) -> tuple[str, Session]:
    """A new session (its token, shown once, and the session) if the password is right.

    Unauthorized for a wrong name or password or a disabled user (one message for all),
    TooManyRequests while throttled. `pbx` users never get a session."""
    name = name.strip()[:64]
    check_throttle(db, name, address)
    who = check_password(db, name, password)
    if who is None or who.role is Role.pbx:
        db.execute(
            "INSERT INTO sign_in_failures (user_name, address, at_us) VALUES (?, ?, ?)",
            (name, address, now_us()),
        )
        raise Unauthorized("wrong user name or password")
    db.execute("DELETE FROM sign_in_failures WHERE user_name = ?", (name,))
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = now_us()
    expires = now + SESSION_HOURS * 3_600_000_000
    db.execute(
        "INSERT INTO web_sessions (token_hash, user_id, csrf, address, created_us, expires_us) "
        "SELECT ?, id, ?, ?, ?, ? FROM users WHERE name = ?",
        (_hash(token), csrf, address, now, expires, who.name),
    )
    db.execute("DELETE FROM web_sessions WHERE expires_us <= ?", (now,))
    return token, Session(who, csrf, expires)


def session_of(db: Database, token: str | None) -> Session | None:
    """The live session of this cookie value, None if none (unknown, expired, user disabled)."""
    if not token or len(token) > 200:
        return None
    row = db.one(
        "SELECT u.name, u.role, u.disabled, s.csrf, s.expires_us FROM web_sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        (_hash(token),),
    )
    if row is None or row["disabled"] or int(row["expires_us"]) <= now_us():
        return None
    return Session(Principal(row["name"], Role(row["role"])), row["csrf"], int(row["expires_us"]))


def csrf_ok(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())


def principal_of_cookie(db: Database, token: str, method: str, csrf: str | None) -> Principal:
    """The API's caller for a request signed in by cookie: state-changing methods need the
    session's CSRF token in `X-CSRF-Token`."""
    session = session_of(db, token)
    if session is None:
        raise Unauthorized("the web session has expired or was signed out; sign in again")
    if method.upper() not in SAFE_METHODS and not csrf_ok(session, csrf):
        raise Forbidden("missing or wrong CSRF token (X-CSRF-Token)", "csrf")
    return session.who


def sign_out(db: Database, token: str | None) -> None:
    if token:
        db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (_hash(token),))

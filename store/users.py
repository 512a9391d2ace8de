"""Users, roles and bearer tokens. Tokens are random; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from store import board_cache
from store.db import Database, IntegrityError
from store.errors import Conflict, Invalid, NotFound, Unauthorized
from store.models import EXTENSION_PATTERN, NAME_PATTERN, Role

TOKEN_PREFIX = "adt_"


def now_us() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user name and a role."""

    name: str
    role: Role

    @property
    def sees_all(self) -> bool:
        """Everyone but agents sees every agent's calls; agents only their own."""
        return self.role is not Role.agent


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _extension(extension: str | None) -> str | None:
    """A valid SIP extension, or None for "" / None (no extension)."""
    if not extension:
        return None
    if not re.fullmatch(EXTENSION_PATTERN, extension):
        raise Invalid(f"bad extension {extension!r}: letters, digits and *#+._- only, up to 32")
    return extension


def add_user(db: Database, name: str, role: str, extension: str | None = None) -> None:
    if not re.fullmatch(NAME_PATTERN, name):
        raise Invalid(f"bad user name {name!r}: letters, digits and ._@- only, up to 64")
    try:
        role_ = Role(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}: one of {', '.join(r.value for r in Role)}") from None
    try:
        db.execute(
            "INSERT INTO users (name, role, created_us, extension) VALUES (?, ?, ?, ?)",
            (name, role_.value, now_us(), _extension(extension)),
        )
    except IntegrityError:
        raise Conflict(f"user {name!r} already exists") from None
    board_cache.changed(db)


def set_disabled(db: Database, name: str, disabled: bool) -> None:
    if not db.execute("UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name)):
        raise NotFound(f"no user {name!r}")
    board_cache.changed(db)


def set_extension(db: Database, name: str, extension: str | None) -> None:
    """Give the user a SIP extension; "" or None removes it."""
    value = _extension(extension)
    if not db.execute("UPDATE users SET extension = ? WHERE name = ?", (value, name)):
        raise NotFound(f"no user {name!r}")
    board_cache.changed(db)


def profile(db: Database, who: Principal) -> dict[str, object]:
    """Who the token belongs to: name, role, SIP extension and team."""
    row = db.one("SELECT extension, team FROM users WHERE name = ?", (who.name,))
    return {
        "name": who.name,
        "role": who.role,
        "extension": row["extension"] if row else None,
        "team": row["team"] if row else None,
    }


def list_users(db: Database) -> list[dict[str, object]]:
    return db.query(
        "SELECT name, role, disabled, created_us, extension, team FROM users ORDER BY name"
    )


def issue_token(db: Database, name: str, days: float | None = 365) -> tuple[str, int | None]:
    """A new token for the user (shown once) and its expiry in µs (None = never)."""
    user = db.one("SELECT id FROM users WHERE name = ?", (name,))
    if user is None:
        raise NotFound(f"no user {name!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = None if days is None else now_us() + int(days * 86_400_000_000)
    db.execute(
        "INSERT INTO tokens (user_id, token_hash, created_us, expires_us) VALUES (?, ?, ?, ?)",
        (user["id"], hash_token(token), now_us(), expires),
    )
    return token, expires


def revoke_tokens(db: Database, name: str) -> int:
    """Revoke every token of the user; returns how many were active."""
    return db.execute(
        "UPDATE tokens SET revoked = 1 WHERE revoked = 0 AND user_id = "
        "(SELECT id FROM users WHERE name = ?)",
        (name,),
    )


def authenticate(db: Database, token: str) -> tuple[Principal, int | None]:
    """The principal a bearer token stands for and the token's expiry (µs, None = never);
    Unauthorized saying why not."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthorized("malformed token: expected an AgentDesk store token (adt_…)")
    row = db.one(
        "SELECT u.name, u.role, u.disabled, t.expires_us, t.revoked FROM tokens t "
        "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
        (hash_token(token),),
    )
    if row is None:
        raise Unauthorized("unknown token")
    if row["revoked"]:
        raise Unauthorized("token revoked")
    if row["expires_us"] is not None and row["expires_us"] <= now_us():
        when = datetime.fromtimestamp(row["expires_us"] / 1e6, UTC).isoformat(timespec="seconds")
        raise Unauthorized(f"token expired at {when}")
    if row["disabled"]:
        raise Unauthorized(f"user {row['name']!r} is disabled")
    return Principal(row["name"], Role(row["role"])), row["expires_us"]


class TokenCache:
    """Recently verified tokens, so most requests skip the database and a thread hop.

    An entry lives `ttl_s` seconds at most (never past the token's expiry): revoking a token
    or disabling a user takes effect within that time.
    """

    def __init__(self, ttl_s: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl_us = int(ttl_s * 1e6)
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Principal, int]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[1] <= now_us():
            self._entries.pop(token, None)
            return None
        return entry[0]

    def put(self, token: str, who: Principal, expires_us: int | None) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        until = now_us() + self.ttl_us
        self._entries[token] = (who, until if expires_us is None else min(until, expires_us))


# Passwords for the web console: argon2id (argon2-cffi's defaults: 64 MiB, 3 passes), only
# the encoded hash is kept. An unknown user is checked against a dummy hash so that a wrong
# name takes as long as a wrong password.
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


_DUMMY_HASH: list[str] = []


def set_password(db: Database, name: str, password: str) -> None:
    """Give the user a password (at least 8 characters); replaces the old one and ends the
    user's web sessions (signed in with the old one)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    encoded = _hasher().hash(password)
    with db.transaction():
        if not db.execute("UPDATE users SET password_hash = ? WHERE name = ?", (encoded, name)):
            raise NotFound(f"no user {name!r}")
        db.execute(
            "DELETE FROM web_sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)",
            (name,),
        )


def check_password(db: Database, name: str, password: str) -> Principal | None:
    """The user if the password is theirs and they are enabled, else None (same time)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    row = db.one("SELECT name, role, disabled, password_hash FROM users WHERE name = ?", (name,))
    encoded = row["password_hash"] if row else None
    if not encoded:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hasher.hash("not a password of anyone"))
        encoded = _DUMMY_HASH[0]
    try:
        hasher.verify(encoded, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row["password_hash"] or row["disabled"]:
        return None
    if hasher.check_needs_rehash(encoded):
        rehashed = hasher.hash(password)
        db.execute("UPDATE users SET password_hash = ? WHERE name = ?", (rehashed, name))
    return Principal(row["name"], Role(row["role"]))

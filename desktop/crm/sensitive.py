"""Values of sensitive dialog-card fields (card numbers and the like, PCI DSS / 152-FZ).

What leaves the dialog card (the store's call card, the CRM post, QA's card marks) is never
the value in clear but, as the field's ``sensitive=`` flag says:

- ``mask`` (the default): the last characters only, at most 4, the rest ``*``;
- ``hash``: ``hmac-sha256:<hex>`` of the value (spaces and dashes removed), keyed by a secret
  kept in the keyring (:data:`HASH_KEY_NAME`); the same number gives the same hash on every
  desktop sharing the key, so calls can be matched without the number. Without the key the
  value is dropped (fail closed);
- ``drop``: nothing.

The value in clear is held only by the field's editor and by a :class:`Secret`, whose repr
never shows it (logs, crash reports with locals).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any

from desktop import secret_store

log = logging.getLogger(__name__)

PROTECTIONS = ("mask", "hash", "drop")
HASH_KEY_NAME = "card-hash-key"  # keyring user (service ``agentdesk``)
VISIBLE = 4


class Secret:
    """A value in clear that does not show itself (``repr``/``str`` say ``***``)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("a Secret is not pickled")


def _compact(value: str) -> str:
    return "".join(c for c in value if not c.isspace() and c != "-")


def masked(value: str) -> str:
    """``value`` without spaces and dashes, all but its last characters as ``*``: at most 4
    stay visible, and never more than a quarter of it (a short value shows less)."""
    chars = _compact(value)
    keep = min(VISIBLE, len(chars) // 4)
    return "*" * (len(chars) - keep) + chars[len(chars) - keep :]


def keyed_hash(value: str, key: bytes) -> str:
    digest = hmac.new(key, _compact(value).encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def protect(value: str, how: str, key: bytes | None) -> str | None:
    """What may leave the PC of ``value`` (None: nothing); see the module docstring."""
    if not value:
        return ""
    if how == "mask":
        return masked(value)
    if how == "hash" and key:
        return keyed_hash(value, key)
    return None


def read_hash_key() -> bytes:
    """The hashing key from the keyring, made and kept there on first use (worker thread:
    the keyring may block). SecretStoreError when no keyring works."""
    what = "the key for hashing sensitive card fields"
    text = secret_store.read_named_secret(HASH_KEY_NAME, what)
    if not text:
        text = secrets.token_hex(32)
        secret_store.store_named_secret(HASH_KEY_NAME, text, what)
        log.info("a new key for hashing sensitive card fields is kept in the keyring")
    return text.encode()

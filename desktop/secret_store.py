"""SIP passwords in the OS keyring (service ``agentdesk``, user ``<user>@<domain>``).

Passwords never go to the settings file or the log. When no keyring backend is available the
error says so plainly and how to fix it, instead of keyring's generic text.
"""

from __future__ import annotations

import keyring
import keyring.errors
from keyring.backends import fail, null

SERVICE = "agentdesk"
# Secrets of this run only (the demo's store tokens): kept in memory, never written anywhere.
_SESSION: dict[str, str] = {}


class SecretStoreError(Exception):
    """The keyring cannot be used; the message says why and what to do."""


def keyring_user(user: str, domain: str) -> str:
    return f"{user}@{domain}"


def backend_problem() -> str | None:
    """Why passwords cannot be kept in the keyring here, or None when a backend is usable."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return (
            "no OS keyring is available (no Secret Service, KWallet, macOS Keychain or "
            "Windows Credential Manager was found)"
        )
    if isinstance(backend, null.Keyring):
        return "the keyring is switched off (keyring's null backend is configured)"
    return None


def _unavailable(user: str, why: str) -> SecretStoreError:
    return SecretStoreError(
        f"the SIP password for {user} cannot be used: {why}. Install and unlock a keyring "
        f"(e.g. GNOME Keyring), then store the password with: keyring set {SERVICE} {user}"
    )


def read_password(user: str, domain: str) -> str | None:
    """The stored password, None when none is stored; SecretStoreError when no keyring works.

    May block (a keyring can ask to be unlocked): call it off the UI thread.
    """
    name = keyring_user(user, domain)
    if name in _SESSION:
        return _SESSION[name]
    problem = backend_problem()
    if problem is not None:
        raise _unavailable(name, problem)
    try:
        return keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError as exc:
        raise _unavailable(name, f"the keyring failed ({type(exc).__name__})") from None


def store_password(user: str, domain: str, password: str) -> None:
    """Keep ``password`` in the keyring; SecretStoreError when no keyring works."""
    name = keyring_user(user, domain)
    problem = backend_problem()
    if problem is not None:
        raise _unavailable(name, problem)
    try:
        keyring.set_password(SERVICE, name, password)
    except keyring.errors.KeyringError as exc:
        raise _unavailable(name, f"the keyring failed ({type(exc).__name__})") from None


# One store per operator: the recorder worker's uploader reads the same keyring entry.
STORE_TOKEN_USER = "store-token"


def read_store_token(url: str) -> str | None:
    """The API token of the store at ``url``, None when none is stored; SecretStoreError when
    no keyring works. May block (a keyring can ask to be unlocked): call it off the UI thread.
    """
    return _read(STORE_TOKEN_USER, f"the token of the store at {url}")


def store_store_token(url: str, token: str) -> None:
    """Keep the store's API token in the keyring; SecretStoreError when no keyring works."""
    _write(STORE_TOKEN_USER, token, f"the token of the store at {url}")


def hold_for_session(name: str, secret: str) -> None:
    """Use ``secret`` for keyring entry ``name`` in this process only (nothing is persisted)."""
    _SESSION[name] = secret


def read_named_secret(name: str, what: str) -> str | None:
    """Another secret (e.g. the CRM's, user ``crm@<host>``); see :func:`read_store_token`."""
    return _read(name, what)


def _read(name: str, what: str) -> str | None:
    if name in _SESSION:
        return _SESSION[name]
    problem = backend_problem()
    if problem is not None:
        raise _unavailable_secret(what, name, problem)
    try:
        return keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError as exc:
        why = f"the keyring failed ({type(exc).__name__})"
        raise _unavailable_secret(what, name, why) from None


def _write(name: str, secret: str, what: str) -> None:
    problem = backend_problem()
    if problem is not None:
        raise _unavailable_secret(what, name, problem)
    try:
        keyring.set_password(SERVICE, name, secret)
    except keyring.errors.KeyringError as exc:
        why = f"the keyring failed ({type(exc).__name__})"
        raise _unavailable_secret(what, name, why) from None


def _unavailable_secret(what: str, name: str, why: str) -> SecretStoreError:
    return SecretStoreError(
        f"{what} cannot be kept: {why}. Install and unlock a keyring (e.g. GNOME Keyring), "
        f"then store it with: keyring set {SERVICE} {name}"
    )


def store_named_secret(name: str, secret: str, what: str) -> None:
    """Keep another secret (e.g. the CRM's, user ``crm@<host>``) in the keyring."""
    _write(name, secret, what)

"""SIP passwords in the OS keyring (service ``agentdesk``, user ``<user>@<domain>``).

Passwords never go to the settings file or the log. When no keyring backend is available the
error says so plainly and how to fix it, instead of keyring's generic text.
"""

from __future__ import annotations

import keyring
import keyring.errors
from keyring.backends import fail, null

SERVICE = "agentdesk"


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

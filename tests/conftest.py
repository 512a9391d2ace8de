"""Every test process keeps the app's data and settings in a temporary home of its own —
never the user's ``~/.local/share/agentdesk`` or ``~/.config/agentdesk`` — and so do the
processes it starts (they inherit the environment). Set before anything asks Qt for them."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

_home = tempfile.mkdtemp(prefix="agentdesk-test-home-")
os.environ["XDG_DATA_HOME"] = os.path.join(_home, "data")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_home, "config")
atexit.register(shutil.rmtree, _home, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_session_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets a test holds for its session (desktop.secret_store.hold_for_session: the demo's
    and the deployment tests' tokens) end with that test: they would answer every later
    keyring read in this process."""
    from desktop import secret_store

    monkeypatch.setattr(secret_store, "_SESSION", {})

"""``agentdesk --self-test`` on this machine: a real X screen, the real SIP stack, a real store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.recorder_kit import xvfb  # noqa: F401 - fixture
from tests.integration.store_kit import running_store
from tests.servers.ports import free_port
from tests.servers.xvfb import XvfbServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with running_store(request, tmp_path_factory.mktemp("self-test-store")) as server:
        yield server.base_url


def self_test(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--self-test", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def lines(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    found = {}
    for line in done.stdout.splitlines():
        status, _, rest = line.partition(" ")
        name, _, detail = rest.strip().partition(": ")
        found[name] = f"{status} {detail}"
    return found


def test_every_check_passes_with_a_screen_and_a_store(
    xvfb: XvfbServer,  # noqa: F811
    store_url: str,
    tmp_path: Path,
) -> None:
    env = xvfb.env(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = self_test(env, "--store", store_url)
    assert done.returncode == 0, done.stdout + done.stderr
    found = lines(done)
    assert found["imports"].startswith("ok")
    assert found["sip"].startswith("ok") and "200 OK" in found["sip"]
    assert found["screen"].startswith("ok") and "decoded" in found["screen"]
    assert found["store"].startswith("ok") and store_url in found["store"]
    # Only the report goes to stdout (pjlib's banner is kept off it).
    assert found["worker"].startswith("ok") and "stopped cleanly" in found["worker"]
    assert set(found) == {"imports", "sip", "screen", "worker", "store"}, done.stdout


def test_failures_are_listed_with_their_reason(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    dead_store = f"http://127.0.0.1:{free_port()}"
    done = self_test(env, "--store", dead_store)
    assert done.returncode == 1
    found = lines(done)
    assert found["sip"].startswith("ok")
    assert found["screen"].startswith("FAIL") and "DISPLAY" in found["screen"]
    assert found["store"].startswith("FAIL") and "127.0.0.1" in found["store"]
    assert "FAILED (screen, store)" in done.stderr

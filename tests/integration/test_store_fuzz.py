"""Schemathesis fuzzes the live server's /openapi.json: no request may yield a 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from store.client import StoreClient
from tests.integration.store_kit import BACKENDS, start_store

pytestmark = pytest.mark.integration
EXAMPLES = 30  # per operation; ~30 operations run in under 20 s per backend


# Both databases and both blob stores, in two runs: SQLite + folder, PostgreSQL + S3.
@pytest.mark.parametrize("backend", [BACKENDS[0], BACKENDS[2]])
def test_openapi_fuzz_finds_no_server_error(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    server = start_store(request, tmp_path / "data", backend, ["--max-upload-mb", "1"])
    # Real ids for path parameters, so requests get past "not found" into the handlers.
    with StoreClient(server.base_url, server.tokens["ada"]) as admin:
        admin.put_call("fuzz-call", {"agent": "alice", "direction": "inbound", "started_us": 1})
        sha = admin.upload_bytes(b"fuzz media", "audio/wav")["sha256"]
        admin.link_media("fuzz-call", sha, "audio")
        form = admin.create_form("fuzz form", [{"key": "a", "label": "A", "max_score": 5}])
    (tmp_path / "schemathesis.toml").write_text(
        f'[parameters]\ncall_id = "fuzz-call"\nsha256 = "{sha}"\nagent = "alice"\n'
        f'form_id = {form["id"]}\nnumber = "+15550100"\n'
    )
    try:
        st = Path(sys.executable).with_name("st")
        result = subprocess.run(
            [
                str(st), "run", f"{server.base_url}/openapi.json",
                "-H", f"Authorization: Bearer {server.tokens['ada']}",
                "--checks", "not_a_server_error",
                "--max-examples", str(EXAMPLES),
                "--suppress-health-check", "all",
                "--generation-database", "none",
                "--request-timeout", "10",
                "--seed", "4242",
                "--no-color",
            ],
            capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
        )  # fmt: skip
    finally:
        server.stop()
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert "Traceback" not in server.log(), server.log()

"""Schemathesis against the live server's /openapi.json: no request may yield a 5xx, and every
answer is what the description says (status codes, bodies, headers, Allow)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from store.client import StoreClient
from tests.integration.store_kit import BACKENDS, start_store
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration
EXAMPLES = 30  # per operation; ~30 operations run in under 20 s per backend

# A schema-valid request may still break a rule of the store that no schema can state: a body
# whose SHA-256 is not the URL's, a PATCH whose merged call is invalid, an evaluation missing
# a criterion, to_us before from_us, a range past the media's end, a commit with nothing
# staged. Those answer 416/422 with the store's Problem body, which the description declares.
CONFORMANCE = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "410", "416", "422", "429"]
"""


def _fuzz(server: StoreServer, tmp_path: Path, checks: str, examples: int, extra: str = "") -> str:
    """Run `st run` with real ids for path parameters (so requests get past "not found" into
    the handlers); the report if it found anything, else ""."""
    with StoreClient(server.base_url, server.tokens["ada"]) as admin:
        admin.put_call("fuzz-call", {"agent": "alice", "direction": "inbound", "started_us": 1})
        sha = admin.upload_bytes(b"fuzz media", "audio/wav")["sha256"]
        admin.link_media("fuzz-call", sha, "audio")
        form = admin.create_form("fuzz form", [{"key": "a", "label": "A", "max_score": 5}])
    (tmp_path / "schemathesis.toml").write_text(
        f'[parameters]\ncall_id = "fuzz-call"\nsha256 = "{sha}"\nagent = "alice"\n'
        f'form_id = {form["id"]}\nnumber = "+15550100"\n'
        # No such watch: the fixed agent above would otherwise turn a request made invalid
        # through its agent back into a valid one for a watch the fuzzer opened.
        f"watch_id = 999999999\n{extra}"
    )
    try:
        st = Path(sys.executable).with_name("st")
        result = subprocess.run(
            [
                str(st), "run", f"{server.base_url}/openapi.json",
                "-H", f"Authorization: Bearer {server.tokens['ada']}",
                "--checks", checks,
                "--max-examples", str(examples),
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
    assert "Traceback" not in server.log(), server.log()
    return "" if result.returncode == 0 else result.stdout[-8000:] + result.stderr[-2000:]


# Both databases and both blob stores, in two runs: SQLite + folder, PostgreSQL + S3.
@pytest.mark.parametrize("backend", [BACKENDS[0], BACKENDS[2]])
def test_openapi_fuzz_finds_no_server_error(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    server = start_store(request, tmp_path / "data", backend, ["--max-upload-mb", "1"])
    report = _fuzz(server, tmp_path, "not_a_server_error", EXAMPLES)
    assert not report, report


def test_every_answer_is_what_the_openapi_description_says(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Every check schemathesis has: documented status codes, response bodies valid against
    their declared models (422 included), schema-valid input accepted and invalid refused,
    auth enforced, Allow on 405, content types; bounded to stay well under a minute."""
    server = start_store(request, tmp_path / "data", "sqlite", ["--max-upload-mb", "1"])
    report = _fuzz(server, tmp_path, "all", 20, CONFORMANCE)
    assert not report, report

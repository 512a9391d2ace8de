"""Transcripts on PostgreSQL: two worker processes drain the same queue, each call
transcribed exactly once (``FOR UPDATE SKIP LOCKED``), and phrase search goes through the
Russian and English text-search configurations (inflected forms match)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from tests.integration.store_kit import store_with_clients
from tests.integration.test_transcripts_speech import Line, phrase_search, transcript, upload_call
from tests.servers.store import store_command

pytestmark = pytest.mark.integration


def test_two_workers_share_the_calls_without_double_work(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with store_with_clients(request, tmp_path / "store", "postgresql") as store:
        scripts = [
            [Line("operator", 0.3, "Hello, customer support, Anna speaking.", "en-us"),
             Line("customer", 3.5, "I would like to close my account please.", "en-us")],
            [Line("operator", 0.3, "Good morning, technical support.", "en-us"),
             Line("customer", 3.0, "My router does not switch on any more.", "en-us")],
            [Line("operator", 0.3, "Спасибо, всего доброго.", "ru"),
             Line("customer", 3.0, "Добрый день. У меня не работает интернет.", "ru")],
            [Line("operator", 0.3, "Hello, billing department.", "en-us"),
             Line("customer", 2.5, "I was charged twice this month.", "en-us")],
        ]  # fmt: skip
        ids = [upload_call(store, tmp_path, lines, 8.0)[0] for lines in scripts]
        subprocess.run(
            [*store_command(), "transcribe-language", "ru-line", "ru", *store.server.db_args()],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        command = [*store_command(), "transcribe", *store.server.db_args(), "--once"]
        workers = [
            subprocess.Popen(
                [*command, "--threads", "1", "--name", f"worker-{n}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in (1, 2)
        ]
        logs = []
        try:
            for proc in workers:
                logs.append(proc.communicate(timeout=300)[1])
        finally:
            for proc in workers:  # none left running, no pipe left open
                if proc.poll() is None:
                    proc.kill()
                proc.communicate()
        assert [proc.returncode for proc in workers] == [0, 0], logs
        docs = [transcript(store, call_id) for call_id in ids]
        assert [d["job"]["status"] for d in docs] == ["done"] * 4, [d["job"] for d in docs]
        assert [d["job"]["attempts"] for d in docs] == [1] * 4  # nobody took a call twice
        done_by = [d["job"]["worker"] for d in docs]
        assert set(done_by) == {"worker-1", "worker-2"}, done_by  # both worked
        assert sum(log.count(" transcribed in ") for log in logs) == 4, logs
        assert docs[2]["language"] == "ru" and docs[0]["language"] == "en"

        # PostgreSQL full text: inflected forms, by side, with the call filters.
        found = phrase_search(store, "close my accounts", side="customer")
        assert [c["id"] for c in found["items"]] == [ids[0]], found
        assert phrase_search(store, "интернета", side="customer")["items"][0]["id"] == ids[2]
        assert phrase_search(store, "интернета", side="operator")["total"] == 0
        assert phrase_search(store, "support")["total"] == 2
        assert phrase_search(store, "support", agent="bob")["total"] == 0
        r = requests.get(
            f"{store.url}/api/v1/transcripts/jobs",
            headers={"Authorization": f"Bearer {store.server.tokens['alice']}"},
            timeout=10,
        )
        assert r.status_code == 403  # agents do not see the job queue

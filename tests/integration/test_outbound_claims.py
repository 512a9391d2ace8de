"""Outbound claims on PostgreSQL through the real store: two desktops' claim code in two
processes share 200 contacts without ever getting the same one, a desktop killed while holding
a task gives it back once its lease runs out (and not before: heartbeats keep it), a malformed
contact file is refused whole with its lines named, and the results export adds up."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from store.client import InvalidRequest
from tests.integration.store_kit import Store, store_with_clients

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
ALL_DAY = {"start": "00:00", "end": "24:00", "days": [1, 2, 3, 4, 5, 6, 7]}
REPO = Path(__file__).resolve().parents[2]


def claimer(store: Store, user: str, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "AGENTDESK_TEST_TOKEN": store.server.tokens[user], "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.outbound_claimer", store.url, mode],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip


def test_claims_on_postgresql(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    with store_with_clients(request, tmp_path / "store", "postgresql") as store:
        made = store.sam.create_campaign("winter", {"hours": ALL_DAY, "lease_s": 3})
        bad = b"phone,name\n+74955550001,Ann\n12,Bob\n+74955550003,Cid,extra\n"
        with pytest.raises(InvalidRequest) as refused:
            store.sam.import_contacts(made["id"], bad)
        assert "line 3: '12' is not a phone number" in str(refused.value)
        assert "line 4: 3 fields, the header has 2" in str(refused.value)
        rows = "".join(f"+7495{n:07d},Contact {n}\n" for n in range(200))
        report = store.sam.import_contacts(made["id"], f"phone,name\n{rows}".encode())
        assert report["imported"] == 200  # the bad file left nothing behind

        drains = [claimer(store, user, "drain") for user in ("alice", "bob")]
        outputs = [proc.communicate(timeout=60) for proc in drains]
        assert [p.returncode for p in drains] == [0, 0], [err for _, err in outputs]
        got = [[int(line) for line in out.split()] for out, _ in outputs]
        assert len(got[0]) + len(got[1]) == 200 and got[0] and got[1], [len(g) for g in got]
        assert not set(got[0]) & set(got[1])  # never the same contact twice
        assert len(set(got[0]) | set(got[1])) == 200
        progress = store.sam.campaign_progress(made["id"])
        assert (progress["done"], progress["due_now"], progress["outcomes"]) == (
            200, 0, {"sold": 200},
        )  # fmt: skip
        with store.db() as db:
            per_contact = db.query(
                "SELECT contact_id, COUNT(*) AS n FROM outbound_attempts GROUP BY contact_id"
            )
        assert sorted(r["n"] for r in per_contact) == [1] * 200
        results = list(
            csv.DictReader(io.StringIO(store.sam.campaign_results_csv(made["id"]).decode()))
        )
        agents = {"alice": len(got[0]), "bob": len(got[1])}
        assert {a: sum(r["last_agent"] == a for r in results) for a in agents} == agents

        # A desktop killed while it holds a task: kept while it beats, given back after.
        held = store.sam.create_campaign("held", {"hours": ALL_DAY, "lease_s": 2})
        store.sam.import_contacts(held["id"], b"phone\n+74955559999\n")
        holder = claimer(store, "alice", "hold")
        try:
            assert holder.stdout is not None
            contact = int(holder.stdout.readline())
            time.sleep(3)  # past one lease: the heartbeats keep it
            assert store.bob.claim_task() is None
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.communicate(timeout=10)
        deadline = time.monotonic() + 6
        task = store.bob.claim_task()
        while task is None and time.monotonic() < deadline:
            time.sleep(0.2)
            task = store.bob.claim_task()
        assert task is not None and task["contact_id"] == contact
        history = store.sam.contact_history(contact)
        assert [(a["agent"], a["outcome"]) for a in history["attempts_made"]] == [
            ("alice", "abandoned"), ("bob", None),
        ]  # fmt: skip

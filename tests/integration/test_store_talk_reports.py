"""Talk metrics in the calls report per agent, per queue and per day, on SQLite and on
PostgreSQL, on both paths (the per-day rollups and the raw rows), checked against numbers
computed by hand. The calls, their audio (silent stereo WAV) and its link go through the
store's HTTP API; the transcription worker runs for real (job claimed, audio read and
decoded, metrics measured, masking, checks, stored), only the recogniser is faked: it returns
the words written below.

Day D = 2025-03-05 UTC. Words are half a second each, back to back (a run of n words from
t s covers [t, t + n/2) s of the audio, which starts at the answer), except T2's operator,
who says four words a second:

T1 ann, sales, 60 s of audio. Operator 20 words from 0 s [0, 10) and 10 from 30 s [30, 35):
   talk 15 s, 30 words. Customer 16 from 9 s [9, 17) and 10 from 40 s [40, 45): talk 13 s.
   Overtalk [9, 10): 1, 1 s. Silence [17, 30) [35, 40) [45, 60) = 33 s, the longest 15 s.
T2 ann, support, 30 s. Operator 80 words (¼ s each) from 2 s [2, 22): talk 20 s. Customer
   6 from 19 s [19, 22) and 2 from 25 s [25, 26): talk 4 s. Overtalk [19, 22): 1, 3 s.
   Silence [0, 2) [22, 25) [26, 30) = 9 s, the longest 4 s.
T3 ben, support, 40 s. Operator 10 words from 0 s [0, 5), customer 30 from 5 s [5, 20):
   touching, no overtalk. Silence [20, 40) = 20 s.
T4 ann, sales, answered, no audio: not transcribed.

ann's operator talk share is 35 / 90 s = 38.889 % of her transcribed audio (the mean of the
calls' shares, 25 % and 66.667 %, would say 45.833 %), her speech rate 110 words in 35 s =
188.571 words a minute (the mean of 120 and 240 would say 180).
"""

from __future__ import annotations

import csv
import io
import re
import struct
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

from store.client import StoreClient
from store.client_types import CallInput
from store.db import connect
from store.migrations import MIGRATIONS, _statements
from store.settings import Settings
from store.transcripts.masking import Segment, Word
from store.transcripts.worker import Worker, WorkerOptions
from store.users import set_password
from tests.integration.store_kit import assert_close, served

pytestmark = pytest.mark.integration

S = 1_000_000
D = 1_741_132_800 * S  # 2025-03-05 00:00 UTC
DAY = 86_400 * S
USERS = {"ann": "agent", "ben": "agent", "sue": "supervisor"}
PASSWORD = "sue-secret-talk-1"


def at(hh: int, mm: int, ss: int = 0) -> int:
    return D + ((hh * 60 + mm) * 60 + ss) * S


def run(side: str, first_s: float, n: int, word_s: float = 0.5) -> tuple[str, float, int, float]:
    return side, first_s, n, word_s


# call id: (agent, queue, answered, audio seconds, runs of words)
CALLS: dict[str, tuple[str, str, int, int, list[tuple[str, float, int, float]]]] = {
    "T1": ("ann", "sales", at(9, 0, 5), 60, [
        run("operator", 0, 20), run("operator", 30, 10),
        run("customer", 9, 16), run("customer", 40, 10)]),
    "T2": ("ann", "support", at(10, 0, 5), 30, [
        run("operator", 2, 80, 0.25), run("customer", 19, 6), run("customer", 25, 2)]),
    "T3": ("ben", "support", at(11, 0, 2), 40, [
        run("operator", 0, 10), run("customer", 5, 30)]),
}  # fmt: skip


def silent_wav(seconds: int, rate: int = 8000) -> bytes:
    """A stereo 16-bit WAV of silence (operator left, customer right)."""
    data = np.zeros(seconds * rate * 2, dtype="<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, 2, rate,
        rate * 4, 4, 16, b"data", len(data),
    )  # fmt: skip
    return header + data


class Recogniser:
    """The speech model's place in the worker: the words of each call, by its audio start."""

    def __init__(self) -> None:
        self.by_start = {answered: runs for _, _, answered, _, runs in CALLS.values()}

    def detect(self, channels: list[np.ndarray]) -> str:
        return "en"

    def transcribe(self, pcm: np.ndarray, language: str, side: str, start_us: int) -> list[Segment]:
        out = []
        for who, first_s, n, word_s in self.by_start[start_us]:
            if who != side:
                continue
            t0 = start_us + round(first_s * S)
            step = round(word_s * S)
            words = [Word(t0 + i * step, t0 + (i + 1) * step, f" w{i}", 0.9) for i in range(n)]
            text = "".join(w.text for w in words).strip()
            out.append(Segment(side, t0, words[-1].end_us, text, words, language))
        return out


class Kit:
    def __init__(self, sue: StoreClient, database_url: str, dialect: str, url: str) -> None:
        self.sue = sue
        self.url = url
        self.database_url = database_url
        self.dialect = dialect

    def report(self, path: str, **options: Any) -> dict[tuple[Any, ...], Mapping[str, Any]]:
        report = self.sue.report("calls", D, D + DAY, rollups=path == "rollups", **options)
        assert report["source"] == path
        return {(r["agent"], r["queue"], r["bucket_us"]): r for r in report["rows"]}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def kit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    db_url = None
    if request.param == "postgresql":
        db_url = request.getfixturevalue("pg").database(f"talk_{uuid.uuid4().hex[:10]}")
    folder: Path = tmp_path_factory.mktemp(f"talk-{request.param}")
    with served(folder, db_url, USERS) as server:
        sue = StoreClient(server.base_url, server.tokens["sue"])
        try:
            for call_id, (agent, queue, answered, seconds, _) in CALLS.items():
                call: CallInput = {"agent": agent, "direction": "inbound", "queue": queue,
                                   "started_us": answered - 5 * S, "answered_us": answered,
                                   "ended_us": answered + seconds * S}  # fmt: skip
                sue.put_call(call_id, call)
                audio = sue.upload_bytes(silent_wav(seconds), "audio/wav")
                sue.link_media(call_id, audio["sha256"], "audio", start_us=answered)
            sue.put_call("T4", {"agent": "ann", "direction": "inbound", "queue": "sales",
                                "started_us": at(12, 0), "answered_us": at(12, 0, 3),
                                "ended_us": at(12, 1)})  # fmt: skip
            settings = Settings(data_dir=folder, db_url=db_url)
            db = connect(settings.database_url)
            try:
                worker = Worker(db, settings.open_blobs(), Recogniser, "test",  # type: ignore[arg-type]
                                WorkerOptions(name="talk-test"))  # fmt: skip
                worker.run(once=True)
                set_password(db, "sue", PASSWORD)
                done = db.query("SELECT call_id, status, last_error FROM transcript_jobs")
            finally:
                db.close()
            assert sorted((r["call_id"], r["status"]) for r in done) == [
                ("T1", "done"), ("T2", "done"), ("T3", "done")
            ], done  # fmt: skip
            yield Kit(sue, settings.database_url, request.param, server.base_url)
        finally:
            sue.close()


ANN = {
    "handled": 3, "transcribed": 2, "audio_s": 90.0,
    "operator_talk_pct": 100 * 35 / 90, "customer_talk_pct": 100 * 17 / 90,
    "silence_pct": 100 * 42 / 90, "avg_longest_silence_s": (15 + 4) / 2,
    "overtalks": 2, "overtalk_s": 4.0, "operator_wpm": 110 / (35 / 60),
}  # fmt: skip
BEN = {
    "handled": 1, "transcribed": 1, "audio_s": 40.0, "operator_talk_pct": 12.5,
    "customer_talk_pct": 37.5, "silence_pct": 50.0, "avg_longest_silence_s": 20.0,
    "overtalks": 0, "overtalk_s": 0.0, "operator_wpm": 120.0,
}  # fmt: skip


def test_talk_metrics_per_agent_are_weighted_by_time(kit: Kit, path: str) -> None:
    rows = kit.report(path, group="agent")
    assert set(rows) == {("ann", None, None), ("ben", None, None)}
    assert_close(rows["ann", None, None], ANN)
    assert_close(rows["ben", None, None], BEN)
    assert rows["ann", None, None]["operator_talk_pct"] == pytest.approx(38.889, abs=0.0005)
    assert rows["ann", None, None]["operator_wpm"] == pytest.approx(188.571, abs=0.0005)


def test_talk_metrics_per_queue_and_per_day_and_agent(kit: Kit, path: str) -> None:
    queues = kit.report(path, group="queue")
    # sales: T1 (T4 not transcribed); support: T2 and T3, 70 s of audio.
    assert_close(queues[None, "sales", None], {
        "transcribed": 1, "operator_talk_pct": 25.0, "customer_talk_pct": 100 * 13 / 60,
        "silence_pct": 55.0, "avg_longest_silence_s": 15.0, "overtalks": 1, "overtalk_s": 1.0,
        "operator_wpm": 120.0,
    })  # fmt: skip
    assert_close(queues[None, "support", None], {
        "transcribed": 2, "operator_talk_pct": 100 * 25 / 70, "customer_talk_pct": 100 * 19 / 70,
        "silence_pct": 100 * 29 / 70, "avg_longest_silence_s": 12.0, "overtalks": 1,
        "overtalk_s": 3.0, "operator_wpm": 90 / (25 / 60),
    })  # fmt: skip
    ann_queues = kit.report(path, group="agent,queue", agent="ann")
    assert ann_queues["ann", "support", None]["operator_wpm"] == 240.0
    by_day = kit.report(path, group="day,agent")
    assert_close(by_day["ann", None, D], ANN)
    assert_close(by_day["ben", None, D], BEN)


def test_talk_metrics_in_the_csv(kit: Kit) -> None:
    body = kit.sue.report_csv("calls", D, D + DAY, group="agent")
    table = {r["agent"]: r for r in csv.DictReader(io.StringIO(body.decode("utf-8")))}
    assert table["ann"]["transcribed"] == "2"
    assert float(table["ann"]["operator_talk_pct"]) == pytest.approx(38.889, abs=0.0005)
    assert float(table["ben"]["avg_longest_silence_s"]) == 20.0
    assert table["ben"]["overtalks"] == "0"


def test_migration_20_fills_the_talk_columns_from_the_metrics(kit: Kit) -> None:
    """Transcripts stored before migration 20 get the columns the worker now writes (the
    silence from its share: exact for these calls, whose shares have three digits)."""
    columns = (
        "call_id, operator_talk_us, customer_talk_us, silence_us, longest_silence_us, "
        "overtalks, overtalk_us, operator_words"
    )
    db = connect(kit.database_url)
    try:
        read = f"SELECT {columns} FROM transcripts ORDER BY call_id"
        kept = db.query(read)
        assert tuple(kept[0].values())[1:] == (
            15 * S, 13 * S, 33 * S, 15 * S, 1, 1 * S, 30
        )  # T1, by hand  # fmt: skip
        (sql,) = [sql for version, _, sql in MIGRATIONS if version == 20]
        (backfill,) = [x for x in _statements(sql, kit.dialect) if x.startswith("UPDATE trans")]
        with db.transaction():
            db.execute("UPDATE transcripts SET operator_talk_us = 0, customer_talk_us = 0, "
                       "silence_us = 0, longest_silence_us = 0, overtalks = 0, overtalk_us = 0, "
                       "operator_words = 0")  # fmt: skip
            db.execute(backfill)
        assert db.query(read) == kept
    finally:
        db.close()


def test_the_consoles_talk_page_shows_them_in_both_languages(kit: Kit) -> None:
    if kit.dialect != "sqlite":
        pytest.skip("the page reads what the API reads; once is enough")
    with requests.Session() as web:
        signed = web.post(
            f"{kit.url}/login",
            data={"name": "sue", "password": PASSWORD, "next": "/reports/talk"},
            headers={"Origin": kit.url},
            timeout=10,
        )
        assert signed.status_code == 200 and signed.url.endswith("/reports/talk")
        for lang, heading in (("ru", "Речь оператора, %"), ("en", "Operator talk, %")):
            page = web.get(
                f"{kit.url}/reports/talk?from=2025-03-05&to=2025-03-05&group=agent",
                headers={"Accept-Language": lang},
                timeout=10,
            ).text
            table = page[page.index('id="report-table"') :]
            heads = re.findall(r"<th>(.*?)</th>", table)
            assert heads[:3] == [heads[0], heads[1], heading], heads
            rows = re.findall(r"<tr><td>(\w+)</td>(.*?)</tr>", table, re.S)
            cells = {agent: re.findall(r"<td>(.*?)</td>", rest) for agent, rest in rows}
            # transcribed, operator %, customer %, silence %, longest, overtalks, s, pace
            assert cells["ann"] == ["2", "38.889", "18.889", "46.667", "9.5", "2", "4.0",
                                    "188.571"]  # fmt: skip
            assert cells["ben"][:2] == ["1", "12.5"]
            assert 'href="/reports/talk" aria-current="page"' in page
            link = re.search(r'id="report-csv" href="([^"]+)"', page)
            assert link is not None and "group=agent" in link.group(1)

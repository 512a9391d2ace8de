"""The QA window on Qt's offscreen platform against a real store: search with filters into a
sortable table, agents limited to "My calls", a scorecard saved with comments anchored at
playback positions, and a call played with its timeline."""

from __future__ import annotations

import os
import uuid
import wave
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop.qa.window import QaWindow
from tests.integration.playback_kit import sqlite_store
from tests.integration.store_kit import Store, now_us

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.integration
__all__ = ["sqlite_store"]
QUEUE = f"q{uuid.uuid4().hex[:8]}"  # this module's calls only


def put(store: Store, agent: str, started_us: int, talk_s: float, **extra: object) -> str:
    call_id = uuid.uuid4().hex
    client = store.alice if agent == "alice" else store.bob
    client.put_call(
        call_id,
        {
            "agent": agent,
            "direction": "inbound",
            "started_us": started_us,
            "answered_us": started_us + 1_000_000,
            "ended_us": started_us + 1_000_000 + int(talk_s * 1e6),
            "queue": QUEUE,
            "remote_number": "+7 912 555-01-02",
            **extra,  # type: ignore[typeddict-item]
        },
    )
    return call_id


@pytest.fixture(scope="module")
def calls(sqlite_store: Store) -> dict[str, str]:
    t = now_us() - 3_600_000_000
    return {
        "alice_long": put(sqlite_store, "alice", t, 300, disposition="sale"),
        "alice_short": put(sqlite_store, "alice", t + 10_000_000, 20),
        "bob_mid": put(sqlite_store, "bob", t + 20_000_000, 90, karma=-2),
    }


def window_for(qtbot, client) -> QaWindow:
    window = QaWindow(client)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.search.role is not None, timeout=5000)
    return window


def search(qtbot, window: QaWindow) -> list[list[str]]:
    window.search.queue.setText(QUEUE)
    window.search.search()
    qtbot.waitUntil(lambda: window.search.search_button.isEnabled(), timeout=5000)
    model = window.search.model
    return [
        [model.item(r, c).text() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def test_qa_finds_everyones_calls_filters_and_sorts(qtbot, sqlite_store: Store, calls) -> None:
    window = window_for(qtbot, sqlite_store.quinn)
    rows = search(qtbot, window)
    assert sorted(r[1] for r in rows) == ["alice", "alice", "bob"]
    assert window.search.status.text() == "3 of 3 calls"
    window.search.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # duration
    model = window.search.model
    assert [model.item(r, 5).text() for r in range(3)] == ["05:00", "01:30", "00:20"]
    window.search.table.sortByColumn(5, Qt.SortOrder.AscendingOrder)
    assert model.item(0, 5).text() == "00:20"

    window.search.karma.setCurrentIndex(window.search.karma.findData(-2))
    assert [r[1] for r in search(qtbot, window)] == ["bob"]
    window.search.karma.setCurrentIndex(0)
    window.search.min_s.setValue(60)
    window.search.agent.setText("alice")
    rows = search(qtbot, window)
    assert [(r[1], r[5], r[6]) for r in rows] == [("alice", "05:00", "sale")]


def test_an_agent_sees_only_my_calls(qtbot, sqlite_store: Store, calls) -> None:
    window = window_for(qtbot, sqlite_store.alice)
    assert window.windowTitle() == "My calls"
    assert not window.search.agent.isEnabled() and window.search.agent.text() == "alice"
    rows = search(qtbot, window)
    assert sorted(r[1] for r in rows) == ["alice", "alice"]


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    pcm = np.zeros((len(t), 2))
    pcm[:rate, 0] = 0.3 * np.sin(2 * np.pi * 700 * t[:rate])  # then silence
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((pcm * 32767).astype("<i2").tobytes())


def test_review_plays_the_call_and_saves_a_scorecard(
    qtbot, sqlite_store: Store, calls, tmp_path: Path
) -> None:
    form = sqlite_store.ada.create_form(
        f"Form {uuid.uuid4().hex[:6]}",
        [
            {"key": "greeting", "label": "Greeting", "max_score": 5},
            {"key": "solution", "label": "Solution", "max_score": 10},
        ],
    )
    call_id = calls["alice_long"]
    started = sqlite_store.alice.get_call(call_id)["started_us"]
    wav = tmp_path / "call.wav"
    write_wav(wav, 4.0)
    sha = sqlite_store.alice.upload_file(wav, "audio/wav")["sha256"]
    sqlite_store.alice.link_media(call_id, sha, "audio", started)

    window = window_for(qtbot, sqlite_store.quinn)
    review = window.open_call(call_id)
    qtbot.waitUntil(lambda: review.player.session is not None, timeout=10000)
    card = review.scorecard
    assert card is not None
    qtbot.waitUntil(lambda: card.save_button.isEnabled(), timeout=5000)
    card.form_choice.setCurrentIndex(card.form_choice.findData(form["id"]))
    assert sorted(card.scores) == ["greeting", "solution"]

    player = review.player
    # no worker has transcribed it: the transcript beside the player says so
    qtbot.waitUntil(lambda: review.transcript.state.text() == "No transcript yet", timeout=5000)
    events = [player.events.item(i).text() for i in range(player.events.count())]
    assert any("Answered" in e for e in events) and any("Hung up" in e for e in events)
    answer = next(i for i, e in enumerate(events) if "Answered" in e)
    player.events.itemClicked.emit(player.events.item(answer))  # jump to the answer
    assert player.position_ms() == 1000
    card.comment_text.setText("Greets late")
    card.add_comment()
    player.seek(started + 2_500_000)
    card.comment_text.setText("Good recap")
    card.add_comment()
    card.scores["greeting"].setValue(3)
    card.scores["solution"].setValue(10)
    card.summary.setPlainText("Fine overall")
    card.save()
    qtbot.waitUntil(lambda: card.status.text().startswith("Saved"), timeout=5000)
    assert card.status.text() == "Saved: 80%"

    saved = sqlite_store.quinn.evaluations(call_id)[-1]
    assert saved["scores"] == {"greeting": 3, "solution": 10}
    assert saved["comments"] == [
        {"position_ms": 1000, "text": "Greets late"},
        {"position_ms": 2500, "text": "Good recap"},
    ]
    # The silence after the first second shows on the timeline once decoded.
    qtbot.waitUntil(lambda: any(b.kind == "silence" for b in player.timeline.bands), timeout=5000)
    window.close()


def test_export_shows_its_progress_and_a_cancel_leaves_nothing(
    qtbot, sqlite_store: Store, calls, tmp_path: Path
) -> None:
    call_id = calls["bob_mid"]
    started = sqlite_store.bob.get_call(call_id)["started_us"]
    wav = tmp_path / "bob.wav"
    write_wav(wav, 40.0)  # four pieces of audio to write: progress in steps
    sha = sqlite_store.bob.upload_file(wav, "audio/wav")["sha256"]
    sqlite_store.bob.link_media(call_id, sha, "audio", started)
    window = window_for(qtbot, sqlite_store.quinn)
    review = window.open_call(call_id)
    qtbot.waitUntil(lambda: review.player.session is not None, timeout=10000)
    seen: list[float] = []
    review.export_progress.connect(seen.append)

    out = tmp_path / "out" / "bob.mp4"
    out.parent.mkdir()
    review.export_to(out)
    assert not review.progress.isHidden() and not review.cancel_button.isHidden()
    qtbot.waitUntil(lambda: review.export_button.isEnabled(), timeout=30000)
    assert review.status.text() == f"Exported to {out}"
    assert out.stat().st_size > 0 and review.progress.isHidden()
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) >= 4 and seen == sorted(seen)

    review.export_to(tmp_path / "out" / "again.mp4")
    review.cancel_button.click()
    qtbot.waitUntil(lambda: review.export_button.isEnabled(), timeout=30000)
    assert review.status.text() == "Export cancelled: no file was written"
    assert sorted(p.name for p in out.parent.iterdir()) == ["bob.mp4"]
    window.close()

"""The transcript beside the QA window's player, on Qt's offscreen platform against a real
store: a phrase search lists the call with what was said, opening it starts at the hit,
marked; a click on a phrase seeks there; the current phrase follows playback; a spoken card
number shows masked; the automatic check shows with its evidence and answers the scorecard's
question that names it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from desktop.qa.window import QaWindow
from tests.integration.playback_kit import sqlite_store
from tests.integration.store_kit import Store, now_us
from tests.integration.test_qa_window import write_wav
from tests.integration.transcript_kit import segment, store_transcript

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.integration
__all__ = ["sqlite_store"]
S = 1_000_000
SCRIPT = [  # (side, start s, words), a word every 0.25 s
    ("operator", 0.2, [" Hello,", " this", " is", " Acme", " support."]),
    ("customer", 1.8, [" My", " card", " is", " 4111", " 1111", " 1111", " 1111."]),
    ("operator", 3.8, [" Let", " me", " check", " the", " balance."]),
    ("customer", 5.3, [" Thank", " you."]),
]


def test_a_phrase_hit_opens_the_call_at_the_hit_beside_its_transcript(
    qtbot, sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    queue = f"q{uuid.uuid4().hex[:8]}"
    t0 = now_us() - 3_600_000_000
    call_id = uuid.uuid4().hex
    store.alice.put_call(
        call_id,
        {"agent": "alice", "direction": "inbound", "started_us": t0, "answered_us": t0,
         "ended_us": t0 + 6 * S, "queue": queue, "remote_number": "+7 912 555-04-04"},
    )  # fmt: skip
    wav = tmp_path / "call.wav"
    write_wav(wav, 6.0)
    store.alice.link_media(
        call_id, store.alice.upload_file(wav, "audio/wav")["sha256"], "audio", t0
    )
    store.ada.add_transcript_rule(
        name="greeting", kind="required", phrase="Acme support", side="operator", within_s=10
    )
    form = store.ada.create_form(
        "Basics",
        [
            {"key": "greet", "label": "Greeted", "max_score": 5, "rule": "greeting"},
            {"key": "solved", "label": "Solved", "max_score": 10},
        ],
    )
    with store.db() as db:
        store_transcript(db, call_id, [segment(s, t0 + int(at * S), w) for s, at, w in SCRIPT])

    window = QaWindow(store.quinn)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.search.role is not None, timeout=5000)
    search = window.search
    search.queue.setText(queue)
    search.phrase.setText("the balance")
    search.side.setCurrentIndex(search.side.findData("customer"))
    search.search()
    qtbot.waitUntil(lambda: search.search_button.isEnabled(), timeout=5000)
    assert search.model.rowCount() == 0  # the operator said it
    search.side.setCurrentIndex(0)
    search.search()
    qtbot.waitUntil(lambda: search.search_button.isEnabled(), timeout=5000)
    assert search.model.rowCount() == 1
    said = search.model.item(0, 9).text()
    assert said.endswith("Operator: Let me check the balance."), said
    third = t0 + int(SCRIPT[2][1] * S)

    search.table.doubleClicked.emit(search.model.index(0, 0))
    review = window.review
    assert review is not None and review.focus is not None
    panel = review.transcript
    qtbot.waitUntil(lambda: len(panel.segments) == len(SCRIPT), timeout=10000)
    assert review.player.session is not None
    assert review.player.session.position_us() == third
    assert panel.hit_row == 2 and panel.current_row == 2
    texts = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert texts[0] == "00:00.2  Operator: Hello, this is Acme support."
    assert texts[1] == "00:01.8  Customer: My card is [card number masked]"
    assert panel.list.item(2).font().bold() and not panel.list.item(1).font().bold()

    # the check with where its phrase was said (a click seeks there); the scorecard's question
    # that names it answered by it, for QA to confirm or change
    assert panel.checks.count() == 1
    assert panel.checks.item(0).text() == "✓ greeting: passed  00:00.9 Operator"
    panel.checks.itemClicked.emit(panel.checks.item(0))
    assert review.player.session.position_us() == t0 + 950_000  # "Acme"
    card = review.scorecard
    assert card is not None
    qtbot.waitUntil(lambda: card.save_button.isEnabled(), timeout=5000)
    card.form_choice.setCurrentIndex(card.form_choice.findData(form["id"]))
    assert card.scores["greet"].value() == 5 and card.scores["solved"].value() == 0
    note = card.findChild(QLabel, "automatic-greet")
    assert note is not None and note.text() == "automatic check: yes — confirm or change"

    # a click on a phrase seeks there
    panel.list.itemClicked.emit(panel.list.item(3))
    assert review.player.session.position_us() == t0 + int(SCRIPT[3][1] * S)
    qtbot.waitUntil(lambda: panel.current_row == 3, timeout=2000)

    # playing from between two phrases: none current, then the card phrase, then the next
    review.player.seek(t0 + int(1.6 * S))
    assert panel.current_row == -1
    review.player.toggle()
    qtbot.waitUntil(lambda: panel.current_row == 1, timeout=3000)
    assert panel.list.currentRow() == 1
    qtbot.waitUntil(lambda: panel.current_row == 2, timeout=5000)
    review.player.toggle()
    window.close()

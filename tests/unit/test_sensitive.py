"""Sensitive moments: pause reasons kept apart, masked periods and marks with their reasons on
the QA timeline, the call audio silent where the screen was paused (packed Opus decoded and
measured), and sensitive card values that leave the dialog card only masked, hashed or not at
all."""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from desktop.calls.model import CallBook
from desktop.crm.config import parse_field, parse_fields
from desktop.crm.dialog_card import MASK_SETTLE_MS, DialogCard
from desktop.crm.sensitive import Secret, keyed_hash, masked, protect
from desktop.qa.playback.timeline import Band, build_timeline, pause_bands
from formats import pipe, pipe_codec
from formats.clock import utc_us
from formats.manifest import COMPLETE, Manifest, MaskedPeriod, parse_manifest
from recorder.outbox.audio_pack import pack_opus
from recorder.outbox.journal import Outbox
from recorder.outbox.silences import SilenceJournal
from recorder.outbox.uploader import Uploader
from recorder.worker_masks import EVERYTHING, ScreenMasks
from sip import events as ev

T0 = 1_700_000_000_000_000
NOW = utc_us() - 600_000_000  # silences are kept 90 days
CARD_NO = "4111 1111 1111 1234"


# ----- pause reasons ------------------------------------------------------------------------


def test_pause_commands_carry_their_reason_and_refuse_unknown_ones() -> None:
    line = pipe_codec.encode(pipe.Pause(reason="sensitive_field", at_us=5))
    assert pipe_codec.decode(line, pipe.Command) == pipe.Pause(reason="sensitive_field", at_us=5)
    assert pipe_codec.decode('{"cmd": "resume"}', pipe.Command) == pipe.Resume(reason="manual")
    with pytest.raises(pipe.PipeError, match="reason"):
        pipe_codec.decode('{"cmd": "pause", "reason": "coffee"}', pipe.Command)


def test_leaving_a_sensitive_field_does_not_end_a_manual_pause() -> None:
    masks = ScreenMasks([], None)
    assert masks.pause("manual", True)
    assert masks.pause("sensitive_field", True)
    assert masks.reasons() == ["manual", "sensitive_field"]
    assert masks.pause("sensitive_field", False)
    assert masks.paused and masks.rects() == [EVERYTHING] and masks.reasons() == ["manual"]
    assert not masks.pause("sensitive_field", False), "resumed twice: no change"
    assert masks.pause("manual", False)
    assert not masks.paused and masks.rects() == [] and masks.reasons() == []


# ----- the timeline -------------------------------------------------------------------------


def _segment(periods: list[MaskedPeriod]) -> Manifest:
    return Manifest(id="s", file="screen-s.mp4", status=COMPLETE, utc_start_us=T0,
                    utc_end_us=T0 + 60_000_000, width=64, height=48, fps=5.0, layout={},
                    sha256="a" * 64, masked_periods=periods)  # fmt: skip


def test_the_qa_timeline_shows_masked_bands_with_reasons_marks_and_unrecorded_pauses() -> None:
    s = 1_000_000
    periods = [
        MaskedPeriod(T0 + 10 * s, T0 + 12 * s, [(0, 0, 64, 48)], ["manual"]),
        MaskedPeriod(T0 + 12 * s, T0 + 15 * s, [(0, 0, 64, 48)], ["manual", "sensitive_field"]),
        MaskedPeriod(T0 + 15 * s, T0 + 20 * s, [(0, 0, 64, 48)], ["manual"]),
        MaskedPeriod(T0 + 30 * s, None, [(5, 5, 10, 10)], ["masked_title"]),  # open: to the end
    ]
    # A manifest as the store hands it back (JSON) reads back with its reasons.
    manifest = parse_manifest(__import__("json").dumps(_segment(periods).to_json()))
    call = {
        "id": "c1",
        "started_us": T0,
        "ended_us": T0 + 70 * s,
        "events": [
            {"at_us": T0 + 10 * s, "kind": "pause", "detail": "manual"},
            {"at_us": T0 + 12 * s, "kind": "pause", "detail": "sensitive_field"},
            {"at_us": T0 + 15 * s, "kind": "resume", "detail": "sensitive_field"},
            {"at_us": T0 + 18 * s, "kind": "operator_mark"},
            {"at_us": T0 + 20 * s, "kind": "resume", "detail": "manual"},
            # after the screen's segment: only the call's events know of this pause
            {"at_us": T0 + 62 * s, "kind": "pause", "detail": "sensitive_field"},
            {"at_us": T0 + 65 * s, "kind": "resume", "detail": "sensitive_field"},
        ],
        "media": [{"sha256": "a" * 64, "kind": "screen", "content_type": "video/mp4",
                   "start_us": T0, "end_us": T0 + 60 * s, "size": 1, "deleted": False}],
    }  # fmt: skip
    tl = build_timeline(call, [manifest])
    rel = [((b.start_us - T0) // s, (b.end_us - T0) // s, b.kind, b.reason) for b in tl.bands]
    assert rel == [
        (10, 12, "masked", "manual"),
        (12, 15, "masked", "manual, sensitive_field"),
        (15, 20, "masked", "manual"),
        (30, 60, "masked", "masked_title"),
        (62, 65, "paused", "sensitive_field"),
    ]
    marks = [((m.at_us - T0) // s, m.kind, m.label) for m in tl.marks]
    assert (10, "pause", "manual") in marks and (20, "resume", "manual") in marks
    assert (12, "pause", "sensitive_field") in marks and (18, "operator_mark", "") in marks


def test_a_pause_never_resumed_lasts_to_the_end_of_the_call() -> None:
    call = {"started_us": 0, "ended_us": 90, "events": [
        {"at_us": 10, "kind": "pause", "detail": "manual"},
        {"at_us": 20, "kind": "pause", "detail": "sensitive_field"},
        {"at_us": 30, "kind": "resume", "detail": "sensitive_field"}]}  # fmt: skip
    assert pause_bands(call) == [
        Band(20, 30, "paused", "sensitive_field"),
        Band(10, 90, "paused", "manual"),
    ]


def test_marks_and_pauses_noted_after_the_record_went_follow_as_late_notes(qtbot: QtBot) -> None:
    book = CallBook(wrap_up_max_s=-1)
    book.apply(ev.IncomingCall(call_id="c", account_id="a", remote_uri="sip:1@pbx", number="1",
                               display_name="", sip_call_id="x", headers={},
                               waiting=False))  # fmt: skip
    book.apply(ev.CallStateChanged(call_id="c", state="confirmed", code=200, reason="OK"))
    book.note("c", "pause", "manual", at_us=T0)
    late: list[Any] = []
    book.notes_late.connect(late.append)
    book.apply(ev.CallEnded(call_id="c", record={}))
    call = book.get("c")
    assert call is not None and call.record is not None
    assert {"at_us": T0, "kind": "pause", "detail": "manual"} in call.record["events"]
    book.note("c", "operator_mark", at_us=T0 + 1)  # in wrap-up, the record already queued
    assert late == [call] and call.notes[-1] == {"at_us": T0 + 1, "kind": "operator_mark"}
    assert book.note("nope", "operator_mark") is None


# ----- audio --------------------------------------------------------------------------------

RATE = 16000


def _tones(path: Path, seconds: float) -> None:
    t = np.arange(round(RATE * seconds)) / RATE
    pcm = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 1000 * t)], axis=1) * 8000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.astype("<i2").tobytes())


def _decoded(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        rate = container.streams.audio[0].codec_context.sample_rate
        frames = [f.to_ndarray() for f in container.decode(audio=0)]
    return np.concatenate(frames, axis=1), rate


def _dbfs(x: np.ndarray) -> float:
    return float(20 * np.log10(max(np.sqrt(np.mean(np.square(x, dtype=np.float64))), 1e-12)))


def _peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


def test_a_paused_span_is_silent_in_the_packed_opus_and_the_tones_around_it_intact(
    tmp_path: Path,
) -> None:
    _tones(tmp_path / "c.wav", 6.0)
    journal = SilenceJournal(tmp_path / "silences.jsonl")
    journal.note(["manual"], NOW + 2_000_000)
    journal.note(["manual", "sensitive_field"], NOW + 3_000_000)
    journal.note([], NOW + 4_000_000)
    silent = SilenceJournal(tmp_path / "silences.jsonl").spans(NOW)  # read back from the file
    assert [(s.start_us - NOW, s.end_us and s.end_us - NOW) for s in silent] == [
        (2_000_000, 3_000_000),
        (3_000_000, 4_000_000),
    ]
    packed = pack_opus(tmp_path / "c.wav", tmp_path / "c.ogg", call_id="c",
                       first_sample_utc_us=NOW, silent=silent)  # fmt: skip
    assert packed.silenced == 2 * RATE
    pcm, rate = _decoded(tmp_path / "c.ogg")

    def part(a: float, b: float) -> np.ndarray:
        return pcm[:, round(a * rate) : round(b * rate)]

    for channel in (0, 1):
        assert _dbfs(part(2.05, 3.95)[channel]) < -50, "paused: silent"
    for a, b in ((0.2, 1.9), (4.1, 5.8)):  # before and after: the tones as they were
        left, right = part(a, b)
        assert abs(_peak_hz(left, rate) - 440) < 5 and abs(_peak_hz(right, rate) - 1000) < 5
        assert -16 < _dbfs(left) < -10 and -16 < _dbfs(right) < -10


def test_a_wav_that_cannot_be_packed_is_uploaded_silenced_not_as_it_is(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    wav = tmp_path / "c.wav"
    t = np.arange(44100 * 2) / 44100  # 44.1 kHz: not an Opus rate
    pcm = np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1) * 8000
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(pcm.astype("<i2").tobytes())
    outbox.add_audio("c", wav, NOW, 44100, len(pcm))
    journal = SilenceJournal(tmp_path / "outbox" / "silences.jsonl")
    journal.note(["masked_title"], NOW + 1_000_000)  # still open: to the end
    uploader = Uploader(outbox, None, silences=journal)  # type: ignore[arg-type]
    item = outbox.claim()
    assert item is not None
    uploader._pack(item)
    assert item.body["content_type"] == "audio/wav"
    with wave.open(str(outbox.spool / item.files[0])) as reader:
        sent = np.frombuffer(reader.readframes(reader.getnframes()), "<i2").reshape(-1, 2)
    assert np.abs(sent[: 44100 - 10]).max() > 7000 and not sent[44100:].any()
    outbox.close()


def test_silences_survive_a_restart_and_an_open_span_is_closed_by_the_next_note(
    tmp_path: Path,
) -> None:
    path = tmp_path / "silences.jsonl"
    SilenceJournal(path).note(["manual"], NOW)  # the worker dies while paused
    journal = SilenceJournal(path)
    assert journal.reasons == ("manual",)
    assert [s.end_us for s in journal.spans(NOW)] == [None]
    assert not journal.note(["manual"], NOW + 5)  # no change, no line
    journal.note([], NOW + 10)
    assert [(s.start_us, s.end_us) for s in SilenceJournal(path).spans(NOW)] == [(NOW, NOW + 10)]
    assert SilenceJournal(path).spans(NOW + 10) == []


# ----- sensitive card values ----------------------------------------------------------------


def test_sensitive_flags_say_how_a_value_leaves_the_pc() -> None:
    assert parse_field("card_no: text, sensitive").protect == "mask"
    assert parse_field("card_no: text, sensitive=hash").protect == "hash"
    spec = parse_field("card_no: text, sensitive=drop, label=Card")
    assert spec.sensitive and spec.protect == "drop" and spec.label == "Card"
    with pytest.raises(ValueError, match="sensitive=clear is not one of"):
        parse_field("card_no: text, sensitive=clear")
    assert masked(CARD_NO) == "************1234"
    assert masked("12345678") == "******78" and masked("123") == "***"
    key = b"k" * 32
    expected = hmac.new(key, b"4111111111111234", hashlib.sha256).hexdigest()
    assert protect(CARD_NO, "hash", key) == keyed_hash("4111-1111-1111-1234", key)
    assert protect(CARD_NO, "hash", key) == f"hmac-sha256:{expected}"
    assert protect(CARD_NO, "hash", None) is None, "no key: dropped, never in clear"
    assert protect(CARD_NO, "drop", key) is None
    secret = Secret(CARD_NO)
    assert CARD_NO not in repr(secret) and CARD_NO not in f"{secret} {[secret]}"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


@pytest.mark.parametrize(
    ("flag", "stored"),
    [("sensitive", "************1234"), ("sensitive=drop", None), ("sensitive=hash", "hmac")],
)
def test_a_typed_card_number_is_masked_on_screen_and_in_what_the_card_gives(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture, flag: str, stored: str | None
) -> None:
    caplog.set_level(logging.DEBUG)
    card = DialogCard(parse_fields(("topic: text", f"card_no: text, {flag}")), ("done",))
    card.hash_key = b"k" * 32
    qtbot.addWidget(card)
    card.show()
    focus: list[bool] = []
    emitted: list[Any] = []
    card.sensitive_focus.connect(focus.append)
    card.value_changed.connect(lambda *a: emitted.append(a))
    number = card.findChild(QLineEdit, "card_card_no")
    topic = card.findChild(QLineEdit, "card_topic")
    number.setFocus()
    qtbot.waitUntil(lambda: focus == [True])
    qtbot.keyClicks(number, CARD_NO)
    assert number.text() == CARD_NO  # while typing: in clear (the recording is paused)
    topic.setFocus()
    assert number.text() == "************1234", "masked as soon as the field is left"
    qtbot.waitUntil(lambda: focus == [True, False], timeout=2 * MASK_SETTLE_MS + 1000)
    number.setFocus()
    assert number.isReadOnly(), "no typing into the masked text until the pause is on"
    qtbot.waitUntil(lambda: number.text() == CARD_NO)  # back in it: editable in clear
    assert not number.isReadOnly()
    topic.setFocus()
    given = card.card()
    if stored is None:
        assert "card_no" not in given
    elif stored == "hmac":
        assert given["card_no"]["value"] == keyed_hash(CARD_NO, b"k" * 32)
    else:
        assert given["card_no"]["value"] == stored
    assert not card.missing() or card.missing() == ["Disposition"]
    digits = CARD_NO.replace(" ", "")
    everything = f"{given} {card.changes} {emitted} {caplog.text}"
    assert CARD_NO not in everything and digits not in everything


class _Uploads:
    def __init__(self) -> None:
        self.patches: list[tuple[str, dict[str, Any]]] = []

    def patch_call(self, call_id: str, **fields: Any) -> None:
        self.patches.append((call_id, fields))


class _Link:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self, reason: str = "manual") -> None:
        self.calls.append(f"pause {reason}")

    def resume(self, reason: str = "manual") -> None:
        self.calls.append(f"resume {reason}")


def test_the_panel_pauses_for_the_field_and_patches_events_noted_in_wrap_up(
    qtbot: QtBot,
) -> None:
    from desktop.crm.panel import CrmPanel

    book = CallBook(wrap_up_max_s=-1)
    uploads, link = _Uploads(), _Link()
    panel = CrmPanel(parse_fields(("card_no: text, sensitive=drop",)), ("done",), book=book,
                     uploads=uploads, recorder=link)  # fmt: skip
    qtbot.addWidget(panel)
    panel.show()
    book.apply(ev.IncomingCall(call_id="c", account_id="a", remote_uri="sip:1@pbx", number="1",
                               display_name="", sip_call_id="x", headers={},
                               waiting=False))  # fmt: skip
    book.apply(ev.CallStateChanged(call_id="c", state="confirmed", code=200, reason="OK"))
    number = panel.dialog.findChild(QLineEdit, "card_card_no")
    number.setFocus()
    qtbot.waitUntil(lambda: link.calls == ["pause sensitive_field"])
    qtbot.keyClicks(number, CARD_NO)
    book.apply(ev.CallEnded(call_id="c", record={}))
    book.note("c", "operator_mark", at_us=T0)  # in wrap-up: its record is queued already
    assert uploads.patches[-1][0] == "c"
    assert {"at_us": T0, "kind": "operator_mark"} in uploads.patches[-1][1]["events"]
    panel.dialog.disposition.setCurrentIndex(1)
    assert panel.finish_wrap_up()
    assert "card_no" not in uploads.patches[-1][1]["card"], "sensitive=drop: left out"
    assert CARD_NO.replace(" ", "") not in repr(uploads.patches)


def test_the_hashing_key_is_made_once_and_kept_in_the_keyring(memory_keyring: Any) -> None:
    from desktop.crm.sensitive import HASH_KEY_NAME, read_hash_key

    key = read_hash_key()
    assert len(key) == 64 and memory_keyring.passwords[("agentdesk", HASH_KEY_NAME)] == key.decode()
    assert read_hash_key() == key, "the same key on every read: the same number, the same hash"

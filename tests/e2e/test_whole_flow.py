"""The whole flow, as the desktop app composes it (``desktop.app.build``), with every part real:
Kamailio, the store on loopback, a CRM test server, the app's windows on an X screen (Xvfb)
which its recorder worker records, a private PulseAudio server for the operator's sound (her
microphone carries her tone), and a customer softphone in a child process.

A call arrives, the card pops with the CRM's data, the operator answers, both sides speak
(tones), the screen changes, the operator pauses the recording, marks a moment and resumes,
the customer hangs up, the wrap-up ends when the dialog card is finished, the uploads reach
the store, and a QA controller finds the call, plays it and exports it: the MP4 holds both
channels and the screen, both black and silent while paused, and the timeline shows the
pause with its reason and the operator's mark.

During the call the operator also types a card number into the dialog card's sensitive field:
the digits show on the live screen while typed, but while the field has focus every recorded
frame is black (at the field's place and overall: a known colour painted meanwhile shows
nowhere), frames before and after show the window and the field, and both channels of the
call's recording are silent at the source (the softphone's WAV, not only the upload); the
number is nowhere in the store's JSON, its files, the CRM's received bodies, the outbox or the
logs. Then a window whose title the store's policy masks comes in front for a while: it is
black in the recording, both channels are silent for that span, and the QA timeline's band
says why.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot

from desktop import secret_store
from desktop.app import Desktop, build
from desktop.crm.panel import CrmPanel
from desktop.qa.playback.export import export_mp4
from desktop.qa.window import QaWindow
from desktop.settings.values import (
    LoadedSettings,
)
from formats.call_audio import read_pcm16
from formats.clock import utc_us
from recorder.outbox.silences import SILENCES_NAME, SilenceJournal
from sip import events as ev
from store.client import StoreClient
from tests.e2e.desk_kit import wait_for
from tests.e2e.screen_kit import (
    Place,
    app_screen,
    difference,
    level_dbfs,
    show_for,
    titled_window,
    type_card_number,
)
from tests.integration.conftest import kamailio  # noqa: F401 - fixture
from tests.integration.desktop_kit import desktop_settings
from tests.integration.playback_kit import decode_mp4
from tests.integration.sipkit import PASSWORDS, Agent
from tests.integration.store_kit import running_store
from tests.servers.baresip import dominant_frequency
from tests.servers.crm import CrmServer, Person
from tests.servers.kamailio import Kamailio
from tests.servers.pulse import SERVER_RATE, PulseServer, pulse_server
from tests.servers.store import StoreServer
from tests.servers.xvfb import XScreen

pytestmark = [pytest.mark.integration, pytest.mark.on_x11]
CUSTOMER = "79161234567"  # a SIP user that is a phone number, as a PBX trunk would present it
OPERATOR = "alice"
CUSTOMER_HZ, OPERATOR_HZ = 600, 1000
CARD = "4111111111111111"  # typed as "4111 1111 1111 1111"
SECRET_TITLE = "Card payment – Acme Bank"  # a window the store's policy masks
SECRET_MASK = "(?i)card payment"


@pytest.fixture(scope="session", autouse=True)
def screen() -> Iterator[XScreen]:
    """The X screen the app's windows are on; the desktop's recorder records it."""
    yield from app_screen()


@pytest.fixture(scope="module")
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreServer]:
    with running_store(request, tmp_path_factory.mktemp("e2e-store")) as server:
        admin = StoreClient(server.base_url, server.tokens["ada"])
        admin.set_recording_policy({"default": {"mode": "all"}, "mask_titles": [SECRET_MASK]})
        admin.close()
        yield server


@pytest.fixture(scope="module")
def crm() -> Iterator[CrmServer]:
    with CrmServer() as server:
        server.companies[7] = "Northwind"
        server.add_person(
            Person(31, "Irina", "Volkova", phone=f"+{CUSTOMER}", company_id=7, type_id="VIP",
                   balance=-1250.0, deals=[{"TITLE": "Router replacement", "STAGE_ID": "NEW"}])
        )  # fmt: skip
        yield server


@pytest.fixture
def pulse() -> Iterator[PulseServer]:
    yield from pulse_server()


@pytest.fixture
def desk(
    qtbot: QtBot,
    qapp: QApplication,
    kamailio: Kamailio,  # noqa: F811
    screen: XScreen,
    store: StoreServer,
    crm: CrmServer,
    pulse: PulseServer,
    tmp_path: Path,
) -> Iterator[Desktop]:
    # The operator's secrets as the keyring would give them, for this process only.
    secret_store.hold_for_session(secret_store.keyring_user(OPERATOR, kamailio.domain),
                                  PASSWORDS[OPERATOR])  # fmt: skip
    secret_store.hold_for_session(secret_store.STORE_TOKEN_USER, store.tokens[OPERATOR])
    conf = desktop_settings(kamailio, store.base_url, crm, tmp_path, operator=OPERATOR, preroll_s=2)
    conf = dataclasses.replace(
        conf,
        audio=dataclasses.replace(conf.audio, mode="portaudio"),
        crm=dataclasses.replace(conf.crm, post_url=crm.url + "/api/calls", post_back=True),
        dialog_card=dataclasses.replace(
            conf.dialog_card, fields=("topic: text, label=Topic", "card_no: text, sensitive")
        ),
    )
    loaded = LoadedSettings(conf, tmp_path / "agentdesk.toml", "file")
    # Only the softphone's process is to use the sound server: this one (the QA player)
    # plays silently, as on a PC without sound.
    with pytest.MonkeyPatch.context() as sound:
        for name, value in pulse.env.items():
            sound.setenv(name, value)
        made = build(loaded, [], display=screen.display)  # where its windows are
        made.window.show()
        try:
            qtbot.waitUntil(lambda: made.bridge.started, timeout=20000)
        except BaseException:
            made.close()
            raise
    try:
        yield made
    finally:
        screen.set_root_colour("black")  # as the screen's next tests expect it
        assert made.close(), "the engine did not stop in time"


def test_a_call_from_ring_to_qa_export(
    qtbot: QtBot,
    desk: Desktop,
    kamailio: Kamailio,  # noqa: F811
    screen: XScreen,
    store: StoreServer,
    crm: CrmServer,
    pulse: PulseServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    window = desk.window
    wavs: list[tuple[ev.RecordingFinished, Any]] = []  # the softphone's WAV, read at once

    def finished(event: ev.Event) -> None:
        if isinstance(event, ev.RecordingFinished):
            wavs.append((event, read_pcm16(event.path)[0]))

    desk.bridge.sip_event.connect(finished)
    qtbot.waitUntil(lambda: window.agent.state == "ready", timeout=20000)
    size = QApplication.primaryScreen().geometry().size()
    probe = (size.height() - 20, size.width() - 20)  # the root window's colour: no window there
    assert not Place.of(window).overlaps(Place(probe[1], probe[0], 1, 1))
    # The screen recorder is capturing (its pre-roll spool running) before the call rings.
    link = window.recorder
    assert link is not None, "the screen is not recorded"
    qtbot.waitUntil(lambda: bool(link.state.get("capturing")), timeout=20000)
    kamailio.add_user(CUSTOMER, "nobody")
    customer = Agent(kamailio, CUSTOMER)
    try:
        customer.wait_registered()
        screen.set_root_colour("blue")
        out_id = customer.dial(OPERATOR)

        # The card pops while it rings, with the CRM's answer.
        panel = window.findChild(CrmPanel)
        assert panel is not None
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10000)
        qtbot.waitUntil(lambda: panel.card.rows["name"].text() == "Irina Volkova", timeout=5000)
        assert panel.card.rows["company"].text() == "Northwind"
        call_id = panel.card_call

        qtbot.mouseClick(window.banner.answer_button, Qt.MouseButton.LeftButton)
        customer.wait("CallStateChanged", state="confirmed", call_id=out_id)
        qtbot.waitUntil(lambda: window.agent.state == "on_call", timeout=5000)
        customer.call("play_tone", call_id=out_id, freq1=CUSTOMER_HZ)
        seconds = np.arange(30 * SERVER_RATE) / SERVER_RATE  # the operator speaks: her mic
        mic = pulse.play_into_source(0.4 * np.sin(2 * np.pi * OPERATOR_HZ * seconds))
        qtbot.wait(1000)
        painted_us = utc_us()
        screen.set_root_colour("red")  # the operator's screen changes during the call
        qtbot.wait(2500)
        pause = window.recording.pause_button
        qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)  # the operator pauses
        paused_us = utc_us()
        qtbot.wait(2000)
        qtbot.mouseClick(window.recording.mark_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)  # and resumes
        resumed_us = utc_us()
        qtbot.wait(1500)
        typed = type_card_number(qtbot, panel, screen, "4111 1111 1111 1111")
        field = panel.dialog.editors["card_no"]
        assert CARD[-4:] in field.text() and "4111 1111" not in field.text()  # masked
        qtbot.wait(1500)
        # A window whose title the policy masks comes in front of the app's for a while.
        secret_place = Place(40, 600, 400, 300)
        assert not secret_place.overlaps(typed.field), (secret_place, typed.field)
        secret = titled_window(SECRET_TITLE, secret_place, "yellow")
        qtbot.addWidget(secret)
        shown_us, hidden_us = show_for(qtbot, screen, secret, 2.0)
        qtbot.wait(1500)
        customer.call("hangup", call_id=out_id)
        mic.stop()
        qtbot.waitUntil(lambda: window.agent.state == "wrap_up", timeout=10000)

        # The wrap-up lasts until the dialog card is finished, whatever its timer says.
        assert not window.agent.end_wrap_up()
        panel.dialog.findChild(QComboBox, "card_disposition").setCurrentText("resolved")
        qtbot.mouseClick(panel.finish, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.agent.state == "ready", timeout=5000)
    finally:
        customer.close()

    # The uploads reach the store: the call, its audio, its screen, its dialog card.
    qa = StoreClient(store.base_url, store.tokens["quinn"])

    def complete() -> Any:
        try:
            call = qa.get_call(call_id)
        except Exception:
            return None
        kinds = {m["kind"] for m in call.get("media", [])}
        done = {"audio", "screen"} <= kinds and call.get("disposition") == "resolved"
        return call if done else None

    call = wait_for("the call to be complete in the store", complete, 90, qtbot)
    assert call["agent"] == OPERATOR and call["remote_number"].endswith(CUSTOMER)
    assert call["answered_us"] is not None and call["ended_us"] > call["answered_us"]

    # QA finds it, opens it in the player, and exports it for a dispute.
    found = qa.search_calls(number=f"+{CUSTOMER}")
    assert call_id in [c["id"] for c in found["items"]]
    review_window = QaWindow(qa)
    qtbot.addWidget(review_window)
    review = review_window.open_call(call_id)
    qtbot.waitUntil(lambda: review.player.session is not None, timeout=15000)
    timeline = review.player.session.timeline
    assert timeline.marks, "the timeline shows no events"
    assert {"operator_mark", "pause", "resume"} <= {m.kind for m in timeline.marks}
    pauses = [(m.kind, m.label) for m in timeline.marks if m.kind == "pause"]
    assert pauses == [("pause", "manual"), ("pause", "sensitive_field")]
    band, card_band, title_band = [b for b in timeline.bands if b.kind == "masked"]
    assert (band.reason, card_band.reason, title_band.reason) == (
        "manual", "sensitive_field", "masked_title"
    )  # fmt: skip
    assert paused_us <= band.start_us < paused_us + 1_000_000
    assert resumed_us <= band.end_us < resumed_us + 1_000_000
    assert shown_us <= title_band.start_us < shown_us + 1_500_000, (shown_us, title_band)
    assert hidden_us - 300_000 <= title_band.end_us < hidden_us + 1_000_000, (hidden_us, title_band)
    review_window.close()

    out = tmp_path / "dispute.mp4"
    result = export_mp4(qa, call_id, out, exported_by="quinn")
    frames, pcm, rate, _ = decode_mp4(out)
    at = int((painted_us - result.origin_us) / 1e6 * rate)
    talk = pcm[max(0, at - rate) : at + rate]
    assert abs(dominant_frequency(talk[:, 0], rate) - OPERATOR_HZ) < 30  # operator: left
    assert abs(dominant_frequency(talk[:, 1], rate) - CUSTOMER_HZ) < 30  # customer: right

    assert frames[0][1].shape == (size.height(), size.width(), 3)  # the app's whole screen

    def frame_at(seconds: float) -> np.ndarray:
        shown = [rgb for t, rgb in frames if t <= seconds] or [frames[0][1]]
        return shown[-1]

    def colour_at(seconds: float) -> np.ndarray:
        return frame_at(seconds)[probe]

    # Paused: the screen black and both channels silent; the tones before and after it.
    a, b = ((t - result.origin_us) / 1e6 for t in (paused_us, resumed_us))
    assert float(frame_at((a + b) / 2).mean()) < 4, "the paused screen is black"
    quiet = pcm[int((a + 0.3) * rate) : int((b - 0.3) * rate)]
    assert (level := level_dbfs(quiet)) < -50, f"paused audio at {level:.1f} dBFS"
    after_pause = pcm[int((b + 0.3) * rate) : int((b + 1.2) * rate)]
    assert abs(dominant_frequency(after_pause[:, 0], rate) - OPERATOR_HZ) < 30
    assert float(np.abs(after_pause[:, 1]).max()) > 100 * float(np.abs(quiet[:, 1]).max() + 1e-6)

    before = colour_at((painted_us - result.origin_us) / 1e6 - 0.5)
    after = colour_at((painted_us - result.origin_us) / 1e6 + 1.0)
    assert before[2] > 200 and before[0] < 60, f"expected the blue screen, got {before}"
    assert after[0] > 200 and after[2] < 60, f"expected the red screen, got {after}"
    qa.close()

    # The card number typed during the call: paused for its field (a band of its own), the
    # screen black there, both channels of the softphone's recording silent at the source.
    spans = {}
    for kind in ("pause", "resume"):
        card = [e for e in call["events"] if e.get("detail") == "sensitive_field"]
        (spans[kind],) = [e["at_us"] for e in card if e["kind"] == kind]
    f_a, f_b = ((spans[k] - result.origin_us) / 1e6 for k in ("pause", "resume"))
    assert f_b - f_a > 1.5, (f_a, f_b)
    assert card_band.start_us < typed.keys_us, "the screen was masked after the first key"
    m_a, m_b = ((t - result.origin_us) / 1e6 for t in (card_band.start_us, card_band.end_us))
    shown = [rgb for t, rgb in frames if m_a - 0.05 < t < m_b - 0.05]
    assert shown, "no frame while the sensitive field had focus"
    for rgb in shown:  # the digits, and the green painted meanwhile, show nowhere
        assert int(typed.field.cut(rgb).max()) < 24, "the sensitive field shows"
        r, g, b = (rgb[:, :, k].astype(int) for k in range(3))
        assert not np.any((g > 100) & (r < 80) & (b < 80)), "the green pattern shows"
        assert float(rgb.mean()) < 4, f"not black: mean {float(rgb.mean()):.1f}"  # (the caption)
    green = colour_at(f_b + 1.0)  # the pattern shows once the field is left
    assert green[1] > 200 and green[0] < 60 and green[2] < 60, green
    for rgb in [rgb for t, rgb in frames if m_b - 0.05 < t < f_b + 1.2]:  # no digit, ever
        assert difference(typed.field.cut(rgb), typed.after) < 12, "the field is not masked"
    # Before and after, the window and the field show as they were on the live screen.
    for seconds, field_live, window_live in (
        (f_a - 0.4, typed.before, typed.window_before),
        (f_b + 1.0, typed.after, typed.window_after),
    ):
        rgb = frame_at(seconds)
        field_diff = difference(typed.field.cut(rgb), field_live)
        window_diff = difference(typed.window.cut(rgb), window_live)
        assert field_diff < 12 and window_diff < 12, (seconds, field_diff, window_diff)
    # The masked window: black in every frame of its band, the rest of the screen shown;
    # silent audio. (The band starts with the first title poll after the window shows.)
    t_a, t_b = ((t - result.origin_us) / 1e6 for t in (title_band.start_us, title_band.end_us))
    assert t_b - t_a > 1.5, (t_a, t_b)
    shown = [rgb for t, rgb in frames if t_a - 0.05 < t < t_b - 0.05]
    assert shown, "no frame while the masked window was in front"
    for rgb in shown:
        assert int(secret_place.inset(8).cut(rgb).max()) < 24, "the masked window shows"
        assert difference(typed.field.cut(rgb), typed.after) < 12, "the rest is not shown"
    quiet = pcm[int((t_a + 0.3) * rate) : int((t_b - 0.3) * rate)]
    assert (level := level_dbfs(quiet)) < -50, f"audio at {level:.1f} dBFS behind a masked title"
    # At the source, the masked title's silence follows the worker's note of it (its frames'
    # masked period starts and ends with the next frame).
    (journal,) = tmp_path.rglob(SILENCES_NAME)
    (title,) = SilenceJournal(journal).spans(title_band.start_us, title_band.end_us)
    assert title.reasons == ("masked_title",) and title.end_us is not None, title
    (done, wav) = next((e, pcm) for e, pcm in wavs if e.call_id == call_id)
    rate_wav = done.sample_rate
    for (a_us, b_us), why in (
        ((paused_us, resumed_us), "manual"),
        ((spans["pause"], spans["resume"]), "card"),
        ((title.start_us, title.end_us), "masked title"),
    ):
        a_s, b_s = ((t - done.first_sample_utc_us) / 1e6 for t in (a_us, b_us))
        inside = wav[int((a_s + 0.15) * rate_wav) : int((b_s - 0.15) * rate_wav)]
        assert len(inside) and int(np.abs(inside).max()) == 0, f"{why}: sound at the source"
        for part in (wav[int((a_s - 0.9) * rate_wav) : int((a_s - 0.1) * rate_wav)],
                     wav[int((b_s + 0.2) * rate_wav) : int((b_s + 1.0) * rate_wav)]):  # fmt: skip
            assert abs(dominant_frequency(part[:, 0].astype(float), rate_wav) - OPERATOR_HZ) < 30
            assert abs(dominant_frequency(part[:, 1].astype(float), rate_wav) - CUSTOMER_HZ) < 30

    # The number itself: only its last four digits leave the PC, and nowhere in clear.
    assert call["card"]["card_no"]["value"].endswith(CARD[-4:])
    texts = {
        "the store's call": json.dumps(call),
        "the CRM's received bodies": json.dumps(crm.requests),
        "the store's log": store.log(),
        "the desktop's log": "\n".join(r.getMessage() for r in caplog.records),
        "the processes' output": "".join(capfd.readouterr()),
    }
    for where, text in texts.items():
        assert CARD not in text.replace(" ", ""), f"the card number is in {where}"
    posted = [b for m, path, b in crm.requests if m == "POST" and path.startswith("/api/calls")]
    assert [b["card"]["card_no"][-4:] for b in posted] == [CARD[-4:]], crm.requests
    for folder in (store.data_dir, tmp_path):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix not in (".mp4", ".ogg", ".wav", ".png"):
                data = path.read_bytes()
                assert CARD.encode() not in data and b"4111 1111" not in data, path

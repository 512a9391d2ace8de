"""The settings dialog: what lands in the file and the keyring, and messages naming fields."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from desktop.settings import values as settings
from desktop.settings.dialog import SettingsDialog
from desktop.widgets.audio_dialog import AudioDevicesDialog
from tests.unit.conftest import MemoryKeyring

EXISTING = """\
[account]
user = "1001"
domain = "pbx.example.com"
registrar = "sip:pbx.example.com"

[sip]
sip_port = 5070

[recorder]
policy = "sampled"
sample_percent = 25
"""


def open_dialog(qtbot: QtBot, path: Path) -> SettingsDialog:
    dialog = SettingsDialog(path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.ready, timeout=5000)
    return dialog


def save_and_wait(qtbot: QtBot, dialog: SettingsDialog) -> None:
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save()


def test_settings_land_in_the_file_and_secrets_only_in_the_keyring(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "agentdesk.toml"
    dialog = open_dialog(qtbot, path)
    a, s = dialog.account, dialog.store
    a.registrar.setText("pbx.example.com:5061")
    a.user.setText("1001")
    a.transport.setCurrentText("tls")
    a.display_name.setText("Anna Petrova")
    a.password.setText("pbx-Secret-1")
    s.url.setText("https://store.example.com/")
    s.token.setText("store-Token-2")
    dialog.language.setCurrentIndex(dialog.language.findData("ru"))
    save_and_wait(qtbot, dialog)
    text = path.read_text(encoding="utf-8")
    assert "pbx-Secret-1" not in text and "store-Token-2" not in text
    assert memory_keyring.passwords == {
        ("agentdesk", "1001@pbx.example.com"): "pbx-Secret-1",
        ("agentdesk", "store-token"): "store-Token-2",
    }
    loaded = settings.load(path)
    assert loaded.source == "file" and loaded.problems == []
    conf = loaded.settings
    assert conf.account is not None
    assert (conf.account.registrar, conf.account.domain) == (
        "sip:pbx.example.com:5061",
        "pbx.example.com",
    )
    assert conf.account.transport == "tls" and "tls" in conf.sip.transports
    assert conf.account.display_name == "Anna Petrova"
    assert conf.store.url == "https://store.example.com/" and conf.ui.language == "ru"


def test_the_file_is_edited_not_replaced_and_the_policy_is_shown(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "agentdesk.toml"
    path.write_text(EXISTING, encoding="utf-8")
    dialog = open_dialog(qtbot, path)
    assert dialog.account.user.text() == "1001"
    assert "25% of calls" in dialog.recording.text()
    dialog.account.display_name.setText("Anna")
    save_and_wait(qtbot, dialog)
    conf = settings.load(path).settings
    assert conf.sip.sip_port == 5070 and conf.recorder.policy == "sampled"
    assert conf.account is not None and conf.account.display_name == "Anna"
    assert (tmp_path / "agentdesk.toml.bak").read_text(encoding="utf-8") == EXISTING
    assert memory_keyring.passwords == {}  # an empty password field keeps the stored one


def test_with_a_store_the_dialog_says_its_policy_applies(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "agentdesk.toml"
    text = (
        EXISTING + 'enabled = false\nmask_titles = ["Bank"]\n\n[store]\nurl = "https://s.example"\n'
    )
    path.write_text(text, encoding="utf-8")
    dialog = open_dialog(qtbot, path)
    shown = dialog.recording.text()
    assert "comes from the store (https://s.example)" in shown
    assert "cannot switch recording off" in shown and "25% of calls" not in shown
    assert "Windows masked on the recording: Bank" in shown


def test_validation_names_the_field_and_writes_nothing(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "agentdesk.toml"
    dialog = open_dialog(qtbot, path)
    dialog.account.registrar.setText("pbx.example.com")
    dialog.account.password.setText("pw")
    dialog.save()
    assert "User (account.user): required" in dialog.problems.text()
    assert dialog.account.user.styleSheet() and not dialog.account.registrar.styleSheet()
    dialog.account.user.setText("10 01")
    dialog.store.url.setText("ftp://store.example.com")
    dialog.save()
    shown = dialog.problems.text()
    assert "User (account.user): '10 01' is not a valid SIP user name" in shown
    dialog.account.user.setText("1001")
    dialog.save()
    shown = dialog.problems.text()
    assert "Store address (store.url): 'ftp://store.example.com' must be an http" in shown
    assert dialog.store.url.styleSheet() and not dialog.account.user.styleSheet()
    agent = dialog.extra["agent"].edits["agent.wrap_up_s"]
    assert isinstance(agent, QLineEdit)
    agent.setText("soon")
    dialog.store.url.setText("")
    dialog.save()
    assert dialog.problems.text() == (
        "Wrap-up after a call, s (agent.wrap_up_s): 'soon' is not a valid value"
    )
    assert not path.exists() and memory_keyring.passwords == {}
    assert dialog.result() == 0  # still open


def test_without_a_keyring_the_file_is_saved_and_the_dialog_says_so(
    qtbot: QtBot, tmp_path: Path, no_keyring: None
) -> None:
    path = tmp_path / "agentdesk.toml"
    dialog = open_dialog(qtbot, path)
    dialog.account.registrar.setText("sip:pbx.example.com")
    dialog.account.user.setText("1001")
    dialog.account.password.setText("pbx-Secret-1")
    save_and_wait(qtbot, dialog)
    qtbot.waitUntil(lambda: "no OS keyring" in dialog.problems.text(), timeout=5000)
    assert dialog.account.password.text() == "pbx-Secret-1"  # kept for another try
    assert "pbx-Secret-1" not in path.read_text(encoding="utf-8")
    assert "keyring set agentdesk 1001@pbx.example.com" in dialog.problems.text()


def test_crm_settings_go_to_the_file_and_the_crm_secret_to_the_keyring(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "agentdesk.toml"
    dialog = open_dialog(qtbot, path)
    crm = dialog.extra["crm"].edits
    lines = {k: e for k, e in crm.items() if isinstance(e, QLineEdit)}
    lines["crm.adapter"].setText("rest")
    lines["crm.lookup_url"].setText("https://crm.example.com/api/contacts?phone={number}")
    lines["crm.timeout_s"].setText("2.5")
    fields = crm["crm.fields"]
    assert isinstance(fields, QPlainTextEdit)  # one item per line: items may hold commas
    fields.setPlainText("name: data.full_name\nBalance: data.balance, rub")
    dialog.crm_secret.setText("crm-Secret-3")
    save_and_wait(qtbot, dialog)
    assert "crm-Secret-3" not in path.read_text(encoding="utf-8")
    assert memory_keyring.passwords == {("agentdesk", "crm@crm.example.com"): "crm-Secret-3"}
    conf = settings.load(path).settings
    assert conf.crm.adapter == "rest" and conf.crm.timeout_s == 2.5
    assert conf.crm.fields == ("name: data.full_name", "Balance: data.balance, rub")


def test_sound_check_shows_the_mic_level_and_says_what_the_test_tone_did(qtbot: QtBot) -> None:
    dialog = AudioDevicesDialog(lambda: (-20.0, -75.0))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.mic_meter.value() == 40, timeout=3000)  # -20 dBFS of 60
    assert dialog.speaker_meter.value() == 0  # below the floor
    qtbot.waitUntil(lambda: "Looking" not in dialog.status.text(), timeout=20000)
    dialog.speaker.addItem("no such speaker", "no-such-speaker-xyz")
    dialog.speaker.setCurrentIndex(dialog.speaker.count() - 1)
    dialog.tone_button.click()
    assert not dialog.tone_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.tone_button.isEnabled(), timeout=20000)
    # Without sound hardware the reason is PortAudio's; with it, the device is not found.
    text = dialog.tone_status.text()
    assert text.startswith("No test tone: ") and len(text) > len("No test tone: ") + 5, text
    dialog.done(0)


def test_a_store_only_user_saves_a_store_without_a_sip_account(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "agentdesk.toml"
    path.write_text(EXISTING, encoding="utf-8")
    dialog = open_dialog(qtbot, path)
    for edit in (dialog.account.registrar, dialog.account.user, dialog.account.domain):
        edit.clear()
    dialog.store.url.setText("https://store.example.com")
    dialog.store.token.setText("quinn-Token-3")
    save_and_wait(qtbot, dialog)
    loaded = settings.load(path)
    assert loaded.problems == [] and loaded.settings.account is None
    assert loaded.settings.store.url == "https://store.example.com"
    assert memory_keyring.passwords == {("agentdesk", "store-token"): "quinn-Token-3"}

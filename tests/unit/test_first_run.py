"""The first-run wizard: shown only when nothing is configured, and it writes a working config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from desktop.settings import first_run
from desktop.settings import values as settings
from desktop.settings.first_run import FirstRunWizard
from tests.unit.conftest import MemoryKeyring


def while_shown(drive: Callable[[FirstRunWizard], None]) -> list[str]:
    """Run ``drive`` on the wizard once it is up; a safety timer closes it if ``drive`` fails."""
    seen: list[str] = []

    def find() -> None:
        wizard = QApplication.activeModalWidget()
        seen.append(type(wizard).__name__)
        if isinstance(wizard, FirstRunWizard):
            QTimer.singleShot(15000, wizard.reject)
            drive(wizard)

    QTimer.singleShot(0, find)
    return seen


def test_nothing_configured_means_the_wizard_unless_the_demo_is_asked_for(
    tmp_path: Path,
) -> None:
    missing = settings.load(tmp_path / "agentdesk.toml")
    assert first_run.needed(missing, demo=False)
    assert not first_run.needed(missing, demo=True)
    (tmp_path / "agentdesk.toml").write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    assert not first_run.needed(settings.load(tmp_path / "agentdesk.toml"), demo=False)
    broken = tmp_path / "broken.toml"
    broken.write_text("[ui\n", encoding="utf-8")  # a broken file is reported, not replaced
    assert not first_run.needed(settings.load(broken), demo=False)


def test_the_wizard_appears_and_produces_a_working_config(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "config" / "agentdesk.toml"
    messages: list[str] = []

    def drive(wizard: FirstRunWizard) -> None:
        wizard.next()  # welcome → account
        page = wizard.account
        page.form.registrar.setText("pbx.example.com")
        wizard.next()  # half filled: refused, and the message names the missing field
        messages.append(page.problems.text())
        page.form.user.setText("1001")
        page.form.password.setText("pbx-Secret-1")
        wizard.next()
        wizard.store.form.url.setText("http://127.0.0.1:8750")
        wizard.store.form.token.setText("store-Token-2")
        wizard.next()
        assert wizard.currentPage() is wizard.done_page
        wizard.button(QWizard.WizardButton.FinishButton).click()

    seen = while_shown(drive)
    loaded = first_run.run_if_needed(settings.load(path), demo=False, translators=[])
    assert seen == ["FirstRunWizard"]
    assert "User (account.user): required" in messages[0]
    assert loaded.source == "file" and loaded.problems == [] and not loaded.settings.demo.enabled
    acc = loaded.settings.account_settings("pbx-Secret-1")
    assert acc is not None and acc.validate() is acc  # what the engine is given
    assert (acc.user, acc.domain, acc.registrar) == (
        "1001",
        "pbx.example.com",
        "sip:pbx.example.com",
    )
    loaded.settings.engine_config().validate()
    assert loaded.settings.store.url == "http://127.0.0.1:8750"
    text = path.read_text(encoding="utf-8")
    assert "pbx-Secret-1" not in text and "store-Token-2" not in text
    assert memory_keyring.passwords == {
        ("agentdesk", "1001@pbx.example.com"): "pbx-Secret-1",
        ("agentdesk", "store-token"): "store-Token-2",
    }


def test_try_the_demo_writes_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.toml"
    seen = while_shown(
        lambda w: w.button(QWizard.WizardButton.CustomButton1).click()  # "Try the demo"
    )
    loaded = first_run.run_if_needed(settings.load(path), demo=False, translators=[])
    assert seen == ["FirstRunWizard"]
    assert loaded.source == "default" and loaded.settings.demo.enabled
    assert not path.exists()


def test_no_wizard_when_a_file_exists(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.toml"
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    loaded = settings.load(path)
    assert first_run.run_if_needed(loaded, demo=False, translators=[]) is loaded


def test_a_store_only_user_sets_up_without_a_sip_account(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """QA controllers and supervisors take no calls: no SIP account, but then the store is
    required (its address and token)."""
    path = tmp_path / "agentdesk.toml"
    messages: list[str] = []

    def drive(wizard: FirstRunWizard) -> None:
        wizard.next()  # welcome → account
        wizard.next()  # left empty: accepted
        assert wizard.currentPage() is wizard.store
        wizard.next()  # no store either: refused
        messages.append(wizard.store.problems.text())
        wizard.store.form.url.setText("http://127.0.0.1:8750")
        wizard.store.form.token.setText("quinn-Token-3")
        wizard.next()
        assert wizard.currentPage() is wizard.done_page
        wizard.button(QWizard.WizardButton.FinishButton).click()

    while_shown(drive)
    loaded = first_run.run_if_needed(settings.load(path), demo=False, translators=[])
    assert "(store.url): required without a SIP account" in messages[0]
    assert "(store.token): required without a SIP account" in messages[0]
    assert loaded.source == "file" and loaded.problems == []
    assert loaded.settings.account is None and loaded.settings.store.url == "http://127.0.0.1:8750"
    assert memory_keyring.passwords == {("agentdesk", "store-token"): "quinn-Token-3"}

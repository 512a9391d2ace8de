"""The first-run wizard: shown before the main window when nothing is configured (no settings
file, no ``--demo``). It asks for the language, the SIP account and the store, then writes
``agentdesk.toml`` and puts the secrets into the keyring; "Try the demo" skips it.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget, QWizard, QWizardPage

from desktop import i18n
from desktop.settings import values as settings
from desktop.settings.forms import (
    MARK,
    AccountForm,
    Problem,
    StoreForm,
    check,
    language_combo,
    problem,
    save_all,
)
from desktop.settings.values import Settings, UiSection
from desktop.threads import run_in_thread


def _problems_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("wizardProblems")
    label.setWordWrap(True)
    label.setStyleSheet("color: #a00000;")
    return label


def _show(label: QLabel, edits: dict[str, QWidget], problems: list[Problem]) -> bool:
    """Show the problems (and outline their fields); True when there are none."""
    keys = {key for key, _ in problems}
    for key, edit in edits.items():
        edit.setStyleSheet(MARK if key in keys else "")
    label.setText("\n".join(message for _, message in problems))
    return not problems


class WelcomePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Welcome to AgentDesk"))
        intro = QLabel(
            self.tr(
                "Nothing is set up yet. The next pages ask for your SIP account and the "
                "central store; passwords and tokens are kept in the system keyring."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.language = language_combo(self, "auto")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel(self.tr("Language"), self))
        layout.addWidget(self.language)


class AccountPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Your SIP account"))
        self.setSubTitle(
            self.tr(
                "The phone system's address and your extension. QA controllers and "
                "supervisors who take no calls leave it empty (the store is then required)."
            )
        )
        self.form = AccountForm(self)
        self.form.password.setPlaceholderText("")
        self.problems = _problems_label(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.problems)

    def validatePage(self) -> bool:
        section, problems = self.form.read()
        if section is None:  # no SIP account: a store-only user (QA, supervisor)
            return _show(self.problems, self.form.edits, [])
        if not problems:
            conf = Settings(account=section)
            transports = tuple(dict.fromkeys((*conf.sip.transports, section.transport)))
            conf = dataclasses.replace(
                conf, sip=dataclasses.replace(conf.sip, transports=transports)
            )
            problems = [p for p in check(conf) if p[0].startswith("account.")]
        return _show(self.problems, self.form.edits, problems)


class StorePage(QWizardPage):
    def __init__(self, account: AccountForm, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account = account
        self.setTitle(self.tr("The central store"))
        self.setSubTitle(
            self.tr("Where your calls and recordings go. Leave it empty to work on this PC only.")
        )
        self.form = StoreForm(self)
        self.problems = _problems_label(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.problems)

    def validatePage(self) -> bool:
        section = self.form.read()
        problems = [p for p in check(Settings(store=section)) if p[0].startswith("store.")]
        if self.account.read()[0] is None:  # nothing to phone with: the store is the point
            needed = self.tr("required without a SIP account")
            if not section.url:
                problems.append(problem("store.url", needed))
            if not self.form.token.text().strip():
                problems.append(problem("store.token", needed))
        return _show(self.problems, self.form.edits, problems)


class DonePage(QWizardPage):
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Ready"))
        text = self.tr("Finish writes the settings to %1. You can change them later in Settings.")
        info = QLabel(text.replace("%1", str(path)), self)
        info.setWordWrap(True)
        self.problems = _problems_label(self)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addWidget(self.problems)


class FirstRunWizard(QWizard):
    """Writes a working configuration; ``exec()`` returns DEMO when the operator chose it."""

    DEMO = 2

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.saved = False
        self.setWindowTitle(self.tr("AgentDesk set-up"))
        self.welcome, self.account = WelcomePage(self), AccountPage(self)
        self.store, self.done_page = StorePage(self.account.form, self), DonePage(path, self)
        for page in (self.welcome, self.account, self.store, self.done_page):
            self.addPage(page)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, self.tr("Try the demo"))
        self.customButtonClicked.connect(lambda _: self.done(self.DEMO))

    def settings(self) -> Settings:
        account, _ = self.account.form.read()
        base = Settings()
        transports = base.sip.transports
        if account is not None and account.transport not in transports:
            transports = (*transports, account.transport)
        return dataclasses.replace(
            base,
            account=account,
            sip=dataclasses.replace(base.sip, transports=transports),
            store=self.store.form.read(),
            ui=UiSection(language=str(self.welcome.language.currentData())),
        )

    def accept(self) -> None:
        """Finish: write the file and the secrets off the UI thread, then close."""
        if self.saved:
            super().accept()
            return
        conf = self.settings()
        password = self.account.form.password.text()
        token = self.store.form.token.text()
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.done_page.problems.setText(self.tr("Saving…"))
        run_in_thread(lambda: save_all(self.path, conf, password, token), self._saved)

    def _saved(self, future: Future[list[str]]) -> None:
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        exc = future.exception()
        if exc is not None:
            text = self.tr("The settings could not be saved: %1")
            self.done_page.problems.setText(text.replace("%1", str(exc)))
            return
        self.saved = True
        failures = future.result()
        if failures:  # the file is written; say what is missing and let Finish close
            self.done_page.problems.setText("\n".join(failures))
            return
        super().accept()


def needed(loaded: settings.LoadedSettings, demo: bool) -> bool:
    """Nothing is configured: no settings file, and the demo was not asked for."""
    return loaded.source == "default" and not demo


def run_if_needed(
    loaded: settings.LoadedSettings, demo: bool, translators: list[QTranslator]
) -> settings.LoadedSettings:
    """Run the wizard when nothing is configured; the settings it wrote, else ``loaded``
    (the demo). The chosen language is applied at once (``translators`` swapped in place)."""
    if not needed(loaded, demo):
        return loaded
    wizard = FirstRunWizard(loaded.path)
    if wizard.exec() != QDialog.DialogCode.Accepted or not wizard.saved:
        return loaded
    again = settings.load(loaded.path)
    app = QCoreApplication.instance()
    if app is not None:
        translators[:] = i18n.switch(app, again.settings.ui.language, translators)
    return again

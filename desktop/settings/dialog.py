"""The settings dialog: SIP account, store, sound, the recording policy (shown), other sections
such as the CRM's, and the language. The file and the keyring are read and written off the
UI thread; validation names the field before anything is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTranslator, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n
from desktop.settings.forms import (
    MARK,
    AccountForm,
    Problem,
    SectionForm,
    StoreForm,
    check,
    field_label,
    language_combo,
    read_file_settings,
    save_all,
)
from desktop.settings.values import Settings
from desktop.threads import run_in_thread
from desktop.widgets.audio_dialog import AudioDevicesDialog

Levels = Callable[[], tuple[float, float]]
OWN_TABS = ("account", "store", "audio", "ui", "recorder", "sip", "demo")


def _silence() -> tuple[float, float]:
    return (-120.0, -120.0)


class SettingsDialog(QDialog):
    """Edits ``agentdesk.toml`` and the keyring; ``saved(Settings)`` once both are written."""

    saved = Signal(object)

    def __init__(
        self, path: Path, levels: Levels | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.path = path
        self.levels = levels or _silence
        self.base = Settings()
        self.ready = False  # the file has been read
        self.account = AccountForm(self)
        self.store = StoreForm(self)
        self.audio_mode = QComboBox(self)
        for text, mode in (
            (self.tr("automatic"), "auto"),
            (self.tr("sound devices (PortAudio)"), "portaudio"),
            (self.tr("no sound"), "null"),
        ):
            self.audio_mode.addItem(text, mode)
        self.devices = ("", "", "")
        self.devices_label = QLabel(self)
        self.language = language_combo(self, "auto")
        self.recording = QLabel(self)
        self.recording.setWordWrap(True)
        self.extra: dict[str, SectionForm] = {}
        self.crm_secret = QLineEdit(self)
        self.crm_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.crm_secret.setPlaceholderText(self.tr("leave empty to keep the stored secret"))
        self.tabs = QTabWidget(self)
        self.problems = QLabel(self)
        self.problems.setObjectName("settingsProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #a00000;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        self.problems.setText(self.tr("Reading the settings…"))
        run_in_thread(lambda: read_file_settings(path), self._file_read)

    # --- building ------------------------------------------------------------------------
    def _file_read(self, future: Future[tuple[Settings, list[str]]]) -> None:
        exc = future.exception()
        if exc is not None:  # nothing to edit safely: say why, keep Save off
            text = self.tr("The settings could not be read: %1")
            self.problems.setText(text.replace("%1", str(exc) or type(exc).__name__))
            return
        conf, file_problems = future.result()
        self.base = conf
        self.account.load(conf.account)
        self.store.load(conf.store)
        self.audio_mode.setCurrentIndex(max(self.audio_mode.findData(conf.audio.mode), 0))
        self.devices = (conf.audio.mic, conf.audio.speaker, conf.audio.ring)
        self.language.setCurrentIndex(max(self.language.findData(conf.ui.language), 0))
        self._build_tabs(conf)
        self._show_devices()
        self._show_recording(conf)
        self.problems.setText("\n".join(file_problems))
        self.buttons.setEnabled(True)
        self.ready = True

    def _build_tabs(self, conf: Settings) -> None:
        self.tabs.addTab(self.account, self.tr("SIP account"))
        self.tabs.addTab(self.store, self.tr("Store"))
        audio = QWidget(self)
        form = QFormLayout(audio)
        form.addRow(field_label("audio.mode"), self.audio_mode)
        form.addRow(self.tr("Devices"), self.devices_label)
        choose = QPushButton(self.tr("Choose and test devices…"), audio)
        choose.clicked.connect(self.choose_devices)
        form.addRow(choose)
        self.tabs.addTab(audio, self.tr("Sound"))
        self.tabs.addTab(self.recording, self.tr("Recording"))
        for f in dataclasses.fields(conf):
            value = getattr(conf, f.name)
            if f.name not in OWN_TABS and dataclasses.is_dataclass(value):
                self.extra[f.name] = SectionForm(f.name, value, self)
                if f.name == "crm":  # its token or webhook secret goes to the keyring
                    self.extra[f.name].add_secret("crm.secret", self.crm_secret)
                titles = {"crm": self.tr("CRM"), "agent": self.tr("Wrap-up and breaks")}
                titles["upload"] = self.tr("Uploads")
                titles["dialog_card"] = self.tr("Dialog card")
                title = titles.get(f.name, f.name)
                self.tabs.addTab(self.extra[f.name], title)
        lang = QWidget(self)
        QFormLayout(lang).addRow(field_label("ui.language"), self.language)
        self.tabs.addTab(lang, self.tr("Language"))

    def _show_devices(self) -> None:
        default = self.tr("system default")
        mic, speaker, ring = (name or default for name in self.devices)
        text = self.tr("microphone: %1; speaker: %2; ringing: %3")
        self.devices_label.setText(
            text.replace("%1", mic).replace("%2", speaker).replace("%3", ring)
        )

    def _show_recording(self, conf: Settings) -> None:
        r = conf.recorder
        if conf.store.url:
            note = self.tr(
                "The recording policy comes from the store (%1) and a change there applies "
                "within seconds. These settings cannot switch recording off, not even "
                "[recorder] enabled = false; windows masked here are added to the store's."
            )
            lines = [note.replace("%1", conf.store.url)]
            if r.mask_titles:
                masked = self.tr("Windows masked on the recording: %1")
                lines.append(masked.replace("%1", ", ".join(r.mask_titles)))
            self.recording.setText("\n".join(lines))
            return
        policies = {
            "all": self.tr("every call is recorded"),
            "sampled": self.tr("a sample of %1% of calls is recorded").replace(
                "%1", f"{r.sample_percent:g}"
            ),
            "consent": self.tr("calls are recorded once the caller consents"),
            "off": self.tr("no call is recorded"),
        }
        lines = [
            self.tr("Recording policy: %1").replace("%1", policies.get(r.policy, r.policy)),
            self.tr("Screen: %1 frames/s, %2 s before the call, %3 s of wrap-up")
            .replace("%1", f"{r.fps:g}")
            .replace("%2", f"{r.preroll_s:g}")
            .replace("%3", f"{conf.agent.wrap_up_max_s:g}"),
        ]
        if r.mask_titles:
            masked = self.tr("Windows masked on the recording: %1")
            lines.append(masked.replace("%1", ", ".join(r.mask_titles)))
        lines.append(self.tr("The recording policy is set by the administrator."))
        self.recording.setText("\n".join(lines))

    def choose_devices(self) -> None:
        dialog = AudioDevicesDialog(self.levels, self.devices, self)
        if dialog.exec():
            self.devices = dialog.choice()
            self._show_devices()

    # --- saving --------------------------------------------------------------------------
    def collect(self) -> tuple[Settings, list[Problem]]:
        """The settings as the form says, and every problem (each naming its field)."""
        account, problems = self.account.read()
        conf = dataclasses.replace(
            self.base,
            account=account,
            store=self.store.read(),
            audio=dataclasses.replace(
                self.base.audio,
                mode=str(self.audio_mode.currentData()),
                mic=self.devices[0],
                speaker=self.devices[1],
                ring=self.devices[2],
            ),
            ui=dataclasses.replace(self.base.ui, language=str(self.language.currentData())),
        )
        if account is not None and account.transport not in conf.sip.transports:
            sip = dataclasses.replace(
                conf.sip, transports=(*conf.sip.transports, account.transport)
            )
            conf = dataclasses.replace(conf, sip=sip)
        for name, form in self.extra.items():
            section, errs = form.read()
            problems += errs
            conf = dataclasses.replace(conf, **{name: section})
        if not problems:
            problems = check(conf)
        return conf, problems

    def save(self) -> None:
        if not self.ready:
            return
        conf, problems = self.collect()
        self.mark(problems)
        if problems:
            self.problems.setText("\n".join(message for _, message in problems))
            return
        password, token = self.account.password.text(), self.store.token.text()
        crm_secret = self.crm_secret.text()
        self.buttons.setEnabled(False)
        self.problems.setText(self.tr("Saving…"))
        run_in_thread(
            lambda: save_all(self.path, conf, password, token, crm_secret), self._saved(conf)
        )

    def _saved(self, conf: Settings) -> Callable[[Future[list[str]]], None]:
        def done(future: Future[list[str]]) -> None:
            self.buttons.setEnabled(True)
            exc = future.exception()
            if exc is not None:
                text = self.tr("The settings could not be saved: %1")
                self.problems.setText(text.replace("%1", str(exc)))
                return
            self.base = conf
            self.saved.emit(conf)
            failures = future.result()
            if failures:  # the file is written; the secret stays typed in for another try
                self.problems.setText("\n".join(failures))
                return
            self.accept()

        return done

    def mark(self, problems: list[Problem]) -> None:
        """Outline the fields that have a problem; clear the others."""
        keys = {key for key, _ in problems}
        edits: dict[str, QWidget] = {**self.account.edits, **self.store.edits}
        for form in self.extra.values():
            edits.update(form.edits)
        for key, edit in edits.items():
            edit.setStyleSheet(MARK if key in keys else "")


class SettingsMenu(QObject):
    """The "Settings…" menu entry: opens the dialog; applies the language at once and says
    what waits for the next start."""

    saved = Signal(object)

    def __init__(
        self, path: Path, levels: Levels, window: QMainWindow, translators: list[QTranslator]
    ) -> None:
        super().__init__(window)
        self.path, self.levels, self.window = path, levels, window
        self.translators = translators  # the app's list, swapped in place on a language change
        self.action = QAction(self.tr("&Settings…"), window)
        self.action.triggered.connect(self.open)
        self.saved.connect(self._applied)

    def open(self) -> SettingsDialog:
        dialog = SettingsDialog(self.path, self.levels, self.window)
        dialog.saved.connect(self.saved)
        dialog.open()
        return dialog

    def _applied(self, conf: Settings) -> None:
        app = QCoreApplication.instance()
        if app is not None:
            self.translators[:] = i18n.switch(app, conf.ui.language, self.translators)
        self.window.statusBar().showMessage(
            self.tr("Settings saved. A new SIP account and sound devices apply at the next start."),
            15000,
        )

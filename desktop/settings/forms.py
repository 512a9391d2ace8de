"""Form pieces shared by the settings dialog and the first-run wizard: the SIP account, the
store, the language, any other section generically; validation that names the field; and
saving the file plus the secrets (off the UI thread).

Problems are ``(key, message)`` pairs: the key (``account.user``) says which field to mark,
the message names that field as the operator sees it and keeps the key for the file.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import typing
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop import secret_store
from desktop.crm.config import keyring_user
from desktop.settings import values as settings
from desktop.settings.file import parse_settings
from desktop.settings.values import AccountSection, Settings, StoreSection

Problem = tuple[str, str]
_KEYED = re.compile(r"^([a-z_]+\.[a-z_0-9]+):? (.*)$", re.S)
MARK = "border: 1px solid #c00000;"


def field_label(key: str) -> str:
    """The field's name as the forms show it (translated)."""
    labels = {
        "account.registrar": QCoreApplication.translate("SettingsForms", "SIP server"),
        "account.user": QCoreApplication.translate("SettingsForms", "User"),
        "account.domain": QCoreApplication.translate("SettingsForms", "Domain"),
        "account.transport": QCoreApplication.translate("SettingsForms", "Transport"),
        "account.display_name": QCoreApplication.translate("SettingsForms", "Display name"),
        "account.password": QCoreApplication.translate("SettingsForms", "Password"),
        "store.url": QCoreApplication.translate("SettingsForms", "Store address"),
        "store.ca_file": QCoreApplication.translate("SettingsForms", "Store CA file"),
        "store.token": QCoreApplication.translate("SettingsForms", "Store token"),
        "crm.secret": QCoreApplication.translate("SettingsForms", "CRM token or webhook secret"),
        "audio.mode": QCoreApplication.translate("SettingsForms", "Sound"),
        "ui.language": QCoreApplication.translate("SettingsForms", "Language"),
        "crm.adapter": QCoreApplication.translate(
            "SettingsForms", "CRM type (none, rest, bitrix24)"
        ),
        "crm.timeout_s": QCoreApplication.translate("SettingsForms", "CRM answer time limit, s"),
        "crm.country_code": QCoreApplication.translate(
            "SettingsForms", "Country code for national numbers"
        ),
        "crm.lookup_url": QCoreApplication.translate("SettingsForms", "Lookup address"),
        "crm.contact_path": QCoreApplication.translate(
            "SettingsForms", "Where the contact is in the answer"
        ),
        "crm.fields": QCoreApplication.translate(
            "SettingsForms", "Fields of the answer shown on the card"
        ),
        "crm.open_url": QCoreApplication.translate("SettingsForms", "Contact page address"),
        "crm.create_url": QCoreApplication.translate("SettingsForms", "New contact page address"),
        "crm.post_url": QCoreApplication.translate(
            "SettingsForms", "Address to post finished calls to"
        ),
        "crm.webhook_url": QCoreApplication.translate("SettingsForms", "Bitrix24 webhook address"),
        "crm.user_id": QCoreApplication.translate("SettingsForms", "Bitrix24 user ID"),
        "crm.post_back": QCoreApplication.translate(
            "SettingsForms", "Post finished calls to the CRM"
        ),
        "dialog_card.fields": QCoreApplication.translate("SettingsForms", "Dialog card fields"),
        "dialog_card.dispositions": QCoreApplication.translate("SettingsForms", "Dispositions"),
        "agent.wrap_up_s": QCoreApplication.translate("SettingsForms", "Wrap-up after a call, s"),
        "agent.wrap_up_max_s": QCoreApplication.translate(
            "SettingsForms", "Wrap-up recorded at most, s"
        ),
        "agent.not_ready_reasons": QCoreApplication.translate("SettingsForms", "Not ready reasons"),
        "agent.break_reasons": QCoreApplication.translate("SettingsForms", "Break reasons"),
        "upload.enabled": QCoreApplication.translate("SettingsForms", "Send to the store"),
        "upload.outbox_dir": QCoreApplication.translate("SettingsForms", "Outbox folder"),
        "upload.quota_mb": QCoreApplication.translate("SettingsForms", "Outbox limit, MB"),
        "upload.bandwidth_kbps": QCoreApplication.translate(
            "SettingsForms", "Upload speed limit, kbit/s (0: none)"
        ),
    }
    return labels.get(key, key)


def problem(key: str, text: str) -> Problem:
    label = field_label(key)
    return key, f"{label} ({key}): {text}" if label != key else f"{key}: {text}"


def check(conf: Settings) -> list[Problem]:
    """The settings' own validation (the same as at start), each problem naming its field."""
    out: list[Problem] = []
    for raw in settings.validate(conf, "settings"):
        text = raw.removeprefix("settings: ")
        m = _KEYED.match(text)
        out.append(problem(m.group(1), m.group(2)) if m else ("", text))
    return out


def read_file_settings(path: Path) -> tuple[Settings, list[str]]:
    """The file's own settings (no demo substitution) and its problems. Reads the disk: call
    it off the UI thread. A missing file gives the defaults."""
    if not path.exists():
        return Settings(), []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Settings(), [f"{path.name}: cannot be read: {exc}"]
    sections, problems, _ = parse_settings(text, path.name, _sections())
    return Settings(**sections), problems


def _sections() -> dict[str, type]:
    hints = typing.get_type_hints(Settings)
    return {f.name: _section_type(hints[f.name]) for f in dataclasses.fields(Settings)}


def _section_type(hint: Any) -> type:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return typing.cast(type, args[0] if args else hint)


def save_all(
    path: Path, conf: Settings, password: str, token: str, crm_secret: str = ""
) -> list[str]:
    """Write the file (the previous one is kept as ``.bak``), then the secrets into the keyring.

    Returns what could not be kept (a keyring problem); the file is written either way, and
    never holds a secret. Blocks on disk and keyring: call it off the UI thread.
    """
    if path.exists():
        shutil.copy2(path, path.with_suffix(path.suffix + ".bak"))
    settings.save(conf, path)
    failures: list[str] = []
    acc = conf.account
    if password and acc is not None:
        try:
            secret_store.store_password(acc.user, acc.domain, password)
        except secret_store.SecretStoreError as exc:
            failures.append(str(exc))
    if token and conf.store.url:
        try:
            secret_store.store_store_token(conf.store.url, token)
        except secret_store.SecretStoreError as exc:
            failures.append(str(exc))
    crm = getattr(conf, "crm", None)
    if crm_secret and crm is not None:
        try:
            secret_store.store_named_secret(keyring_user(crm), crm_secret, "the CRM secret")
        except secret_store.SecretStoreError as exc:
            failures.append(str(exc))
    return failures


def _secret_edit(parent: QWidget) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class AccountForm(QWidget):
    """``[account]``: server, user, domain, transport, display name; the password goes to the
    keyring (an empty password field keeps the stored one)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registrar, self.user, self.domain = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.display_name = QLineEdit(self)
        self.transport = QComboBox(self)
        self.transport.addItems(["udp", "tcp", "tls"])
        self.password = _secret_edit(self)
        self.registrar.setPlaceholderText("sip:pbx.example.com")
        self.domain.setPlaceholderText(self.tr("the server's host"))
        self.password.setPlaceholderText(self.tr("leave empty to keep the stored password"))
        self.edits = {
            "account.registrar": self.registrar,
            "account.user": self.user,
            "account.domain": self.domain,
            "account.transport": self.transport,
            "account.display_name": self.display_name,
            "account.password": self.password,
        }
        form = QFormLayout(self)
        for key, edit in self.edits.items():
            form.addRow(field_label(key), edit)
        self._base = AccountSection(user="", domain="")

    def load(self, section: AccountSection | None) -> None:
        self._base = section or AccountSection(user="", domain="")
        self.registrar.setText(self._base.registrar)
        self.user.setText(self._base.user)
        self.domain.setText(self._base.domain)
        self.transport.setCurrentText(self._base.transport)
        self.display_name.setText(self._base.display_name)

    def read(self) -> tuple[AccountSection | None, list[Problem]]:
        """The section (None when the form is empty: no SIP account) and missing fields."""
        registrar, user = self.registrar.text().strip(), self.user.text().strip()
        domain = self.domain.text().strip()
        if not (registrar or user or domain):
            return None, []
        if registrar and not registrar.startswith(("sip:", "sips:")):
            registrar = f"sip:{registrar}"
        if not domain and registrar:  # the server's host, without scheme, port or params
            domain = registrar.split(":", 1)[1].split(";")[0].rsplit(":", 1)[0].strip("[]")
        problems = []
        if not user:
            problems.append(problem("account.user", self.tr("required")))
        if not domain:
            problems.append(problem("account.registrar", self.tr("required")))
        section = dataclasses.replace(
            self._base,
            registrar=registrar,
            user=user,
            domain=domain,
            transport=self.transport.currentText(),
            display_name=self.display_name.text().strip(),
        )
        return section, problems


class StoreForm(QWidget):
    """``[store]``: the store's address and CA file; the token goes to the keyring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url, self.ca_file = QLineEdit(self), QLineEdit(self)
        self.token = _secret_edit(self)
        self.url.setPlaceholderText("https://store.example.com")
        self.token.setPlaceholderText(self.tr("leave empty to keep the stored token"))
        self.edits: dict[str, QWidget] = {
            "store.url": self.url,
            "store.ca_file": self.ca_file,
            "store.token": self.token,
        }
        form = QFormLayout(self)
        for key, edit in self.edits.items():
            form.addRow(field_label(key), edit)

    def load(self, section: StoreSection) -> None:
        self.url.setText(section.url)
        self.ca_file.setText(section.ca_file)

    def read(self) -> StoreSection:
        return StoreSection(url=self.url.text().strip(), ca_file=self.ca_file.text().strip())


def language_combo(parent: QWidget, current: str) -> QComboBox:
    """auto / English / Русский (each language named in itself)."""
    combo = QComboBox(parent)
    combo.addItem(QCoreApplication.translate("SettingsForms", "System language"), "auto")
    combo.addItem("English", "en")
    combo.addItem("Русский", "ru")
    combo.setCurrentIndex(max(combo.findData(current), 0))
    return combo


class SectionForm(QWidget):
    """Any other section (e.g. the CRM's) edited field by field from its dataclass."""

    def __init__(self, name: str, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name, self.value = name, value
        self.hints = typing.get_type_hints(type(value))
        self.edits: dict[str, QWidget] = {}
        form = QFormLayout(self)
        for f in dataclasses.fields(value):
            current = getattr(value, f.name)
            edit: QWidget
            if self.hints[f.name] is bool:
                edit = QCheckBox(self)
                edit.setChecked(bool(current))
            elif isinstance(current, tuple):  # one item per line (items may hold commas)
                edit = QPlainTextEdit("\n".join(current), self)
                edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 5)
            else:
                edit = QLineEdit("" if current is None else str(current), self)
            key = f"{name}.{f.name}"
            self.edits[key] = edit
            label = QLabel(field_label(key), self)
            where = QCoreApplication.translate("SettingsForms", "%1 in the settings file")
            label.setToolTip(where.replace("%1", key))
            form.addRow(label, edit)

    def add_secret(self, key: str, edit: QLineEdit) -> None:
        """A secret's field shown with the section (kept apart: it never reaches the file)."""
        layout = self.layout()
        if isinstance(layout, QFormLayout):
            layout.addRow(field_label(key), edit)

    def read(self) -> tuple[Any, list[Problem]]:
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for key, edit in self.edits.items():
            field = key.split(".", 1)[1]
            hint = self.hints[field]
            if isinstance(edit, QCheckBox):
                values[field] = edit.isChecked()
                continue
            if isinstance(edit, QPlainTextEdit):
                lines = edit.toPlainText().splitlines()
                values[field] = tuple(line.strip() for line in lines if line.strip())
                continue
            text = edit.text().strip() if isinstance(edit, QLineEdit) else ""
            try:
                values[field] = _parse(text, hint)
            except ValueError:
                problems.append(
                    problem(key, self.tr("%1 is not a valid value").replace("%1", repr(text)))
                )
        if problems:
            return self.value, problems
        return dataclasses.replace(self.value, **values), []


def _parse(text: str, hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if type(None) in typing.get_args(hint):  # optional: empty = absent
        return None if not text else _parse(text, args[0])
    if hint is int:
        return int(text)
    if hint is float:
        return float(text)
    return text

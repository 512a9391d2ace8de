"""The ``[upload]`` settings, the settings dialog's tab for them, and the worker's command line
with the store's options (the token never on it); the store's states stored once."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QCheckBox, QLineEdit
from pytestqt.qtbot import QtBot

from desktop.recording import options as recorder_options
from desktop.recording.options import UploadOptions, upload_only_options, upload_options
from desktop.settings import values as settings
from desktop.settings.dialog import SettingsDialog
from desktop.settings.values import RecorderSection, StoreSection, UploadSection
from recorder.worker_options import WorkerOptions
from store import migrations
from store.db import connect

UPLOAD = """\
[store]
url = "https://store.example.com"
ca_file = "/etc/agentdesk/store-ca.pem"

[upload]
outbox_dir = "{outbox}"
quota_mb = 500
bandwidth_kbps = 2000
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agentdesk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_upload_section_is_read_and_bad_values_name_their_key(tmp_path: Path) -> None:
    loaded = settings.load(write(tmp_path, UPLOAD.format(outbox=tmp_path / "ob")))
    assert loaded.problems == []
    up = loaded.settings.upload
    assert (up.enabled, up.quota_mb, up.bandwidth_kbps) == (True, 500.0, 2000.0)
    assert up.outbox_dir == str(tmp_path / "ob")
    bad = '[upload]\nquota_mb = 1\nbandwidth_kbps = -5\noutbox_dir = "spool"\n'
    joined = "\n".join(settings.load(write(tmp_path, bad)).problems)
    for expected in (
        "upload.quota_mb: must be 10..10000000 MB, got 1 (line 2)",
        "upload.bandwidth_kbps: must be 0 (no cap)..10000000, got -5 (line 3)",
        "upload.outbox_dir: 'spool' must be an absolute path (or empty) (line 4)",
    ):
        assert expected in joined, joined
    wrong_type = settings.load(write(tmp_path, '[upload]\nenabled = "yes"\n')).problems
    assert wrong_type == [
        "agentdesk.toml: upload.enabled: expected true or false, got 'yes' (a string) (line 2)"
    ]


def test_the_worker_gets_the_store_options_but_never_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder_options, "display_available", lambda _d: (True, ""))
    store = StoreSection(url="https://store.example.com", ca_file="/etc/ca.pem")
    upload = UploadSection(outbox_dir=str(tmp_path / "ob"), quota_mb=500, bandwidth_kbps=64)
    uploads = upload_options(store, upload)
    section = RecorderSection(enabled=True, out_dir=str(tmp_path / "rec"))
    options, note = recorder_options.options_from_settings(
        section, demo=False, agent="1001", display=":5", uploads=uploads
    )
    assert options is not None, note
    command = options.command()
    pairs = dict(zip(command, [*command[1:], ""], strict=True))
    assert pairs["--store-url"] == "https://store.example.com"
    assert pairs["--store-ca"] == "/etc/ca.pem"
    assert pairs["--outbox"] == str(tmp_path / "ob")
    assert (pairs["--quota-mb"], pairs["--bandwidth-kbps"]) == ("500", "64")
    assert "--no-capture" not in command
    assert not any("token" in part.lower() for part in command)


def test_upload_only_runs_only_with_a_store_and_uploads_on(tmp_path: Path) -> None:
    section = RecorderSection(out_dir=str(tmp_path / "rec"))
    on = UploadOptions(outbox_dir=tmp_path / "ob", store_url="http://127.0.0.1:9")
    options = upload_only_options(section, on)
    assert options is not None and not options.capture
    command = options.command()
    assert "--no-capture" in command and "http://127.0.0.1:9" in command
    assert command[command.index("--out") + 1] == str(tmp_path / "rec")
    assert upload_only_options(section, UploadOptions(outbox_dir=tmp_path / "ob")) is None
    off = UploadOptions(outbox_dir=tmp_path, store_url="http://127.0.0.1:9", enabled=False)
    assert upload_only_options(section, off) is None
    assert off.apply(WorkerOptions(tmp_path)).store_url == "", "uploads off: journal only"
    assert "--store-url" not in WorkerOptions(tmp_path).to_argv()


def test_the_settings_dialog_has_an_uploads_tab_that_saves(qtbot: QtBot, tmp_path: Path) -> None:
    path = write(tmp_path, "[upload]\nquota_mb = 300\n")
    dialog = SettingsDialog(path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.ready, timeout=5000)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Uploads" in titles
    form = dialog.extra["upload"]
    quota = form.edits["upload.quota_mb"]
    enabled = form.edits["upload.enabled"]
    assert isinstance(quota, QLineEdit) and quota.text() == "300.0"
    assert isinstance(enabled, QCheckBox) and enabled.isChecked()
    quota.setText("750")
    enabled.setChecked(False)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save()
    saved = settings.load(path).settings.upload
    assert (saved.quota_mb, saved.enabled) == (750.0, False)


def test_the_states_migration_keeps_one_row_of_each_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = connect(str(tmp_path / "store.sqlite3"))
    before = [m for m in migrations.MIGRATIONS if m[0] < 4]
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    migrations.migrate(db)
    rows = [("alice", "ready", 10), ("alice", "ready", 10), ("alice", "break", 10)]
    rows += [("bob", "ready", 10)]
    for agent, state, at in rows:
        db.execute(
            "INSERT INTO agent_states (agent, state, at_us, recorded_us) VALUES (?, ?, ?, 0)",
            (agent, state, at),
        )
    monkeypatch.undo()
    assert 4 in migrations.migrate(db)
    kept = db.query("SELECT agent, state, at_us FROM agent_states ORDER BY agent, state")
    assert [(r["agent"], r["state"], r["at_us"]) for r in kept] == [
        ("alice", "break", 10),
        ("alice", "ready", 10),
        ("bob", "ready", 10),
    ]
    db.close()

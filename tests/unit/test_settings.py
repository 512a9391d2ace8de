"""Settings: defaults, validation messages that name file, key and line, and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop import secret_store
from desktop.settings import values as settings
from sip.config import AccountSettings, EngineConfig

GOOD = """\
[account]
user = "1001"
domain = "pbx.example.com"
registrar = "sip:pbx.example.com:5060"
transport = "tcp"
display_name = "Anna Petrova"

[sip]
transports = ["udp", "tcp"]
sip_port = 5070
auto_answer_s = 2

[audio]
mode = "null"

[ui]
language = "ru"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agentdesk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_the_embedded_demo_defaults(tmp_path: Path) -> None:
    loaded = settings.load(tmp_path / "agentdesk.toml")
    assert loaded.source == "default" and not loaded.problems and not loaded.safe_mode
    s = loaded.settings
    assert s.demo.enabled and s.ui.language == "auto"
    assert s.sip.bind_address == "127.0.0.1" and s.sip.transports == ("udp",)
    account = s.account_settings()
    assert account is not None and account.validate() is account
    assert (account.user, account.domain, account.register) == ("operator", "127.0.0.1", False)
    assert isinstance(s.engine_config().validate(), EngineConfig)


def test_a_good_file_maps_onto_the_core_config(tmp_path: Path) -> None:
    loaded = settings.load(write(tmp_path, GOOD))
    assert loaded.source == "file" and loaded.problems == [] and loaded.notes == []
    s = loaded.settings
    config = s.engine_config()
    assert config.sip_port == 5070 and config.audio == "null" and config.auto_answer_s == 2.0
    assert config.bind_address == "0.0.0.0" and not s.demo.enabled
    assert s.engine_config(auto_answer_s=0.0).auto_answer_s == 0.0
    account = s.account_settings(password="s3cret")
    assert isinstance(account, AccountSettings)
    assert account.registrar_uri == "sip:pbx.example.com:5060;transport=tcp"
    assert account.password == "s3cret" and account.display_name == "Anna Petrova"
    assert s.ui.language == "ru"


def test_a_bad_choice_names_file_key_value_and_line(tmp_path: Path) -> None:
    loaded = settings.load(write(tmp_path, GOOD.replace('"tcp"\n', '"xyz"\n', 1)))
    assert loaded.safe_mode and loaded.settings.account is None
    assert loaded.problems == [
        "agentdesk.toml: account.transport: 'xyz' is not one of udp, tcp, tls (line 5)"
    ]


def test_a_wrong_type_names_key_expected_type_and_line(tmp_path: Path) -> None:
    loaded = settings.load(write(tmp_path, GOOD.replace("sip_port = 5070", 'sip_port = "5070"')))
    assert loaded.safe_mode
    assert loaded.problems == [
        "agentdesk.toml: sip.sip_port: expected an integer, got '5070' (a string) (line 10)"
    ]


def test_broken_toml_names_the_file_and_line_and_starts_safe(tmp_path: Path) -> None:
    loaded = settings.load(write(tmp_path, GOOD.replace('user = "1001"', "user = 1001x")))
    assert loaded.safe_mode and loaded.settings.account is None
    assert not loaded.settings.demo.enabled
    [problem] = loaded.problems
    assert problem.startswith("agentdesk.toml: invalid TOML")
    assert "line 2" in problem


def test_core_validation_messages_get_the_file_and_line(tmp_path: Path) -> None:
    text = GOOD.replace("[sip]\n", '[sip]\nbind_address = "not-an-ip"\n')
    [problem] = settings.load(write(tmp_path, text)).problems
    assert problem == "agentdesk.toml: sip.bind_address: 'not-an-ip' is not an IP address (line 9)"


def test_account_transport_must_be_enabled(tmp_path: Path) -> None:
    text = GOOD.replace('transport = "tcp"', 'transport = "tls"')
    [problem] = settings.load(write(tmp_path, text)).problems
    assert "account.transport: 'tls' is not enabled in sip.transports" in problem


def test_missing_required_key_and_bad_language(tmp_path: Path) -> None:
    text = GOOD.replace('domain = "pbx.example.com"\n', "").replace('"ru"', '"de"')
    problems = settings.load(write(tmp_path, text)).problems
    assert "agentdesk.toml: account.domain: missing (it is required) (line 1)" in problems
    # the account section failed, so the language is the only other problem reported later
    text = GOOD.replace('"ru"', '"de"')
    assert settings.load(write(tmp_path, text)).problems == [
        "agentdesk.toml: ui.language: 'de' is not one of auto, en, ru (line 17)"
    ]


def test_unknown_keys_are_noted_without_their_values(tmp_path: Path) -> None:
    loaded = settings.load(write(tmp_path, GOOD + "\n[extra]\nx = 1\n[ui2]\n"))
    assert not loaded.problems
    text = GOOD.replace("[sip]\n", '[sip]\npasword = "hunter2"\n')
    loaded = settings.load(write(tmp_path, text))
    assert loaded.notes == ["agentdesk.toml: unknown key sip.pasword (ignored) (line 9)"]
    assert all("hunter2" not in n for n in loaded.notes)


def test_misspelt_keys_and_sections_say_what_was_meant(tmp_path: Path) -> None:
    text = GOOD.replace("[sip]\n", '[sip]\ntransprots = ["udp"]\n')
    text = text.replace('user = "1001"\n', 'user = "1001"\npasword = "hunter2"\n')
    loaded = settings.load(write(tmp_path, text + "\n[recoder]\nfps = 2\n"))
    assert not loaded.problems
    assert loaded.warnings == [
        "agentdesk.toml: [recoder]: unknown section — did you mean [recorder]? (ignored) "
        f"(line {text.count(chr(10)) + 2})",
        "agentdesk.toml: unknown key account.pasword — did you mean password? (ignored) (line 3)",
        "agentdesk.toml: unknown key sip.transprots — did you mean transports? (ignored) (line 10)",
    ]
    assert all("hunter2" not in n for n in loaded.notes)


def test_a_password_in_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    loaded = settings.load(write(tmp_path, GOOD.replace("[sip]", 'password = "hunter2"\n[sip]')))
    assert loaded.safe_mode
    [problem] = loaded.problems
    assert problem.startswith("agentdesk.toml: account.password: passwords are not read")
    assert "keyring" in problem and "hunter2" not in problem


def test_demo_flag_runs_the_demo_even_with_a_broken_file(tmp_path: Path) -> None:
    loaded = settings.load(write(tmp_path, "[ui\n"), demo=True)
    assert not loaded.safe_mode and loaded.settings.demo.enabled
    assert any("invalid TOML" in note for note in loaded.notes)


def test_the_password_goes_to_the_keyring_never_to_the_file(
    tmp_path: Path, memory_keyring: object
) -> None:
    loaded = settings.load(write(tmp_path, GOOD))
    secret_store.store_password("1001", "pbx.example.com", "hunter2")
    password = secret_store.read_password("1001", "pbx.example.com")
    assert password == "hunter2"
    assert memory_keyring.passwords == {("agentdesk", "1001@pbx.example.com"): "hunter2"}  # type: ignore[attr-defined]
    account = loaded.settings.account_settings(password)
    assert account is not None and "hunter2" not in repr(account)
    out = tmp_path / "saved" / "agentdesk.toml"
    settings.save(loaded.settings, out)
    assert "hunter2" not in out.read_text(encoding="utf-8")
    again = settings.load(out)
    assert again.problems == [] and again.settings == loaded.settings


def test_no_keyring_backend_gives_a_clear_message(no_keyring: None) -> None:
    assert "no OS keyring" in (secret_store.backend_problem() or "")
    with pytest.raises(secret_store.SecretStoreError) as err:
        secret_store.read_password("1001", "pbx.example.com")
    message = str(err.value)
    assert "1001@pbx.example.com" in message and "no OS keyring is available" in message
    assert "keyring set agentdesk 1001@pbx.example.com" in message
    with pytest.raises(secret_store.SecretStoreError):
        secret_store.store_password("1001", "pbx.example.com", "x")


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.toml"
    path.write_bytes(b"\xff\xfe[ui]")
    loaded = settings.load(path)
    assert loaded.safe_mode and "cannot be read" in loaded.problems[0]


def test_the_demo_keeps_its_data_apart_from_real_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Demo calls, recordings and uploads go under agentdesk/demo, also when the file names
    folders for real work, so nothing the demo leaves behind is sent to the real store."""
    from desktop import paths
    from desktop.calls import history as call_history
    from desktop.recording import options as recorder_options

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    real = write(tmp_path, GOOD + '\n[upload]\noutbox_dir = "/srv/agentdesk/outbox"\n'
                 '\n[recorder]\nout_dir = "/srv/agentdesk/screens"\n')  # fmt: skip
    conf = settings.load(real, demo=True).settings
    root = tmp_path / "data" / "agentdesk"
    paths.use_demo(True)
    try:
        assert recorder_options.upload_options(conf.store, conf.upload).outbox_dir == (
            root / "demo" / "outbox"
        )
        assert recorder_options.recordings_dir(conf.recorder) == root / "demo" / "recordings"
        assert conf.call_audio_dir() == root / "demo" / "call-audio"
        assert call_history.default_log_path() == root / "demo" / "calls.sqlite3"
    finally:
        paths.use_demo(False)
    conf = settings.load(real).settings
    assert recorder_options.upload_options(conf.store, conf.upload).outbox_dir == Path(
        "/srv/agentdesk/outbox"
    )
    assert call_history.default_log_path() == root / "calls.sqlite3"

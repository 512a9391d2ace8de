"""sip.config: settings are checked up front, and each message names the offending key."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sip.config import MAX_CALLS, AccountSettings, EngineConfig
from sip.errors import ConfigError, SipError
from sip.headers import display_name, uri_user

# --- EngineConfig -----------------------------------------------------------------------------


def test_defaults_are_valid_and_validate_returns_the_config() -> None:
    config = EngineConfig()
    assert config.validate() is config


def test_by_default_nothing_listens_on_every_interface_and_calls_ring_at_most_a_minute() -> None:
    config = EngineConfig()
    assert config.bind_address == ""  # the address that reaches each account's registrar
    assert config.ring_timeout_s == 60.0
    assert config.trusted_sources == ()  # only each account's registrar/proxy


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"bind_address": "localhost"}, "sip.bind_address"),
        ({"bind_address": "300.1.1.1"}, "sip.bind_address"),
        ({"bind_address": " "}, "sip.bind_address"),
        ({"trusted_sources": ("pbx.example.com",)}, "sip.trusted_sources"),
        ({"trusted_sources": ("10.0.0.0/33",)}, "sip.trusted_sources"),
        ({"ring_timeout_s": -1.0}, "sip.ring_timeout_s"),
        ({"max_inbound_connections": 60}, "sip.max_inbound_connections"),
        ({"public_address": "pbx.example.com"}, "sip.public_address"),
        ({"transports": ()}, "sip.transports"),
        ({"transports": ("udp", "sctp")}, "sip.transports"),
        ({"transports": ("udp", "tcp", "udp")}, "sip.transports"),
        ({"sip_port": -1}, "sip.sip_port"),
        ({"sip_port": 65536}, "sip.sip_port"),
        ({"clock_rate": 44100}, "audio.clock_rate"),
        ({"audio": "alsa"}, "audio.mode"),
        ({"max_calls": 0}, "sip.max_calls"),
        ({"max_calls": MAX_CALLS + 1}, "sip.max_calls"),
        ({"dnd_code": 404}, "sip.dnd_code"),
        ({"auto_answer_s": -1.0}, "sip.auto_answer_s"),
        ({"auto_answer_s": 61.0}, "sip.auto_answer_s"),
        ({"auto_answer_s": float("nan")}, "sip.auto_answer_s"),
    ],
)
def test_engine_config_rejects_bad_values_naming_the_key(changes: dict[str, Any], key: str) -> None:
    config = dataclasses.replace(EngineConfig(), **changes)
    with pytest.raises(ConfigError) as info:
        config.validate()
    assert str(info.value).startswith(key + ":"), str(info.value)


def test_the_bad_value_appears_in_the_message() -> None:
    with pytest.raises(ConfigError, match="'sctp'"):
        EngineConfig(transports=("sctp",)).validate()
    with pytest.raises(ConfigError, match="44100"):
        EngineConfig(clock_rate=44100).validate()


@pytest.mark.parametrize(
    "changes",
    [
        {"bind_address": "127.0.0.1"},
        {"bind_address": "::1"},
        {"public_address": "203.0.113.7"},
        {"transports": ("tls",)},
        {"transports": ("udp", "tcp", "tls")},
        {"sip_port": 0},
        {"sip_port": 65535},
        {"clock_rate": 8000},
        {"clock_rate": 48000},
        {"audio": "null"},
        {"audio": "portaudio"},
        {"max_calls": 1},
        {"max_calls": MAX_CALLS},
        {"dnd_code": 480},
        {"dnd_code": 603},
        {"auto_answer_s": 0.0},
        {"auto_answer_s": 60.0},
    ],
)
def test_engine_config_accepts_edge_values(changes: dict[str, Any]) -> None:
    dataclasses.replace(EngineConfig(), **changes).validate()


def test_config_error_is_a_sip_error() -> None:
    with pytest.raises(SipError):
        EngineConfig(sip_port=70000).validate()


def test_engine_config_is_frozen() -> None:
    config = EngineConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.sip_port = 5060  # type: ignore[misc]


@pytest.mark.parametrize(
    ("bind", "public", "advertised"),
    [
        ("0.0.0.0", "", ""),
        ("", "", ""),
        ("192.0.2.10", "", "192.0.2.10"),
        ("0.0.0.0", "203.0.113.7", "203.0.113.7"),
        ("192.0.2.10", "203.0.113.7", "203.0.113.7"),
    ],
)
def test_advertised_address(bind: str, public: str, advertised: str) -> None:
    assert EngineConfig(bind_address=bind, public_address=public).advertised_address == advertised


# --- AccountSettings --------------------------------------------------------------------------


def account(**changes: Any) -> AccountSettings:
    return dataclasses.replace(AccountSettings(user="1001", domain="pbx.example.com"), **changes)


def test_minimal_account_is_valid_and_validate_returns_it() -> None:
    settings = account()
    assert settings.validate() is settings


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"user": ""}, "account.user"),
        ({"user": "alice smith"}, "account.user"),
        ({"user": "alice@example.com"}, "account.user"),
        ({"user": "sip:alice"}, "account.user"),
        ({"user": "a<b"}, "account.user"),
        ({"user": "a;b"}, "account.user"),
        ({"domain": ""}, "account.domain"),
        ({"domain": "pbx example"}, "account.domain"),
        ({"domain": "a@pbx"}, "account.domain"),
        ({"domain": "pbx;lr"}, "account.domain"),
        ({"transport": "sctp"}, "account.transport"),
        ({"transport": "UDP"}, "account.transport"),
        ({"registrar": "pbx.example.com"}, "account.registrar"),
        ({"registrar": "http://pbx.example.com"}, "account.registrar"),
        ({"expires_s": 29}, "account.expires_s"),
        ({"expires_s": 86401}, "account.expires_s"),
        ({"retry_min_s": 0.0}, "account.retry_min_s"),
        ({"retry_min_s": -1.0}, "account.retry_min_s"),
        ({"retry_min_s": 10.0, "retry_max_s": 5.0}, "account.retry_min_s"),
        ({"retry_min_s": float("nan")}, "account.retry_min_s"),
    ],
)
def test_account_rejects_bad_values_naming_the_key(changes: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        account(**changes).validate()
    assert str(info.value).startswith(key), str(info.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"domain": "pbx.example.com:5062"},
        {"domain": "192.0.2.1"},
        {"transport": "tcp"},
        {"transport": "tls"},
        {"registrar": "sip:pbx.example.com:5060"},
        {"registrar": "sips:pbx.example.com"},
        {"expires_s": 30},
        {"expires_s": 86400},
        {"retry_min_s": 5.0, "retry_max_s": 5.0},
    ],
)
def test_account_accepts_edge_values(changes: dict[str, Any]) -> None:
    account(**changes).validate()


def test_password_is_not_in_the_repr() -> None:
    assert "s3cret-pw" not in repr(account(password="s3cret-pw"))


@pytest.mark.parametrize(
    ("changes", "uri"),
    [
        ({}, "sip:pbx.example.com"),
        ({"transport": "tcp"}, "sip:pbx.example.com;transport=tcp"),
        ({"transport": "tls"}, "sip:pbx.example.com;transport=tls"),
        ({"registrar": "sip:reg.example.com:5080"}, "sip:reg.example.com:5080"),
        (
            {"registrar": "sip:reg.example.com:5080", "transport": "tcp"},
            "sip:reg.example.com:5080;transport=tcp",
        ),
        (
            {"registrar": "sip:reg.example.com;transport=tcp", "transport": "tcp"},
            "sip:reg.example.com;transport=tcp",
        ),
    ],
)
def test_registrar_uri(changes: dict[str, Any], uri: str) -> None:
    assert account(**changes).registrar_uri == uri


def test_id_uri_without_and_with_display_name() -> None:
    assert account().id_uri == "sip:1001@pbx.example.com"
    assert account(display_name="Desk 1").id_uri == '"Desk 1" <sip:1001@pbx.example.com>'


@pytest.mark.parametrize("name", ['Support "Tier 1"', "C:\\agents", 'both \\ and "', "Jürgen"])
def test_id_uri_quotes_the_display_name_so_it_reads_back_unchanged(name: str) -> None:
    uri = account(display_name=name).id_uri
    assert display_name(uri) == name
    assert uri_user(uri) == "1001"
    assert uri.endswith(" <sip:1001@pbx.example.com>")

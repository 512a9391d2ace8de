"""Typed settings of the softphone core, validated with messages that name the key."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from sip.errors import ConfigError

TRANSPORTS = ("udp", "tcp", "tls")
MAX_ACCOUNTS = 8  # the pjsua2-python wheel aborts the process on the 9th Account.create
MAX_CALLS = 4  # a 5th call is refused by pjsua (486); maxCalls above 4 is ignored


@dataclass(frozen=True)
class EngineConfig:
    """Process-wide settings: where SIP and RTP bind, which transports, audio, logging."""

    # "" = for each account the local address that reaches its registrar, so nothing listens
    # on interfaces no registrar uses; "0.0.0.0" = every interface.
    bind_address: str = ""
    public_address: str = ""  # advertised in Contact/SDP; "" = bind_address when it is not 0.0.0.0
    # Transports accounts may use. UDP opens at start when bind_address is set; TCP and TLS
    # (which accept connections) only once an account uses them.
    transports: tuple[str, ...] = ("udp", "tcp")
    sip_port: int = 0  # 0 = any free port (the same number is tried for every transport)
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_ca_file: str = ""
    tls_verify_server: bool = False
    user_agent: str = "AgentDesk"
    clock_rate: int = 16000
    audio: str = "auto"  # auto | portaudio | null
    mic_device: str = ""  # device name ("" = system default)
    speaker_device: str = ""
    ring_device: str = ""
    log_level: int = 3  # pjsua2 log level routed to Python logging (0..6)
    max_calls: int = MAX_CALLS
    dnd: bool = False
    dnd_code: int = 486
    auto_answer_s: float | None = None  # None = off; 0 = at once; >0 = after a delay
    # Auto-answer also while other calls are up, without holding them (headless agents, IVR
    # style load); an operator's phone leaves a waiting call ringing instead.
    auto_answer_waiting: bool = False
    recording_dir: str = ""  # "" = do not record calls
    # Codecs offered and accepted first, in this order (pjsua names: "G722", "PCMA/8000" …);
    # the others stay available below them. Silence suppression is always off.
    codecs: tuple[str, ...] = ("G722", "PCMA", "PCMU")
    # Where INVITEs (and TCP/TLS connections) are accepted from besides each account's
    # registrar/proxy: addresses or networks ("10.1.2.3", "10.1.0.0/16"; "0.0.0.0/0" = any).
    # Calls from elsewhere are refused with 403.
    trusted_sources: tuple[str, ...] = ()
    ring_timeout_s: float = 60.0  # an unanswered incoming call is ended (480) after this; 0 = never
    # Inbound TCP/TLS connections at once (and opened within the last second) before new
    # ones are refused: pjsip aborts the process when its socket slots (64) run out.
    max_inbound_connections: int = 16

    def validate(self) -> EngineConfig:
        try:
            if self.bind_address:
                ipaddress.ip_address(self.bind_address)
        except ValueError:
            raise ConfigError(
                f"sip.bind_address: {self.bind_address!r} is not an IP address"
            ) from None
        for source in self.trusted_sources:
            try:
                ipaddress.ip_network(source, strict=False)
            except ValueError:
                raise ConfigError(
                    f"sip.trusted_sources: {source!r} is not an IP address or network"
                ) from None
        for codec in self.codecs:
            if not codec or any(c in codec for c in " ,;"):
                raise ConfigError(f"sip.codecs: {codec!r} is not a codec name such as G722")
        if len({c.lower() for c in self.codecs}) != len(self.codecs):
            raise ConfigError("sip.codecs: a codec is listed twice")
        if not 0 <= self.ring_timeout_s <= 3600:
            raise ConfigError(f"sip.ring_timeout_s: {self.ring_timeout_s} must be 0..3600 seconds")
        if not 4 <= self.max_inbound_connections <= 40:
            raise ConfigError(
                f"sip.max_inbound_connections: {self.max_inbound_connections} must be 4..40"
            )
        if self.public_address:
            try:
                ipaddress.ip_address(self.public_address)
            except ValueError:
                raise ConfigError(
                    f"sip.public_address: {self.public_address!r} is not an IP address"
                ) from None
        if not self.transports:
            raise ConfigError("sip.transports: at least one of udp, tcp, tls is needed")
        for t in self.transports:
            if t not in TRANSPORTS:
                raise ConfigError(f"sip.transports: {t!r} is not one of {', '.join(TRANSPORTS)}")
        if len(set(self.transports)) != len(self.transports):
            raise ConfigError("sip.transports: a transport is listed twice")
        if "tls" in self.transports and not (self.tls_cert_file and self.tls_key_file):
            # A TLS client transport works without a certificate of its own.
            pass
        if not 0 <= self.sip_port <= 65535:
            raise ConfigError(f"sip.sip_port: {self.sip_port} is not a port number (0..65535)")
        if self.clock_rate not in (8000, 16000, 32000, 48000):
            raise ConfigError(f"audio.clock_rate: {self.clock_rate} is not 8000/16000/32000/48000")
        if self.audio not in ("auto", "portaudio", "null"):
            raise ConfigError(f"audio.mode: {self.audio!r} is not one of auto, portaudio, null")
        if not 1 <= self.max_calls <= MAX_CALLS:
            raise ConfigError(f"sip.max_calls: {self.max_calls} must be 1..{MAX_CALLS}")
        if self.dnd_code not in (480, 486, 603):
            raise ConfigError(f"sip.dnd_code: {self.dnd_code} must be 480, 486 or 603")
        if self.auto_answer_s is not None and not 0 <= self.auto_answer_s <= 60:
            raise ConfigError(f"sip.auto_answer_s: {self.auto_answer_s} must be 0..60 seconds")
        return self

    @property
    def advertised_address(self) -> str:
        if self.public_address:
            return self.public_address
        return "" if self.bind_address in ("", "0.0.0.0") else self.bind_address


@dataclass(frozen=True)
class AccountSettings:
    """One SIP identity at a registrar. The password comes from the keyring, never a file."""

    user: str
    domain: str
    registrar: str = ""  # e.g. "sip:pbx.example.com:5060"; "" = sip:<domain>
    transport: str = "udp"
    password: str = field(default="", repr=False)
    auth_user: str = ""  # "" = user
    display_name: str = ""
    realm: str = "*"
    register: bool = True
    expires_s: int = 300
    retry_min_s: float = 2.0  # first re-registration delay after a failure; doubles up to max
    retry_max_s: float = 300.0
    srtp: bool = False

    def validate(self) -> AccountSettings:
        if not self.user or any(c in self.user for c in " @:<>;"):
            raise ConfigError(f"account.user: {self.user!r} is not a valid SIP user name")
        if not self.domain or any(c in self.domain for c in " @<>;"):
            raise ConfigError(f"account.domain: {self.domain!r} is not a valid SIP domain")
        if self.transport not in TRANSPORTS:
            raise ConfigError(
                f"account.transport: {self.transport!r} is not one of {', '.join(TRANSPORTS)}"
            )
        if self.registrar and not self.registrar.startswith(("sip:", "sips:")):
            raise ConfigError(
                f"account.registrar: {self.registrar!r} must be a SIP URI (sip:host[:port])"
            )
        if not 30 <= self.expires_s <= 86400:
            raise ConfigError(f"account.expires_s: {self.expires_s} must be 30..86400")
        if not 0 < self.retry_min_s <= self.retry_max_s:
            raise ConfigError("account.retry_min_s must be > 0 and not above retry_max_s")
        return self

    @property
    def id_uri(self) -> str:
        uri = f"sip:{self.user}@{self.domain}"
        if not self.display_name:
            return uri
        name = self.display_name.replace("\\", "\\\\").replace('"', '\\"')  # quoted-pair
        return f'"{name}" <{uri}>'

    @property
    def registrar_uri(self) -> str:
        base = self.registrar or f"sip:{self.domain}"
        if self.transport != "udp" and "transport=" not in base:
            base += f";transport={self.transport}"
        return base

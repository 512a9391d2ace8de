"""Typed user settings from ``agentdesk.toml``, mapped onto the softphone core's config.

A missing file means the embedded default (demo mode). A broken file never stops the app: it
starts in a safe state (no SIP account, engine off) and shows the problems, each naming the
file, the key and, where it can be found, the line. Passwords are never read from the file.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QStandardPaths

from desktop import paths
from desktop.crm.config import CrmSection, DialogCardSection
from desktop.crm.config import problems as crm_problems
from desktop.settings.file import locate, parse_settings, to_toml, write_atomically
from recorder.segments.windows import MODES
from sip.config import AccountSettings, EngineConfig
from sip.errors import ConfigError

CONFIG_NAME = "agentdesk.toml"
LANGUAGES = ("auto", "en", "ru")
# Keys of older files, read without complaint but no longer used: what replaced them.
DEPRECATED = {
    "recorder.wrapup_s": "deprecated and ignored: the screen is recorded through the whole "
    "wrap-up, until the dialog card is finished, at most [agent] wrap_up_max_s",
}


@dataclass(frozen=True)
class AccountSection:
    """``[account]``: the operator's SIP identity (the password lives in the keyring)."""

    user: str
    domain: str
    registrar: str = ""
    transport: str = "udp"
    display_name: str = ""
    auth_user: str = ""
    realm: str = "*"
    register: bool = True
    expires_s: int = 300
    srtp: bool = False


@dataclass(frozen=True)
class SipSection:
    """``[sip]``: where the softphone binds and how it treats calls."""

    bind_address: str = ""  # "" = the local address that reaches the registrar
    public_address: str = ""
    transports: tuple[str, ...] = ("udp", "tcp")  # TCP/TLS listen only for an account using them
    codecs: tuple[str, ...] = ("G722", "PCMA", "PCMU")  # preferred first; no silence suppression
    trusted_sources: tuple[str, ...] = ()  # besides the registrar/proxy: who may send calls
    ring_timeout_s: float = 60.0  # an unanswered incoming call ends (480) after this; 0 = never
    max_inbound_connections: int = 16  # inbound TCP/TLS connections at once
    sip_port: int = 0
    max_calls: int = 4
    dnd: bool = False
    dnd_code: int = 486
    auto_answer_s: float | None = None  # absent or false = off
    tls_ca_file: str = ""
    tls_verify_server: bool = False
    log_level: int = 3


@dataclass(frozen=True)
class AudioSection:
    """``[audio]``: sound devices by name ('' = system default)."""

    mode: str = "auto"
    clock_rate: int = 16000
    mic: str = ""
    speaker: str = ""
    ring: str = ""
    # Every call's two sides as a stereo WAV, handed to the outbox when the call ends.
    record_calls: bool = True
    recordings_dir: str = ""  # '' = agentdesk/call-audio in the user's data folder


@dataclass(frozen=True)
class UiSection:
    language: str = "auto"  # auto | en | ru


@dataclass(frozen=True)
class DemoSection:
    """``[demo]``: the simulated caller of demo mode."""

    enabled: bool = False
    first_call_s: float = 3.0
    interval_s: float = 20.0
    talk_s: float = 20.0
    ring_timeout_s: float = 25.0


@dataclass(frozen=True)
class RecorderSection:
    """``[recorder]``: the screen recorder worker (recorder/README.md, "The worker"). With a
    store (``[store] url``) the store's recording policy decides: ``enabled``, ``fps``,
    ``preroll_s`` and the policy keys are ignored, ``mask_titles`` only add to the store's."""

    enabled: bool | None = None  # absent: on wherever there is a display to record
    out_dir: str = ""  # '' = agentdesk/recordings in the user's data folder
    fps: float = 5.0
    preroll_s: float = 5.0
    mask_titles: tuple[str, ...] = ()  # regexes of window titles to black out
    policy: str = "all"  # all | sampled | consent | off
    sample_percent: float = 100.0
    off_agents: tuple[str, ...] = ()
    off_queues: tuple[str, ...] = ()
    # The INVITE headers where the PBX names the queue, the seconds the caller waited in it
    # and its own id of the customer call (the legs that ring several agents share it).
    queue_header: str = "X-Queue"
    queue_wait_header: str = "X-Queue-Wait"
    pbx_call_id_header: str = "X-PBX-Call-ID"


@dataclass(frozen=True)
class StoreSection:
    """``[store]``: the central store (its token lives in the keyring, never here)."""

    url: str = ""  # '' = no store: "My calls" shows the local history only
    ca_file: str = ""  # a PEM bundle to verify the store's TLS certificate ('' = system CAs)


@dataclass(frozen=True)
class UploadSection:
    """``[upload]``: the outbox and its uploader (recorder/README.md, "Outbox and uploader");
    where to is ``[store]``, its token is in the keyring."""

    enabled: bool = True  # false: everything is kept in the outbox, nothing is sent
    outbox_dir: str = ""  # '' = agentdesk/outbox in the user's data folder
    quota_mb: float = 2000.0  # over it screen recording stops; calls and audio are kept
    bandwidth_kbps: float = 0.0  # 0 = no cap


@dataclass(frozen=True)
class AgentSection:
    """``[agent]``: wrap-up after each call and the reasons an operator can pick."""

    wrap_up_s: float = 30.0  # no call is offered during wrap-up (0 = none)
    # The wrap-up (and the screen recording through it) lasts until the dialog card is
    # finished, at most this long after the call ended.
    wrap_up_max_s: float = 600.0
    not_ready_reasons: tuple[str, ...] = ("Training", "Meeting", "Back office", "Technical problem")
    break_reasons: tuple[str, ...] = ("Break", "Lunch")


DEMO_ACCOUNT = AccountSection(
    user="operator", domain="127.0.0.1", register=False, display_name="Operator"
)


@dataclass(frozen=True)
class Settings:
    account: AccountSection | None = None
    sip: SipSection = field(default_factory=SipSection)
    audio: AudioSection = field(default_factory=AudioSection)
    ui: UiSection = field(default_factory=UiSection)
    demo: DemoSection = field(default_factory=DemoSection)
    recorder: RecorderSection = field(default_factory=RecorderSection)
    crm: CrmSection = field(default_factory=CrmSection)
    dialog_card: DialogCardSection = field(default_factory=DialogCardSection)
    agent: AgentSection = field(default_factory=AgentSection)
    store: StoreSection = field(default_factory=StoreSection)
    upload: UploadSection = field(default_factory=UploadSection)

    def engine_config(self, auto_answer_s: float | None = None) -> EngineConfig:
        """The core's EngineConfig; ``auto_answer_s`` overrides the file (``--auto-answer``)."""
        s, a = self.sip, self.audio
        return EngineConfig(
            bind_address=s.bind_address,
            public_address=s.public_address,
            transports=s.transports,
            sip_port=s.sip_port,
            codecs=s.codecs,
            trusted_sources=s.trusted_sources,
            ring_timeout_s=s.ring_timeout_s,
            max_inbound_connections=s.max_inbound_connections,
            tls_ca_file=s.tls_ca_file,
            tls_verify_server=s.tls_verify_server,
            clock_rate=a.clock_rate,
            audio=a.mode,
            mic_device=a.mic,
            speaker_device=a.speaker,
            ring_device=a.ring,
            log_level=s.log_level,
            max_calls=s.max_calls,
            dnd=s.dnd,
            dnd_code=s.dnd_code,
            auto_answer_s=s.auto_answer_s if auto_answer_s is None else auto_answer_s,
            recording_dir=str(self.call_audio_dir()) if a.record_calls else "",
        )

    def call_audio_dir(self) -> Path:
        if self.audio.recordings_dir:
            return Path(self.audio.recordings_dir).expanduser()
        return paths.data_root() / "call-audio"

    def account_settings(self, password: str = "") -> AccountSettings | None:
        """The core's AccountSettings, with a password from the keyring (never the file)."""
        if self.account is None:
            return None
        fields = dataclasses.asdict(self.account)
        return AccountSettings(**fields, password=password)

    def as_demo(self) -> Settings:
        """Demo mode: loopback only, a local non-registering operator, the simulated caller,
        and the data folders at their defaults (the demo's, desktop/paths.py): nothing of the
        demo lands in folders configured for real work."""
        return dataclasses.replace(
            self,
            account=DEMO_ACCOUNT,
            audio=dataclasses.replace(self.audio, recordings_dir=""),
            recorder=dataclasses.replace(self.recorder, out_dir=""),
            upload=dataclasses.replace(self.upload, outbox_dir=""),
            sip=dataclasses.replace(self.sip, bind_address="127.0.0.1", transports=("udp",)),
            demo=dataclasses.replace(self.demo, enabled=True),
            # A short wrap-up, so a newcomer sees the call uploaded within a minute.
            agent=dataclasses.replace(self.agent, wrap_up_s=min(self.agent.wrap_up_s, 10.0)),
        )


@dataclass
class LoadedSettings:
    """Settings plus where they came from and what was wrong with the file."""

    settings: Settings
    path: Path
    source: str  # "file" | "default" (no file: demo) | "safe" (the file has errors)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def safe_mode(self) -> bool:
        return self.source == "safe"

    @property
    def warnings(self) -> list[str]:
        """Notes the operator must see like problems (a misspelt key or section is ignored,
        so the setting it meant silently keeps its default)."""
        return [n for n in self.notes if ": unknown key " in n or ": unknown section" in n]


def default_path() -> Path:
    """``agentdesk/agentdesk.toml`` in the user's config folder (~/.config on Linux)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "agentdesk" / CONFIG_NAME


def load(path: Path | None = None, *, demo: bool = False) -> LoadedSettings:
    """Read and validate the settings file; never raises for a bad file."""
    path = path or default_path()
    if not path.exists():
        loaded = LoadedSettings(Settings().as_demo(), path, "default")
        loaded.notes.append(f"{path.name}: no settings file at {path}; running the demo")
        return loaded
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _safe(path, [f"{path.name}: cannot be read: {exc}"], [], demo)
    sections, problems, notes = parse_settings(text, path.name, _SECTIONS)
    notes = [_deprecation(note) for note in notes]
    if problems:
        return _safe(path, problems, notes, demo)
    settings = Settings(**sections)
    if demo or settings.demo.enabled:
        settings = settings.as_demo()
    problems = validate(settings, path.name, text)
    if problems:
        return _safe(path, problems, notes, demo)
    notes += [locate(note, text) for note in recorder_notes(settings, path.name)]
    return LoadedSettings(settings, path, "file", [], notes)


# What the store's recording policy decides instead when a store is configured.
STORE_POLICY_KEYS = ("fps", "preroll_s", "policy", "sample_percent", "off_agents", "off_queues")


def recorder_notes(settings: Settings, file_name: str) -> list[str]:
    """With a store, the ``[recorder]`` keys that no longer decide anything, and why."""
    if not settings.store.url:
        return []
    r, default, notes = settings.recorder, RecorderSection(), []
    if r.enabled is False:
        notes.append(
            f"{file_name}: recorder.enabled: false does not switch screen recording off while "
            "a store is configured: the store's recording policy decides (ignored)"
        )
    for key in STORE_POLICY_KEYS:
        if getattr(r, key) != getattr(default, key):
            notes.append(
                f"{file_name}: recorder.{key}: ignored, the store's recording policy applies "
                "(local mask_titles only add to the store's)"
            )
    if settings.agent.wrap_up_max_s != AgentSection().wrap_up_max_s:
        notes.append(
            f"{file_name}: agent.wrap_up_max_s: ignored, the store's recording policy sets "
            "the wrap-up maximum"
        )
    return notes


def save(settings: Settings, path: Path) -> None:
    """Write ``settings`` as TOML (there is no password field: it cannot reach the file)."""
    sections = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    write_atomically(path, to_toml(sections))


def _deprecation(note: str) -> str:
    """The parser's "unknown key" note of a key older files have, saying what replaced it."""
    for key, why in DEPRECATED.items():
        head, sep, tail = note.partition(f": unknown key {key}")
        if sep and tail.startswith((" (", " —")):
            line = tail[tail.find(" (line") :] if " (line" in tail else ""
            return f"{head}: {key}: {why}{line}"
    return note


def _safe(path: Path, problems: list[str], notes: list[str], demo: bool) -> LoadedSettings:
    if demo:  # the demo runs on embedded defaults; the file's problems are only reported
        return LoadedSettings(Settings().as_demo(), path, "default", [], problems + notes)
    return LoadedSettings(Settings(), path, "safe", problems, notes)


_SECTIONS = {
    "account": AccountSection,
    "sip": SipSection,
    "audio": AudioSection,
    "ui": UiSection,
    "demo": DemoSection,
    "recorder": RecorderSection,
    "crm": CrmSection,
    "dialog_card": DialogCardSection,
    "agent": AgentSection,
    "store": StoreSection,
    "upload": UploadSection,
}


def validate(settings: Settings, file_name: str, text: str = "") -> list[str]:
    """Meaning checks, through the core's own validation; each message names the key."""
    problems: list[str] = []
    checks: list[Callable[[], object]] = [settings.engine_config().validate]
    acc = settings.account_settings()
    if acc is not None:
        checks.append(acc.validate)
    for check in checks:
        try:
            check()
        except ConfigError as exc:
            problems.append(locate(f"{file_name}: {exc}", text))
    if acc is not None and not problems and acc.transport not in settings.sip.transports:
        problems.append(
            locate(
                f"{file_name}: account.transport: {acc.transport!r} is not enabled in "
                f"sip.transports ({', '.join(settings.sip.transports)})",
                text,
            )
        )
    if settings.ui.language not in LANGUAGES:
        problems.append(
            locate(
                f"{file_name}: ui.language: {settings.ui.language!r} is not one of "
                f"{', '.join(LANGUAGES)}",
                text,
            )
        )
    d = settings.demo
    for key in ("first_call_s", "interval_s", "talk_s", "ring_timeout_s"):
        if not 0 < getattr(d, key) <= 3600:
            problems.append(locate(f"{file_name}: demo.{key}: must be 0..3600 seconds", text))
    problems += [locate(f"{file_name}: recorder.{p}", text) for p in _recorder_problems(settings)]
    crm = crm_problems(settings.crm, settings.dialog_card)
    problems += [locate(f"{file_name}: {p}", text) for p in crm]
    problems += [locate(f"{file_name}: agent.{p}", text) for p in _agent_problems(settings.agent)]
    problems += [locate(f"{file_name}: store.{p}", text) for p in _store_problems(settings.store)]
    uploads = _upload_problems(settings.upload)
    problems += [locate(f"{file_name}: upload.{p}", text) for p in uploads]
    return problems


def _upload_problems(upload: UploadSection) -> list[str]:
    problems = []
    if not 10 <= upload.quota_mb <= 10_000_000:
        problems.append(f"quota_mb: must be 10..10000000 MB, got {upload.quota_mb:g}")
    if not 0 <= upload.bandwidth_kbps <= 10_000_000:
        problems.append(
            f"bandwidth_kbps: must be 0 (no cap)..10000000, got {upload.bandwidth_kbps:g}"
        )
    if upload.outbox_dir and not Path(upload.outbox_dir).expanduser().is_absolute():
        problems.append(f"outbox_dir: {upload.outbox_dir!r} must be an absolute path (or empty)")
    return problems


def _store_problems(store: StoreSection) -> list[str]:
    problems = []
    if store.url:
        parts = urlsplit(store.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"url: {store.url!r} must be an http:// or https:// address")
    if store.ca_file and not Path(store.ca_file).expanduser().is_absolute():
        problems.append(f"ca_file: {store.ca_file!r} must be an absolute path (or empty)")
    return problems


def _agent_problems(agent: AgentSection) -> list[str]:
    problems = []
    if not 0 <= agent.wrap_up_s <= 3600:
        problems.append(f"wrap_up_s: must be 0..3600 seconds, got {agent.wrap_up_s:g}")
    if not 0 <= agent.wrap_up_max_s <= 86400:
        problems.append(f"wrap_up_max_s: must be 0..86400 seconds, got {agent.wrap_up_max_s:g}")
    for key in ("not_ready_reasons", "break_reasons"):
        reasons = getattr(agent, key)
        if not reasons or any(not r.strip() or len(r) > 80 for r in reasons):
            problems.append(f"{key}: must list 1 or more reasons of 1..80 characters")
    return problems


def _recorder_problems(settings: Settings) -> list[str]:
    r, problems = settings.recorder, []
    for key, low, high in (
        ("fps", 0.1, 30),
        ("preroll_s", 0, 60),
        ("sample_percent", 0, 100),
    ):
        if not low <= getattr(r, key) <= high:
            problems.append(f"{key}: must be {low:g}..{high:g}, got {getattr(r, key):g}")
    if r.policy not in MODES:
        problems.append(f"policy: {r.policy!r} is not one of {', '.join(MODES)}")
    if r.out_dir and not Path(r.out_dir).expanduser().is_absolute():
        problems.append(f"out_dir: {r.out_dir!r} must be an absolute path (or empty)")
    for pattern in r.mask_titles:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(f"mask_titles: {pattern!r} is not a regular expression: {exc}")
    return problems

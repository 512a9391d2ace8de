"""The sections of ``agentdesk.toml`` as typed values with their defaults, and
:class:`Settings`, all of them, mapped onto the softphone core's config."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from desktop import paths
from desktop.crm.config import CrmSection, DialogCardSection
from sip.config import AccountSettings, EngineConfig


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

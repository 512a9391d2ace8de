"""Creating pjsua2's Endpoint and transports the way this product needs them (SIP thread)."""

from __future__ import annotations

import logging
import socket
from typing import Any, Protocol

import pjsua2 as pj

from sip.config import EngineConfig
from sip.errors import ConfigError, from_pj
from sip.text import pj_text

log = logging.getLogger(__name__)
pjlog = logging.getLogger("pjsua2")
_LEVELS = {0: logging.CRITICAL, 1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO}
_TYPES = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}


class PythonLogWriter(pj.LogWriter):
    """pjsua2's log into Python logging (kept referenced until after libDestroy)."""

    def write(self, entry: Any) -> None:
        pjlog.log(_LEVELS.get(entry.level, logging.DEBUG), "%s", entry.msg.rstrip())


class EndpointListener(Protocol):
    """Told about incoming calls pjsua refused before any account saw them, and about TCP/TLS
    connections opening and closing (both on the SIP thread, inside libHandleEvents)."""

    def report_error(self, where: str, exc: BaseException) -> None: ...
    def on_rejected_incoming(self, code: int, reason: str, remote: str, message: str) -> None: ...
    def on_connection(self, key: int, handle: Any, connected: bool) -> None: ...


class AgentEndpoint(pj.Endpoint):
    listener: EndpointListener | None = None

    def onTransportState(self, prm: Any) -> None:
        listener = self.listener
        if listener is None or str(prm.type).upper() not in ("TCP", "TLS"):
            return
        try:
            if prm.state == pj.PJSIP_TP_STATE_CONNECTED:
                listener.on_connection(int(prm.hnd), prm.hnd, True)
            elif prm.state in (pj.PJSIP_TP_STATE_DISCONNECTED, pj.PJSIP_TP_STATE_DESTROY):
                listener.on_connection(int(prm.hnd), None, False)
        except Exception as exc:
            log.exception("onTransportState")
            listener.report_error("onTransportState", exc)

    def onRejectedIncomingCall(self, prm: Any) -> None:
        listener = self.listener
        if listener is None:
            return
        try:
            listener.on_rejected_incoming(
                int(prm.statusCode),
                pj_text(prm.reason),
                pj_text(prm.remoteInfo),
                pj_text(prm.rdata.wholeMsg),
            )
        except Exception as exc:
            log.exception("onRejectedIncomingCall")
            listener.report_error("onRejectedIncomingCall", exc)


def _nodelay() -> Any:
    params = pj.SockOptParams()
    opt = pj.SockOpt()
    opt.level, opt.optName = socket.IPPROTO_TCP, socket.TCP_NODELAY
    opt.setOptValInt(1)
    params.sockOpts.append(opt)
    return params


def _transport_config(config: EngineConfig, kind: str, port: int, bind: str) -> Any:
    tc = pj.TransportConfig()
    tc.port = port
    if bind != "0.0.0.0":
        tc.boundAddress = bind
    if config.advertised_address:
        tc.publicAddress = config.advertised_address
    if kind in ("tcp", "tls"):
        # pjsip leaves Nagle on: ~90 ms per TCP/TLS call set-up instead of ~2 ms.
        tc.sockOptParams = _nodelay()
    if kind == "tls":
        tls = tc.tlsConfig
        tls.method = pj.PJSIP_TLSV1_2_METHOD  # the bundled OpenSSL has no TLS 1.3
        tls.certFile = config.tls_cert_file
        tls.privKeyFile = config.tls_key_file
        tls.CaListFile = config.tls_ca_file
        tls.verifyServer = config.tls_verify_server
        tls.sockOptParams = _nodelay()
    return tc


def create(config: EngineConfig) -> tuple[AgentEndpoint, Any, dict[str, int], dict[str, int]]:
    """libCreate, libInit, transports, null sound device, libStart.

    Returns the endpoint, its log writer (keep it referenced until after libDestroy), the
    SIP port and the pjsua transport id of each transport.
    """
    ep = AgentEndpoint()
    ep.libCreate()
    writer = PythonLogWriter()
    epc = pj.EpConfig()
    epc.uaConfig.threadCnt = 0
    epc.uaConfig.mainThreadOnly = True
    epc.uaConfig.maxCalls = config.max_calls
    epc.uaConfig.userAgent = config.user_agent
    epc.logConfig.writer = writer
    epc.logConfig.level = config.log_level
    epc.logConfig.consoleLevel = config.log_level
    epc.medConfig.sndAutoCloseTime = -1  # else every call leaks a conference slot
    # RTP/RTCP keep pjmedia's own ioqueue and worker thread (it wakes every 10 ms for ever,
    # ~0.2 % of a core idle). On the SIP thread's ioqueue (hasIoqueue = False, threadCnt = 0)
    # a monitoring leg failed to start under load, 7 times in 10 loaded runs of
    # test_sip_monitor.py against 0 in 8 with this worker (bench/README.md, agent_cpu.py).
    epc.medConfig.clockRate = config.clock_rate
    epc.medConfig.sndClockRate = config.clock_rate
    epc.medConfig.channelCount = 1
    epc.medConfig.ecTailLen = 0
    epc.medConfig.noVad = True  # no silence suppression: recordings keep their timing
    try:
        ep.libInit(epc)
    except pj.Error as exc:
        ep.libDestroy()
        raise from_pj("starting the SIP library", exc) from None
    ports: dict[str, int] = {}
    transport_ids: dict[str, int] = {}
    try:
        set_codec_priorities(ep, config.codecs)
        # UDP accepts no connections: it opens now when the address is known. TCP and TLS
        # open when an account needs them (sip.phone).
        if config.bind_address and "udp" in config.transports:
            tid, ports["udp"] = open_transport(ep, config, "udp", config.bind_address)
            transport_ids["udp"] = tid
        ep.audDevManager().setNullDev()  # the wheel has no sound devices; see sip.audio
        ep.libStart()
    except (pj.Error, ConfigError) as exc:
        ep.libDestroy()
        if isinstance(exc, ConfigError):
            raise
        raise from_pj("starting the SIP library", exc) from None
    return ep, writer, ports, transport_ids


def open_transport(ep: Any, config: EngineConfig, kind: str, bind: str) -> tuple[int, int]:
    """Open a SIP transport of ``kind`` on ``bind``; returns (pjsua transport id, port)."""
    port = config.sip_port
    if config.sip_port and kind == "tls":
        port = config.sip_port + 1
    try:
        tid = int(ep.transportCreate(_TYPES[kind], _transport_config(config, kind, port, bind)))
    except pj.Error as exc:
        err = from_pj(f"opening the SIP {kind.upper()} transport", exc)
        raise ConfigError(f"{err} (sip.bind_address {bind})") from None
    return tid, int(ep.transportGetInfo(tid).localName.rsplit(":", 1)[1])


def set_codec_priorities(ep: Any, preferred: tuple[str, ...]) -> None:
    """Offer ``preferred`` codecs first, in that order (names match the start of pjsua's
    ids, e.g. "G722" matches "G722/16000/1"); every other codec stays, below them."""
    top = 255
    for codec in ep.codecEnum2():
        cid = str(codec.codecId)
        rank = next((i for i, p in enumerate(preferred) if _codec_matches(cid, p)), None)
        if rank is not None:
            ep.codecSetPriority(cid, top - rank)
        elif int(codec.priority) > 0:
            ep.codecSetPriority(cid, min(int(codec.priority), 100))


def _codec_matches(codec_id: str, name: str) -> bool:
    return codec_id.lower() == name.lower() or codec_id.lower().startswith(name.lower() + "/")

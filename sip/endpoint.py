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


class RejectionListener(Protocol):
    """Told about incoming calls pjsua refused before any account saw them."""

    def report_error(self, where: str, exc: BaseException) -> None: ...
    def on_rejected_incoming(self, code: int, reason: str, remote: str, message: str) -> None: ...


class AgentEndpoint(pj.Endpoint):
    listener: RejectionListener | None = None

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


def _transport_config(config: EngineConfig, kind: str, port: int) -> Any:
    tc = pj.TransportConfig()
    tc.port = port
    if config.bind_address != "0.0.0.0":
        tc.boundAddress = config.bind_address
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
    epc.medConfig.clockRate = config.clock_rate
    epc.medConfig.sndClockRate = config.clock_rate
    epc.medConfig.channelCount = 1
    epc.medConfig.ecTailLen = 0
    try:
        ep.libInit(epc)
    except pj.Error as exc:
        ep.libDestroy()
        raise from_pj("starting the SIP library", exc) from None
    ports: dict[str, int] = {}
    transport_ids: dict[str, int] = {}
    try:
        for kind in config.transports:
            port = config.sip_port
            if config.sip_port and kind == "tls":
                port = config.sip_port + 1
            tid = ep.transportCreate(_TYPES[kind], _transport_config(config, kind, port))
            ports[kind] = int(ep.transportGetInfo(tid).localName.rsplit(":", 1)[1])
            transport_ids[kind] = tid
        ep.audDevManager().setNullDev()  # the wheel has no sound devices; see sip.audio
        ep.libStart()
    except pj.Error as exc:
        err = from_pj("opening SIP transports", exc)
        ep.libDestroy()
        raise ConfigError(f"{err} (sip.bind_address {config.bind_address})") from None
    return ep, writer, ports, transport_ids

"""Waking the SIP thread out of a long idle poll from another thread.

``libHandleEvents`` sleeps in pjlib's ioqueue until a socket is readable or its timeout passes;
pjsua2 offers no other way to interrupt it. An engine with a UDP transport can be woken by a
datagram of one byte sent to that transport from this process: pjsip's UDP transport drops
anything of 32 bytes or less unread as SIP (sip_transport_udp.c, ``MIN_SIZE``), so the poll
returns and nothing else happens. Without a UDP transport the engine keeps polling often.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

log = logging.getLogger(__name__)


def local_target(bind: str, port: int) -> tuple[str, int]:
    """Where this process reaches a UDP transport bound to ``bind``:``port``."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(bind, bind)
    return host, port


def first_udp(transports: dict[tuple[str, str], int]) -> tuple[str, int] | None:
    """(bound address, pjsua transport id) of the engine's first UDP transport, if any."""
    return next(((bind, tid) for (kind, bind), tid in transports.items() if kind == "udp"), None)


class UdpWaker:
    """One datagram to the engine's own UDP transport per wake (any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._target: tuple[str, int] | None = None
        self._transport: tuple[str, int] | None = None  # (bind, transport id) aimed at
        self.broken = False  # a send failed: the engine goes back to short polls

    @property
    def ready(self) -> bool:
        return self._target is not None and not self.broken

    def follow(self, ep: Any, transports: dict[tuple[str, str], int]) -> None:
        """Aim at the engine's first UDP transport (SIP thread; cheap when it is unchanged)."""
        udp = first_udp(transports)
        if udp == self._transport:
            return
        self._transport = udp
        if udp is None:
            self.aim(None)
            return
        bind, tid = udp
        port = int(str(ep.transportGetInfo(tid).localName).rsplit(":", 1)[1])
        self.aim(local_target(bind, port))

    def aim(self, target: tuple[str, int] | None) -> None:
        """Send to ``target`` (a UDP transport of this engine) from now on; None: nowhere."""
        with self._lock:
            if target == self._target:
                return
            if self._sock is not None:
                self._sock.close()
                self._sock = None
            self._target = target
            self.broken = False
            if target is not None:
                family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
                self._sock = socket.socket(family, socket.SOCK_DGRAM)

    def wake(self) -> None:
        with self._lock:
            if self._sock is None or self._target is None or self.broken:
                return
            try:
                self._sock.sendto(b"\0", self._target)
            except OSError as exc:
                self.broken = True
                log.info("waking the SIP thread through %s failed: %s", self._target, exc)

    def close(self) -> None:
        self.aim(None)

"""Keeps TCP/TLS connections from exhausting pjsip's socket slots.

pjsip's select ioqueue has 64 slots, and a closed socket's slot is reused only ~0.5 s later;
when a burst of accepted connections finds none free, pjsip aborts the whole process
(``pj_ioqueue_register_sock2: Assertion '!pj_list_empty(&ioqueue->free_list)'``). pjsua2
offers no limit. The guard counts connections as pjsip reports them (``onTransportState``,
on the SIP thread, while pjsip is still accepting) and, once too many are open or were
opened within the last second, shuts the newest down and closes the door: on Linux a socket
filter on the listening sockets pjsip opened lets nobody new in (otherwise it lets only
trusted sources in), and a short accept backlog keeps a poll from accepting more than a few.
"""

from __future__ import annotations

import ctypes
import ipaddress
import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from sip.network import Network

log = logging.getLogger(__name__)

BACKLOG = 2
WINDOW_S = 1.0  # longer than pjsip keeps a closed socket's slot
_SO_ATTACH_FILTER = 26
_SKF_NET_OFF = -0x100000
_LD_W_ABS, _AND_K, _JEQ_K, _RET_K = 0x20, 0x54, 0x15, 0x06
_LISTEN = "0A"


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def filter_program(networks: Sequence[Network] | None) -> bytes:
    """A classic BPF socket filter that admits IPv4 sources in ``networks`` (None = any,
    [] = none). Each rule loads the source address, masks it and compares."""
    ins: list[tuple[int, int, int, int]] = []
    if networks is None:
        ins.append((_RET_K, 0, 0, 0xFFFFFFFF))
    else:
        v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
        for i, net in enumerate(v4):
            ins.append((_LD_W_ABS, 0, 0, (_SKF_NET_OFF + 12) & 0xFFFFFFFF))
            ins.append((_AND_K, 0, 0, int(net.netmask)))
            ins.append((_JEQ_K, 3 * (len(v4) - i) - 2, 0, int(net.network_address)))
        ins.append((_RET_K, 0, 0, 0))
        if v4:
            ins.append((_RET_K, 0, 0, 0xFFFFFFFF))
    return b"".join(
        code.to_bytes(2, sys.byteorder) + bytes((jt, jf)) + k.to_bytes(4, sys.byteorder)
        for code, jt, jf, k in ins
    )


def _listener_fd(port: int) -> int | None:
    """The file descriptor of this process's socket listening on TCP ``port`` (IPv4)."""
    inode = None
    with open("/proc/net/tcp", encoding="ascii") as table:
        next(table)
        for line in table:
            f = line.split()
            if f[3] == _LISTEN and int(f[1].rsplit(":", 1)[1], 16) == port:
                inode = int(f[9])
    if inode is None:
        return None
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == f"socket:[{inode}]":
                return int(name)
        except OSError:
            continue
    return None


def _on_dup(fd: int) -> socket.socket:
    return socket.socket(fileno=os.dup(fd))


class ConnectionGuard:
    """The engine's guard over all its TCP/TLS connections (SIP thread only)."""

    def __init__(self, cap: int, shut_down: Callable[[Any], None]) -> None:
        self.cap = cap
        self._shut_down = shut_down  # closes a connection given its pjsip transport handle
        self.filters = sys.platform.startswith("linux")
        self._listeners: list[int] = []  # fds of the listening sockets
        self._trusted: list[Network] | None = None
        self._open: dict[int, tuple[float, Any]] = {}  # handle address -> (opened, handle)
        self._closed_at: list[float] = []  # when connections ended, within the window
        self.door_closed = False
        self._shed_pending = False

    def add_listener(self, port: int) -> None:
        if not self.filters:
            return
        fd = _listener_fd(port)
        if fd is None:
            log.warning("no listening socket found on TCP port %s: it is not filtered", port)
            return
        self._listeners.append(fd)
        with _on_dup(fd) as sock:
            sock.listen(BACKLOG)
        self._attach([] if self.door_closed else self._trusted)

    def _attach(self, networks: Sequence[Network] | None) -> None:
        program = filter_program(networks)
        buf = ctypes.create_string_buffer(program)
        prog = _SockFprog(len(program) // 8, ctypes.addressof(buf))
        for fd in self._listeners:
            with _on_dup(fd) as sock:
                sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, bytes(prog))

    def trust(self, networks: Sequence[Network] | None) -> None:
        """Admit only these sources (None = any) while the door is open."""
        self._trusted = None if networks is None else list(networks)
        if not self.door_closed:
            self._attach(self._trusted)

    def _count(self, now: float) -> int:
        self._closed_at = [t for t in self._closed_at if now - t <= WINDOW_S]
        return len(self._open) + len(self._closed_at)

    def connected(self, key: int, handle: Any) -> str:
        """A connection opened; returns a message when that closed the door."""
        now = time.monotonic()
        self._open[key] = (now, handle)
        if self.door_closed or self._count(now) < self.cap:
            return ""
        self.door_closed = True
        self._attach([])
        self._shed_pending = True  # not inside pjsip's callback: on the next tick
        return (
            f"{self._count(now)} TCP/TLS connections within {WINDOW_S:g} s: the newest are "
            f"shut down and new ones refused until fewer than {self.cap // 2}"
        )

    def disconnected(self, key: int) -> None:
        if self._open.pop(key, None) is not None:
            self._closed_at.append(time.monotonic())

    def tick(self) -> str:
        """Between polls: shut the newest connections down after the door closed, reopen it
        once the flood is over (a message when it did)."""
        if self._shed_pending:
            self._shed_pending = False
            newest = sorted(self._open.values(), key=lambda v: v[0], reverse=True)
            for _, handle in newest[: max(0, len(newest) - self.cap // 2)]:
                try:
                    self._shut_down(handle)
                except Exception as exc:
                    log.info("shutting down a connection: %s", exc)
        if not self.door_closed or self._count(time.monotonic()) >= self.cap // 2:
            return ""
        self.door_closed = False
        self._shed_pending = False
        self._attach(self._trusted)
        return "TCP/TLS connections are accepted again"

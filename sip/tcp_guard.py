"""Keeps inbound TCP/TLS connections from exhausting pjsip's socket slots.

pjsip's select ioqueue has 64 slots, and a closed socket's slot is reused only ~0.5 s later;
when a burst of accepted connections finds none free, pjsip aborts the whole process
(``pj_ioqueue_register_sock2: Assertion '!pj_list_empty(&ioqueue->free_list)'``). pjsua2
offers no limit, so on Linux this guard works on the listening socket pjsip opened: a short
accept backlog (a poll accepts at most a few), a socket filter that lets only trusted
sources connect, and, once too many inbound connections exist or were opened within the last
second, a filter that lets nobody new in (the surplus from untrusted sources is shut down;
pjsip then frees their slots itself). Elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ipaddress
import logging
import os
import socket
import sys
import time
from collections.abc import Sequence

from sip.network import Network

log = logging.getLogger(__name__)

BACKLOG = 2
WINDOW_S = 1.0  # longer than pjsip keeps a closed socket's slot
SCAN_S = 0.004  # about every poll of the SIP loop
_SO_ATTACH_FILTER = 26
_SKF_NET_OFF = -0x100000
_LD_W_ABS, _AND_K, _JEQ_K, _RET_K = 0x20, 0x54, 0x15, 0x06
_ESTABLISHED, _CLOSE_WAIT, _LISTEN = "01", "08", "0A"


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


def _sockets(port: int) -> tuple[int | None, dict[tuple[str, int], int]]:
    """(inode of the listener on ``port``, {(remote ip, port): inode} of inbound connections)
    from /proc/net/tcp (IPv4)."""
    listener, inbound = None, {}
    with open("/proc/net/tcp", encoding="ascii") as table:
        next(table)
        for line in table:
            f = line.split()
            local, remote, state, inode = f[1], f[2], f[3], int(f[9])
            if int(local.rsplit(":", 1)[1], 16) != port:
                continue
            if state == _LISTEN:
                listener = inode
            elif state in (_ESTABLISHED, _CLOSE_WAIT) and inode:
                ip_hex, port_hex = remote.split(":")
                ip = str(ipaddress.IPv4Address(int(ip_hex, 16).to_bytes(4, "little")))
                inbound[(ip, int(port_hex, 16))] = inode
    return listener, inbound


def _fds(inodes: set[int]) -> dict[int, int]:
    """{inode: fd} of this process's sockets among ``inodes``."""
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inode = int(link[8:-1])
            if inode in inodes:
                found[inode] = int(name)
    return found


def _on_dup(fd: int) -> socket.socket:
    return socket.socket(fileno=os.dup(fd))


class InboundTcpGuard:
    """The guard of one listening port (SIP thread; call :meth:`tick` between polls)."""

    def __init__(self, port: int, cap: int) -> None:
        self.port = port
        self.cap = cap
        self.supported = sys.platform.startswith("linux")
        self._trusted: list[Network] | None = None
        self._listener_fd: int | None = None
        self._seen: dict[tuple[str, int], float] = {}  # connection -> last seen (monotonic)
        self._first_seen: dict[tuple[str, int], float] = {}
        self._closed = False  # nobody new may connect
        self._next_scan = 0.0
        if self.supported:
            self._setup()

    def _setup(self) -> None:
        listener, _ = _sockets(self.port)
        fd = _fds({listener}).get(listener) if listener else None
        if fd is None:
            log.warning("no listening socket found on TCP port %s: it is not guarded", self.port)
            self.supported = False
            return
        self._listener_fd = fd
        with _on_dup(fd) as sock:
            sock.listen(BACKLOG)
        self._attach(None)

    def _attach(self, networks: Sequence[Network] | None) -> None:
        if self._listener_fd is None:
            return
        program = filter_program(networks)
        buf = ctypes.create_string_buffer(program)
        prog = _SockFprog(len(program) // 8, ctypes.addressof(buf))
        with _on_dup(self._listener_fd) as sock:
            sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, bytes(prog))

    def trust(self, networks: Sequence[Network] | None) -> None:
        """Admit only these sources (None = any) while not over the cap."""
        self._trusted = None if networks is None else list(networks)
        if not self._closed:
            self._attach(self._trusted)

    def _is_trusted(self, ip: str) -> bool:
        if self._trusted is None:
            return False  # nothing is known to be trusted: every connection may be shed
        address = ipaddress.ip_address(ip)
        return any(address in net for net in self._trusted)

    def tick(self) -> tuple[bool, str]:
        """Scan the connections; (closed now, message) when the guard closed or reopened."""
        now = time.monotonic()
        if not self.supported or now < self._next_scan:
            return False, ""
        self._next_scan = now + SCAN_S
        _, inbound = _sockets(self.port)
        for conn in inbound:
            self._seen[conn] = now
            self._first_seen.setdefault(conn, now)
        for conn in [c for c, at in self._seen.items() if now - at > WINDOW_S]:
            del self._seen[conn]
            self._first_seen.pop(conn, None)
        if not self._closed and len(self._seen) >= self.cap:
            self._closed = True
            self._attach([])
            self._shed(inbound)
            return True, (
                f"{len(self._seen)} inbound connections to TCP port {self.port} within "
                f"{WINDOW_S:g} s: new ones are refused until they drop below {self.cap // 2}"
            )
        if self._closed and len(self._seen) < self.cap // 2:
            self._closed = False
            self._attach(self._trusted)
            return False, f"inbound connections to TCP port {self.port} are accepted again"
        return False, ""

    def _shed(self, inbound: dict[tuple[str, int], int]) -> None:
        """Shut down the newest untrusted connections down to half the cap."""
        untrusted = [c for c in inbound if not self._is_trusted(c[0])]
        untrusted.sort(key=lambda c: self._first_seen.get(c, 0.0), reverse=True)
        surplus = untrusted[: max(0, len(inbound) - self.cap // 2)]
        fds = _fds({inbound[c] for c in surplus})
        for fd in fds.values():
            try:
                with _on_dup(fd) as sock:  # pjsip reads EOF and closes its transport
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError as exc:
                log.info("shutting down an inbound connection: %s", exc)

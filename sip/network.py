"""Where the softphone listens and whom it believes: the registrar's addresses, the local
address that reaches them, and the sources INVITEs and connections are accepted from.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Iterable

log = logging.getLogger(__name__)

_HOST = re.compile(r"^sips?:(?:[^@;>]*@)?(\[[^\]]+\]|[^:;>?]+)", re.IGNORECASE)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def uri_host(uri: str) -> str:
    """The host of a SIP URI ('' if there is none)."""
    m = _HOST.match(uri.strip())
    return m.group(1).strip("[]") if m else ""


def resolve(host: str) -> list[str]:
    """The IP addresses of ``host`` (itself if it is one; [] when it does not resolve)."""
    if not host:
        return []
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except OSError as exc:
        log.warning("cannot resolve %s: %s", host, exc)
        return []
    return sorted({str(info[4][0]) for info in infos})


def route_address(ip: str) -> str:
    """The local address the OS would send from to reach ``ip`` ('' when unreachable)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((ip, 5060))  # UDP: picks a route, sends nothing
            return str(probe.getsockname()[0])
    except OSError as exc:
        log.warning("no route to %s: %s", ip, exc)
        return ""


def source_ip(address: str) -> str:
    """The IP of a pjsip source address such as ``127.0.0.1:5060`` or ``[::1]:5060``."""
    address = address.strip()
    if address.startswith("["):
        return address[1 : address.find("]")]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


class TrustedSources:
    """Networks INVITEs are accepted from: configured ones, and each registrar/proxy's."""

    def __init__(self, configured: Iterable[str] = ()) -> None:
        self.configured = [ipaddress.ip_network(s, strict=False) for s in configured]
        self.learned: dict[str, set[str]] = {}  # owner (account id) -> addresses

    def learn(self, owner: str, addresses: Iterable[str]) -> None:
        self.learned.setdefault(owner, set()).update(addresses)

    def forget(self, owner: str) -> None:
        self.learned.pop(owner, None)

    def networks(self) -> list[Network]:
        learned = {a for addresses in self.learned.values() for a in addresses}
        return [*self.configured, *(ipaddress.ip_network(a) for a in sorted(learned))]

    def allows(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in net for net in self.networks())

"""sip.network and the filter of sip.tcp_guard: whom the softphone believes."""

from __future__ import annotations

import ipaddress

import pytest

from sip import tcp_guard
from sip.network import TrustedSources, resolve, route_address, source_ip, uri_host
from sip.tcp_guard import ConnectionGuard, filter_program


@pytest.mark.parametrize(
    ("uri", "host"),
    [
        ("sip:127.0.0.1:5060;transport=tcp", "127.0.0.1"),
        ("sip:pbx.example.com", "pbx.example.com"),
        ("sips:alice@[2001:db8::1]:5061", "2001:db8::1"),
        ("sip:alice@10.0.0.2;lr", "10.0.0.2"),
        ("tel:+123", ""),
    ],
)
def test_uri_host(uri: str, host: str) -> None:
    assert uri_host(uri) == host


@pytest.mark.parametrize(
    ("address", "ip"),
    [("127.0.0.1:5060", "127.0.0.1"), ("[::1]:5060", "::1"), ("10.0.0.1", "10.0.0.1"), ("", "")],
)
def test_source_ip(address: str, ip: str) -> None:
    assert source_ip(address) == ip


def test_an_ip_resolves_to_itself_and_the_loopback_routes_from_itself() -> None:
    assert resolve("127.0.0.1") == ["127.0.0.1"]
    assert resolve("") == []
    assert route_address("127.0.0.1") == "127.0.0.1"


def test_only_configured_and_learned_sources_are_trusted() -> None:
    trusted = TrustedSources(["10.1.0.0/16"])
    assert trusted.allows("10.1.2.3") and not trusted.allows("10.2.0.1")
    trusted.learn("acc1", ["192.0.2.7"])
    assert trusted.allows("192.0.2.7")
    trusted.forget("acc1")
    assert not trusted.allows("192.0.2.7")
    assert not trusted.allows("") and not trusted.allows("not an ip")


def test_nothing_is_trusted_by_default() -> None:
    assert not TrustedSources().allows("127.0.0.1")


def _decode(program: bytes) -> list[tuple[int, int, int, int]]:
    ins = []
    for i in range(0, len(program), 8):
        chunk = program[i : i + 8]
        code = int.from_bytes(chunk[:2], "little")
        ins.append((code, chunk[2], chunk[3], int.from_bytes(chunk[4:], "little")))
    return ins


def _run(program: bytes, source: str) -> int:
    """A tiny interpreter of the instructions filter_program emits, on one source IPv4."""
    ins, pc, acc = _decode(program), 0, 0
    while True:
        code, jt, jf, k = ins[pc]
        if code == 0x20:
            acc = int(ipaddress.IPv4Address(source))
        elif code == 0x54:
            acc &= k
        elif code == 0x15:
            pc += jt if acc == k else jf
        elif code == 0x06:
            return k
        pc += 1


def test_the_socket_filter_admits_exactly_the_trusted_networks() -> None:
    nets = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.1.0.0/16")]
    program = filter_program(nets)
    assert _run(program, "127.0.0.1") and _run(program, "10.1.200.3")
    assert not _run(program, "127.0.0.2") and not _run(program, "10.2.0.1")
    assert _run(filter_program(None), "203.0.113.9")
    assert not _run(filter_program([]), "127.0.0.1")


def test_the_connection_guard_closes_at_the_cap_and_sheds_the_newest() -> None:
    shut: list[str] = []
    guard = ConnectionGuard(8, shut.append)
    guard.filters = False  # no listening socket here: the count alone
    messages = [guard.connected(i, f"conn{i}") for i in range(8)]
    assert messages[:7] == [""] * 7 and "refused" in messages[7]
    assert guard.door_closed
    guard.tick()  # sheds outside pjsip's callback: the newest, down to half the cap
    assert shut == ["conn7", "conn6", "conn5", "conn4"]
    for i in range(4, 8):
        guard.disconnected(i)
    assert guard.tick() == ""  # closed ones count for the window (their slots linger)


def test_the_connection_guard_reopens_once_the_window_passed(monkeypatch) -> None:
    now = [100.0]
    monkeypatch.setattr(tcp_guard.time, "monotonic", lambda: now[0])
    guard = ConnectionGuard(4, lambda handle: None)
    guard.filters = False
    for i in range(4):
        guard.connected(i, i)
    for i in range(4):
        guard.disconnected(i)
    assert guard.tick() == "" and guard.door_closed
    now[0] += 1.5
    assert "accepted again" in guard.tick() and not guard.door_closed

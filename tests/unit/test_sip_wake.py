"""sip.wake and CommandLoop.wake: work handed to a SIP thread asleep in a long poll wakes it
through its own UDP transport, with a datagram pjsip drops unread; a failed send falls back."""

from __future__ import annotations

import select
import socket
import threading

from sip.loop import CommandLoop
from sip.wake import UdpWaker, first_udp, local_target


def test_only_work_handed_to_a_sleeping_owner_calls_the_waker() -> None:
    loop = CommandLoop()
    woken: list[int] = []
    loop.waker = lambda: woken.append(1)
    loop.submit(lambda: None)
    assert woken == [] and loop.poked  # awake: it finds the command on its next turn
    loop.poked = False
    loop.sleeping = True
    loop.submit(lambda: None)
    loop.wake()  # e.g. a finished recording merge
    assert woken == [1, 1] and loop.poked


def test_a_wake_makes_the_transports_socket_readable_with_a_datagram_sip_ignores() -> None:
    transport = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    transport.bind(("127.0.0.1", 0))
    port = transport.getsockname()[1]
    waker = UdpWaker()
    try:
        assert not waker.ready  # no UDP transport yet: the engine keeps short polls
        waker.aim(local_target("0.0.0.0", port))  # bound to any address: reached on loopback
        assert waker.ready
        readable: list[list[socket.socket]] = []
        poller = threading.Thread(
            target=lambda: readable.append(select.select([transport], [], [], 10)[0])
        )
        poller.start()
        waker.wake()
        poller.join(15)
        assert readable == [[transport]]
        data = transport.recv(100)
        assert data == b"\0" and len(data) <= 32  # pjsip's UDP transport drops <= 32 bytes
    finally:
        waker.close()
        transport.close()
    assert not waker.ready


def test_a_failed_wake_says_so_and_the_engine_goes_back_to_short_polls() -> None:
    waker = UdpWaker()
    waker.aim(("127.0.0.1", 0))  # no datagram can be sent to port 0
    waker.wake()
    assert waker.broken and not waker.ready
    waker.close()


def test_the_first_udp_transport_is_the_one_woken() -> None:
    assert first_udp({("tcp", "10.0.0.5"): 1, ("udp", "0.0.0.0"): 2, ("udp", "::"): 3}) == (
        "0.0.0.0",
        2,
    )
    assert first_udp({("tls", "10.0.0.5"): 1}) is None
    assert local_target("::", 5060) == ("::1", 5060)
    assert local_target("192.0.2.7", 5060) == ("192.0.2.7", 5060)

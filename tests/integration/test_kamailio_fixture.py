"""The Kamailio test fixture: start-up, digest REGISTER per transport, routing across transports."""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.servers.kamailio import Kamailio, Transport, kamailio_available, kamailio_server
from tests.servers.ports import LOOPBACK, free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not kamailio_available(), reason="kamailio/kamcmd/openssl not installed"),
]

USERS = {"alice": "alice-secret", "bob": "bob:se\\cret"}
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def kamailio() -> Iterator[Kamailio]:
    yield from kamailio_server(USERS)


# ----- a minimal raw-socket SIP client ------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    raw: str

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


def parse(raw: str) -> tuple[str, list[tuple[str, str]]]:
    head = raw.split("\r\n\r\n", 1)[0]
    first, *lines = head.split("\r\n")
    headers = []
    for line in lines:
        key, _, value = line.partition(":")
        headers.append((key.strip(), value.strip()))
    return first, headers


def to_response(raw: str) -> Response:
    first, headers = parse(raw)
    assert first.startswith("SIP/2.0 "), raw
    return Response(int(first.split()[1]), headers, raw)


@dataclass
class SipClient:
    """One SIP flow (UDP socket or TCP/TLS connection) from 127.0.0.1 to the server."""

    server: Kamailio
    transport: Transport
    sock: socket.socket = field(init=False)
    buffer: bytes = b""

    def __post_init__(self) -> None:
        port = self.server.port(self.transport)
        if self.transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((LOOPBACK, 0))
            self.sock.connect((LOOPBACK, port))
        else:
            raw = socket.create_connection((LOOPBACK, port), timeout=TIMEOUT)
            if self.transport == "tls":
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                context.maximum_version = ssl.TLSVersion.TLSv1_2  # what pjsua2 speaks
                self.sock = context.wrap_socket(raw)
            else:
                self.sock = raw
        self.sock.settimeout(TIMEOUT)
        self.local_port = self.sock.getsockname()[1]
        # Like pjsip: on TCP/TLS advertise a listener port, not the connection's own port
        # (here nothing listens there, so the server must reuse this connection).
        self.contact_port = self.local_port if self.transport == "udp" else free_port()

    def close(self) -> None:
        self.sock.close()

    @property
    def via_proto(self) -> str:
        return self.transport.upper()

    def contact(self, user: str) -> str:
        return f"sip:{user}@{LOOPBACK}:{self.contact_port};transport={self.transport}"

    def send(self, message: str) -> None:
        self.sock.sendall(message.encode())

    def receive(self) -> str:
        """The next SIP message (request or response)."""
        if self.transport == "udp":
            return self.sock.recv(65535).decode()
        while True:
            while self.buffer.startswith(b"\r\n"):  # keep-alives
                self.buffer = self.buffer[2:]
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = self.buffer[:end].decode()
                match = re.search(r"^(?:content-length|l)\s*:\s*(\d+)", head, re.I | re.M)
                total = end + 4 + (int(match.group(1)) if match else 0)
                if len(self.buffer) >= total:
                    message, self.buffer = self.buffer[:total], self.buffer[total:]
                    return message.decode()
            chunk = self.sock.recv(65535)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buffer += chunk

    def next_request(self) -> str:
        """The next request, skipping stray responses (e.g. a 180 overtaken by the 200)."""
        while True:
            message = self.receive()
            if not message.startswith("SIP/2.0 "):
                return message

    def final_response(self) -> Response:
        """The next final response, skipping provisional ones."""
        while True:
            response = to_response(self.receive())
            if response.status >= 200:
                return response

    def request(
        self,
        method: str,
        uri: str,
        from_user: str,
        to: str,
        *,
        cseq: int = 1,
        call_id: str | None = None,
        extra: str = "",
        body: str = "",
    ) -> str:
        message = (
            f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/{self.via_proto} {LOOPBACK}:{self.local_port}"
            f";branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:{from_user}@{self.server.domain}>;tag={uuid.uuid4().hex[:10]}\r\n"
            f"To: <{to}>\r\n"
            f"Call-ID: {call_id or uuid.uuid4().hex}\r\n"
            f"CSeq: {cseq} {method}\r\n"
            f"Contact: <{self.contact(from_user)}>\r\n"
            f"{extra}"
            f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
        )
        self.send(message)
        return message

    def register(self, user: str, password: str | None, expires: int = 60) -> Response:
        """REGISTER, answering one 401 challenge with ``password`` if given."""
        call_id = uuid.uuid4().hex
        aor = self.server.aor(user)
        uri = f"sip:{self.server.domain}"
        extra = f"Expires: {expires}\r\n"
        self.request("REGISTER", uri, user, aor, call_id=call_id, extra=extra)
        response = self.final_response()
        if response.status != 401 or password is None:
            return response
        auth = authorization(response, "REGISTER", uri, user, password)
        self.request("REGISTER", uri, user, aor, cseq=2, call_id=call_id, extra=extra + auth)
        return self.final_response()


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def authorization(challenged: Response, method: str, uri: str, user: str, password: str) -> str:
    """The (Proxy-)Authorization header line answering a 401/407 (MD5, no qop)."""
    proxy = challenged.status == 407
    challenge = challenged.header("Proxy-Authenticate" if proxy else "WWW-Authenticate")
    assert challenge is not None, challenged.raw
    params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    ha1 = md5(f"{user}:{params['realm']}:{password}")
    digest = md5(f"{ha1}:{params['nonce']}:{md5(f'{method}:{uri}')}")
    return (
        f"{'Proxy-Authorization' if proxy else 'Authorization'}: Digest "
        f'username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{uri}", response="{digest}", algorithm=MD5\r\n'
    )


@pytest.fixture
def clients(kamailio: Kamailio) -> Iterator[dict[Transport, SipClient]]:
    made: dict[Transport, SipClient] = {}
    yield made
    for client in made.values():
        client.close()


def open_client(
    kamailio: Kamailio, clients: dict[Transport, SipClient], transport: Transport
) -> SipClient:
    client = SipClient(kamailio, transport)
    clients[transport] = client
    return client


# ----- tests -------------------------------------------------------------------------------


def test_starts_with_three_listeners(kamailio: Kamailio) -> None:
    assert kamailio.running
    ports = {kamailio.udp_port, kamailio.tcp_port, kamailio.tls_port}
    assert len(ports) == 3
    assert kamailio.uri("alice", "tls") == f"sip:alice@127.0.0.1:{kamailio.tls_port};transport=tls"
    assert kamailio.registrar_uri("tcp") == f"sip:127.0.0.1:{kamailio.tcp_port};transport=tcp"
    assert "ERROR" not in kamailio.log_text()


def test_register_without_credentials_is_challenged(
    kamailio: Kamailio, clients: dict[Transport, SipClient]
) -> None:
    response = open_client(kamailio, clients, "udp").register("alice", None)
    assert response.status == 401
    assert 'realm="127.0.0.1"' in (response.header("WWW-Authenticate") or "")


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_register_with_password_binds_one_contact(
    kamailio: Kamailio, clients: dict[Transport, SipClient], transport: Transport
) -> None:
    client = open_client(kamailio, clients, transport)
    assert client.register("bob", USERS["bob"]).status == 200
    assert kamailio.contacts("bob") == [client.contact("bob")]
    assert client.register("bob", USERS["bob"], expires=0).status == 200
    assert kamailio.contacts("bob") == []


def test_wrong_password_is_rejected(
    kamailio: Kamailio, clients: dict[Transport, SipClient]
) -> None:
    response = open_client(kamailio, clients, "udp").register("alice", "wrong")
    assert response.status in (401, 403)
    assert kamailio.contacts("alice") == []


def test_unknown_user_and_unregistered_user(
    kamailio: Kamailio, clients: dict[Transport, SipClient]
) -> None:
    client = open_client(kamailio, clients, "udp")
    assert client.register("mallory", "x").status in (401, 403)
    client.request("INVITE", kamailio.aor("alice"), "bob", kamailio.aor("alice"))
    assert client.final_response().status == 404


def test_add_user_takes_effect_without_restart(
    kamailio: Kamailio, clients: dict[Transport, SipClient]
) -> None:
    kamailio.add_user("carol", "carol-pw")
    client = open_client(kamailio, clients, "udp")
    assert client.register("carol", "carol-pw").status == 200
    assert kamailio.contacts("carol") == [client.contact("carol")]
    assert client.register("carol", "carol-pw", expires=0).status == 200


def reply(request: str, status: str, to_tag: str, contact: str | None = None) -> str:
    """A response to ``request`` (Via, Record-Route, From, To+tag, Call-ID, CSeq copied)."""
    _, headers = parse(request)
    lines = [f"SIP/2.0 {status}"]
    for key, value in headers:
        name = key.lower()
        if name == "to" and ";tag=" not in value:
            value = f"{value};tag={to_tag}"
        if name in ("via", "record-route", "from", "to", "call-id", "cseq"):
            lines.append(f"{key}: {value}")
    if contact:
        lines.append(f"Contact: <{contact}>")
    return "\r\n".join([*lines, "Content-Length: 0", "", ""])


def in_dialog(
    client: SipClient,
    method: str,
    target: str,
    route: list[str],
    from_hdr: str,
    to_hdr: str,
    call_id: str,
    cseq: int,
    extra: str = "",
) -> None:
    """Send an in-dialog request with a pre-loaded route set."""
    client.send(
        f"{method} {target} SIP/2.0\r\n"
        f"Via: SIP/2.0/{client.via_proto} {LOOPBACK}:{client.local_port}"
        f";branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
        + "".join(f"Route: {r}\r\n" for r in route)
        + f"Max-Forwards: 70\r\nFrom: {from_hdr}\r\nTo: {to_hdr}\r\nCall-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    )


def first_line(message: str) -> str:
    return message.split("\r\n", 1)[0]


def uri_of(header: str) -> str:
    match = re.search(r"<([^>]+)>", header)
    return match.group(1) if match else header.split(";", 1)[0]


@pytest.mark.parametrize(
    ("caller_transport", "callee_transport"),
    [("udp", "tcp"), ("udp", "tls"), ("tls", "udp"), ("tcp", "tls")],
)
def test_dialog_across_transports_with_refer_and_bye(
    kamailio: Kamailio,
    clients: dict[Transport, SipClient],
    caller_transport: Transport,
    callee_transport: Transport,
) -> None:
    """Caller → callee on another transport; REFER and BYE from the callee in dialog."""
    callee = open_client(kamailio, clients, callee_transport)
    assert callee.register("alice", USERS["alice"]).status == 200
    caller = open_client(kamailio, clients, caller_transport)
    try:
        started = time.monotonic()
        invite_sent = caller.request("INVITE", kamailio.aor("alice"), "bob", kamailio.aor("alice"))
        # Nothing listens on the callee's Contact port: it must come over the registered flow.
        invite = callee.next_request()
        assert first_line(invite).startswith("INVITE sip:alice@127.0.0.1:"), invite
        _, headers = parse(invite)
        record_routes = [v for k, v in headers if k.lower() == "record-route"]
        assert len(record_routes) == 2, record_routes  # double RR: one per transport side
        if callee_transport != "udp":
            assert f"transport={callee_transport}" in record_routes[0], record_routes
        callee.send(reply(invite, "180 Ringing", "callee"))
        callee.send(reply(invite, "200 OK", "callee", contact=callee.contact("alice")))
        ok = caller.final_response()
        assert ok.status == 200, ok.raw
        remote_target = uri_of(ok.header("Contact") or "")
        route_set = list(reversed(ok.all("Record-Route")))
        _, sent_headers = parse(invite_sent)
        call_id = dict(sent_headers)["Call-ID"]
        caller_from, callee_to = dict(sent_headers)["From"], ok.header("To") or ""
        in_dialog(caller, "ACK", remote_target, route_set, caller_from, callee_to, call_id, 1)
        assert first_line(callee.next_request()).startswith("ACK "), "ACK not routed"

        # Callee → caller in dialog: REFER then BYE, each over TCP → Kamailio → UDP.
        # The callee targets the Contact it was given (Kamailio may have added ;alias=...).
        callee_target = uri_of(dict(headers)["Contact"])
        caller_contact = caller.contact("bob")
        forward_routes = ok.all("Record-Route")
        for cseq, method, extra in (
            (1, "REFER", f"Refer-To: <{kamailio.aor('carol')}>\r\n"),
            (2, "BYE", ""),
        ):
            in_dialog(
                callee,
                method,
                callee_target,
                forward_routes,
                callee_to,
                caller_from,
                call_id,
                cseq,
                extra,
            )
            request = caller.next_request()
            assert first_line(request) == f"{method} {caller_contact} SIP/2.0", request
            caller.send(reply(request, "202 Accepted" if method == "REFER" else "200 OK", "x"))
            answer = to_response(callee.receive())
            assert answer.status == (202 if method == "REFER" else 200), answer.raw
        assert time.monotonic() - started < TIMEOUT
    finally:
        callee.register("alice", USERS["alice"], expires=0)


def test_invite_with_replaces_reaches_registered_user(
    kamailio: Kamailio, clients: dict[Transport, SipClient]
) -> None:
    """An initial INVITE with Replaces (attended transfer) is routed like any other."""
    callee = open_client(kamailio, clients, "tls")
    assert callee.register("alice", USERS["alice"]).status == 200
    caller = open_client(kamailio, clients, "udp")
    try:
        replaces = "Replaces: abc@127.0.0.1;to-tag=t1;from-tag=f1\r\n"
        # R-URI with the server's host:port, as a UA without an outbound proxy would send.
        target = kamailio.uri("alice", "udp")
        caller.request("INVITE", target, "bob", kamailio.aor("alice"), extra=replaces)
        invite = callee.next_request()
        assert first_line(invite).startswith("INVITE sip:alice@"), invite
        assert "Replaces: abc@127.0.0.1;to-tag=t1;from-tag=f1" in invite
        callee.send(reply(invite, "481 Call Does Not Exist", "callee"))
        assert caller.final_response().status == 481
        assert first_line(callee.next_request()).startswith("ACK "), "no hop-by-hop ACK"
    finally:
        callee.register("alice", USERS["alice"], expires=0)


def test_named_domain_and_proxy_auth_for_invites() -> None:
    """auth_invites=True: an INVITE from a local user needs proxy auth; domain is by name."""
    with Kamailio(USERS, domain="agentdesk.test", auth_invites=True) as server:
        client = SipClient(server, "udp")
        try:
            response = client.register("alice", USERS["alice"])
            assert response.status == 200, response.raw
            assert server.contacts("alice") == [client.contact("alice")]
            target = server.aor("carol")
            client.request("INVITE", target, "alice", target, call_id="c1")
            challenged = client.final_response()
            assert challenged.status == 407
            auth = authorization(challenged, "INVITE", target, "alice", USERS["alice"])
            client.request("INVITE", target, "alice", target, call_id="c2", extra=auth)
            assert client.final_response().status == 404  # authorised, but carol is offline
            assert client.register("alice", USERS["alice"], expires=0).status == 200
        finally:
            client.close()

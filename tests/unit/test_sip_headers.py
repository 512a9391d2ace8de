"""sip.headers: what the screen-pop card and call history learn from an incoming INVITE."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from sip.headers import (
    caller_identity,
    display_name,
    normalise_number,
    parse_headers,
    uri_user,
)


def invite(*headers: str, body: str = "", sep: str = "\r\n") -> str:
    head = sep.join(["INVITE sip:100@pbx.example.com SIP/2.0", *headers])
    return head + sep + sep + body


# --- parse_headers ----------------------------------------------------------------------------


def test_keeps_interesting_and_x_headers_with_lower_case_names() -> None:
    msg = invite(
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
        'From: "Alice" <sip:alice@example.com>;tag=1',
        "To: <sip:100@pbx.example.com>",
        "Call-ID: abc123@10.0.0.1",
        "P-Asserted-Identity: <sip:+4930123@pbx.example.com>",
        "X-Queue: sales",
        "X-CRM-Ticket:  4711  ",
        "CSeq: 1 INVITE",
        "Contact: <sip:alice@10.0.0.1>",
        "Content-Type: application/sdp",
    )
    headers = parse_headers(msg)
    assert headers == {
        "from": '"Alice" <sip:alice@example.com>;tag=1',
        "to": "<sip:100@pbx.example.com>",
        "call-id": "abc123@10.0.0.1",
        "p-asserted-identity": "<sip:+4930123@pbx.example.com>",
        "x-queue": "sales",
        "x-crm-ticket": "4711",
    }


def test_headers_the_policy_names_are_kept_whatever_their_names() -> None:
    msg = invite("Queue-Name: support", "Linkedid: 1741.9", "Contact: <sip:a@10.0.0.1>")
    assert parse_headers(msg) == {}
    kept = parse_headers(msg, frozenset({"queue-name", "linkedid"}))
    assert kept == {"queue-name": "support", "linkedid": "1741.9"}


def test_header_names_are_case_insensitive() -> None:
    headers = parse_headers(invite("P-ASSERTED-IDENTITY: <tel:+1555>", "x-Agent-Skill: de"))
    assert headers == {"p-asserted-identity": "<tel:+1555>", "x-agent-skill": "de"}


def test_compact_forms_map_to_full_names() -> None:
    headers = parse_headers(
        invite("i: compact-id@host", "f: <sip:bob@example.com>;tag=9", "t: <sip:100@pbx>")
    )
    assert headers == {
        "call-id": "compact-id@host",
        "from": "<sip:bob@example.com>;tag=9",
        "to": "<sip:100@pbx>",
    }


def test_first_occurrence_wins_also_across_compact_and_full_form() -> None:
    headers = parse_headers(invite("f: <sip:first@a>", "From: <sip:second@b>", "X-A: 1", "X-A: 2"))
    assert headers["from"] == "<sip:first@a>"
    assert headers["x-a"] == "1"


def test_values_are_cut_at_one_kib() -> None:
    headers = parse_headers(invite("X-Big: " + "a" * 5000, "Subject: " + "b" * 1024))
    assert headers["x-big"] == "a" * 1024
    assert headers["subject"] == "b" * 1024


def test_folded_and_colon_less_lines_are_ignored() -> None:
    msg = invite(
        "Subject: first part",
        " folded: continuation",
        "\tX-Tabbed: continuation",
        "this line has no colon",
        "X-After: ok",
    )
    headers = parse_headers(msg)
    assert headers == {"subject": "first part", "x-after": "ok"}


def test_the_body_is_not_read_as_headers() -> None:
    body = "v=0\r\nX-Not-A-Header: from-body\r\nSubject: body\r\n"
    headers = parse_headers(invite("X-Real: yes", body=body))
    assert headers == {"x-real": "yes"}


def test_bare_lf_line_endings_are_accepted() -> None:
    headers = parse_headers(invite("X-Lf: 1", "Call-ID: lf@host", body="X-Body: no", sep="\n"))
    assert headers == {"x-lf": "1", "call-id": "lf@host"}


def test_the_start_line_is_not_a_header() -> None:
    assert parse_headers("X-Start: line\r\nX-Second: yes\r\n\r\n") == {"x-second": "yes"}


def test_value_keeps_colons_after_the_first() -> None:
    headers = parse_headers(invite("Call-Info: <http://crm.example.com:8080/c?id=1>;purpose=info"))
    assert headers["call-info"] == "<http://crm.example.com:8080/c?id=1>;purpose=info"


def test_empty_and_start_line_only_messages_give_no_headers() -> None:
    assert parse_headers("") == {}
    assert parse_headers("INVITE sip:a@b SIP/2.0") == {}


def test_garbage_bytes_never_raise() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
        for text in (raw.decode("latin-1"), raw.decode("utf-8", errors="replace")):
            headers = parse_headers(text)
            assert isinstance(headers, dict)
            assert all(len(v) <= 1024 for v in headers.values())


# --- uri_user / display_name / normalise_number ----------------------------------------------

URI_USERS = [
    ("<sip:alice@example.com>", "alice"),
    ("sip:alice@example.com", "alice"),
    ('"Alice" <sip:+4930123@pbx.example.com;user=phone>;tag=x', "+4930123"),
    ("<sips:bob@secure.example.com:5061>", "bob"),
    ("<SIP:Carol@example.com>", "Carol"),
    ("<tel:+1-555-0100>", "+1-555-0100"),
    ("<tel:+15550100;phone-context=example.com>", "+15550100"),
    ("<sip:pbx.example.com>", ""),  # no user part
    ("<http://example.com/x>", ""),
    ("", ""),
]
DISPLAY_NAMES = [
    ('"Alice Smith" <sip:alice@example.com>', "Alice Smith"),
    ("Alice <sip:alice@example.com>", "Alice"),
    ('"Bob \\"The Builder\\" Jones" <sip:bob@x>', 'Bob "The Builder" Jones'),
    ('"C:\\\\temp" <sip:1@x>', "C:\\temp"),
    ('"ends with \\\\" <sip:1@x>', "ends with \\"),
    ('  "  padded  "   <sip:1@x>', "padded"),
    ('"Müller, Jürgen" <sip:1@x>', "Müller, Jürgen"),
    ("<sip:alice@example.com>", ""),
    ("sip:alice@example.com", ""),
    ("", ""),
]
NORMAL_NUMBERS = [
    ("+49 (30) 123-45 67", "+49301234567"),
    ("  030 / 123 45  ", "03012345"),
    ("+1.555.0100", "+15550100"),
    ("0049301234", "0049301234"),
    ("1234", "1234"),
    ("anonymous", "anonymous"),
    ("  anonymous  ", "anonymous"),
    ("", ""),
]


@pytest.mark.parametrize(
    ("read", "value", "expected"),
    [(uri_user, value, user) for value, user in URI_USERS]
    + [(display_name, value, name) for value, name in DISPLAY_NAMES]
    + [(normalise_number, raw, normal) for raw, normal in NORMAL_NUMBERS],
)
def test_reads_the_value(read: Callable[[str], str], value: str, expected: str) -> None:
    assert read(value) == expected


def test_uri_user_ignores_uri_like_text_in_a_quoted_display_name() -> None:
    assert uri_user('"Tel:+4930999" <sip:anonymous@anonymous.invalid>') == "anonymous"
    assert uri_user('"Hotel:Lobby" <sip:100@pbx>') == "100"
    assert uri_user('"see \\"sip:evil@x\\"" <sip:200@pbx>') == "200"


def test_normalise_number_only_keeps_a_leading_plus() -> None:
    assert normalise_number("49+30+1") == "49301"


# --- caller_identity --------------------------------------------------------------------------


def test_caller_identity_prefers_p_asserted_identity_over_from() -> None:
    headers = {
        "from": '"Spoofed" <sip:999@evil.example>;tag=1',
        "p-asserted-identity": '"Alice Smith" <sip:+4930123@pbx.example.com>',
    }
    assert caller_identity(headers, "sip:999@evil.example") == ("+4930123", "Alice Smith")


def test_caller_identity_uses_remote_party_id_before_from() -> None:
    headers = {
        "from": "<sip:999@a>",
        "remote-party-id": '"Queue" <sip:555@pbx>;party=calling',
    }
    assert caller_identity(headers, "") == ("555", "Queue")


def test_caller_identity_falls_back_to_from_when_pai_has_no_user() -> None:
    headers = {
        "p-asserted-identity": "<sip:pbx.example.com>",
        "from": '"Bob" <sip:bob@example.com>;tag=2',
    }
    assert caller_identity(headers, "") == ("bob", "Bob")


def test_caller_identity_handles_tel_uri_in_pai() -> None:
    headers = {"p-asserted-identity": "<tel:+15550100>", "from": "<sip:x@y>"}
    assert caller_identity(headers, "") == ("+15550100", "")


def test_caller_identity_decodes_escaped_quotes_in_the_name() -> None:
    headers = {"from": '"Bob \\"B\\" Jones" <sip:bob@example.com>;tag=3'}
    assert caller_identity(headers, "") == ("bob", 'Bob "B" Jones')


def test_caller_identity_falls_back_to_the_remote_uri() -> None:
    assert caller_identity({}, '"Carol" <sip:carol@example.com>') == ("carol", "Carol")
    assert caller_identity({"x-queue": "a"}, "<tel:+44207>") == ("+44207", "")
    assert caller_identity({}, "") == ("", "")


def test_an_escaped_byte_in_a_display_name_is_kept() -> None:
    assert display_name('"\\xc3( Caller" <sip:1@x>') == "\\xc3( Caller"

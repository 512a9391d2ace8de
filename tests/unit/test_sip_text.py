"""sip.text: strings from pjsua2 become valid UTF-8, with undecodable bytes kept as escapes."""

from __future__ import annotations

import json

import pytest

from sip.text import pj_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"abc@host", "abc@host"),
        ("Алёна".encode(), "Алёна"),
        (b"id-\xff\xfe@x", "id-\\xff\\xfe@x"),
        (b'"\xc3\x28 Caller"', '"\\xc3( Caller"'),
        (b"\xe9t\xe9", "\\xe9t\\xe9"),
    ],
)
def test_bytes_as_swig_hands_them_over(raw: bytes, expected: str) -> None:
    swig = raw.decode("utf-8", "surrogateescape")  # how SWIG decodes a std::string
    text = pj_text(swig)
    assert text == expected
    json.dumps(text, ensure_ascii=False).encode("utf-8")


def test_a_surrogate_that_is_no_escaped_byte_is_kept_as_escapes() -> None:
    text = pj_text("a\ud800b")
    text.encode("utf-8")
    assert text == "a\\xed\\xa0\\x80b"


def test_other_values_become_strings() -> None:
    assert pj_text(486) == "486"

"""Reading what a PBX puts in an incoming INVITE: caller number, name, queue headers."""

from __future__ import annotations

import re

# Headers worth handing to the screen-pop card; X- headers are always kept.
INTERESTING = {
    "call-id",
    "from",
    "to",
    "p-asserted-identity",
    "p-preferred-identity",
    "remote-party-id",
    "diversion",
    "history-info",
    "call-info",
    "alert-info",
    "user-agent",
    "subject",
    "organization",
    "priority",
}
_COMPACT = {"i": "call-id", "f": "from", "t": "to"}
_MAX_VALUE = 1024
_URI = re.compile(r"<?\s*(sips?|tel):([^>;,\s]+)", re.IGNORECASE)
_NAME = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<')
_QUOTED_NAME = re.compile(r'^\s*"(?:[^"\\]|\\.)*"')


def parse_headers(message: str, keep: frozenset[str] = frozenset()) -> dict[str, str]:
    """Headers of a SIP message as ``{lower-case name: value}`` (first occurrence wins).

    Only the interesting ones, X- headers and those named in ``keep`` (lower case: where the
    recording policy says the PBX puts its queue, wait and call id) are kept, each value cut
    at 1 KiB, so a hostile INVITE cannot make the event large.
    """
    head = message.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    out: dict[str, str] = {}
    for raw in head.splitlines()[1:]:
        if ":" not in raw or raw[:1] in (" ", "\t"):
            continue
        name, _, value = raw.partition(":")
        key = _COMPACT.get(name.strip().lower(), name.strip().lower())
        if key in INTERESTING or key.startswith("x-") or key in keep:
            out.setdefault(key, value.strip()[:_MAX_VALUE])
    return out


def uri_user(value: str) -> str:
    """The user part of the first SIP/tel URI in a header value ('' if none)."""
    # A quoted display name may itself contain "sip:" or "tel:" text; only the URI counts.
    m = _URI.search(_QUOTED_NAME.sub("", value, count=1))
    if not m:
        return ""
    scheme, rest = m.group(1).lower(), m.group(2)
    if scheme == "tel":
        return rest
    return rest.split("@", 1)[0] if "@" in rest else ""


def display_name(value: str) -> str:
    m = _NAME.match(value)
    if not m:
        return ""
    if m.group(1) is not None:
        # quoted-pair: only \" and \\ are unescaped, so a \xNN that stands for a byte that was
        # not UTF-8 (sip.text) stays as it is.
        return re.sub(r'\\(["\\])', r"\1", m.group(1)).strip()
    return (m.group(2) or "").strip()


def normalise_number(number: str) -> str:
    """Digits with an optional leading '+', for matching a caller with the CRM and history."""
    number = number.strip()
    plus = number.startswith("+")
    digits = "".join(ch for ch in number if ch.isdigit())
    return ("+" if plus else "") + digits if digits else number


def caller_identity(headers: dict[str, str], remote_uri: str) -> tuple[str, str]:
    """(number, display name) of a caller: P-Asserted-Identity first, then From/remote URI."""
    for key in ("p-asserted-identity", "remote-party-id", "from"):
        if key in headers and uri_user(headers[key]):
            return uri_user(headers[key]), display_name(headers[key])
    return uri_user(remote_uri), display_name(remote_uri)

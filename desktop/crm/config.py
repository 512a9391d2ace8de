"""The ``[crm]`` and ``[dialog_card]`` settings, their validation, and the adapter they build.

Dialog-card fields are one line each, ``key: type, flags``::

    fields = ["topic: text, required, label=Topic",
              "product: choice(Internet|TV|Phone), crm=status",
              "callback: checkbox", "callback_on: date", "card_no: text, sensitive"]

Types: ``text``, ``choice(a|b|…)``, ``checkbox``, ``date``. Flags: ``required``,
``sensitive`` (pauses screen recording and silences the call audio while focused; the
value is shown masked once the field loses focus and leaves the PC only as
``sensitive=mask`` (the default: the last 4 characters), ``sensitive=hash`` (HMAC-SHA256,
key in the keyring) or not at all, ``sensitive=drop``; see desktop/crm/sensitive.py),
``crm=<role or label>`` (pre-filled from the CRM's answer), ``label=<text>``. The CRM's
mapping is ``"<role or label>: <path>"``.
The CRM secret (token or webhook code) is kept in the keyring under ``crm@<host>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from desktop.crm import paths
from desktop.crm.base import CrmAdapter
from desktop.crm.bitrix24 import Bitrix24Adapter
from desktop.crm.rest import RestAdapter, RestConfig
from desktop.crm.sensitive import PROTECTIONS
from desktop.crm.types import CrmError

ADAPTERS = ("none", "rest", "bitrix24")
FIELD_TYPES = ("text", "choice", "checkbox", "date")
_KEY = re.compile(r"^[a-z0-9_]{1,40}$")  # the store's card key pattern
_TYPE = re.compile(r"^(text|checkbox|date|choice)(?:\((.*)\))?$")


@dataclass(frozen=True)
class CrmSection:
    """``[crm]``: which CRM the card asks, and how."""

    adapter: str = "none"  # none | rest | bitrix24
    timeout_s: float = 1.5
    country_code: str = "7"  # for national forms such as 8 912 …
    lookup_url: str = ""  # rest: e.g. https://crm.example.com/api/contacts?phone={number}
    contact_path: str = ""
    fields: tuple[str, ...] = ()  # rest: "name: data.full_name", "Balance: data.balance"
    open_url: str = ""  # rest: https://crm.example.com/contacts/{id}
    create_url: str = ""  # rest: https://crm.example.com/contacts/new?phone={number}
    post_url: str = ""  # rest: https://crm.example.com/api/calls
    webhook_url: str = ""  # bitrix24: https://portal.bitrix24.ru/rest/1/ (secret in keyring)
    user_id: int = 0  # bitrix24: the operator's user id, for call logging
    post_back: bool = False  # log calls and dialog cards in the CRM


@dataclass(frozen=True)
class DialogCardSection:
    """``[dialog_card]``: the fields the operator fills during the call and wrap-up."""

    fields: tuple[str, ...] = ("topic: text, label=Topic", "notes: text, label=Notes")
    dispositions: tuple[str, ...] = ("resolved", "callback", "escalated", "no answer needed")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    kind: str  # text | choice | checkbox | date
    label: str
    choices: tuple[str, ...] = ()
    required: bool = False
    sensitive: bool = False
    crm: str = ""
    protect: str = "mask"  # a sensitive value leaves the PC: mask | hash | drop


def parse_field(line: str) -> FieldSpec:
    """One dialog-card field line; ValueError naming what is wrong."""
    key, sep, rest = line.partition(":")
    key = key.strip()
    if not sep or not _KEY.match(key):
        raise ValueError(f"{line!r}: start with a key of a-z, 0-9, _ and a colon")
    parts = [p.strip() for p in re.split(r",(?![^(]*\))", rest)]
    match = _TYPE.match(parts[0])
    if not match:
        raise ValueError(f"{key}: type {parts[0]!r} is not one of {', '.join(FIELD_TYPES)}")
    kind, inner = match.group(1), match.group(2)
    choices = tuple(c.strip() for c in (inner or "").split("|") if c.strip())
    if kind == "choice" and not choices:
        raise ValueError(f"{key}: choice needs its options, e.g. choice(yes|no)")
    if kind != "choice" and inner is not None:
        raise ValueError(f"{key}: only choice takes options in brackets")
    spec = {"required": False, "sensitive": False, "crm": "", "label": key.replace("_", " "),
            "protect": "mask"}  # fmt: skip
    for flag in parts[1:]:
        name, eq, value = flag.partition("=")
        name = name.strip()
        if name in ("required", "sensitive") and not eq:
            spec[name] = True
        elif name == "sensitive" and value.strip() in PROTECTIONS:
            spec["sensitive"], spec["protect"] = True, value.strip()
        elif name == "sensitive":
            raise ValueError(f"{key}: sensitive={value.strip()} is not one of "
                             f"{', '.join(PROTECTIONS)}")  # fmt: skip
        elif name in ("crm", "label") and eq and value.strip():
            spec[name] = value.strip()
        else:
            raise ValueError(f"{key}: unknown flag {flag!r} (required, sensitive, crm=…, label=…)")
    return FieldSpec(key, kind, str(spec["label"]), choices, bool(spec["required"]),
                     bool(spec["sensitive"]), str(spec["crm"]), str(spec["protect"]))  # fmt: skip


def parse_fields(lines: tuple[str, ...]) -> list[FieldSpec]:
    specs = [parse_field(line) for line in lines]
    keys = [s.key for s in specs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"keys used twice: {', '.join(dupes)}")
    if "disposition" in keys:
        raise ValueError("'disposition' is built in: list its values in dialog_card.dispositions")
    return specs


def parse_mapping(lines: tuple[str, ...]) -> dict[str, str]:
    """``"role or label: json.path"`` lines as a dict; ValueError naming the bad line."""
    out: dict[str, str] = {}
    for line in lines:
        label, sep, path = line.partition(":")
        if not sep or not label.strip() or not path.strip():
            raise ValueError(f"{line!r}: write it as 'label: json.path'")
        try:
            paths.parse(path)
        except paths.PathError as exc:
            raise ValueError(f"{label.strip()}: {exc}") from None
        out[label.strip()] = path.strip()
    return out


def problems(crm: CrmSection, card: DialogCardSection) -> list[str]:
    """Problems of both sections, each starting with its key (``crm.lookup_url: …``)."""
    out: list[str] = []
    if crm.adapter not in ADAPTERS:
        out.append(f"crm.adapter: {crm.adapter!r} is not one of {', '.join(ADAPTERS)}")
    if not 0.1 <= crm.timeout_s <= 30:
        out.append(f"crm.timeout_s: must be 0.1..30 seconds, got {crm.timeout_s:g}")
    if not crm.country_code.isdigit() or len(crm.country_code) > 3:
        out.append(f"crm.country_code: {crm.country_code!r} must be 1-3 digits, e.g. 7")
    urls = ("lookup_url", "open_url", "create_url", "post_url", "webhook_url")
    for key in urls:
        value = getattr(crm, key)
        if value and urlsplit(value).scheme not in ("http", "https"):
            out.append(f"crm.{key}: {value!r} must be an http:// or https:// URL")
    if crm.adapter == "rest" and not crm.lookup_url:
        out.append("crm.lookup_url: missing (the rest adapter needs it)")
    if crm.adapter == "rest" and crm.lookup_url and not re.search(r"\{(number|digits)\}",
                                                                  crm.lookup_url):  # fmt: skip
        out.append("crm.lookup_url: must contain {number} or {digits}")
    if crm.adapter == "bitrix24":
        if not crm.webhook_url:
            out.append("crm.webhook_url: missing (the bitrix24 adapter needs it)")
        elif not re.search(r"/rest/\d+/?$", crm.webhook_url):
            out.append(
                "crm.webhook_url: must end in /rest/<user id>/ (keep the secret part in the "
                "keyring, not in this file)"
            )
    try:
        parse_mapping(crm.fields)
    except ValueError as exc:
        out.append(f"crm.fields: {exc}")
    try:
        parse_fields(card.fields)
    except ValueError as exc:
        out.append(f"dialog_card.fields: {exc}")
    if not card.dispositions:
        out.append("dialog_card.dispositions: list at least one disposition")
    return out


def keyring_user(crm: CrmSection) -> str:
    """Where the CRM's secret is kept in the keyring (service ``agentdesk``)."""
    url = crm.webhook_url if crm.adapter == "bitrix24" else crm.lookup_url
    return f"crm@{urlsplit(url).hostname or 'crm'}"


def build_adapter(crm: CrmSection, secret: str) -> CrmAdapter | None:
    """The configured adapter (None: no CRM). Raises CrmError when it cannot be built."""
    if crm.adapter == "rest":
        config = RestConfig(
            lookup_url=crm.lookup_url,
            contact_path=crm.contact_path,
            fields=parse_mapping(crm.fields),
            open_url=crm.open_url,
            create_url=crm.create_url,
            post_url=crm.post_url if crm.post_back else "",
            timeout_s=crm.timeout_s,
        )
        return RestAdapter(config, secret)
    if crm.adapter == "bitrix24":
        return Bitrix24Adapter(
            crm.webhook_url, secret, user_id=crm.user_id, timeout_s=crm.timeout_s
        )
    if crm.adapter != "none":
        raise CrmError(f"unknown CRM adapter {crm.adapter!r}")
    return None

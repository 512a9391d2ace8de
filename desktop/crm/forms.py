"""A dialog-card form other than the settings' own: an outbound campaign's ``card_form`` (its
fields as JSON objects), its dispositions and its script.

A field is ``{"key": "card_no", "type": "text", "label": "Card", "choices": [...],
"required": true, "sensitive": true | "mask" | "hash" | "drop", "crm": "status"}``: the same
as a ``[dialog_card]`` field line (desktop/crm/config.py), only ``key`` required and ``type``
``text`` unless given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop.crm.config import FIELD_TYPES, FieldSpec, parse_field
from desktop.crm.sensitive import PROTECTIONS

_KNOWN = {"key", "type", "label", "choices", "required", "sensitive", "crm"}


@dataclass(frozen=True)
class CardForm:
    specs: tuple[FieldSpec, ...]
    dispositions: tuple[str, ...]
    script: str = ""


def field_of(entry: dict[str, Any]) -> FieldSpec:
    """One field of a JSON form; ValueError naming the field and what is wrong."""
    key = entry.get("key")
    if not isinstance(key, str):
        raise ValueError(f"a field without a 'key': {entry!r}")
    unknown = sorted(set(entry) - _KNOWN)
    if unknown:
        raise ValueError(
            f"{key}: unknown {', '.join(unknown)} (one of {', '.join(sorted(_KNOWN))})"
        )
    kind = entry.get("type", "text")
    if kind not in FIELD_TYPES:
        raise ValueError(f"{key}: type {kind!r} is not one of {', '.join(FIELD_TYPES)}")
    choices = entry.get("choices") or []
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise ValueError(f"{key}: choices must be a list of texts")
    spec = parse_field(f"{key}: {kind}" + (f"({'|'.join(choices)})" if choices else ""))
    sensitive = entry.get("sensitive", False)
    if sensitive not in (True, False, *PROTECTIONS):
        raise ValueError(f"{key}: sensitive must be true, false or one of {', '.join(PROTECTIONS)}")
    label = entry.get("label") or spec.label
    crm = entry.get("crm") or ""
    if not isinstance(label, str) or not isinstance(crm, str):
        raise ValueError(f"{key}: label and crm must be texts")
    return FieldSpec(
        key, spec.kind, label, spec.choices, bool(entry.get("required")), bool(sensitive), crm,
        sensitive if isinstance(sensitive, str) else "mask",
    )  # fmt: skip


def form_of(fields: list[dict[str, Any]], dispositions: list[str], script: str) -> CardForm:
    """The form of these JSON fields; ValueError naming the first bad one."""
    specs = [field_of(entry) for entry in fields]
    keys = [s.key for s in specs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"keys used twice: {', '.join(twice)}")
    if "disposition" in keys:
        raise ValueError("'disposition' is built in: list its values in the dispositions")
    return CardForm(tuple(specs), tuple(dispositions), script)

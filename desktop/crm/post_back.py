"""The CRM as the panel reaches it: its adapter, made with its secret from the keyring, and
what is posted back to it after a call. Both are called off the UI thread or are pure."""

from __future__ import annotations

from typing import Any

from desktop import secret_store
from desktop.calls.model import Call
from desktop.crm.base import CrmAdapter
from desktop.crm.config import CrmSection, build_adapter, keyring_user
from desktop.crm.numbers import to_e164
from desktop.crm.types import CallReport


def adapter_with_secret(crm: CrmSection) -> CrmAdapter | None:
    """The adapter of ``[crm]`` with its secret read from the keyring (blocking). A REST CRM
    may need no secret; a Bitrix24 webhook does, so a keyring failure is raised for it."""
    try:
        secret = secret_store.read_named_secret(keyring_user(crm), "CRM secret") or ""
    except secret_store.SecretStoreError:
        if crm.adapter == "bitrix24":  # its webhook does not work without the secret
            raise
        secret = ""  # a REST CRM may need no token (the demo CRM does not)
    return build_adapter(crm, secret)


def call_report(call: Call, fields: dict[str, Any], country_code: str, ended_us: int) -> CallReport:
    """The finished call and its dialog card (``fields``: "card", "disposition") for the CRM."""
    return CallReport(
        call_id=call.call_id,
        number=to_e164(call.number, country_code) or call.number,
        direction=call.direction,
        started_us=call.started_us,
        duration_s=round((ended_us - (call.answered_us or ended_us)) / 1e6),
        answered=call.answered,
        disposition=fields["disposition"],
        card={k: str(v["value"]) for k, v in fields["card"].items()},
        contact=call.contact,
    )

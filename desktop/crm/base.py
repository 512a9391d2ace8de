"""What every CRM adapter offers the card: a lookup in two steps (the contact fast, then its
details), the contact's page in the CRM's web UI, creating a contact, and posting a call back.

Adapters are plain blocking code: the desktop calls them off the UI thread. They raise
:class:`~desktop.crm.types.CrmError` (never anything else) for a CRM that fails.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

from desktop.crm.types import CallReport, CrmContact, CrmError, LookupResult


class CrmAdapter(Protocol):
    name: str  # shown on the card: "Bitrix24", "CRM"
    timeout_s: float

    def lookup(self, number: str) -> LookupResult:
        """Find the caller by E.164 number; a failing CRM gives an ``Outcome.failed`` result."""
        ...

    def details(self, contact: CrmContact) -> CrmContact:
        """The contact with its open items and notes (a second, slower answer)."""
        ...

    def create_contact(self, number: str, name: str) -> str:
        """Create (or start creating) a contact for ``number``; the web page to open."""
        ...

    def post_call(self, report: CallReport, recording: Path | None = None) -> str:
        """Log the finished call and its dialog card (and recording) in the CRM; its id there."""
        ...


def safe_lookup(adapter: CrmAdapter, number: str) -> LookupResult:
    """``adapter.lookup`` that never raises: anything unexpected becomes a failed result."""
    try:
        return adapter.lookup(number)
    except CrmError as exc:
        return LookupResult.failed(number, str(exc))
    except Exception as exc:  # a bug or a shape nobody foresaw: the call goes on regardless
        return LookupResult.failed(number, f"{adapter.name} answered in an unexpected way ({exc})")


def full_lookup(adapter: CrmAdapter, number: str) -> LookupResult:
    """:func:`safe_lookup` and, for a contact found, its details (open items) too, in one go
    (an outbound task's card, shown before the call: no hurry to show the first answer).
    Details that fail leave the first answer as it was."""
    found = safe_lookup(adapter, number)
    if found.contact is None:
        return found
    try:
        return replace(found, contact=adapter.details(found.contact))
    except Exception:  # the card stands on the first answer
        return found

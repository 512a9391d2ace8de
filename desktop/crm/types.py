"""What a CRM lookup gives the card: a contact with its open items, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CrmError(Exception):
    """The CRM could not answer usefully; the message says what went wrong, for the card."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status when the CRM answered with an error


class CrmTimeout(CrmError):
    """The CRM did not answer within the lookup's time limit."""


@dataclass(frozen=True)
class CrmItem:
    """An open deal or ticket."""

    title: str
    status: str = ""
    amount: str = ""


@dataclass(frozen=True)
class CrmContact:
    """A caller as the CRM knows them. ``extra`` holds mapped fields as (label, value)."""

    id: str
    name: str
    kind: str = "contact"  # contact | company | lead, as the CRM calls it
    company: str = ""
    status: str = ""
    balance: str = ""
    notes: str = ""
    items: tuple[CrmItem, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    web_url: str = ""
    values: dict[str, str] = field(default_factory=dict)  # by role and label, for pre-filling


class Outcome(StrEnum):
    found = "found"
    not_found = "not_found"
    failed = "failed"


@dataclass(frozen=True)
class LookupResult:
    number: str
    outcome: Outcome
    contact: CrmContact | None = None
    problem: str = ""

    @classmethod
    def failed(cls, number: str, problem: str) -> LookupResult:
        return cls(number, Outcome.failed, problem=problem)


@dataclass(frozen=True)
class CallReport:
    """What is posted back to the CRM after a call (the dialog card and the call's facts)."""

    call_id: str
    number: str
    direction: str  # inbound | outbound
    started_us: int
    duration_s: int
    answered: bool
    disposition: str
    card: dict[str, str]
    contact: CrmContact | None = None

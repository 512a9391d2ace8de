"""Outbound campaigns through the store: a desktop claims its next task, keeps the lease, asks
to dial and reports the outcome; supervisors make, import, watch, pause and export campaigns.
The JSON shapes mirror store.models.outbound."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict, cast

from store.client_session import StoreSession, seg

OutcomeName = Literal["answered", "busy", "no_answer", "failed", "callback", "skipped"]


class CallingHours(TypedDict):
    start: str  # HH:MM in the contact's own time zone
    end: str
    days: list[int]  # 1 Monday … 7 Sunday


class CampaignSettings(TypedDict, total=False):
    queue: str | None
    team: str | None
    mode: Literal["preview", "progressive"]
    hours: CallingHours
    default_tz: str
    max_attempts: int
    retry_s: dict[str, int]
    skip_retry_s: int
    dispositions: list[str]
    caller_id: str | None
    card_form: list[dict[str, Any]]
    script: str
    lease_s: int
    countdown_s: int
    no_answer_s: int


class Campaign(CampaignSettings):
    id: int
    name: str
    paused: bool
    created_by: str
    created_us: int
    updated_us: int


class Task(TypedDict):
    claim_id: str
    lease_until_us: int
    campaign: Campaign
    contact_id: int
    phone: str
    name: str
    tz: str
    crm_id: str | None
    extra: dict[str, str]
    attempts: int
    callback: bool


class Outcome(TypedDict):
    outcome: OutcomeName
    disposition: NotRequired[str | None]
    reason: NotRequired[str | None]
    call_id: NotRequired[str | None]
    callback_us: NotRequired[int | None]


class Scheduled(TypedDict):
    status: Literal["waiting", "done", "exhausted"]
    next_due_us: int | None
    attempts: int


class ImportReport(TypedDict):
    imported: int
    encoding: str
    delimiter: str
    columns: list[str]


class Progress(TypedDict):
    campaign_id: int
    name: str
    paused: bool
    total: int
    done: int
    exhausted: int
    due_now: int
    scheduled: int
    claimed: int
    blocked: int
    outcomes: dict[str, int]


class Attempt(TypedDict):
    id: int
    agent: str
    claimed_us: int
    dialled_us: int | None
    ended_us: int | None
    outcome: str | None
    disposition: str | None
    reason: str | None
    call_id: str | None
    next_due_us: int | None


class ContactHistory(TypedDict):
    id: int
    campaign_id: int
    phone: str
    name: str
    tz: str
    crm_id: str | None
    extra: dict[str, str]
    status: str
    attempts: int
    next_due_us: int
    attempts_made: list[Attempt]


class OutboundClient(StoreSession):
    """`/outbound/…`: claims for desktops, campaigns for supervisors."""

    # --- a desktop's task ----------------------------------------------------------------

    def claim_task(self) -> Task | None:
        """The next due contact, now held by this token's user; None when nothing is due."""
        return cast(Task | None, self._json("POST", "/outbound/claims"))

    def heartbeat_task(self, claim_id: str) -> int:
        """Extends the lease (its new end); `ConflictError` code ``lapsed`` once it is gone."""
        path = f"/outbound/claims/{seg(claim_id)}/heartbeat"
        return int(self._json("POST", path)["lease_until_us"])

    def dial_task(self, claim_id: str) -> int:
        """Permission to dial (the attempts made, this one included); `ConflictError` code
        ``do_not_call`` when the number must not be dialled."""
        return int(self._json("POST", f"/outbound/claims/{seg(claim_id)}/dial")["attempts"])

    def report_task(self, claim_id: str, outcome: Outcome) -> Scheduled:
        path = f"/outbound/claims/{seg(claim_id)}/outcome"
        return cast(Scheduled, self._json("POST", path, json=outcome))

    def release_task(self, claim_id: str) -> None:
        self._request("DELETE", f"/outbound/claims/{seg(claim_id)}").close()

    # --- supervisors ---------------------------------------------------------------------

    def create_campaign(self, name: str, settings: CampaignSettings) -> Campaign:
        body = {"name": name, **settings}
        return cast(Campaign, self._json("POST", "/outbound/campaigns", json=body))

    def campaigns(self) -> list[Campaign]:
        return cast(list[Campaign], self._json("GET", "/outbound/campaigns"))

    def change_campaign(
        self, campaign_id: int, paused: bool | None = None, settings: CampaignSettings | None = None
    ) -> Campaign:
        body = {k: v for k, v in (("paused", paused), ("settings", settings)) if v is not None}
        path = f"/outbound/campaigns/{campaign_id}"
        return cast(Campaign, self._json("PATCH", path, json=body))

    def import_contacts(
        self,
        campaign_id: int,
        data: bytes,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> ImportReport:
        """A CSV file's contacts, all or none (`InvalidRequest` names every bad line)."""
        params = {k: v for k, v in (("encoding", encoding), ("delimiter", delimiter)) if v}
        path = f"/outbound/campaigns/{campaign_id}/contacts"
        headers = {"Content-Type": "text/csv"}
        return cast(
            ImportReport, self._json("POST", path, data=data, params=params, headers=headers)
        )

    def campaign_progress(self, campaign_id: int) -> Progress:
        return cast(Progress, self._json("GET", f"/outbound/campaigns/{campaign_id}/progress"))

    def campaign_contacts(
        self, campaign_id: int, limit: int = 1000, offset: int = 0
    ) -> list[dict[str, Any]]:
        path = f"/outbound/campaigns/{campaign_id}/contacts"
        params = {"limit": limit, "offset": offset}
        return cast(list[dict[str, Any]], self._json("GET", path, params=params))

    def campaign_results_csv(self, campaign_id: int) -> bytes:
        response = self._request("GET", f"/outbound/campaigns/{campaign_id}/results.csv")
        try:
            return response.content
        finally:
            response.close()

    def contact_history(self, contact_id: int) -> ContactHistory:
        return cast(ContactHistory, self._json("GET", f"/outbound/contacts/{contact_id}"))

    def add_do_not_call(self, numbers: list[str], reason: str | None = None) -> int:
        body = {"numbers": numbers, "reason": reason}
        return int(self._json("POST", "/outbound/dnc", json=body)["added"])

    def remove_do_not_call(self, number: str) -> None:
        self._request("DELETE", f"/outbound/dnc/{seg(number)}").close()

"""Bitrix24 through an incoming webhook, with the methods its telephony integration documents.

- ``telephony.externalCall.searchCrmEntities`` finds the caller (leads, contacts, companies;
  the first is the best match);
- one ``batch`` then fetches the entity, its company and its open deals;
- ``telephony.externalcall.register`` + ``finish`` log the call, ``crm.timeline.comment.add``
  adds the dialog card, ``telephony.externalCall.attachRecord`` attaches the audio;
- ``crm.contact.add`` creates a contact for an unknown number.

The webhook URL is ``https://<portal>/rest/<user id>/<secret>/``: the settings hold it without
the secret, which lives in the keyring.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from desktop.crm import paths
from desktop.crm.http import request_json
from desktop.crm.types import CallReport, CrmContact, CrmError, CrmItem, LookupResult, Outcome

KINDS = {"CONTACT": "contact", "COMPANY": "company", "LEAD": "lead"}
DEAL_FIELDS = ("ID", "TITLE", "STAGE_ID", "OPPORTUNITY", "CURRENCY_ID")
MAX_RECORD_BYTES = 20 * 1024 * 1024  # larger recordings are better linked than inlined
_TAGS = re.compile(r"<[^>]+>|\[/?[a-zA-Z]+[^\]]*\]")


class Bitrix24Adapter:
    name = "Bitrix24"

    def __init__(
        self, webhook_url: str, secret: str, *, user_id: int = 0, timeout_s: float = 1.5
    ) -> None:
        if not secret:
            raise CrmError("Bitrix24: the webhook secret is not in the keyring")
        self.base = webhook_url.rstrip("/") + "/" + secret.strip("/") + "/"
        parts = urlsplit(webhook_url)
        self.portal = f"{parts.scheme}://{parts.netloc}"
        self.user_id = user_id
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def call(self, method: str, params: dict[str, Any], timeout_s: float | None = None) -> Any:
        """One REST method; its ``result``, or CrmError with Bitrix24's own description."""
        answer = request_json(
            self.session,
            "POST",
            f"{self.base}{method}.json",
            timeout_s=timeout_s or self.timeout_s,
            json_body=params,
        )
        if not isinstance(answer, dict):
            raise CrmError(f"Bitrix24: {method} answered without a result object")
        if "error" in answer:
            text = answer.get("error_description") or answer["error"]
            raise CrmError(f"Bitrix24: {method}: {str(text)[:200]}")
        if "result" not in answer:
            raise CrmError(f"Bitrix24: {method} answered without a result")
        return answer["result"]

    def web_url(self, kind: str, entity_id: str) -> str:
        return f"{self.portal}/crm/{kind}/details/{entity_id}/"

    # --- lookup ---------------------------------------------------------------------------
    def lookup(self, number: str) -> LookupResult:
        try:
            found = self.call("telephony.externalCall.searchCrmEntities", {"PHONE_NUMBER": number})
        except CrmError as exc:
            return LookupResult.failed(number, str(exc))
        if not isinstance(found, list):
            return LookupResult.failed(number, "Bitrix24: the search answered without a list")
        for entity in found:
            if not isinstance(entity, dict):
                continue
            kind = KINDS.get(str(entity.get("CRM_ENTITY_TYPE", "")).upper())
            entity_id = paths.text(entity.get("CRM_ENTITY_ID"))
            if kind and entity_id:
                name = paths.text(entity.get("NAME")) or number
                contact = CrmContact(
                    id=entity_id,
                    name=name,
                    kind=kind,
                    web_url=self.web_url(kind, entity_id),
                    values={"name": name, "id": entity_id},
                )
                return LookupResult(number, Outcome.found, contact)
        return LookupResult(number, Outcome.not_found)

    def details(self, contact: CrmContact) -> CrmContact:
        kind, cid = contact.kind, contact.id
        deals = "&".join(f"select[]={f}" for f in DEAL_FIELDS)
        owner = {"contact": "CONTACT_ID", "company": "COMPANY_ID"}.get(kind)
        cmd = {"entity": f"crm.{kind}.get?id={cid}"}
        if owner:
            cmd["deals"] = f"crm.deal.list?filter[{owner}]={cid}&filter[CLOSED]=N&{deals}"
        if kind == "contact":
            cmd["company"] = "crm.company.get?id=$result[entity][COMPANY_ID]"
        batch = self.call("batch", {"halt": 0, "cmd": cmd})
        results = batch.get("result") if isinstance(batch, dict) else None
        if not isinstance(results, dict):
            raise CrmError("Bitrix24: batch answered without results")
        entity = results.get("entity")
        if not isinstance(entity, dict):
            raise CrmError(f"Bitrix24: the {kind} {cid} could not be read")
        company = results.get("company")
        deal_rows = results.get("deals")
        items = tuple(
            CrmItem(
                title=paths.text(d.get("TITLE")),
                status=paths.text(d.get("STAGE_ID")),
                amount=" ".join(
                    t
                    for t in (paths.text(d.get("OPPORTUNITY")), paths.text(d.get("CURRENCY_ID")))
                    if t
                ),
            )
            for d in (deal_rows if isinstance(deal_rows, list) else [])[:20]
            if isinstance(d, dict)
        )
        company_title = paths.text(company.get("TITLE")) if isinstance(company, dict) else ""
        if kind == "lead":
            company_title = paths.text(entity.get("COMPANY_TITLE"))
        status = entity.get("STATUS_ID") if kind == "lead" else entity.get("TYPE_ID")
        if kind == "company":
            status = entity.get("COMPANY_TYPE")
        full = " ".join(
            t
            for t in (paths.text(entity.get(k)) for k in ("NAME", "SECOND_NAME", "LAST_NAME"))
            if t
        )
        name = paths.text(entity.get("TITLE")) if kind == "company" else full
        notes = _TAGS.sub("", paths.text(entity.get("COMMENTS"))).strip()
        values = {**contact.values, "company": company_title, "status": paths.text(status)}
        return CrmContact(
            id=cid,
            name=name or contact.name,
            kind=kind,
            company=company_title,
            status=paths.text(status),
            notes=notes,
            items=items,
            web_url=contact.web_url,
            values={k: v for k, v in values.items() if v},
        )

    # --- writing --------------------------------------------------------------------------
    def create_contact(self, number: str, name: str) -> str:
        fields = {"NAME": name or number, "PHONE": [{"VALUE": number, "VALUE_TYPE": "WORK"}]}
        new_id = self.call("crm.contact.add", {"fields": fields}, timeout_s=10.0)
        if not paths.text(new_id):
            raise CrmError("Bitrix24: crm.contact.add answered without the new contact's id")
        return self.web_url("contact", paths.text(new_id))

    def post_call(self, report: CallReport, recording: Path | None = None) -> str:
        """Register and finish the call (with its card as a timeline comment); Bitrix24's
        call id."""
        start = dt.datetime.fromtimestamp(report.started_us / 1e6, dt.UTC)
        params: dict[str, Any] = {
            "USER_ID": self.user_id,
            "PHONE_NUMBER": report.number,
            "CALL_START_DATE": start.isoformat(timespec="seconds"),
            "TYPE": 2 if report.direction == "inbound" else 1,
            "CRM_CREATE": 0,
            "SHOW": 0,
        }
        if report.contact is not None:
            params["CRM_ENTITY_TYPE"] = report.contact.kind.upper()
            params["CRM_ENTITY_ID"] = report.contact.id
        registered = self.call("telephony.externalcall.register", params, timeout_s=10.0)
        call_id = paths.text(paths.get(registered, "CALL_ID"))
        if not call_id:
            raise CrmError("Bitrix24: register answered without a CALL_ID")
        finish = {
            "CALL_ID": call_id,
            "USER_ID": self.user_id,
            "DURATION": report.duration_s,
            "STATUS_CODE": "200" if report.answered else "304",
            "ADD_TO_CHAT": 0,
        }
        self.call("telephony.externalcall.finish", finish, timeout_s=10.0)
        if report.contact is not None and (report.card or report.disposition):
            lines = [f"{k}: {v}" for k, v in report.card.items() if v]
            if report.disposition:
                lines.insert(0, f"disposition: {report.disposition}")
            comment = {
                "ENTITY_ID": report.contact.id,
                "ENTITY_TYPE": report.contact.kind,
                "COMMENT": "\n".join(lines),
            }
            self.call("crm.timeline.comment.add", {"fields": comment}, timeout_s=10.0)
        if recording is not None:
            self.attach_record(call_id, recording)
        return call_id

    def attach_record(self, call_id: str, recording: Path) -> None:
        data = recording.read_bytes()
        if len(data) > MAX_RECORD_BYTES:
            raise CrmError(f"Bitrix24: the recording is over {MAX_RECORD_BYTES:,} bytes")
        params = {
            "CALL_ID": call_id,
            "FILENAME": recording.name,
            "FILE_CONTENT": base64.b64encode(data).decode("ascii"),
        }
        self.call("telephony.externalCall.attachRecord", params, timeout_s=30.0)

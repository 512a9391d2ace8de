"""A generic REST CRM: URL templates for lookup, web page, contact creation and post-back, and
a mapping of JSON paths in the lookup's answer to the card's fields.

Templates take ``{number}`` (E.164, URL-encoded), ``{digits}`` (without the plus), ``{id}``
(the contact's id) and ``{call_id}``. Mapping roles: ``id``, ``name``, ``company``, ``status``,
``balance``, ``notes``, ``items`` (a list) with ``item.title``, ``item.status``,
``item.amount`` inside each; any other key is a label shown as it is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from desktop.crm import paths
from desktop.crm.http import request_json
from desktop.crm.types import CallReport, CrmContact, CrmError, CrmItem, LookupResult, Outcome

ROLES = ("id", "name", "company", "status", "balance", "notes", "items")
ITEM_ROLES = ("item.title", "item.status", "item.amount")


@dataclass(frozen=True)
class RestConfig:
    lookup_url: str
    contact_path: str = ""  # where the contact is in the answer; a list: its first element
    fields: dict[str, str] = field(default_factory=dict)  # role or label -> JSON path
    open_url: str = ""
    create_url: str = ""
    post_url: str = ""
    timeout_s: float = 1.5
    name: str = "CRM"


def fill(template: str, **values: str) -> str:
    """A URL template with every value URL-encoded (a number cannot add a path or query)."""
    return template.format_map({k: quote(v, safe="") for k, v in values.items()})


class RestAdapter:
    """The generic adapter; ``token`` (from the keyring) goes in an Authorization header."""

    def __init__(self, config: RestConfig, token: str = "") -> None:
        self.config = config
        self.name = config.name
        self.timeout_s = config.timeout_s
        self.session = requests.Session()
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        for path in config.fields.values():
            paths.parse(path)  # fails early on a malformed path

    def _get(self, url: str) -> Any:
        return request_json(
            self.session, "GET", url, timeout_s=self.timeout_s, headers=self._headers
        )

    def lookup(self, number: str) -> LookupResult:
        url = fill(self.config.lookup_url, number=number, digits=number.lstrip("+"))
        try:
            answer = self._get(url)
        except CrmError as exc:
            if exc.status == 404:
                return LookupResult(number, Outcome.not_found)
            return LookupResult.failed(number, str(exc))
        node = paths.get(answer, self.config.contact_path) if self.config.contact_path else answer
        if isinstance(node, list):
            node = node[0] if node else None
        if not node:
            return LookupResult(number, Outcome.not_found)
        if not isinstance(node, dict):
            return LookupResult.failed(number, f"{self.name} answered without a contact object")
        return LookupResult(number, Outcome.found, self.contact_from(node, number))

    def contact_from(self, node: dict[str, Any], number: str) -> CrmContact:
        mapped = {key: paths.get(node, path) for key, path in self.config.fields.items()}
        values = {k: paths.text(v) for k, v in mapped.items() if k not in ("items", *ITEM_ROLES)}
        contact_id = values.get("id", "")
        items = tuple(
            CrmItem(
                title=paths.text(paths.get(item, self.config.fields.get("item.title", "title"))),
                status=paths.text(paths.get(item, self.config.fields.get("item.status", "-"))),
                amount=paths.text(paths.get(item, self.config.fields.get("item.amount", "-"))),
            )
            for item in (mapped.get("items") or [])[:20]
            if isinstance(item, dict)
        )
        extra = tuple((k, v) for k, v in values.items() if k not in ROLES and v)
        web = ""
        if self.config.open_url and contact_id:
            web = fill(self.config.open_url, id=contact_id, number=number)
        return CrmContact(
            id=contact_id,
            name=values.get("name", "") or number,
            company=values.get("company", ""),
            status=values.get("status", ""),
            balance=values.get("balance", ""),
            notes=values.get("notes", ""),
            items=items,
            extra=extra,
            web_url=web,
            values=values,
        )

    def details(self, contact: CrmContact) -> CrmContact:
        return contact  # the lookup's answer already holds everything mapped

    def create_contact(self, number: str, name: str) -> str:
        if not self.config.create_url:
            raise CrmError(f"{self.name}: no create_url is configured")
        return fill(self.config.create_url, number=number, digits=number.lstrip("+"), name=name)

    def post_call(self, report: CallReport, recording: Path | None = None) -> str:
        """POST the report as JSON to ``post_url`` (the recording stays in the store)."""
        if not self.config.post_url:
            return ""
        contact_id = report.contact.id if report.contact else ""
        url = fill(self.config.post_url, id=contact_id, call_id=report.call_id)
        body = dataclasses.asdict(report)
        body["contact"] = contact_id or None
        request_json(
            self.session,
            "POST",
            url,
            timeout_s=max(self.timeout_s, 10.0),
            json_body=body,
            headers=self._headers,
        )
        return url

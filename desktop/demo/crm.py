"""The demo's CRM: a small HTTP server on 127.0.0.1 answering in the generic REST shape the
card's :class:`~desktop.crm.rest.RestAdapter` is configured for, with sample contacts from
``resources/demo/contacts.json``.

``GET /api/contacts?phone=`` finds a contact, ``POST /api/calls`` logs a call, and
``/contacts/<id>`` and ``/contacts/new`` are the pages the card's buttons open in a browser.
It runs on a thread of the app (demo mode only). No Qt.
"""

from __future__ import annotations

import html
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from desktop.crm.config import CrmSection

log = logging.getLogger(__name__)

CONTACTS = Path(__file__).resolve().parents[2] / "resources" / "demo" / "contacts.json"
FIELDS = (
    "id: uid",
    "name: full_name",
    "company: org.title",
    "status: segment",
    "balance: account.balance",
    "notes: notes",
    "items: tickets",
    "item.title: subject",
    "item.status: state",
)


class DemoCrm:
    def __init__(self, contacts: Path = CONTACTS) -> None:
        data = json.loads(contacts.read_text(encoding="utf-8"))
        self.contacts: list[dict[str, Any]] = list(data["contacts"])
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demo-crm", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def section(self, timeout_s: float = 1.5) -> CrmSection:
        """The ``[crm]`` settings that point the card at this server."""
        return CrmSection(
            adapter="rest",
            timeout_s=timeout_s,
            lookup_url=self.url + "/api/contacts?phone={number}",
            contact_path="data",
            fields=FIELDS,
            open_url=self.url + "/contacts/{id}",
            create_url=self.url + "/contacts/new?phone={number}",
            post_url=self.url + "/api/calls",
            post_back=True,
        )

    def start(self) -> None:
        self._thread.start()
        log.info("demo CRM: serving %d contacts on %s", len(self.contacts), self.url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def by_phone(self, phone: str) -> dict[str, Any] | None:
        digits = "".join(c for c in phone if c.isdigit())
        return next((c for c in self.contacts if digits and c["phone"].lstrip("+") == digits), None)

    def by_id(self, uid: str) -> dict[str, Any] | None:
        return next((c for c in self.contacts if c["uid"] == uid), None)

    def log_call(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        crm = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                log.debug("demo CRM: " + format, *args)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if parts.path == "/api/contacts":
                    found = crm.by_phone(query.get("phone", [""])[0])
                    self._json(200, {"data": [found] if found else []})
                elif parts.path == "/contacts/new":
                    phone = html.escape(query.get("phone", [""])[0])
                    self._page(
                        f"New contact for {phone}", "<p>(demo CRM: a form would be here)</p>"
                    )
                elif parts.path.startswith("/contacts/"):
                    contact = crm.by_id(parts.path.rsplit("/", 1)[-1])
                    if contact is None:
                        self._page("Not found", "<p>No such contact.</p>", 404)
                    else:
                        rows = "".join(
                            f"<li>{html.escape(t['subject'])} — {html.escape(t['state'])}</li>"
                            for t in contact["tickets"]
                        )
                        self._page(html.escape(contact["full_name"]), f"<ul>{rows}</ul>")
                else:
                    self._json(404, {"message": "not found"})

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/api/calls":
                    self._json(404, {"message": "not found"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(min(length, 1 << 20)) or b"{}")
                except ValueError:
                    self._json(400, {"message": "the body is not JSON"})
                    return
                crm.log_call(body if isinstance(body, dict) else {"body": body})
                self._json(201, {"id": f"call-{len(crm.calls)}"})

            def _json(self, code: int, data: Any) -> None:
                self._send(code, json.dumps(data, ensure_ascii=False).encode(), "application/json")

            def _page(self, title: str, body: str, code: int = 200) -> None:
                page = f"<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1>"
                self._send(code, (page + body).encode(), "text/html; charset=utf-8")

            def _send(self, code: int, data: bytes, kind: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

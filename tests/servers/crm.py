"""A CRM on 127.0.0.1 for tests and benchmarks: a real HTTP server answering in Bitrix24's
documented webhook shapes (``/rest/<user>/<secret>/<method>.json``) and in a generic REST
shape (``GET /api/contacts?phone=``, ``POST /api/calls``).

``mode`` makes it misbehave the ways real CRMs do: ``error`` (500 with a JSON error),
``html`` (a 200 HTML page), ``huge`` (megabytes), ``malformed`` (broken JSON), ``delay``
(answers after ``delay_s``), ``drip`` (a byte at a time), ``down`` (closes the connection).
Every request is kept in ``requests`` as (method, path, JSON body) for assertions.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers.ports import LOOPBACK
from tests.servers.process import Service

SECRET = "s3cr3tw3bh00k"
MODES = ("ok", "error", "html", "huge", "malformed", "delay", "drip", "down")


@dataclass
class Person:
    id: int
    name: str
    last_name: str = ""
    phone: str = ""
    company_id: int = 0
    type_id: str = "CLIENT"
    comments: str = ""
    balance: float = 0.0
    deals: list[dict[str, Any]] = field(default_factory=list)


class CrmServer(Service):
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay_s = 0.0
        self.people: dict[int, Person] = {}
        self.companies: dict[int, str] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._next_id = 1000

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://{LOOPBACK}:{self._httpd.server_address[1]}"

    @property
    def webhook_url(self) -> str:
        """The webhook URL as the settings hold it: without the secret."""
        return f"{self.url}/rest/1/"

    def add_person(self, person: Person) -> Person:
        self.people[person.id] = person
        return person

    def start(self) -> None:
        server = self

        class Handler(_Handler):
            crm = server

        self._httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="crm-server")
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(10)

    def calls_to(self, method: str) -> list[Any]:
        with self.lock:
            return [body for _, path, body in self.requests if path.endswith(f"/{method}.json")]

    # --- Bitrix24 methods -----------------------------------------------------------------
    def by_phone(self, number: str) -> Person | None:
        digits = re.sub(r"\D", "", number)
        return next((p for p in self.people.values() if p.phone.lstrip("+") == digits), None)

    def bitrix(self, method: str, params: dict[str, Any]) -> Any:
        if method == "telephony.externalCall.searchCrmEntities":
            person = self.by_phone(str(params.get("PHONE_NUMBER", "")))
            if person is None:
                return []
            return [
                {
                    "CRM_ENTITY_TYPE": "CONTACT",
                    "CRM_ENTITY_ID": person.id,
                    "ASSIGNED_BY_ID": "1",
                    "ASSIGNED_BY": {"ID": "1", "TIMEMAN_STATUS": "OPENED", "USER_PHONE_INNER": ""},
                    "NAME": f"{person.name} {person.last_name}".strip(),
                }
            ]
        if method == "batch":
            results: dict[str, Any] = {}
            for key, command in dict(params.get("cmd") or {}).items():
                results[key] = self.batch_command(command, results)
            return {"result": results, "result_error": [], "result_total": [], "result_next": []}
        if method == "telephony.externalcall.register":
            self._next_id += 1
            return {"CALL_ID": f"externalCall.{self._next_id}", "CRM_CREATED_LEAD": None}
        if method == "telephony.externalcall.finish":
            return {"CALL_ID": params.get("CALL_ID"), "CALL_DURATION": params.get("DURATION")}
        if method == "telephony.externalCall.attachRecord":
            return {"FILE_ID": 77}
        if method == "crm.timeline.comment.add":
            return 501
        if method == "crm.contact.add":
            fields = params.get("fields") or {}
            phone = (fields.get("PHONE") or [{}])[0].get("VALUE", "")
            self._next_id += 1
            self.add_person(Person(self._next_id, str(fields.get("NAME", "")), phone=phone))
            return self._next_id
        raise LookupError(method)

    def batch_command(self, command: str, done: dict[str, Any]) -> Any:
        method, _, query = command.partition("?")
        args = {k: v[0] for k, v in parse_qs(query).items()}
        for key, value in args.items():  # $result[entity][COMPANY_ID]: an earlier answer
            ref = re.fullmatch(r"\$result\[(\w+)\]\[(\w+)\]", value)
            if ref:
                args[key] = str((done.get(ref.group(1)) or {}).get(ref.group(2), ""))
        if method == "crm.contact.get":
            p = self.people.get(int(args.get("id", "0") or 0))
            if p is None:
                return None
            return {"ID": str(p.id), "NAME": p.name, "LAST_NAME": p.last_name,
                    "COMPANY_ID": str(p.company_id or ""), "TYPE_ID": p.type_id,
                    "COMMENTS": p.comments}  # fmt: skip
        if method == "crm.company.get":
            title = self.companies.get(int(args.get("id", "0") or 0))
            return {"ID": args["id"], "TITLE": title} if title else None
        if method == "crm.deal.list":
            p = self.people.get(int(args.get("filter[CONTACT_ID]", "0") or 0))
            return [d for d in (p.deals if p else []) if d.get("CLOSED", "N") == "N"]
        return None


class _Handler(BaseHTTPRequestHandler):
    crm: CrmServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_unparsed": raw.decode("latin-1")}
        self._serve(body)

    def _serve(self, body: Any) -> None:
        crm = self.crm
        with crm.lock:
            crm.requests.append((self.command, self.path, body))
        mode = crm.mode
        if mode == "down":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "delay":
            time.sleep(crm.delay_s)
        if mode == "error":
            return self._send(500, {"error": "INTERNAL_SERVER_ERROR", "error_description":
                                    "the CRM is having a bad day"})  # fmt: skip
        if mode == "html":
            page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            return self._raw(200, page, "text/html; charset=utf-8")
        if mode == "huge":
            return self._raw(200, b'{"data": ["' + b"x" * (5 * 1024 * 1024) + b'"]}')
        if mode == "malformed":
            return self._raw(200, b'{"result": [{"CRM_ENTITY_TYPE": "CONTACT", "NAME": ')
        if mode == "drip":
            return self._drip(b'{"result": []}' + b" " * 400)
        self._route(body)

    def _route(self, body: Any) -> None:
        parts = urlsplit(self.path)
        rest = re.fullmatch(r"/rest/(\d+)/([^/]+)/([\w.]+)\.json", parts.path)
        if rest:
            if rest.group(2) != SECRET:
                denied = {"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}
                return self._send(401, denied)
            try:
                result = self.crm.bitrix(rest.group(3), body or {})
            except LookupError:
                return self._send(404, {"error": "ERROR_METHOD_NOT_FOUND",
                                        "error_description": "Method not found!"})  # fmt: skip
            return self._send(200, {"result": result, "time": {"duration": 0.01}})
        if parts.path == "/api/contacts" and self.command == "GET":
            phone = parse_qs(parts.query).get("phone", [""])[0]
            person = self.crm.by_phone(phone)
            data = [] if person is None else [self._generic(person)]
            return self._send(200, {"data": data})
        if parts.path == "/api/calls" and self.command == "POST":
            return self._send(201, {"ok": True})
        self._send(404, {"message": "not found"})

    def _generic(self, p: Person) -> dict[str, Any]:
        return {
            "uid": p.id,
            "full_name": f"{p.name} {p.last_name}".strip(),
            "org": {"title": self.crm.companies.get(p.company_id, "")},
            "segment": p.type_id,
            "account": {"balance": p.balance},
            "notes": p.comments,
            "tickets": [{"subject": d["TITLE"], "state": d.get("STAGE_ID", "")} for d in p.deals],
        }

    def _send(self, code: int, data: Any) -> None:
        self._raw(code, json.dumps(data).encode("utf-8"))

    def _raw(self, code: int, data: bytes, kind: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (a timeout test)
            self.wfile.write(data)

    def _drip(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            for i in range(len(data)):
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
                time.sleep(0.02)
        except OSError:
            pass

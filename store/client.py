"""THE Python client of the AgentDesk store (requests). Nobody else builds store URLs.

    client = StoreClient("https://store.example.com", token)   # verifies TLS certificates
    sha = client.upload_file(path, "video/mp4")["sha256"]       # hashed first, then streamed
    client.put_call(call_id, {...}); client.link_media(call_id, sha, "screen")
    part = client.download(sha, start=0, end=65535)             # HTTP Range

One `requests.Session` per client (connection reuse; safe to share between threads for
these calls). Every refusal raises a `StoreError` subclass carrying the server's message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast
from urllib.parse import quote

import orjson
import requests
from requests.adapters import HTTPAdapter

from store.client_errors import (
    AuthError,
    ConflictError,
    GoneError,
    HashMismatch,
    InvalidRequest,
    NotFoundError,
    PermissionDenied,
    RangeNotSatisfiable,
    ServerError,
    StoreError,
    StoreUnavailable,
    TooLargeError,
    UnsupportedMediaType,
    error_from_response,
)
from store.client_types import (
    AgentState,
    AuditRow,
    Board,
    Call,
    CallerSummary,
    CallExport,
    CallInput,
    CallPage,
    CallSummary,
    Comment,
    Criterion,
    Evaluation,
    Form,
    Health,
    LinkedMedia,
    Me,
    MediaInfo,
    MediaKind,
    Presence,
    Report,
    ReportNorms,
    ReportRow,
    RetentionRule,
    RoutingHint,
    StateRow,
    UploadResult,
)

__all__ = [
    "AuthError",
    "ConflictError",
    "GoneError",
    "HashMismatch",
    "InvalidRequest",
    "NotFoundError",
    "PermissionDenied",
    "RangeNotSatisfiable",
    "ServerError",
    "StoreClient",
    "StoreError",
    "StoreUnavailable",
    "TooLargeError",
    "UnsupportedMediaType",
    "sha256_file",
]

API = "/api/v1"
CHUNK = 256 * 1024
_SHA = re.compile(r"^[0-9a-f]{64}$")


def sha256_file(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _sha(value: str) -> str:
    if not _SHA.fullmatch(value):
        raise ValueError(f"not a lowercase hex SHA-256: {value!r}")
    return value


def _seg(value: str) -> str:
    """One URL path segment, escaped so nothing in it can change the path."""
    return quote(value, safe="")


def _range_header(start: int | None, end: int | None) -> dict[str, str]:
    if start is None and end is None:
        return {}
    if start is None:
        raise ValueError("a range needs a start (use start=size-n for the last n bytes)")
    return {"Range": f"bytes={start}-{'' if end is None else end}"}


def _report_params(from_us: int, to_us: int, options: dict[str, Any]) -> dict[str, Any]:
    group = options.pop("group", "agent")
    if not isinstance(group, str):
        group = ",".join(group)
    params = {k: v for k, v in options.items() if v is not None}
    params.update({k: str(v).lower() for k, v in params.items() if isinstance(v, bool)})
    return {"from_us": from_us, "to_us": to_us, "group": group, **params}


class StoreClient:
    """A session with the store for one user's token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        ca_bundle: str | Path | None = None,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        pool_size: int = 10,
    ) -> None:
        """`ca_bundle`: a PEM file to verify the server with (default: the system's CAs)."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        # Passed with every request: requests lets $REQUESTS_CA_BUNDLE override a session's
        # `verify`, which would silently drop the bundle given here.
        self.verify: str | bool = str(ca_bundle) if ca_bundle else True
        self.session.headers["Authorization"] = f"Bearer {token}"
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self._presigned_put: bool | None = None  # learnt on first upload
        self._presigned_get: bool | None = None

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -----------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, absolute: bool = False, **kwargs: Any
    ) -> requests.Response:
        url = path if absolute else f"{self.base_url}{API}{path}"
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("verify", self.verify)
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise StoreUnavailable(f"TLS verification of {self.base_url} failed: {exc}") from exc
        except requests.RequestException as exc:
            raise StoreUnavailable(f"cannot reach the store at {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                raise error_from_response(method, path, response)
            finally:
                response.close()
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return orjson.loads(response.content)  # a year's report: 19 MB, 0.2 s (json: 0.4)
        except orjson.JSONDecodeError:
            kind = response.headers.get("content-type") or "untyped data"
            raise StoreUnavailable(
                f"the store at {self.base_url} answered {path} with {kind}, not JSON"
            ) from None

    # --- service -------------------------------------------------------------------------

    def health(self) -> Health:
        return cast(Health, self._json("GET", "/health"))

    def me(self) -> Me:
        return cast(Me, self._json("GET", "/me"))

    # --- media ---------------------------------------------------------------------------

    def upload_file(
        self,
        path: Path | str,
        content_type: str,
        sha256: str | None = None,
        *,
        reader: Callable[[BinaryIO], BinaryIO] | None = None,
    ) -> UploadResult:
        """Upload a file under its SHA-256 (computed first unless given); idempotent.

        Goes straight to object storage through a presigned URL when the store offers one,
        else streams the file to the API. Either way the server verifies the hash.
        ``reader`` wraps the open file (e.g. a bandwidth cap; it must keep ``len()``).
        """
        path = Path(path)
        digest = _sha(sha256) if sha256 else sha256_file(path)[0]
        wrap = reader or (lambda fh: fh)
        if self._presigned_put is not False:
            url = self._json("POST", f"/media/{digest}/upload-url")["url"]
            self._presigned_put = url is not None
            if url:
                with open(path, "rb") as fh:
                    self._put_direct(url, wrap(fh), content_type)
                body = {"content_type": content_type}
                return cast(UploadResult, self._json("POST", f"/media/{digest}/commit", json=body))
        with open(path, "rb") as fh:
            return self._put_media(digest, wrap(fh), content_type)

    def upload_bytes(self, data: bytes, content_type: str) -> UploadResult:
        digest = hashlib.sha256(data).hexdigest()
        return self._put_media(digest, data, content_type)

    def _put_media(self, digest: str, body: BinaryIO | bytes, content_type: str) -> UploadResult:
        headers = {"Content-Type": content_type}
        response = self._request("PUT", f"/media/{digest}", data=body, headers=headers)
        return cast(UploadResult, response.json())

    def _put_direct(self, url: str, fh: BinaryIO, content_type: str) -> None:
        # No Authorization header: the presigned URL carries its own signature.
        try:
            response = requests.put(
                url,
                data=fh,
                headers={"Content-Type": content_type},
                timeout=self.timeout,
                verify=self.verify,
            )
        except requests.RequestException as exc:
            raise StoreUnavailable(f"cannot reach object storage: {exc}") from exc
        if response.status_code >= 300:
            raise StoreError(
                f"object storage refused the upload: {response.status_code} {response.text[:200]}",
                response.status_code,
            )

    def media_info(self, sha256: str) -> MediaInfo:
        return cast(MediaInfo, self._json("GET", f"/media/{_sha(sha256)}/info"))

    def download_url(self, sha256: str) -> str | None:
        """A presigned URL for the media (audited), or None when the store serves it itself."""
        url = self._json("GET", f"/media/{_sha(sha256)}/url")["url"]
        return cast(str | None, url)

    def iter_download(
        self, sha256: str, start: int | None = None, end: int | None = None, chunk: int = CHUNK
    ) -> Iterator[bytes]:
        """Stream the media or bytes start..end (inclusive) of it; every read is audited."""
        headers = _range_header(start, end)
        response = None
        if self._presigned_get is not False:
            url = self.download_url(sha256)
            self._presigned_get = url is not None
            if url:
                response = self._get_direct(url, headers)
        if response is None:
            response = self._request("GET", f"/media/{_sha(sha256)}", headers=headers, stream=True)
        with response:
            yield from response.iter_content(chunk)

    def _get_direct(self, url: str, headers: dict[str, str]) -> requests.Response:
        try:
            response = requests.get(
                url,
                headers=headers,
                stream=True,
                timeout=self.timeout,
                verify=self.verify,
            )
        except requests.RequestException as exc:
            raise StoreUnavailable(f"cannot reach object storage: {exc}") from exc
        if response.status_code == 416:
            raise RangeNotSatisfiable(f"range {headers.get('Range')} not satisfiable", 416)
        if response.status_code >= 300:
            raise StoreError(
                f"object storage refused the download: {response.status_code}", response.status_code
            )
        return response

    def download(self, sha256: str, start: int | None = None, end: int | None = None) -> bytes:
        return b"".join(self.iter_download(sha256, start, end))

    def download_to(self, sha256: str, dest: Path | str) -> int:
        """Write the whole media to a file; returns its size. Checks the hash on the way."""
        digest = hashlib.sha256()
        size = 0
        with open(dest, "wb") as out:
            for chunk in self.iter_download(sha256):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        if digest.hexdigest() != sha256:
            raise HashMismatch(f"downloaded bytes of {sha256} hash to {digest.hexdigest()}")
        return size

    # --- calls ---------------------------------------------------------------------------

    def put_call(self, call_id: str, call: CallInput) -> Call:
        """Create or replace a call (idempotent: retrying the same body changes nothing)."""
        return cast(Call, self._json("PUT", f"/calls/{_seg(call_id)}", json=call))

    def patch_call(self, call_id: str, **fields: Any) -> Call:
        """Update some fields; `card` values merge per field, the later `changed_us` wins."""
        return cast(Call, self._json("PATCH", f"/calls/{_seg(call_id)}", json=fields))

    def get_call(self, call_id: str) -> Call:
        return cast(Call, self._json("GET", f"/calls/{_seg(call_id)}"))

    def search_calls(self, **filters: Any) -> CallPage:
        """Filters: agent, from_us, to_us, number, queue, direction, min_duration_s,
        max_duration_s, disposition, karma, has_screen, evaluated, text, tag; limit, offset,
        sort (started|duration|karma), order (asc|desc)."""
        params = {
            k: (str(v).lower() if isinstance(v, bool) else v)
            for k, v in filters.items()
            if v is not None
        }
        return cast(CallPage, self._json("GET", "/calls", params=params))

    def iter_calls(self, page_size: int = 200, **filters: Any) -> Iterator[CallSummary]:
        offset = 0
        while True:
            page = self.search_calls(**filters, limit=page_size, offset=offset)
            yield from page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return

    def link_media(
        self,
        call_id: str,
        sha256: str,
        kind: MediaKind,
        start_us: int | None = None,
        end_us: int | None = None,
    ) -> LinkedMedia:
        body = {"kind": kind, "start_us": start_us, "end_us": end_us}
        path = f"/calls/{_seg(call_id)}/media/{_sha(sha256)}"
        return cast(LinkedMedia, self._json("PUT", path, json=body))

    def export_call(self, call_id: str) -> CallExport:
        return cast(CallExport, self._json("GET", f"/calls/{_seg(call_id)}/export"))

    def log_export(
        self, call_id: str, file_name: str, sha256: str, watermark: str = ""
    ) -> dict[str, str]:
        """Write `call.export_mp4` to the audit trail for an MP4 made of the call's media."""
        body = {"file_name": file_name, "sha256": _sha(sha256), "watermark": watermark}
        path = f"/calls/{_seg(call_id)}/exports"
        return cast(dict[str, str], self._json("POST", path, json=body))

    def evaluate(
        self,
        call_id: str,
        form_id: int,
        scores: dict[str, int],
        comments: list[Comment] | None = None,
        summary: str = "",
    ) -> Evaluation:
        body = {
            "form_id": form_id,
            "scores": scores,
            "comments": comments or [],
            "summary": summary,
        }
        path = f"/calls/{_seg(call_id)}/evaluations"
        return cast(Evaluation, self._json("POST", path, json=body))

    def evaluations(self, call_id: str) -> list[Evaluation]:
        return cast(list[Evaluation], self._json("GET", f"/calls/{_seg(call_id)}/evaluations"))

    # --- callers and agents --------------------------------------------------------------

    def caller_summary(self, number: str) -> CallerSummary:
        return cast(CallerSummary, self._json("GET", f"/callers/{_seg(number)}"))

    def routing_hint(self, number: str) -> RoutingHint:
        return cast(RoutingHint, self._json("GET", "/routing-hint", params={"number": number}))

    def set_state(
        self,
        agent: str,
        state: AgentState,
        reason: str | None = None,
        at_us: int | None = None,
        call_id: str | None = None,
    ) -> StateRow:
        """`call_id`: the call an `on_call` or `wrap_up` state belongs to (reports use it)."""
        body = {"state": state, "reason": reason, "at_us": at_us, "call_id": call_id}
        return cast(StateRow, self._json("POST", f"/agents/{_seg(agent)}/states", json=body))

    def live_states(self) -> list[StateRow]:
        return cast(list[StateRow], self._json("GET", "/agents/states"))

    def state_history(
        self, agent: str, from_us: int | None = None, to_us: int | None = None
    ) -> list[StateRow]:
        params = {k: v for k, v in (("from_us", from_us), ("to_us", to_us)) if v is not None}
        path = f"/agents/{_seg(agent)}/states"
        return cast(list[StateRow], self._json("GET", path, params=params))

    def put_presence(self, agent: str, snapshot: Presence) -> Presence:
        """Replace the agent's live snapshot (current call, hold, recording, upload backlog)."""
        path = f"/agents/{_seg(agent)}/presence"
        return cast(Presence, self._json("PUT", path, json=snapshot))

    def live_board(self) -> Board:
        """Every agent's state, current call, recording, backlog, 10-minute occupancy."""
        return cast(Board, self._json("GET", "/agents/board"))

    # --- reports -------------------------------------------------------------------------

    def report(
        self, kind: Literal["calls", "states"], from_us: int, to_us: int, **options: Any
    ) -> Report:
        """Options: group ("agent", "queue", "day", "hour" or a list of them), agent, queue,
        tz_offset_min, sl_s, long_call_s, rollups (False: from the raw rows). Metrics and
        formulas: `report_metrics()`. Fetched in the compact `columns` shape (names once,
        rows as arrays); each row is a read-only mapping over its array."""
        params = {**_report_params(from_us, to_us, options), "format": "columns"}
        body = self._json("GET", f"/reports/{_seg(kind)}", params=params)
        at = {name: i for i, name in enumerate(body.pop("fields"))}
        body["rows"] = [ReportRow(at, row) for row in body["rows"]]
        return cast(Report, body)

    def report_csv(
        self, kind: Literal["calls", "states"], from_us: int, to_us: int, **options: Any
    ) -> bytes:
        """The same report as CSV bytes (UTF-8), to save as a file."""
        params = {**_report_params(from_us, to_us, options), "format": "csv"}
        return self._request("GET", f"/reports/{_seg(kind)}", params=params).content

    def report_metrics(self) -> dict[str, str]:
        return cast(dict[str, str], self._json("GET", "/reports/metrics"))

    def report_norms(self) -> ReportNorms:
        """The store's default service-level and long-call norms (its rollups hold those)."""
        return cast(ReportNorms, self._json("GET", "/reports/norms"))

    # --- QA and administration -----------------------------------------------------------

    def create_form(self, name: str, criteria: list[Criterion]) -> Form:
        body = {"name": name, "criteria": criteria}
        return cast(Form, self._json("POST", "/qa/forms", json=body))

    def forms(self) -> list[Form]:
        return cast(list[Form], self._json("GET", "/qa/forms"))

    def audit(self, **filters: Any) -> list[AuditRow]:
        """Filters: actor, action, target, since_us, limit (admins only)."""
        params = {k: v for k, v in filters.items() if v is not None}
        return cast(list[AuditRow], self._json("GET", "/audit", params=params))

    def retention_rules(self) -> list[RetentionRule]:
        return cast(list[RetentionRule], self._json("GET", "/retention/rules"))

    def add_retention_rule(
        self, days: int, queue: str | None = None, tag: str | None = None
    ) -> RetentionRule:
        body = {"days": days, "queue": queue, "tag": tag}
        return cast(RetentionRule, self._json("POST", "/retention/rules", json=body))

    def delete_retention_rule(self, rule_id: int) -> None:
        self._request("DELETE", f"/retention/rules/{int(rule_id)}").close()

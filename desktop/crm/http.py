"""JSON over HTTP with the limits a ringing phone needs: one total deadline, a size cap, and
a plain message for every way a CRM can fail (down, slow, HTML error pages, huge or broken
bodies). Secrets in URLs never reach a message."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from desktop.crm.types import CrmError, CrmTimeout

MAX_BODY = 2 * 1024 * 1024  # a contact with its deals is kilobytes; more is not an answer
CHUNK = 16 * 1024


def where(url: str) -> str:
    """The URL's host only: webhook URLs carry secrets in their path."""
    parts = urlsplit(url)
    return parts.netloc or "the CRM"


def request_json(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout_s: float,
    json_body: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    max_body: int = MAX_BODY,
) -> Any:
    """The decoded JSON answer of one request, or CrmError saying why there is none."""
    host = where(url)
    deadline = time.monotonic() + timeout_s
    try:
        response = session.request(
            method,
            url,
            json=json_body,
            params=params,
            headers={"Accept": "application/json", **(headers or {})},
            timeout=(timeout_s, timeout_s),
            stream=True,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise CrmTimeout(f"{host} did not answer within {timeout_s:g} s") from None
    except requests.RequestException as exc:
        raise CrmError(f"{host} cannot be reached ({_reason(exc)})") from None
    with response:
        body = _read(response, deadline, max_body, host, timeout_s)
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if response.status_code >= 400:
            raise CrmError(
                f"{host} answered {response.status_code}{_detail(body, kind)}",
                response.status_code,
            )
        if response.status_code >= 300:
            raise CrmError(f"{host} answered {response.status_code} (a redirect: check the URL)")
        if kind != "application/json" and not body.lstrip().startswith((b"{", b"[")):
            raise CrmError(f"{host} answered with {kind or 'untyped data'}, not JSON")
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise CrmError(f"{host} answered with malformed JSON") from None


def _read(
    response: requests.Response, deadline: float, max_body: int, host: str, timeout_s: float
) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise CrmError(f"{host} answered with {int(declared):,} bytes; the limit is {max_body:,}")
    chunks: list[bytes] = []
    size = 0
    try:
        # read1: whatever has arrived, so a CRM that trickles bytes meets the deadline too
        while chunk := response.raw.read1(CHUNK):
            size += len(chunk)
            if size > max_body:
                raise CrmError(f"{host} answered with more than {max_body:,} bytes")
            if time.monotonic() > deadline:
                raise CrmTimeout(f"{host} did not finish its answer within {timeout_s:g} s")
            chunks.append(chunk)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        if time.monotonic() > deadline or "timed out" in str(exc).lower():
            raise CrmTimeout(f"{host} did not answer within {timeout_s:g} s") from None
        raise CrmError(f"{host} broke off its answer ({_reason(exc)})") from None
    return b"".join(chunks)


def _detail(body: bytes, kind: str) -> str:
    """A short reason from a JSON error body (Bitrix24: error_description); never HTML."""
    if kind != "application/json":
        return ""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    if isinstance(data, dict):
        for key in ("error_description", "message", "detail", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return f": {value[:200]}"
    return ""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, requests.ConnectionError):
        return "connection refused or the host is unknown"
    return type(exc).__name__

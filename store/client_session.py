"""The transport under `store.client.StoreClient`: one `requests.Session` per token, every
request's TLS verification and timeout, refusals turned into `StoreError`s, JSON decoded; and
the URL pieces every part of the client builds paths from."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

import orjson
import requests
from requests.adapters import HTTPAdapter

from store.client_errors import StoreUnavailable, error_from_response

API = "/api/v1"
CHUNK = 256 * 1024
_SHA = re.compile(r"^[0-9a-f]{64}$")


def sha_part(value: str) -> str:
    """A media hash as a URL path segment; ValueError unless 64 lowercase hex digits."""
    if not _SHA.fullmatch(value):
        raise ValueError(f"not a lowercase hex SHA-256: {value!r}")
    return value


def seg(value: str) -> str:
    """One URL path segment, escaped so nothing in it can change the path."""
    return quote(value, safe="")


class StoreSession:
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

    def __enter__(self) -> Self:
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

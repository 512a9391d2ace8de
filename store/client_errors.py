"""The errors `store.client` raises: one class per kind of refusal, each with the server's
message, the HTTP status and the server's error code."""

from __future__ import annotations

import requests


class StoreError(Exception):
    """The store refused or failed a request; `str()` is a message fit for a log or a user."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class StoreUnavailable(StoreError):
    """No answer (network, TLS, timeout), 503, 429 (too many uploads at once) or 408 (the
    body stalled): worth retrying later."""


class InvalidRequest(StoreError):
    """400/422: the request itself is wrong; retrying the same request will not help."""


class HashMismatch(InvalidRequest):
    """The bytes do not hash to the SHA-256 they were sent under."""


class AuthError(StoreError):
    """401: the token is missing, unknown, expired or revoked."""


class PermissionDenied(StoreError):
    """403: this role may not do that."""


class NotFoundError(StoreError):
    """404: no such thing, or not visible to this user (another agent's call)."""


class ConflictError(StoreError):
    """409: clashes with stored data (a name already taken)."""


class GoneError(StoreError):
    """410: the media existed but retention deleted it."""


class TooLargeError(StoreError):
    """413: over the store's upload size limit."""


class UnsupportedMediaType(StoreError):
    """415: a content type the store does not take."""


class RangeNotSatisfiable(StoreError):
    """416: the byte range lies outside the media."""


class ServerError(StoreError):
    """A 5xx other than 503: a bug in the store; report it."""


_BY_STATUS: dict[int, type[StoreError]] = {
    400: InvalidRequest,
    408: StoreUnavailable,
    401: AuthError,
    403: PermissionDenied,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    413: TooLargeError,
    415: UnsupportedMediaType,
    416: RangeNotSatisfiable,
    422: InvalidRequest,
    429: StoreUnavailable,
    503: StoreUnavailable,
}


def error_from_response(method: str, path: str, response: requests.Response) -> StoreError:
    """The StoreError for a 4xx/5xx answer, carrying the server's `detail` message."""
    status = response.status_code
    code = None
    try:
        body = response.json()
        detail = body.get("detail") if isinstance(body, dict) else None
        code = body.get("code") if isinstance(body, dict) else None
    except ValueError:
        detail = None
    if not isinstance(detail, str):
        detail = (response.text or response.reason or "").strip()[:300]
    message = f"{method} {path}: {status} {detail}"
    if code == "hash_mismatch":
        return HashMismatch(message, status, code)
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else StoreError)
    return cls(message, status, code)

"""The error answers each route declares in the OpenAPI description, with their real bodies
(store.models.Problem; 422: ValidationProblem) and headers. Routes list the statuses they can
answer; every router adds 401 (no valid token), 422 and 503 (database or media storage down)."""

from __future__ import annotations

from typing import Any

from store.models import Problem, ValidationProblem

_WHY = {
    400: "the body is not well-formed (not JSON)",
    401: "no valid token: missing, malformed, unknown, expired, revoked or its user disabled",
    403: "this role may never do this, whatever exists",
    404: "no such thing, or another agent's (the same answer)",
    408: "the request body stalled; nothing was kept and the connection is closed",
    409: "conflicts with stored data",
    410: "the media was deleted by retention",
    413: "over the upload size limit",
    415: "a content type the store does not take",
    416: "the range lies outside the media",
    422: "the request is invalid: `errors` names the fields, or `detail` the broken rule",
    429: "too many uploads in progress for this token or client address; retry later",
    503: "the metadata database or media storage is unavailable",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    416: {"Content-Range": {"schema": {"type": "string"}, "description": "bytes */size"}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}},
}

# A route with a JSON body can also answer these: unparsable, stalled, or invalid.
BODY = (400, 408, 422)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries for these error statuses."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "model": ValidationProblem if status == 422 else Problem,
            "description": _WHY[status],
        }
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        out[status] = entry
    return out


# What any route with a token can answer.
COMMON = problems(401, 422, 503)

"""Domain errors of the store; the API maps each to one HTTP status with its message."""

from __future__ import annotations

from typing import Any


class StoreProblem(Exception):
    """Base: a request the store refuses, with a message meant for the client. Each subclass
    names its HTTP status and code in its bases: ``class NotFound(StoreProblem, status=404,
    code="not_found")``."""

    status = 400
    code = "bad_request"

    def __init_subclass__(cls, *, status: int, code: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.status = status
        cls.code = code

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class Unauthorized(StoreProblem, status=401, code="unauthorized"): ...


class Forbidden(StoreProblem, status=403, code="forbidden"): ...


class NotFound(StoreProblem, status=404, code="not_found"): ...


class Conflict(StoreProblem, status=409, code="conflict"): ...


class Gone(StoreProblem, status=410, code="gone"): ...


class TooLarge(StoreProblem, status=413, code="too_large"): ...


class UnsupportedMedia(StoreProblem, status=415, code="unsupported_media_type"): ...


class BadRange(StoreProblem, status=416, code="range_not_satisfiable"):
    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


class Invalid(StoreProblem, status=422, code="invalid"): ...


class TooManyRequests(StoreProblem, status=429, code="too_many_requests"):
    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(StoreProblem, status=503, code="unavailable"): ...

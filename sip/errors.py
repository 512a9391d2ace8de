"""Errors the softphone core reports to its callers. Each names what failed and why."""

from __future__ import annotations

from sip.text import pj_text


class SipError(Exception):
    """Base of every error raised by the ``sip`` package."""


class ConfigError(SipError):
    """A configuration value is missing or wrong; the message names the key."""


class LimitError(SipError):
    """A per-process limit of the pjsua2 build (accounts, calls) would be exceeded."""


class NotFoundError(SipError):
    """No account or call with the given id (it may have ended)."""


class EngineStateError(SipError):
    """The engine is not running (not started yet, or stopping)."""


class OperationError(SipError):
    """pjsua2 refused an operation; carries its status and reason."""

    def __init__(self, operation: str, reason: str, status: int = 0) -> None:
        self.operation = operation
        self.reason = reason
        self.status = status
        detail = f" (status {status})" if status else ""
        super().__init__(f"{operation} failed: {reason}{detail}")


def from_pj(operation: str, exc: BaseException) -> OperationError:
    """Turn a ``pjsua2.Error`` (or any exception from pjsua2) into an OperationError."""
    reason = getattr(exc, "reason", None) or getattr(exc, "info", lambda: str(exc))()
    status = int(getattr(exc, "status", 0) or 0)
    return OperationError(operation, pj_text(reason).strip() or type(exc).__name__, status)

"""sip.errors: one base class to catch, and pjsua2 failures turned into readable errors."""

from __future__ import annotations

import pytest

import sip
from sip.errors import (
    ConfigError,
    EngineStateError,
    LimitError,
    NotFoundError,
    OperationError,
    SipError,
    from_pj,
)


@pytest.mark.parametrize(
    "cls", [ConfigError, LimitError, NotFoundError, EngineStateError, OperationError]
)
def test_every_error_is_a_sip_error(cls: type[Exception]) -> None:
    assert issubclass(cls, SipError)
    assert issubclass(cls, Exception)


def test_the_package_top_level_exports_the_errors() -> None:
    assert sip.SipError is SipError
    assert sip.ConfigError is ConfigError
    assert sip.NotFoundError is NotFoundError


def test_operation_error_carries_its_parts_and_a_message() -> None:
    err = OperationError("makeCall", "Invalid URI", 171039)
    assert (err.operation, err.reason, err.status) == ("makeCall", "Invalid URI", 171039)
    assert str(err) == "makeCall failed: Invalid URI (status 171039)"


def test_operation_error_without_status_leaves_it_out() -> None:
    assert str(OperationError("hold", "no media")) == "hold failed: no media"


class FakePjError(Exception):
    """Shaped like pjsua2.Error: reason and status attributes, an info() method."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__()
        self.reason = reason
        self.status = status

    def info(self) -> str:
        return "should not be used when reason is set"


def test_from_pj_uses_reason_and_status_of_a_pjsua2_error() -> None:
    err = from_pj("registration", FakePjError("  Object busy (PJ_EBUSY)\n", 70011))
    assert isinstance(err, OperationError)
    assert err.operation == "registration"
    assert err.reason == "Object busy (PJ_EBUSY)"
    assert err.status == 70011
    assert str(err) == "registration failed: Object busy (PJ_EBUSY) (status 70011)"


def test_from_pj_falls_back_to_info_then_str() -> None:
    class InfoOnly(Exception):
        def info(self) -> str:
            return "from info()"

    assert from_pj("op", InfoOnly()).reason == "from info()"
    plain = from_pj("op", RuntimeError("plain message"))
    assert plain.reason == "plain message"
    assert plain.status == 0


def test_from_pj_names_the_exception_type_when_there_is_no_text() -> None:
    assert from_pj("op", KeyError()).reason == "KeyError"
    assert from_pj("op", FakePjError("   ", 0)).reason == "FakePjError"


def test_from_pj_treats_a_missing_status_as_zero() -> None:
    err = FakePjError("busy", 0)
    err.status = None  # type: ignore[assignment]
    assert from_pj("op", err).status == 0

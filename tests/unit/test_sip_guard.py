"""Exceptions inside pjsua2 callbacks must be reported, never escape into pjsua2."""

from __future__ import annotations

import logging

import pytest

from sip.events import EngineError
from sip.guard import guarded
from sip.state import PhoneState


class FakeListener:
    def __init__(self) -> None:
        self.errors: list[tuple[str, BaseException]] = []

    def report_error(self, where: str, exc: BaseException) -> None:
        self.errors.append((where, exc))


class Callbacks:
    def __init__(self) -> None:
        self.listener = FakeListener()

    @guarded("onCallState")
    def broken(self, prm: object) -> None:
        raise KeyError("no such call")

    @guarded("onCallMediaState")
    def fine(self, prm: object) -> str:
        return f"ok {prm}"


def test_an_exception_in_a_callback_is_reported_with_its_place(caplog):
    cb = Callbacks()
    with caplog.at_level(logging.ERROR, logger="sip.callback"):
        assert cb.broken(object()) is None  # nothing escapes into pjsua2
    assert [(w, type(e)) for w, e in cb.listener.errors] == [("onCallState", KeyError)]
    assert "onCallState" in caplog.text and "Traceback" in caplog.text


def test_a_callback_that_works_is_untouched():
    cb = Callbacks()
    assert cb.fine(3) == "ok 3"
    assert cb.listener.errors == []


def test_the_report_becomes_an_engine_error_event():
    got: list[object] = []

    class State:
        emit = staticmethod(got.append)

    PhoneState.report_error(State(), "onIncomingCall", ValueError("bad header"))  # type: ignore[arg-type]
    assert got == [
        EngineError(where="onIncomingCall", message="ValueError: bad header", at_us=got[0].at_us)
    ]


def test_keyboard_interrupt_is_not_swallowed():
    class Stop:
        listener = FakeListener()

        @guarded("onTimer")
        def run(self) -> None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Stop().run()

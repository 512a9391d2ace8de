"""Exceptions raised inside pjsua2 callbacks are printed and swallowed by pjsua2 (an
``onIncomingCall`` that raises turns into a 500). Every callback is wrapped here instead: the
error is logged with its traceback and reported as an :class:`~sip.events.EngineError`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger("sip.callback")

F = TypeVar("F", bound=Callable[..., Any])


def guarded(where: str) -> Callable[[F], F]:
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except Exception as exc:
                log.exception("exception in pjsua2 callback %s", where)
                listener = getattr(self, "listener", None)
                if listener is not None:
                    listener.report_error(where, exc)
                return None

        return inner  # type: ignore[return-value]

    return wrap

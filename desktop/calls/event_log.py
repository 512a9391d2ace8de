"""One log line per softphone event, written from the SIP thread as events happen.

The lines go to the ``agentdesk.events`` logger (stderr by default) and are what the
end-to-end test reads: ``event IncomingCall call=1a2b3c4d number=… waiting=False``.
Call records (headers, history) are left out; passwords never appear in events.
"""

from __future__ import annotations

import logging

from desktop.calls.call import Ending
from sip import events as ev

log = logging.getLogger("agentdesk.events")
_SKIP = {"at_us", "record", "headers", "type", "sip_call_id", "account_id"}


def describe(event: ev.Event) -> str:
    """``event <Type> key=value …`` with call ids cut to 8 characters."""
    parts = [f"event {type(event).__name__}"]
    for key, value in event.to_dict().items():
        if key in _SKIP:
            continue
        if key.endswith("call_id") and isinstance(value, str):
            value = value[:8]
        if isinstance(value, str) and (not value or " " in value):
            value = repr(value)
        parts.append(f"{key.removesuffix('_id') if key == 'call_id' else key}={value}")
    if isinstance(event, ev.CallEnded):
        end = Ending.read(event.record)
        parts.append(f"ended_by={end.ended_by or None} cause={end.cause_code}")
    return " ".join(parts)


def log_event(event: ev.Event) -> None:
    """An engine subscriber: safe on any thread (logging is thread-safe)."""
    level = logging.WARNING if isinstance(event, ev.EngineError) else logging.INFO
    log.log(level, "%s", describe(event))

"""AgentDesk's softphone core on pjsua2 — no Qt.

:class:`sip.engine.Engine` runs it on a SIP thread of the calling process (one per process);
:class:`sip.process.EngineProcess` runs that Engine in a child process (``python -m sip.remote``)
and starts it again when pjsip aborts — what the desktop uses. This package's top level stays
free of pjsua2 so that configuration, events and the clock can be used without loading the SIP
stack.
"""

from sip.config import AccountSettings, EngineConfig
from sip.errors import ConfigError, EngineStateError, LimitError, NotFoundError, SipError

__all__ = [
    "AccountSettings",
    "ConfigError",
    "EngineConfig",
    "EngineStateError",
    "LimitError",
    "NotFoundError",
    "SipError",
]

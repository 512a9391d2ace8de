"""AgentDesk's softphone core on pjsua2 — no Qt.

Import :class:`sip.engine.Engine` to run it; this package's top level stays free of pjsua2 so
that configuration, events and the clock can be used without loading the SIP stack.
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

"""The operator's agent state (ready, not ready, break, on call, wrap-up, offline, outbound),
without Qt.

Call events drive it: an answered or dialled call puts the operator on a call; when the last
call ends, wrap-up runs for ``wrap_up_s`` (no call is offered: DND) and then the operator goes
back to the state they had chosen (ready unless they picked another). The registration decides
whether the operator can be reached at all (offline). Every change is handed to listeners as a
:class:`StateChange` stamped with :func:`formats.clock.utc_us`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from formats.clock import utc_us
from sip import events as ev

log = logging.getLogger(__name__)

READY = "ready"
NOT_READY = "not_ready"
BREAK = "break"
ON_CALL = "on_call"
WRAP_UP = "wrap_up"
OFFLINE = "offline"
OUTBOUND = "outbound"  # the store hands out whom to call (desktop.outbound); no calls offered
STATES = (READY, NOT_READY, BREAK, ON_CALL, WRAP_UP, OFFLINE, OUTBOUND)
CHOSEN = (READY, NOT_READY, BREAK, OFFLINE, OUTBOUND)  # what the operator may pick
NO_CALLS_OFFERED = frozenset({NOT_READY, BREAK, WRAP_UP, OFFLINE, OUTBOUND})
REASON_REQUIRED = frozenset({NOT_READY, BREAK})
US = 1_000_000


@dataclass(frozen=True)
class StateChange:
    """One change of the agent state, as it goes to the store and to the UI."""

    state: str
    reason: str
    at_us: int
    previous: str


class AgentState:
    """The state machine; call its methods from one thread (the UI's)."""

    def __init__(
        self, wrap_up_s: float = 30.0, *, clock: Callable[[], int] = utc_us, state: str = OFFLINE
    ) -> None:
        if wrap_up_s < 0:
            raise ValueError(f"wrap_up_s must be 0 or more, got {wrap_up_s}")
        self.wrap_up_s = wrap_up_s
        self._clock = clock
        self.state = state
        self.reason = ""
        self.since_us = clock()
        self.wrap_up_until_us = 0
        self.chosen = (READY, "")  # where to return after a call and its wrap-up
        self.reachable = False  # registered, or taking calls directly (no registrar)
        self._calls: dict[str, tuple[bool, str]] = {}  # live call id -> (inbound, state)
        self._listeners: list[Callable[[StateChange], None]] = []
        # Why the wrap-up may not end yet ('' = it may), e.g. the dialog card has no
        # disposition: the wrap-up then outlasts its time until the operator finishes it.
        self.wrap_up_blocker: Callable[[], str] | None = None
        self._overdue = False

    # --- reading ---------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[StateChange], None]) -> None:
        self._listeners.append(listener)

    @property
    def offers_calls(self) -> bool:
        """False while calls must not be offered (do-not-disturb for the softphone)."""
        return self.state not in NO_CALLS_OFFERED

    def time_in_state_s(self, now_us: int | None = None) -> int:
        now = self._clock() if now_us is None else now_us
        return max(0, (now - self.since_us) // US)

    def wrap_up_left_s(self, now_us: int | None = None) -> int:
        """Whole seconds of wrap-up left (rounded up), 0 outside wrap-up."""
        if self.state != WRAP_UP:
            return 0
        now = self._clock() if now_us is None else now_us
        return max(0, -((now - self.wrap_up_until_us) // US))

    @property
    def on_a_call(self) -> bool:
        """An answered call, or one the operator dialled; a call still ringing here is not."""
        return any(
            state in ("connecting", "confirmed") or not inbound
            for inbound, state in self._calls.values()
        )

    # --- the operator ----------------------------------------------------------------------
    def choose(self, state: str, reason: str = "") -> None:
        """The operator picks ready / not ready (reason) / break (reason) / offline / outbound.

        During a call the choice waits for the call and its wrap-up to end; during wrap-up it
        ends the wrap-up now.
        """
        if state not in CHOSEN:
            raise ValueError(f"{state!r} cannot be chosen; one of {', '.join(CHOSEN)}")
        reason = reason.strip()
        if state in REASON_REQUIRED and not reason:
            raise ValueError(f"{state!r} needs a reason")
        self.chosen = (state, reason if state != READY else "")
        if self.state == ON_CALL:
            return
        self._settle()

    def end_wrap_up(self) -> bool:
        """The operator is done with the wrap-up before its time is up (refused while
        :attr:`wrap_up_blocker` says why not)."""
        if self.state == WRAP_UP and not self.wrap_up_blocked():
            self._settle()
            return True
        return False

    def wrap_up_blocked(self) -> str:
        """Why the wrap-up cannot end now ('' = it can)."""
        return self.wrap_up_blocker() if self.wrap_up_blocker is not None else ""

    def go_offline(self) -> None:
        """The app is closing: offline now, whatever the calls (they end with it)."""
        self.reachable = False
        self._set(OFFLINE, "", None)

    def tick(self, now_us: int | None = None) -> None:
        """Call about once a second: ends a wrap-up whose time is up."""
        now = self._clock() if now_us is None else now_us
        if self.state == WRAP_UP and now >= self.wrap_up_until_us:
            if self.wrap_up_blocked():
                self._overdue = True
                return
            # Ended on time, or now if it waited for the operator past its time.
            self._settle(now if self._overdue else self.wrap_up_until_us)

    # --- the softphone ---------------------------------------------------------------------
    def on_event(self, event: ev.Event) -> None:
        """Follow the softphone's events (registration, calls, engine stop)."""
        if isinstance(event, ev.RegistrationChanged):
            # code 0 "unregistered": registration is off, calls come straight to this computer
            self.reachable = event.state == "registered" or (
                event.state == "unregistered" and event.code == 0
            )
            if self.state not in (ON_CALL, WRAP_UP):
                self._settle(event.at_us)
        elif isinstance(event, ev.EngineStopped):
            self.reachable = False
            self._calls.clear()
            self._set(OFFLINE, "", event.at_us)
        elif isinstance(event, ev.IncomingCall):
            self._calls[event.call_id] = (True, "incoming")
        elif isinstance(event, ev.CallStateChanged):
            inbound, _ = self._calls.get(event.call_id, (False, ""))
            if event.state == "disconnected":
                self._calls.pop(event.call_id, None)
            else:
                self._calls[event.call_id] = (inbound, event.state)
            if self.on_a_call and self.state != ON_CALL:
                self._set(ON_CALL, "", event.at_us)
        elif isinstance(event, ev.CallReplaced):
            self._calls.pop(event.old_call_id, None)
            self._calls[event.new_call_id] = (True, "confirmed")
            if self.state != ON_CALL:
                self._set(ON_CALL, "", event.at_us)
        elif isinstance(event, ev.CallEnded):
            self._calls.pop(event.call_id, None)
            if self.state == ON_CALL and not self.on_a_call:
                self._start_wrap_up(event.at_us)

    # --- inside ----------------------------------------------------------------------------
    def _start_wrap_up(self, at_us: int) -> None:
        if self.wrap_up_s <= 0:
            self._settle(at_us)
            return
        self.wrap_up_until_us = at_us + round(self.wrap_up_s * US)
        self._overdue = False
        self._set(WRAP_UP, "", at_us)

    def _settle(self, at_us: int | None = None) -> None:
        """Go to the chosen state, or offline while the softphone cannot be reached."""
        state, reason = self.chosen
        if not self.reachable and state != OFFLINE:
            state, reason = OFFLINE, "not registered"
        self._set(state, reason, at_us)

    def _set(self, state: str, reason: str, at_us: int | None) -> None:
        if (state, reason) == (self.state, self.reason):
            return
        at = self._clock() if at_us is None else at_us
        change = StateChange(state, reason, at, self.state)
        self.state, self.reason, self.since_us = state, reason, at
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                log.exception("an agent-state listener failed on %s", change)

"""Who is doing what, through the store: the token's owner and the service's health, agent
states, the desktops' presence snapshots, the live board and the live queues."""

from __future__ import annotations

from typing import Any, cast

from store.client_session import StoreSession, seg
from store.client_types import AgentState, Board, Health, Me, Presence, StateRow


class AgentsClient(StoreSession):
    """The service, who the token is, agent states and the live board."""

    def health(self) -> Health:
        return cast(Health, self._json("GET", "/health"))

    def me(self) -> Me:
        return cast(Me, self._json("GET", "/me"))

    # --- agents --------------------------------------------------------------------------

    def set_state(
        self,
        agent: str,
        state: AgentState,
        reason: str | None = None,
        at_us: int | None = None,
        call_id: str | None = None,
    ) -> StateRow:
        """`call_id`: the call an `on_call` or `wrap_up` state belongs to (reports use it)."""
        body = {"state": state, "reason": reason, "at_us": at_us, "call_id": call_id}
        return cast(StateRow, self._json("POST", f"/agents/{seg(agent)}/states", json=body))

    def live_states(self) -> list[StateRow]:
        return cast(list[StateRow], self._json("GET", "/agents/states"))

    def state_history(
        self, agent: str, from_us: int | None = None, to_us: int | None = None
    ) -> list[StateRow]:
        params = {k: v for k, v in (("from_us", from_us), ("to_us", to_us)) if v is not None}
        path = f"/agents/{seg(agent)}/states"
        return cast(list[StateRow], self._json("GET", path, params=params))

    def put_presence(self, agent: str, snapshot: Presence) -> Presence:
        """Replace the agent's live snapshot (current call, hold, recording, upload backlog)."""
        path = f"/agents/{seg(agent)}/presence"
        return cast(Presence, self._json("PUT", path, json=snapshot))

    def live_board(self) -> Board:
        """Every agent's state, current call, recording, backlog, 10-minute occupancy."""
        return cast(Board, self._json("GET", "/agents/board"))

    def queues_live(self) -> dict[str, Any]:
        """The PBX's queues now: callers waiting (with karma), today's figures, members by
        state (``GET /queues/live``, store/pbx/live.py)."""
        return dict(self._json("GET", "/queues/live"))

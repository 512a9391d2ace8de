"""The agent-state machine driven by softphone events, on a clock the test moves."""

from __future__ import annotations

import pytest

from desktop.agent.state import AgentState, StateChange
from sip import events as ev

T0 = 1_700_000_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> int:
        self.now += round(seconds * 1e6)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def changes() -> list[StateChange]:
    return []


@pytest.fixture
def agent(clock: Clock, changes: list[StateChange]) -> AgentState:
    state = AgentState(wrap_up_s=20, clock=clock)
    state.subscribe(changes.append)
    return state


def registered(at: int, state: str = "registered", code: int = 200) -> ev.RegistrationChanged:
    return ev.RegistrationChanged(
        account_id="a", state=state, code=code, reason="OK", expires=300, at_us=at
    )


def incoming(call_id: str, at: int) -> ev.IncomingCall:
    return ev.IncomingCall(
        call_id=call_id,
        account_id="a",
        remote_uri="sip:1001@x",
        number="1001",
        display_name="",
        sip_call_id="s",
        headers={},
        waiting=False,
        at_us=at,
    )


def call_state(call_id: str, name: str, at: int) -> ev.CallStateChanged:
    return ev.CallStateChanged(call_id=call_id, state=name, code=200, reason="OK", at_us=at)


def ended(call_id: str, at: int) -> ev.CallEnded:
    return ev.CallEnded(call_id=call_id, record={}, at_us=at)


def names(changes: list[StateChange]) -> list[str]:
    return [c.state for c in changes]


def test_starts_offline_and_is_ready_once_registered(
    agent: AgentState, clock: Clock, changes: list[StateChange]
) -> None:
    assert agent.state == "offline" and not agent.offers_calls
    agent.on_event(registered(clock.advance(2)))
    assert changes == [StateChange("ready", "", T0 + 2_000_000, "offline")]
    assert agent.offers_calls
    agent.on_event(registered(clock.advance(1), "failed", 403))
    assert agent.state == "offline" and agent.reason == "not registered"


def test_registration_off_counts_as_reachable(agent: AgentState, clock: Clock) -> None:
    agent.on_event(registered(clock.now, "unregistered", 0))
    assert agent.state == "ready"


def test_answered_call_then_wrap_up_counts_down_then_ready(
    agent: AgentState, clock: Clock, changes: list[StateChange]
) -> None:
    agent.on_event(registered(clock.now))
    agent.on_event(incoming("c1", clock.advance(1)))
    assert agent.state == "ready"  # ringing is not yet a call
    agent.on_event(call_state("c1", "connecting", clock.advance(2)))
    agent.on_event(call_state("c1", "confirmed", clock.now))
    assert agent.state == "on_call" and agent.offers_calls  # a second call may still ring
    agent.on_event(call_state("c1", "disconnected", clock.advance(30)))
    assert agent.state == "on_call"
    end = clock.now
    agent.on_event(ended("c1", end))
    assert agent.state == "wrap_up" and not agent.offers_calls
    assert agent.wrap_up_left_s(end) == 20
    assert agent.wrap_up_left_s(end + 500_000) == 20  # rounded up
    agent.tick(clock.advance(19.5))
    assert agent.state == "wrap_up" and agent.wrap_up_left_s() == 1
    assert agent.time_in_state_s() == 19
    agent.tick(clock.advance(1))
    assert names(changes) == ["ready", "on_call", "wrap_up", "ready"]
    assert changes[-1].at_us == end + 20_000_000  # when the wrap-up ran out, not when seen
    assert changes[2].at_us == end


def test_wrap_up_ended_early(agent: AgentState, clock: Clock) -> None:
    agent.on_event(registered(clock.now))
    agent.on_event(call_state("o1", "calling", clock.advance(1)))  # dialled: on a call at once
    assert agent.state == "on_call"
    agent.on_event(ended("o1", clock.advance(5)))
    agent.end_wrap_up()
    assert agent.state == "ready" and agent.since_us == clock.now


def test_a_choice_during_a_call_waits_for_the_call_and_wrap_up(
    agent: AgentState, clock: Clock, changes: list[StateChange]
) -> None:
    agent.on_event(registered(clock.now))
    agent.on_event(incoming("c1", clock.now))
    agent.on_event(call_state("c1", "confirmed", clock.now))
    agent.choose("break", "lunch")
    assert agent.state == "on_call"
    agent.on_event(ended("c1", clock.advance(10)))
    agent.tick(clock.advance(21))
    assert (agent.state, agent.reason) == ("break", "lunch")
    assert not agent.offers_calls
    agent.choose("ready")
    assert names(changes) == ["ready", "on_call", "wrap_up", "break", "ready"]


def test_second_call_keeps_on_call_until_the_last_ends(agent: AgentState, clock: Clock) -> None:
    agent.on_event(registered(clock.now))
    for call_id in ("c1", "c2"):
        agent.on_event(incoming(call_id, clock.now))
        agent.on_event(call_state(call_id, "confirmed", clock.now))
    agent.on_event(ended("c1", clock.advance(3)))
    assert agent.state == "on_call"
    agent.on_event(ended("c2", clock.advance(3)))
    assert agent.state == "wrap_up"


def test_unanswered_call_leaves_the_state_alone(
    agent: AgentState, clock: Clock, changes: list[StateChange]
) -> None:
    agent.on_event(registered(clock.now))
    agent.on_event(incoming("c1", clock.now))
    agent.on_event(call_state("c1", "disconnected", clock.advance(3)))
    agent.on_event(ended("c1", clock.now))
    assert names(changes) == ["ready"]


def test_not_ready_needs_a_reason_and_zero_wrap_up_skips_it(clock: Clock) -> None:
    agent = AgentState(wrap_up_s=0, clock=clock)
    agent.on_event(registered(clock.now))
    with pytest.raises(ValueError, match="needs a reason"):
        agent.choose("not_ready", "  ")
    with pytest.raises(ValueError, match="cannot be chosen"):
        agent.choose("wrap_up")
    agent.choose("not_ready", "training")
    agent.on_event(call_state("o1", "calling", clock.now))
    agent.on_event(ended("o1", clock.advance(4)))
    assert (agent.state, agent.reason) == ("not_ready", "training")


def test_engine_stop_is_offline_and_a_bad_listener_does_not_stop_others(
    agent: AgentState, clock: Clock, changes: list[StateChange]
) -> None:
    def broken(change: StateChange) -> None:
        raise RuntimeError("listener broke")

    agent.subscribe(broken)
    later: list[StateChange] = []
    agent.subscribe(later.append)
    agent.on_event(registered(clock.now))
    agent.on_event(ev.EngineStopped(clean=True, at_us=clock.advance(1)))
    assert names(later) == ["ready", "offline"] and names(changes) == names(later)


def test_wrap_up_waits_for_the_dialog_card_then_ends_when_it_is_saved(
    agent: AgentState, clock: Clock, changes: list[StateChange]
) -> None:
    card_missing = ["the dialog card is not finished"]
    agent.wrap_up_blocker = lambda: card_missing[0]
    agent.on_event(registered(clock.now))
    agent.on_event(call_state("c1", "confirmed", clock.advance(1)))
    agent.on_event(ended("c1", clock.advance(10)))
    assert not agent.end_wrap_up()  # refused: no disposition yet
    agent.tick(clock.advance(25))  # its 20 s are over, but the card is not
    assert agent.state == "wrap_up" and not agent.offers_calls
    assert agent.wrap_up_blocked() == "the dialog card is not finished"
    card_missing[0] = ""
    saved_at = clock.advance(3)
    agent.tick(saved_at)
    assert agent.state == "ready"
    assert changes[-1] == StateChange("ready", "", saved_at, "wrap_up")  # when it really ended


def test_saving_the_card_early_ends_the_wrap_up_at_once(
    agent: AgentState, clock: Clock, changes: list[StateChange]
) -> None:
    agent.wrap_up_blocker = lambda: ""
    agent.on_event(registered(clock.now))
    agent.on_event(call_state("c1", "confirmed", clock.advance(1)))
    agent.on_event(ended("c1", clock.advance(10)))
    clock.advance(4)
    assert agent.end_wrap_up()
    assert names(changes) == ["ready", "on_call", "wrap_up", "ready"]
    assert changes[-1].at_us - changes[-2].at_us == 4_000_000

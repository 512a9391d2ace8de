"""Monitoring grants: which INVITE a grant admits, and what a new engine process gets again."""

from __future__ import annotations

import pytest

from sip import events as ev
from sip.errors import ConfigError
from sip.monitor_grants import Grant, GrantBook, GrantReplay

NOW = 1_800_000_000_000_000
SID = "session-0001"


def book_with(*grants: Grant) -> GrantBook:
    book = GrantBook()
    for grant in grants:
        book.grants[grant.session_id] = grant
    return book


def test_a_grant_admits_its_supervisor_once_until_it_expires() -> None:
    grant = Grant(SID, "Dave", "listen", NOW + 10)
    book = book_with(grant, Grant("session-0002", "carol", "barge", NOW + 10, used=True))
    assert book.admit(SID, "dave", NOW) == (grant, "")  # SIP users compare without case
    assert book.admit(SID, "dave", NOW + 10)[1] == "the monitoring session has expired"
    assert book.admit(SID, "carol", NOW)[1] == "the monitoring session is for Dave, not carol"
    assert book.admit("session-0002", "carol", NOW)[1].startswith("the monitoring session was")
    assert book.admit("forged-000001", "dave", NOW)[1].startswith("no such monitoring session")
    assert book.admit(SID, "", NOW)[1].endswith("not ?")


@pytest.mark.parametrize(
    ("grant", "words"),
    [
        (Grant(SID, "dave", "spy", NOW + 10), "mode 'spy' must be one of listen, whisper, barge"),
        (Grant("short", "dave", "listen", NOW + 10), "8 to 128 letters"),
        (Grant("bad id with spaces", "dave", "listen", NOW + 10), "8 to 128 letters"),
        (Grant(SID, "dave@pbx", "listen", NOW + 10), "'dave@pbx' is not a SIP user name"),
        (Grant(SID, "dave", "listen", NOW), "has already expired"),
    ],
)
def test_a_bad_grant_is_refused_in_words(grant: Grant, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        grant.check(NOW)


def test_a_used_session_cannot_be_granted_again() -> None:
    book = book_with(Grant(SID, "dave", "listen", 2**62, used=True))
    with pytest.raises(ConfigError, match="was already used"):
        book.add(Grant(SID, "dave", "barge", 2**62))


def test_a_new_process_gets_the_unused_grants_as_they_are_now() -> None:
    replay = GrantReplay()
    for sid, mode, expires in (
        ("session-keep", "listen", NOW + 60),
        ("session-gone", "listen", NOW + 60),
        ("session-used", "whisper", NOW + 60),
        ("session-late", "barge", NOW - 1),
        ("session-supv", "listen", NOW + 60),
    ):
        replay.granted(Grant(sid, "dave", mode, expires, follow=sid.endswith("keep")))
    replay.mode("session-keep", "barge")
    replay.mode("session-none", "barge")  # nothing granted: nothing to change
    replay.revoked("session-gone")
    used = ev.MonitorStarted(session_id="session-used", role="agent", call_id="leg-1")
    theirs = ev.MonitorStarted(session_id="session-supv", role="supervisor", call_id="leg-2")
    replay.follow(used)
    replay.follow(theirs)  # a call this phone made: its own grants stay
    assert replay.to_replay(NOW) == [
        {"session_id": "session-keep", "supervisor": "dave", "mode": "barge",
         "expires_us": NOW + 60, "follow": True},
        {"session_id": "session-supv", "supervisor": "dave", "mode": "listen",
         "expires_us": NOW + 60, "follow": False},
    ]  # fmt: skip
    ended = replay.end_all("engine_lost")
    assert [(e.session_id, e.role, e.call_id, e.reason, e.started) for e in ended] == [
        ("session-used", "agent", "leg-1", "engine_lost", True),
        ("session-supv", "supervisor", "leg-2", "engine_lost", True),
    ]
    assert replay.end_all("engine_lost") == []  # each session ends once


def test_a_session_that_ended_is_not_ended_again_by_a_lost_process() -> None:
    replay = GrantReplay()
    replay.follow(ev.MonitorStarted(session_id=SID, role="agent", call_id="leg-1"))
    replay.follow(
        ev.MonitorEnded(
            session_id=SID, role="agent", call_id="leg-1", reason="revoked", started=True
        )
    )
    assert replay.end_all("engine_lost") == [] and replay.to_replay(NOW) == []

"""sip.events: plain, frozen events that survive to_dict/from_dict and a JSON pipe."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pytest

from sip import events as ev
from sip.events import EVENT_TYPES, Event, from_dict

# One populated example of every event type, with values unlike the defaults.
SAMPLES: dict[str, dict[str, Any]] = {
    "EngineStarted": {
        "version": "2.15.1",
        "sip_ports": {"udp": 5060, "tcp": 5061},
        "audio": "null",
        "audio_detail": "no sound device",
    },
    "EngineStopped": {"clean": False},
    "EngineLost": {"exit": "signal SIGABRT", "calls_ended": 1, "restart_in_s": 1.0},
    "EngineError": {"where": "onCallState", "message": "boom"},
    "RegistrationChanged": {
        "account_id": "acc-1",
        "state": "failed",
        "code": 403,
        "reason": "Forbidden",
        "expires": 0,
        "retry_in_s": 3.5,
    },
    "IncomingCall": {
        "call_id": "c1",
        "account_id": "acc-1",
        "remote_uri": '"Alice" <sip:alice@example.com>',
        "number": "+4930123",
        "display_name": "Alice",
        "sip_call_id": "abc@host",
        "headers": {"x-queue": "sales", "call-id": "abc@host"},
        "waiting": True,
        "auto_answer_in_s": 2.5,
    },
    "IncomingCallRejected": {
        "account_id": "acc-1",
        "remote_uri": "sip:bob@example.com",
        "number": "bob",
        "sip_call_id": "def@host",
        "code": 486,
        "reason": "do not disturb",
        "headers": {"x-queue": "support", "x-asterisk-uniqueid": "1700000000.42"},
        "dnd": True,
    },
    "CallStateChanged": {
        "call_id": "c1",
        "state": "confirmed",
        "code": 200,
        "reason": "OK",
        "sip_call_id": "abc@host",
    },
    "CallMediaChanged": {"call_id": "c1", "media": "remote_hold"},
    "DtmfReceived": {"call_id": "c1", "digit": "#", "method": "rfc4733"},
    "TransferProgress": {
        "call_id": "c1",
        "code": 200,
        "reason": "OK",
        "final": True,
        "succeeded": True,
    },
    "TransferRequested": {"call_id": "c1", "target_uri": "sip:200@pbx", "new_call_id": "c2"},
    "CallReplaced": {"old_call_id": "c1", "new_call_id": "c3"},
    "RecordingStarted": {
        "call_id": "c1",
        "path": "/rec/c1.wav",
        "first_sample_utc_us": 1_700_000_000_000_000,
        "sample_rate": 16000,
    },
    "RecordingFinished": {
        "call_id": "c1",
        "path": "/rec/c1.wav",
        "first_sample_utc_us": 1_700_000_000_000_000,
        "sample_rate": 16000,
        "frames": 480000,
    },
    "AudioDevicesChanged": {
        "mode": "portaudio",
        "detail": "microphone: USB; speaker: USB",
        "mic": "USB",
        "speaker": "USB",
        "ring": "Speakers",
    },
    "CallEnded": {
        "call_id": "c1",
        "record": {
            "number": "+4930123",
            "holds": [{"start_us": 1, "end_us": 2}],
            "transfer": None,
            "duration_s": 12.5,
        },
    },
    "MonitorStarted": {
        "session_id": "s-0123456789",
        "role": "agent",
        "call_id": "leg-1",
        "mode": "whisper",
        "supervisor": "dave",
        "customer_call_id": "c1",
        "follow": True,
    },
    "MonitorModeChanged": {"session_id": "s-0123456789", "mode": "barge", "previous": "listen"},
    "MonitorFollowed": {"session_id": "s-0123456789", "customer_call_id": "c2"},
    "MonitorEnded": {
        "session_id": "s-0123456789",
        "role": "supervisor",
        "call_id": "leg-2",
        "reason": "refused: 403 Forbidden",
        "started": False,
    },
    "MonitorRejected": {
        "session_id": "s-0123456789",
        "supervisor": "mallory",
        "code": 403,
        "reason": "the monitoring session has expired",
    },
}


def make(name: str) -> Event:
    return EVENT_TYPES[name](**SAMPLES[name], at_us=1_700_000_123_456_789)


def test_every_event_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(EVENT_TYPES)


def test_event_types_are_keyed_by_class_name() -> None:
    for name, cls in EVENT_TYPES.items():
        assert cls.__name__ == name
        assert issubclass(cls, Event)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_round_trip_through_dict(name: str) -> None:
    event = make(name)
    data = event.to_dict()
    assert data["type"] == name
    assert data["at_us"] == 1_700_000_123_456_789
    for key, value in SAMPLES[name].items():
        assert data[key] == value
    back = from_dict(data)
    assert type(back) is type(event)
    assert back == event


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_round_trip_through_json(name: str) -> None:
    event = make(name)
    wire = json.dumps(event.to_dict())
    assert from_dict(json.loads(wire)) == event


def test_from_dict_leaves_its_argument_alone() -> None:
    data = make("CallMediaChanged").to_dict()
    copy = dict(data)
    from_dict(data)
    assert data == copy


def test_to_dict_copies_nested_values() -> None:
    event = make("IncomingCall")
    data = event.to_dict()
    data["headers"]["x-queue"] = "changed"
    assert event.headers["x-queue"] == "sales"  # type: ignore[attr-defined]


def test_from_dict_rejects_an_unknown_type() -> None:
    with pytest.raises(KeyError):
        from_dict({"type": "NoSuchEvent", "at_us": 1})


def test_from_dict_rejects_unknown_fields() -> None:
    data = make("DtmfReceived").to_dict()
    data["extra"] = 1
    with pytest.raises(TypeError):
        from_dict(data)


def test_events_are_frozen() -> None:
    event = make("CallStateChanged")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.state = "disconnected"  # type: ignore[misc]


def test_at_us_defaults_to_the_current_utc_microseconds() -> None:
    before = time.time_ns() // 1000
    event = ev.EngineStopped(clean=True)
    after = time.time_ns() // 1000
    # The clock is monotonic from import, so allow a little drift from the wall clock.
    assert before - 1_000_000 <= event.at_us <= after + 1_000_000


def test_at_us_of_successive_events_never_decreases() -> None:
    stamps = [ev.DtmfReceived(call_id="c", digit="1", method="info").at_us for _ in range(200)]
    assert stamps == sorted(stamps)


def test_at_us_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        ev.EngineStopped(True, 5)  # type: ignore[misc]


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_event_says_which_thread_emits_it(name: str) -> None:
    doc = " ".join((EVENT_TYPES[name].__doc__ or "").split())
    assert "Emitted on the SIP thread" in doc

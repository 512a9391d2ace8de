"""The baresip far-end fixture: two real baresips call each other directly on loopback."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tests.servers.baresip import (
    TONE_HZ,
    Baresip,
    baresip_available,
    dominant_frequency,
    read_wav,
    wav_complete,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(30),
    pytest.mark.skipif(not baresip_available(), reason="baresip is not installed"),
]


def test_direct_call_carries_the_tone(tmp_path: Path) -> None:
    with (
        Baresip(user="a", workdir=tmp_path / "a") as caller,
        Baresip(user="b", answermode="auto", workdir=tmp_path / "b") as callee,
    ):
        assert callee.sip_uri == f"sip:b@127.0.0.1:{callee.sip_port}"
        assert caller.dial(callee.sip_uri)["ok"] is True

        out = caller.wait_event("CALL_ESTABLISHED", timeout=5, direction="outgoing")
        inc = callee.wait_event("CALL_ESTABLISHED", timeout=5, direction="incoming")
        assert out["id"] == inc["id"]
        assert inc["peeruri"].startswith("sip:a@127.0.0.1:")

        time.sleep(2.0)
        recording = callee.recordings("dec")
        assert recording and not wav_complete(recording[0])  # header is fixed up on close

        assert caller.hangup()["ok"] is True
        caller.wait_event("CALL_CLOSED", timeout=5)
        callee.wait_event("CALL_CLOSED", timeout=5)
        (received,) = callee.wait_recordings("dec", timeout=5)

    samples, rate = read_wav(received)
    assert rate == 8000  # PCMU is offered first
    assert samples.size > rate  # more than 1 s of decoded audio
    steady = samples[rate // 4 :]  # skip the jitter-buffer start
    rms = float(np.sqrt(np.mean(steady**2)))
    assert rms > 0.05, f"recording is (nearly) silent: rms={rms:.4f}"
    assert abs(dominant_frequency(steady, rate) - TONE_HZ) <= 20

    # The files stay after stop() in a caller-given work dir.
    assert received.is_file()
    assert (tmp_path / "a" / "baresip.log").is_file()


def test_manual_answer(tmp_path: Path) -> None:
    with (
        Baresip(user="a", workdir=tmp_path / "a") as caller,
        Baresip(user="b", answermode="manual", workdir=tmp_path / "b") as callee,
    ):
        caller.dial(callee.sip_uri)
        callee.wait_event("CALL_INCOMING", timeout=5)
        with pytest.raises(TimeoutError):
            callee.wait_event("CALL_ESTABLISHED", timeout=0.3)
        assert callee.answer()["ok"] is True
        callee.wait_event("CALL_ESTABLISHED", timeout=5)
        caller.wait_event("CALL_ESTABLISHED", timeout=5)
        callee.hangup()
        caller.wait_event("CALL_CLOSED", timeout=5)

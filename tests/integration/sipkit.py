"""Softphone agents for integration tests: each a real engine in its own process
(pjsua2 allows one endpoint per process), registered at a real Kamailio."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from formats.call_audio import read_pcm16
from sip.remote import RemoteEngine
from tests.servers.baresip import dominant_frequency
from tests.servers.kamailio import Kamailio

PASSWORDS = {"alice": "alice-pw-1", "bob": "bob-pw-2", "carol": "carol-pw-3", "dave": "dave-pw-4"}
BASE_CONFIG: dict[str, Any] = {
    "bind_address": "127.0.0.1",
    "transports": ["udp", "tcp", "tls"],
    "audio": "null",
    "log_level": 3,
}


class Agent:
    """One softphone process with one account."""

    def __init__(
        self,
        kam: Kamailio,
        user: str,
        transport: str = "udp",
        env: dict[str, str] | None = None,
        **config: Any,
    ) -> None:
        self.user = user
        self.kam = kam
        self.engine = RemoteEngine({**BASE_CONFIG, **config}, env=env)
        self.account = self.engine.call(
            "add_account",
            settings={
                "user": user,
                "domain": kam.domain,
                "registrar": kam.registrar_uri(transport),
                "transport": transport,
                "password": PASSWORDS.get(user, "nobody"),
                "retry_min_s": 1.0,
            },
        )

    def wait_registered(self, timeout: float = 10.0) -> dict[str, Any]:
        return self.engine.wait_event("RegistrationChanged", timeout, state="registered")

    def call(self, cmd: str, **args: Any) -> Any:
        return self.engine.call(cmd, **args)

    def wait(
        self, type_: str, timeout: float = 10.0, after_us: int = 0, **match: Any
    ) -> dict[str, Any]:
        return self.engine.wait_event(type_, timeout, after_us, **match)

    def dial(self, target: str) -> str:
        return str(self.call("make_call", account_id=self.account, target=target))

    def ports_settle(self, expected: int, timeout: float = 3.0) -> int:
        """Conference ports in use once pjmedia's deferred removals ran (bounded poll)."""
        deadline = time.monotonic() + timeout
        while True:
            ports = int(self.call("stats")["conference_ports"])
            if ports <= expected or time.monotonic() > deadline:
                return ports
            time.sleep(0.05)

    def close(self) -> int:
        return self.engine.close()


def connect(caller: Agent, callee: Agent, target: str | None = None) -> tuple[str, str]:
    """caller dials callee through the registrar; callee answers; both confirmed."""
    out_id = caller.dial(target or callee.user)
    ring = callee.wait("IncomingCall")
    callee.call("answer", call_id=ring["call_id"])
    caller.wait("CallStateChanged", state="confirmed", call_id=out_id)
    callee.wait("CallStateChanged", state="confirmed", call_id=ring["call_id"])
    return out_id, ring["call_id"]


def channel_tones(
    path: str | Path, skip_s: float = 0.3, until_s: float | None = None
) -> tuple[float, float, float, float]:
    """(left Hz, right Hz, left RMS, right RMS) of a stereo recording between ``skip_s`` and
    ``until_s`` seconds from its first sample."""
    pcm, rate, channels = read_pcm16(path)
    assert channels == 2, f"{path} has {channels} channels, expected 2"
    end = None if until_s is None else int(until_s * rate)
    body = pcm[int(skip_s * rate) : end].astype(np.float64) / 32768.0
    assert len(body) > rate // 2, f"{path} holds only {len(pcm) / rate:.2f} s"
    left, right = body[:, 0], body[:, 1]
    return (
        dominant_frequency(left, rate),
        dominant_frequency(right, rate),
        float(np.sqrt(np.mean(left**2))),
        float(np.sqrt(np.mean(right**2))),
    )


def tone_share(samples: np.ndarray, rate: int, freq: float, band_hz: float = 20.0) -> float:
    """The share (0..1) of a mono signal's energy within ``band_hz`` of ``freq``."""
    body = samples.astype(np.float64)
    spectrum = np.abs(np.fft.rfft((body - body.mean()) * np.hanning(body.size))) ** 2
    freqs = np.fft.rfftfreq(body.size, 1.0 / rate)
    total = float(spectrum[freqs > 50].sum())
    if total <= 0:
        return 0.0
    return float(spectrum[np.abs(freqs - freq) <= band_hz].sum()) / total


def channel_window(path: str | Path, first_us: int, from_us: int, to_us: int) -> list[np.ndarray]:
    """Each channel of a recording between two UTC µs readings (the file's first sample is
    at ``first_us``)."""
    pcm, rate, _ = read_pcm16(path)
    start, end = (int((t - first_us) / 1e6 * rate) for t in (from_us, to_us))
    body = pcm.reshape(len(pcm), -1)[max(0, start) : end].astype(np.float64) / 32768.0
    assert len(body) > rate // 2, f"{path}: only {len(body) / rate:.2f} s between the readings"
    return [body[:, c] for c in range(body.shape[1])]

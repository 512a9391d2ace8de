"""The softphone engine alone, idle and in a call: its CPU by thread, how often each thread
wakes, how promptly an idle engine answers a command, and what the call's audio went through.

A real Kamailio on 127.0.0.1 and two engines as the desktop runs them (``python -m
sip.remote``, null sound device, registered over UDP): dave, measured, and alice, who calls
him. Per round (``--rounds``, A B A B in one engine): ``call`` — alice calls, dave answers and
records, each sends a tone for ``--call-s``; at its end both sides' RTP figures (packets lost,
the largest arrival jitter, jitter-buffer underruns) and the tones found in dave's recording;
``idle`` — after the call, past the engine's busy spell, ``--idle-s`` seconds with nothing
happening; then ``command`` — ``stats`` asked of the idle engine every 2.5 s, round trip
through the process's pipe (outside the idle figures). CPU is user + system of the engine's
process (clock ticks, as ``bench.agent_cpu``), % of one core. With ``--pulse`` dave has a
sound device, as on an operator's PC: a PulseAudio server of its own with null devices
(``tests/servers/pulse.py``), reached through PortAudio. Run::

    .venv/bin/python -m bench.engine_idle [--idle-s 30] [--call-s 15] [--rounds 2] [--pulse]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measured_process import tree_usage  # noqa: E402
from tests.integration.sipkit import PASSWORDS, Agent, channel_tones, connect  # noqa: E402
from tests.servers.kamailio import Kamailio  # noqa: E402
from tests.servers.pulse import PulseServer  # noqa: E402

BUSY_S = 2.5  # the engine polls often for 2 s after its last command or call (sip.engine)


def engine_cpu(pid: int, seconds: float) -> str:
    """CPU % of one core of ``pid`` over ``seconds``, and its threads' wake-ups a second."""
    before = {t.name: t for t in tree_usage(pid)[pid][1]}
    t0 = time.monotonic()
    time.sleep(seconds)
    after = tree_usage(pid)[pid][1]
    wall = time.monotonic() - t0
    cpu = sum(t.cpu_s - (before[t.name].cpu_s if t.name in before else 0.0) for t in after)
    wakes = sorted(
        ((t.wakeups - (before[t.name].wakeups if t.name in before else 0)) / wall, t.name)
        for t in after
    )[::-1]
    busiest = ", ".join(f"{name.split('#')[0]} {rate:.0f}/s" for rate, name in wakes[:4])
    return f"{100 * cpu / wall:.2f} % of one core over {wall:.0f} s (wake-ups: {busiest})"


def call_round(dave: Agent, alice: Agent, call_s: float) -> None:
    out_id, in_id = connect(alice, dave)
    dave.call("start_recording", call_id=in_id)
    dave.call("play_tone", call_id=in_id, freq1=440)
    alice.call("play_tone", call_id=out_id, freq1=1000)
    print(f"  call: {engine_cpu(dave.engine.proc.pid, call_s)}", flush=True)
    for who, agent, call_id in (("dave", dave, in_id), ("alice", alice, out_id)):
        rtp = agent.call("stats")["rtp"][call_id]
        print(
            f"    {who} sent {rtp['sent']} RTP packets, received {rtp['received']}, "
            f"lost {rtp['lost']}, "
            f"jitter max {rtp['jitter_max_us'] / 1000:.1f} ms, "
            f"jitter buffer ran dry {rtp['jb_empty']}×, discarded {rtp['jb_discard']}"
        )
    alice.call("hangup", call_id=out_id)
    done = dave.wait("RecordingFinished", timeout=20, call_id=in_id)
    left, right, left_rms, right_rms = channel_tones(done["path"], 0.5)
    print(
        f"    dave's recording: operator {left:.0f} Hz (rms {left_rms:.3f}), "
        f"customer {right:.0f} Hz (rms {right_rms:.3f})"
    )


def command_round_trips(dave: Agent, count: int) -> list[float]:
    trips = []
    for _ in range(count):
        time.sleep(BUSY_S)  # asked of an idle engine each time
        t0 = time.perf_counter()
        dave.call("stats")
        trips.append((time.perf_counter() - t0) * 1000)
    return trips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_idle", description=__doc__)
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--call-s", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--commands", type=int, default=6, help="idle round trips per round")
    parser.add_argument(
        "--pulse", action="store_true", help="dave on a sound device (a PulseAudio server)"
    )
    args = parser.parse_args(argv)
    print(f"load average at the start: {os.getloadavg()[0]:.2f}", flush=True)
    kam = Kamailio(PASSWORDS)
    kam.start()
    pulse = PulseServer() if args.pulse else None
    try:
        sound: dict[str, Any] = {}
        if pulse is not None:
            pulse.start()
            sound = {"audio": "portaudio", "env": pulse.child_env()}
        with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as tmp:
            dave = Agent(kam, "dave", transports=["udp"], log_level=1, recording_dir=tmp, **sound)
            alice = Agent(kam, "alice", transports=["udp"], log_level=1)
            try:
                if pulse is not None:
                    print(f"  dave's sound: {dave.engine.started['audio_detail']}", flush=True)
                dave.wait_registered()
                alice.wait_registered()
                for n in range(1, args.rounds + 1):
                    print(f"round {n}:", flush=True)
                    call_round(dave, alice, args.call_s)
                    time.sleep(BUSY_S)
                    print(f"  idle: {engine_cpu(dave.engine.proc.pid, args.idle_s)}", flush=True)
                    trips = command_round_trips(dave, args.commands)
                    print(
                        f"  command to the idle engine: median {statistics.median(trips):.2f} "
                        f"ms, max {max(trips):.2f} ms ({len(trips)} round trips)",
                        flush=True,
                    )
            finally:
                dave.close()
                alice.close()
    finally:
        if pulse is not None:
            pulse.stop()
        kam.stop()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

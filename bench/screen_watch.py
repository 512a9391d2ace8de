"""The operator's screen, live: how fast a change reaches the supervisor, what it costs the
agent's PC. A private Xvfb (1920×1080) shows ``bench.operator_screen`` (the scripted CRM
screen) with a small marker window on top that changes colour every 1.5–2.5 s; the recorder
worker runs with uploads on to a real store (loopback). First nobody watches (``--idle`` s),
then a supervisor watches through the API as the viewers do (a request every 250 ms, the
frames' JPEGs decoded) for ``--watched`` s. Prints: the marker's paint → shown in the viewer
latency (median, p95, max), the live bytes the worker sent per second in both phases, and the
worker's CPU in both phases (whole process, /proc).

    .venv/bin/python -m bench.screen_watch [--idle 20] [--watched 60]
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from bench.measured_process import Xvfb, cpu_s, stop_process
from bench.outbox_recording import _Worker
from bench.record_vs_ffmpeg import OperatorScreen
from store.client import StoreClient
from tests.servers.store import StoreServer

ROOT = Path(__file__).resolve().parent.parent
AGENT, SUPERVISOR = "alice", "sam"
MARKER = (1700, 120, 160, 100)  # x, y, w, h: over the operator screen's top right
CENTRE = (MARKER[0] + MARKER[2] // 2, MARKER[1] + MARKER[3] // 2)
COLOURS = {"magenta": (255, 0, 255), "cyan": (0, 255, 255)}
POLL_S = 0.25

_MARKER_WINDOW = """
import random, sys, time, tkinter
root = tkinter.Tk()
root.overrideredirect(True)
root.geometry(sys.argv[1])
colours = ["magenta", "cyan"]
rng = random.Random(int(sys.argv[2]))
def flip(n=[0]):
    n[0] += 1
    colour = colours[n[0] % 2]
    root.configure(bg=colour)
    root.update()
    print("painted", time.time_ns() // 1000, colour, flush=True)
    root.after(int(rng.uniform(1500, 2500)), flip)
root.after(500, flip)
root.mainloop()
"""


class Marker:
    """The marker window; ``painted`` collects (utc_us, colour) as it changes."""

    def __init__(self, display: str, seed: int) -> None:
        geometry = "{}x{}+{}+{}".format(*MARKER[2:], *MARKER[:2])
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _MARKER_WINDOW, geometry, str(seed)],
            env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.painted: list[tuple[int, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            _, utc, colour = line.split()
            self.painted.append((int(utc), colour))

    def stop(self) -> None:
        stop_process(self.proc)


def colour_of(rgb: np.ndarray) -> str | None:
    for name, ref in COLOURS.items():
        if np.all(np.abs(rgb.astype(int) - np.array(ref)) <= 40):
            return name
    return None


class Viewer(threading.Thread):
    """Polls the watch like the desktop and web viewers; ``seen`` collects (utc_us, colour)
    when the marker's colour in the viewer's picture changes."""

    def __init__(self, client: StoreClient) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.watch = client.start_watch(AGENT)
        self.stopping = threading.Event()
        self.seen: list[tuple[int, str]] = []
        self.shown: str | None = None

    def _centre(self, frame: dict[str, Any]) -> str | None:
        x, y = CENTRE
        found = self.shown if not frame["key"] else None
        for p in frame["parts"]:
            if p["x"] <= x < p["x"] + p["w"] and p["y"] <= y < p["y"] + p["h"]:
                context = av.CodecContext.create("mjpeg", "r")
                data = base64.b64decode(p["jpeg"])
                picture = context.decode(av.Packet(data))[0].to_ndarray(format="rgb24")
                found = colour_of(picture[y - p["y"], x - p["x"]])
        return found

    def run(self) -> None:
        after = 0
        while not self.stopping.wait(POLL_S):
            answer = self.client.watch_frames(AGENT, self.watch["id"], after)
            now = time.time_ns() // 1000
            for frame in answer["frames"]:
                colour = self._centre(frame)
                if colour != self.shown:
                    self.shown = colour
                    if colour is not None:
                        self.seen.append((now, colour))
            after = answer["last"]

    def stop(self) -> None:
        self.stopping.set()
        self.join(10)
        self.client.end_watch(AGENT, self.watch["id"])


def latencies(painted: list[tuple[int, str]], seen: list[tuple[int, str]]) -> list[float]:
    """For each paint, the first time the viewer showed that colour after it (seconds);
    a paint overtaken by the next one before it was shown counts as not measured."""
    out = []
    for i, (at, colour) in enumerate(painted):
        until = painted[i + 1][0] if i + 1 < len(painted) else None
        shown = [t for t, c in seen if c == colour and t >= at]
        if shown and (until is None or shown[0] < until + 3_000_000):
            out.append((shown[0] - at) / 1e6)
    return out


def run(idle_s: float, watched_s: float, seed: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="agentdesk-screen-watch-"))
    store = StoreServer(tmp / "store", users={AGENT: "agent", SUPERVISOR: "supervisor"})
    store.start()
    xvfb = Xvfb()
    screen = marker = worker = None
    try:
        screen = OperatorScreen(xvfb.display, seed, idle_s + watched_s + 60, tmp / "timeline")
        marker = Marker(xvfb.display, seed)
        worker = _Worker(xvfb.display, tmp / "rec", store)
        worker.wait_for("ready")
        time.sleep(3.0)  # capturing, the spool's first segment started
        agent = StoreClient(store.base_url, store.tokens[AGENT])
        sam = StoreClient(store.base_url, store.tokens[SUPERVISOR])
        pid = worker.proc.pid

        def live() -> dict[str, Any]:
            found = [e for e in worker.events if e["event"] == "live"]
            return found[-1] if found else {"bytes": 0, "frames": 0, "encode_cpu_s": 0.0}

        cpu0, bytes0 = cpu_s(pid), live()["bytes"]
        time.sleep(idle_s)
        idle = {"cpu_s": cpu_s(pid) - cpu0, "bytes": live()["bytes"] - bytes0}
        viewer = Viewer(sam)
        assert agent.put_presence(AGENT, {})["watched"]
        cpu0, bytes0, started = cpu_s(pid), live()["bytes"], time.time_ns() // 1000
        worker.send("watch", watched=True, agent=AGENT)
        viewer.start()
        time.sleep(watched_s)
        watched = {
            "cpu_s": cpu_s(pid) - cpu0,
            "bytes": live()["bytes"] - bytes0,
            "frames": live()["frames"],
            "key_frames": live()["key_frames"],
            "encode_cpu_s": live()["encode_cpu_s"],
        }
        viewer.stop()
        worker.send("watch", watched=False)
        painted = [p for p in marker.painted if p[0] >= started + 2_000_000]
        lat = latencies(painted, viewer.seen)
        agent.close()
        sam.close()
        return {"idle_s": idle_s, "watched_s": watched_s, "idle": idle, "watched": watched,
                "latency_s": lat, "paints": len(painted)}  # fmt: skip
    finally:
        for part in (worker, marker, screen):
            if part is not None:
                stop_process(part.proc)
        xvfb.stop()
        store.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=float, default=20.0, help="seconds nobody watches")
    parser.add_argument("--watched", type=float, default=60.0, help="seconds watched")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    random.seed(args.seed)
    r = run(args.idle, args.watched, args.seed)
    lat = sorted(r["latency_s"])
    idle, watched = r["idle"], r["watched"]
    print(f"marker paints measured: {len(lat)} of {r['paints']}")
    if lat:
        p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
        print(
            f"paint → viewer: median {statistics.median(lat):.2f} s, p95 {p95:.2f} s, "
            f"max {lat[-1]:.2f} s"
        )
    print(
        f"upload, nobody watching: {idle['bytes'] * 8 / 1000 / r['idle_s']:.1f} kbit/s "
        f"({idle['bytes']} bytes in {r['idle_s']:.0f} s)"
    )
    print(
        f"upload, watched: {watched['bytes'] * 8 / 1000 / r['watched_s']:.1f} kbit/s "
        f"({watched['bytes']} bytes, {watched['frames']} frames, {watched['key_frames']} key)"
    )
    idle_pct = 100 * idle["cpu_s"] / r["idle_s"]
    watched_pct = 100 * watched["cpu_s"] / r["watched_s"]
    jpeg_pct = 100 * watched["encode_cpu_s"] / r["watched_s"]
    print(
        f"worker CPU: {idle_pct:.1f} % of a core unwatched, {watched_pct:.1f} % watched "
        f"(+{watched_pct - idle_pct:.1f} %; of which JPEG compression {jpeg_pct:.1f} %)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

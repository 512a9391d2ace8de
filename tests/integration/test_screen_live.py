"""The operator's screen, live, end to end: a real recorder worker on Xvfb sends its picture to
one API process of a store on PostgreSQL while a supervisor watches through another API process
(the relay crosses processes) and in Chromium through the web console. A red marker painted on
the agent's screen reaches both viewers; a pause is black there too; nothing is sent while
nobody watches; an agent's token cannot watch; every watch is in the audit trail."""

from __future__ import annotations

import base64
import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from formats.pipe import STORE_TOKEN_ENV
from store.client import PermissionDenied, StoreClient
from store.db import connect
from store.users import set_password
from tests.integration.recorder_kit import colour_of, xvfb
from tests.integration.store_kit import pg
from tests.integration.worker_kit import WorkerProcess, tk_windows
from tests.servers.chromium import Chromium, chromium_available, signed_in
from tests.servers.postgres import Postgres
from tests.servers.store import StoreServer
from tests.servers.xvfb import XvfbServer

pytestmark = pytest.mark.integration
__all__ = ["pg", "xvfb"]  # fixtures, imported for pytest

MARKER = (400, 300, 200, 150)  # x, y, w, h on the 1280×720 screen
CENTRE = (MARKER[0] + MARKER[2] // 2, MARKER[1] + MARKER[3] // 2)
SAM_PASSWORD = "sam-secret-555"


def decode_jpeg(data: bytes) -> npt.NDArray[np.uint8]:
    context = av.CodecContext.create("mjpeg", "r")
    frames = context.decode(av.Packet(data))
    return np.asarray(frames[0].to_ndarray(format="rgb24"), dtype=np.uint8)


class Viewer:
    """A supervisor's watch through the API: the picture painted from the frames so far."""

    def __init__(self, client: StoreClient, agent: str) -> None:
        self.client, self.agent = client, agent
        self.watch = client.start_watch(agent)
        self.after = 0
        self.picture: npt.NDArray[np.uint8] | None = None
        self.frames = 0

    def poll(self) -> None:
        answer = self.client.watch_frames(self.agent, self.watch["id"], self.after)
        for frame in answer["frames"]:
            if frame["key"]:
                self.picture = np.zeros((frame["height"], frame["width"], 3), np.uint8)
            if self.picture is None:
                continue
            for p in frame["parts"]:
                pixels = decode_jpeg(base64.b64decode(p["jpeg"]))
                self.picture[p["y"] : p["y"] + p["h"], p["x"] : p["x"] + p["w"]] = pixels[
                    : p["h"], : p["w"]
                ]
            self.frames += 1
        self.after = answer["last"]

    def colour_at(self, x: int, y: int) -> str | None:
        return None if self.picture is None else colour_of(self.picture[y, x])

    def wait_colour(self, colour: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            if self.colour_at(*CENTRE) == colour:
                return
            time.sleep(0.2)
        raise AssertionError(
            f"the viewer never showed {colour} at {CENTRE}: {self.colour_at(*CENTRE)}"
        )


def wait_for(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def two_api_processes(pg: Postgres, tmp: Path) -> Iterator[tuple[StoreServer, StoreServer]]:
    db_url = pg.database(f"screen_{uuid.uuid4().hex[:12]}")
    first = StoreServer(tmp / "a", db_url, {"alice": "agent", "sam": "supervisor"})
    second = StoreServer(tmp / "b", db_url)
    first.start()
    try:
        second.start()
        try:
            yield first, second
        finally:
            assert second.stop() in (0, -15), second.log()
            assert "Traceback" not in second.log(), second.log()
    finally:
        assert first.stop() in (0, -15), first.log()
        assert "Traceback" not in first.log(), first.log()


def live(worker: WorkerProcess) -> dict[str, Any]:
    events = worker.named("live")
    return events[-1] if events else {"watched": False, "bytes": 0, "frames": 0}


def browser_shows_red(driver: Any) -> bool:
    pixel = driver.execute_script(
        "return window.agentdeskScreen && window.agentdeskScreen.pixel(arguments[0], arguments[1])",
        *CENTRE,
    )
    return bool(pixel) and colour_of(np.array(pixel[:3], np.uint8)) == "red"


def test_a_watched_screen_reaches_the_supervisor_across_api_processes(
    pg: Postgres, xvfb: XvfbServer, tmp_path: Path
) -> None:
    if not chromium_available():
        pytest.fail("chromium or chromium-driver missing: run scripts/setup --tests")
    xvfb.set_root_colour("#404040")
    with two_api_processes(pg, tmp_path) as (first, second):
        agent = StoreClient(second.base_url, first.tokens["alice"])  # the worker's process
        sam = StoreClient(first.base_url, first.tokens["sam"])  # the viewer's process
        env = {**os.environ, STORE_TOKEN_ENV: first.tokens["alice"]}
        worker = WorkerProcess(xvfb, tmp_path / "rec", "--store-url", second.base_url, env=env)
        try:
            worker.wait_capturing()
            # Nobody watches: the presence answer says so and nothing is sent.
            assert agent.put_presence("alice", {"recording": False})["watched"] is False
            worker.send("watch", watched=False)
            with tk_windows(
                xvfb, ("marker", "{}x{}+{}+{}".format(*MARKER[2:], *MARKER[:2]), "red")
            ):
                time.sleep(1.5)
                assert live(worker)["bytes"] == 0
                # An agent's token cannot watch, its own screen or another's.
                with pytest.raises(PermissionDenied):
                    agent.start_watch("alice")
                viewer = Viewer(sam, "alice")
                answer = agent.put_presence("alice", {"recording": False})
                assert answer["watched"] is True and answer["show_watched"] is True
                worker.send("watch", watched=True, agent="alice")
                viewer.wait_colour("red")
                assert viewer.colour_at(20, 20) != "red"  # the background is not the marker
                # The web console, signed in on the other API process, shows it too.
                with contextlib.closing(connect(first.db_url or "")) as db:
                    set_password(db, "sam", SAM_PASSWORD)
                with Chromium(tmp_path / "profile") as browser:
                    driver = browser.driver
                    signed_in(driver, second.base_url, "sam", SAM_PASSWORD)
                    driver.get(f"{second.base_url}/screen/alice")
                    wait_for(lambda: browser_shows_red(driver), "the marker in the browser")
                    # A pause blacks the screen out in the live view as in the recording.
                    worker.send("pause", reason="manual")
                    viewer.wait_colour("black")
                    worker.send("resume", reason="manual")
                    viewer.wait_colour("red")
                    driver.get(f"{second.base_url}/board")  # leaving the page ends its watch
                sam.end_watch("alice", viewer.watch["id"])
                wait_for(
                    lambda: agent.put_presence("alice", {})["watched"] is False,
                    "the watches to end",
                    timeout=30,  # the page's own end, or its watch expiring (10 s unasked)
                )
                worker.send("watch", watched=False)
                wait_for(lambda: live(worker)["watched"] is False, "the worker to stop sending")
                sent = live(worker)["bytes"]
                assert sent > 0 and live(worker)["key_frames"] >= 1
                time.sleep(1.5)
                assert live(worker)["bytes"] == sent  # nothing more once nobody watches
            assert worker.stop() == 0, worker.stderr
        finally:
            worker.kill()
            agent.close()
            sam.close()
        with contextlib.closing(connect(first.db_url or "")) as db:
            rows = db.query(
                "SELECT actor, action, target, detail FROM audit WHERE action LIKE 'screen.%' "
                "ORDER BY id"
            )
            left = db.one("SELECT COUNT(*) AS n FROM screen_frames")
        actions = [(r["actor"], r["action"], r["target"]) for r in rows]
        assert actions.count(("sam", "screen.watch", "agent/alice")) == 2  # API and browser
        assert actions.count(("sam", "screen.watch_end", "agent/alice")) == 2
        assert f"watch {viewer.watch['id']} of alice from " in " ".join(r["detail"] for r in rows)
        assert left is not None and left["n"] == 0  # nothing kept afterwards

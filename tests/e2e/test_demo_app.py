"""The whole app in demo mode, as a user starts it: the simulated caller rings, the operator
(auto-answer) takes the call, and the app exits cleanly when told to; everything it keeps is
in the demo's own folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_call_rings_is_answered_and_the_app_exits_cleanly(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path),  # no settings file: the embedded demo default
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "desktop", "--demo", "--exit-after", "12", "--auto-answer"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Traceback" not in output and "Fatal" not in output, output
    ringing = re.search(r"event IncomingCall call=(\w+) .*number=\+\d+", output)
    assert ringing, output
    call = ringing.group(1)
    for expected in (
        rf"event CallStateChanged call={call} state=early code=180",
        rf"event CallStateChanged call={call} state=connecting code=200",  # answered
        rf"event CallStateChanged call={call} state=confirmed code=200",
        rf"event DtmfReceived call={call} digit=4",
        rf"event CallEnded call={call}",
        r"event EngineStopped clean=True",
        r"demo: simulated caller stopped",
    ):
        assert re.search(expected, output), f"{expected!r} not in:\n{output}"
    # The call log, the call's audio, the outbox and the store: all under agentdesk/demo.
    kept = tmp_path / "data" / "agentdesk"
    assert sorted(p.name for p in kept.iterdir()) == ["demo"], list(kept.rglob("*"))
    demo = {p.name for p in (kept / "demo").iterdir()}
    assert {"calls.sqlite3", "call-audio", "outbox", "store"} <= demo, demo

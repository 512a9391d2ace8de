"""The desktop's engine in a child process against the engine on a thread of the UI process:
call set-up as the UI sees it, and what the UI thread pays.

Starts a real Kamailio and a caller (``python -m sip.remote``, alice), then drives the operator's
engine (dave) through the desktop's ``EngineBridge`` twice: first in a child process (what the
app runs, ``make_engine``), then on a SIP thread of this process (``in_process=True``; pjsua2
allows that once per process, hence this order). For ``--calls`` calls, alice dials dave and,
on the Qt thread:

- ``ring → UI``: the ``IncomingCall``'s ``at_us`` (stamped on the SIP thread) to its delivery on
  the UI thread: what the process hop adds to every event;
- ``answer → confirmed on UI``: ``bridge.answer()`` to ``CallStateChanged confirmed`` delivered
  on the UI thread;
- ``UI thread per command``: the time ``bridge.answer()``/``bridge.hangup()`` hold the UI thread;
- ``UI process CPU per call``: this process's CPU time (all threads) per call, ring to ended.

Run from the repository root::

    .venv/bin/python -m bench.engine_process [--calls 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication  # noqa: E402

from desktop.calls.engine_bridge import EngineBridge, make_engine  # noqa: E402
from formats.clock import utc_us  # noqa: E402
from sip import events as ev  # noqa: E402
from sip.config import AccountSettings, EngineConfig  # noqa: E402
from tests.integration.sipkit import PASSWORDS, Agent  # noqa: E402
from tests.servers.kamailio import Kamailio  # noqa: E402

CONFIG = EngineConfig(bind_address="127.0.0.1", transports=("udp",), audio="null", log_level=1)


def _until(app: QCoreApplication, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the bench waited too long")
        app.processEvents()
        time.sleep(0.0002)


def run(
    app: QCoreApplication, kam: Kamailio, calls: int, in_process: bool
) -> dict[str, list[float]]:
    engine = make_engine(CONFIG, in_process=in_process, log_level="ERROR")
    bridge = EngineBridge(engine)
    seen: list[tuple[int, float, ev.Event]] = []  # (UTC µs, perf_counter) at delivery, event
    bridge.sip_event.connect(lambda e: seen.append((utc_us(), time.perf_counter(), e)))

    def find(type_: type[ev.Event], match: dict[str, Any]) -> tuple[int, float, ev.Event] | None:
        for item in seen:
            event = item[2]
            if isinstance(event, type_) and all(getattr(event, k) == v for k, v in match.items()):
                return item
        return None

    def take(type_: type[ev.Event], **match: Any) -> tuple[int, float, ev.Event]:
        _until(app, lambda: find(type_, match) is not None)
        item = find(type_, match)
        assert item is not None
        seen.remove(item)
        return item

    account = AccountSettings(user="dave", domain=kam.domain, registrar=kam.registrar_uri("udp"))
    bridge.start(account, lambda: PASSWORDS["dave"])
    take(ev.RegistrationChanged, state="registered")
    alice = Agent(kam, "alice")
    alice.wait_registered()
    figures: dict[str, list[float]] = {
        "ring → UI (ms)": [],
        "answer → confirmed on UI (ms)": [],
        "UI thread per command (µs)": [],
        "UI process CPU per call (ms)": [],
    }
    try:
        for _ in range(calls):
            cpu = time.process_time()
            out_id = alice.dial("dave")
            delivered, _, ring = take(ev.IncomingCall)
            assert isinstance(ring, ev.IncomingCall)
            figures["ring → UI (ms)"].append((delivered - ring.at_us) / 1000)
            t0 = time.perf_counter()
            bridge.answer(ring.call_id)
            t1 = time.perf_counter()
            _, confirmed, _ = take(ev.CallStateChanged, call_id=ring.call_id, state="confirmed")
            figures["answer → confirmed on UI (ms)"].append((confirmed - t0) * 1000)
            alice.wait("CallStateChanged", call_id=out_id, state="confirmed")
            t2 = time.perf_counter()
            bridge.hangup(ring.call_id)
            t3 = time.perf_counter()
            take(ev.CallEnded, call_id=ring.call_id)
            alice.wait("CallEnded", call_id=out_id)
            figures["UI thread per command (µs)"] += [(t1 - t0) * 1e6, (t3 - t2) * 1e6]
            figures["UI process CPU per call (ms)"].append((time.process_time() - cpu) * 1000)
            seen.clear()
    finally:
        alice.close()
        bridge.stop()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_process", description=__doc__)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QCoreApplication.instance() or QCoreApplication([])
    kam = Kamailio(dict(PASSWORDS))
    kam.start()
    try:
        rows = {
            "child process": run(app, kam, args.calls, in_process=False),
            "in process": run(app, kam, args.calls, in_process=True),
        }
    finally:
        kam.stop()
    print(f"{args.calls} calls alice → Kamailio → dave on 127.0.0.1 (UDP); median (p90)")
    names = list(next(iter(rows.values())))
    print(f"{'':32}" + "".join(f"{where:>22}" for where in rows))
    for name in names:
        cells = []
        for figures in rows.values():
            values = sorted(figures[name])
            p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
            cells.append(f"{statistics.median(values):10.2f} ({p90:7.2f})")
        print(f"{name:32}" + "".join(f"{c:>22}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

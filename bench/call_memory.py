"""Desktop memory per call: does the desktop's resident size grow without bound as calls go by?

The desktop's call pieces run in this process, as in the app: a real engine (pjsua2) registered
at a real Kamailio, answering at once and recording every call (two WAV sides merged at the
end), the engine bridge, the call model, the call records journalled in the upload queue's
outbox, the local call log. A second engine (``python -m sip.remote``) calls it ``--calls``
times, each call lasting ``--talk-s``; after each the wrap-up is finished, so the call leaves
the model, as the operator's card does. The outbox is not drained (nothing uploads): its rows
stay on disk, not in memory.

Printed: VmRSS after a warm-up of ``--warmup`` calls, then every ``--every`` calls, with the
growth per call since the warm-up, and Python's own allocations (tracemalloc, when
``--tracemalloc``) so a growth can be told apart as Python objects or native memory.
Only 127.0.0.1 is used. Run from the repository root::

    .venv/bin/python -m bench.call_memory [--calls 300] [--every 50] [--talk-s 0.3]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/call_memory.py``
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication  # noqa: E402

from desktop.calls.engine_bridge import EngineBridge  # noqa: E402
from desktop.calls.history import CallHistory, CallLog  # noqa: E402
from desktop.calls.model import Call, CallBook  # noqa: E402
from desktop.calls.records import CallRecords  # noqa: E402
from desktop.recording.uploads import UploadQueue  # noqa: E402
from sip import events as ev  # noqa: E402
from sip.config import AccountSettings, EngineConfig  # noqa: E402
from sip.engine import Engine  # noqa: E402
from sip.remote import RemoteEngine  # noqa: E402
from tests.integration.sipkit import BASE_CONFIG, PASSWORDS  # noqa: E402
from tests.servers.kamailio import Kamailio, kamailio_available  # noqa: E402


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pump(app: QCoreApplication, until: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError("the desktop side did not get there in time")
        app.processEvents()
        time.sleep(0.002)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--talk-s", type=float, default=0.3)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--top", type=int, default=0, help="with --tracemalloc: the N lines "
                        "whose allocations grew most since the warm-up")  # fmt: skip
    args = parser.parse_args(argv)
    if not kamailio_available():
        print("call_memory: Kamailio is not installed (scripts/setup)", file=sys.stderr)
        return 2
    app = QCoreApplication([])
    with (
        tempfile.TemporaryDirectory(prefix="call-memory-") as tmp,
        Kamailio(dict(PASSWORDS)) as kam,
    ):
        data = Path(tmp)
        config = EngineConfig(bind_address="127.0.0.1", transports=("udp",), audio="null",
                              auto_answer_s=0, recording_dir=str(data / "call-audio"),
                              log_level=1)  # fmt: skip
        bridge = EngineBridge(Engine(config))
        book = CallBook.following(bridge, bridge, agent="alice")
        queue = UploadQueue(data / "outbox", bridge)
        records = CallRecords(queue, bridge).follow(book)
        history = CallHistory(CallLog(data / "calls.sqlite3"), None, bridge)
        book.ended.connect(history.on_call_ended)
        handed: list[str] = []
        registered: list[bool] = []

        def ready(call: Call) -> None:
            handed.append(call.call_id)
            book.finish_wrap_up(call.call_id)  # the operator finishes the card

        def registration(event: object) -> None:
            if isinstance(event, ev.RegistrationChanged) and event.state == "registered":
                registered.append(True)

        book.record_ready.connect(ready)
        bridge.sip_event.connect(registration)
        bridge.start(AccountSettings(user="alice", domain=kam.domain,
                                     registrar=kam.registrar_uri(), password=PASSWORDS["alice"],
                                     retry_min_s=1.0))  # fmt: skip
        pump(app, lambda: bool(registered), 20)
        caller = RemoteEngine({**BASE_CONFIG, "transports": ["udp"], "log_level": 1})
        account = caller.call("add_account", settings={
            "user": "bob", "domain": kam.domain, "registrar": kam.registrar_uri(),
            "password": PASSWORDS["bob"], "retry_min_s": 1.0})  # fmt: skip
        caller.wait_event("RegistrationChanged", 20, state="registered")
        base = 0
        first: tracemalloc.Snapshot | None = None
        print(f"{'calls':>6} {'VmRSS kB':>9} {'Δ since warm-up':>16} {'per call':>9}"
              + ("  py-alloc kB" if args.tracemalloc else ""))  # fmt: skip
        started = time.monotonic()
        try:
            for n in range(1, args.calls + 1):
                out_id = str(caller.call("make_call", account_id=account, target="alice"))
                caller.wait_event("CallStateChanged", 10, state="confirmed", call_id=out_id)
                time.sleep(args.talk_s)
                caller.call("hangup", call_id=out_id)
                caller.wait_event("CallEnded", 10, call_id=out_id)
                caller.events.clear()  # the caller's unread events are not the desktop's
                pump(app, lambda n=n: len(handed) >= n and not book.calls, 30)
                if n == args.warmup:
                    gc.collect()
                    base = rss_kb()
                    if args.tracemalloc:
                        tracemalloc.start(8)
                        first = tracemalloc.take_snapshot()
                if n > args.warmup and (n - args.warmup) % args.every == 0:
                    gc.collect()
                    now = rss_kb()
                    per = (now - base) / (n - args.warmup)
                    line = f"{n:>6} {now:>9} {now - base:>16} {per:>9.1f}"
                    if args.tracemalloc:
                        line += f"  {tracemalloc.get_traced_memory()[0] // 1024:>11}"
                    print(line, flush=True)
            if args.tracemalloc and args.top:
                assert first is not None
                grown = tracemalloc.take_snapshot().compare_to(first, "traceback")
                for stat in grown[: args.top]:
                    print(f"{stat.size_diff // 1024:>7} kB {stat.count_diff:>7} blocks")
                    for frame in stat.traceback.format()[-8:]:
                        print("    " + frame)
        finally:
            caller.close()
            queue.close()
            bridge.stop()
            history.close()
        print(f"{args.calls} calls in {time.monotonic() - started:.0f} s; "
              f"{len(list((data / 'outbox' / 'spool').glob('*.wav')))} WAVs spooled; "
              f"records {'kept' if records else ''}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

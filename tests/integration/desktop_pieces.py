"""The desktop's call pieces in a process of their own, over one data folder: a real engine
registered at Kamailio that answers at once and records each call, the call model, the call
records and the upload queue (its recovery first, as the desktop does at start). Killed with
SIGKILL by a test and started again over the same folder.

``python -m tests.integration.desktop_pieces DATA USER PASSWORD DOMAIN REGISTRAR``; prints one
JSON line per fact on stdout: ``{"ready": ...}`` once registered, ``{"call": id}`` when a call
is journalled as in progress, ``{"ended": id}`` when its record was queued.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer

from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.model import Call, CallBook
from desktop.calls.records import CallRecords
from desktop.recording.uploads import UploadQueue
from sip import events as ev
from sip.config import AccountSettings, EngineConfig
from sip.engine import Engine


def say(**fact: object) -> None:
    print(json.dumps(fact), flush=True)


def main(argv: list[str]) -> int:
    data, user, password, domain, registrar = Path(argv[0]), *argv[1:5]
    app = QCoreApplication([])
    audio = data / "call-audio"
    audio.mkdir(parents=True, exist_ok=True)
    config = EngineConfig(bind_address="127.0.0.1", transports=("udp",), audio="null",
                          auto_answer_s=0, recording_dir=str(audio), log_level=2)  # fmt: skip
    bridge = EngineBridge(Engine(config))
    book = CallBook.following(bridge, bridge, agent=user)
    queue = UploadQueue(data / "outbox", bridge)
    queue.recover(audio)
    records = CallRecords(queue, bridge).follow(book)

    def journalled(call: Call) -> None:
        if call.answered:
            # what the queue was asked so far is written before the test is told
            queue._writer.submit(lambda: None).result(10)
            say(call=call.call_id)

    book.changed.connect(journalled)
    book.record_ready.connect(lambda call: say(ended=call.call_id))

    def registered(event: object) -> None:
        if isinstance(event, ev.RegistrationChanged) and event.state == "registered":
            say(ready=event.account_id, records=bool(records))

    bridge.sip_event.connect(registered)
    bridge.start(AccountSettings(user=user, domain=domain, registrar=registrar,
                                 password=password, retry_min_s=1.0))  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    QTimer.singleShot(120_000, app.quit)
    timer = QTimer()
    timer.start(200)  # lets Python see SIGTERM
    timer.timeout.connect(lambda: None)
    code = app.exec()
    queue.close()
    bridge.stop()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The recorder worker's process as the desktop sees it: started with the store token in its
environment (``$AGENTDESK_STORE_TOKEN``, never on its command line), its stdout read as pipe
events and its stderr passed on to the desktop's log. desktop/recording/link.py supervises it."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment

from formats import pipe, pipe_codec
from formats.pipe import STORE_TOKEN_ENV as TOKEN_ENV

log = logging.getLogger("desktop.recording.link")


def new_worker_process(parent: QObject, token: str | None) -> QProcess:
    """A process not yet started whose environment carries ``token`` (and nothing inherited
    in its place)."""
    proc = QProcess(parent)
    env = QProcessEnvironment.systemEnvironment()
    env.insert("PYTHONUNBUFFERED", "1")
    env.remove(TOKEN_ENV)
    if token:
        env.insert(TOKEN_ENV, token)
    proc.setProcessEnvironment(env)
    return proc


def read_events(proc: QProcess) -> list[pipe.Event]:
    """The whole lines the worker has written so far, as events; a line that is not one is
    logged and skipped."""
    events: list[pipe.Event] = []
    while proc.canReadLine():
        raw = bytes(proc.readLine().data()).decode(errors="replace").strip()
        if not raw:
            continue
        try:
            events.append(pipe_codec.decode(raw, pipe.Event))
        except pipe.PipeError as exc:
            log.warning("recorder: not an event (%s): %s", exc, raw[:200])
    return events


def log_stderr(proc: QProcess) -> None:
    """Pass the worker's stderr on to the log, its warnings and errors as warnings."""
    text = bytes(proc.readAllStandardError().data()).decode(errors="replace")
    for line in text.splitlines():
        if line.strip():
            bad = " WARNING " in line or " ERROR " in line or "Traceback" in line
            log.log(logging.WARNING if bad else logging.INFO, "%s", line)

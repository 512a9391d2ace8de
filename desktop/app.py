"""The composition root: settings, translators, engine bridge, window, demo caller, shutdown.

It wires the parts together and does nothing else.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from desktop import event_log, i18n, recorder_link, secret_store, settings
from desktop.demo import SimulatedCaller
from desktop.engine_bridge import EngineBridge
from desktop.main_window import MainWindow
from sip import events as ev
from sip.engine import Engine

log = logging.getLogger("agentdesk")


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("pjsua2").setLevel(logging.WARNING)
    qInstallMessageHandler(_qt_message)


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's own messages into Python logging; window-system limits of the offscreen and
    minimal platforms ("This plugin does not support raise()") are only debug noise.
    """
    level = _QT_LEVELS.get(kind, logging.WARNING)
    if message.startswith("This plugin does not support"):
        level = logging.DEBUG
    logging.getLogger("qt").log(level, "%s", message)


def write_config(path: Path | None) -> int:
    """``--write-config``: save the effective settings as a file to edit (never overwrites)."""
    loaded = settings.load(path)
    if loaded.path.exists():
        print(f"agentdesk: {loaded.path} exists; not overwriting it", file=sys.stderr)
        return 1
    settings.save(loaded.settings, loaded.path)
    print(f"agentdesk: wrote {loaded.path}", file=sys.stderr)
    return 0


def _password_lookup(account: settings.AccountSection) -> str:
    """Runs on a worker thread (a keyring may ask to be unlocked)."""
    password = secret_store.read_password(account.user, account.domain)
    if password is None:
        name = secret_store.keyring_user(account.user, account.domain)
        log.warning("no password in the keyring for %s; registering without one", name)
    return password or ""


def run(args: argparse.Namespace, qt_args: list[str]) -> int:
    setup_logging(args.log_level)
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("AgentDesk")
    loaded = settings.load(args.config, demo=args.demo)
    for note in loaded.notes:
        log.info("settings: %s", note)
    for problem in loaded.problems:
        log.error("settings: %s", problem)
    conf = loaded.settings
    translators = i18n.install(app, i18n.choose_language(conf.ui.language))

    engine = Engine(conf.engine_config(auto_answer_s=args.auto_answer))
    engine.subscribe(event_log.log_event)
    bridge = EngineBridge(engine)
    acc = conf.account
    window = MainWindow(
        bridge,
        account=secret_store.keyring_user(acc.user, acc.domain) if acc else "",
        dnd=conf.sip.dnd,
        auto_answer_s=args.auto_answer if args.auto_answer is not None else conf.sip.auto_answer_s,
    )
    window.show_problems(loaded.problems, offline=loaded.safe_mode)
    callers = _wire_demo(bridge, window, conf) if conf.demo.enabled else []
    recorder = recorder_link.wire(
        conf.recorder,
        demo=conf.demo.enabled,
        agent=acc.user if acc else "",
        display=os.environ.get("DISPLAY"),
        calls=bridge.sip_event,
        window=window,
    )
    if not loaded.safe_mode:
        lookup = (lambda: _password_lookup(acc)) if acc is not None and acc.register else None
        bridge.start(conf.account_settings(), lookup)
    if args.exit_after is not None:
        QTimer.singleShot(int(args.exit_after * 1000), window.close)
    _close_on_sigint(window)
    window.show()
    code = app.exec()
    if recorder is not None:
        recorder.stop()
    clean = _shutdown(bridge, callers)
    i18n.uninstall(app, translators)
    log.info("agentdesk: exited (%s)", "clean" if clean else "the engine did not stop in time")
    return code if clean else 1


def _wire_demo(
    bridge: EngineBridge, window: MainWindow, conf: settings.Settings
) -> list[SimulatedCaller]:
    """Start the simulated caller once the engine is up (it needs the engine's SIP port)."""
    callers: list[SimulatedCaller] = []
    acc, demo = conf.account, conf.demo
    if acc is None:
        return callers
    window.show_demo(demo.interval_s)

    def start(event: object) -> None:
        if isinstance(event, ev.EngineStarted) and not callers and "udp" in event.sip_ports:
            target = f"sip:{acc.user}@{conf.sip.bind_address}:{event.sip_ports['udp']}"
            caller = SimulatedCaller(
                target,
                first_call_s=demo.first_call_s,
                interval_s=demo.interval_s,
                talk_s=demo.talk_s,
                ring_timeout_s=demo.ring_timeout_s,
            )
            callers.append(caller)
            caller.start()

    bridge.sip_event.connect(start)
    return callers


def _shutdown(bridge: EngineBridge, callers: list[SimulatedCaller]) -> bool:
    """Stop the demo caller's child process and the engine side by side (each takes ~2 s)."""
    stoppers = [threading.Thread(target=c.stop, name="demo-stop") for c in callers]
    for t in stoppers:
        t.start()
    clean = bridge.stop()
    for t in stoppers:
        t.join(35)
    return clean


def _close_on_sigint(window: MainWindow) -> None:
    """Ctrl+C in the terminal closes the window cleanly (Qt's loop would swallow it)."""
    signal.signal(signal.SIGINT, lambda *_: window.close())
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)  # lets Python run its signal handlers
    timer.start(250)

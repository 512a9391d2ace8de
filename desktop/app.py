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
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import (
    QMessageLogContext,
    QTimer,
    QtMsgType,
    QTranslator,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from desktop import i18n, paths, secret_store, store_session
from desktop.calls import event_log
from desktop.calls.engine_bridge import EngineBridge
from desktop.crm import panel as crm_panel
from desktop.demo import services as demo_services
from desktop.demo.caller import SimulatedCaller
from desktop.operator.window import MainWindow
from desktop.recording import link as recorder_link
from desktop.recording import options as recorder_options
from desktop.recording import uploads
from desktop.settings import dialog as settings_dialog
from desktop.settings import first_run
from desktop.settings import values as settings
from desktop.widgets import my_day
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
    translators = i18n.install(app, i18n.choose_language(loaded.settings.ui.language))
    loaded = first_run.run_if_needed(loaded, args.demo, translators)  # nothing configured yet
    desk = build(loaded, translators, auto_answer_s=args.auto_answer)
    if args.exit_after is not None:
        QTimer.singleShot(int(args.exit_after * 1000), desk.window.close)
    _close_on_sigint(desk.window)
    desk.window.show()
    code = app.exec()
    clean = desk.close()
    i18n.uninstall(app, translators)
    log.info("agentdesk: exited (%s)", "clean" if clean else "the engine did not stop in time")
    return code if clean else 1


@dataclass
class Desktop:
    """Everything :func:`build` made, and the order it is taken down in."""

    window: MainWindow
    bridge: EngineBridge
    recorder: recorder_link.RecorderLink | None
    uploads: uploads.UploadQueue
    store: store_session.StoreSession | None = None
    callers: list[SimulatedCaller] = field(default_factory=list)
    services: demo_services.DemoServices | None = None

    def close(self) -> bool:
        if self.store is not None:
            self.store.close()
        if self.recorder is not None:
            self.recorder.stop()
        self.uploads.close()
        clean = _shutdown(self.bridge, self.callers)
        if self.services is not None:
            self.services.stop()
        return clean


def build(
    loaded: settings.LoadedSettings,
    translators: list[QTranslator],
    *,
    auto_answer_s: float | None = None,
    display: str | None = None,
) -> Desktop:
    """Compose the desktop from the settings: engine, window, panels, recorder, uploads, store.

    In demo mode the demo's store and CRM are started first and the settings pointed at them.
    """
    conf = loaded.settings
    services = None
    paths.use_demo(conf.demo.enabled)
    if conf.demo.enabled:
        conf, services = demo_services.start(conf, demo_services.data_dir())
    display = display if display is not None else os.environ.get("DISPLAY")
    engine = Engine(conf.engine_config(auto_answer_s=auto_answer_s))
    engine.subscribe(event_log.log_event)
    bridge = EngineBridge(engine)
    acc = conf.account
    agent = acc.user if acc else ""
    window = MainWindow(
        bridge,
        account=secret_store.keyring_user(acc.user, acc.domain) if acc else "",
        dnd=conf.sip.dnd,
        auto_answer_s=auto_answer_s if auto_answer_s is not None else conf.sip.auto_answer_s,
        agent_options=conf.agent,
    )
    window.show_problems(loaded.problems + (services.problems if services else []),
                         offline=loaded.safe_mode)  # fmt: skip
    history = my_day.add_history_panels(window, bridge, conf.store)
    settings_dialog.wire(window, loaded.path, bridge.levels, translators).saved.connect(
        history.follow_settings
    )
    callers = _wire_demo(bridge, window, conf) if conf.demo.enabled else []
    uploading = recorder_options.upload_options(conf.store, conf.upload)
    recorder = recorder_link.wire(
        conf.recorder,
        demo=conf.demo.enabled,
        agent=agent,
        display=display,
        calls=bridge.sip_event,
        window=window,
        uploads=uploading,
    )
    window.attach_recorder(recorder)
    upload_queue = uploads.wire(
        recorder,
        agent=agent,
        calls=bridge.sip_event,
        parent=window,
        options=uploading,
        section=conf.recorder,
    )
    window.attach_uploads(upload_queue)
    crm = crm_panel.wire(window, conf, bridge, recorder)
    session = store_session.wire(window, conf.store, agent=agent, bridge=bridge,
                                 recorder=recorder, uploads=upload_queue, crm=crm)  # fmt: skip
    if services is not None and services.store is not None:
        store_session.offer_demo_qa(window, services.store.url, services.token("qa"))
    if not loaded.safe_mode:
        lookup = (lambda: _password_lookup(acc)) if acc is not None and acc.register else None
        bridge.start(conf.account_settings(), lookup)
    return Desktop(window, bridge, recorder, upload_queue, session, callers, services)


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

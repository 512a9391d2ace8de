"""The composition root (this package): settings, translators, engine bridge, the call model,
window, panels, recorder, uploads, store session, demo caller, shutdown.

It wires the parts together and does nothing else: every signal between two features is connected
here or in :mod:`desktop.app.panels` and :mod:`desktop.app.recording`, and the feature modules only
take what they are given.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSocketNotifier, QTimer, QTranslator
from PySide6.QtWidgets import QApplication

from desktop import i18n, paths, secret_store
from desktop.app.panels import (
    StoreLink,
    add_crm_panel,
    add_history_panels,
    add_settings_menu,
    connect_store,
)
from desktop.app.recording import build_uploads, follow_policy, policy_follower, start_recorder
from desktop.calls import event_log
from desktop.calls.call import PbxHeaders
from desktop.calls.engine_bridge import EngineBridge, make_engine
from desktop.calls.model import CallBook
from desktop.calls.records import CallRecords
from desktop.demo import services as demo_services
from desktop.demo.caller import SimulatedCaller
from desktop.live.channel import LiveChannel
from desktop.logs import setup_logging
from desktop.operator.window import MainWindow
from desktop.recording.link import RecorderLink
from desktop.recording.options import upload_options
from desktop.recording.uploads import UploadQueue
from desktop.settings import first_run
from desktop.settings import values as settings
from desktop.store_session import StoreSession, offer_demo_qa
from sip import events as ev

__all__ = [
    "Desktop",
    "StoreLink",
    "add_crm_panel",
    "add_history_panels",
    "add_settings_menu",
    "build",
    "build_uploads",
    "connect_store",
    "follow_policy",
    "run",
    "start_recorder",
    "write_config",
]
log = logging.getLogger("agentdesk")


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
    recorder: RecorderLink | None
    uploads: UploadQueue
    link: StoreLink | None = None
    callers: list[SimulatedCaller] = field(default_factory=list)
    services: demo_services.DemoServices | None = None

    @property
    def store(self) -> StoreSession | None:
        """The session with the store (None while no store is set)."""
        return self.link.session if self.link is not None else None

    @property
    def live(self) -> LiveChannel | None:
        return self.link.live if self.link is not None else None

    def close(self) -> bool:
        self.window.hide()  # its application-wide shortcuts go with it
        if self.link is not None:
            self.link.close()
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
    """Compose the desktop from the settings: engine, call model, window, panels, recorder,
    uploads, store. In demo mode the demo's store and CRM are started first and the settings
    pointed at them."""
    conf = loaded.settings
    services = None
    paths.use_demo(conf.demo.enabled)
    if conf.demo.enabled:
        conf, services = demo_services.start(conf, demo_services.data_dir())
    display = display if display is not None else os.environ.get("DISPLAY")
    engine = make_engine(conf.engine_config(auto_answer_s=auto_answer_s))  # a child process
    engine.subscribe(event_log.log_event)
    bridge = EngineBridge(engine)
    acc = conf.account
    extension = acc.user if acc else ""  # the SIP user rides along; the agent is the token's
    rec = conf.recorder
    pbx = PbxHeaders(rec.queue_header, rec.queue_wait_header, rec.pbx_call_id_header)
    book = CallBook.following(
        bridge, bridge, extension=extension, pbx=pbx, wrap_up_max_s=conf.agent.wrap_up_max_s
    )
    window = MainWindow(
        bridge,
        book=book,
        account=secret_store.keyring_user(acc.user, acc.domain) if acc else "",
        dnd=conf.sip.dnd,
        auto_answer_s=auto_answer_s if auto_answer_s is not None else conf.sip.auto_answer_s,
        agent_options=conf.agent,
    )
    found = loaded.problems + loaded.warnings + (services.problems if services else [])
    window.show_problems(found, offline=loaded.safe_mode)
    history = add_history_panels(window, book, conf.store)
    menu = add_settings_menu(window, loaded.path, translators)
    menu.saved.connect(lambda saved: history.follow_store(saved.store.url, saved.store.ca_file))
    callers = _wire_demo(bridge, window, conf) if conf.demo.enabled else []
    uploading = upload_options(conf.store, conf.upload)
    follower = policy_follower(conf.store, window)
    recorder = start_recorder(window, book, conf, "", display, uploading, follower)
    upload_queue = build_uploads(recorder, uploading, conf.recorder, window)
    upload_queue.recovered.connect(history.on_calls_recovered)
    upload_queue.recover(conf.call_audio_dir())
    CallRecords(upload_queue, upload_queue).follow(book)
    window.attach_uploads(upload_queue)
    crm = add_crm_panel(window, book, conf, recorder, upload_queue)
    link = StoreLink(window, book, conf, recorder, upload_queue, crm, follower)
    menu.saved.connect(link.follow)
    if services is not None and services.store is not None:
        offer_demo_qa(window, services.store.url, services.token("qa"))
    if not loaded.safe_mode:
        lookup = (lambda: _password_lookup(acc)) if acc is not None and acc.register else None
        bridge.start(conf.account_settings(), lookup)
    return Desktop(window, bridge, recorder, upload_queue, link, callers, services)


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
    """Ctrl+C in the terminal closes the window cleanly. Qt's loop would swallow it: the signal
    writes a byte to a socket that wakes the loop, and Python runs its handler then (no timer
    polling for it)."""
    wake, woken = socket.socketpair()
    for end in (wake, woken):
        end.setblocking(False)
    signal.set_wakeup_fd(wake.fileno())
    notifier = QSocketNotifier(woken.fileno(), QSocketNotifier.Type.Read, window)

    def drain() -> None:
        with contextlib.suppress(OSError):
            woken.recv(64)
        _ = wake  # both ends live as long as the notifier

    notifier.activated.connect(drain)
    signal.signal(signal.SIGINT, lambda *_: window.close())

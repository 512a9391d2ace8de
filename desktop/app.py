"""The composition root: settings, translators, engine bridge, the call model, window, panels,
recorder, uploads, store session, demo caller, shutdown.

It wires the parts together and does nothing else: every signal between two features is
connected here, and the feature modules only take what they are given.
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
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QLabel

from desktop import i18n, paths, secret_store
from desktop.agent.identity import Identity
from desktop.agent.presence import PresencePublisher
from desktop.agent.state import AgentState
from desktop.calls import event_log
from desktop.calls.call import PbxHeaders
from desktop.calls.engine_bridge import EngineBridge, make_engine
from desktop.calls.history import CallHistory, CallLog, WrapUpTally, default_log_path, store_fetch
from desktop.calls.model import Call, CallBook
from desktop.calls.my_calls import MyCallsPanel, day_start, to_us
from desktop.calls.my_day import MyDayPanel
from desktop.calls.records import CallRecords
from desktop.crm.config import parse_fields
from desktop.crm.panel import CrmPanel, StoreCallers
from desktop.demo import services as demo_services
from desktop.demo.caller import SimulatedCaller
from desktop.logs import setup_logging
from desktop.operator.presence_feed import CallSnapshot, backlog_of, recording_of
from desktop.operator.window import MainWindow
from desktop.qa.window import offer_qa_menu
from desktop.recording.link import RecorderLink
from desktop.recording.options import (
    UploadOptions,
    data_dir,
    options_from_settings,
    read_token,
    upload_only_options,
    upload_options,
    with_policy,
)
from desktop.recording.policy import PolicyFollower, StorePolicy
from desktop.recording.uploads import UploadQueue
from desktop.settings import first_run
from desktop.settings import values as settings
from desktop.settings.dialog import SettingsMenu
from desktop.store_session import StoreSession, offer_demo_qa, who_words
from desktop.supervisor.window import offer_supervisor_menu
from sip import events as ev
from store.client import StoreClient

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
    store: StoreSession | None = None
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
    recorder = start_recorder(window, book, conf, "", display, uploading)
    upload_queue = build_uploads(recorder, uploading, conf.recorder, window)
    upload_queue.recovered.connect(history.on_calls_recovered)
    upload_queue.recover(conf.call_audio_dir())
    CallRecords(upload_queue, upload_queue).follow(book)
    window.attach_uploads(upload_queue)
    crm = add_crm_panel(window, book, conf, recorder, upload_queue)
    session = connect_store(window, book, conf, recorder, upload_queue, crm)
    if session is not None:
        menu.saved.connect(lambda saved: session.follow(saved.store.url, saved.store.ca_file))
    if services is not None and services.store is not None:
        offer_demo_qa(window, services.store.url, services.token("qa"))
    if not loaded.safe_mode:
        lookup = (lambda: _password_lookup(acc)) if acc is not None and acc.register else None
        bridge.start(conf.account_settings(), lookup)
    return Desktop(window, bridge, recorder, upload_queue, session, callers, services)


def add_history_panels(
    window: MainWindow, book: CallBook, store: settings.StoreSection, log_path: Path | None = None
) -> CallHistory:
    """ "My calls" and "My day" as side panels, fed by the calls that end in ``book`` (a later
    store address comes through :meth:`CallHistory.follow_store`)."""
    call_log = CallLog(log_path or default_log_path())
    history = CallHistory(call_log, store_fetch(store.url, store.ca_file), window)
    book.ended.connect(history.on_call_ended)
    my_calls = MyCallsPanel(history)
    window.add_side_panel(my_calls, QCoreApplication.translate("MyCallsPanel", "My calls"))
    tally = WrapUpTally()
    day = MyDayPanel(history, wrapups=lambda: tally.seconds_since(to_us(day_start())))
    tally.on_done = day.recount
    window.agent.subscribe(tally.on_change)
    window.add_side_panel(day, QCoreApplication.translate("MyDayPanel", "My day"))
    return history


def add_settings_menu(
    window: MainWindow, path: Path, translators: list[QTranslator]
) -> SettingsMenu:
    """ "Settings…" in the Phone menu; the dialog shows the sound levels of the window's engine."""
    menu = SettingsMenu(path, window.bridge.levels, window, translators)
    window.add_menu_action(QCoreApplication.translate("MainWindow", "&Phone"), menu.action)
    return menu


def start_recorder(
    window: MainWindow,
    book: CallBook,
    conf: settings.Settings,
    agent: str,
    display: str | None,
    uploading: UploadOptions,
) -> RecorderLink | None:
    """The screen recorder's link when the settings or the store's policy ask for it (None
    when off), following the calls of ``book`` and the store's policy; its status goes to the
    window's status bar."""
    store = conf.store
    follower = None
    if store.url:  # the store's policy (its cached copy until the store answers)
        follower = PolicyFollower(store.url, store.ca_file, data_dir(), read_token, parent=window)
    options, note = options_from_settings(
        conf.recorder, demo=conf.demo.enabled, agent=agent, display=display, uploads=uploading,
        policy=follower.policy if follower is not None else None,
    )  # fmt: skip
    label = QLabel(window)
    label.setObjectName("recorderStatus")
    window.statusBar().addPermanentWidget(label)
    if options is None:
        log.info("settings: %s", note)
        text = QCoreApplication.translate("RecorderLink", "Screen not recorded: %1")
        label.setText(text.replace("%1", note))
        window.attach_recorder(None, label.text())
    link = RecorderLink(options, book, window) if options is not None else None
    if follower is not None:
        follow_policy(follower, link, conf.recorder.mask_titles, book)
        follower.start()
    if link is None:
        return None
    link.status_changed.connect(label.setText)
    link.start()
    window.attach_recorder(link)
    return link


def build_uploads(
    recorder: RecorderLink | None,
    options: UploadOptions | None,
    section: settings.RecorderSection,
    parent: QObject,
) -> UploadQueue:
    """The upload queue in ``options``' outbox (else the recorder's default one), showing the
    worker's upload status; without a recorder it starts the upload-only worker (when a store
    is set)."""
    if options is not None:
        folder = options.outbox_dir
    elif recorder is not None:
        folder = recorder.options.out_dir / "outbox"  # the worker's default
    else:
        folder = data_dir() / "outbox"
    quota = round(options.quota_mb * 1e6) if options is not None else 0
    queue = UploadQueue(folder, parent, quota_bytes=quota)
    link = recorder
    only = upload_only_options(section, options) if link is None else None
    if only is not None:  # no screen recorded: the upload-only worker (--no-capture)
        link = queue.uploader = RecorderLink(only, parent=queue)
        link.start()
    if link is not None:
        link.worker_event.connect(queue.on_worker_event)
    queue.refresh()
    return queue


def add_crm_panel(
    window: MainWindow,
    book: CallBook,
    conf: settings.Settings,
    recorder: RecorderLink | None,
    uploads: UploadQueue,
) -> CrmPanel:
    """The CRM card docked in ``window``; the operator's wrap-up lasts until its dialog card
    is finished (a disposition is required), and finishing the last card ends it at once."""
    crm, card = conf.crm, conf.dialog_card
    store = StoreCallers(conf.store.url, conf.store.ca_file) if conf.store.url else None
    panel = CrmPanel(parse_fields(card.fields), card.dispositions, book=book, store=store,
                     uploads=uploads, recorder=recorder,
                     country_code=crm.country_code, post_back=crm.post_back)  # fmt: skip
    panel.draft_changed.connect(uploads.card_draft)
    window.add_side_panel(panel, QCoreApplication.translate("CrmPanel", "Caller"))
    _tie_to_wrap_up(window.agent, book)
    panel.start_crm(crm)
    return panel


def _tie_to_wrap_up(agent: AgentState, book: CallBook) -> None:
    def blocker() -> str:
        if any(call.answered for call in book.in_wrap_up()):
            return QCoreApplication.translate("CrmPanel", "the dialog card is not finished")
        return ""

    agent.wrap_up_blocker = blocker

    def finished(call: Call) -> None:
        if call.answered and not blocker():
            agent.end_wrap_up()

    book.wrap_up_finished.connect(finished)


def connect_store(
    window: MainWindow,
    book: CallBook,
    conf: settings.Settings,
    recorder: RecorderLink | None,
    uploads: UploadQueue,
    crm: CrmPanel,
) -> StoreSession | None:
    """The session with the store of ``[store]`` (None when none is configured): who the
    operator is (the token's owner; what is wrong, in the window and the upload backlog), the
    supervisor menu, this agent's live presence, and past calls opened for review."""
    store, acc = conf.store, conf.account
    if acc is None:  # nothing to phone with (QA, supervisors): who they are, once /me says
        window.show_softphone(False)
    if not store.url:
        return None
    extension = acc.user if acc else ""
    session = StoreSession(store.url, store.ca_file, extension, window, needs_agent=acc is not None)
    session.problem_changed.connect(lambda words, _short: window.show_store_problem(words))
    session.problem_changed.connect(lambda _words, short: uploads.set_identity_problem(short))

    def identity(who: Identity) -> None:
        book.agent = who.name
        if acc is not None:  # states journalled from now on name the operator as the store does
            window.agent_name = who.name
        window.show_softphone(acc is not None, who_words(who))
        uploads.retry_now()  # whatever waited for this identity may go now
        worker = recorder if recorder is not None else uploads.uploader
        if session.token_renewed and worker is not None:
            worker.restart_for_new_token()

    session.identity_changed.connect(identity)

    def ready(client: StoreClient) -> None:
        offer_supervisor_menu(window, client)
        if acc is None:
            return
        presence = session.presence = PresencePublisher(
            session, session.agent_name, on_error=session.refused.emit
        )
        session.calls = CallSnapshot(presence, book)
        if recorder is not None:
            recording = recording_of(presence, recorder)
            recorder.status_changed.connect(recording)
            recorder.worker_event.connect(recording)
        uploads.status_changed.connect(backlog_of(presence))
        presence.start()

    def refused(status: dict[str, Any]) -> None:
        if status.get("last_error") and status.get("items"):
            session.refused.emit(status["last_error"])

    uploads.status_changed.connect(refused)
    session.open(ready)
    offer_qa_menu(window, session.show_review)
    crm.play_requested.connect(session.play)
    return session


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


def follow_policy(
    follower: PolicyFollower,
    link: RecorderLink | None,
    local_masks: tuple[str, ...],
    book: CallBook,
) -> None:
    """Apply the store's recording policy now and at every change: to the recorder ``link``,
    and to ``book`` (the wrap-up maximum, the INVITE headers naming queue, wait and PBX call)."""

    def apply(policy: StorePolicy) -> None:
        book.wrap_up_max_s = policy.wrap_up_max_s
        book.pbx = PbxHeaders(policy.queue_header, policy.queue_wait_header,
                              policy.pbx_call_id_header)  # fmt: skip
        if link is not None:
            link.set_policy(with_policy(link.options, policy, local_masks))

    book.wrap_up_max_s = follower.policy.wrap_up_max_s
    book.pbx = PbxHeaders(follower.policy.queue_header, follower.policy.queue_wait_header,
                          follower.policy.pbx_call_id_header)  # fmt: skip
    follower.changed.connect(apply)

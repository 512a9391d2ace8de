"""The window's panels as the composition root adds them: call history (My calls, My day),
the settings menu, the CRM card tied to the wrap-up, and the session with the store (identity,
presence, the QA and supervisor menus, the outbound card)."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QTranslator

from desktop.agent.identity import Identity
from desktop.agent.presence import PresencePublisher
from desktop.agent.state import AgentState
from desktop.app.live import SessionReports, add_monitoring, follow_pushes, open_live_channel
from desktop.app.outbound import add_outbound_panel
from desktop.calls.history import CallHistory, CallLog, WrapUpTally, default_log_path, store_fetch
from desktop.calls.model import Call, CallBook
from desktop.calls.my_calls import MyCallsPanel, day_start, to_us
from desktop.calls.my_day import MyDayPanel
from desktop.crm.config import parse_fields
from desktop.crm.panel import CrmPanel
from desktop.crm.store_callers import StoreCallers
from desktop.live.channel import LiveChannel
from desktop.live.monitoring import MonitorEngine
from desktop.operator.presence_feed import CallSnapshot, backlog_of, recording_of
from desktop.operator.screen_watched import ScreenWatched
from desktop.operator.window import MainWindow
from desktop.qa.window import offer_qa_menu
from desktop.recording.link import RecorderLink
from desktop.recording.policy import PolicyFollower
from desktop.recording.uploads import UploadQueue
from desktop.settings import values as settings
from desktop.settings.dialog import SettingsMenu
from desktop.store_session import StoreSession, who_words
from desktop.supervisor.window import offer_supervisor_menu
from store.client import StoreClient

log = logging.getLogger("agentdesk")


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
    live: LiveChannel | None = None,
    follower: PolicyFollower | None = None,
) -> StoreSession | None:
    """The session with the store of ``[store]`` (None when none is configured): who the
    operator is (the token's owner; what is wrong, in the window and the upload backlog), the
    supervisor menu, this agent's live presence and monitoring sessions (over ``live``,
    started once the store knows the operator), and past calls opened for review."""
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
        events = live.received if live is not None else None
        if acc is not None:  # this desktop's softphone calls the agents it monitors
            engine = MonitorEngine(window.bridge.engine)
            offer_supervisor_menu(window, client, engine.call, window.bridge.sip_event, events)
        else:
            offer_supervisor_menu(window, client, live_events=events)
        if live is not None:
            if acc is not None:
                add_monitoring(window, live, SessionReports(session), follower)
            live.start()
        if acc is None:
            return
        watched = ScreenWatched(window.watched_line, recorder, session.agent_name, window)
        add_outbound_panel(window, book, client, crm, live)
        presence = session.presence = PresencePublisher(
            session, session.agent_name, on_error=session.refused.emit, on_answer=watched.on_answer
        )
        session.calls = CallSnapshot(presence, book)
        if recorder is not None:
            recording = recording_of(presence, recorder)
            recorder.status_changed.connect(recording)
            recorder.worker_event.connect(recording)
        uploads.status_changed.connect(backlog_of(presence))
        if live is not None:
            follow_pushes(live, presence)
        presence.start()

    def refused(status: dict[str, Any]) -> None:
        if status.get("last_error") and status.get("items"):
            session.refused.emit(status["last_error"])

    uploads.status_changed.connect(refused)
    session.open(ready)
    offer_qa_menu(window, session.show_review)
    crm.play_requested.connect(session.play)
    return session


class StoreLink:
    """The desktop's session and live channel with the store of ``[store]``: they follow the
    settings when saved, and are made then if the desktop started with no store set."""

    def __init__(
        self,
        window: MainWindow,
        book: CallBook,
        conf: settings.Settings,
        recorder: RecorderLink | None,
        uploads: UploadQueue,
        crm: CrmPanel,
        follower: PolicyFollower | None = None,
    ) -> None:
        self.window, self.book, self.conf = window, book, conf
        self.recorder, self.uploads, self.crm, self.follower = recorder, uploads, crm, follower
        self.live: LiveChannel | None = None
        self.session: StoreSession | None = None
        self._connect(conf)

    def _connect(self, conf: settings.Settings) -> None:
        self.live = open_live_channel(self.window, conf.store, self.follower)
        self.session = connect_store(self.window, self.book, conf, self.recorder, self.uploads,
                                     self.crm, self.live, self.follower)  # fmt: skip

    def follow(self, saved: settings.Settings) -> None:
        """The settings were saved: a new address or CA file for the session and the channel,
        or, the first store set, both made now (the SIP account stays the running one's)."""
        store = saved.store
        if self.session is None:
            if store.url:
                self._connect(replace(self.conf, store=store))
            return
        self.session.follow(store.url, store.ca_file)
        if self.live is not None:
            self.live.follow(store.url, store.ca_file)

    def close(self) -> None:
        if self.live is not None:
            self.live.close()
        if self.session is not None:
            self.session.close()

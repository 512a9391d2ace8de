"""The CRM side panel: on a ringing or dialled call it asks the CRM and the store off the UI
thread and fills the card as answers come; after the call it collects the dialog card and the
caller ratings and saves them through the uploads queue (and, if configured, to the CRM).

A CRM that is down, slow or talking nonsense only changes what the card says: nothing here
waits on it, and the call controls never do.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.crm.base import CrmAdapter, safe_lookup
from desktop.crm.config import FieldSpec
from desktop.crm.numbers import to_e164
from desktop.crm.types import CallReport, CrmContact, LookupResult, Outcome
from desktop.threads import assert_gui_thread, run_in_thread
from desktop.widgets.caller_rating import CallerRating
from desktop.widgets.crm_card import CrmCard
from desktop.widgets.dialog_card import DialogCard
from formats.clock import utc_us
from sip import events as ev

log = logging.getLogger(__name__)


class CallPatcher(Protocol):
    """desktop.recording.uploads.UploadQueue: call metadata through the durable outbox."""

    def patch_call(self, call_id: str, **fields: Any) -> object: ...


class CallerLookup(Protocol):
    """store.client.StoreClient: the caller's recent calls and ratings."""

    def caller_summary(self, number: str) -> Any: ...


class RecordingPause(Protocol):
    """desktop.recording.link.RecorderLink: black out the screen while card data is typed."""

    def pause(self) -> None: ...
    def resume(self) -> None: ...


@dataclass
class CallInfo:
    call_id: str
    raw: str
    number: str  # E.164, '' when not a phone number
    direction: str
    started_us: int
    answered_us: int | None = None
    ended: bool = False
    contact: CrmContact | None = None
    recording: str = ""
    lookup_done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class CrmPanel(QWidget):
    saved = Signal(str)  # call id, once the card and ratings went to the uploads queue
    play_requested = Signal(str)  # a past call to play (the playback window's business)

    def __init__(
        self,
        specs: list[FieldSpec],
        dispositions: tuple[str, ...],
        *,
        adapter: CrmAdapter | None = None,
        store: CallerLookup | None = None,
        uploads: CallPatcher | None = None,
        recorder: RecordingPause | None = None,
        country_code: str = "7",
        post_back: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("crmPanel")
        self.adapter = adapter
        self.store = store
        self.uploads = uploads
        self.recorder = recorder
        self.country_code = country_code
        self.post_back = post_back
        self.calls: dict[str, CallInfo] = {}
        self.card_call = ""  # the call the dialog card belongs to
        self.card = CrmCard(self)
        self.dialog = DialogCard(specs, dispositions, self)
        self.rating = CallerRating(self)
        self.rating.setEnabled(False)
        self.finish = QPushButton(self.tr("Finish wrap-up"), self)
        self.finish.setObjectName("finishWrapUp")
        self.finish.setEnabled(False)
        self.message = QLabel(self)
        self.message.setObjectName("crmPanelMessage")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.card, 3)
        layout.addWidget(self.dialog)
        layout.addWidget(self.rating)
        layout.addWidget(self.finish)
        layout.addWidget(self.message)
        self.finish.clicked.connect(self.finish_wrap_up)
        self.card.open_url.connect(self._open)
        self.card.create_contact.connect(self._create_contact)
        self.card.play_call.connect(self.play_requested)
        self.dialog.sensitive_focus.connect(self._sensitive)

    @property
    def crm_name(self) -> str:
        return self.adapter.name if self.adapter is not None else ""

    # --- call events ----------------------------------------------------------------------
    @Slot(object)
    def on_sip_event(self, event: ev.Event) -> None:
        assert_gui_thread()
        if isinstance(event, ev.IncomingCall):
            self.begin(event.call_id, event.number or event.remote_uri, "inbound",
                       event.display_name, event.at_us)  # fmt: skip
        elif isinstance(event, ev.CallStateChanged) and event.state == "confirmed":
            info = self.calls.get(event.call_id)
            if info is not None and info.answered_us is None:
                info.answered_us = event.at_us
        elif isinstance(event, ev.RecordingFinished) and event.call_id in self.calls:
            self.calls[event.call_id].recording = event.path
        elif isinstance(event, ev.CallEnded) and event.call_id in self.calls:
            self.calls[event.call_id].ended = True
            if event.call_id == self.card_call:
                self._wrap_up()

    @Slot(str, str)
    def on_dialled(self, call_id: str, target: str) -> None:
        """An outgoing call (the bridge's ``dialled``): the same card for the called party."""
        self.begin(call_id, target, "outbound", "", utc_us())

    def begin(self, call_id: str, raw: str, direction: str, name: str, at_us: int) -> None:
        number = to_e164(raw, self.country_code) or ""
        info = CallInfo(call_id, raw, number, direction, at_us)
        self.calls[call_id] = info
        if not self.card_call or self.card_call not in self.calls:
            self._take_card(call_id)
        self.card.show_ringing(number, raw, name, self.crm_name)
        if self.adapter is not None and number:
            adapter = self.adapter
            run_in_thread(lambda: safe_lookup(adapter, number), lambda f: self._found(info, f))
            QTimer.singleShot(round(adapter.timeout_s * 1000), self, lambda: self._late(info))
        if self.store is not None and number:
            store = self.store
            run_in_thread(lambda: store.caller_summary(number), lambda f: self._history(info, f))

    def _take_card(self, call_id: str) -> None:
        self.card_call = call_id
        self.dialog.reset()
        self.rating.reset()
        self.rating.setEnabled(False)
        self.finish.setEnabled(False)
        self.message.clear()

    # --- answers --------------------------------------------------------------------------
    def _current(self, info: CallInfo) -> bool:
        """Answers for a call the card no longer shows are dropped."""
        return self.card.number == info.number and info.call_id in self.calls

    def _found(self, info: CallInfo, future: Future[LookupResult]) -> None:
        info.lookup_done = True
        result = future.result()  # safe_lookup never raises
        if not self._current(info):
            return
        self.card.show_lookup(result, self.crm_name)
        if result.outcome is Outcome.found and result.contact is not None:
            info.contact = result.contact
            self._prefill(info)
            adapter = self.adapter
            assert adapter is not None
            contact = result.contact
            run_in_thread(lambda: adapter.details(contact), lambda f: self._details(info, f))

    def _late(self, info: CallInfo) -> None:
        if not info.lookup_done and self._current(info):
            text = self.tr("%1 did not answer within %2 s")
            assert self.adapter is not None
            self.card.show_problem(
                text.replace("%1", self.crm_name).replace("%2", f"{self.adapter.timeout_s:g}")
            )

    def _details(self, info: CallInfo, future: Future[CrmContact]) -> None:
        exc = future.exception()
        if not self._current(info):
            return
        if exc is not None:
            self.card.show_problem(str(exc))
            return
        info.contact = future.result()
        self.card.show_contact(info.contact)
        self._prefill(info)

    def _prefill(self, info: CallInfo) -> None:
        if info.call_id == self.card_call and info.contact is not None:
            self.dialog.prefill(info.contact.values)

    def _history(self, info: CallInfo, future: Future[Any]) -> None:
        exc = future.exception()
        if not self._current(info):
            return
        if exc is not None:
            self.card.show_history_problem(str(exc) or type(exc).__name__)
        else:
            self.card.show_history(future.result())

    # --- operator actions -----------------------------------------------------------------
    def _open(self, url: str) -> None:
        if url:
            QDesktopServices.openUrl(QUrl(url))

    def _create_contact(self, number: str) -> None:
        adapter = self.adapter
        if adapter is None or not number:
            return

        def created(future: Future[str]) -> None:
            exc = future.exception()
            if exc is not None:
                text = self.tr("Could not create the contact: %1")
                self.message.setText(text.replace("%1", str(exc)))
                return
            self._open(future.result())

        run_in_thread(lambda: adapter.create_contact(number, ""), created)

    def _sensitive(self, focused: bool) -> None:
        if self.recorder is not None:
            (self.recorder.pause if focused else self.recorder.resume)()

    # --- wrap-up --------------------------------------------------------------------------
    def _wrap_up(self) -> None:
        self.rating.setEnabled(True)
        self.finish.setEnabled(True)
        self.message.setText(self.tr("Wrap-up: choose a disposition, rate the caller, finish."))

    @Slot()
    def finish_wrap_up(self) -> bool:
        """Save the dialog card and ratings; refused (and said why) while something required
        is missing."""
        info = self.calls.get(self.card_call)
        if info is None:
            return False
        missing = self.dialog.missing()
        if missing:
            text = self.tr("Fill in before finishing: %1").replace("%1", ", ".join(missing))
            self.message.setText(text)
            return False
        fields: dict[str, Any] = {"card": self.dialog.card(),
                                  "disposition": self.dialog.chosen_disposition(),
                                  **self.rating.values()}  # fmt: skip
        # the queue may be attached to the window after the panel was built
        uploads = self.uploads or getattr(self.window(), "uploads", None)
        if uploads is not None and hasattr(uploads, "patch_call"):
            uploads.patch_call(info.call_id, **fields)
        else:
            log.warning(
                "no upload queue: the dialog card of %s stays out of the store", info.call_id
            )
        if self.post_back and self.adapter is not None:
            self._post(info, fields)
        del self.calls[info.call_id]
        self.saved.emit(info.call_id)
        waiting = next(iter(self.calls), "")
        self._take_card(waiting)
        if waiting:
            self._prefill(self.calls[waiting])
            if self.calls[waiting].ended:
                self._wrap_up()
        else:
            self.card.clear()
            self.message.setText(self.tr("Saved."))
        return True

    def _post(self, info: CallInfo, fields: dict[str, Any]) -> None:
        adapter = self.adapter
        assert adapter is not None
        ended = utc_us()
        answered = info.answered_us is not None
        report = CallReport(
            call_id=info.call_id,
            number=info.number or info.raw,
            direction=info.direction,
            started_us=info.started_us,
            duration_s=round((ended - (info.answered_us or ended)) / 1e6),
            answered=answered,
            disposition=fields["disposition"],
            card={k: str(v["value"]) for k, v in fields["card"].items()},
            contact=info.contact,
        )
        recording = Path(info.recording) if info.recording else None

        def posted(future: Future[str]) -> None:
            exc = future.exception()
            if exc is not None:
                log.warning("posting the call to the CRM failed: %s", exc)
                text = self.tr("The call was saved, but %1 did not take it: %2")
                self.message.setText(text.replace("%1", self.crm_name).replace("%2", str(exc)))

        run_in_thread(lambda: adapter.post_call(report, recording), posted)


class StoreCallers:
    """Caller summaries from the store at ``url``, with the token from the keyring (worker
    thread only: the keyring and the network may block)."""

    def __init__(self, url: str, ca_file: str = "") -> None:
        self.url = url
        self.ca_file = ca_file

    def caller_summary(self, number: str) -> Any:
        from desktop import secret_store
        from store.client import StoreClient

        token = secret_store.read_store_token(self.url)
        if not token:
            raise RuntimeError(f"no store token in the keyring for {self.url}")
        with StoreClient(self.url, token, ca_bundle=self.ca_file or None, timeout=(2.0, 5.0)) as c:
            return c.caller_summary(number)


def _tie_to_wrap_up(panel: CrmPanel, agent: Any) -> None:
    """The wrap-up does not end before the dialog card is saved (a disposition is required),
    and saving the last card ends it at once."""
    if agent is None:
        return

    def blocker() -> str:
        if any(info.ended and info.answered_us is not None for info in panel.calls.values()):
            return QCoreApplication.translate("CrmPanel", "the dialog card is not finished")
        return ""

    agent.wrap_up_blocker = blocker
    panel.saved.connect(lambda _call_id: None if blocker() else agent.end_wrap_up())


def wire(window: Any, conf: Any, bridge: Any, recorder: RecordingPause | None) -> CrmPanel:
    """Build the panel from the settings, dock it in ``window`` and feed it the bridge's call
    events. The CRM's secret is read from the keyring off the UI thread."""
    from desktop import secret_store
    from desktop.crm.config import build_adapter, keyring_user, parse_fields

    crm, card = conf.crm, conf.dialog_card
    store = StoreCallers(conf.store.url, conf.store.ca_file) if conf.store.url else None
    panel = CrmPanel(parse_fields(card.fields), card.dispositions, store=store,
                     recorder=recorder,
                     country_code=crm.country_code, post_back=crm.post_back)  # fmt: skip
    window.add_side_panel(panel, QCoreApplication.translate("CrmPanel", "Caller"))
    _tie_to_wrap_up(panel, getattr(window, "agent", None))
    bridge.sip_event.connect(panel.on_sip_event)
    bridge.dialled.connect(panel.on_dialled)
    if crm.adapter == "none":
        return panel

    def build() -> CrmAdapter | None:
        try:
            secret = secret_store.read_named_secret(keyring_user(crm), "CRM secret") or ""
        except secret_store.SecretStoreError:
            if crm.adapter == "bitrix24":  # its webhook does not work without the secret
                raise
            secret = ""  # a REST CRM may need no token (the demo CRM does not)
        return build_adapter(crm, secret)

    def built(future: Future[CrmAdapter | None]) -> None:
        exc = future.exception()
        if exc is not None:
            log.error("the CRM card has no CRM: %s", exc)
            text = QCoreApplication.translate("CrmPanel", "No CRM: %1")
            panel.message.setText(text.replace("%1", str(exc)))
        else:
            panel.adapter = future.result()

    run_in_thread(build, built)
    return panel

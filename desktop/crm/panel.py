"""The CRM side panel: on a ringing or dialled call it asks the CRM and the store off the UI
thread and fills the card as answers come; after the call it collects the dialog card and the
caller ratings and saves them through the uploads queue (and, if configured, to the CRM).

A CRM that is down, slow or talking nonsense only changes what the card says: nothing here
waits on it, and the call controls never do.

A sensitive card field pauses the recording (reason ``sensitive_field``, apart from the
operator's own pause) while it has focus; its value goes to the store and the CRM only as its
``sensitive=`` flag says (desktop/crm/sensitive.py; the hashing key is read from the keyring
off the UI thread). Events noted on the call after its record was queued (a mark or a pause in
wrap-up) follow as a patch of its ``events``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from desktop.calls.model import Call, CallBook
from desktop.crm.base import CrmAdapter, safe_lookup
from desktop.crm.caller_rating import CallerRating
from desktop.crm.card import CrmCard
from desktop.crm.config import CrmSection, FieldSpec
from desktop.crm.dialog_card import DialogCard
from desktop.crm.forms import CardForm
from desktop.crm.numbers import to_e164
from desktop.crm.post_back import adapter_with_secret, call_report
from desktop.crm.sensitive import read_hash_key
from desktop.crm.types import CrmContact, LookupResult, Outcome
from desktop.threads import assert_gui_thread, run_in_thread
from formats.clock import utc_us

log = logging.getLogger(__name__)
DRAFT_DELAY_MS = 1000


class CallPatcher(Protocol):
    """desktop.recording.uploads.UploadQueue: call metadata through the durable outbox."""

    def patch_call(self, call_id: str, **fields: Any) -> object: ...


class CallerLookup(Protocol):
    """store.client.StoreClient: the caller's recent calls and ratings."""

    def caller_summary(self, number: str) -> Any: ...


class RecordingPause(Protocol):
    """desktop.recording.link.RecorderLink: black out the screen while card data is typed."""

    def pause(self, reason: str = "manual") -> None: ...
    def resume(self, reason: str = "manual") -> None: ...


SENSITIVE_FIELD = "sensitive_field"  # the pause reason (formats.pipe.PAUSE_REASONS)


class CrmPanel(QWidget):
    saved = Signal(str)  # call id, once the card and ratings went to the uploads queue
    # call id, {"card", "disposition"}: the card so far (kept with the call in progress, so
    # that a crash before the card is finished does not lose it); a second after an edit
    draft_changed = Signal(str, dict)
    play_requested = Signal(str)  # a past call to play (the playback window's business)

    def __init__(
        self,
        specs: list[FieldSpec],
        dispositions: tuple[str, ...],
        *,
        book: CallBook,
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
        self.book = book
        self.call: Call | None = None  # the call the dialog card belongs to
        self.card = CrmCard(self)
        self.dialog = DialogCard(specs, dispositions, self)
        self.default_form = CardForm(tuple(specs), tuple(dispositions))
        # a call's own form (an outbound task's campaign), else the settings'
        self.form_of: Callable[[Call], CardForm | None] = lambda _call: None
        self.script = QPlainTextEdit(self)
        self.script.setObjectName("crmScript")
        self.script.setReadOnly(True)
        self.script.hide()
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
        layout.addWidget(self.script, 1)
        layout.addWidget(self.dialog)
        layout.addWidget(self.rating)
        layout.addWidget(self.finish)
        layout.addWidget(self.message)
        self.finish.clicked.connect(self.finish_wrap_up)
        self.card.open_url.connect(self._open)
        self.card.create_contact.connect(self._create_contact)
        self.card.play_call.connect(self.play_requested)
        self.dialog.sensitive_focus.connect(self._sensitive)
        if any(s.sensitive and s.protect == "hash" for s in specs):
            run_in_thread(read_hash_key, self._hash_key_read)
        book.notes_late.connect(self._notes_late)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self._draft)
        self.dialog.value_changed.connect(lambda *_: self._draft_timer.start())
        book.added.connect(self._added)
        book.dialled.connect(self._dialled)
        book.changed.connect(self._changed)
        book.ended.connect(self._ended)

    @property
    def crm_name(self) -> str:
        return self.adapter.name if self.adapter is not None else ""

    @property
    def card_call(self) -> str:
        """The id of the call the dialog card belongs to ('' = none)."""
        return self.call.call_id if self.call is not None else ""

    # --- calls ----------------------------------------------------------------------------
    @Slot(object)
    def _added(self, call: Call) -> None:
        if call.ringing:
            self.begin(call, call.number or call.remote_uri)

    @Slot(object)
    def _dialled(self, call: Call) -> None:
        """An outgoing call: the same card for the called party."""
        self.begin(call, call.number)

    @Slot(object)
    def _changed(self, call: Call) -> None:
        """A caller can be rated once the call on the card was answered, not while it rings."""
        if call is self.call:
            self.rating.setEnabled(call.answered)

    @Slot(object)
    def _ended(self, call: Call) -> None:
        if call is not self.call:
            return
        if call.taken:
            self._wrap_up()
            return
        # never answered: no wrap-up and nothing to rate; the card goes to a live call, if any
        waiting = next((c for c in self.book.calls.values() if c is not call and c.live), None)
        self._take_card(waiting)

    def begin(self, call: Call, raw: str) -> None:
        assert_gui_thread()
        number = to_e164(raw, self.country_code) or ""
        if self.call is None:
            self._take_card(call)
        self.card.show_ringing(number, raw, call.display_name, self.crm_name)
        if self.adapter is not None and number:
            adapter, done = self.adapter, [False]

            def found(future: Future[LookupResult]) -> None:
                done[0] = True
                self._found(call, number, future)

            run_in_thread(lambda: safe_lookup(adapter, number), found)
            QTimer.singleShot(
                round(adapter.timeout_s * 1000), self, lambda: self._late(call, number, done[0])
            )
        if self.store is not None and number:
            store = self.store
            run_in_thread(
                lambda: store.caller_summary(number), lambda f: self._history(call, number, f)
            )

    def _draft(self) -> None:
        call = self.call
        if call is not None and self.dialog.changes:
            draft: dict[str, Any] = {"card": self.dialog.card()}
            if self.dialog.chosen_disposition():
                draft["disposition"] = self.dialog.chosen_disposition()
            self.draft_changed.emit(call.call_id, draft)

    def _take_card(self, call: Call | None) -> None:
        if self._draft_timer.isActive():  # the last edit of the card being put away
            self._draft_timer.stop()
            self._draft()
        self.call = call
        self._use_form((self.form_of(call) if call is not None else None) or self.default_form)
        self.rating.reset()
        self.rating.setEnabled(False)
        self.finish.setEnabled(False)
        self.message.clear()

    def _use_form(self, form: CardForm) -> None:
        """The card empty, in this form (its fields, dispositions and script)."""
        if (form.specs, form.dispositions) == (tuple(self.dialog.specs.values()),
                                               self.dialog.dispositions):  # fmt: skip
            self.dialog.reset()
        else:
            self.dialog.set_form(list(form.specs), form.dispositions)
            hashed = any(s.sensitive and s.protect == "hash" for s in form.specs)
            if hashed and self.dialog.hash_key is None:
                run_in_thread(read_hash_key, self._hash_key_read)
        self.script.setPlainText(form.script)
        self.script.setVisible(bool(form.script))

    # --- answers --------------------------------------------------------------------------
    def _current(self, call: Call, number: str) -> bool:
        """Answers for a call the card no longer shows are dropped."""
        known = call is self.call or call.call_id in self.book.calls
        return self.card.number == number and known

    def _found(self, call: Call, number: str, future: Future[LookupResult]) -> None:
        result = future.result()  # safe_lookup never raises
        if not self._current(call, number):
            return
        self.card.show_lookup(result, self.crm_name)
        if result.outcome is Outcome.found and result.contact is not None:
            call.contact = result.contact
            self._prefill(call)
            adapter = self.adapter
            assert adapter is not None
            contact = result.contact
            run_in_thread(
                lambda: adapter.details(contact), lambda f: self._details(call, number, f)
            )

    def _late(self, call: Call, number: str, done: bool) -> None:
        if not done and self._current(call, number):
            text = self.tr("%1 did not answer within %2 s")
            assert self.adapter is not None
            self.card.show_problem(
                text.replace("%1", self.crm_name).replace("%2", f"{self.adapter.timeout_s:g}")
            )

    def _details(self, call: Call, number: str, future: Future[CrmContact]) -> None:
        exc = future.exception()
        if not self._current(call, number):
            return
        if exc is not None:
            self.card.show_problem(str(exc))
            return
        call.contact = future.result()
        self.card.show_contact(call.contact)
        self._prefill(call)

    def _prefill(self, call: Call) -> None:
        if call is self.call and call.contact is not None:
            self.dialog.prefill(call.contact.values)

    def _history(self, call: Call, number: str, future: Future[Any]) -> None:
        exc = future.exception()
        if not self._current(call, number):
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
            (self.recorder.pause if focused else self.recorder.resume)(SENSITIVE_FIELD)

    def _hash_key_read(self, future: Future[bytes]) -> None:
        exc = future.exception()
        if exc is not None:  # fail closed: hashed fields are left out of what is saved
            log.error("sensitive card fields to hash will not be saved: %s", exc)
            return
        self.dialog.hash_key = future.result()

    @Slot(object)
    def _notes_late(self, call: Call) -> None:
        if self.uploads is not None:
            self.uploads.patch_call(call.call_id, events=list(call.notes))

    # --- the CRM -------------------------------------------------------------------------
    def start_crm(self, crm: CrmSection) -> None:
        """Make the adapter of ``[crm]``; its secret is read from the keyring off the UI
        thread, and until then the card asks no CRM."""
        if crm.adapter == "none":
            return

        def built(future: Future[CrmAdapter | None]) -> None:
            exc = future.exception()
            if exc is not None:
                log.error("the CRM card has no CRM: %s", exc)
                self.message.setText(self.tr("No CRM: %1").replace("%1", str(exc)))
            else:
                self.adapter = future.result()

        run_in_thread(lambda: adapter_with_secret(crm), built)

    # --- wrap-up --------------------------------------------------------------------------
    def _wrap_up(self) -> None:
        self.rating.setEnabled(True)
        self.finish.setEnabled(True)
        self.message.setText(self.tr("Wrap-up: choose a disposition, rate the caller, finish."))

    @Slot()
    def finish_wrap_up(self) -> bool:
        """Save the dialog card and ratings; refused (and said why) while something required
        is missing."""
        call = self.call
        if call is None:
            return False
        missing = self.dialog.missing()
        if missing:
            text = self.tr("Fill in before finishing: %1").replace("%1", ", ".join(missing))
            self.message.setText(text)
            return False
        fields: dict[str, Any] = {"card": self.dialog.card(),
                                  "disposition": self.dialog.chosen_disposition(),
                                  **self.rating.values()}  # fmt: skip
        if self.uploads is not None:
            self.uploads.patch_call(call.call_id, **fields)
        else:
            log.warning(
                "no upload queue: the dialog card of %s stays out of the store", call.call_id
            )
        if self.post_back and self.adapter is not None:
            self._post(call, fields)
        self.book.finish_wrap_up(call.call_id)  # the card is finished: so is the wrap-up
        self.saved.emit(call.call_id)
        waiting = next(
            (c for c in self.book.calls.values() if c is not call and c.wrap_up_end_us is None),
            None,
        )
        self._take_card(waiting)
        if waiting is not None:
            self._prefill(waiting)
            if waiting.ended:
                self._wrap_up()
        else:
            self.card.clear()
            self.message.setText(self.tr("Saved."))
        return True

    def _post(self, call: Call, fields: dict[str, Any]) -> None:
        adapter = self.adapter
        assert adapter is not None
        report = call_report(call, fields, self.country_code, utc_us())
        recording: Path | None = call.audio

        def posted(future: Future[str]) -> None:
            exc = future.exception()
            if exc is not None:
                log.warning("posting the call to the CRM failed: %s", exc)
                text = self.tr("The call was saved, but %1 did not take it: %2")
                self.message.setText(text.replace("%1", self.crm_name).replace("%2", str(exc)))

        run_in_thread(lambda: adapter.post_call(report, recording), posted)

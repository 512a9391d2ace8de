"""The outbound course wired to the desktop: the operator's Outbound state asks the store for
tasks, the panel shows them and takes the operator's choices, the engine bridge dials and its
events end the attempt, and the dialled call carries the campaign to its store record.

Everything that talks to the store runs on one worker thread, in order (claims, the dial
check, outcomes, and the events that end a call and so report it); the UI thread only reads
the course and redraws."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.agent import state as st
from desktop.calls.model import Call, CallBook
from desktop.crm.forms import CardForm, form_of
from desktop.crm.panel import CrmPanel
from desktop.crm.types import LookupResult
from desktop.outbound.dialler import OutboundDialler, Phase
from desktop.outbound.panel import DONE, OutboundPanel, dispositions_of
from desktop.outbound.tasks import TaskSource
from desktop.threads import run_in_thread
from store.client import StoreClient
from store.client_errors import StoreError
from store.client_outbound import Task
from store.client_types import CallerSummary

log = logging.getLogger(__name__)
POLL_MS = 5000  # the fallback when no task is pushed (desktop/live: outbound.task)
TASK_EVENT = "outbound.task"


class Bridge(Protocol):
    """What the controller needs of desktop.calls.engine_bridge.EngineBridge."""

    sip_event: Any
    dialled: Any
    error: Any

    def make_call(self, target: str) -> None: ...
    def hangup(self, call_id: str) -> None: ...


class OutboundDesk(QObject):
    """One operator's outbound work."""

    changed = Signal()  # the course changed (emitted on any thread, handled on the UI's)
    claim_answered = Signal()  # the store answered a claim (any thread → the UI's)
    problem = Signal(str)
    dial_requested = Signal(str, dict)  # number, extra INVITE headers
    hang_up_requested = Signal(str)

    def __init__(
        self,
        client: StoreClient,
        bridge: Bridge,
        book: CallBook,
        agent: st.AgentState,
        panel: OutboundPanel,
        poll_ms: int = POLL_MS,
        crm_lookup: Callable[[str], LookupResult | None] | None = None,
    ) -> None:
        """`crm_lookup(number)`: the CRM's contact for a task's number (a worker thread calls
        it; None when no CRM is set up)."""
        super().__init__(panel)
        self.crm_lookup = crm_lookup
        self.client, self.book, self.agent, self.panel = client, book, agent, panel
        self.dialler = OutboundDialler(
            TaskSource(client), self.dial_requested.emit, self.hang_up_requested.emit
        )
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbound")
        self._claiming = False
        self._again = False  # woken while a claim was under way: ask once more after it
        self._form: CardForm | None = None  # the task's campaign's dialog-card form
        self._note = ""
        self._shown_phase = Phase.IDLE
        self.claims_asked = 0  # how many times the store was asked for a task
        self.woken = 0  # how many pushed tasks woke the desk
        self.dialler.subscribe(lambda _d: self.changed.emit())
        self.changed.connect(self._refresh)
        self.claim_answered.connect(self._claimed)
        self.problem.connect(self._show_problem)
        self.dial_requested.connect(bridge.make_call)
        self.hang_up_requested.connect(bridge.hangup)
        bridge.dialled.connect(self._dialled)
        bridge.sip_event.connect(lambda event: self._do(self.dialler.on_event, event))
        bridge.error.connect(self._bridge_error)
        agent.subscribe(self._state_changed)
        panel.call_clicked.connect(lambda: self._do(self.dialler.call))
        panel.stop_clicked.connect(lambda: self._do(self.dialler.stop_countdown))
        panel.skip_clicked.connect(lambda reason: self._do(self.dialler.skip, reason))
        panel.disposition_chosen.connect(self._dispose)
        panel.callback_chosen.connect(lambda at: self._do(self.dialler.dispose, "callback", at))
        self._clock = QTimer(self)  # runs while a countdown or a dialling needs its ticks
        self._clock.setInterval(250)
        self._clock.timeout.connect(self._tick)
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self._claim)
        self._refresh()

    @property
    def working(self) -> bool:
        """The operator chose Outbound (and may be on one of its calls right now)."""
        return self.agent.chosen[0] == st.OUTBOUND and self.agent.state != st.OFFLINE

    @property
    def asking(self) -> bool:
        """A claim is under way (the store has not answered yet)."""
        return self._claiming

    def wake(self) -> None:
        """A task may be waiting (the store's live channel said so): ask now, not at the next
        poll. UI thread."""
        self.woken += 1
        if self._claiming:
            self._again = True
        self._claim()

    def on_live_event(self, event: dict[str, Any]) -> None:
        """The live channel's ``received``: a pushed task wakes the desk."""
        if event.get("type") == TASK_EVENT:
            self.wake()

    def follow_card(self, crm: CrmPanel) -> None:
        """The CRM panel's dialog card takes the task's call in the campaign's form, and the
        disposition it is finished with is the attempt's (this card keeps the callback)."""
        crm.form_of = self.card_form
        self.panel.dispose_on_card()
        # read while the card still shows it (saved is emitted before the card is reset)
        crm.saved.connect(
            lambda call_id: self.card_finished(call_id, crm.dialog.chosen_disposition())
        )

    def card_form(self, call: Call) -> CardForm | None:
        """The dialog-card form for `call`: the task's campaign's for the task's call (its
        fields, dispositions and script), None for any other call."""
        task, attempt, form = self.dialler.task, self.dialler.attempt, self._form
        if task is None or form is None or call.direction != "outbound":
            return None
        if call.campaign == task["campaign"]["name"]:
            return form
        dialling = attempt is not None and attempt.call_id in ("", call.call_id)
        return form if dialling and call.number == task["phone"] else None

    def card_finished(self, call_id: str, disposition: str) -> None:
        """The dialog card of the task's call was finished with this disposition: when it is
        one of the campaign's, it is the attempt's too (no second choice on this card)."""
        task, attempt = self.dialler.task, self.dialler.attempt
        if task is None or attempt is None or attempt.call_id != call_id:
            return
        if disposition in dispositions_of(dict(task["campaign"])):
            self._do(self.dialler.dispose, disposition)

    def close(self) -> None:
        self._poll.stop()
        self._clock.stop()
        self._worker.submit(self.dialler.give_back)
        self._worker.shutdown(wait=True, cancel_futures=False)

    # --- inside ----------------------------------------------------------------------------
    def _do(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Runs on the outbound worker, in order; a store refusal goes to the status line."""

        def run() -> Any:
            try:
                return fn(*args)
            except StoreError as exc:
                log.warning("outbound: %s", exc)
                self.problem.emit(exc.message)
            except Exception:
                log.exception("outbound: %s failed", getattr(fn, "__name__", fn))
            return None

        return self._worker.submit(run)

    def _state_changed(self, change: st.StateChange) -> None:
        if self.working:
            self._note = ""
            self._poll.start()
            self._claim()
        else:
            self._poll.stop()
            self._do(self.dialler.give_back)
        self._refresh()

    def _claim(self) -> None:
        if self._claiming or not self.working or self.dialler.phase is not Phase.IDLE:
            return
        if self.agent.state != st.OUTBOUND:  # on a call or in its wrap-up: later
            return
        self._claiming = True
        self.claims_asked += 1
        future = self._do(self.dialler.next_task)
        future.add_done_callback(lambda _f: self.claim_answered.emit())

    def _claimed(self) -> None:
        self._claiming = False
        self._refresh()
        task = self.dialler.task
        if task is None:
            self._form = None
            if self._again:
                self._again = False
                self._claim()
            return
        self._again = False
        self._form = self._form_of(task)
        number = task["phone"]
        run_in_thread(lambda: self.client.caller_summary(number), self._history)
        lookup = self.crm_lookup
        if lookup is not None:
            claim = task["claim_id"]
            run_in_thread(lambda: lookup(number), lambda f: self._crm_found(f, claim))

    def _form_of(self, task: Task) -> CardForm:
        campaign = task["campaign"]
        dispositions = dispositions_of(dict(campaign))
        script = campaign.get("script", "")
        try:
            return form_of(campaign.get("card_form") or [], dispositions, script)
        except ValueError as exc:  # the card keeps the dispositions and the script
            self._show_problem(self.tr("The campaign's card form: %1").replace("%1", str(exc)))
            return CardForm((), tuple(dispositions), script)

    def _crm_found(self, future: Future[LookupResult | None], claim: str) -> None:
        found = future.result()  # the lookup never raises (desktop.crm.base.safe_lookup)
        task = self.dialler.task
        if found is not None and task is not None and task["claim_id"] == claim:
            self.panel.show_crm(found)

    def _history(self, future: Future[CallerSummary]) -> None:
        try:
            summary = future.result()
        except Exception as exc:  # the card stands without it
            log.info("outbound: no history of the number: %s", exc)
            return
        karma = summary.get("karma_avg")
        text = (
            self.tr("%1 calls with this number; karma %2")
            .replace("%1", str(summary.get("calls", 0)))
            .replace("%2", f"{karma:+.1f}" if karma is not None else "—")
        )
        self.panel.show_history(text)

    def _dialled(self, call_id: str, target: str) -> None:
        task, attempt = self.dialler.task, self.dialler.attempt
        if task is None or attempt is None or attempt.call_id or target != task["phone"]:
            return
        call = self.book.get(call_id)
        if call is not None:
            call.campaign = task["campaign"]["name"]
        self._do(self.dialler.on_dialled, call_id)

    def _bridge_error(self, _words: str) -> None:
        attempt = self.dialler.attempt
        if self.dialler.phase is Phase.DIALLING and attempt is not None and not attempt.call_id:
            self._do(self.dialler.on_dial_failed)

    def _dispose(self, disposition: str) -> None:
        self._do(self.dialler.dispose, disposition or DONE)

    def _tick(self) -> None:
        phase = self.dialler.phase
        if phase is Phase.COUNTDOWN:
            self.panel.show_phase(phase, self.dialler.countdown_left_s(), "")
        if phase in (Phase.COUNTDOWN, Phase.DIALLING):
            self._do(self.dialler.tick)

    def _show_problem(self, words: str) -> None:
        self._note = words
        self._refresh()

    def _refresh(self) -> None:
        shown = self.panel.property("taskShown")
        task = self.dialler.task
        if (task["claim_id"] if task else "") != (shown or ""):
            self.panel.show_task(task)
            self.panel.setProperty("taskShown", task["claim_id"] if task else "")
        note = self.dialler.note or self._note
        if not self.working and self.dialler.phase is Phase.IDLE:
            note = self.tr("Choose the Outbound state to get calls to make.")
        phase, was = self.dialler.phase, self._shown_phase
        self._shown_phase = phase
        if phase not in (Phase.COUNTDOWN, Phase.DIALLING):
            self._clock.stop()
        elif not self._clock.isActive():
            self._clock.start()
        self.panel.show_phase(phase, self.dialler.countdown_left_s(), note)
        if phase is Phase.IDLE and was is not Phase.IDLE and self.working:
            QTimer.singleShot(0, self._claim)  # the next task as soon as this one is done

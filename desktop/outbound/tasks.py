"""The desktop's side of outbound claims: the next task from the store, its lease kept alive by
a heartbeat thread while the operator works it, permission to dial, and the outcome reported.
No Qt: the controller calls these off the UI thread; tests run them in plain processes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from store.client_errors import ConflictError, StoreError
from store.client_outbound import OutboundClient, Outcome, Scheduled, Task

log = logging.getLogger(__name__)
DO_NOT_CALL = "do_not_call"


class TaskSource:
    """Claims, dials and reports outbound tasks for the token's operator."""

    def __init__(self, client: OutboundClient) -> None:
        self.client = client

    def claim(self) -> Task | None:
        """The next due contact, now held by this operator; None when nothing is due."""
        return self.client.claim_task()

    def may_dial(self, task: Task) -> bool:
        """Asked right before dialling: False when the number is on the do-not-call list
        (the store then closed the task as blocked)."""
        try:
            self.client.dial_task(task["claim_id"])
        except ConflictError as exc:
            if exc.code == DO_NOT_CALL:
                return False
            raise
        return True

    def report(self, task: Task, outcome: Outcome) -> Scheduled:
        return self.client.report_task(task["claim_id"], outcome)

    def release(self, task: Task) -> None:
        self.client.release_task(task["claim_id"])


class LeaseKeeper:
    """Sends a heartbeat every third of the lease until stopped; a refused heartbeat (the
    claim lapsed) calls `on_lapsed` once and stops. A desktop that dies stops sending, and the
    store gives the contact to somebody else when the lease runs out."""

    def __init__(
        self,
        client: OutboundClient,
        task: Task,
        on_lapsed: Callable[[str], None] = lambda _why: None,
    ) -> None:
        self.client = client
        self.claim_id = task["claim_id"]
        self.period_s = max(0.5, task["campaign"].get("lease_s", 120) / 3)
        self.on_lapsed = on_lapsed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbound-lease", daemon=True)

    def start(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.client.heartbeat_task(self.claim_id)
            except ConflictError as exc:
                if not self._stop.is_set():
                    self.on_lapsed(exc.message)
                return
            except StoreError as exc:  # unreachable for now: the next beat may get through
                log.warning("outbound heartbeat failed: %s", exc)

"""Outbound tasks dialled by the desktop's real engine (its own process) through a real
Kamailio to real far ends, with the desktop's task course (desktop.outbound.dialler) against
the real store: baresip answers (the operator's disposition schedules the next attempt),
sipp answers 486 (busy), a baresip that never answers is hung up after the campaign's
no-answer time, an unregistered number fails (404); each outcome schedules by the campaign's
rules. Do-not-call numbers are never claimed, and one listed after its claim is not dialled."""

from __future__ import annotations

import queue
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from desktop.outbound.dialler import OutboundDialler, Phase
from desktop.outbound.tasks import TaskSource
from sip import events as ev
from sip.config import AccountSettings, EngineConfig
from sip.process import EngineProcess
from tests.integration.sipkit import PASSWORDS
from tests.integration.store_kit import Store, store_with_clients
from tests.servers.baresip import Baresip, baresip_available, write_tone_wav
from tests.servers.kamailio import Kamailio
from tests.servers.ports import free_port
from tests.servers.sipp import SIPP, sipp_available, sipp_uas

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
OPERATOR = "dave"
SCENARIOS = Path(__file__).resolve().parents[1] / "servers" / "sipp_scenarios"
S = 1_000_000
RULES = {"busy": 600, "no_answer": 1800, "failed": 3600, "think_it_over": 7200}
ALL_DAY = {"start": "00:00", "end": "24:00", "days": [1, 2, 3, 4, 5, 6, 7]}


class Desk:
    """The desktop's engine process and task course, events pumped on this thread."""

    def __init__(
        self, engine: EngineProcess, events: queue.Queue[ev.Event], account: str, store: Store
    ) -> None:
        self.engine, self.events, self.account, self.store = engine, events, account, store
        self.seen: list[ev.Event] = []
        self.dialler = OutboundDialler(TaskSource(store.alice), self._place, self._hang_up)
        self.dialled: list[str] = []
        self.headers: list[dict[str, str]] = []

    def _place(self, number: str, headers: dict[str, str]) -> None:
        self.dialled.append(number)
        self.headers.append(headers)
        future = self.engine.make_call(self.account, number, headers)
        future.add_done_callback(self._placed)

    def _placed(self, future: Future[str]) -> None:
        if future.exception() is None:
            self.dialler.on_dialled(future.result())
        else:
            self.dialler.on_dial_failed()

    def _hang_up(self, call_id: str) -> None:
        self.engine.hangup(call_id)

    def pump(self, done: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"phase {self.dialler.phase}, {self.seen[-5:]}"
            try:
                event = self.events.get(timeout=0.1)
            except queue.Empty:
                pass
            else:
                self.seen.append(event)
                self.dialler.on_event(event)
            self.dialler.tick()


@pytest.fixture
def desk(kamailio: Kamailio, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Desk]:
    if not (baresip_available() and sipp_available()):
        pytest.fail("baresip or sipp is not installed: run scripts/setup --tests")
    config = EngineConfig(bind_address="127.0.0.1", transports=("udp",), audio="null",
                          recording_dir=str(tmp_path / "audio"))  # fmt: skip
    engine = EngineProcess(config)
    events: queue.Queue[ev.Event] = queue.Queue()
    engine.subscribe(events.put)
    engine.start()
    try:
        account = engine.add_account(AccountSettings(
            user=OPERATOR, domain=kamailio.domain, registrar=kamailio.registrar_uri("udp"),
            password=PASSWORDS[OPERATOR],
        )).result(timeout=10)  # fmt: skip
        with store_with_clients(request, tmp_path / "store", "sqlite") as store:
            made = Desk(engine, events, account, store)
            made.pump(lambda: any(isinstance(e, ev.RegistrationChanged)
                                  and e.state == "registered" for e in made.seen))  # fmt: skip
            yield made
    finally:
        assert engine.stop(), "the engine's process did not stop cleanly"


def registered_busy(kamailio: Kamailio, user: str, tmp_path: Path) -> int:
    """sipp registers `user` with the contact of a sipp UAS answering 486; that UAS's port."""
    kamailio.add_user(user, f"{user}-pw")
    port = free_port()
    subprocess.run(
        [SIPP, f"127.0.0.1:{kamailio.udp_port}", "-sf", str(SCENARIOS / "register_contact.xml"),
         "-s", user, "-au", user, "-ap", f"{user}-pw", "-key", "contact_port", str(port),
         "-i", "127.0.0.1", "-p", str(free_port()), "-m", "1", "-nostdin",
         "-timeout", "10", "-timeout_error", "-trace_err", "-error_file",
         str(tmp_path / "sipp-register.log")],
        check=True, timeout=20, capture_output=True,
    )  # fmt: skip
    return port


def test_each_sip_outcome_schedules_by_the_rules(
    desk: Desk, kamailio: Kamailio, tmp_path: Path
) -> None:
    store = desk.store
    tone = write_tone_wav(tmp_path / "far.wav", seconds=30, freq=700.0)
    for user in ("2001", "2003"):
        kamailio.add_user(user, f"{user}-pw")
    answerer = Baresip("2001", "2001-pw", f"127.0.0.1:{kamailio.udp_port}", "auto",
                       play_wav=tone, workdir=tmp_path / "b1")  # fmt: skip
    silent = Baresip("2003", "2003-pw", f"127.0.0.1:{kamailio.udp_port}", "manual",
                     workdir=tmp_path / "b3")  # fmt: skip
    busy_port = registered_busy(kamailio, "2002", tmp_path)
    campaign = store.sam.create_campaign("renewals", {
        "mode": "progressive", "countdown_s": 1, "no_answer_s": 3, "hours": ALL_DAY,
        "max_attempts": 3, "retry_s": RULES, "lease_s": 30, "caller_id": "+74957770000",
    })  # fmt: skip
    store.sam.add_do_not_call(["2005"], "asked not to be called")
    store.sam.import_contacts(campaign["id"], b"phone,name\n2001,Ann\n2005,Eve\n2002,Bob\n"
                                              b"2003,Cid\n2009,Dan\n2006,Fay\n")  # fmt: skip
    with answerer, silent, sipp_uas(busy_port, scenario=SCENARIOS / "uas_busy_486.xml"):
        answerer.registered()
        silent.registered()
        results: dict[str, str] = {}
        for number in ("2001", "2002", "2003", "2009"):
            task = desk.dialler.next_task()
            assert task is not None and task["phone"] == number  # 2005 is never offered
            assert desk.dialler.phase is Phase.COUNTDOWN
            desk.pump(lambda: desk.dialler.phase is not Phase.COUNTDOWN)  # dials by itself
            if number == "2001":
                desk.pump(lambda: desk.dialler.phase is Phase.TALKING)
                desk.dialler.dispose("think_it_over")  # during the call: sent after it
                call_id = desk.dialler.attempt.call_id  # type: ignore[union-attr]
                time.sleep(0.5)
                desk.engine.hangup(call_id)
            desk.pump(lambda: desk.dialler.phase is Phase.IDLE)
            assert desk.dialler.last is not None
            results[number] = desk.dialler.last["status"]

        # Listed after its claim: the store refuses the dial, nothing is dialled.
        task = desk.dialler.next_task()
        assert task is not None and task["phone"] == "2006"
        store.sam.add_do_not_call(["2006"])
        assert desk.dialler.call() is False and desk.dialler.note == "blocked"
        assert desk.dialler.next_task() is None

    assert desk.dialled == ["2001", "2002", "2003", "2009"]
    assert desk.headers == [{"P-Preferred-Identity": "<tel:+74957770000>"}] * 4
    assert set(results.values()) == {"waiting"}
    contacts = {c["phone"]: c for c in store.sam.campaign_contacts(campaign["id"])}
    expected = {"2001": ("answered", "think_it_over"), "2002": ("busy", None),
                "2003": ("no_answer", None), "2009": ("failed", None)}  # fmt: skip
    for number, (outcome, disposition) in expected.items():
        history = store.sam.contact_history(contacts[number]["id"])
        (attempt,) = history["attempts_made"]
        assert (attempt["outcome"], attempt["disposition"]) == (outcome, disposition), number
        delay = RULES[disposition or outcome]
        assert attempt["next_due_us"] - attempt["ended_us"] == delay * S, number
        assert attempt["call_id"] and history["attempts"] == 1, attempt
    ringing = store.sam.contact_history(contacts["2003"]["id"])["attempts_made"][0]
    assert ringing["ended_us"] - ringing["dialled_us"] >= 3 * S  # hung up after no_answer_s
    blocked = store.sam.contact_history(contacts["2006"]["id"])
    assert [a["outcome"] for a in blocked["attempts_made"]] == ["blocked"]
    assert blocked["attempts"] == 0
    progress = store.sam.campaign_progress(campaign["id"])
    assert (progress["blocked"], progress["scheduled"], progress["due_now"]) == (2, 4, 0)

"""How often the automatic checks agree with QA's answers, per scorecard question, against a
real store (SQLite, and PostgreSQL for the API): the counts and rates worked out by hand for
six calls, the latest evaluation counting, calls without a transcript or an evaluation left
out, the period, the CSV, the console's page, who may read it, and a form naming an unknown
check refused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import numpy as np
import pytest
import requests

from store.client import InvalidRequest, PermissionDenied
from store.users import set_password
from tests.integration.store_kit import Store, new_id, now_us, store_with_clients
from tests.integration.transcript_kit import segment, store_transcript
from tests.servers.pulse import write_wav

pytestmark = pytest.mark.integration
S = 1_000_000
GREETING = [" Thank", " you", " for", " calling", " Acme."]
# Per call: when the operator greets (s after the answer, None: never), whether the customer
# swears, QA's scores (greet of 1, polite of 4, solution of 10; several = several evaluations,
# the latest counts), or None when QA did not evaluate; and whether it has a transcript.
CALLS = {
    "c1": (2, False, [(1, 4, 7)], True),  # greet: both yes; polite: both yes
    "c2": (15, True, [(1, 1, 5)], True),  # greet: late, QA yes; polite: both no
    "c3": (None, False, [(0, 2, 9)], True),  # greet: both no; polite: both yes (2 × 2 ≥ 4)
    "c4": (1, False, [(1, 4, 8), (0, 0, 8)], True),  # the latest: greet and polite check yes, QA no
    "c5": (2, False, None, True),  # not evaluated
    "c6": (2, False, [(1, 4, 10)], False),  # no transcript
}
WORDS = {"alice": "alice-secret-1", "quinn": "quinn-secret-3"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, int, dict[str, str], int]]:
    """(the store, the form's id, call ids by name, the start of c2 — the first after c1)."""
    tmp = tmp_path_factory.mktemp(f"agreement-{request.param}")
    with store_with_clients(request, tmp / "store", request.param) as store:
        with store.db() as db:
            for name, password in WORDS.items():
                set_password(db, name, password)
        store.ada.add_transcript_rule(
            name="greeting", kind="required", phrase="thank you for calling", side="operator",
            within_s=10,
        )  # fmt: skip
        store.ada.add_transcript_rule(name="no swearing", kind="forbidden", phrase="damn")
        form = store.ada.create_form(
            "Basics",
            [
                {"key": "greet", "label": "Greeted", "max_score": 1, "rule": "greeting"},
                {"key": "polite", "label": "Polite", "max_score": 4, "rule": "no swearing"},
                {"key": "solution", "label": "Solved", "max_score": 10},
            ],
        )
        other = store.ada.create_form("Other", [{"key": "x", "label": "X", "max_score": 1}])
        wav = tmp / "call.wav"
        write_wav(wav, np.zeros((8000, 2)), 8000)  # a second of the call's audio
        sound = store.alice.upload_file(wav, "audio/wav")["sha256"]
        t0 = now_us() - 7200 * S
        ids: dict[str, str] = {}
        for i, (name, (greet_s, swears, evaluations, transcribed)) in enumerate(CALLS.items()):
            start = t0 + i * 60 * S
            call_id = ids[name] = new_id()
            store.alice.put_call(
                call_id,
                {"agent": "alice", "direction": "inbound", "started_us": start,
                 "answered_us": start + S, "ended_us": start + 40 * S},
            )  # fmt: skip
            if transcribed:
                store.alice.link_media(call_id, sound, "audio", start)
                said = [segment("customer", start + 3 * S, [" Hello."])]
                if greet_s is not None:
                    said.append(segment("operator", start + S + greet_s * S, GREETING))
                if swears:
                    said.append(segment("customer", start + 20 * S, [" Oh", " damn", " it."]))
                with store.db() as db:
                    store_transcript(db, call_id, sorted(said, key=lambda s: s.start_us))
            for greet, polite, solution in evaluations or []:
                scores = {"greet": greet, "polite": polite, "solution": solution}
                store.quinn.evaluate(call_id, form["id"], scores)
            store.quinn.evaluate(call_id, other["id"], {"x": 1})
        yield store, int(form["id"]), ids, t0 + 60 * S


def test_agreement_per_question_as_worked_out_by_hand(
    scored: tuple[Store, int, dict[str, str], int],
) -> None:
    store, form_id, _, second = scored
    answer = store.quinn.check_agreement(form_id=form_id)
    rows = {r["question"]: r for r in answer["questions"]}
    assert list(rows) == ["greet", "polite"]  # the solution has no check; the other form none
    assert rows["greet"] == {
        "form_id": form_id, "form": "Basics", "question": "greet", "label": "Greeted",
        "rule": "greeting", "calls": 4, "agreed": 2, "agreement_pct": 50.0,
        "both_yes": 1, "both_no": 1, "check_yes_qa_no": 1, "check_no_qa_yes": 1,
    }  # fmt: skip
    assert rows["polite"] == {
        "form_id": form_id, "form": "Basics", "question": "polite", "label": "Polite",
        "rule": "no swearing", "calls": 4, "agreed": 3, "agreement_pct": 75.0,
        "both_yes": 2, "both_no": 1, "check_yes_qa_no": 1, "check_no_qa_yes": 0,
    }  # fmt: skip
    # calls from the second on: c1 (both yes twice) is left out
    later = store.quinn.check_agreement(form_id=form_id, from_us=second)["questions"]
    assert [(r["calls"], r["agreed"], r["agreement_pct"]) for r in later] == [
        (3, 1, 33.33),
        (3, 2, 66.67),
    ]
    everything = store.quinn.check_agreement()["questions"]
    assert [r["question"] for r in everything] == ["greet", "polite"]

    table = list(csv.reader(io.StringIO(store.quinn.check_agreement_csv(form_id=form_id).decode())))
    assert table[0][:8] == ["form_id", "form", "question", "label", "rule", "calls", "agreed",
                            "agreement_pct"]  # fmt: skip
    assert table[1][2:] == ["greet", "Greeted", "greeting", "4", "2", "50.0", "1", "1", "1", "1"]
    assert table[2][2:] == ["polite", "Polite", "no swearing", "4", "3", "75.0", "2", "1", "1", "0"]

    with pytest.raises(PermissionDenied):
        store.alice.check_agreement()
    with pytest.raises(InvalidRequest, match="no automatic check named 'greting'"):
        store.ada.create_form(
            "Typo", [{"key": "greet", "label": "Greeted", "max_score": 1, "rule": "greting"}]
        )


def test_the_consoles_page_shows_the_same_numbers_and_links_the_csv(
    scored: tuple[Store, int, dict[str, str], int],
) -> None:
    store, form_id, _, _ = scored
    if store.backend != "sqlite":
        pytest.skip("the page reads what the API reads; once is enough")
    with requests.Session() as web:
        signed = web.post(
            f"{store.url}/login",
            data={"name": "quinn", "password": WORDS["quinn"], "next": "/reports/checks"},
            headers={"Origin": store.url},
            timeout=10,
        )
        assert signed.status_code == 200 and signed.url.endswith("/reports/checks")
        page = web.get(f"{store.url}/reports/checks?form={form_id}", timeout=10).text
        rows = re.findall(r'<tr data-question="(\w+)">(.*?)</tr>', page)
        cells = {q: re.findall(r"<td[^>]*>(.*?)</td>", row) for q, row in rows}
        assert cells["greet"] == ["Basics", "Greeted", "greeting", "4", "2", "50.0", "1", "1",
                                  "1", "1"]  # fmt: skip
        assert cells["polite"][3:6] == ["4", "3", "75.0"]
        link = re.search(r'id="checks-csv" href="([^"]+)"', page)
        assert link is not None
        got = web.get(store.url + link.group(1).replace("&amp;", "&"), timeout=10)
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
        assert got.text.splitlines()[1].split(",")[5:8] == ["4", "2", "50.0"]
        with requests.Session() as agent:
            agent.post(
                f"{store.url}/login",
                data={"name": "alice", "password": WORDS["alice"]},
                headers={"Origin": store.url},
                timeout=10,
            )
            assert agent.get(f"{store.url}/reports/checks", timeout=10).status_code == 403

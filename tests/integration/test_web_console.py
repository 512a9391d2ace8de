"""The web console over HTTP against a real `agentdesk-store serve` (SQLite): password sign-in
(argon2, `user passwd` from stdin), the session cookie's attributes, sign-out deleting the
session, CSRF on every state-changing request (forms and the API with the cookie), throttled
sign-ins per user and per address, roles (an agent sees only their own calls), bearer tokens
unchanged, languages."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from store.client_types import CallInput
from store.db import connect
from store.migrations import migrate
from store.sessions import ADDRESS_LIMIT, USER_LIMIT
from store.users import add_user, check_password, set_extension, set_password
from tests.integration.store_kit import Store, new_id, now_us, store_with_clients

pytestmark = pytest.mark.integration

PASSWORDS = {
    "alice": "alice-secret-1",
    "bob": "bob-secret-22",
    "quinn": "quinn-secret-3",
    "ada": "ada-secret-444",
}


@pytest.fixture(scope="module")
def web_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with store_with_clients(request, tmp_path_factory.mktemp("web"), "sqlite") as made:
        with made.db() as db:
            for name, password in PASSWORDS.items():
                set_password(db, name, password)
        yield made


def _call(agent: str, number: str) -> CallInput:
    start = now_us() - 60_000_000
    return {
        "agent": agent,
        "direction": "inbound",
        "remote_number": number,
        "started_us": start,
        "answered_us": start + 1_000_000,
        "ended_us": start + 30_000_000,
    }


@pytest.fixture(scope="module")
def calls(web_store: Store) -> dict[str, str]:
    """One call of alice's and one of bob's."""
    ids = {"alice": new_id(), "bob": new_id()}
    web_store.alice.put_call(ids["alice"], _call("alice", "+79120000001"))
    web_store.bob.put_call(ids["bob"], _call("bob", "+79120000002"))
    with web_store.db() as db:
        db.execute("DELETE FROM sign_in_failures")
    return ids


@pytest.fixture(scope="module")
def form_id(web_store: Store) -> int:
    form = web_store.ada.create_form(
        "Basics", [{"key": "greeting", "label": "Greeting", "max_score": 5, "weight": 1.0}]
    )
    return int(form["id"])


def sign_in(store: Store, name: str, password: str | None = None) -> requests.Session:
    web = requests.Session()
    answer = web.post(
        f"{store.url}/login",
        data={"name": name, "password": password or PASSWORDS[name], "next": "/calls"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303, answer.text
    return web


def csrf_of(web: requests.Session, url: str) -> str:
    page = web.get(url, timeout=10)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_user_passwd_reads_the_password_from_stdin_never_argv(tmp_path: Path) -> None:
    db = connect(str(tmp_path / "store.sqlite3"))
    migrate(db)
    add_user(db, "nina", "qa")
    db.execute(
        "INSERT INTO web_sessions (token_hash, user_id, csrf, address, created_us, expires_us) "
        "SELECT 'old', id, 'x', '127.0.0.1', 0, ? FROM users WHERE name = 'nina'",
        (now_us() + 10**9,),
    )
    cmd = [sys.executable, "-m", "store", "user", "passwd", "nina", "--data", str(tmp_path)]
    done = subprocess.run(cmd, input="correct horse battery\n", text=True, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert "correct horse battery" not in done.stdout + done.stderr
    assert check_password(db, "nina", "correct horse battery") is not None
    assert check_password(db, "nina", "wrong horse battery") is None
    assert db.query("SELECT 1 AS x FROM web_sessions") == []  # signed out everywhere
    stored = db.one("SELECT password_hash FROM users WHERE name = 'nina'")
    assert stored is not None and stored["password_hash"].startswith("$argon2id$")
    # the password as an argument is not even accepted
    refused = subprocess.run([*cmd, "secret-on-argv"], text=True, capture_output=True)
    assert refused.returncode != 0
    short = subprocess.run(cmd, input="short\n", text=True, capture_output=True)
    assert short.returncode != 0 and "8" in short.stderr
    db.close()


def test_sign_in_sets_a_strict_httponly_session_and_sign_out_deletes_it(
    web_store: Store, calls: dict[str, str]
) -> None:
    url = web_store.url
    assert (
        requests.get(f"{url}/calls", allow_redirects=False, timeout=10)
        .headers["location"]
        .startswith("/login?next=")
    )
    web = requests.Session()
    answer = web.post(
        f"{url}/login",
        data={"name": "quinn", "password": PASSWORDS["quinn"], "next": "/calls"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/calls"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("agentdesk_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    token = web.cookies["agentdesk_session"]
    with web_store.db() as db:
        rows = db.query("SELECT token_hash, csrf FROM web_sessions")
    assert token not in {r["token_hash"] for r in rows}  # only its hash is kept
    page = web.get(f"{url}/calls", timeout=10)
    assert page.status_code == 200 and "quinn" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # the API answers the session too (media reads in the page go this way)
    assert web.get(f"{url}/api/v1/me", timeout=10).json()["name"] == "quinn"
    csrf = csrf_of(web, f"{url}/calls")
    out = web.post(f"{url}/logout", data={"csrf": csrf}, allow_redirects=False, timeout=10)
    assert out.status_code == 303
    with web_store.db() as db:
        assert len(db.query("SELECT 1 FROM web_sessions")) == len(rows) - 1
    stale = requests.Session()
    stale.cookies.set("agentdesk_session", token)
    assert stale.get(f"{url}/calls", allow_redirects=False, timeout=10).status_code == 303
    assert stale.get(f"{url}/api/v1/me", timeout=10).status_code == 401


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(web_store: Store) -> None:
    url = web_store.url
    for name, password in (("quinn", "not-her-password"), ("nobody", "whatever-123")):
        answer = requests.post(
            f"{url}/login", data={"name": name, "password": password}, timeout=10
        )
        assert answer.status_code == 401
        assert "Wrong user name or password" in answer.text
        assert "agentdesk_session" not in answer.headers.get("set-cookie", "")
    with web_store.db() as db:
        db.execute("DELETE FROM sign_in_failures")


def test_an_expired_session_signs_in_again(web_store: Store) -> None:
    web = sign_in(web_store, "ada")
    with web_store.db() as db:
        db.execute("UPDATE web_sessions SET expires_us = ?", (now_us() - 1,))
    assert web.get(f"{web_store.url}/calls", allow_redirects=False, timeout=10).status_code == 303


def test_posts_without_the_csrf_token_change_nothing(
    web_store: Store, calls: dict[str, str], form_id: int
) -> None:
    url = web_store.url
    web = sign_in(web_store, "quinn")
    call = calls["bob"]
    form = {"form_id": str(form_id), "score.greeting": "4", "summary": "fine"}
    before = len(web_store.quinn.evaluations(call))
    missing = web.post(f"{url}/calls/{call}/evaluations", data=form, timeout=10)
    wrong = web.post(f"{url}/calls/{call}/evaluations", data={**form, "csrf": "x"}, timeout=10)
    assert missing.status_code == 403 and wrong.status_code == 403
    csrf = csrf_of(web, f"{url}/calls/{call}")
    foreign = web.post(
        f"{url}/calls/{call}/evaluations",
        data={**form, "csrf": csrf},
        headers={"Origin": "https://evil.example"},
        timeout=10,
    )
    assert foreign.status_code == 403
    assert len(web_store.quinn.evaluations(call)) == before
    # the API with the cookie: state changes need X-CSRF-Token
    body = {"form_id": form_id, "scores": {"greeting": 5}}
    refused = web.post(f"{url}/api/v1/calls/{call}/evaluations", json=body, timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    assert len(web_store.quinn.evaluations(call)) == before
    made = web.post(
        f"{url}/api/v1/calls/{call}/evaluations",
        json=body,
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    assert made.status_code in (200, 201), made.text
    # a sign-out without the token leaves the session alive
    assert web.post(f"{url}/logout", data={}, timeout=10).status_code == 403
    assert web.get(f"{url}/api/v1/me", timeout=10).status_code == 200
    # the form with its token scores the call, comment anchored
    saved = web.post(
        f"{url}/calls/{call}/evaluations",
        data={**form, "csrf": csrf, "comment_ms": "1500", "comment_text": "greets late"},
        allow_redirects=False,
        timeout=10,
    )
    assert saved.status_code == 303, saved.text
    latest = web_store.quinn.evaluations(call)[-1]
    assert latest["comments"] == [{"position_ms": 1500, "text": "greets late"}]
    assert latest["score_pct"] == 80.0


def test_an_agent_sees_only_their_own_calls(
    web_store: Store, calls: dict[str, str], form_id: int
) -> None:
    url = web_store.url
    web = sign_in(web_store, "alice")
    listing = web.get(f"{url}/calls", timeout=10).text
    assert calls["alice"] in listing and calls["bob"] not in listing
    # asking for bob's calls by name gives her own only
    assert calls["bob"] not in web.get(f"{url}/calls?agent=bob", timeout=10).text
    assert web.get(f"{url}/calls/{calls['alice']}", timeout=10).status_code == 200
    other = web.get(f"{url}/calls/{calls['bob']}", timeout=10)
    assert other.status_code == 404 and "+79120000002" not in other.text
    assert web.get(f"{url}/api/v1/calls/{calls['bob']}", timeout=10).status_code == 404
    assert web.get(f"{url}/audit", timeout=10).status_code == 403
    assert web.get(f"{url}/board", timeout=10).status_code == 403
    # no scorecard for agents, and the POST is refused
    assert 'id="score-form"' not in web.get(f"{url}/calls/{calls['alice']}", timeout=10).text
    csrf = csrf_of(web, f"{url}/calls")
    scored = web.post(
        f"{url}/calls/{calls['alice']}/evaluations",
        data={"csrf": csrf, "form_id": str(form_id), "score.greeting": "5"},
        timeout=10,
    )
    assert scored.status_code == 403


def test_bearer_tokens_keep_working_beside_sessions(
    web_store: Store, calls: dict[str, str]
) -> None:
    assert web_store.quinn.get_call(calls["alice"])["agent"] == "alice"
    token = web_store.server.tokens["quinn"]
    posted = requests.post(
        f"{web_store.url}/api/v1/qa/forms",
        json={"name": "x", "criteria": [{"key": "a", "label": "A", "max_score": 1}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert posted.status_code == 403  # a role refusal, not a CSRF one: bearer needs no token
    assert posted.json()["code"] == "forbidden"


def test_admins_read_the_audit_trail(web_store: Store, calls: dict[str, str]) -> None:
    web = sign_in(web_store, "ada")
    page = web.get(f"{web_store.url}/audit?action=evaluation.create", timeout=10)
    assert page.status_code == 200
    assert "evaluation.create" in page.text and calls["bob"] in page.text


def test_russian_from_the_browser_and_the_switch(web_store: Store) -> None:
    url = web_store.url
    page = requests.get(f"{url}/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}, timeout=10)
    assert 'lang="ru"' in page.text and "Вход" in page.text
    page = requests.get(
        f"{url}/login", headers={"Accept-Language": "de;q=1, en;q=0.8, ru;q=0.5"}, timeout=10
    )
    assert 'lang="en"' in page.text
    web = sign_in(web_store, "quinn")
    web.headers["Accept-Language"] = "ru"
    assert "Звонки" in web.get(f"{url}/calls", timeout=10).text
    web.get(f"{url}/lang/en?next=/calls", timeout=10)
    assert ">Calls<" in web.get(f"{url}/calls", timeout=10).text
    # the switch goes back only to this site
    away = web.get(f"{url}/lang/ru?next=//evil.example/x", allow_redirects=False, timeout=10)
    assert away.headers["location"] == "/calls"


def test_failed_sign_ins_are_throttled_per_user_and_per_address(
    web_store: Store, calls: dict[str, str]
) -> None:
    url = web_store.url

    def attempt(name: str, password: str) -> int:
        return requests.post(
            f"{url}/login",
            data={"name": name, "password": password},
            allow_redirects=False,
            timeout=30,
        ).status_code

    with web_store.db() as db:
        db.execute("DELETE FROM sign_in_failures")
    try:
        for _ in range(USER_LIMIT):
            assert attempt("bob", "guess-guess") == 401
        answer = requests.post(
            f"{url}/login", data={"name": "bob", "password": PASSWORDS["bob"]}, timeout=30
        )
        assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
        assert attempt("alice", PASSWORDS["alice"]) == 303  # other users are not locked out
        for i in range(ADDRESS_LIMIT - USER_LIMIT):
            assert attempt(f"user{i}", "guess-guess") == 401
        assert attempt("ada", PASSWORDS["ada"]) == 429  # this address is now
        assert attempt("ada", "guess-guess") == 429
    finally:
        with web_store.db() as db:
            db.execute("DELETE FROM sign_in_failures")
    assert attempt("bob", PASSWORDS["bob"]) == 303


def test_exports_only_of_calls_one_may_read_and_with_something_to_export(
    web_store: Store, calls: dict[str, str]
) -> None:
    url = web_store.url
    web = sign_in(web_store, "alice")
    csrf = csrf_of(web, f"{url}/calls")
    other = web.post(f"{url}/calls/{calls['bob']}/exports", data={"csrf": csrf}, timeout=10)
    assert other.status_code == 404
    empty = web.post(f"{url}/calls/{calls['alice']}/exports", data={"csrf": csrf}, timeout=10)
    assert empty.status_code == 422 and 'id="export-error"' in empty.text
    forged = web.post(f"{url}/calls/{calls['alice']}/exports", data={}, timeout=10)
    assert forged.status_code == 403
    with web_store.db() as db:
        assert db.query("SELECT id FROM export_jobs WHERE requested_by = 'alice'") == []
    assert web.get(f"{url}/exports/1.json", timeout=10).status_code == 404


def test_sessions_throttling_and_export_jobs_on_postgresql(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with store_with_clients(request, tmp_path, "postgresql") as pg_store:
        with pg_store.db() as db:
            set_password(db, "quinn", PASSWORDS["quinn"])
        call_id = new_id()
        pg_store.alice.put_call(call_id, _call("alice", "+79120000003"))
        url = pg_store.url
        assert (
            requests.post(
                f"{url}/login", data={"name": "quinn", "password": "wrong-wrong"}, timeout=10
            ).status_code
            == 401
        )
        web = sign_in(pg_store, "quinn")
        csrf = csrf_of(web, f"{url}/calls/{call_id}")
        assert call_id in web.get(f"{url}/calls", timeout=10).text
        # a job the worker claims and fails (the call has no media), saying why
        with pg_store.db() as db:
            db.execute(
                "INSERT INTO export_jobs (call_id, requested_by, status, progress, created_us) "
                "VALUES (?, 'quinn', 'queued', 0, ?)",
                (call_id, now_us()),
            )
            job_id = db.query("SELECT id FROM export_jobs")[0]["id"]
        deadline = time.monotonic() + 10
        while (status := web.get(f"{url}/exports/{job_id}.json", timeout=10).json())["status"] in (
            "queued",
            "running",
        ) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status["status"] == "failed" and status["error"] == "nothing to export"
        assert web.post(f"{url}/logout", data={"csrf": csrf}, timeout=10).status_code == 200
        with pg_store.db() as db:
            assert db.query("SELECT 1 AS x FROM web_sessions") == []
            assert len(db.query("SELECT 1 AS x FROM sign_in_failures")) == 0  # cleared by success


def test_qa_chooses_the_scorecard_form(
    web_store: Store, calls: dict[str, str], form_id: int
) -> None:
    other = web_store.ada.create_form(
        "Empathy", [{"key": "empathy", "label": "Empathy", "max_score": 3, "weight": 1.0}]
    )
    web = sign_in(web_store, "quinn")
    url = f"{web_store.url}/calls/{calls['bob']}"
    first = web.get(url, timeout=10).text
    assert 'name="score.greeting"' in first and 'id="form-choice"' in first
    chosen = web.get(f"{url}?form={other['id']}", timeout=10).text
    assert 'name="score.empathy"' in chosen and 'name="score.greeting"' not in chosen
    assert f'name="form_id" value="{other["id"]}"' in chosen


def test_the_board_opens_a_monitoring_session_and_says_what_to_dial(web_store: Store) -> None:
    with web_store.db() as db:
        set_extension(db, "alice", "2001")
        set_extension(db, "ada", "9001")
    url = web_store.url
    web = sign_in(web_store, "ada")
    csrf = csrf_of(web, f"{url}/board")
    form = {"csrf": csrf, "agent": "alice", "mode": "whisper"}
    opened = web.post(f"{url}/board/monitor", data=form, allow_redirects=False, timeout=10)
    assert opened.status_code == 303, opened.text
    (session,) = web_store.ada.monitoring_sessions(agent="alice", live=True)
    assert session["mode"] == "whisper" and session["supervisor"] == "ada"
    page = web.get(f"{url}/board", timeout=10).text
    assert f"dials 2001 with header X-AgentDesk-Monitor: {session['id']}" in page
    stop = {"csrf": csrf, "action": "stop"}
    stopped = web.post(f"{url}/board/monitor/{session['id']}", data=stop, timeout=10)
    assert stopped.status_code == 200 and "No open sessions" in stopped.text
    assert web_store.ada.monitoring_session(session["id"])["state"] == "revoked"
    refused = web.post(f"{url}/board/monitor/{session['id']}", data=stop, timeout=10)
    assert refused.status_code == 409 and "revoked already" in refused.text
    agent = sign_in(web_store, "alice")
    mine = {"csrf": csrf_of(agent, f"{url}/calls"), "agent": "alice", "mode": "listen"}
    assert agent.post(f"{url}/board/monitor", data=mine, timeout=10).status_code == 403

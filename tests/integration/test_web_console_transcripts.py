"""The transcript beside the console's player and the queue charts, in Debian's headless
Chromium through Selenium against a real store: a phrase search finds the call and its hit
opens the call at the hit, marked; a click on a phrase seeks there; the current phrase follows
playback; a spoken card number shows masked; the queues' offered, answered and abandoned calls
and service level per hour as worked out by hand from queue_log lines. Screenshots in Russian
and English go to tests/artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.integration.playback_kit import upload_call_as_the_uploader_will
from tests.integration.store_kit import Store, new_id, now_us
from tests.integration.test_web_console_browser import (
    LENGTH_S,
    console_store,
    make_recording,
    player_ready,
    set_lang,
    shot,
    sign_in,
    wait_for,
)
from tests.integration.transcript_kit import segment, store_transcript
from tests.servers.chromium import Chromium, chromium_available

pytestmark = pytest.mark.integration

S = 1_000_000
# (side, start s, words): who said what when in the recorded call (a word every 0.25 s)
SCRIPT = [
    ("operator", 0.2, [" Hello,", " this", " is", " Acme", " support."]),
    ("customer", 1.8, [" My", " card", " is", " 4111", " 1111", " 1111", " 1111."]),
    ("operator", 3.8, [" Let", " me", " check", " the", " balance."]),
    ("customer", 5.3, [" Thank", " you."]),
]


@pytest.fixture(scope="module")
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, Store, str, int]]:
    """(the browser, the store, the transcribed call, its start)."""
    if not chromium_available():
        pytest.fail("Chromium and chromedriver are not installed: run scripts/setup")
    tmp = tmp_path_factory.mktemp("web-transcripts")
    with console_store(request, tmp / "store") as store:
        t0 = now_us() - 3_600_000_000
        call_id = new_id()
        ogg = make_recording(tmp / "media", call_id, t0)
        call = {
            "agent": "alice",
            "direction": "inbound",
            "remote_number": "+7 912 555-03-03",
            "started_us": t0,
            "answered_us": t0 + 300_000,
            "ended_us": t0 + int(LENGTH_S * S),
        }
        upload_call_as_the_uploader_will(
            store.alice, call_id, call, tmp / "media", ogg, "audio/ogg", t0
        )
        store.ada.add_transcript_rule(
            name="greeting", kind="required", phrase="Acme support", side="operator", within_s=10
        )
        store.ada.create_form(
            "Basics",
            [
                {"key": "greet", "label": "Greeted", "max_score": 5, "rule": "greeting"},
                {"key": "solved", "label": "Solved", "max_score": 10},
            ],
        )
        with store.db() as db:
            store_transcript(
                db, call_id, [segment(side, t0 + int(at * S), words) for side, at, words in SCRIPT]
            )
        with Chromium(tmp / "chromium-profile") as chromium:
            yield chromium.driver, store, call_id, t0


def segment_start(t0: int, index: int) -> int:
    return t0 + int(SCRIPT[index][1] * S)


def current(driver: Any) -> Any:
    return driver.execute_script("return agentdeskTranscript.current")


def test_a_phrase_hit_opens_the_call_at_the_hit_and_the_transcript_follows_playback(
    site: tuple[Any, Store, str, int],
) -> None:
    driver, store, call_id, t0 = site
    url = store.url
    sign_in(driver, url, "quinn")
    set_lang(driver, "en")

    # said by the customer: nothing; by anyone: the call, with the phrase where it was said
    driver.find_element("id", "f-phrase").send_keys("the balance")
    driver.find_element("css selector", "#f-side option[value='customer']").click()
    driver.find_element("id", "search").click()
    wait_for(driver, "return document.getElementById('nothing')")
    driver.find_element("css selector", "#f-side option[value='']").click()
    driver.find_element("id", "search").click()
    wait_for(driver, "return document.querySelectorAll('#calls-table a.hit').length === 1")
    hit = driver.find_element("css selector", "#calls-table a.hit")
    assert "Let me check the balance." in hit.find_element("xpath", "..").text
    shot(driver, "transcript-search-en")
    hit.click()

    wait_for(driver, f"return location.pathname === '/calls/{call_id}'")
    wait_for(driver, "return window.agentdeskTranscript && agentdeskTranscript.ready")
    player_ready(driver)
    third = segment_start(t0, 2)
    view = driver.execute_script("return agentdeskTranscript")
    assert view["segments"] == len(SCRIPT)
    assert view["hit"] == {"start_us": third, "side": "operator", "marked": 2}  # the, balance
    assert driver.execute_script("return agentdeskPlayer.position()") == third
    assert current(driver) == {"start_us": third, "side": "operator"}
    rows = driver.find_elements("css selector", "#transcript-segments li")
    assert [r.get_attribute("data-side") for r in rows] == [s for s, _, _ in SCRIPT]
    assert rows[0].text.startswith("0:00 Operator Hello, this is Acme support.")
    assert "hit" in rows[2].get_attribute("class")

    # the card number was masked before it was stored: shown as masked, never in clear
    card = rows[1]
    assert "4111" not in card.text and "1111" not in card.text
    box = card.find_element("css selector", ".masked")
    assert box.get_attribute("data-reason") == "card" and box.text == "card number masked"
    assert "4111" not in driver.page_source
    shot(driver, "call-transcript-en")

    # the automatic check with its evidence (a click seeks to it), and the scorecard's
    # question that names it answered by it, for QA to confirm or change
    check = driver.find_element("css selector", "#transcript-checks li[data-rule='greeting']")
    assert "check-passed" in check.get_attribute("class")
    said_at = segment_start(t0, 0) + 3 * 250_000  # "Acme", the phrase's first word
    evidence = check.find_element("css selector", "button.evidence")
    assert evidence.get_attribute("data-start-us") == str(said_at)
    assert evidence.text == "0:00 Operator"
    evidence.click()
    assert driver.execute_script("return agentdeskPlayer.position()") == said_at
    assert driver.find_element("name", "score.greet").get_attribute("value") == "5"
    assert driver.find_element("name", "score.solved").get_attribute("value") == ""
    note = driver.find_element("css selector", ".auto-answer[data-rule='greeting']").text
    assert note == "automatic check: yes — confirm or change"

    # a click on a phrase seeks there
    rows[3].click()
    assert driver.execute_script("return agentdeskPlayer.position()") == segment_start(t0, 3)
    wait_for(
        driver, f"return (agentdeskTranscript.current || {{}}).start_us === {segment_start(t0, 3)}"
    )

    # playing from just before the card phrase: the current phrase moves on to it, then off it
    before = segment_start(t0, 1) - 300_000
    driver.execute_script("agentdeskPlayer.seek(arguments[0])", before)
    wait_for(driver, "return agentdeskTranscript.current === null")
    driver.find_element("id", "play").click()
    wait_for(
        driver,
        f"return (agentdeskTranscript.current || {{}}).start_us === {segment_start(t0, 1)}",
        5,
    )
    assert "current" in rows[1].get_attribute("class")
    wait_for(driver, f"return (agentdeskTranscript.current || {{}}).start_us === {third}", 5)
    assert "current" not in rows[1].get_attribute("class")
    driver.execute_script("agentdeskPlayer.pause()")

    set_lang(driver, "ru")
    wait_for(driver, "return window.agentdeskTranscript && agentdeskTranscript.ready")
    assert "номер карты скрыт" in driver.find_element("id", "transcript").text
    shot(driver, "call-transcript-ru")
    reads = driver.execute_script(
        "return fetch('/api/v1/calls/' + arguments[0] + '/transcript').then(r => r.status)",
        call_id,
    )
    assert reads == 200


def test_queue_charts_by_hour_as_worked_out_by_hand(site: tuple[Any, Store, str, int]) -> None:
    driver, store, _, _ = site
    day = datetime.now(UTC).date() - timedelta(days=1)  # the store's report days are UTC
    ten = int(datetime(day.year, day.month, day.day, 10, tzinfo=UTC).timestamp())
    lines = [  # epoch|uniqueid|queue|agent|EVENT|data…; SL: answered within 20 s
        f"{ten + 60}|a|support|NONE|ENTERQUEUE||+79120000001|1",
        f"{ten + 65}|a|support|PJSIP/201|CONNECT|5|a.1|2",  # answered in 5 s
        f"{ten + 120}|b|support|NONE|ENTERQUEUE||+79120000002|1",
        f"{ten + 150}|b|support|PJSIP/202|CONNECT|30|b.1|2",  # answered in 30 s
        f"{ten + 300}|c|support|NONE|ENTERQUEUE||+79120000003|1",
        f"{ten + 312}|c|support|NONE|ABANDON|1|1|12",  # hung up after 12 s
        f"{ten + 7210}|d|sales|NONE|ENTERQUEUE||+79120000004|1",
        f"{ten + 7213}|d|sales|PJSIP/203|CONNECT|3|d.1|2",  # noon: answered in 3 s
    ]
    sent = requests.post(
        f"{store.url}/api/v1/pbx/queue-events",
        data="\n".join(lines) + "\n",
        headers={"Authorization": f"Bearer {store.server.tokens['ada']}",
                 "Content-Type": "text/plain"},
        timeout=10,
    )  # fmt: skip
    assert sent.status_code == 200 and sent.json()["stored"] == len(lines), sent.text
    sign_in(driver, store.url, "sam")
    set_lang(driver, "en")
    driver.get(f"{store.url}/reports/queues?from={day}&to={day}&by=hour")
    drawn = wait_for(driver, "return window.agentdeskQueues")
    assert drawn["points"] == 24 and drawn["series"] == 4
    assert drawn["counts"] == {"offered": 4, "answered": 3, "abandoned": 1}
    assert drawn["sl"] == [33.333, 100]  # 10:00: 1 of 3 within 20 s; 12:00: 1 of 1
    table = driver.find_element("id", "queues-table").text.splitlines()
    assert table[1].startswith(f"{day} 10:00 3 2 1 66.667 33.333 33.333")
    assert table[2].startswith(f"{day} 12:00 1 1 0 100")
    shot(driver, "queues-en")
    table = driver.execute_script(
        "return fetch(document.getElementById('queues-csv').href).then(r => r.text())"
    ).splitlines()
    assert table[0].startswith("hour,offered,answered,abandoned,")
    assert table[1].startswith(f"{day} 10:00,3,2,1,") and table[2].startswith(f"{day} 12:00,1,1,0,")
    driver.find_element("id", "queues-queue").send_keys("sales")
    driver.find_element("id", "queues-run").click()
    wait_for(driver, "return location.search.includes('queue=sales')")
    drawn = wait_for(driver, "return window.agentdeskQueues")
    assert drawn["counts"] == {"offered": 1, "answered": 1, "abandoned": 0}
    set_lang(driver, "ru")
    wait_for(driver, "return window.agentdeskQueues")
    shot(driver, "queues-ru")
    driver.find_element("css selector", "#report-tabs a[href='/reports']").click()
    wait_for(driver, "return location.pathname === '/reports'")
    calls = driver.execute_script(  # the calls report's CSV, from the API with the session
        "return fetch(document.getElementById('report-csv').href).then(r => r.text())"
    ).splitlines()
    assert calls[0].startswith("bucket,offered,answered,"), calls[:2]
    driver.back()
    driver.find_element("css selector", "#report-tabs a[href='/reports/checks']").click()
    wait_for(driver, "return location.pathname === '/reports/checks'")
    row = driver.find_element("css selector", "#checks-table tr[data-question='greet']")
    assert row.text == "Basics Greeted greeting 0 0 — 0 0 0 0"  # the call is not scored yet
    shot(driver, "checks-ru")
    set_lang(driver, "en")
    shot(driver, "checks-en")

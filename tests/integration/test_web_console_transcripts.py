"""The transcript beside the console's player, in Debian's headless Chromium through Selenium
against a real store: a phrase search finds the call and its hit opens the call at the hit,
marked; a click on a phrase seeks there; the current phrase follows playback; a spoken card
number shows masked. Screenshots in Russian and English go to tests/artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from store.users import set_password
from tests.integration.playback_kit import upload_call_as_the_uploader_will
from tests.integration.store_kit import new_id, now_us, store_with_clients
from tests.integration.test_web_console_browser import (
    LENGTH_S,
    PASSWORDS,
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
) -> Iterator[tuple[Any, str, str, int]]:
    """(the browser, the store's URL, the transcribed call, its start)."""
    if not chromium_available():
        pytest.fail("Chromium and chromedriver are not installed: run scripts/setup")
    tmp = tmp_path_factory.mktemp("web-transcripts")
    with store_with_clients(request, tmp / "store", "sqlite") as store:
        with store.db() as db:
            for name, password in PASSWORDS.items():
                set_password(db, name, password)
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
        with store.db() as db:
            store_transcript(
                db, call_id, [segment(side, t0 + int(at * S), words) for side, at, words in SCRIPT]
            )
        with Chromium(tmp / "chromium-profile") as chromium:
            yield chromium.driver, store.url, call_id, t0


def segment_start(t0: int, index: int) -> int:
    return t0 + int(SCRIPT[index][1] * S)


def current(driver: Any) -> Any:
    return driver.execute_script("return agentdeskTranscript.current")


def test_a_phrase_hit_opens_the_call_at_the_hit_and_the_transcript_follows_playback(
    site: tuple[Any, str, str, int],
) -> None:
    driver, url, call_id, t0 = site
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

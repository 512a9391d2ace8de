"""The web console in a real browser (Debian's headless Chromium through Selenium) against a
real store: sign in, search, open a call whose screen segments come from the recorder's own
H.264 encoder and whose audio is the outbox's own Opus packing, play it and measure in the page
that each screen frame is shown within 40 ms of the audio heard (a red marker on screen at
the very moments a 1 kHz tone sounds on the operator's channel), seek, speed, balance, score
with a time-anchored comment; an agent cannot open another agent's call; a POST without the
CSRF token changes nothing. Screenshots of every page in Russian and English go to
tests/artifacts (or $AGENTDESK_ARTIFACTS)."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from formats.manifest import COMPLETE, Manifest, MaskedPeriod
from recorder.outbox.audio_pack import pack_opus
from recorder.segments.encoder import SegmentEncoder
from store.client_types import CallInput
from store.users import set_password
from tests.integration.playback_kit import (
    decode_mp4,
    marker_onsets,
    tone_onsets,
    upload_call_as_the_uploader_will,
)
from tests.integration.store_kit import Store, new_id, now_us, store_with_clients
from tests.servers.chromium import Chromium, chromium_available
from tests.servers.chromium import sign_in as sign_in_form

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PASSWORDS = {"alice": "alice-secret-1", "quinn": "quinn-secret-3", "ada": "ada-secret-444"}
PASSWORDS |= {"sam": "sam-secret-555", "bob": "bob-secret-22"}
MAX_OFFSET_MS = 40
WIDTH, HEIGHT, FPS = 320, 180, 25
SEGMENT_S = 3.0
LENGTH_S = 6.0
MARKERS_S = (0.6, 1.6, 2.4, 3.6, 4.4, 5.4)  # red screen and a tone, 0.3 s each
MARK_S = 1.2  # the operator's mark
RATE = 48_000


def artifacts() -> Path:
    folder = Path(os.environ.get("AGENTDESK_ARTIFACTS") or REPO / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _i420(rgb: tuple[int, int, int]) -> np.ndarray:
    """A full-range BT.709 I420 picture of one colour (as the recorder's canvas makes)."""
    r, g, b = rgb
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    u = (b - y) / 1.8556 + 128
    v = (r - y) / 1.5748 + 128
    luma = 16 + y * 219 / 255
    chroma = [16 + (c - 128) * 224 / 255 + 112 for c in (u, v)]
    frame = np.empty((HEIGHT * 3 // 2, WIDTH), np.uint8)
    frame[:HEIGHT] = round(luma)
    quarter = HEIGHT // 4
    frame[HEIGHT : HEIGHT + quarter] = round(chroma[0])
    frame[HEIGHT + quarter :] = round(chroma[1])
    return frame


RED, BLUE = _i420((255, 0, 0)), _i420((0, 0, 255))


def _is_marked(t: float) -> bool:
    return any(m <= t < m + 0.3 - 1e-9 for m in MARKERS_S)


def make_recording(folder: Path, call_id: str, t0: int) -> Path:
    """Two screen segments (the recorder's encoder: VFR H.264, fragmented MP4, manifests) and
    the call's stereo audio packed as the outbox packs it (Opus in Ogg), all from UTC `t0`.
    The second segment has a masked period (a sensitive field). Returns the Ogg file."""
    folder.mkdir(parents=True, exist_ok=True)
    step_us = 1_000_000 // FPS
    for index in range(int(LENGTH_S / SEGMENT_S)):
        start = t0 + int(index * SEGMENT_S * 1e6)
        end = start + int(SEGMENT_S * 1e6)
        name = f"screen-{index:03d}.mp4"
        encoder = SegmentEncoder(folder / name, WIDTH, HEIGHT, start, FPS)
        utc = start
        last = BLUE
        while utc < end:
            last = RED if _is_marked((utc - t0) / 1e6) else BLUE
            encoder.encode(last, utc)
            utc += step_us
        encoder.close(last, end)
        masked = []
        if index == 1:
            masked = [
                MaskedPeriod(
                    t0 + 4_900_000, t0 + 5_200_000, [(0, 0, WIDTH, HEIGHT)], ["sensitive_field"]
                )
            ]
        manifest = Manifest(
            id=f"seg{index}",
            file=name,
            status=COMPLETE,
            utc_start_us=start,
            utc_end_us=end,
            width=WIDTH,
            height=HEIGHT,
            fps=float(FPS),
            layout={},
            call_ids=[call_id],
            frames=encoder.frames,
            masked_periods=masked,
        )
        (folder / f"screen-{index:03d}.json").write_text(json.dumps(manifest.to_json()))
    n = int((LENGTH_S + 0.2) * RATE)
    t = np.arange(n) / RATE
    mask = np.zeros(n, bool)
    for m in MARKERS_S:
        mask |= (t >= m) & (t < m + 0.3)
    left = np.where(mask, 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0)
    right = 0.05 * np.sin(2 * np.pi * 300 * t)  # the customer's line hum
    pcm = (np.stack([left, right], axis=1) * 32767).astype("<i2")
    wav_path = folder / "call.wav"
    with wave.open(str(wav_path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    ogg = folder / "call.ogg"
    pack_opus(wav_path, ogg, call_id=call_id, first_sample_utc_us=t0)
    return ogg


@dataclass
class Console:
    store: Store
    recorded: str  # alice's call with screen and audio
    bobs: str  # bob's call
    t0: int
    form_id: int


@contextlib.contextmanager
def console_store(request: pytest.FixtureRequest, folder: Path) -> Iterator[Store]:
    """A store on SQLite whose users of :data:`PASSWORDS` can sign in to the web console."""
    with store_with_clients(request, folder, "sqlite") as store:
        with store.db() as db:
            for name, password in PASSWORDS.items():
                set_password(db, name, password)
        yield store


@pytest.fixture(scope="module")
def console(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    if not chromium_available():
        pytest.fail("Chromium and chromedriver are not installed: run scripts/setup")
    tmp = tmp_path_factory.mktemp("web-browser")
    with console_store(request, tmp / "store") as store:
        t0 = now_us() - 3_600_000_000
        recorded = new_id()
        ogg = make_recording(tmp / "media", recorded, t0)
        call: CallInput = {
            "agent": "alice",
            "direction": "inbound",
            "remote_number": "+7 912 555-01-02",
            "queue": "support",
            "started_us": t0,
            "answered_us": t0 + 300_000,
            "ended_us": t0 + int(LENGTH_S * 1e6),
            "holds": [{"start_us": t0 + 2_000_000, "end_us": t0 + 2_300_000}],
            "events": [
                {"at_us": t0 + int(MARK_S * 1e6), "kind": "operator_mark", "detail": ""},
                {"at_us": t0 + 4_900_000, "kind": "pause", "detail": "sensitive_field"},
                {"at_us": t0 + 5_200_000, "kind": "resume", "detail": "sensitive_field"},
                {"at_us": t0 + 5_600_000, "kind": "pause", "detail": "manual"},
                {"at_us": t0 + 5_800_000, "kind": "resume", "detail": "manual"},
            ],
            "disposition": "resolved",
        }
        upload_call_as_the_uploader_will(
            store.alice, recorded, call, tmp / "media", ogg, "audio/ogg", t0
        )
        bobs = new_id()
        store.bob.put_call(
            bobs,
            {
                "agent": "bob",
                "direction": "outbound",
                "remote_number": "+7 912 555-09-09",
                "started_us": t0,
                "answered_us": t0 + 1_000_000,
                "ended_us": t0 + 20_000_000,
            },
        )
        form = store.ada.create_form(
            "Basics",
            [
                {"key": "greeting", "label": "Greeting", "max_score": 5, "weight": 1.0},
                {"key": "solution", "label": "Solution", "max_score": 10, "weight": 2.0},
            ],
        )
        yield Console(store, recorded, bobs, t0, int(form["id"]))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not chromium_available():
        pytest.fail("Chromium and chromedriver are not installed: run scripts/setup")
    with Chromium(tmp_path_factory.mktemp("chromium-profile")) as chromium:
        yield chromium.driver


def wait_for(driver: Any, script: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {script}")
        time.sleep(0.05)


def shot(driver: Any, name: str) -> None:
    """The whole page, not only the window."""
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(4000, max(height, int(full) + 140)))
    driver.execute_script("window.scrollTo(0, 0)")
    try:
        driver.save_screenshot(str(artifacts() / f"web-{name}.png"))
    finally:
        driver.set_window_size(width, height)


def lang_of(driver: Any) -> str:
    return str(driver.execute_script("return document.documentElement.lang"))


def set_lang(driver: Any, lang: str) -> None:
    if lang_of(driver) != lang:
        driver.find_element("id", "lang-switch").click()
        wait_for(driver, f"return document.documentElement.lang === '{lang}'")


def sign_in(driver: Any, url: str, name: str) -> None:
    driver.delete_all_cookies()
    sign_in_form(driver, url, name, PASSWORDS[name])
    wait_for(driver, "return location.pathname === '/calls'")


def player_ready(driver: Any) -> None:
    wait_for(
        driver,
        "return window.agentdeskPlayer && agentdeskPlayer.stats.timelineReady"
        " && document.getElementById('audio').readyState >= 3"
        " && document.getElementById('screen').readyState >= 2",
        15,
    )


def play_through(driver: Any, from_us: int, seconds: float) -> dict[str, Any]:
    """Play from `from_us` for `seconds` of wall time, probe on; the stats afterwards."""
    driver.execute_script(
        "agentdeskPlayer.pause(); agentdeskPlayer.seek(arguments[0]);"
        "agentdeskPlayer.stats.samples.length = 0; agentdeskPlayer.stats.markers.length = 0;"
        "agentdeskPlayer.stats.probe = true;",
        from_us,
    )
    wait_for(driver, "return !document.getElementById('screen').seeking")
    driver.find_element("id", "play").click()
    time.sleep(seconds)
    stats: dict[str, Any] = driver.execute_script(
        "const s = agentdeskPlayer.stats; agentdeskPlayer.pause();"
        "return {samples: s.samples.slice(), markers: s.markers.slice(),"
        " mode: agentdeskPlayer.mode}"
    )
    return stats


def test_qa_plays_a_recorded_call_in_sync_seeks_and_scores_it(
    console: Console, browser: Any
) -> None:
    url = console.store.url
    t0 = console.t0
    driver = browser
    driver.delete_all_cookies()
    driver.get(f"{url}/login")
    set_lang(driver, "en")
    shot(driver, "login-en")
    set_lang(driver, "ru")
    shot(driver, "login-ru")
    sign_in(driver, url, "quinn")
    set_lang(driver, "en")

    # search by the number, written another way
    driver.find_element("id", "f-number").send_keys("89125550102")
    driver.find_element("id", "search").click()
    wait_for(driver, "return document.querySelectorAll('#calls-table tbody tr').length === 1")
    row = driver.find_element("css selector", "#calls-table tbody tr")
    assert row.get_attribute("data-call-id") == console.recorded
    shot(driver, "calls-en")
    set_lang(driver, "ru")
    shot(driver, "calls-ru")
    set_lang(driver, "en")

    driver.find_element("css selector", "#calls-table tbody tr a").click()
    wait_for(driver, f"return location.pathname === '/calls/{console.recorded}'")
    player_ready(driver)
    bands = driver.execute_script("return agentdeskPlayer.stats.bands")
    assert {"kind": "hold", "reason": ""} in bands
    assert {"kind": "masked", "reason": "sensitive_field"} in bands
    assert {"kind": "paused", "reason": "manual"} in bands  # the masked one shows the other
    assert {"kind": "paused", "reason": "sensitive_field"} not in bands

    # play the whole call: each marker's first frame shows with the tone's onset, the second
    # segment (loaded behind the first) taking over at its start
    swaps = driver.execute_script("return agentdeskPlayer.stats.swaps")
    stats = play_through(driver, t0, LENGTH_S + 0.4)
    assert driver.execute_script("return agentdeskPlayer.stats.swaps") == swaps + 1
    markers = stats["markers"]
    report = []
    for m in MARKERS_S:
        tone_us = t0 + int(m * 1e6)
        seen = [x for x in markers if abs(x["frameUtc"] - tone_us) < 50_000]
        assert seen, f"the marker at {m} s was not shown: {markers}"
        offset_ms = (seen[0]["audioUtc"] - tone_us) / 1000
        report.append(round(offset_ms, 1))
    print(f"marker shown vs tone heard, ms: {report}")
    assert all(abs(o) <= MAX_OFFSET_MS for o in report), report
    offsets = [s["offsetMs"] for s in stats["samples"]]
    assert len(offsets) > LENGTH_S * FPS * 0.6, len(offsets)
    print(
        f"frames {len(offsets)}: median {statistics.median(offsets):.1f} ms, "
        f"max |offset| {max(abs(o) for o in offsets):.1f} ms"
    )
    within = [o for o in offsets if abs(o) <= MAX_OFFSET_MS]
    assert len(within) >= 0.95 * len(offsets), sorted(offsets, key=abs)[-20:]

    # seek by the operator's mark in the events list, then play on from there
    mark_us = t0 + int(MARK_S * 1e6)
    started = time.monotonic()
    driver.find_element("css selector", f"button.seek[data-at-us='{mark_us}']").click()
    wait_for(
        driver,
        "const v = document.getElementById('screen');"
        "return !v.seeking && v.readyState >= 2"
        f" && Math.abs(agentdeskPlayer.screenTime - {mark_us}) < 40000",
    )
    print(f"seek to the mark: {1000 * (time.monotonic() - started):.0f} ms (WebDriver included)")
    assert driver.execute_script("return agentdeskPlayer.position()") == mark_us
    shot(driver, "call-en")

    # 2x keeps the pitch and the sync; the balance silences one side
    driver.find_element("css selector", "#speed option[value='2']").click()
    assert driver.execute_script("return agentdeskPlayer.rates.audio") == 2
    assert driver.execute_script("return agentdeskPlayer.preservesPitch") is True
    fast = play_through(driver, t0 + 2_500_000, 1.2)
    fast_offsets = [s["offsetMs"] for s in fast["samples"]]
    print(f"2x: {len(fast_offsets)} frames, median {statistics.median(fast_offsets):.1f} ms")
    assert statistics.median([abs(o) for o in fast_offsets]) <= MAX_OFFSET_MS
    driver.find_element("css selector", "#speed option[value='0.5']").click()
    assert driver.execute_script("return agentdeskPlayer.rates.audio") == 0.5
    driver.execute_script(
        "const b = document.getElementById('balance'); b.value = '-1';"
        "b.dispatchEvent(new Event('input'));"
    )
    assert driver.execute_script("return agentdeskPlayer.graph") == {
        "left": 1,
        "right": 0,
        "state": "running",
    }

    # score with a comment anchored at 2.5 s
    driver.execute_script("agentdeskPlayer.seek(arguments[0])", t0 + 2_500_000)
    driver.find_element("name", "score.greeting").send_keys("4")
    driver.find_element("name", "score.solution").send_keys("9")
    driver.find_element("id", "add-comment").click()
    driver.find_element("css selector", "#new-comments .comment-text").send_keys("late greeting")
    driver.find_element("id", "summary").send_keys("good call")
    driver.find_element("id", "save-evaluation").click()
    wait_for(driver, "return location.search === '?saved=1'")
    evaluations = console.store.quinn.evaluations(console.recorded)
    assert evaluations[-1]["comments"] == [{"position_ms": 2500, "text": "late greeting"}]
    assert evaluations[-1]["score_pct"] == round(100 * (4 / 5 + 2 * 9 / 10) / 3, 2)
    assert driver.find_elements("css selector", "button.seek-ms[data-position-ms='2500']")
    player_ready(driver)
    shot(driver, "call-scored-en")
    set_lang(driver, "ru")
    player_ready(driver)
    shot(driver, "call-ru")

    # a POST from the page without the CSRF token changes nothing
    status = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(location.pathname + '/evaluations', {method: 'POST', body: new URLSearchParams("
        "{form_id: arguments[0], 'score.greeting': '1', 'score.solution': '1'})})"
        ".then(r => done(r.status), e => done(String(e)));",
        str(console.form_id),
    )
    assert status == 403
    assert len(console.store.quinn.evaluations(console.recorded)) == len(evaluations)

    # every media read of the page went through the audited routes
    reads = console.store.ada.audit(actor="quinn", action="media.read")
    assert reads


def test_an_mp4_export_is_a_job_with_progress_and_keeps_the_sync(
    console: Console, browser: Any, tmp_path: Path
) -> None:
    url = console.store.url
    driver = browser
    sign_in(driver, url, "quinn")
    set_lang(driver, "en")
    driver.get(f"{url}/calls/{console.recorded}")
    driver.find_element("id", "export-mp4").click()
    wait_for(driver, "return location.search.startsWith('?export=')")
    href = wait_for(
        driver,
        "const a = document.getElementById('export-link'); return !a.hidden && a.href",
        60,
    )
    player_ready(driver)
    shot(driver, "call-exported-en")
    sha256 = str(href).rsplit("/", 1)[1]
    mp4 = tmp_path / "export.mp4"
    mp4.write_bytes(console.store.quinn.download(sha256))
    frames, pcm, rate, audio_start = decode_mp4(mp4)
    assert frames and len(pcm) > rate * LENGTH_S * 0.95
    tones = [audio_start + t for t in tone_onsets(pcm[:, 0], rate)]
    shown = marker_onsets(
        frames, lambda p: p[0] > 160 and p[1] < 90 and p[2] < 90, (WIDTH // 2, HEIGHT // 2)
    )
    assert len(tones) == len(MARKERS_S) == len(shown), (tones, shown)
    offsets = [round(1000 * (m - t), 1) for m, t in zip(shown, tones, strict=True)]
    print(f"export: marker minus tone, ms: {offsets}")
    assert all(abs(o) <= MAX_OFFSET_MS for o in offsets), offsets
    assert all(abs(m - s) < 0.001 for m, s in zip(shown, MARKERS_S, strict=True)), shown
    exported = console.store.ada.audit(actor="quinn", action="call.export")
    assert exported and exported[0]["target"] == console.recorded


def test_a_call_without_audio_plays_its_screen_on_the_wall_clock(
    console: Console, browser: Any
) -> None:
    store, t0 = console.store, console.t0
    silent = new_id()
    store.alice.put_call(
        silent,
        {
            "agent": "alice",
            "direction": "outbound",
            "remote_number": "+7 912 555-07-07",
            "started_us": t0,
            "answered_us": t0 + 100_000,
            "ended_us": t0 + int(LENGTH_S * 1e6),
        },
    )
    for link in store.alice.get_call(console.recorded)["media"]:
        if link["kind"] == "screen":
            store.alice.link_media(
                silent, link["sha256"], "screen", link["start_us"], link["end_us"]
            )
    driver = browser
    sign_in(driver, store.url, "quinn")
    set_lang(driver, "en")
    driver.get(f"{store.url}/calls/{silent}")
    wait_for(
        driver,
        "return window.agentdeskPlayer && agentdeskPlayer.stats.timelineReady"
        " && document.getElementById('screen').readyState >= 2",
    )
    assert driver.find_element("id", "player-note").text == "No audio recorded"
    driver.find_element("id", "play").click()
    time.sleep(1.5)
    state = driver.execute_script(
        "return {mode: agentdeskPlayer.mode, at: agentdeskPlayer.position(),"
        " screen: agentdeskPlayer.screenTime}"
    )
    driver.execute_script("agentdeskPlayer.pause()")
    assert state["mode"] == "wall"
    assert 1.2e6 < state["at"] - t0 < 2.2e6, state
    assert abs(state["screen"] - state["at"]) < 100_000, state


def test_an_agent_cannot_open_another_agents_call(console: Console, browser: Any) -> None:
    url = console.store.url
    driver = browser
    sign_in(driver, url, "alice")
    set_lang(driver, "en")
    ids = [
        r.get_attribute("data-call-id")
        for r in driver.find_elements("css selector", "#calls-table tbody tr")
    ]
    assert console.recorded in ids and console.bobs not in ids
    driver.get(f"{url}/calls/{console.bobs}")
    assert driver.find_element("id", "error-title").text == "Not found"
    assert "555-09-09" not in driver.page_source
    assert (
        driver.execute_script(
            "return fetch('/api/v1/calls/' + arguments[0]).then(r => r.status)", console.bobs
        )
        == 404
    )
    driver.get(f"{url}/audit")
    assert driver.find_element("id", "error-title").text == "Forbidden"


def test_admin_and_supervisor_pages(console: Console, browser: Any) -> None:
    url = console.store.url
    driver = browser
    note = next(m for m in console.store.quinn.get_call(console.recorded)["media"])
    console.store.quinn.download(note["sha256"], 0, 0)  # a read for the trail
    sign_in(driver, url, "ada")
    driver.get(f"{url}/audit")
    set_lang(driver, "en")
    assert "media.read" in driver.find_element("id", "audit-table").text
    shot(driver, "audit-en")
    set_lang(driver, "ru")
    shot(driver, "audit-ru")
    sign_in(driver, url, "sam")
    driver.get(f"{url}/board")
    set_lang(driver, "en")
    assert "alice" in driver.find_element("id", "board-table").text
    # the board follows the agents without a reload
    console.store.alice.set_state("alice", "on_call", at_us=now_us(), call_id=console.recorded)
    console.store.alice.put_presence("alice", {"call_id": console.recorded, "recording": True})
    assert (
        driver.execute_async_script(
            "agentdeskBoard.refresh().then(arguments[arguments.length - 1])"
        )
        == 200
    )
    row = driver.find_element("css selector", "#board-table tr[data-agent='alice']")
    assert "on a call" in row.text and console.recorded[:12] in row.text
    shot(driver, "board-en")
    set_lang(driver, "ru")
    shot(driver, "board-ru")
    driver.get(f"{url}/reports")
    set_lang(driver, "en")
    drawn = wait_for(driver, "return window.agentdeskReport")
    assert drawn["series"] == 3 and drawn["points"] >= 1
    table = driver.find_element("id", "report-table").text
    assert "Offered" in table
    shot(driver, "reports-en")
    set_lang(driver, "ru")
    wait_for(driver, "return window.agentdeskReport")
    shot(driver, "reports-ru")
    driver.find_element("css selector", "#report-form select option[value='agent']").click()
    driver.find_element("id", "report-run").click()
    wait_for(driver, "return location.search.includes('group=agent')")
    assert "alice" in driver.find_element("id", "report-table").text
    driver.find_element("id", "sign-out").click()
    wait_for(driver, "return location.pathname === '/login'")

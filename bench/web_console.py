"""The web console's player on a 10-minute call, in headless Chromium against a real store:
how long after the call page starts loading the first screen frame and the audio are ready,
how soon sound plays after pressing play, how long a seek to 09:30 takes until its frame is
shown, and how long the MP4 export job of the call takes. The call: ten 60 s segments from
the recorder's encoder (1280×720, 2 fps, a moving block) and the stereo audio packed as the
outbox packs it (Opus in Ogg, 32 kbit/s).

    .venv/bin/python -m bench.web_console [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from formats.manifest import COMPLETE, Manifest  # noqa: E402
from recorder.outbox.audio_pack import pack_opus  # noqa: E402
from recorder.segments.encoder import SegmentEncoder  # noqa: E402
from store.client import StoreClient  # noqa: E402
from store.db import connect  # noqa: E402
from store.users import set_password  # noqa: E402
from tests.integration.playback_kit import upload_call_as_the_uploader_will  # noqa: E402
from tests.servers.chromium import Chromium, sign_in  # noqa: E402
from tests.servers.store import StoreServer  # noqa: E402

USERS = {"alice": "agent", "quinn": "qa"}
PASSWORD = "bench-password-1"
W, H, FPS = 1280, 720, 2


def ten_minute_call(folder: Path, call_id: str, start_us: int, minutes: int = 10) -> Path:
    rate, seconds = 48000, minutes * 60
    t = np.arange(seconds * rate) / rate
    pcm = np.stack([0.2 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)], 1)
    wav = folder / "call.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((pcm * 32767).astype("<i2").tobytes())
    ogg = folder / "call.ogg"
    pack_opus(wav, ogg, call_id=call_id, first_sample_utc_us=start_us)
    for index in range(minutes):
        begin = start_us + index * 60_000_000
        name = f"screen-{index:02d}.mp4"
        encoder = SegmentEncoder(folder / name, W, H, begin, FPS)
        yuv = np.full((H * 3 // 2, W), 128, np.uint8)
        yuv[:H] = 220
        for i in range(60 * FPS):
            yuv[:H] = 220
            x = (i * 9) % (W - 80)
            yuv[100 + 40 * index : 140 + 40 * index, x : x + 80] = 60
            encoder.encode(yuv, begin + i * 1_000_000 // FPS)
        encoder.close(yuv, begin + 60_000_000)
        manifest = Manifest(
            id=f"s{index}",
            file=name,
            status=COMPLETE,
            utc_start_us=begin,
            utc_end_us=begin + 60_000_000,
            width=W,
            height=H,
            fps=float(FPS),
            layout={},
            call_ids=[call_id],
        )
        (folder / f"screen-{index:02d}.json").write_text(json.dumps(manifest.to_json()))
    return ogg


def wait_for(driver: object, script: str, timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)  # type: ignore[attr-defined]
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(script)
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as name:
        tmp = Path(name)
        call_id = uuid.uuid4().hex
        start = 1_700_000_000_000_000
        (tmp / "media").mkdir()
        made = time.perf_counter()
        ogg = ten_minute_call(tmp / "media", call_id, start)
        size_mb = ogg.stat().st_size / 1e6
        print(f"made the call in {time.perf_counter() - made:.1f} s: audio {size_mb:.1f} MB")
        server = StoreServer(tmp / "store", None, dict(USERS), ["--max-upload-mb", "200"])
        server.start()
        try:
            db = connect(str(server.data_dir / "store.sqlite3"))
            set_password(db, "quinn", PASSWORD)
            db.close()
            alice = StoreClient(server.base_url, server.tokens["alice"])
            call = {
                "agent": "alice",
                "direction": "inbound",
                "started_us": start,
                "answered_us": start,
                "ended_us": start + 600_000_000,
            }
            upload_call_as_the_uploader_will(
                alice,
                call_id,
                call,
                tmp / "media",
                ogg,
                "audio/ogg",
                start,  # type: ignore[arg-type]
            )
            with Chromium(tmp / "profile") as chromium:
                driver = chromium.driver
                sign_in(driver, server.base_url, "quinn", PASSWORD)
                wait_for(driver, "return location.pathname === '/calls'")
                rows: list[dict[str, float]] = []
                for _ in range(args.runs):
                    driver.get(f"{server.base_url}/calls/{call_id}")
                    wait_for(
                        driver,
                        "const s = window.agentdeskPlayer && agentdeskPlayer.stats;"
                        "return s && s.firstFrameMs !== null && s.audioReadyMs !== null",
                    )
                    pressed = driver.execute_script(
                        "const t = performance.now(); document.getElementById('play').click();"
                        "return t"
                    )
                    sound = wait_for(driver, "return agentdeskPlayer.stats.firstSoundMs")
                    time.sleep(0.5)
                    driver.execute_script("agentdeskPlayer.seek(arguments[0])", start + 570_000_000)
                    seek = wait_for(driver, "return agentdeskPlayer.stats.seeks[0]")
                    stats = driver.execute_script("return agentdeskPlayer.stats")
                    rows.append(
                        {
                            "first_frame": stats["firstFrameMs"],
                            "audio_ready": stats["audioReadyMs"],
                            "sound_after_play": float(sound) - float(pressed),  # type: ignore[arg-type]
                            "seek_0930": float(seek),  # type: ignore[arg-type]
                        }
                    )
                    print("run: " + ", ".join(f"{k} {v:.0f} ms" for k, v in rows[-1].items()))
                started = time.perf_counter()
                driver.find_element("id", "export-mp4").click()
                wait_for(
                    driver,
                    "const a = document.getElementById('export-link'); return a && !a.hidden",
                    300,
                )
                export_s = time.perf_counter() - started
                job = driver.execute_script("return agentdeskPlayer.stats.export")
                print(
                    f"MP4 export job: {export_s:.1f} s until its link shows, "
                    f"{job['size'] / 1e6:.1f} MB"
                )
                print(
                    "median: "
                    + ", ".join(
                        f"{k} {statistics.median(r[k] for r in rows):.0f} ms" for k in rows[0]
                    )
                )
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

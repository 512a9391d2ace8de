"""Transcription speed and memory of the installed speech model(s), per call channel.

Speaks a two-sided call with espeak-ng (English or Russian, each side's text once, padded with
silence to `--seconds` per channel),
decodes it as the worker does and transcribes each channel with the worker's `Transcriber`
(faster-whisper, int8, VAD on, beam 5). Prints per model and channel: audio seconds, wall
seconds, the real-time factor (wall / audio; below 1 is faster than real time), the word
error rate against the spoken text, and the process's peak RSS after loading and after
transcribing.

    .venv/bin/python -m bench.transcribe [--language en|ru] [--seconds 20] [--threads 2]
        [--model-dir DIR ...]
"""

from __future__ import annotations

import argparse
import io
import re
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store.transcripts.audio import RATE  # noqa: E402
from store.transcripts.model import resolve  # noqa: E402
from store.transcripts.worker import Transcriber  # noqa: E402

TEXT = {
    "en": (
        "Hello, this is customer support, my name is Anna. How can I help you today? "
        "I can see your order from Monday. It was sent yesterday and should arrive tomorrow. "
        "Is there anything else I can do for you?",
        "Good afternoon. I ordered a new router last week and it has not arrived yet. "
        "Could you please tell me where it is? Thank you very much, that is all.",
    ),
    "ru": (
        "Здравствуйте, служба поддержки, меня зовут Анна. Чем могу помочь? "
        "Ваш заказ отправлен вчера и придёт завтра. Могу ещё чем-нибудь помочь?",
        "Добрый день. Я заказал новый роутер на прошлой неделе, и он ещё не пришёл. "
        "Подскажите, пожалуйста, где он сейчас. Спасибо большое.",
    ),
}
VOICE = {"en": "en-us", "ru": "ru"}


def speak(text: str, voice: str, seconds: float) -> np.ndarray:
    """The text said once, then silence to `seconds` (calls have pauses too), RATE Hz."""
    out = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "140", "--stdout", text], check=True, capture_output=True
    ).stdout
    with wave.open(io.BytesIO(out)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    t = np.arange(0, len(pcm) * RATE // rate) * (rate / RATE)
    one = (np.interp(t, np.arange(len(pcm)), pcm) / 32768).astype(np.float32)
    rest = max(0, int(seconds * RATE) - len(one) - RATE // 2)
    return np.concatenate([np.zeros(RATE // 2, np.float32), one, np.zeros(rest, np.float32)])


def words(text: str) -> list[str]:
    return re.findall(r"[a-zа-я0-9]+", text.lower().replace("ё", "е"))


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)] / max(1, len(ref))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--language", choices=sorted(TEXT), default="en")
    parser.add_argument("--seconds", type=float, default=20.0, help="audio per channel")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model-dir", action="append", default=[], help="(default: installed)")
    args = parser.parse_args()
    lang = args.language
    channels = [speak(text, VOICE[lang], args.seconds) for text in TEXT[lang]]
    with tempfile.TemporaryDirectory() as cache:
        for model_dir in args.model_dir or [None]:
            began = time.perf_counter()
            folder, name = resolve(Path(model_dir) if model_dir else None, Path(cache))
            joined = time.perf_counter() - began
            began = time.perf_counter()
            model = Transcriber(folder, threads=args.threads)
            print(f"{name}: found (joined and checked) in {joined:.2f} s, "
                  f"loaded in {time.perf_counter() - began:.2f} s, "
                  f"peak RSS {peak_rss_mb():.0f} MB, {args.threads} threads")  # fmt: skip
            for side, pcm, text in zip(("operator", "customer"), channels, TEXT[lang], strict=True):
                began = time.perf_counter()
                segments = model.transcribe(pcm, lang, side, 0)
                wall = time.perf_counter() - began
                said = " ".join(s.text for s in segments)
                error = wer(text, said)
                audio_s = len(pcm) / RATE
                print(f"  {lang} {side}: {audio_s:.1f} s audio in {wall:.2f} s, "
                      f"RTF {wall / audio_s:.3f}, WER {error:.2f}: {said[:70]!r}")  # fmt: skip
            print(f"  peak RSS after transcribing {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The demo caller's voice: real words from espeak-ng when it is installed, else a synthetic
voice of vowel-like syllables, words and pauses (no recording needed).

Harmonics of a wandering pitch shaped by two formants per vowel, in syllables of 120–250 ms,
so it sounds like distant speech rather than a test tone.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

VOWELS = ((730, 1090), (270, 2290), (300, 870), (530, 1840), (570, 840))


def _syllable(rng: np.random.Generator, rate: int) -> np.ndarray:
    n = int(rng.uniform(0.12, 0.25) * rate)
    t = np.arange(n) / rate
    f0_mean = rng.uniform(110, 170)
    f0 = f0_mean * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(1, 3) * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    f1, f2 = VOWELS[int(rng.integers(len(VOWELS)))]
    sig = np.zeros(n)
    for k in range(1, int(3800 / f0_mean)):
        f = k * f0_mean
        gain = np.exp(-(((f - f1) / 160) ** 2)) + 0.6 * np.exp(-(((f - f2) / 220) ** 2)) + 0.04 / k
        sig += gain * np.sin(k * phase)
    if rng.random() < 0.5:  # a consonant-like burst of noise at the start
        burst = min(n, int(0.03 * rate))
        sig[:burst] += rng.normal(0, 0.4, burst)
    return sig * np.hanning(n)


def spoken_like(seconds: float = 8.0, rate: int = 16000, seed: int = 7) -> np.ndarray:
    """int16 mono samples of speech-like sound."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = []
    total = 0
    while total < seconds * rate:
        for _word in range(int(rng.integers(3, 7))):
            for _ in range(int(rng.integers(1, 4))):
                parts.append(_syllable(rng, rate))
            parts.append(np.zeros(int(rng.uniform(0.05, 0.12) * rate)))
        parts.append(np.zeros(int(rng.uniform(0.35, 0.6) * rate)))
        total = sum(len(p) for p in parts)
    audio = np.concatenate(parts)[: int(seconds * rate)]
    audio *= 0.3 / max(1e-9, float(np.max(np.abs(audio))))
    return (audio * 32767).astype("<i2")


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


PHRASES = {
    "ru": "Здравствуйте! У меня с утра не работает интернет, "
    "лампочка на роутере мигает красным. Номер договора: один два три четыре пять. "
    "Я уже перезагружал роутер, не помогло. Подскажите, пожалуйста, что делать?",
    "en": "Hello! My internet has been down since this morning, "
    "and the light on the router is blinking red. My contract number is one two three four "
    "five. I have already restarted the router. Could you help me, please?",
}


def speech(path: Path, language: str = "ru", rate: int = 16000) -> Path | None:
    """The demo caller's words spoken by espeak-ng, as a mono WAV at ``rate`` (None when
    espeak-ng is not installed or fails: the caller then uses :func:`spoken_like`)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return None
    raw = path.with_suffix(".espeak.wav")
    text = PHRASES.get(language, PHRASES["en"])
    voice = "ru" if language == "ru" else "en-us"
    try:
        subprocess.run(
            [espeak, "-v", voice, "-s", "150", "-w", str(raw), text],
            check=True,
            capture_output=True,
            timeout=30,
        )
        with wave.open(str(raw), "rb") as w:
            source_rate = w.getframerate()
            samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    except (OSError, subprocess.SubprocessError, wave.Error, EOFError):
        return None
    finally:
        raw.unlink(missing_ok=True)
    if samples.size == 0:
        return None
    # To the conference bridge's rate (linear interpolation is plenty for speech).
    positions = np.arange(int(samples.size * rate / source_rate)) * (source_rate / rate)
    resampled = np.interp(positions, np.arange(samples.size), samples.astype(np.float64))
    pause = np.zeros(int(0.8 * rate))
    voice_track = np.concatenate([pause, resampled, pause]).astype("<i2")
    return write_wav(path, voice_track, rate)

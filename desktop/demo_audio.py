"""A synthetic voice for the demo: vowel-like syllables, words and pauses (no recording needed).

Harmonics of a wandering pitch shaped by two formants per vowel, in syllables of 120–250 ms,
so it sounds like distant speech rather than a test tone.
"""

from __future__ import annotations

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

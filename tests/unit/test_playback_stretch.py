"""Playing at another speed keeps the voices' pitch (WSOLA), the clock follows the speed,
and 1× passes the samples through untouched."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.qa.playback.stretch import Renderer, best_shift, gains

RATE = 16_000


class ToneTrack:
    """Left a 440 Hz tone, right 700 Hz, for 20 s at 16 kHz (what the player reads)."""

    rate = RATE

    def __init__(self, seconds: float = 20.0) -> None:
        t = np.arange(int(seconds * RATE)) / RATE
        self.pcm = np.stack(
            [0.5 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 700 * t)], 1
        ).astype(np.float32)

    def read(self, first: int, count: int) -> np.ndarray:
        out = np.zeros((count, 2), np.float32)
        a, b = max(first, 0), min(first + count, len(self.pcm))
        if b > a:
            out[a - first : b - first] = self.pcm[a:b]
        return out


def _played(renderer: Renderer, seconds: float, speed: float, balance: float = 0.0):
    blocks = [renderer.render(512, speed, balance) for _ in range(int(seconds * RATE / 512))]
    return np.concatenate(blocks)


def _peak_hz(channel: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(channel * np.hanning(len(channel))))
    return float(np.argmax(spectrum)) * RATE / len(channel)


def _purity(channel: np.ndarray, hz: float) -> float:
    """Share of the energy within 20 Hz of `hz` (a warbling or clicking stretch spreads it)."""
    spectrum = np.abs(np.fft.rfft(channel * np.hanning(len(channel)))) ** 2
    freqs = np.fft.rfftfreq(len(channel), 1 / RATE)
    return float(spectrum[np.abs(freqs - hz) <= 20].sum() / spectrum.sum())


@pytest.mark.parametrize("speed", [0.5, 0.75, 1.25, 1.5, 2.0])
def test_other_speeds_keep_the_pitch_and_move_the_clock_at_that_speed(speed: float) -> None:
    track = ToneTrack()
    start = 2 * RATE
    renderer = Renderer(track, start)
    out = _played(renderer, 4.0, speed)
    assert _peak_hz(out[:, 0]) == pytest.approx(440, abs=3)  # resampling would give 440 × speed
    assert _peak_hz(out[:, 1]) == pytest.approx(700, abs=3)
    assert _purity(out[:, 0], 440) > 0.97 and _purity(out[:, 1], 700) > 0.97
    level = float(np.sqrt(np.mean(out[RATE:, 0] ** 2)))
    assert level == pytest.approx(0.5 / np.sqrt(2), rel=0.05)  # no dips where pieces join
    # The clock: the track position now heard is where the speed puts it, within the search.
    assert renderer.position == pytest.approx(start + len(out) * speed, abs=renderer.reach)


def test_one_x_passes_the_samples_through_and_a_seek_lands_exactly() -> None:
    track = ToneTrack()
    renderer = Renderer(track, 1000)
    out = renderer.render(700, 1.0, 0.0)
    assert np.array_equal(out, track.pcm[1000:1700]) and renderer.position == 1700
    _played(renderer, 1.0, 1.5)  # faster for a second, then back to normal speed
    back = renderer.position
    out = renderer.render(512, 1.0, 0.0)
    first = round(back)
    assert np.array_equal(out, track.pcm[first : first + 512])
    renderer.seek(5 * RATE)
    assert renderer.position == 5 * RATE
    _played(renderer, 0.5, 2.0)
    assert renderer.position == pytest.approx(5 * RATE + 0.5 * RATE * 2.0, abs=512 * 2)


def test_balance_weighs_operator_against_customer() -> None:
    track = ToneTrack()
    out = Renderer(track, 0).render(256, 1.0, -1.0)  # operator only
    assert np.array_equal(out[:, 0], track.pcm[:256, 0]) and not out[:, 1].any()
    out = Renderer(track, 0).render(256, 1.5, 0.5)
    assert gains(0.5) == (0.5, 1.0) and float(np.abs(out[:, 0]).max()) <= 0.26
    assert gains(1.0) == (0.0, 1.0) and gains(0.0) == (1.0, 1.0) and gains(-0.5) == (1.0, 0.5)


def test_the_shift_search_finds_where_a_waveform_continues() -> None:
    """Pieces of noise, white and low-passed (like speech), found again in a region of the
    size the player searches (the piece's half and ±10 ms around it)."""
    rng = np.random.default_rng(3)
    white = rng.standard_normal(640).astype(np.float32)
    low = np.convolve(rng.standard_normal(660), np.ones(8) / 8, "valid")[:640].astype(np.float32)
    for region in (white, low):
        for at in (0, 37, 160, 201, 320):
            assert best_shift(region[at : at + 320], region) == at
    silent = np.zeros(640, np.float32)
    assert best_shift(silent[:320], silent) == 160  # nothing to match: no shift (the middle)

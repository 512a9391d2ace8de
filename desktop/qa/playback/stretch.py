"""Playing a call faster or slower without changing voices' pitch: WSOLA time-stretching.

Output is built from 40 ms pieces of the track, windowed (periodic Hann, so pieces half
overlapping add up to 1) and overlap-added every 20 ms. Each piece is read from where the
speed says (the nominal position advances 20 ms × speed per 20 ms of output), shifted by up
to ±10 ms to where its waveform best continues the piece before (cross-correlation, coarse
on a decimated signal, then to the sample), so voices do not warble. The shift is never
carried over: the clock — the input position of the next sample played — stays the nominal
one, within 10 ms, and the screen follows it. At 1× the samples pass through untouched.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]
PIECE_S = 0.040
SEARCH_S = 0.010
SEARCH_RATE = 8000  # the coarse search runs at about this rate


class Track(Protocol):
    rate: int

    def read(self, first: int, count: int) -> Samples: ...


def gains(balance: float) -> tuple[float, float]:
    """(operator, customer) gain for a balance in -1 (operator only) … +1 (customer only)."""
    balance = max(-1.0, min(1.0, balance))
    return min(1.0, 1.0 - balance), min(1.0, 1.0 + balance)


def best_shift(template: npt.NDArray[np.float32], region: npt.NDArray[np.float32]) -> int:
    """The offset in `region` where `template` fits best (largest cross-correlation), found
    on `step`-sample means first, then to the sample around the three best; the middle (no
    shift) when nothing correlates (silence)."""
    room = len(region) - len(template)
    step = 1
    while room // (2 * step) > 40:  # ~80 candidates at most in the coarse pass
        step *= 2
    coarse = np.correlate(_decimated(region, step), _decimated(template, step), mode="valid")
    if len(coarse) == 0 or float(np.max(coarse)) <= 0.0:
        return room // 2
    n = len(template)
    best, best_score = room // 2, -np.inf
    for at in np.argsort(coarse)[-3:] * step:  # the three best coarse fits, each refined
        for j in range(max(0, int(at) - step), min(room, int(at) + step) + 1):
            score = float(np.dot(region[j : j + n], template))
            if score > best_score:
                best, best_score = j, score
    return best


def _decimated(x: npt.NDArray[np.float32], step: int) -> npt.NDArray[np.float32]:
    """Means of `step` samples: a low-pass before the coarse search, which otherwise
    misses anything between its points."""
    whole = len(x) // step * step
    return x[:whole].reshape(-1, step).mean(axis=1) if step > 1 else x


class Renderer:
    """Stereo output from a track at a speed, pitch kept, with the balance applied.
    `position` is the track sample the next output sample plays: the playback clock."""

    def __init__(self, track: Track, position: float) -> None:
        self.track = track
        rate = track.rate
        self.hop = max(8, int(rate * PIECE_S) // 2)
        self.reach = max(1, int(rate * SEARCH_S))
        k = np.arange(2 * self.hop, dtype=np.float64)
        self.window = (0.5 - 0.5 * np.cos(np.pi * k / self.hop)).astype(np.float32)[:, None]
        self.seek(position)

    def seek(self, position: float) -> None:
        """Play from track sample `position` (also the way back to a clean state)."""
        self._position = float(position)
        self._nominal = float(position)  # where the next piece is read, before its shift
        self._out = np.zeros((0, 2), np.float32)  # made, not yet played
        self._at = np.zeros(0, np.float64)  # the track position of each of those samples
        self._tail: Samples | None = None  # the second half of the last piece
        self._natural = 0  # where the track continues the last piece

    @property
    def position(self) -> float:
        return self._position

    def render(self, frames: int, speed: float, balance: float) -> Samples:
        if speed == 1.0:
            if self._tail is not None:  # back from another speed: from what is heard now
                self.seek(self._position)
            first = round(self._position)
            out = self.track.read(first, frames)
            self._position = float(first + frames)
        else:
            if self._tail is None:
                self._start(self._position)
            while len(self._out) < frames:
                self._piece(speed)
            out, self._out = self._out[:frames], self._out[frames:]
            self._at = self._at[frames:]
            self._position = float(self._at[0]) if len(self._at) else self._nominal
        op, cu = gains(balance)
        if (op, cu) != (1.0, 1.0):
            out = out * np.array([op, cu], np.float32)
        return out.astype(np.float32, copy=False)

    def _start(self, position: float) -> None:
        """Begin stretching at `position`: the piece before it stands in as the last one,
        so the first piece fades into the sound rather than from silence."""
        self._nominal = position
        start = round(position) - self.hop
        before = self.track.read(start, 2 * self.hop) * self.window
        self._tail = before[self.hop :]
        self._natural = start + self.hop

    def _piece(self, speed: float) -> None:
        hop, reach = self.hop, self.reach
        nominal = round(self._nominal)
        template = self.track.read(self._natural, hop).sum(axis=1)
        region = self.track.read(nominal - reach, hop + 2 * reach).sum(axis=1)
        start = nominal - reach + best_shift(template, region)
        piece = self.track.read(start, 2 * hop) * self.window
        assert self._tail is not None
        made = self._tail + piece[:hop]
        self._tail = piece[hop:]
        self._natural = start + hop
        at = self._nominal + np.arange(hop, dtype=np.float64) * speed
        self._out = np.concatenate([self._out, made])
        self._at = np.concatenate([self._at, at])
        self._nominal += hop * speed

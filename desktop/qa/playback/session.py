"""One call being played: its timeline, audio and screen from the store, the clock, and a
thread that keeps the frame for the clock's position decoded, so the UI only picks it up."""

from __future__ import annotations

import threading
from typing import Any

from desktop.qa.playback.call_media import load_call, open_audio, open_screen
from desktop.qa.playback.clock import Clock, make_clock
from desktop.qa.playback.screen import ScreenFrame
from desktop.qa.playback.timeline import Band, CallTimeline, silence_bands
from store.client import StoreClient

FRAME_POLL_S = 0.01


class PlaybackSession:
    """Open with :meth:`open` (network: not on the UI thread); then play, seek, ``frame()``."""

    def __init__(
        self,
        client: StoreClient,
        call: dict[str, Any],
        timeline: CallTimeline,
        *,
        sound: bool = True,
    ) -> None:
        self.client = client
        self.call = call
        self.timeline = timeline
        self.audio = open_audio(client, timeline)
        self.screen = open_screen(client, timeline)
        self.clock: Clock
        self.clock, self.sound_problem = make_clock(self.audio, timeline.start_us, sound)
        self._frame: ScreenFrame | None = None
        self._stop = threading.Event()
        self._seeked = threading.Event()
        self._thread = threading.Thread(target=self._feed, name="screen-feed", daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, client: StoreClient, call_id: str, *, sound: bool = True) -> PlaybackSession:
        media = load_call(client, call_id)
        return cls(client, media.call, media.timeline, sound=sound)

    # --- transport -------------------------------------------------------------------------
    def position_us(self) -> int:
        return max(self.timeline.start_us, min(self.timeline.end_us, self.clock.position_us()))

    def position_ms(self) -> int:
        return self.timeline.position_ms(self.position_us())

    def play(self) -> None:
        if self.clock.position_us() >= self.timeline.end_us:
            self.seek(self.timeline.start_us)
        self.clock.play()

    def pause(self) -> None:
        self.clock.pause()

    def seek(self, utc_us: int) -> None:
        self.clock.seek(max(self.timeline.start_us, min(self.timeline.end_us, utc_us)))
        self._seeked.set()

    def set_speed(self, speed: float) -> None:
        self.clock.speed = speed

    def set_balance(self, balance: float) -> None:
        self.clock.balance = balance

    @property
    def at_end(self) -> bool:
        return self.clock.position_us() >= self.timeline.end_us

    def silence(self) -> list[Band]:
        """Silent stretches of the audio decoded so far."""
        if self.audio is None:
            return []
        return silence_bands(self.audio.samples(), self.audio.rate, self.audio.start_us)

    # --- the screen ------------------------------------------------------------------------
    def frame(self) -> ScreenFrame | None:
        """The latest decoded frame for the clock's position (any thread)."""
        return self._frame

    def _feed(self) -> None:
        while not self._stop.is_set():
            self._seeked.clear()
            try:
                self._frame = self.screen.frame_at(self.position_us())
            except Exception as exc:  # a broken segment must not stop the sound
                self.screen_problem = f"cannot decode the screen: {exc}"
                self._stop.wait(0.5)
            self._seeked.wait(FRAME_POLL_S)

    def close(self) -> None:
        self._stop.set()
        self._seeked.set()
        self._thread.join(5)
        self.clock.close()
        self.screen.close()
        if self.audio is not None:
            self.audio.close()

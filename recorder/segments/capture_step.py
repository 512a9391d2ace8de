"""What each tick of the recording loop grabs: the tiles X DAMAGE reported drawn on, or the
whole screen (at the start, after a mask or layout change, without damage, and every
``full_grab_s`` to check damage); whether damage can be trusted; and grabs that keep failing.
"""

from __future__ import annotations

import logging
import time

from recorder.capture.changes import ChangeDetector
from recorder.capture.damage import DamageTracker, damaged_tiles
from recorder.capture.geometry import Rect
from recorder.capture.grab import CaptureError, Frame, Patches, ScreenGrabber
from recorder.segments.canvas import FULL_AREA_SHARE
from recorder.segments.stats import StageStats

log = logging.getLogger(__name__)

# Whole grabs in a row that find changes damage did not report: damage is no longer trusted.
DAMAGE_MISSES_TOLERATED = 3


class CaptureStep:
    """The grabbing side of :class:`recorder.segments.pipeline.ScreenRecorder`; ``damage`` is
    an opened tracker or None (grab the whole screen every tick)."""

    def __init__(
        self,
        grabber: ScreenGrabber,
        damage: DamageTracker | None,
        stats: StageStats,
        *,
        tile: int,
        full_grab_s: float,
        failure_limit_s: float,
    ) -> None:
        self.grabber, self.damage, self.stats = grabber, damage, stats
        self.tile, self.full_grab_s, self.failure_limit_s = tile, full_grab_s, failure_limit_s
        self.verify: list[Rect] | None = None  # damage of a whole grab's tick, to check
        self.last_grab_us: int | None = None
        self._pending: list[Rect] = []
        self._grabbed_mask: tuple[Rect, ...] = ()
        self._next_full_grab = 0.0
        self._misses_in_a_row = 0
        self._failing_since: float | None = None

    def close(self) -> None:
        if self.damage is not None:
            self.stats.damage_events = self.damage.events
            self.damage.close()

    @property
    def next_full_grab(self) -> float:
        """When (monotonic seconds) a tick grabs the whole screen to check damage."""
        return self._next_full_grab

    @property
    def grabbed_mask(self) -> tuple[Rect, ...]:
        """The mask of the last whole grab: another one makes the next tick grab it all."""
        return self._grabbed_mask

    def event_fds(self) -> list[int] | None:
        """The sockets that tell of drawing and of layout changes, when the loop may sleep on
        them (recorder/segments/still.py): None without damage or layout events, while grabs
        fail, or when damage was reported that no tick collected yet."""
        if self.damage is None or self._pending or self._failing_since is not None:
            return None
        damage = self.damage.quiet_fileno()
        layout = self.grabber.changes_fileno()
        if damage is None or layout is None:
            return None
        return [damage, layout]

    def capture(
        self, mask_root: tuple[Rect, ...], detector: ChangeDetector | None, region: Rect | None
    ) -> Frame | Patches | None:
        """Grab what may have changed: the damaged tiles when damage is tracked and the
        picture is known, else (and every ``full_grab_s``) the whole region."""
        self.verify = None
        damaged = self.damage.collect() if self.damage is not None else None
        if damaged is not None:
            damaged, self._pending = damaged + self._pending, []
        now = time.monotonic()
        known = (
            damaged is not None
            and detector is not None
            and detector.reference is not None
            and mask_root == self._grabbed_mask
            and region == self.grabber.layout.region
        )
        if known and damaged is not None and region is not None:
            if now < self._next_full_grab:
                tiles = damaged_tiles(damaged, region, self.tile)
                if sum(r.area for r in tiles) <= FULL_AREA_SHARE * region.area:
                    try:
                        patches = self.grabber.grab_parts(tiles)
                    except CaptureError:
                        patches = None  # the whole grab below reports it (and retries)
                    if patches is not None:
                        self.stats.partial_grabs += 1
                        self.stats.grabs += 1
                        self.last_grab_us = patches.utc_us
                        return patches
            else:
                self.verify = damaged
        frame = self._grab()
        if frame is not None:
            self._grabbed_mask = mask_root
            self._next_full_grab = now + self.full_grab_s
        return frame

    def check_damage(self, changed: list[Rect], region: Rect) -> None:
        """After a whole grab: did damage report every change? Damage drawn since the
        collection counts too (and stays pending for the next tick)."""
        damaged, self.verify = self.verify, None
        if not changed or damaged is None or self.damage is None:
            return
        later = self.damage.collect(round_trip=True) or []
        self._pending = later
        covered = damaged_tiles(damaged + later, region, self.tile)
        missed = [r for r in changed if all(r.intersect(c).empty for c in covered)]
        if not missed:
            self._misses_in_a_row = 0
            return
        self.stats.damage_misses += 1
        self._misses_in_a_row += 1
        log.info("damage did not report a change at %s", missed[0])
        if self._misses_in_a_row >= DAMAGE_MISSES_TOLERATED:
            log.warning(
                "the X server's damage reports miss changes; grabbing the whole screen every tick"
            )
            self.damage.close()
            self.damage = None

    def _grab(self) -> Frame | None:
        try:
            frame = self.grabber.grab()
        except CaptureError as exc:
            now = time.monotonic()
            if self._failing_since is None:
                self._failing_since = now
                log.warning("screen grab failed: %s", exc)
            if now - self._failing_since >= self.failure_limit_s:
                raise CaptureError(
                    f"screen grabs failed for {now - self._failing_since:.0f} s: {exc}"
                ) from exc
            self.stats.capture_errors += 1
            return None
        if self._failing_since is not None:
            log.info("screen grabs work again")
            self._failing_since = None
        self.stats.grabs += 1
        self.last_grab_us = frame.utc_us
        return frame

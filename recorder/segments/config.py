"""What the recording loop (recorder/segments/pipeline.py) records, and how."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from recorder.segments.encoder import EncoderSettings


@dataclass
class RecorderConfig:
    """What to record and how; defaults are the recorder's (see recorder/README.md)."""

    out_dir: Path
    display: str | None = None
    monitor: int = 0  # 0: the whole virtual desktop; n: monitor n (1-based)
    fps: float = 5.0
    scale_width: int | None = None  # scale the picture to this width (keeps aspect, even)
    # A segment is cut at the first large change after ``segment_s`` (its key frame then
    # replaces a P-frame that would have been nearly as big), at the latest after
    # ``segment_s * segment_stretch``.
    segment_s: float = 120.0
    segment_stretch: float = 1.5
    # A segment in which nothing changed after its key frame may last this long: a new one
    # would only repeat the same (and most expensive) picture.
    segment_idle_s: float = 300.0
    tile: int = 32
    layout_check_s: float = 1.0
    capture_failure_limit_s: float = 5.0  # grabs failing this long end the recording
    # X DAMAGE: grab and compare only what was drawn on (recorder/capture/damage.py); the whole
    # screen is still grabbed and compared every ``full_grab_s``.
    damage: bool = True
    full_grab_s: float = 5.0
    # Small changes within this long of the last frame wait for the next one (pacing.py).
    hold_small_s: float = 0.4
    # A burst of large changes (a scroll) encoded at most this often; 0: every one (pacing.py;
    # off: on the bench's browser screen 0.4 s saved 5 % of CPU and bytes for -0.02 of SSIM).
    hold_large_s: float = 0.0
    call_ids: list[str] = field(default_factory=list)
    encoder: EncoderSettings = field(default_factory=EncoderSettings)

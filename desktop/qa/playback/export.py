"""Export a call for a dispute: one MP4 with the operator's screen (H.264) and the call's
stereo audio (AAC), aligned by their UTC timestamps, a visible watermark naming who exported
it and when on every frame, and the export written to the store's audit trail. `progress`
hears the share done as it goes and may stop the export by raising (ExportCancelled): the
partial file is removed and nothing is logged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from desktop.qa.playback.audio import AudioTrack
from desktop.qa.playback.call_media import load_call, open_audio, reader
from desktop.qa.playback.screen import segment_frames
from desktop.qa.playback.timeline import CallTimeline
from desktop.qa.playback.watermark import blend, render_text, watermark_text
from formats.clock import utc_us
from store.client import StoreClient, sha256_file

VIDEO_TB = Fraction(1, 90_000)
AUDIO_FRAME = 1024  # AAC frame size
AUDIO_LEAD_S = 0.5  # audio muxed this far ahead of the video, for interleaving
AUDIO_CHUNK_S = 10  # audio without pictures is written (and its progress told) in pieces
Progress = Callable[[float], None]


@dataclass
class ExportResult:
    path: Path
    sha256: str
    origin_us: int  # UTC of the MP4's time 0
    duration_s: float
    video_frames: int
    audio_samples: int
    watermark: str


class ExportError(RuntimeError):
    """The export could not be made; the message says why."""


class ExportCancelled(Exception):
    """Raised by a `progress` callback to stop the export."""


def _span(timeline: CallTimeline, audio: AudioTrack | None) -> tuple[int, int]:
    starts = [p.start_us for p in timeline.screens]
    ends = [p.end_us or p.start_us for p in timeline.screens]
    if audio is not None:
        starts.append(audio.start_us)
        ends.append(audio.end_us)
    if not starts:
        raise ExportError(f"call {timeline.call_id} has neither screen nor audio to export")
    return min(starts), max(ends)


class _Writer:
    """The MP4 being written: video frames and audio pushed in time order."""

    def __init__(self, path: Path, width: int, height: int, rate: int) -> None:
        self.container: Any = av.open(
            str(path), "w", format="mp4", options={"movflags": "+faststart"}
        )
        video = self.container.add_stream("libx264")
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = VIDEO_TB
        video.codec_context.time_base = VIDEO_TB
        video.codec_context.options = {
            "preset": "veryfast",
            "crf": "23",
            "x264-params": "bframes=0",
        }
        audio = self.container.add_stream("aac", rate=rate)
        audio.layout = "stereo"
        audio.time_base = Fraction(1, rate)
        self.video, self.audio = video, audio
        self.size = (width, height)
        self.rate = rate
        self.last_pts = -1
        self.frames = 0
        self.samples = 0

    def add_frame(self, rgb: np.ndarray[Any, Any], pts: int) -> None:
        pts = max(pts, self.last_pts + 1)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        if (frame.width, frame.height) != self.size:
            frame = frame.reformat(width=self.size[0], height=self.size[1])
        frame = frame.reformat(format="yuv420p")
        frame.pts = pts
        self.container.mux(self.video.encode(frame))
        self.last_pts = pts
        self.frames += 1

    def add_audio(self, pcm: np.ndarray[Any, Any]) -> None:
        """Stereo float samples, continuing where the last call ended."""
        for i in range(0, len(pcm), AUDIO_FRAME):
            chunk = np.ascontiguousarray(pcm[i : i + AUDIO_FRAME].T, dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = self.rate
            frame.pts = self.samples
            self.samples += chunk.shape[1]
            self.container.mux(self.audio.encode(frame))

    def close(self) -> None:
        self.container.mux(self.video.encode(None))
        self.container.mux(self.audio.encode(None))
        self.container.close()


def export_mp4(
    client: StoreClient,
    call_id: str,
    out: Path | str,
    *,
    exported_by: str,
    exported_at_us: int | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the MP4 to ``out`` and log it in the store's audit; returns what was written."""
    out = Path(out)
    media = load_call(client, call_id)
    timeline = media.timeline
    audio = open_audio(client, timeline)
    if audio is not None:
        audio.wait(None, timeout=600)
        if audio.error:
            raise ExportError(audio.error)
    origin, end = _span(timeline, audio)
    text = watermark_text(exported_by, exported_at_us or utc_us())
    rate = audio.rate if audio is not None else 16000
    first = _first_frame(client, timeline)
    height, width = first.shape[:2] if first is not None else (720, 1280)
    width, height = width - width % 2, height - height % 2
    overlay = render_text(text, width)
    writer = _Writer(out, width, height, rate)
    total_samples = (end - origin) * rate // 1_000_000
    sent = 0
    told = 0.0

    def tell(share: float) -> None:
        """The share done so far (never less than told before) to `progress`."""
        nonlocal told
        told = max(told, min(1.0, share))
        if progress is not None:
            progress(told)

    def audio_until(utc: int) -> None:
        nonlocal sent
        upto = min(total_samples, (utc - origin) * rate // 1_000_000)
        upto -= upto % AUDIO_FRAME if upto < total_samples else 0
        while upto > sent:
            step = min(upto - sent, AUDIO_CHUNK_S * rate // AUDIO_FRAME * AUDIO_FRAME)
            first_frame = (audio.frame_at(origin) if audio else 0) + sent
            pcm = audio.read(first_frame, step) if audio else np.zeros((step, 2), np.float32)
            writer.add_audio(pcm)
            sent += step
            tell(sent / max(1, total_samples))

    def video(rgb: np.ndarray[Any, Any], utc: int) -> None:
        audio_until(utc + int(AUDIO_LEAD_S * 1e6))
        writer.add_frame(blend(rgb[:height, :width], overlay), (utc - origin) * 9 // 100)
        tell((utc - origin) / max(1, end - origin))

    try:
        tell(0.0)
        blank = np.zeros((height, width, 3), np.uint8)
        if not timeline.screens or timeline.screens[0].start_us > origin:
            video(blank, origin)  # audio before the first screen frame: a black picture
        # A frame is written once the next one is known: on a boundary two segments share,
        # the later segment's first frame (a fresh picture) replaces the earlier's last repeat.
        held: tuple[np.ndarray[Any, Any], int] | None = None
        for part in timeline.screens:
            for frame in segment_frames(reader(client, part, read_ahead=4), part.start_us):
                if held is not None and frame.utc_us > held[1]:
                    video(*held)
                held = (frame.rgb, frame.utc_us)
        if held is not None:
            video(*held)
            last = held[0]
        else:
            last = blank
        if (end - origin) * 9 // 100 > writer.last_pts:
            video(last, end)  # hold the last picture until the audio ends
        audio_until(end)
        writer.close()
    except BaseException:
        writer.container.close()
        out.unlink(missing_ok=True)
        raise
    finally:
        if audio is not None:
            audio.close()
    digest, _ = sha256_file(out)
    client.log_export(call_id, out.name, digest, text)
    return ExportResult(out, digest, origin, (end - origin) / 1e6, writer.frames, sent, text)


def _first_frame(client: StoreClient, timeline: CallTimeline) -> np.ndarray[Any, Any] | None:
    if not timeline.screens:
        return None
    part = timeline.screens[0]
    frames = segment_frames(reader(client, part), part.start_us)
    try:
        first = next(frames, None)
    finally:
        frames.close()
    return None if first is None else first.rgb

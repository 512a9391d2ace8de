"""The live screen frame: what the recorder worker sends the store while a supervisor watches.

A frame is the agent's recorded picture (masks and pauses already black) as JPEG pictures of
the rectangles that changed since the previous frame; a ``key`` frame holds the whole screen.
A viewer paints the parts of the latest key frame and of every frame after it, in order.

On the wire (``PUT /agents/{agent}/screen/live``, ``application/octet-stream``)::

    b"ADSLIVE1" | header length (4 bytes, big-endian) | header (UTF-8 JSON) | the JPEGs

The header is ``{"utc_us", "key", "width", "height", "parts": [[x, y, w, h, bytes], ...]}``
and the JPEGs follow one after the other in the order of ``parts``. :func:`write_frame` is the
one writer, :func:`read_frame` the one reader; a bad frame raises :class:`LiveFrameError`
naming what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

MAGIC = b"ADSLIVE1"
MAX_SIDE = 16384
MAX_PARTS = 2000
MAX_HEADER = 256 * 1024
CONTENT_TYPE = "application/octet-stream"


class LiveFrameError(ValueError):
    """A live frame that cannot be read; the text says why."""


@dataclass(frozen=True)
class LivePart:
    """One changed rectangle of the screen (picture pixels) and its JPEG."""

    x: int
    y: int
    w: int
    h: int
    jpeg: bytes


@dataclass(frozen=True)
class LiveFrame:
    utc_us: int  # capture time of the newest pixels in it (the one clock)
    key: bool  # the parts cover the whole picture: a viewer may start here
    width: int
    height: int
    parts: tuple[LivePart, ...] = field(default_factory=tuple)

    @property
    def jpeg_bytes(self) -> int:
        return sum(len(p.jpeg) for p in self.parts)


def write_frame(frame: LiveFrame) -> bytes:
    header = {
        "utc_us": frame.utc_us,
        "key": frame.key,
        "width": frame.width,
        "height": frame.height,
        "parts": [[p.x, p.y, p.w, p.h, len(p.jpeg)] for p in frame.parts],
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([MAGIC, len(text).to_bytes(4, "big"), text, *(p.jpeg for p in frame.parts)])


def _int(header: dict[str, object], key: str, low: int, high: int) -> int:
    value = header.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise LiveFrameError(f"live frame: {key} must be an integer from {low} to {high}")
    return value


def read_frame(data: bytes) -> LiveFrame:
    """Parse and check one frame (parts inside the picture, each a JPEG)."""
    if not data.startswith(MAGIC):
        raise LiveFrameError("live frame: does not start with ADSLIVE1")
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "big")
    start = len(MAGIC) + 4
    if size > MAX_HEADER or start + size > len(data):
        raise LiveFrameError(f"live frame: header length {size} does not fit the frame")
    try:
        header = json.loads(data[start : start + size])
    except ValueError as exc:
        raise LiveFrameError(f"live frame: the header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise LiveFrameError("live frame: the header is not a JSON object")
    utc = _int(header, "utc_us", 0, 2**62)
    width = _int(header, "width", 1, MAX_SIDE)
    height = _int(header, "height", 1, MAX_SIDE)
    key = header.get("key")
    if not isinstance(key, bool):
        raise LiveFrameError("live frame: key must be true or false")
    raw_parts = header.get("parts")
    if not isinstance(raw_parts, list) or len(raw_parts) > MAX_PARTS:
        raise LiveFrameError(f"live frame: parts must be a list of at most {MAX_PARTS}")
    offset = start + size
    parts: list[LivePart] = []
    for n, raw in enumerate(raw_parts):
        ok = isinstance(raw, list) and len(raw) == 5
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
        if not ok:
            raise LiveFrameError(f"live frame: part {n} must be [x, y, w, h, bytes] integers")
        x, y, w, h, length = raw
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > width or y + h > height:
            raise LiveFrameError(f"live frame: part {n} lies outside the {width}x{height} picture")
        jpeg = data[offset : offset + length]
        if length < 4 or len(jpeg) != length or not jpeg.startswith(b"\xff\xd8"):
            raise LiveFrameError(f"live frame: part {n} is not a whole JPEG")
        parts.append(LivePart(x, y, w, h, jpeg))
        offset += length
    if offset != len(data):
        raise LiveFrameError(f"live frame: {len(data) - offset} bytes after the last part")
    return LiveFrame(utc, key, width, height, tuple(parts))

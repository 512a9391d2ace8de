"""A call's media as the player and the exporter need it, fetched through ``store.client``:
the call document, its segments' manifests, the timeline, and streaming openers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop.qa.playback.audio import AudioTrack
from desktop.qa.playback.screen import ScreenTrack
from desktop.qa.playback.source import RangeReader
from desktop.qa.playback.timeline import CallTimeline, MediaPart, build_timeline
from formats.manifest import MANIFEST_TYPE, Manifest, ManifestError, parse_manifest
from store.client import StoreClient

MAX_MANIFEST = 1024 * 1024


@dataclass
class CallMedia:
    call: dict[str, Any]
    manifests: list[Manifest]
    timeline: CallTimeline


def load_call(client: StoreClient, call_id: str) -> CallMedia:
    """The call, the manifests linked to it (JSON ``data`` links) and its timeline."""
    call: dict[str, Any] = dict(client.get_call(call_id))
    manifests = []
    for link in call.get("media") or []:
        if link["kind"] != "data" or link["content_type"] != MANIFEST_TYPE or link["deleted"]:
            continue
        if link["size"] > MAX_MANIFEST:
            continue
        try:
            manifests.append(parse_manifest(client.download(link["sha256"])))
        except ManifestError:
            continue  # JSON data of another kind
    return CallMedia(call, manifests, build_timeline(call, manifests))


def reader(client: StoreClient, part: MediaPart, **options: Any) -> RangeReader:
    return RangeReader(client, part.sha256, part.size, **options)


def open_audio(client: StoreClient, timeline: CallTimeline) -> AudioTrack | None:
    if timeline.audio is None:
        return None
    return AudioTrack(reader(client, timeline.audio), timeline.audio.start_us, "call audio")


def open_screen(client: StoreClient, timeline: CallTimeline) -> ScreenTrack:
    # Segments decode from their start: the read-ahead keeps the next blocks coming.
    return ScreenTrack(timeline.screens, lambda part: reader(client, part, read_ahead=3))

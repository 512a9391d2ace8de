"""The uploader: drains the outbox to the store on a background thread of the recorder worker.

One item at a time, in the outbox's order (:meth:`recorder.outbox.journal.Outbox.claim`).
Media are uploaded under their SHA-256 (a call's WAV is packed as Opus first,
:mod:`recorder.outbox.audio_pack`)
and leave the spool only when the store answers with the same hash and size; a screen
segment's manifest JSON goes with it (``application/json``, linked to each of its calls as
``data`` over the segment's span: QA playback reads the masked periods from it). A state
change is sent again as it is after a lost answer: the store keeps one row per
(agent, time, state). Calls and states go as the token's owner (``GET /me``), never the agent
named when they were journalled. Failures:

- the store unreachable, 5xx, a timeout, an upload cut short: everything waits, exponential
  backoff with jitter (``base_s`` · 2ⁿ, at most ``max_backoff_s``, times 0.5–1);
- the store refusing one item as invalid (400, 422; not a hash mismatch or a cut upload, which
  are sent again): the item is parked, kept in the outbox with the store's reason and shown
  in the status, and the rest goes past it;
- another refusal of one item (403, 404, 409…): that item waits (same backoff, up to an
  hour) and the rest goes on. Nothing is ever dropped.

``bandwidth_kbps`` caps the upload rate (a token bucket around the file being read).
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO, cast

from formats.manifest import MANIFEST_TYPE
from recorder.outbox.audio_pack import pack_opus, write_silenced_wav
from recorder.outbox.bandwidth import RateLimit, RateMeter, ThrottledFile
from recorder.outbox.journal import Item, Outbox, OutboxError
from recorder.outbox.silences import SilenceJournal
from store.client import StoreClient, sha256_file
from store.client_errors import (
    AuthError,
    HashMismatch,
    InvalidRequest,
    ServerError,
    StoreError,
    StoreUnavailable,
)
from store.client_types import AgentState, CallInput, MediaKind

log = logging.getLogger(__name__)

ITEM_MAX_BACKOFF_S = 3600.0
STATUS_EVERY_S = 2.0  # the rate is reported this often while it changes


def backoff_s(failures: int, base_s: float, cap_s: float) -> float:
    """Exponential backoff with jitter: base·2ⁿ capped, times a random 0.5–1."""
    return min(cap_s, base_s * 2 ** max(0, failures - 1)) * random.uniform(0.5, 1.0)


def _check_confirmed(result: Mapping[str, Any], sha: str, size: int) -> None:
    if result["sha256"] != sha or result["size"] != size:
        raise StoreUnavailable(
            f"the store confirmed {result['sha256'][:12]}… ({result['size']} bytes) for "
            f"{sha[:12]}… ({size} bytes); sending it again"
        )


def _transient(exc: StoreError) -> bool:
    return isinstance(exc, StoreUnavailable | ServerError | AuthError) or (
        isinstance(exc, InvalidRequest) and exc.code == "truncated"
    )


def _invalid(exc: StoreError) -> bool:
    """The store says the item itself is wrong: sending it again as it is will not help."""
    return isinstance(exc, InvalidRequest) and not isinstance(exc, HashMismatch)


class Uploader:
    """The draining thread; ``status()`` and ``on_status`` tell the UI how far it got."""

    def __init__(
        self,
        outbox: Outbox,
        client: StoreClient,
        *,
        bandwidth_kbps: float = 0,
        hold: Callable[[str], bool] = lambda _c: False,
        on_status: Callable[[dict[str, Any]], None] | None = None,
        base_s: float = 1.0,
        max_backoff_s: float = 300.0,
        silences: SilenceJournal | None = None,
    ) -> None:
        self.outbox, self.client, self.hold = outbox, client, hold
        self.silences = silences  # spans to silence in call audio (pauses, masks)
        self.limit = RateLimit(bandwidth_kbps)
        self.meter = RateMeter()
        self.on_status = on_status
        self.base_s, self.max_backoff_s = base_s, max_backoff_s
        self.sent = 0  # items confirmed by this uploader
        self.cpu_s = 0.0  # CPU time of the draining thread so far (packing, hashing, HTTP)
        self.last_error = ""
        self.offline_until = 0.0
        self._failures = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_status: dict[str, Any] = {}
        self._last_rate, self._rate_at = 0, 0.0
        self._agent: str | None = None  # the token's owner, asked once (GET /me)

    # ----- thread ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="uploader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Something was added: look now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
            except OutboxError as exc:  # the outbox's own disk: report, wait, go on
                self._set_error(str(exc))
                busy = False
            except Exception as exc:
                log.exception("uploader: unexpected failure")
                self._set_error(f"uploader: {exc!r}")
                busy = False
            self.cpu_s = time.thread_time()
            self._report()
            if not busy:
                self._wake.wait(self._idle_s())
                self._wake.clear()

    def _idle_s(self) -> float:
        if self.offline_until > time.monotonic():
            return max(0.05, self.offline_until - time.monotonic())
        due = self.outbox.next_due_us()
        if due is None:
            return 1.0
        return min(1.0, max(0.05, (due - time.time_ns() // 1000) / 1e6))

    def drain(self, timeout_s: float) -> bool:
        """Send on this thread until nothing is ready (tests, the bench); True if empty."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.step():
                if not self.outbox.pending():
                    return True
                time.sleep(min(0.2, max(0.0, self._idle_s())))
        return not self.outbox.pending()

    # ----- one item -------------------------------------------------------------------

    def step(self) -> bool:
        """Send one ready item; False when none was ready (or the store is backed off)."""
        if self.offline_until > time.monotonic():
            return False
        item = self.outbox.claim(self.hold)
        if item is None:
            return False
        try:
            self._send(item)
        except StoreError as exc:
            self._failed(item, exc)
            return True
        except (OSError, ValueError) as exc:  # our own file: keep it, say why, try later
            self._item_failed(item, f"{item.key or item.kind}: {exc}")
            return True
        except BaseException:
            with contextlib.suppress(OutboxError):
                self.outbox.release(item)
            raise
        self._failures = 0
        self.sent += 1
        self.outbox.done(item)
        return True

    def _send(self, item: Item) -> None:
        if item.kind == "media":
            self._upload(item)
        elif item.kind == "call":
            body = {**item.body, "agent": self._agent_name()}
            self.client.put_call(str(item.call_id), cast(CallInput, body))
        elif item.kind == "patch":
            self.client.patch_call(str(item.call_id), **item.body)
        elif item.kind == "link":
            self._link(item)
        elif item.kind == "state":
            body = item.body
            state = cast(AgentState, body["state"])
            self.client.set_state(self._agent_name(), state, body["reason"], body["at_us"])
        else:
            raise ValueError(f"unknown outbox item kind {item.kind!r}")

    def _agent_name(self) -> str:
        """The operator is the owner of the token (``GET /me``), whatever agent an item was
        journalled with (the SIP user by older desktops, or nobody yet): resolved when sent."""
        if self._agent is None:
            self._agent = str(self.client.me()["name"])
        return self._agent

    def _link(self, item: Item) -> None:
        """Media ↔ call; a screen segment's manifest is linked too, as ``data``."""
        sha, media = self.outbox.media_info(str(item.media))
        if sha is None:
            raise ValueError(f"link to unknown media {item.media}")
        body, call_id = item.body, str(item.call_id)
        kind = cast(MediaKind, body["kind"])
        self.client.link_media(call_id, sha, kind, body["start_us"], body["end_us"])
        manifest_sha = media.get("manifest_sha256")
        if manifest_sha:
            self.client.link_media(call_id, manifest_sha, "data", body["start_us"], body["end_us"])

    def _upload(self, item: Item) -> None:
        if item.media == "audio" and "packed" not in item.body:
            self._pack(item)
        path = self.outbox.spool / item.files[0]
        content_type = str(item.body.get("content_type", "audio/ogg"))
        sha = item.sha256 or sha256_file(path)[0]
        result = self.client.upload_file(
            path,
            content_type,
            sha,
            reader=lambda fh: cast(BinaryIO, ThrottledFile(fh, self.limit, self.meter)),
        )
        _check_confirmed(result, sha, item.bytes)
        manifest = item.body.get("manifest")
        if item.media == "screen" and manifest and "manifest_sha256" not in item.body:
            self._upload_manifest(item, self.outbox.spool / str(manifest))

    def _upload_manifest(self, item: Item, path: Path) -> None:
        """The segment's manifest JSON, stored under its own hash (noted in the item)."""
        sha, size = sha256_file(path)
        result = self.client.upload_file(path, MANIFEST_TYPE, sha)
        _check_confirmed(result, sha, size)
        self.meter.add(size)
        self.outbox.note(item, manifest_sha256=sha)

    def _pack(self, item: Item) -> None:
        """WAV → Ogg Opus in the spool, paused spans silent; the WAV stays until the Opus
        file is confirmed."""
        wav = self.outbox.spool / item.files[0]
        out = wav.with_suffix(".opus.ogg")
        first_us = int(item.body["first_sample_utc_us"])
        silent = self.silences.spans(first_us) if self.silences is not None else []
        try:
            packed = pack_opus(
                wav, out, call_id=str(item.call_id), first_sample_utc_us=first_us, silent=silent
            )
        except ValueError as exc:  # not packable: the WAV goes, nothing is lost
            log.warning("uploader: %s; uploading the WAV", exc)
            if silent:  # ... but never what was said while paused
                wav_out = wav.with_suffix(".silenced.wav")
                write_silenced_wav(wav, wav_out, first_sample_utc_us=first_us, silent=silent)
                wav = wav_out
            sha, size = sha256_file(wav)
            item.body["content_type"] = "audio/wav"
            self.outbox.packed(item, wav.name, sha, size)
            return
        item.body["content_type"] = "audio/ogg"
        self.outbox.packed(item, packed.path.name, packed.sha256, packed.bytes)

    def _failed(self, item: Item, exc: StoreError) -> None:
        if not _transient(exc) and _invalid(exc):
            log.error("uploader: the store refused %s; parked: %s", item.key or item.kind, exc)
            self.outbox.park(item, exc.message)
            return
        if not _transient(exc):
            self._item_failed(item, exc.message)
            return
        # The store as a whole is away, failing, or refusing our token: everything waits.
        self._failures += 1
        delay = backoff_s(self._failures, self.base_s, self.max_backoff_s)
        self.offline_until = time.monotonic() + delay
        self.outbox.retry(item, exc.message, 0)
        self._set_error(f"{exc.message} (retrying in {delay:.0f} s)")

    def _item_failed(self, item: Item, message: str) -> None:
        delay = backoff_s(item.attempts, self.base_s, ITEM_MAX_BACKOFF_S)
        log.warning("uploader: %s (item %d waits %.0f s)", message, item.id, delay)
        self.outbox.retry(item, message, delay)
        self._set_error(message)

    def _set_error(self, message: str) -> None:
        if message != self.last_error:
            log.warning("uploader: %s", message)
        self.last_error = message

    # ----- status ---------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        state = self.outbox.status()
        state["rate_bps"] = self.meter.bits_per_s()
        state["sent"] = self.sent
        state["cpu_s"] = round(self.cpu_s, 3)
        state["offline"] = self.offline_until > time.monotonic()
        if self.last_error and (state["items"] or state["offline"]):
            state["last_error"] = self.last_error
        return state

    def _report(self) -> None:
        """``on_status`` when something but the rate changed, or the rate every few s."""
        if self.on_status is None:
            return
        state = self.status()
        key = {k: v for k, v in state.items() if k not in ("rate_bps", "cpu_s")}
        now = time.monotonic()
        rate_due = state["rate_bps"] != self._last_rate and now >= self._rate_at + STATUS_EVERY_S
        if key != self._last_status or rate_due:
            self._last_status, self._last_rate, self._rate_at = key, state["rate_bps"], now
            self.on_status(state)

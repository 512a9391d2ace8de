"""The recorder worker's upload side: its outbox, crash recovery at start, the uploader thread.

Kept segments are journalled as they leave the spool (in place: ``OUT/`` is what the uploader
empties); while the outbox is over its quota the
worker keeps no new screen segments (screen recording gives way first; call audio and
metadata, added by the desktop, are always taken). The store's token comes from
``$AGENTDESK_STORE_TOKEN`` (the desktop passes it in the worker's environment) or the keyring
(service ``agentdesk``, user ``store-token``), never from the command line or a file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from formats import pipe
from formats.manifest import Manifest
from recorder.outbox.journal import Outbox, OutboxError
from recorder.outbox.recovery import recover_outbox, recover_segments
from recorder.outbox.silences import SilenceJournal
from recorder.outbox.uploader import Uploader
from recorder.worker_options import WorkerOptions
from store.client import StoreClient

log = logging.getLogger(__name__)

KEYRING_SERVICE, KEYRING_USER = "agentdesk", "store-token"
Emit = Callable[[pipe.Event], None]


def store_token() -> str | None:
    """The store's token: the environment first, then the keyring (None: none is set)."""
    token = os.environ.pop(pipe.STORE_TOKEN_ENV, "") or None  # not inherited by anything we start
    if token is None:
        try:
            import keyring

            token = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        except Exception as exc:  # no usable keyring: say so, journal anyway
            log.warning("no store token: the keyring cannot be read (%s)", type(exc).__name__)
    return token


class UploadSide:
    """What the worker does for uploads (see the module docstring)."""

    def __init__(
        self,
        options: WorkerOptions,
        emit: Emit,
        hold: Callable[[str], bool],
        silences: SilenceJournal | None = None,
    ) -> None:
        self.options = options
        self.silences = silences
        self._emit = emit
        self._hold = hold
        self.outbox: Outbox | None = None
        self.uploader: Uploader | None = None
        self._quota_warned = False
        self.problem = ""
        self._token: str | None = None
        self._live_client: StoreClient | None = None

    def start(self) -> None:
        """Open the outbox, recover what a crash left, start uploading (if a store is set)."""
        opts = self.options
        try:
            self.outbox = Outbox(opts.outbox_path, quota_bytes=round(opts.quota_mb * 1e6))
            recovered = recover_outbox(self.outbox)
            recovered["segments"] = recover_segments(opts.out_dir, self.outbox)
        except (OSError, OutboxError) as exc:
            self.problem = f"the upload outbox cannot be used: {exc}"
            self._error("outbox", self.problem)
            return
        if any(recovered.values()):
            log.warning("outbox recovery: %s", recovered)
        if not opts.store_url:
            self.problem = "no store configured: recordings are kept in the outbox"
            return
        token = self._token = store_token()
        if not token:
            self.problem = (
                f"no store token (set ${pipe.STORE_TOKEN_ENV} or the keyring); not uploading"
            )
            self._error("upload", self.problem)
            return
        client = StoreClient(
            opts.store_url,
            token,
            ca_bundle=opts.store_ca or None,
            timeout=(5.0, 30.0),
            pool_size=2,
        )
        self.uploader = Uploader(
            self.outbox,
            client,
            bandwidth_kbps=opts.bandwidth_kbps,
            hold=self._hold,
            on_status=lambda state: self._emit(pipe.UploadStatus(**state)),
            max_backoff_s=opts.upload_backoff_s,
            silences=self.silences,
        )
        self.uploader.start()

    def live_client(self) -> StoreClient | None:
        """A client of its own for the live screen (short timeouts; None: no store or token)."""
        if self._live_client is None and self.options.store_url and self._token:
            self._live_client = StoreClient(
                self.options.store_url,
                self._token,
                ca_bundle=self.options.store_ca or None,
                timeout=(3.0, 5.0),
                pool_size=1,
            )
        return self._live_client

    def stop(self) -> None:
        if self._live_client is not None:
            self._live_client.close()
        if self.uploader is not None:
            self.uploader.stop()
            self.uploader.client.close()
        if self.outbox is not None:
            self.outbox.close()

    def accepts_screen(self) -> bool:
        """False while the outbox is over its quota or its disk is full (its reserve for
        calls and audio is used up): new screen segments are not kept."""
        if self.outbox is None:
            return True
        state = self.outbox.status()
        over = bool(state["over_quota"]) or state["disk"] == "full"
        if over and not self._quota_warned:
            self._error("spool_full", str(state["warning"]))
        self._quota_warned = over
        return not over

    def disk_full(self) -> bool:
        return self.outbox is not None and self.outbox.disk() == "full"

    def add_segment(self, manifest_path: Path, manifest: Manifest) -> None:
        if self.outbox is None:
            return
        try:
            self.outbox.add_segment(manifest_path, manifest, in_place=True)
        except OutboxError as exc:  # stays beside the recorder: journalled at the next start
            self._error("outbox", f"segment {manifest_path.name} not journalled: {exc}")
            return
        if self.uploader is not None:
            self.uploader.wake()

    def status(self) -> pipe.UploadStatus:
        if self.uploader is not None:
            return pipe.UploadStatus(**self.uploader.status())
        if self.outbox is not None:
            return pipe.UploadStatus(**{**self.outbox.status(), "last_error": self.problem})
        return pipe.UploadStatus(last_error=self.problem)

    def _error(self, kind: str, message: str) -> None:
        log.warning("%s: %s", kind, message)
        self._emit(pipe.WorkerError(kind=kind, message=message))

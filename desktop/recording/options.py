"""What the desktop's recorder link runs: the worker's options
(:class:`recorder.worker_options.WorkerOptions`) from the ``[recorder]``, ``[store]`` and
``[upload]`` settings and, with a store, the store's recording policy; and whether there is a
display to record. The store's token is never on the command line: the link hands it over in
the worker's environment."""

from __future__ import annotations

import dataclasses
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from desktop import paths, secret_store
from desktop.recording.policy import StorePolicy
from desktop.settings.values import RecorderSection, StoreSection, UploadSection
from recorder.segments.windows import RecordingPolicy
from recorder.worker_options import WorkerOptions

log = logging.getLogger(__name__)


def read_token(url: str) -> str | None:
    """The store's token (on a worker thread: a keyring may ask to be unlocked); None when
    none is stored or no keyring works (the worker then journals only and says so)."""
    try:
        return secret_store.read_store_token(url)
    except secret_store.SecretStoreError as exc:
        log.warning("recorder: no store token for uploads: %s", exc)
        return None


def data_dir() -> Path:
    """``agentdesk`` in the user's data folder (the demo's: desktop/paths.py)."""
    return paths.data_root()


@dataclass(frozen=True)
class UploadOptions:
    """The worker's outbox and uploader: the store from ``[store]``, the rest ``[upload]``."""

    outbox_dir: Path
    store_url: str = ""  # '' = journal only
    store_ca: str = ""
    quota_mb: float = 2000.0
    bandwidth_kbps: float = 0.0
    enabled: bool = True  # False: journal only, even with a store

    @property
    def uploads(self) -> bool:
        """Whether anything is sent (a store is set and uploads are on)."""
        return self.enabled and bool(self.store_url)

    def apply(self, worker: WorkerOptions) -> WorkerOptions:
        """``worker`` with this outbox and, if uploads are on, this store."""
        return dataclasses.replace(
            worker,
            outbox_dir=self.outbox_dir,
            quota_mb=self.quota_mb,
            bandwidth_kbps=self.bandwidth_kbps,
            store_url=self.store_url if self.uploads else "",
            store_ca=self.store_ca if self.uploads else "",
        )


def upload_options(store: StoreSection, upload: UploadSection) -> UploadOptions:
    folder = upload.outbox_dir or str(data_dir() / "outbox")
    return UploadOptions(
        outbox_dir=Path(folder).expanduser(),
        store_url=store.url,
        store_ca=str(Path(store.ca_file).expanduser()) if store.ca_file else "",
        quota_mb=upload.quota_mb,
        bandwidth_kbps=upload.bandwidth_kbps,
        enabled=upload.enabled,
    )


@dataclass(frozen=True)
class LinkOptions:
    """The worker's options, and what only the desktop's side of the link uses (the call
    events it feeds the worker, the restart back-off)."""

    worker: WorkerOptions
    agent: str = ""  # the operator, for the agent rules of the policy
    backoff_s: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
    stable_s: float = 60.0  # a worker that captured this long resets the back-off
    extra_args: tuple[str, ...] = ()
    pause_audio: bool = True  # the policy's "audio pauses with the screen"

    @property
    def out_dir(self) -> Path:
        return self.worker.out_dir

    @property
    def capture(self) -> bool:
        """False: the upload-only worker (no display to record)."""
        return self.worker.capture

    def command(self) -> list[str]:
        argv = self.worker.to_argv()
        return [sys.executable, "-m", "recorder.worker", *argv, *self.extra_args]


def display_available(display: str | None) -> tuple[bool, str]:
    """Whether an X display to record is there; else why not (for the settings note)."""
    if not sys.platform.startswith("linux"):
        return False, "the screen recorder captures X11 displays only (Linux)"
    if not display:
        return False, "no X display (DISPLAY is not set)"
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local and not Path(f"/tmp/.X11-unix/X{local.group(1)}").exists():
        return False, f"X display {display} is not running"
    return True, ""


def recordings_dir(section: RecorderSection) -> Path:
    """Where kept screen segments go (the upload-only worker journals leftovers there)."""
    if section.out_dir:
        return Path(section.out_dir).expanduser()
    return data_dir() / "recordings"


def upload_only_options(
    section: RecorderSection, uploads: UploadOptions | None
) -> LinkOptions | None:
    """The upload-only worker's options when nothing records the screen; None when no
    store is set or uploads are off (then nothing would run in it)."""
    if uploads is None or not uploads.uploads:
        return None
    return LinkOptions(uploads.apply(WorkerOptions(recordings_dir(section), capture=False)))


def options_from_settings(
    section: RecorderSection,
    *,
    demo: bool,
    agent: str,
    display: str | None,
    uploads: UploadOptions | None = None,
    policy: StorePolicy | None = None,
) -> tuple[LinkOptions | None, str]:
    """The worker's options, or None and why the screen is not recorded (a settings note).

    With a store (``policy``: the store's recording policy) the screen is recorded wherever
    there is a display, by the store's rules; ``[recorder] enabled = false`` and the local
    policy keys do not change that, and local title masks only add to the store's. Without a
    store the local ``[recorder]`` policy applies; recording is on unless ``enabled = false``.
    """
    ok, why = display_available(display)
    if policy is None and section.enabled is False:
        return None, "screen recording is off ([recorder] enabled = false)"
    if not ok:
        if section.enabled is None and policy is None:
            return None, f"screen recording is off{' in the demo' if demo else ''}: {why}"
        return None, f"screen recording is on but cannot run: {why}"
    worker = WorkerOptions(
        out_dir=recordings_dir(section),
        display=display,
        fps=section.fps,
        preroll_s=section.preroll_s,
        mask_titles=tuple(section.mask_titles),
        policy=RecordingPolicy(
            section.policy,
            section.sample_percent,
            frozenset(section.off_agents),
            frozenset(section.off_queues),
        ),
    )
    if uploads is not None:
        worker = uploads.apply(worker)
    options = LinkOptions(worker, agent=agent)
    if policy is not None:
        options = with_policy(options, policy, tuple(section.mask_titles))
    return options, ""


def with_policy(
    options: LinkOptions, policy: StorePolicy, local_masks: tuple[str, ...]
) -> LinkOptions:
    """``options`` following ``policy``: its rules, frame rate, pre-roll and title masks (the local
    settings' masks added to the store's: locally one may mask more, never less). A policy
    that records none of the operator's calls runs the worker without capture (it still
    uploads): nothing of the screen is taken, not even the pre-roll spool."""
    masks = tuple(dict.fromkeys((*policy.mask_titles, *local_masks)))
    worker = dataclasses.replace(
        options.worker,
        capture=policy.records,
        fps=policy.fps,
        preroll_s=policy.preroll_s,
        mask_titles=masks,
        policy=policy.recording_policy(),
    )
    return dataclasses.replace(options, worker=worker, pause_audio=policy.pause_audio)

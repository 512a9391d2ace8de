"""What the desktop's recorder link runs: the worker's command line from the ``[recorder]``,
``[store]`` and ``[upload]`` settings, and whether there is a display to record. The store's
token is never on the command line: the link hands it over in the worker's environment."""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from desktop import paths, secret_store
from desktop.settings.values import RecorderSection, StoreSection, UploadSection

log = logging.getLogger(__name__)

TOKEN_ENV = "AGENTDESK_STORE_TOKEN"  # read (and removed from its environment) by the worker


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

    def args(self) -> list[str]:
        args = ["--outbox", str(self.outbox_dir), "--quota-mb", f"{self.quota_mb:g}"]
        args += ["--bandwidth-kbps", f"{self.bandwidth_kbps:g}"]
        if self.uploads:
            args += ["--store-url", self.store_url]
            if self.store_ca:
                args += ["--store-ca", self.store_ca]
        return args


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
    """How to run the worker, and the desktop-side settings (back-off)."""

    out_dir: Path
    display: str | None = None
    fps: float = 5.0
    preroll_s: float = 5.0
    mask_titles: tuple[str, ...] = ()
    policy: str = "all"
    sample_percent: float = 100.0
    off_agents: tuple[str, ...] = ()
    off_queues: tuple[str, ...] = ()
    agent: str = ""  # the operator, for the agent rules of the policy
    queue_header: str = "x-queue"  # the INVITE header naming the queue
    backoff_s: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
    stable_s: float = 60.0  # a worker that captured this long resets the back-off
    extra_args: tuple[str, ...] = ()
    upload: UploadOptions | None = None  # None: the worker's defaults (OUT/outbox, no store)
    capture: bool = True  # False: the upload-only worker (no display to record)

    def command(self) -> list[str]:
        args = [sys.executable, "-m", "recorder.worker", "--out", str(self.out_dir)]
        args += ["--fps", f"{self.fps:g}", "--preroll", f"{self.preroll_s:g}"]
        args += ["--policy", self.policy, "--sample-percent", f"{self.sample_percent:g}"]
        for flag, values in (
            ("--mask-title", self.mask_titles),
            ("--off-agent", self.off_agents),
            ("--off-queue", self.off_queues),
        ):
            for value in values:
                args += [flag, value]
        if self.display:
            args += ["--display", self.display]
        if self.upload is not None:
            args += self.upload.args()
        if not self.capture:
            args.append("--no-capture")
        return [*args, *self.extra_args]


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
    return LinkOptions(out_dir=recordings_dir(section), upload=uploads, capture=False)


def options_from_settings(
    section: RecorderSection,
    *,
    demo: bool,
    agent: str,
    display: str | None,
    uploads: UploadOptions | None = None,
) -> tuple[LinkOptions | None, str]:
    """The worker's options, or None and why the screen is not recorded (a settings note)."""
    ok, why = display_available(display)
    if section.enabled is None and not demo:
        return None, "screen recording is off (set [recorder] enabled = true to record)"
    if section.enabled is None and not ok:
        return None, f"screen recording is off in the demo: {why}"
    if section.enabled is False:
        return None, "screen recording is off ([recorder] enabled = false)"
    if not ok:
        return None, f"screen recording is enabled but cannot run: {why}"
    options = LinkOptions(
        out_dir=recordings_dir(section),
        display=display,
        fps=section.fps,
        preroll_s=section.preroll_s,
        mask_titles=section.mask_titles,
        policy=section.policy,
        sample_percent=section.sample_percent,
        off_agents=section.off_agents,
        off_queues=section.off_queues,
        agent=agent,
        upload=uploads,
    )
    return options, ""

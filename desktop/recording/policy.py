"""The company's recording policy as this desktop follows it: fetched from the store at start,
polled every few seconds off the UI thread (``If-None-Match``: an unchanged policy costs a 304),
and kept on disk (``recording-policy.json`` in the app's data folder) so a start with the store
down still applies the last one. Without a cached copy, the store's built-in default applies
(every call recorded): cutting the store off never switches recording off.

The live channel (desktop/live/) asks again at once when the store says the policy changed
(:meth:`PolicyFollower.refresh`); while it is up the polling slows to once a minute
(:meth:`PolicyFollower.pushed`), and is back to every few seconds while it is down.
:class:`PolicyFollower`'s ``changed`` signal is what the rest of the desktop listens to.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from desktop.threads import run_in_thread
from formats import pipe
from recorder.segments.windows import OFF, QueueRule, RecordingPolicy
from store.client import AuthError, StoreClient, StoreError

if TYPE_CHECKING:
    from recorder.worker_options import WorkerOptions

log = logging.getLogger(__name__)

CACHE_NAME = "recording-policy.json"
POLL_S = 3.0
PUSHED_POLL_S = 60.0  # while the live channel is up: it says when the policy changed


@dataclass(frozen=True)
class StorePolicy:
    """What the store's policy asks of this desktop's operator (``effective`` in the store's
    answer): ``mode`` for every call, or the call's queue's rule from ``queues``."""

    version: int = 0
    scope: str = "queues"
    mode: str = "all"
    sample_percent: float = 100.0
    queues: tuple[QueueRule, ...] = ()
    fps: float = 5.0
    preroll_s: float = 5.0
    wrap_up_max_s: float = 600.0
    mask_titles: tuple[str, ...] = ()
    pause_audio: bool = True
    show_listening: bool = True  # the operator sees that a supervisor listens
    queue_header: str = "x-queue"
    queue_wait_header: str = "x-queue-wait"
    pbx_call_id_header: str = "x-asterisk-uniqueid"
    source: str = field(default="default", compare=False)  # default | cache | store

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any], source: str) -> StorePolicy:
        """From the store's ``GET /recording-policy`` answer; ValueError names the key."""
        try:
            e = answer["effective"]
            headers = e["headers"]
            policy = RecordingPolicy.from_json(
                {"mode": e["mode"], "sample_percent": e["sample_percent"], "queues": e["queues"]}
            )
            made = cls(
                version=int(answer["version"]),
                scope=str(e["scope"]),
                mode=policy.mode,
                sample_percent=policy.sample_percent,
                queues=policy.queues,
                fps=float(e["fps"]),
                preroll_s=float(e["preroll_s"]),
                wrap_up_max_s=float(e["wrap_up_max_s"]),
                mask_titles=tuple(str(p) for p in e["mask_titles"]),
                pause_audio=bool(e["pause_audio"]),
                show_listening=bool(e.get("show_listening", True)),
                queue_header=str(headers["queue"]).lower(),
                queue_wait_header=str(headers["queue_wait"]).lower(),
                pbx_call_id_header=str(headers["pbx_call_id"]).lower(),
                source=source,
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"recording policy: missing or mistyped {exc}") from None
        if not 0 < made.fps <= 30 or not 0 <= made.preroll_s <= 60:
            raise ValueError(f"recording policy: fps {made.fps} or pre-roll {made.preroll_s}")
        return made

    def recording_policy(self) -> RecordingPolicy:
        """The worker's rule for each call."""
        return RecordingPolicy(self.mode, self.sample_percent, queues=self.queues)

    @property
    def records(self) -> bool:
        """Whether any call of this operator may be recorded."""
        return self.mode != OFF or any(rule.mode != OFF for rule in self.queues)


def cache_path(folder: Path) -> Path:
    return folder / CACHE_NAME


def read_cache(path: Path) -> StorePolicy | None:
    """The last policy the store gave, None when there is none (or it is unreadable)."""
    try:
        answer = json.loads(path.read_text(encoding="utf-8"))
        return StorePolicy.from_answer(answer, "cache")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("recording policy: the cached copy %s is unusable: %s", path, exc)
        return None


def write_cache(path: Path, answer: Mapping[str, Any]) -> None:
    """Keep the store's answer (atomically: a crash leaves the old one or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(answer, out, indent=1, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


Fetched = tuple[dict[str, Any], str] | None  # (answer, ETag), or None: unchanged


class PolicyFollower(QObject):
    """Follows the store's recording policy for the token's user; call on the UI thread.

    ``policy`` is what applies now (the cached copy or the built-in default until the store
    answers); ``changed`` is emitted on the UI thread with the new :class:`StorePolicy`
    whenever what applies changes."""

    changed = Signal(object)

    def __init__(
        self,
        url: str,
        ca_file: str,
        folder: Path,
        read_token: Callable[[str], str | None],
        *,
        poll_s: float = POLL_S,
        pushed_poll_s: float = PUSHED_POLL_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.url, self.ca_file = url, ca_file
        self.cache = cache_path(folder)
        self._read_token = read_token
        # A few hundred bytes, read once at start like the settings file.
        self.policy = read_cache(self.cache) or StorePolicy()
        if self.policy.source == "cache":
            log.info("recording policy: version %d from the cached copy", self.policy.version)
        self._etag = ""
        self._client: StoreClient | None = None
        self._busy = False
        self._again = False
        self._closed = False
        self._last_problem = ""
        self._poll_ms = (round(poll_s * 1000), round(max(poll_s, pushed_poll_s) * 1000))
        self._timer = QTimer(self)
        self._timer.setInterval(self._poll_ms[0])
        self._timer.timeout.connect(self.poll)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)

    def start(self) -> None:
        self._timer.start()
        self.poll()

    def pushed(self, on: bool) -> None:
        """Whether the live channel is up. Up (again): ask once now (what changed while it
        was down) and then seldom; down: poll every few seconds."""
        interval = self._poll_ms[1 if on else 0]
        if interval != self._timer.interval():
            self._timer.setInterval(interval)  # (restarts a running timer)
        if on:
            self.refresh()

    def close(self) -> None:
        self._closed = True
        self._timer.stop()
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def poll(self) -> None:
        """Ask the store once (off the UI thread); nothing if a question is under way."""
        if self._busy or self._closed:
            return
        self._busy = True
        etag = self._etag
        run_in_thread(lambda: self._fetch(etag), self._fetched)

    def refresh(self) -> None:
        """Ask now (the store said it changed); right after the question under way, if any."""
        if self._busy:
            self._again = True
        else:
            self.poll()

    def _fetch(self, etag: str) -> Fetched:
        """On a worker thread: the store's answer, kept on disk before it is used."""
        if self._closed:
            return None
        client = self._client
        if client is None:
            token = self._read_token(self.url)
            if not token:
                raise AuthError("no store token in the keyring")
            client = self._client = StoreClient(
                self.url, token, ca_bundle=self.ca_file or None, timeout=(3.0, 10.0)
            )
        got = client.recording_policy(etag or None)
        if got is None:
            return None
        answer, tag = got
        data = dict(answer)
        StorePolicy.from_answer(data, "store")  # refuse to cache what cannot be used
        try:
            write_cache(self.cache, data)
        except OSError as exc:
            log.warning("recording policy: cannot keep a copy in %s: %s", self.cache, exc)
        return data, tag

    def _fetched(self, future: Future[Fetched]) -> None:
        self._busy = False
        if self._closed:
            return
        if self._again:
            self._again = False
            QTimer.singleShot(0, self.poll)
        exc = future.exception()
        if exc is not None:
            problem = f"{type(exc).__name__}: {exc}"
            if problem != self._last_problem:  # once, not every few seconds
                level = (
                    logging.WARNING if isinstance(exc, StoreError | ValueError) else logging.ERROR
                )
                log.log(level, "recording policy: %s; keeping %s version %d", problem,
                        self.policy.source, self.policy.version)  # fmt: skip
            self._last_problem = problem
            if isinstance(exc, AuthError):
                self._client = None  # a new token may come into the keyring
            return
        self._last_problem = ""
        got = future.result()
        if got is None:
            return
        answer, self._etag = got
        policy = StorePolicy.from_answer(answer, "store")
        if policy != self.policy:
            log.info("recording policy: version %d (%s: %s)", policy.version, policy.scope,
                     policy.mode)  # fmt: skip
            self.policy = policy
            self.changed.emit(policy)
        else:
            self.policy = policy  # the same rules, now confirmed by the store


def policy_message(worker: WorkerOptions, pause_audio: bool = True) -> pipe.SetPolicy:
    """The worker's rules and title masks as the pipe's ``set_policy``; ``pause_audio``: the
    policy's "audio pauses with the screen" (the uploaded audio is silenced then)."""
    rules = worker.policy.to_json()
    return pipe.SetPolicy(
        pause_audio=pause_audio,
        mode=rules["mode"],
        sample_percent=rules["sample_percent"],
        off_agents=tuple(rules["off_agents"]),
        off_queues=tuple(rules["off_queues"]),
        queues=rules.get("queues", {}),
        mask_titles=worker.mask_titles,
    )


def needs_new_worker(old: WorkerOptions, new: WorkerOptions) -> bool:
    """The frame rate, the pre-roll and whether the screen is captured at all are fixed for a
    worker's life (its capture pacing and its spool are built on them): a change takes a new
    worker."""
    return (old.fps, old.preroll_s, old.capture) != (new.fps, new.preroll_s, new.capture)

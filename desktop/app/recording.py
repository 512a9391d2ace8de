"""The screen recorder and the uploads as the composition root starts them: the recorder link
(following the store's recording policy), the upload queue (and the upload-only worker when
no screen is recorded)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QLabel

from desktop.calls.call import PbxHeaders
from desktop.calls.engine_bridge import EngineBridge
from desktop.calls.model import CallBook
from desktop.operator.window import MainWindow
from desktop.recording.audio_pause import AudioPause
from desktop.recording.link import RecorderLink
from desktop.recording.options import (
    UploadOptions,
    data_dir,
    options_from_settings,
    read_token,
    upload_only_options,
    with_policy,
)
from desktop.recording.policy import PolicyFollower, StorePolicy
from desktop.recording.uploads import UploadQueue
from desktop.settings import values as settings

log = logging.getLogger("agentdesk")


def start_recorder(
    window: MainWindow,
    book: CallBook,
    conf: settings.Settings,
    agent: str,
    display: str | None,
    uploading: UploadOptions,
    follower: PolicyFollower | None = None,
) -> RecorderLink | None:
    """The screen recorder's link when the settings or the store's policy ask for it (None
    when off), following the calls of ``book`` and the store's policy (``follower``, else one
    of its own); its status goes to the window's status bar."""
    if follower is None:
        follower = policy_follower(conf.store, window)
    options, note = options_from_settings(
        conf.recorder, demo=conf.demo.enabled, agent=agent, display=display, uploads=uploading,
        policy=follower.policy if follower is not None else None,
    )  # fmt: skip
    label = QLabel(window)
    label.setObjectName("recorderStatus")
    window.statusBar().addPermanentWidget(label)
    if options is None:
        log.info("settings: %s", note)
        text = QCoreApplication.translate("RecorderLink", "Screen not recorded: %1")
        label.setText(text.replace("%1", note))
        window.attach_recorder(None, label.text())
    link = RecorderLink(options, book, window) if options is not None else None
    audio = None
    if link is not None:  # pauses silence the call audio at the softphone, by policy
        audio = AudioPause(link, book, window.bridge.set_recording_paused, link)
    if follower is not None:
        follow_policy(follower, link, conf.recorder.mask_titles, book, audio, window.bridge)
        follower.start()
    if link is None:
        return None
    link.status_changed.connect(label.setText)
    link.start()
    window.attach_recorder(link)
    return link


def policy_follower(store: settings.StoreSection, parent: QObject) -> PolicyFollower | None:
    """The store's policy as this desktop follows it (its cached copy until the store
    answers); None without a store."""
    if not store.url:
        return None
    return PolicyFollower(store.url, store.ca_file, data_dir(), read_token, parent=parent)


def build_uploads(
    recorder: RecorderLink | None,
    options: UploadOptions | None,
    section: settings.RecorderSection,
    parent: QObject,
) -> UploadQueue:
    """The upload queue in ``options``' outbox (else the recorder's default one), showing the
    worker's upload status; without a recorder it starts the upload-only worker (when a store
    is set)."""
    if options is not None:
        folder = options.outbox_dir
    elif recorder is not None:
        folder = recorder.options.out_dir / "outbox"  # the worker's default
    else:
        folder = data_dir() / "outbox"
    quota = round(options.quota_mb * 1e6) if options is not None else 0
    queue = UploadQueue(folder, parent, quota_bytes=quota)
    link = recorder
    only = upload_only_options(section, options) if link is None else None
    if only is not None:  # no screen recorded: the upload-only worker (--no-capture)
        link = queue.uploader = RecorderLink(only, parent=queue)
        link.start()
    if link is not None:
        link.worker_event.connect(queue.on_worker_event)
    queue.refresh()
    return queue


def follow_policy(
    follower: PolicyFollower,
    link: RecorderLink | None,
    local_masks: tuple[str, ...],
    book: CallBook,
    audio: AudioPause | None = None,
    engine: EngineBridge | None = None,
) -> None:
    """Apply the store's recording policy now and at every change: to the recorder ``link``,
    to ``book`` (the wrap-up maximum, the INVITE headers naming queue, wait and PBX call),
    to ``audio`` (whether audio pauses with the screen) and to the softphone ``engine`` (it
    hands those headers on, whatever their names)."""

    def headers(policy: StorePolicy) -> None:
        names = (policy.queue_header, policy.queue_wait_header, policy.pbx_call_id_header)
        if engine is not None:
            engine.set_kept_headers(names)

    def apply(policy: StorePolicy) -> None:
        headers(policy)
        book.wrap_up_max_s = policy.wrap_up_max_s
        book.pbx = PbxHeaders(policy.queue_header, policy.queue_wait_header,
                              policy.pbx_call_id_header)  # fmt: skip
        if link is not None:
            link.set_policy(with_policy(link.options, policy, local_masks))
        if audio is not None:
            audio.update()

    book.wrap_up_max_s = follower.policy.wrap_up_max_s
    book.pbx = PbxHeaders(follower.policy.queue_header, follower.policy.queue_wait_header,
                          follower.policy.pbx_call_id_header)  # fmt: skip
    headers(follower.policy)
    follower.changed.connect(apply)

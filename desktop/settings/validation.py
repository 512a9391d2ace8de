"""What the settings mean, checked after they were read: each problem names the file and the
key (and the line, where it can be found); and the ``[recorder]`` keys a store's recording policy
overrides."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from desktop.crm.config import problems as crm_problems
from desktop.settings.file import locate
from desktop.settings.sections import (
    AgentSection,
    RecorderSection,
    Settings,
    StoreSection,
    UploadSection,
)
from recorder.segments.windows import MODES
from sip.errors import ConfigError

LANGUAGES = ("auto", "en", "ru")

# What the store's recording policy decides instead when a store is configured.
STORE_POLICY_KEYS = ("fps", "preroll_s", "policy", "sample_percent", "off_agents", "off_queues")


def recorder_notes(settings: Settings, file_name: str) -> list[str]:
    """With a store, the ``[recorder]`` keys that no longer decide anything, and why."""
    if not settings.store.url:
        return []
    r, default, notes = settings.recorder, RecorderSection(), []
    if r.enabled is False:
        notes.append(
            f"{file_name}: recorder.enabled: false does not switch screen recording off while "
            "a store is configured: the store's recording policy decides (ignored)"
        )
    for key in STORE_POLICY_KEYS:
        if getattr(r, key) != getattr(default, key):
            notes.append(
                f"{file_name}: recorder.{key}: ignored, the store's recording policy applies "
                "(local mask_titles only add to the store's)"
            )
    if settings.agent.wrap_up_max_s != AgentSection().wrap_up_max_s:
        notes.append(
            f"{file_name}: agent.wrap_up_max_s: ignored, the store's recording policy sets "
            "the wrap-up maximum"
        )
    return notes


def validate(settings: Settings, file_name: str, text: str = "") -> list[str]:
    """Meaning checks, through the core's own validation; each message names the key."""
    problems: list[str] = []
    checks: list[Callable[[], object]] = [settings.engine_config().validate]
    acc = settings.account_settings()
    if acc is not None:
        checks.append(acc.validate)
    for check in checks:
        try:
            check()
        except ConfigError as exc:
            problems.append(locate(f"{file_name}: {exc}", text))
    if acc is not None and not problems and acc.transport not in settings.sip.transports:
        problems.append(
            locate(
                f"{file_name}: account.transport: {acc.transport!r} is not enabled in "
                f"sip.transports ({', '.join(settings.sip.transports)})",
                text,
            )
        )
    if settings.ui.language not in LANGUAGES:
        problems.append(
            locate(
                f"{file_name}: ui.language: {settings.ui.language!r} is not one of "
                f"{', '.join(LANGUAGES)}",
                text,
            )
        )
    d = settings.demo
    for key in ("first_call_s", "interval_s", "talk_s", "ring_timeout_s"):
        if not 0 < getattr(d, key) <= 3600:
            problems.append(locate(f"{file_name}: demo.{key}: must be 0..3600 seconds", text))
    problems += [locate(f"{file_name}: recorder.{p}", text) for p in _recorder_problems(settings)]
    crm = crm_problems(settings.crm, settings.dialog_card)
    problems += [locate(f"{file_name}: {p}", text) for p in crm]
    problems += [locate(f"{file_name}: agent.{p}", text) for p in _agent_problems(settings.agent)]
    problems += [locate(f"{file_name}: store.{p}", text) for p in _store_problems(settings.store)]
    uploads = _upload_problems(settings.upload)
    problems += [locate(f"{file_name}: upload.{p}", text) for p in uploads]
    return problems


def _upload_problems(upload: UploadSection) -> list[str]:
    problems = []
    if not 10 <= upload.quota_mb <= 10_000_000:
        problems.append(f"quota_mb: must be 10..10000000 MB, got {upload.quota_mb:g}")
    if not 0 <= upload.bandwidth_kbps <= 10_000_000:
        problems.append(
            f"bandwidth_kbps: must be 0 (no cap)..10000000, got {upload.bandwidth_kbps:g}"
        )
    if upload.outbox_dir and not Path(upload.outbox_dir).expanduser().is_absolute():
        problems.append(f"outbox_dir: {upload.outbox_dir!r} must be an absolute path (or empty)")
    return problems


def _store_problems(store: StoreSection) -> list[str]:
    problems = []
    if store.url:
        parts = urlsplit(store.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"url: {store.url!r} must be an http:// or https:// address")
    if store.ca_file and not Path(store.ca_file).expanduser().is_absolute():
        problems.append(f"ca_file: {store.ca_file!r} must be an absolute path (or empty)")
    return problems


def _agent_problems(agent: AgentSection) -> list[str]:
    problems = []
    if not 0 <= agent.wrap_up_s <= 3600:
        problems.append(f"wrap_up_s: must be 0..3600 seconds, got {agent.wrap_up_s:g}")
    if not 0 <= agent.wrap_up_max_s <= 86400:
        problems.append(f"wrap_up_max_s: must be 0..86400 seconds, got {agent.wrap_up_max_s:g}")
    for key in ("not_ready_reasons", "break_reasons"):
        reasons = getattr(agent, key)
        if not reasons or any(not r.strip() or len(r) > 80 for r in reasons):
            problems.append(f"{key}: must list 1 or more reasons of 1..80 characters")
    return problems


def _recorder_problems(settings: Settings) -> list[str]:
    r, problems = settings.recorder, []
    for key, low, high in (
        ("fps", 0.1, 30),
        ("preroll_s", 0, 60),
        ("sample_percent", 0, 100),
    ):
        if not low <= getattr(r, key) <= high:
            problems.append(f"{key}: must be {low:g}..{high:g}, got {getattr(r, key):g}")
    if r.policy not in MODES:
        problems.append(f"policy: {r.policy!r} is not one of {', '.join(MODES)}")
    if r.out_dir and not Path(r.out_dir).expanduser().is_absolute():
        problems.append(f"out_dir: {r.out_dir!r} must be an absolute path (or empty)")
    for pattern in r.mask_titles:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(f"mask_titles: {pattern!r} is not a regular expression: {exc}")
    return problems

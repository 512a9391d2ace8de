"""What the `agentdesk-store` commands share: reading their arguments (numbers in range, the
store's settings and database) and the words a usage error is said in."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from store import rollups
from store.db import Database
from store.migrations import migrate
from store.settings import S3Settings, Settings


class UsageError(Exception):
    pass


def whole(args: argparse.Namespace, name: str, default: int, top: int, unit: str) -> int:
    """A whole number from --NAME or $AGENTDESK_STORE_NAME, 1 … top."""
    flag = "--" + name.replace("_", "-")
    text = getattr(args, name, None) or os.environ.get(f"AGENTDESK_STORE_{name.upper()}")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not a whole number of {unit}") from None
    if not 1 <= value <= top:
        raise UsageError(f"{flag}: {value} is outside 1 … {top} {unit}")
    return value


def seconds(args: argparse.Namespace, name: str, default: int) -> int:
    """A duration from --NAME or $AGENTDESK_STORE_NAME: whole seconds, 1 to a day."""
    return whole(args, name, default, 86_400, "seconds")


def store_settings(args: argparse.Namespace) -> Settings:
    data = args.data or os.environ.get("AGENTDESK_STORE_DATA")
    if not data:
        raise UsageError("give --data DIR (or set AGENTDESK_STORE_DATA)")
    db_url = args.db or os.environ.get("AGENTDESK_STORE_DB") or None
    if db_url and "://" in db_url and urlsplit(db_url).password:
        raise UsageError(
            "the --db URL contains a password; leave it out and set PGPASSWORD or use ~/.pgpass"
        )
    settings = Settings(data_dir=Path(data), db_url=db_url)
    report_tz = getattr(args, "report_tz", None) or os.environ.get("AGENTDESK_STORE_REPORT_TZ")
    if report_tz:
        try:
            settings.report_tz = rollups.zone_named(report_tz).key
        except ValueError as exc:
            raise UsageError(f"--report-tz: {exc}") from None
    settings.report_sl_s = seconds(args, "report_sl_s", settings.report_sl_s)
    settings.report_long_call_s = seconds(args, "report_long_call_s", settings.report_long_call_s)
    settings.body_timeout_s = seconds(args, "body_timeout_s", settings.body_timeout_s)
    for cap in ("uploads_per_token", "uploads_per_address"):
        setattr(settings, cap, whole(args, cap, getattr(settings, cap), 100_000, "uploads"))
    if getattr(args, "max_upload_mb", None):
        settings.max_upload_bytes = int(args.max_upload_mb * 1024 * 1024)
    if getattr(args, "s3_endpoint", None) or getattr(args, "s3_bucket", None):
        if not (args.s3_endpoint and args.s3_bucket):
            raise UsageError("S3 storage needs both --s3-endpoint and --s3-bucket")
        settings.s3 = S3Settings(
            endpoint=args.s3_endpoint,
            bucket=args.s3_bucket,
            region=args.s3_region,
            presign_endpoint=args.s3_presign_endpoint,
            ca_bundle=args.s3_ca_bundle,
            access_key_env=args.s3_access_key_env,
            secret_key_env=args.s3_secret_key_env,
        )
    return settings


def open_db(args: argparse.Namespace) -> Database:
    """The metadata database, migrated to the latest schema (zero set-up on a new folder)."""
    db = store_settings(args).open_db()
    migrate(db)
    return db


def when(us: int | None) -> str:
    if us is None:
        return "never"
    return datetime.fromtimestamp(us / 1e6, UTC).isoformat(timespec="seconds")

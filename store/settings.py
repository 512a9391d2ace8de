"""Server settings: where metadata and media live, limits, and the S3 credentials' source.

Secrets never come from the command line or a file: S3 keys are read from environment
variables (named by options) or, failing that, from the OS keyring; a PostgreSQL password
from libpq's own PGPASSWORD / ~/.pgpass.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from store.blobs import BlobStore, LocalBlobStore
from store.db import Database, connect

KEYRING_SERVICE = "agentdesk-store"
DEFAULT_MAX_UPLOAD = 512 * 1024 * 1024


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it."""


@dataclass
class S3Settings:
    endpoint: str
    bucket: str
    region: str | None = None
    presign_endpoint: str | None = None
    ca_bundle: str | None = None
    access_key_env: str = "AGENTDESK_S3_ACCESS_KEY"
    secret_key_env: str = "AGENTDESK_S3_SECRET_KEY"

    def _secret(self, env: str, keyring_user: str) -> str:
        value = os.environ.get(env)
        if value:
            return value
        try:
            import keyring

            value = keyring.get_password(KEYRING_SERVICE, keyring_user)
        except Exception:  # no keyring backend on a headless server
            value = None
        if not value:
            raise SettingsError(
                f"S3 {keyring_user} not found: set the environment variable {env} or store it "
                f"with `keyring set {KEYRING_SERVICE} {keyring_user}`"
            )
        return value

    def credentials(self) -> tuple[str, str]:
        return (
            self._secret(self.access_key_env, "s3-access-key"),
            self._secret(self.secret_key_env, "s3-secret-key"),
        )


@dataclass
class Settings:
    data_dir: Path
    db_url: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    presign_expires_s: int = 300
    fsync: bool = True
    s3: S3Settings | None = None
    # IANA zone whose local days the per-day report rollups follow (store/rollups.py), and
    # the reports' default norms: service level (answered within s) and long calls (over s)
    report_tz: str = "UTC"
    report_sl_s: int = 20
    report_long_call_s: int = 600
    # per API process: uploads in progress at once per token and per client address (one
    # more is a 429), and how long a request body may send nothing before it is dropped (408)
    uploads_per_token: int = 8
    uploads_per_address: int = 64
    body_timeout_s: int = 30

    @property
    def database_url(self) -> str:
        return self.db_url or str(self.data_dir / "store.sqlite3")

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    def open_db(self) -> Database:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return connect(self.database_url)

    def open_blobs(self) -> BlobStore:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        if self.s3 is None:
            return LocalBlobStore(self.data_dir / "blobs", fsync=self.fsync)
        try:
            from store.s3 import S3BlobStore
        except ImportError as exc:
            raise SettingsError(f"S3 storage is not available: {exc}") from exc
        access, secret = self.s3.credentials()
        options: dict[str, Any] = {}
        if self.s3.region:
            options["region"] = self.s3.region
        if self.s3.presign_endpoint:
            options["presign_endpoint"] = self.s3.presign_endpoint
        if self.s3.ca_bundle:
            options["verify"] = self.s3.ca_bundle
        store: BlobStore = S3BlobStore(
            endpoint=self.s3.endpoint,
            bucket=self.s3.bucket,
            access_key=access,
            secret_key=secret,
            **options,
        )
        return store

    def to_json(self) -> str:
        """For worker processes. Holds no secrets: S3 keys stay in the environment/keyring."""
        data = asdict(self)
        data["data_dir"] = str(self.data_dir)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        s3 = data.pop("s3")
        return cls(
            **{**data, "data_dir": Path(data["data_dir"])}, s3=S3Settings(**s3) if s3 else None
        )

    def describe_blobs(self) -> str:
        if self.s3 is None:
            return "local folder"
        return f"s3 {self.s3.endpoint} bucket {self.s3.bucket}"

"""Media blobs in S3-compatible object storage (tested against Ceph radosgw).

Keys: ``media/<aa>/<sha256>`` for published blobs and ``staging/<aa>/<sha256>`` for bytes a
client PUT through a presigned URL and that `commit_presigned` has not verified yet. ``<aa>``
is the first two hex digits of the hash.

Integrity: the API verifies SHA-256 before `publish`, and `commit_presigned` hashes staged
bytes itself, because no S3 server we can test against (radosgw, moto, s3rver) checks
``x-amz-checksum-sha256``. Uploads send a Content-MD5, which radosgw does check, so bytes
damaged on the way are refused. Botocore's own CRC checksums are off (``when_required``):
they add aws-chunked uploads older radosgw versions do not take, and prove nothing more.

Every request has a connect and a read timeout (``timeout`` seconds each) and at most
``max_attempts`` attempts, so a call fails after about ``max_attempts * timeout`` s at worst —
this matters because a full radosgw OSD blocks writes instead of refusing them. Failures raise
`StoreBackendError` naming the operation, the endpoint and the bucket/key.

Presigned URLs are SigV4 query-string URLs (at most 7 days) for ``presign_endpoint`` — the
address clients reach the store at — which defaults to ``endpoint``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from store.blobs import CHUNK, BlobError, StagedBlobError, check_sha256

log = logging.getLogger(__name__)

MAX_SINGLE_PUT = 5 * 1024**3  # S3's limit for one PUT or one server-side copy
MAX_PRESIGN_S = 7 * 24 * 3600  # SigV4's limit for presigned URLs
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_PRECONDITION = frozenset({"412", "PreconditionFailed"})


class StoreBackendError(BlobError):
    """An S3 request failed: the message names the operation, endpoint, bucket and key."""

    def __init__(self, operation: str, endpoint: str, bucket: str, key: str, detail: str) -> None:
        self.operation = operation
        self.endpoint = endpoint
        self.bucket = bucket
        self.key = key
        self.detail = detail
        where = f"{bucket}/{key}" if key else bucket
        super().__init__(f"S3 {operation} {where} at {endpoint} failed: {detail}")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        message = error.get("Message") or ""
        return f"HTTP {status} {error.get('Code', '')} {message}".strip()
    return f"{type(exc).__name__}: {exc}"


def _file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode("ascii")


class S3BlobStore:
    """A `store.blobs.BlobStore` on an S3 bucket (path-style addressing, SigV4)."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "default",
        verify: bool | str = True,
        timeout: float = 30.0,
        *,
        presign_endpoint: str | None = None,
        max_attempts: int = 2,
        prefix: str = "media",
        staging_prefix: str = "staging",
    ) -> None:
        """``verify``: True (system CAs), False, or the path of a CA bundle (PEM)."""
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"S3 endpoint must be an http:// or https:// URL, not {endpoint!r}")
        if not bucket:
            raise ValueError("an S3 bucket name is required")
        if timeout <= 0 or max_attempts < 1:
            raise ValueError("timeout must be > 0 and max_attempts >= 1")
        if prefix.strip("/") == staging_prefix.strip("/"):
            raise ValueError("the media and staging prefixes must differ")
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.region = region
        self.timeout = timeout
        self.prefix = prefix.strip("/")
        self.staging_prefix = staging_prefix.strip("/")
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            max_pool_connections=32,
        )
        session = boto3.session.Session()
        common: dict[str, Any] = {
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "region_name": region,
            "verify": verify,
            "config": config,
        }
        self._s3: Any = session.client("s3", endpoint_url=self.endpoint, **common)
        self.presign_endpoint = (presign_endpoint or self.endpoint).rstrip("/")
        if self.presign_endpoint == self.endpoint:
            self._presigner: Any = self._s3
        else:
            self._presigner = session.client("s3", endpoint_url=self.presign_endpoint, **common)

    def __repr__(self) -> str:
        return f"S3BlobStore(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    def close(self) -> None:
        """Close the HTTP connection pools."""
        self._s3.close()
        if self._presigner is not self._s3:
            self._presigner.close()

    # ----- keys ------------------------------------------------------------------------

    def key_of(self, sha256: str) -> str:
        """The object key of a published blob: ``media/<aa>/<sha256>``."""
        check_sha256(sha256)
        return f"{self.prefix}/{sha256[:2]}/{sha256}"

    def staging_key_of(self, sha256: str) -> str:
        """The object key a presigned PUT writes to: ``staging/<aa>/<sha256>``."""
        check_sha256(sha256)
        return f"{self.staging_prefix}/{sha256[:2]}/{sha256}"

    # ----- BlobStore -------------------------------------------------------------------

    def check(self) -> None:
        """Fail fast with a clear StoreBackendError if the bucket cannot be reached."""
        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise self._error("HeadBucket", "", exc) from exc

    def publish(self, sha256: str, tmp_path: Path, content_type: str) -> bool:
        """Upload a verified temp file under its hash; False if it already existed.

        The temp file is removed either way. An object already there with another size (which
        a hash-named object should never have) is replaced by the verified bytes.
        """
        key = self.key_of(sha256)
        try:
            try:
                size = os.stat(tmp_path).st_size
            except OSError as exc:
                raise BlobError(f"cannot read temp file for blob {sha256}: {exc}") from exc
            if size > MAX_SINGLE_PUT:
                raise self._error("PutObject", key, f"{size} bytes exceed one PUT (5 GiB)")
            head = self._head(key)
            if head is not None:
                if head["ContentLength"] == size:
                    return False
                log.warning(
                    "replacing %s/%s: stored size %s differs from the verified %s bytes",
                    self.bucket,
                    key,
                    head["ContentLength"],
                    size,
                )
            md5 = _file_md5(tmp_path)
            with open(tmp_path, "rb") as body:
                self._put(key, body, size, content_type, md5, sha256)
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_path)

    def exists(self, sha256: str) -> bool:
        return self._head(self.key_of(sha256)) is not None

    def size(self, sha256: str) -> int | None:
        head = self._head(self.key_of(sha256))
        return None if head is None else int(head["ContentLength"])

    def read_range(self, sha256: str, start: int, end_inclusive: int) -> Iterator[bytes]:
        """Yield bytes start..end_inclusive through one ranged GET.

        The request is made here, so a missing blob raises FileNotFoundError (and a range past
        the end ValueError) at the call, before the caller starts its response.
        """
        key = self.key_of(sha256)
        if start < 0 or end_inclusive < start:
            raise ValueError(f"bad byte range {start}-{end_inclusive}")
        try:
            response = self._s3.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end_inclusive}"
            )
        except ClientError as exc:
            code = _code(exc)
            if code in _MISSING:
                raise FileNotFoundError(f"no blob {sha256} in {self.bucket}") from exc
            if code in {"416", "InvalidRange"}:
                raise ValueError(
                    f"range {start}-{end_inclusive} is past the end of {sha256}"
                ) from exc
            raise self._error("GetObject", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("GetObject", key, exc) from exc
        body = response["Body"]
        if "ContentRange" not in response and start != 0:
            body.close()
            raise self._error("GetObject", key, "the server ignored the Range header")
        return self._stream(body, key)

    def delete(self, sha256: str) -> bool:
        key = self.key_of(sha256)
        if self._head(key) is None:
            return False
        self._delete(key)
        return True

    def presign_get(self, sha256: str, expires_s: int) -> str | None:
        return self._presign("get_object", self.key_of(sha256), expires_s)

    def presign_put(self, sha256: str, expires_s: int) -> str | None:
        """A presigned PUT to the staging key; the bytes count only after commit_presigned."""
        return self._presign("put_object", self.staging_key_of(sha256), expires_s)

    def commit_presigned(self, sha256: str, content_type: str, max_bytes: int) -> bool:
        """Hash the staged object; if it matches, copy it (server-side) to the blob key.

        The staged object is removed on success and on StagedBlobError; on a StoreBackendError
        it is kept, so the commit can be retried.
        """
        key, staged = self.key_of(sha256), self.staging_key_of(sha256)
        head = self._head(staged)
        if head is None:
            raise StagedBlobError(f"nothing was uploaded for {sha256} (or it expired)")
        size, etag = int(head["ContentLength"]), str(head["ETag"])
        remove_staged = True
        try:
            if size > max_bytes:
                raise StagedBlobError(f"the upload is {size} bytes; the limit is {max_bytes}")
            if size > MAX_SINGLE_PUT:
                raise StagedBlobError(f"the upload is {size} bytes; at most 5 GiB can be copied")
            digest = self._hash_object(staged, etag, max_bytes)
            if digest != sha256:
                raise StagedBlobError(f"the uploaded bytes have SHA-256 {digest}, not {sha256}")
            existing = self._head(key)
            if existing is not None and int(existing["ContentLength"]) == size:
                return False
            self._copy(staged, etag, key, content_type, sha256)
            return True
        except StoreBackendError:
            remove_staged = False
            raise
        finally:
            if remove_staged:
                try:
                    self._delete(staged)
                except StoreBackendError as exc:
                    log.warning("could not remove staged upload: %s", exc)

    # ----- internals -------------------------------------------------------------------

    def _error(self, operation: str, key: str, cause: Exception | str) -> StoreBackendError:
        detail = cause if isinstance(cause, str) else _describe(cause)
        return StoreBackendError(operation, self.endpoint, self.bucket, key, detail)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise self._error("HeadObject", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("HeadObject", key, exc) from exc
        return head

    def _put(
        self, key: str, body: Any, size: int, content_type: str, md5: str, sha256: str
    ) -> None:
        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentLength=size,
                ContentType=content_type,
                ContentMD5=md5,
                Metadata={"sha256": sha256},
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._error("PutObject", key, exc) from exc

    def _copy(self, source: str, etag: str, key: str, content_type: str, sha256: str) -> None:
        try:
            self._s3.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": source},
                CopySourceIfMatch=etag,
                ContentType=content_type,
                Metadata={"sha256": sha256},
                MetadataDirective="REPLACE",
            )
        except ClientError as exc:
            if _code(exc) in _PRECONDITION:
                raise StagedBlobError(
                    "the upload changed while it was verified; try again"
                ) from exc
            raise self._error("CopyObject", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("CopyObject", key, exc) from exc

    def _delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise self._error("DeleteObject", key, exc) from exc

    def _hash_object(self, key: str, etag: str, max_bytes: int) -> str:
        """SHA-256 of the object's bytes; only the version with ``etag``; at most max_bytes."""
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key, IfMatch=etag)
        except ClientError as exc:
            if _code(exc) in _PRECONDITION | _MISSING:
                raise StagedBlobError(
                    "the upload changed while it was verified; try again"
                ) from exc
            raise self._error("GetObject", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("GetObject", key, exc) from exc
        digest = hashlib.sha256()
        seen = 0
        for chunk in self._stream(response["Body"], key):
            seen += len(chunk)
            if seen > max_bytes:
                raise StagedBlobError(f"the upload is larger than the limit of {max_bytes} bytes")
            digest.update(chunk)
        return digest.hexdigest()

    def _stream(self, body: Any, key: str) -> Iterator[bytes]:
        """Chunks of a GET's body; read errors (timeouts, short bodies) → StoreBackendError."""
        try:
            while True:
                try:
                    chunk = body.read(CHUNK)
                except (BotoCoreError, OSError) as exc:
                    raise self._error("GetObject", key, exc) from exc
                if not chunk:
                    return
                yield chunk
        finally:
            body.close()

    def _presign(self, method: str, key: str, expires_s: int) -> str:
        if not 1 <= expires_s <= MAX_PRESIGN_S:
            raise ValueError(f"a presigned URL lasts 1 to {MAX_PRESIGN_S} s, not {expires_s}")
        try:
            url: str = self._presigner.generate_presigned_url(
                method,
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=int(expires_s),
                HttpMethod="PUT" if method == "put_object" else "GET",
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._error(f"presign {method}", key, exc) from exc
        return url

"""Media through the store: uploads under their SHA-256 (straight to object storage through a
presigned URL when the store offers one) and downloads, whole or a byte range."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

import requests

from store.client_errors import HashMismatch, RangeNotSatisfiable, StoreError, StoreUnavailable
from store.client_session import CHUNK, StoreSession, sha_part
from store.client_types import MediaInfo, UploadResult


def sha256_file(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _range_header(start: int | None, end: int | None) -> dict[str, str]:
    if start is None and end is None:
        return {}
    if start is None:
        raise ValueError("a range needs a start (use start=size-n for the last n bytes)")
    return {"Range": f"bytes={start}-{'' if end is None else end}"}


class MediaClient(StoreSession):
    """Upload and download media."""

    def upload_file(
        self,
        path: Path | str,
        content_type: str,
        sha256: str | None = None,
        *,
        reader: Callable[[BinaryIO], BinaryIO] | None = None,
    ) -> UploadResult:
        """Upload a file under its SHA-256 (computed first unless given); idempotent.

        Goes straight to object storage through a presigned URL when the store offers one,
        else streams the file to the API. Either way the server verifies the hash.
        ``reader`` wraps the open file (e.g. a bandwidth cap; it must keep ``len()``).
        """
        path = Path(path)
        digest = sha_part(sha256) if sha256 else sha256_file(path)[0]
        wrap = reader or (lambda fh: fh)
        if self._presigned_put is not False:
            url = self._json("POST", f"/media/{digest}/upload-url")["url"]
            self._presigned_put = url is not None
            if url:
                with open(path, "rb") as fh:
                    self._put_direct(url, wrap(fh), content_type)
                body = {"content_type": content_type}
                return cast(UploadResult, self._json("POST", f"/media/{digest}/commit", json=body))
        with open(path, "rb") as fh:
            return self._put_media(digest, wrap(fh), content_type)

    def upload_bytes(self, data: bytes, content_type: str) -> UploadResult:
        digest = hashlib.sha256(data).hexdigest()
        return self._put_media(digest, data, content_type)

    def _put_media(self, digest: str, body: BinaryIO | bytes, content_type: str) -> UploadResult:
        headers = {"Content-Type": content_type}
        response = self._request("PUT", f"/media/{digest}", data=body, headers=headers)
        return cast(UploadResult, response.json())

    def _put_direct(self, url: str, fh: BinaryIO, content_type: str) -> None:
        # No Authorization header: the presigned URL carries its own signature.
        try:
            response = requests.put(
                url,
                data=fh,
                headers={"Content-Type": content_type},
                timeout=self.timeout,
                verify=self.verify,
            )
        except requests.RequestException as exc:
            raise StoreUnavailable(f"cannot reach object storage: {exc}") from exc
        if response.status_code >= 300:
            raise StoreError(
                f"object storage refused the upload: {response.status_code} {response.text[:200]}",
                response.status_code,
            )

    def media_info(self, sha256: str) -> MediaInfo:
        return cast(MediaInfo, self._json("GET", f"/media/{sha_part(sha256)}/info"))

    def download_url(self, sha256: str) -> str | None:
        """A presigned URL for the media (audited), or None when the store serves it itself."""
        url = self._json("GET", f"/media/{sha_part(sha256)}/url")["url"]
        return cast(str | None, url)

    def iter_download(
        self, sha256: str, start: int | None = None, end: int | None = None, chunk: int = CHUNK
    ) -> Iterator[bytes]:
        """Stream the media or bytes start..end (inclusive) of it; every read is audited."""
        headers = _range_header(start, end)
        response = None
        if self._presigned_get is not False:
            url = self.download_url(sha256)
            self._presigned_get = url is not None
            if url:
                response = self._get_direct(url, headers)
        if response is None:
            response = self._request(
                "GET", f"/media/{sha_part(sha256)}", headers=headers, stream=True
            )
        with response:
            yield from response.iter_content(chunk)

    def _get_direct(self, url: str, headers: dict[str, str]) -> requests.Response:
        try:
            response = requests.get(
                url,
                headers=headers,
                stream=True,
                timeout=self.timeout,
                verify=self.verify,
            )
        except requests.RequestException as exc:
            raise StoreUnavailable(f"cannot reach object storage: {exc}") from exc
        if response.status_code == 416:
            raise RangeNotSatisfiable(f"range {headers.get('Range')} not satisfiable", 416)
        if response.status_code >= 300:
            raise StoreError(
                f"object storage refused the download: {response.status_code}", response.status_code
            )
        return response

    def download(self, sha256: str, start: int | None = None, end: int | None = None) -> bytes:
        return b"".join(self.iter_download(sha256, start, end))

    def download_to(self, sha256: str, dest: Path | str) -> int:
        """Write the whole media to a file; returns its size. Checks the hash on the way."""
        digest = hashlib.sha256()
        size = 0
        with open(dest, "wb") as out:
            for chunk in self.iter_download(sha256):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        if digest.hexdigest() != sha256:
            raise HashMismatch(f"downloaded bytes of {sha256} hash to {digest.hexdigest()}")
        return size

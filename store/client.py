"""THE Python client of the AgentDesk store (requests). Nobody else builds store URLs.

    client = StoreClient("https://store.example.com", token)   # verifies TLS certificates
    sha = client.upload_file(path, "video/mp4")["sha256"]       # hashed first, then streamed
    client.put_call(call_id, {...}); client.link_media(call_id, sha, "screen")
    part = client.download(sha, start=0, end=65535)             # HTTP Range

One `requests.Session` per client (connection reuse; safe to share between threads for
these calls). Every refusal raises a `StoreError` subclass carrying the server's message.
"""

from __future__ import annotations

from store.client_agents import AgentsClient
from store.client_calls import CallsClient
from store.client_errors import (
    AuthError,
    ConflictError,
    GoneError,
    HashMismatch,
    InvalidRequest,
    NotFoundError,
    PermissionDenied,
    RangeNotSatisfiable,
    ServerError,
    StoreError,
    StoreUnavailable,
    TooLargeError,
    UnsupportedMediaType,
)
from store.client_media import MediaClient, sha256_file
from store.client_policy import PolicyClient
from store.client_reports import ReportsAdminClient
from store.client_transcripts import TranscriptsClient

__all__ = [
    "AuthError",
    "ConflictError",
    "GoneError",
    "HashMismatch",
    "InvalidRequest",
    "NotFoundError",
    "PermissionDenied",
    "RangeNotSatisfiable",
    "ServerError",
    "StoreClient",
    "StoreError",
    "StoreUnavailable",
    "TooLargeError",
    "UnsupportedMediaType",
    "sha256_file",
]


class StoreClient(
    AgentsClient, MediaClient, CallsClient, ReportsAdminClient, PolicyClient, TranscriptsClient
):
    """A session with the store for one user's token: every route of the API as a method.

    The parts, one module each: the transport (`client_session`), media (`client_media`),
    calls and callers (`client_calls`), agents and the live board (`client_agents`), reports
    and administration (`client_reports`), the recording policy (`client_policy`), transcripts
    (`client_transcripts`).
    """

"""The recording policy through the store: what applies to the token's user (polled cheaply
with its ETag), and for admins setting it and reading its versions."""

from __future__ import annotations

from typing import cast

import orjson

from store.client_policy_types import PolicyAnswer, PolicyVersion, RecordingPolicy
from store.client_session import StoreSession


class PolicyClient(StoreSession):
    """`GET`/`PUT /recording-policy`, `GET /recording-policy/history`."""

    def recording_policy(self, etag: str | None = None) -> tuple[PolicyAnswer, str] | None:
        """The policy and its ETag; None when it is still the one ``etag`` names (304)."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self._request("GET", "/recording-policy", headers=headers)
        try:
            if response.status_code == 304:
                return None
            answer = cast(PolicyAnswer, orjson.loads(response.content))
            return answer, response.headers.get("ETag", "")
        finally:
            response.close()

    def set_recording_policy(self, document: RecordingPolicy) -> PolicyAnswer:
        """A new version (admins); `InvalidRequest` names the field at fault."""
        return cast(PolicyAnswer, self._json("PUT", "/recording-policy", json=document))

    def recording_policy_history(self, limit: int = 100) -> list[PolicyVersion]:
        path = "/recording-policy/history"
        return cast(list[PolicyVersion], self._json("GET", path, params={"limit": limit}))

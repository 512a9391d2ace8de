"""Calls through the store: write and read them, search, link media, export, evaluate; and
what the store knows of a caller (ratings, routing hint)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from store.client_session import StoreSession, seg, sha_part
from store.client_types import (
    Call,
    CallerSummary,
    CallExport,
    CallInput,
    CallPage,
    CallSummary,
    Comment,
    Evaluation,
    LinkedMedia,
    MediaKind,
    RoutingHint,
)


class CallsClient(StoreSession):
    """Calls, their media links and evaluations; callers."""

    def put_call(self, call_id: str, call: CallInput) -> Call:
        """Create or replace a call (idempotent: retrying the same body changes nothing)."""
        return cast(Call, self._json("PUT", f"/calls/{seg(call_id)}", json=call))

    def patch_call(self, call_id: str, **fields: Any) -> Call:
        """Update some fields; `card` values merge per field, the later `changed_us` wins."""
        return cast(Call, self._json("PATCH", f"/calls/{seg(call_id)}", json=fields))

    def get_call(self, call_id: str) -> Call:
        return cast(Call, self._json("GET", f"/calls/{seg(call_id)}"))

    def search_calls(self, **filters: Any) -> CallPage:
        """Filters: agent, from_us, to_us, number, queue, direction, min_duration_s,
        max_duration_s, disposition, karma, has_screen, evaluated, text, tag; limit, offset,
        sort (started|duration|karma), order (asc|desc)."""
        params = {
            k: (str(v).lower() if isinstance(v, bool) else v)
            for k, v in filters.items()
            if v is not None
        }
        return cast(CallPage, self._json("GET", "/calls", params=params))

    def iter_calls(self, page_size: int = 200, **filters: Any) -> Iterator[CallSummary]:
        offset = 0
        while True:
            page = self.search_calls(**filters, limit=page_size, offset=offset)
            yield from page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return

    def link_media(
        self,
        call_id: str,
        sha256: str,
        kind: MediaKind,
        start_us: int | None = None,
        end_us: int | None = None,
    ) -> LinkedMedia:
        body = {"kind": kind, "start_us": start_us, "end_us": end_us}
        path = f"/calls/{seg(call_id)}/media/{sha_part(sha256)}"
        return cast(LinkedMedia, self._json("PUT", path, json=body))

    def export_call(self, call_id: str) -> CallExport:
        return cast(CallExport, self._json("GET", f"/calls/{seg(call_id)}/export"))

    def log_export(
        self, call_id: str, file_name: str, sha256: str, watermark: str = ""
    ) -> dict[str, str]:
        """Write `call.export_mp4` to the audit trail for an MP4 made of the call's media."""
        body = {"file_name": file_name, "sha256": sha_part(sha256), "watermark": watermark}
        path = f"/calls/{seg(call_id)}/exports"
        return cast(dict[str, str], self._json("POST", path, json=body))

    def evaluate(
        self,
        call_id: str,
        form_id: int,
        scores: dict[str, int],
        comments: list[Comment] | None = None,
        summary: str = "",
    ) -> Evaluation:
        body = {
            "form_id": form_id,
            "scores": scores,
            "comments": comments or [],
            "summary": summary,
        }
        path = f"/calls/{seg(call_id)}/evaluations"
        return cast(Evaluation, self._json("POST", path, json=body))

    def evaluations(self, call_id: str) -> list[Evaluation]:
        return cast(list[Evaluation], self._json("GET", f"/calls/{seg(call_id)}/evaluations"))

    # --- callers -------------------------------------------------------------------------

    def caller_summary(self, number: str) -> CallerSummary:
        return cast(CallerSummary, self._json("GET", f"/callers/{seg(number)}"))

    def routing_hint(self, number: str) -> RoutingHint:
        return cast(RoutingHint, self._json("GET", "/routing-hint", params={"number": number}))

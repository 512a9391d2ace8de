"""What was said in calls, through the store: a call's transcript, phrase search, and how
often the automatic checks agree with QA's answers."""

from __future__ import annotations

from typing import Any, cast

from store.client_session import StoreSession, seg
from store.client_transcript_types import CheckAgreement, Transcript, TranscriptPage


class TranscriptsClient(StoreSession):
    """Transcripts (the worker writes them; readers of a call read them, audited)."""

    def transcript(self, call_id: str) -> Transcript:
        """The call's transcript and its job's state (segments once the job is done)."""
        return cast(Transcript, self._json("GET", f"/calls/{seg(call_id)}/transcript"))

    def search_transcripts(
        self, phrase: str, side: str | None = None, **filters: Any
    ) -> TranscriptPage:
        """Calls in which `phrase` was said (by `side`), newest first, each with its `hits`.
        Filters: those of `search_calls` but sort and order."""
        params = {
            k: (str(v).lower() if isinstance(v, bool) else v)
            for k, v in {"phrase": phrase, "side": side, **filters}.items()
            if v is not None
        }
        return cast(TranscriptPage, self._json("GET", "/transcripts/search", params=params))

    def add_transcript_rule(self, **rule: Any) -> dict[str, Any]:
        """An automatic check (admin): name, kind (required|forbidden), phrase; side,
        within_s, queue."""
        return cast(dict[str, Any], self._json("POST", "/transcripts/rules", json=rule))

    def check_agreement(self, **options: Any) -> CheckAgreement:
        """Per scorecard question linked to an automatic check: how often the check agreed
        with QA's answer. Options: form_id, from_us, to_us (calls started in the range)."""
        params = {k: v for k, v in options.items() if v is not None}
        return cast(CheckAgreement, self._json("GET", "/reports/check-agreement", params=params))

    def check_agreement_csv(self, **options: Any) -> bytes:
        """The same as CSV bytes (UTF-8), to save as a file."""
        params = {**{k: v for k, v in options.items() if v is not None}, "format": "csv"}
        return self._request("GET", "/reports/check-agreement", params=params).content

"""The store's summaries of a caller (recent calls, karma) for the CRM card."""

from __future__ import annotations

from typing import Any

from desktop import secret_store
from store.client import StoreClient


class StoreCallers:
    """Caller summaries from the store at ``url``, with the token from the keyring (worker
    thread only: the keyring and the network may block)."""

    def __init__(self, url: str, ca_file: str = "") -> None:
        self.url = url
        self.ca_file = ca_file

    def caller_summary(self, number: str) -> Any:
        token = secret_store.read_store_token(self.url)
        if not token:
            raise RuntimeError(f"no store token in the keyring for {self.url}")
        with StoreClient(self.url, token, ca_bundle=self.ca_file or None, timeout=(2.0, 5.0)) as c:
            return c.caller_summary(number)

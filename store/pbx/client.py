"""The store's client for the PBX routes: `StoreClient` plus queue events and the queue report
(kept apart from store/client.py until it is split by resource; the live queues are
`StoreClient.queues_live`, which the desktop's supervisor board reads too)."""

from __future__ import annotations

from typing import Any

from store.client import StoreClient


class QueueClient(StoreClient):
    def send_queue_log(self, text: str) -> dict[str, Any]:
        """queue_log lines (newline-separated) → {received, stored, duplicates, rejected}."""
        return dict(
            self._json(
                "POST",
                "/pbx/queue-events",
                data=text.encode("utf-8"),
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        )

    def send_queue_events(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        """Events as {at_us, uniqueid, queue, agent, event, data} objects."""
        return dict(self._json("POST", "/pbx/queue-events", json={"events": events}))

    def queue_report(self, from_us: int, to_us: int, **options: Any) -> dict[str, Any]:
        """GET /reports/queues: by (queue, day, hour), queue, sl_s, abandon_short_s,
        tz_offset_min."""
        params = {"from": from_us, "to": to_us}
        params.update({k: v for k, v in options.items() if v is not None})
        return dict(self._json("GET", "/reports/queues", params=params))

    def queue_metrics(self) -> dict[str, str]:
        return dict(self._json("GET", "/reports/queues/metrics"))

    def queue_calls(self, from_us: int, to_us: int, **options: Any) -> list[dict[str, Any]]:
        """GET /pbx/queue-calls: queue, uniqueid, limit."""
        params = {"from_us": from_us, "to_us": to_us}
        params.update({k: v for k, v in options.items() if v is not None})
        return list(self._json("GET", "/pbx/queue-calls", params=params))

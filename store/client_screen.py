"""The operator's screen, live: the agent's worker sends frames while watched, a supervisor
opens a watch, reads the frames after the last one seen, and ends it."""

from __future__ import annotations

from typing import Any, cast

from formats.screen_live import CONTENT_TYPE
from store.client_session import StoreSession, seg


class ScreenClient(StoreSession):
    """Live screen watching (supervisors and admins) and publishing (the agent's own)."""

    def put_screen_live(self, agent: str, frame: bytes) -> dict[str, Any]:
        """One live frame (formats/screen_live.py) of ``agent``'s screen; the answer's
        ``watched`` says whether anybody still watches (if not, the frame was dropped)."""
        path = f"/agents/{seg(agent)}/screen/live"
        headers = {"Content-Type": CONTENT_TYPE}
        return cast(dict[str, Any], self._json("PUT", path, data=frame, headers=headers))

    def start_watch(self, agent: str) -> dict[str, Any]:
        """Start watching ``agent``'s screen: ``{"id", "agent", "watcher", "started_us"}``."""
        return cast(dict[str, Any], self._json("POST", f"/agents/{seg(agent)}/screen/watches"))

    def watch_frames(self, agent: str, watch_id: int, after: int = 0) -> dict[str, Any]:
        """The frames after frame ``after`` (0: from the latest key frame); keeps the watch
        open. ``{"watching", "last", "frames": [{"id", "utc_us", "key", "width", "height",
        "parts": [{"x", "y", "w", "h", "jpeg"(base64)}]}]}``."""
        path = f"/agents/{seg(agent)}/screen/watches/{int(watch_id)}/frames"
        return cast(dict[str, Any], self._json("GET", path, params={"after": int(after)}))

    def end_watch(self, agent: str, watch_id: int) -> dict[str, Any]:
        path = f"/agents/{seg(agent)}/screen/watches/{int(watch_id)}"
        return cast(dict[str, Any], self._json("DELETE", path))

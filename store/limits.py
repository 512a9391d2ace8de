"""What keeps slow or many clients from exhausting the server: a cap on concurrent uploads per
token and per client address, and a timeout on request bodies that stall.

Every open upload holds a connection (a descriptor) and maybe a temp file, so an API process
takes at most `per_token` uploads at once from one token and `per_address` from one client
address; one more is answered 429 with Retry-After at once, before its body is read. A body
that sends nothing for `body_timeout_s` is dropped: 408, and the connection is closed. Both
are per API process (descriptors are a per-process resource).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store.errors import TooManyRequests

RETRY_AFTER_S = 2


class UploadSlots:
    """Counts the uploads in progress per token and per client address."""

    def __init__(self, per_token: int, per_address: int) -> None:
        self.per_token = per_token
        self.per_address = per_address
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}

    @contextlib.contextmanager
    def hold(self, token: str, address: str) -> Iterator[None]:
        """One upload slot for the ``with`` block; TooManyRequests when a cap is reached."""
        keys = (f"token:{hashlib.sha256(token.encode()).hexdigest()}", f"address:{address}")
        caps = (self.per_token, self.per_address)
        with self._lock:
            for key, cap, what in zip(keys, caps, ("token", "client address"), strict=True):
                if self._held.get(key, 0) >= cap:
                    raise TooManyRequests(
                        f"{cap} uploads are already in progress for this {what}; "
                        f"retry in {RETRY_AFTER_S} s",
                        retry_after_s=RETRY_AFTER_S,
                    )
            for key in keys:
                self._held[key] = self._held.get(key, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                for key in keys:
                    left = self._held[key] - 1
                    if left:
                        self._held[key] = left
                    else:
                        del self._held[key]


class BodyTimeoutMiddleware:
    """Drops a request whose body stalls: no body bytes for `timeout_s` → 408, connection closed.

    The app is told the client disconnected (it discards what it received); whatever it
    answers to that is replaced by the 408.
    """

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"body_done": False, "timed_out": False, "started": False}

        async def timed_receive() -> Message:
            if state["body_done"]:  # the rest is waiting for a disconnect: no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout_s)
            except TimeoutError:
                state["timed_out"] = True
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                state["body_done"] = True
            return message

        async def guarded_send(message: Message) -> None:
            if state["timed_out"] and not state["started"]:
                return  # the app's answer to the "disconnect"; the 408 replaces it
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except Exception:
            if not (state["timed_out"] and not state["started"]):
                raise
        if state["timed_out"] and not state["started"]:
            await _send_408(send, self.timeout_s)


async def _send_408(send: Send, timeout_s: float) -> None:
    body = json.dumps(
        {
            "detail": f"the request body stalled for {timeout_s:g} s; nothing was stored",
            "code": "body_timeout",
        }
    ).encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    start: dict[str, Any] = {"type": "http.response.start", "status": 408, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})

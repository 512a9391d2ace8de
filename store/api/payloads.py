"""What routes read and answer besides JSON: a request body read whole up to a limit (never
more held in memory), and the OpenAPI entry of a CSV answer."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from store.errors import TooLarge


async def body_up_to(request: Request, limit: int, too_large: str) -> bytes:
    """The whole body; TooLarge(``too_large``) (413) as soon as it passes ``limit`` bytes."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise TooLarge(too_large)
    return bytes(received)


def csv_answer(description: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route that answers CSV (``description``: when it does)."""
    return {
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": description}
    }

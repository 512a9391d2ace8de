"""The call filters shared by the search routes (``GET /calls`` and
``GET /transcripts/search``), read from the query in one place: a dependency that gives a
:class:`store.search.CallFilter`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from store.errors import Invalid
from store.models import MAX_US, Direction, Karma
from store.search import CallFilter

TimeParam = Annotated[int | None, Query(ge=0, le=MAX_US)]
TextParam = Annotated[str | None, Query(min_length=1, max_length=100)]
Seconds = Annotated[float | None, Query(ge=0, le=10_000_000)]


def no_nul(*texts: str | None) -> None:
    """Neither database stores NUL: a search that holds one is refused, saying so."""
    if any("\x00" in t for t in texts if t):
        raise Invalid("the search must not contain NUL characters")


async def call_filter(
    agent: Annotated[str | None, Query(max_length=64)] = None,
    from_us: TimeParam = None,
    to_us: TimeParam = None,
    number: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    queue: TextParam = None,
    direction: Direction | None = None,
    min_duration_s: Seconds = None,
    max_duration_s: Seconds = None,
    disposition: TextParam = None,
    karma: Annotated[Karma | None, Query()] = None,
    has_screen: bool | None = None,
    evaluated: bool | None = None,
    text: TextParam = None,
    tag: TextParam = None,
) -> CallFilter:
    """Async on purpose: FastAPI runs plain-def dependencies in the thread pool."""
    no_nul(agent, number, queue, disposition, text, tag)
    return CallFilter(
        agent=agent,
        from_us=from_us,
        to_us=to_us,
        number=number,
        queue=queue,
        direction=direction.value if direction else None,
        min_duration_s=min_duration_s,
        max_duration_s=max_duration_s,
        disposition=disposition,
        karma=karma,
        has_screen=has_screen,
        evaluated=evaluated,
        text=text,
        tag=tag,
    )


CallFilterQuery = Annotated[CallFilter, Depends(call_filter)]

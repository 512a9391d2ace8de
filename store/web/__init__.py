"""The web console: QA, supervisors, admins and agents in a browser, on the store's origin.
Sign-in with a password (a server-side session in an httpOnly cookie, CSRF tokens on every
POST), call search, the call with its synced player and scorecard, the live board and the
audit trail, in Russian and English."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from store.web import pages, report_pages, supervision

STATIC = Path(__file__).with_name("static")


def mount(app: FastAPI) -> None:
    """The console's pages at `/` and its script and style at `/static`."""
    app.include_router(pages.router)
    app.include_router(supervision.router)
    app.include_router(report_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

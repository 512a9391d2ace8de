"""The settings of a whole desktop pointed at real test servers (Kamailio, the store, the CRM
test server) with its files in a temp folder: for the end-to-end test and bench/desktop_ui.
Also the X11 screen and the screenshot folder of the tests that show real windows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desktop.crm.config import CrmSection
from desktop.settings.values import (
    AccountSection,
    AgentSection,
    AudioSection,
    RecorderSection,
    Settings,
    SipSection,
    StoreSection,
    UploadSection,
)
from tests.servers.crm import CrmServer
from tests.servers.kamailio import Kamailio
from tests.servers.xvfb import XvfbServer, xvfb_available

REPO = Path(__file__).resolve().parents[2]

CRM_FIELDS = (
    "id: uid",
    "name: full_name",
    "company: org.title",
    "status: segment",
    "balance: account.balance",
    "items: tickets",
    "item.title: subject",
    "item.status: state",
)


def desktop_settings(
    kam: Kamailio,
    store_url: str,
    crm: CrmServer,
    tmp: Path,
    *,
    operator: str,
    preroll_s: float = 5.0,
    wrap_up_s: float = 5.0,
    wrap_up_max_s: float = 600.0,
    log_level: int = 2,
) -> Settings:
    """Null sound, recording and uploading on, the generic REST CRM adapter."""
    return Settings(
        account=AccountSection(user=operator, domain=kam.domain, registrar=kam.registrar_uri()),
        sip=SipSection(bind_address="127.0.0.1", transports=("udp",), log_level=log_level),
        audio=AudioSection(mode="null", recordings_dir=str(tmp / "call-audio")),
        recorder=RecorderSection(
            enabled=True,
            out_dir=str(tmp / "screen"),
            fps=5,
            preroll_s=preroll_s,
        ),
        agent=AgentSection(wrap_up_s=wrap_up_s, wrap_up_max_s=wrap_up_max_s),
        store=StoreSection(url=store_url),
        upload=UploadSection(outbox_dir=str(tmp / "outbox")),
        crm=CrmSection(
            adapter="rest",
            timeout_s=1.5,
            lookup_url=crm.url + "/api/contacts?phone={number}",
            contact_path="data",
            fields=CRM_FIELDS,
            open_url=crm.url + "/contacts/{id}",
        ),
    )


def artifacts() -> Path:
    """The folder screenshots are kept in: ``$AGENTDESK_ARTIFACTS`` or ``tests/artifacts``."""
    folder = Path(os.environ.get("AGENTDESK_ARTIFACTS") or REPO / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def private_display(width: int, height: int) -> Iterator[str]:
    """Qt on a private Xvfb of ``width``×``height`` (xcb) unless the run already chose a platform
    or made the app; yields the platform's name. The body of a session fixture."""
    if QApplication.instance() is not None or os.environ.get("QT_QPA_PLATFORM"):
        yield os.environ.get("QT_QPA_PLATFORM", "")
        return
    if not xvfb_available():
        pytest.fail("Xvfb is not installed: run scripts/setup")
    with XvfbServer(width, height) as server:
        os.environ["DISPLAY"] = server.display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        yield "xcb"

"""The settings of a whole desktop pointed at real test servers (Kamailio, the store, the CRM
test server) with its files in a temp folder: for the end-to-end test and bench/desktop_ui."""

from __future__ import annotations

from pathlib import Path

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

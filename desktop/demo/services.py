"""What demo mode runs beside the app: its own store and a demo CRM, both on 127.0.0.1.

:func:`start` starts them and returns the settings pointed at them; the demo operator's store
token is held for this run only (:func:`desktop.secret_store.hold_for_session`), so nothing
secret is written anywhere. If the store cannot start, the demo goes on without it (the reason
is logged and shown). No Qt.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

from desktop import paths, secret_store
from desktop.demo.crm import DemoCrm
from desktop.demo.store import DemoStore, DemoStoreError
from desktop.settings.values import Settings

log = logging.getLogger(__name__)


@dataclass
class DemoServices:
    store: DemoStore | None = None
    crm: DemoCrm | None = None
    problems: list[str] = field(default_factory=list)

    def token(self, user: str) -> str:
        """A demo user's token (``operator``, ``qa``, ``supervisor``); '' without a store."""
        return self.store.tokens.get(user, "") if self.store else ""

    def stop(self) -> None:
        if self.crm is not None:
            self.crm.stop()
        if self.store is not None:
            self.store.stop()


def start(conf: Settings, data_dir: Path) -> tuple[Settings, DemoServices]:
    services = DemoServices()
    services.crm = DemoCrm()
    services.crm.start()
    conf = dataclasses.replace(conf, crm=services.crm.section())
    store = DemoStore(data_dir / "store")
    try:
        store.start()
    except (DemoStoreError, OSError) as exc:
        log.error("demo: no store: %s", exc)
        services.problems.append(f"The demo store did not start: {exc}")
        return conf, services
    services.store = store
    agent = conf.account.user if conf.account else "operator"
    secret_store.hold_for_session(secret_store.STORE_TOKEN_USER, store.tokens.get(agent, ""))
    conf = dataclasses.replace(conf, store=dataclasses.replace(conf.store, url=store.url))
    return conf, services


def data_dir() -> Path:
    """Where the demo keeps its store (and its other data: desktop/paths.py)."""
    return paths.demo_data()

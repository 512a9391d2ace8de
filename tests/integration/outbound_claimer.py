"""A desktop's outbound claims in a process of its own, with the desktop's real claim code
(desktop.outbound.tasks): `drain` claims until nothing is due, dialling and reporting each
task as sold, and prints each contact id; `hold` claims one task, prints its contact id and
keeps its lease alive until killed. The token comes in $AGENTDESK_TEST_TOKEN."""

from __future__ import annotations

import os
import sys
import time

from desktop.outbound.tasks import LeaseKeeper, TaskSource
from store.client import StoreClient


def main(url: str, mode: str) -> int:
    source = TaskSource(StoreClient(url, os.environ["AGENTDESK_TEST_TOKEN"]))
    if mode == "hold":
        task = source.claim()
        assert task is not None
        LeaseKeeper(source.client, task).start()
        print(task["contact_id"], flush=True)
        time.sleep(120)  # killed by the test long before
        return 1
    while (task := source.claim()) is not None:
        assert source.may_dial(task)
        source.report(task, {"outcome": "answered", "disposition": "sold", "call_id": None})
        print(task["contact_id"], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

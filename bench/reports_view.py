"""The supervisor's reports view with a year of day × agent: 109,500 rows × 31 columns, as
`StoreClient.report` hands them over (read-only rows over the arrays the store sent). Times,
on the UI thread, showing the report (table model, column widths, the per-day chart), the
first paint, and sorting by a metric — the store's part is bench/store_reports.py.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.reports_view [--agents 300 --days 365]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.supervisor.reports_view import ReportsView
from store.client_types import Report, ReportRow
from store.reports import KEYS, METRICS

YEAR_START = 1_735_689_600_000_000  # 2025-01-01 UTC
DAY_US = 86_400_000_000


def year_report(agents: int, days: int) -> Report:
    """Plausible figures: counts for the count metrics, seconds and percentages otherwise."""
    rng = random.Random(1)
    at = {name: i for i, name in enumerate([*KEYS, *METRICS])}
    counts = {"offered", "answered", "missed", "abandoned", "outbound", "handled", "long_calls",
              "evaluations"}  # fmt: skip

    def figure(metric: str) -> float:
        return rng.randrange(20) if metric in counts else rng.random() * 1000

    rows: list[Mapping[str, Any]] = [
        ReportRow(at, [f"agent{a:03d}", None, YEAR_START + d * DAY_US, *map(figure, METRICS)])
        for d in range(days)
        for a in range(agents)
    ]
    return {
        "group": ["day", "agent"], "from_us": YEAR_START, "to_us": YEAR_START + days * DAY_US,
        "tz_offset_min": 180, "source": "rollups", "columns": list(METRICS), "rows": rows,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    app = QApplication([])
    report = year_report(args.agents, args.days)
    view = ReportsView(source=None)  # type: ignore[arg-type]  # the report is handed in
    view.resize(1400, 900)
    view.show()
    app.processEvents()
    done: Future[Report] = Future()
    done.set_result(report)
    start = time.perf_counter()
    view._loaded(done)
    shown = time.perf_counter()
    view.repaint()
    painted = time.perf_counter()
    view.table.sortByColumn(3 + list(METRICS).index("avg_handle_s"), Qt.SortOrder.DescendingOrder)
    view.repaint()
    sorted_at = time.perf_counter()
    print(
        f"{len(report['rows']):,} rows × {len(METRICS) + 3} columns: shown in "
        f"{shown - start:.3f} s, first paint {painted - shown:.3f} s, sorted by average handle "
        f"time and repainted in {sorted_at - painted:.3f} s; chart {len(view.chart.values)} bars"
    )
    view.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

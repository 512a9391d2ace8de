"""A report's other shapes: JSON objects (one per row) and CSV, from the rows as arrays that
store/reports.py builds (`fields` names each row's values)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

SECOND = 1_000_000


def to_objects(report: dict[str, Any]) -> dict[str, Any]:
    """The report with each row as an object {field: value} (the API's default shape)."""
    fields = report["fields"]
    out = {k: v for k, v in report.items() if k != "fields"}
    out["rows"] = [dict(zip(fields, row, strict=True)) for row in report["rows"]]
    return out


def rows_csv(
    columns: Sequence[str], rows: Iterable[Mapping[str, Any]], line_end: str = "\r\n"
) -> str:
    """Rows as CSV under a header of ``columns``, each row's values in that order (None as an
    empty cell)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=line_end)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return buf.getvalue()


def to_csv(report: dict[str, Any]) -> str:
    """The report as CSV: group columns first, then each metric; a bucket as its local start
    (the report's UTC offset applied), e.g. `2025-03-05 14:00`."""
    fields: list[str] = report["fields"]
    groups = [g for g in ("agent", "queue") if g in report["group"] and g in fields]
    timed = any(g in ("day", "hour") for g in report["group"])
    header = [*groups, *(["bucket"] if timed else []), *report["columns"]]
    at = {name: i for i, name in enumerate(fields)}
    group_at = [at[g] for g in groups]
    column_at = [at[c] for c in report["columns"]]
    shift = report["tz_offset_min"] * 60 * SECOND
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in report["rows"]:
        cells: list[Any] = [row[i] or "" for i in group_at]
        if timed:
            local = row[at["bucket_us"]] + shift
            cells.append(datetime.fromtimestamp(local / SECOND, UTC).strftime("%Y-%m-%d %H:%M"))
        cells += ["" if row[i] is None else row[i] for i in column_at]
        writer.writerow(cells)
    return buf.getvalue()

"""What supervisors, QA and admins read and set through the store: reports (objects, CSV,
metrics and norms), scorecard forms, the audit trail and retention rules."""

from __future__ import annotations

from typing import Any, Literal, cast

from store.client_session import StoreSession, seg
from store.client_types import (
    AuditRow,
    Criterion,
    Form,
    Report,
    ReportNorms,
    ReportRow,
    RetentionRule,
)


def _report_params(from_us: int, to_us: int, options: dict[str, Any]) -> dict[str, Any]:
    group = options.pop("group", "agent")
    if not isinstance(group, str):
        group = ",".join(group)
    params = {k: v for k, v in options.items() if v is not None}
    params.update({k: str(v).lower() for k, v in params.items() if isinstance(v, bool)})
    return {"from_us": from_us, "to_us": to_us, "group": group, **params}


class ReportsAdminClient(StoreSession):
    """Reports, QA forms, the audit trail and retention rules."""

    def report(
        self, kind: Literal["calls", "states"], from_us: int, to_us: int, **options: Any
    ) -> Report:
        """Options: group ("agent", "queue", "day", "hour" or a list of them), agent, queue,
        tz_offset_min, sl_s, long_call_s, rollups (False: from the raw rows). Metrics and
        formulas: `report_metrics()`. Fetched in the compact `columns` shape (names once,
        rows as arrays); each row is a read-only mapping over its array."""
        params = {**_report_params(from_us, to_us, options), "format": "columns"}
        body = self._json("GET", f"/reports/{seg(kind)}", params=params)
        at = {name: i for i, name in enumerate(body.pop("fields"))}
        body["rows"] = [ReportRow(at, row) for row in body["rows"]]
        return cast(Report, body)

    def report_csv(
        self, kind: Literal["calls", "states"], from_us: int, to_us: int, **options: Any
    ) -> bytes:
        """The same report as CSV bytes (UTF-8), to save as a file."""
        params = {**_report_params(from_us, to_us, options), "format": "csv"}
        return self._request("GET", f"/reports/{seg(kind)}", params=params).content

    def report_metrics(self) -> dict[str, str]:
        return cast(dict[str, str], self._json("GET", "/reports/metrics"))

    def report_norms(self) -> ReportNorms:
        """The store's default service-level and long-call norms (its rollups hold those)."""
        return cast(ReportNorms, self._json("GET", "/reports/norms"))

    # --- QA and administration -----------------------------------------------------------

    def create_form(self, name: str, criteria: list[Criterion]) -> Form:
        body = {"name": name, "criteria": criteria}
        return cast(Form, self._json("POST", "/qa/forms", json=body))

    def forms(self) -> list[Form]:
        return cast(list[Form], self._json("GET", "/qa/forms"))

    def audit(self, **filters: Any) -> list[AuditRow]:
        """Filters: actor, action, target, since_us, limit (admins only)."""
        params = {k: v for k, v in filters.items() if v is not None}
        return cast(list[AuditRow], self._json("GET", "/audit", params=params))

    def retention_rules(self) -> list[RetentionRule]:
        return cast(list[RetentionRule], self._json("GET", "/retention/rules"))

    def add_retention_rule(
        self, days: int, queue: str | None = None, tag: str | None = None
    ) -> RetentionRule:
        body = {"days": days, "queue": queue, "tag": tag}
        return cast(RetentionRule, self._json("POST", "/retention/rules", json=body))

    def delete_retention_rule(self, rule_id: int) -> None:
        self._request("DELETE", f"/retention/rules/{int(rule_id)}").close()

"""Historical reports for supervisors: pick a report, a grouping and dates; see the table and
a chart; export the same report as CSV. Every store request runs off the UI thread."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import (
    QCoreApplication,
    QDate,
    QDateTime,
    Qt,
    QTime,
    QTimeZone,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.supervisor.report_chart import ReportChart
from desktop.supervisor.report_table import ReportTableModel
from desktop.threads import assert_gui_thread, run_in_thread
from store.client_types import Report, ReportNorms

DAY_US = 86_400_000_000


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks a text for pyside6-lupdate (which looks for this name); translated when shown."""
    return text


class ReportSource(Protocol):
    """What the view needs of ``store.client.StoreClient``."""

    def report(self, kind: Any, from_us: int, to_us: int, **options: Any) -> Report: ...
    def report_csv(self, kind: Any, from_us: int, to_us: int, **options: Any) -> bytes: ...
    def report_norms(self) -> ReportNorms: ...


def _t(text: str) -> str:
    """Translate a text marked with QT_TRANSLATE_NOOP("ReportsView", …)."""
    return QCoreApplication.translate("ReportsView", text)


def metric_label(name: str) -> str:
    """A column's heading; unknown metrics keep their API name."""
    labels: dict[str, str] = {
        "offered": QT_TRANSLATE_NOOP("ReportsView", "Offered"),
        "answered": QT_TRANSLATE_NOOP("ReportsView", "Answered"),
        "missed": QT_TRANSLATE_NOOP("ReportsView", "Missed"),
        "abandoned": QT_TRANSLATE_NOOP("ReportsView", "Abandoned"),
        "outbound": QT_TRANSLATE_NOOP("ReportsView", "Outbound"),
        "handled": QT_TRANSLATE_NOOP("ReportsView", "Handled"),
        "talk_s": QT_TRANSLATE_NOOP("ReportsView", "Talk, s"),
        "hold_s": QT_TRANSLATE_NOOP("ReportsView", "Hold, s"),
        "wrap_s": QT_TRANSLATE_NOOP("ReportsView", "Wrap-up, s"),
        "handle_s": QT_TRANSLATE_NOOP("ReportsView", "Handle, s"),
        "avg_talk_s": QT_TRANSLATE_NOOP("ReportsView", "Avg talk, s"),
        "avg_hold_s": QT_TRANSLATE_NOOP("ReportsView", "Avg hold, s"),
        "avg_wrap_s": QT_TRANSLATE_NOOP("ReportsView", "Avg wrap-up, s"),
        "avg_handle_s": QT_TRANSLATE_NOOP("ReportsView", "Avg handle, s"),
        "answered_pct": QT_TRANSLATE_NOOP("ReportsView", "Answered, %"),
        "missed_pct": QT_TRANSLATE_NOOP("ReportsView", "Missed, %"),
        "avg_wait_s": QT_TRANSLATE_NOOP("ReportsView", "Avg wait, s"),
        "service_level_pct": QT_TRANSLATE_NOOP("ReportsView", "Service level, %"),
        "long_calls": QT_TRANSLATE_NOOP("ReportsView", "Long calls"),
        "screen_pct": QT_TRANSLATE_NOOP("ReportsView", "Screen recorded, %"),
        "evaluations": QT_TRANSLATE_NOOP("ReportsView", "QA evaluations"),
        "qa_avg_pct": QT_TRANSLATE_NOOP("ReportsView", "QA average, %"),
        "logged_in_s": QT_TRANSLATE_NOOP("ReportsView", "Logged in, s"),
        "ready_s": QT_TRANSLATE_NOOP("ReportsView", "Ready, s"),
        "not_ready_s": QT_TRANSLATE_NOOP("ReportsView", "Not ready, s"),
        "break_s": QT_TRANSLATE_NOOP("ReportsView", "Break, s"),
        "busy_s": QT_TRANSLATE_NOOP("ReportsView", "On calls and wrap-up, s"),
        "outbound_s": QT_TRANSLATE_NOOP("ReportsView", "Outbound tasks, s"),
        "occupancy_pct": QT_TRANSLATE_NOOP("ReportsView", "Occupancy, %"),
        "transcribed": QT_TRANSLATE_NOOP("ReportsView", "Transcribed"),
        "audio_s": QT_TRANSLATE_NOOP("ReportsView", "Transcribed audio, s"),
        "operator_talk_pct": QT_TRANSLATE_NOOP("ReportsView", "Operator talk, %"),
        "customer_talk_pct": QT_TRANSLATE_NOOP("ReportsView", "Customer talk, %"),
        "silence_pct": QT_TRANSLATE_NOOP("ReportsView", "Silence, %"),
        "avg_longest_silence_s": QT_TRANSLATE_NOOP("ReportsView", "Avg longest silence, s"),
        "overtalks": QT_TRANSLATE_NOOP("ReportsView", "Overtalks"),
        "overtalk_s": QT_TRANSLATE_NOOP("ReportsView", "Overtalk, s"),
        "operator_wpm": QT_TRANSLATE_NOOP("ReportsView", "Operator pace, words/min"),
        "state": QT_TRANSLATE_NOOP("ReportsView", "State"),
        "reason": QT_TRANSLATE_NOOP("ReportsView", "Reason"),
        "seconds": QT_TRANSLATE_NOOP("ReportsView", "Seconds"),
    }
    return _t(labels[name]) if name in labels else name


# What the chart shows per report: (metric, title).
CHARTS = {
    "calls": ("offered", QT_TRANSLATE_NOOP("ReportsView", "Calls offered")),
    "states": ("seconds", QT_TRANSLATE_NOOP("ReportsView", "Time in state, s")),
}
TREND = ("avg_handle_s", QT_TRANSLATE_NOOP("ReportsView", "Average handle time, s"))
TALK = ("operator_talk_pct", QT_TRANSLATE_NOOP("ReportsView", "Operator talk share, %"))
# A chart over several agents or queues per day or hour adds them up per bucket; an average
# is then the ratio of the sums it comes from, a share the mean of the rows' shares weighted
# by what each is a share of (the store's talk metrics are weighted by time the same way).
RATIOS = {"avg_handle_s": ("handle_s", "handled")}
WEIGHTS = {"operator_talk_pct": "audio_s"}
SL_S, LONG_CALL_S = 20, 600  # shown until the store tells its norms


class ReportsView(QWidget):
    def __init__(self, source: ReportSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.report: Report | None = None
        self.kind = QComboBox(self)
        self.kind.addItem(self.tr("Calls and agents"), "calls")
        self.kind.addItem(self.tr("Time in state by reason"), "states")
        self.group = QComboBox(self)
        for label, group in (
            (self.tr("By agent"), "agent"),
            (self.tr("By queue"), "queue"),
            (self.tr("By day"), "day"),
            (self.tr("By hour"), "hour"),
            (self.tr("By day and agent"), "day,agent"),
            (self.tr("By day and queue"), "day,queue"),
            (self.tr("By hour and queue"), "hour,queue"),
        ):
            self.group.addItem(label, group)
        self.chart_metric = QComboBox(self)
        self.chart_metric.addItem(self.tr("Chart: calls offered"), CHARTS["calls"])
        self.chart_metric.addItem(self.tr("Chart: average handle time"), TREND)
        self.chart_metric.addItem(self.tr("Chart: operator talk share"), TALK)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-6), self)
        self.date_to = QDateEdit(today, self)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
        # The norms of the service level and long-call metrics (calls report), the store's
        # until changed here. Other norms are computed from the raw rows: slower on long
        # ranges (a year of day × agent: ~7 s instead of ~1.5 s).
        self.sl_s = QSpinBox(self)
        self.sl_s.setRange(1, 3600)
        self.sl_s.setValue(SL_S)
        self.sl_s.setSuffix(self.tr(" s"))
        self.long_call_s = QSpinBox(self)
        self.long_call_s.setRange(1, 86_400)
        self.long_call_s.setValue(LONG_CALL_S)
        self.long_call_s.setSuffix(self.tr(" s"))
        self.agent_filter = QLineEdit(self)
        self.agent_filter.setPlaceholderText(self.tr("every agent"))
        self.queue_filter = QLineEdit(self)
        self.queue_filter.setPlaceholderText(self.tr("every queue"))
        self.load_button = QPushButton(self.tr("Show"), self)
        self.export_button = QPushButton(self.tr("Export CSV…"), self)
        self.export_button.setEnabled(False)
        self.status = QLabel(self)
        self.model = ReportTableModel()
        self.table = QTableView(self)
        self.table.setObjectName("reportTable")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setResizeContentsPrecision(200)  # widths from 200 rows
        self.table.verticalHeader().setVisible(False)
        self.chart = ReportChart(self)
        self._build()
        self.load_button.clicked.connect(self.load)
        self.export_button.clicked.connect(self._ask_export)
        self.chart_metric.currentIndexChanged.connect(self._draw_chart)
        run_in_thread(self.source.report_norms, self._norms_loaded)

    def _build(self) -> None:
        controls = QHBoxLayout()
        for widget in (self.kind, self.group, QLabel(self.tr("From"), self), self.date_from,
                       QLabel(self.tr("to"), self), self.date_to, self.load_button,
                       self.export_button, self.chart_metric):  # fmt: skip
            controls.addWidget(widget)
        controls.addStretch(1)
        norms = QHBoxLayout()
        norm_widgets: list[QWidget] = [QLabel(self.tr("Agent"), self), self.agent_filter,
                                       QLabel(self.tr("Queue"), self), self.queue_filter,
                                       QLabel(self.tr("Service level: answered within"), self),
                                       self.sl_s, QLabel(self.tr("Long calls: over"), self),
                                       self.long_call_s]  # fmt: skip
        for norm in norm_widgets:
            norms.addWidget(norm)
        norms.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.chart)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(norms)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)

    def query(self) -> tuple[str, int, int, dict[str, Any]]:
        """(kind, from_us, to_us, options) of the chosen report in local days."""
        zone = QTimeZone.systemTimeZone()
        start = QDateTime(self.date_from.date(), QTime(0, 0), zone)
        end = QDateTime(self.date_to.date().addDays(1), QTime(0, 0), zone)
        offset_min = start.offsetFromUtc() // 60
        kind = str(self.kind.currentData())
        options = {"group": self.group.currentData(), "tz_offset_min": offset_min}
        if agent := self.agent_filter.text().strip():
            options["agent"] = agent
        if kind == "calls":  # time in state has neither queues nor call norms
            options |= {"sl_s": self.sl_s.value(), "long_call_s": self.long_call_s.value()}
            if queue := self.queue_filter.text().strip():
                options["queue"] = queue
        from_us = start.toMSecsSinceEpoch() * 1000
        to_us = end.toMSecsSinceEpoch() * 1000
        return kind, from_us, to_us, options

    def _norms_loaded(self, future: Future[ReportNorms]) -> None:
        try:
            norms = future.result()
        except Exception:  # an older store: the defaults stay; a report says what is wrong
            return
        pairs = ((self.sl_s, SL_S, norms["sl_s"]),
                 (self.long_call_s, LONG_CALL_S, norms["long_call_s"]))  # fmt: skip
        for box, shown, value in pairs:
            if box.value() == shown:  # not changed by the user meanwhile
                box.setValue(value)

    def load(self) -> None:
        assert_gui_thread()
        kind, from_us, to_us, options = self.query()
        self.status.setText(self.tr("Loading…"))
        self.load_button.setEnabled(False)
        run_in_thread(lambda: self.source.report(kind, from_us, to_us, **options), self._loaded)

    def _loaded(self, future: Future[Report]) -> None:
        self.load_button.setEnabled(True)
        try:
            report = future.result()
        except Exception as exc:
            self.status.setText(self.tr("Cannot load the report: %1").replace("%1", str(exc)))
            return
        self.report = report
        self._fill(report)
        self._draw_chart()
        self.export_button.setEnabled(True)
        self.status.setText(self.tr("Rows: %1").replace("%1", str(len(report["rows"]))))

    def _keys(self, report: Report) -> list[str]:
        keys: list[str] = [g for g in ("agent", "queue") if g in report["group"]]
        if any(g in ("day", "hour") for g in report["group"]):
            keys.append("bucket_us")
        return keys

    def _key_label(self, name: str, row: Mapping[str, Any], report: Report) -> str:
        value = row.get(name)
        if name != "bucket_us":
            return str(value) if value is not None else self.tr("(none)")
        local = (int(value or 0) + report["tz_offset_min"] * 60_000_000) / 1e6
        pattern = "%Y-%m-%d %H:%M" if "hour" in report["group"] else "%Y-%m-%d"
        return datetime.fromtimestamp(local, UTC).strftime(pattern)

    def _fill(self, report: Report) -> None:
        keys = self._key_label_names(report)
        columns = report["columns"]
        headers = [*keys.values(), *map(metric_label, columns)]
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.model.set_report(
            report["rows"], list(keys), columns, headers, lambda k, r: self._key_label(k, r, report)
        )
        self.table.resizeColumnsToContents()

    def _key_label_names(self, report: Report) -> dict[str, str]:
        names = {"agent": self.tr("Agent"), "queue": self.tr("Queue"), "bucket_us": self.tr("When")}
        return {k: names[k] for k in self._keys(report)}

    def _draw_chart(self) -> None:
        report = self.report
        if report is None:
            return
        metric, title = self.chart_metric.currentData()
        if metric not in report["columns"]:
            metric, title = CHARTS.get(report_kind(report), CHARTS["calls"])
        keys = self._keys(report)
        if "bucket_us" in keys and len(keys) > 1:  # one bar per day or hour, over the others
            num, den = RATIOS.get(metric, (metric, ""))
            weight = WEIGHTS.get(metric, "")
            sums: dict[int, list[float]] = {}
            for r in report["rows"]:
                acc = sums.setdefault(int(r["bucket_us"]), [0.0, 0.0])
                if weight:  # Σ share × its whole / Σ whole
                    acc[0] += (r.get(metric) or 0.0) * (r.get(weight) or 0.0)
                    acc[1] += r.get(weight) or 0.0
                else:
                    acc[0] += r.get(num) or 0.0
                    acc[1] += (r.get(den) or 0.0) if den else 1.0
            buckets = sorted(sums)
            labels = [self._key_label("bucket_us", {"bucket_us": b}, report) for b in buckets]
            values: list[float | None] = [
                (sums[b][0] / sums[b][1] if sums[b][1] else None) if den or weight else sums[b][0]
                for b in buckets
            ]
        else:
            labels = [" ".join(self._key_label(k, r, report) for k in keys) for r in report["rows"]]
            values = [r.get(metric) for r in report["rows"]]
        self.chart.set_data(_t(title), labels, values)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export the report"), "report.csv", self.tr("CSV files (*.csv)")
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path, done: Callable[[], None] | None = None) -> None:
        """Fetch the shown report as CSV from the store and write it to ``path``, off the UI
        thread; the status line says how it went."""
        kind, from_us, to_us, options = self.query()

        def work() -> int:
            data = self.source.report_csv(kind, from_us, to_us, **options)
            path.write_bytes(data)
            return len(data)

        def finished(future: Future[int]) -> None:
            try:
                future.result()
            except Exception as exc:
                self.status.setText(self.tr("Export failed: %1").replace("%1", str(exc)))
            else:
                self.status.setText(self.tr("Saved %1").replace("%1", str(path)))
            if done is not None:
                done()

        run_in_thread(work, finished)


def report_kind(report: Report) -> str:
    return "states" if report["columns"] == ["state", "reason", "seconds"] else "calls"

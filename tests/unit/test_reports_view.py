"""The reports view against a fake store client: table, chart bars, CSV export; and the
supervisor menu offered only to supervisors and admins."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu
from pytestqt.qtbot import QtBot

from desktop import i18n
from desktop.supervisor.reports_view import ReportsView
from desktop.supervisor.window import SupervisorWindow, offer_supervisor_menu
from store.client_types import Board, Me, Report, ReportNorms

H = 3_600_000_000
DAY0 = 1_741_132_800_000_000  # 2025-03-05 00:00 UTC


class FakeStore:
    """The boundary: what StoreClient would answer."""

    def __init__(self, role: str = "supervisor") -> None:
        self.role = role
        self.asked: list[tuple[str, int, int, dict[str, Any]]] = []
        self.csv = b"agent,offered\r\nann,4\r\n"
        self.sl_s = 20

    def me(self) -> Me:
        return {"name": "sue", "role": self.role}  # type: ignore[typeddict-item]

    def live_board(self) -> Board:
        return {"now_us": DAY0, "agents": []}

    def queues_live(self) -> dict[str, Any]:
        return {"now_us": DAY0, "queues": []}

    def report(self, kind: Any, from_us: int, to_us: int, **options: Any) -> Report:
        self.asked.append((kind, from_us, to_us, options))
        rows: list[Mapping[str, Any]] = [
            {"bucket_us": DAY0 + 9 * H, "offered": 2, "avg_handle_s": 300.0,
             "occupancy_pct": None},
            {"bucket_us": DAY0 + 10 * H, "offered": 6, "avg_handle_s": 150.5,
             "occupancy_pct": 50.0},
            {"bucket_us": DAY0 + 11 * H, "offered": 3, "avg_handle_s": None,
             "occupancy_pct": 10.0},
        ]  # fmt: skip
        return {
            "group": ["hour"], "from_us": from_us, "to_us": to_us, "tz_offset_min": 180,
            "columns": ["offered", "avg_handle_s", "occupancy_pct"], "rows": rows,
        }  # fmt: skip

    def report_norms(self) -> ReportNorms:
        return {"tz": "Europe/Moscow", "sl_s": self.sl_s, "long_call_s": 600}

    def report_csv(self, kind: Any, from_us: int, to_us: int, **options: Any) -> bytes:
        self.asked.append((kind, from_us, to_us, {**options, "csv": True}))
        return self.csv


def loaded_view(qtbot: QtBot, store: FakeStore) -> ReportsView:
    view = ReportsView(store)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.group.setCurrentIndex(view.group.findData("hour"))
    view.load_button.click()
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=3000)
    return view


def cells(view: ReportsView, columns: int) -> list[list[str]]:
    model = view.model
    return [[model.data(model.index(r, c)) for c in range(columns)]
            for r in range(model.rowCount())]  # fmt: skip


def test_report_table_shows_local_hours_and_metrics(qtbot: QtBot) -> None:
    store = FakeStore()
    view = loaded_view(qtbot, store)
    kind, from_us, to_us, options = store.asked[0]
    assert kind == "calls" and options["group"] == "hour"
    assert (options["sl_s"], options["long_call_s"]) == (20, 600)  # the store's norms
    assert to_us - from_us == 7 * 24 * H  # the default: the last 7 local days
    headers = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)]
    assert headers == ["When", "Offered", "Avg handle, s", "Occupancy, %"]
    shown = cells(view, 4)
    # Buckets shown in the report's local time (UTC+3): 09:00 UTC is 12:00 there.
    assert shown[0] == ["2025-03-05 12:00", "2", "300.0", ""]
    assert shown[1] == ["2025-03-05 13:00", "6", "150.5", "50.0"]
    assert view.status.text() == "Rows: 3"


def test_the_norms_chosen_go_to_the_calls_report_and_its_csv(qtbot: QtBot, tmp_path) -> None:
    store = FakeStore()
    view = loaded_view(qtbot, store)
    view.sl_s.setValue(30)
    view.long_call_s.setValue(900)
    view.load_button.click()
    qtbot.waitUntil(lambda: len(store.asked) == 2, timeout=3000)
    done: list[bool] = []
    view.export_to(tmp_path / "r.csv", lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=3000)
    for _kind, _lo, _hi, options in store.asked[1:]:
        assert (options["sl_s"], options["long_call_s"]) == (30, 900)
    view.agent_filter.setText(" ann ")
    view.queue_filter.setText("sales")
    assert {k: view.query()[3][k] for k in ("agent", "queue")} == {"agent": "ann", "queue": "sales"}
    view.kind.setCurrentIndex(view.kind.findData("states"))  # no norms nor queues in states
    assert "sl_s" not in view.query()[3] and "queue" not in view.query()[3]
    assert view.query()[3]["agent"] == "ann"


def test_the_view_starts_from_the_stores_norms(qtbot: QtBot) -> None:
    store = FakeStore()
    store.sl_s = 30
    view = ReportsView(store)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.sl_s.value() == 30, timeout=3000)
    assert view.query()[3]["sl_s"] == 30 and view.long_call_s.value() == 600


def test_sorting_a_column_orders_by_value_with_empty_cells_last(qtbot: QtBot) -> None:
    view = loaded_view(qtbot, FakeStore())
    view.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # avg handle
    assert [row[2] for row in cells(view, 4)] == ["300.0", "150.5", ""]
    view.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # occupancy: 10 before 50
    assert [row[0][-5:] for row in cells(view, 4)] == ["14:00", "13:00", "12:00"]
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [row[0][-5:] for row in cells(view, 4)] == ["12:00", "13:00", "14:00"]


class ManyAgentsStore(FakeStore):
    """Day × agent: two agents on each of two days."""

    def report(self, kind: Any, from_us: int, to_us: int, **options: Any) -> Report:
        day = 24 * H
        rows: list[Mapping[str, Any]] = [
            {"agent": "ann", "bucket_us": DAY0, "offered": 4, "handle_s": 600.0, "handled": 2,
             "avg_handle_s": 300.0},
            {"agent": "ben", "bucket_us": DAY0, "offered": 1, "handle_s": 100.0, "handled": 2,
             "avg_handle_s": 50.0},
            {"agent": "ann", "bucket_us": DAY0 + day, "offered": 2, "handle_s": 90.0,
             "handled": 1, "avg_handle_s": 90.0},
            {"agent": "ben", "bucket_us": DAY0 + day, "offered": 0, "handle_s": 0.0,
             "handled": 0, "avg_handle_s": None},
        ]  # fmt: skip
        return {
            "group": ["day", "agent"], "from_us": from_us, "to_us": to_us, "tz_offset_min": 0,
            "columns": ["offered", "handle_s", "handled", "avg_handle_s"], "rows": rows,
        }  # fmt: skip


def test_a_chart_over_agents_shows_each_day_their_totals_and_true_averages(qtbot) -> None:
    view = ReportsView(ManyAgentsStore())
    qtbot.addWidget(view)
    view.load_button.click()
    qtbot.waitUntil(lambda: view.model.rowCount() == 4, timeout=3000)
    assert view.chart.labels == ["2025-03-05", "2025-03-06"] and view.chart.values == [5, 2]
    view.chart_metric.setCurrentIndex(1)  # the handle-time trend: Σ handle / Σ handled
    assert view.chart.values == [175.0, 90.0]  # not the mean of 300 and 50


def test_chart_bars_follow_the_chosen_metric(qtbot: QtBot) -> None:
    view = loaded_view(qtbot, FakeStore())
    view.chart.resize(600, 300)
    heights = [r.height() for r in view.chart.bar_rects()]
    assert heights[1] == max(heights) and abs(heights[0] / heights[1] - 2 / 6) < 1e-6
    assert abs(heights[2] / heights[1] - 3 / 6) < 1e-6
    view.chart_metric.setCurrentIndex(1)  # the handle-time trend
    heights = [r.height() for r in view.chart.bar_rects()]
    assert heights[0] == max(heights) and heights[2] == 0
    assert view.chart.title == "Average handle time, s"
    image = view.chart.grab().toImage()  # the bars are really painted
    bar = view.chart.bar_rects()[0].center().toPoint()
    assert image.pixelColor(bar).name() == "#3b78c2"


def test_csv_export_writes_what_the_store_sends(qtbot: QtBot, tmp_path: Path) -> None:
    store = FakeStore()
    view = loaded_view(qtbot, store)
    target = tmp_path / "report.csv"
    done: list[bool] = []
    view.export_to(target, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=3000)
    assert target.read_bytes() == store.csv
    assert store.asked[-1][:3] == store.asked[0][:3]  # the same report as the table
    assert store.asked[-1][3] == {**store.asked[0][3], "csv": True}
    assert str(target) in view.status.text()
    done.clear()
    view.export_to(tmp_path / "missing" / "r.csv", lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=3000)
    assert view.status.text().startswith("Export failed")


class Host(QMainWindow):
    def add_menu_action(self, menu_name: str, action: QAction) -> QMenu:
        menu = self.menuBar().addMenu(menu_name)
        menu.addAction(action)
        return menu


def test_supervisor_menu_only_for_supervisors(qtbot: QtBot) -> None:
    for role, offered in (("agent", False), ("supervisor", True)):
        host = Host()
        qtbot.addWidget(host)
        offer_supervisor_menu(host, FakeStore(role))
        if offered:
            qtbot.waitUntil(lambda h=host: h.findChild(QAction, "openSupervisor") is not None)
            action = host.findChild(QAction, "openSupervisor")
            assert action.text() == "Agents and &reports…"
            action.trigger()
            (window,) = [
                w for w in QApplication.topLevelWidgets() if isinstance(w, SupervisorWindow)
            ]
            assert window.isVisible() and window.board.timer.isActive()
            window.close()
            assert not window.board.timer.isActive()
            window.deleteLater()
        else:
            qtbot.wait(300)
            assert host.findChild(QAction, "openSupervisor") is None


class Channel(QObject):
    """The live channel's side the window uses: its ``received`` signal."""

    received = Signal(object)


class CountingStore(FakeStore):
    def __init__(self) -> None:
        super().__init__()
        self.queue_asks = 0

    def queues_live(self) -> dict[str, Any]:
        self.queue_asks += 1
        return super().queues_live()


def test_the_supervisor_window_asks_for_the_queues_when_the_channel_says_so(
    qtbot: QtBot,
) -> None:
    store, channel = CountingStore(), Channel()
    window = SupervisorWindow(store, live_events=channel.received)
    qtbot.addWidget(window)
    channel.received.emit({"type": "queues.changed"})  # not shown yet: nothing asked
    assert store.queue_asks == 0
    window.show()
    qtbot.waitUntil(lambda: window.queues._live is not None, timeout=3000)
    asked = store.queue_asks
    assert window.queues.refresh_timer.interval() >= 10_000  # the channel leads, the poll follows
    channel.received.emit({"type": "policy.changed", "version": 2})
    channel.received.emit({"type": "queues.changed"})
    qtbot.waitUntil(lambda: store.queue_asks == asked + 1, timeout=3000)
    assert window.queues.event_refreshes == 1
    window.close()


class TalkStore(FakeStore):
    """Day × agent with talk metrics: ann talked 25 % of 60 s, ben 75 % of 20 s on day 1."""

    def report(self, kind: Any, from_us: int, to_us: int, **options: Any) -> Report:
        day = 24 * H
        rows: list[Mapping[str, Any]] = [
            {"agent": "ann", "bucket_us": DAY0, "transcribed": 1, "audio_s": 60.0,
             "operator_talk_pct": 25.0, "operator_wpm": 120.0},
            {"agent": "ben", "bucket_us": DAY0, "transcribed": 1, "audio_s": 20.0,
             "operator_talk_pct": 75.0, "operator_wpm": 150.0},
            {"agent": "ann", "bucket_us": DAY0 + day, "transcribed": 0, "audio_s": 0.0,
             "operator_talk_pct": None, "operator_wpm": None},
        ]  # fmt: skip
        return {
            "group": ["day", "agent"], "from_us": from_us, "to_us": to_us, "tz_offset_min": 0,
            "columns": ["transcribed", "audio_s", "operator_talk_pct", "operator_wpm"],
            "rows": rows,
        }  # fmt: skip


def test_talk_metrics_are_labelled_in_both_languages_and_charted_by_time(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert app is not None
    view = ReportsView(TalkStore())
    qtbot.addWidget(view)
    view.load_button.click()
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=3000)
    header = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)]
    assert header[2:] == ["Transcribed", "Transcribed audio, s", "Operator talk, %",
                          "Operator pace, words/min"]  # fmt: skip
    view.chart_metric.setCurrentIndex(view.chart_metric.findText("Chart: operator talk share"))
    assert view.chart.title == "Operator talk share, %"
    # Day 1: (25 × 60 + 75 × 20) / 80 s = 37.5 %, not the mean 50 %; day 2: none measured.
    assert view.chart.values == [37.5, 0.0]
    translators = i18n.install(app, "ru")
    try:
        view.load_button.click()
        qtbot.waitUntil(lambda: view.model.headerData(4, Qt.Orientation.Horizontal)
                        == "Речь оператора, %", timeout=3000)  # fmt: skip
        assert view.model.headerData(5, Qt.Orientation.Horizontal) == "Темп оператора, слов/мин"
    finally:
        i18n.uninstall(app, translators)

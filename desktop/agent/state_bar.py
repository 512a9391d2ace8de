"""The operator's agent state at the top of the window: the state, its reason, time in state
(or the wrap-up countdown), a menu to pick a state and a button to end wrap-up early."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QAction, QHideEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from desktop.agent import state as st
from desktop.i18n import shown

WIDGET_SIZE_MAX = (1 << 24) - 1  # Qt's QWIDGETSIZE_MAX: no maximum
COLOURS = {
    st.READY: "#1e7d32",
    st.ON_CALL: "#1565c0",
    st.WRAP_UP: "#8e6a00",
    st.NOT_READY: "#b23c17",
    st.BREAK: "#6a4c93",
    st.OFFLINE: "#616161",
    st.OUTBOUND: "#00695c",
}


def state_name(state: str) -> str:
    """The operator's word for a state (translated)."""
    names = {
        st.READY: QCoreApplication.translate("AgentState", "Ready"),
        st.NOT_READY: QCoreApplication.translate("AgentState", "Not ready"),
        st.BREAK: QCoreApplication.translate("AgentState", "Break"),
        st.ON_CALL: QCoreApplication.translate("AgentState", "On call"),
        st.WRAP_UP: QCoreApplication.translate("AgentState", "Wrap-up"),
        st.OFFLINE: QCoreApplication.translate("AgentState", "Offline"),
        st.OUTBOUND: QCoreApplication.translate("AgentState", "Outbound"),
    }
    return names.get(state, state)


# Time in a waiting state (ready, not ready, a break) is shown by the minute ("< 1 min",
# "12 min"): a label that changes every second is a screen that is never still, and the
# recorder encodes each change (bench/README.md, agent_cpu.py). A call and a wrap-up's
# countdown keep their seconds.
BY_THE_SECOND = (st.ON_CALL, st.WRAP_UP)


def clock_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def minutes_text(seconds: int) -> str:
    """Whole minutes in a state, e.g. "< 1 min", "12 min" or "1 h 05 min" (translated)."""
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if seconds < 60:
        return QCoreApplication.translate("AgentState", "< 1 min")
    if hours:
        text = QCoreApplication.translate("AgentState", "%1 h %2 min")
        return text.replace("%1", str(hours)).replace("%2", f"{minutes:02d}")
    return QCoreApplication.translate("AgentState", "%1 min").replace("%1", str(minutes))


class AgentStateBar(QWidget):
    """Shows an :class:`~desktop.agent.state.AgentState`; its timer also ends wrap-ups."""

    def __init__(
        self,
        model: st.AgentState,
        not_ready_reasons: tuple[str, ...] = (),
        break_reasons: tuple[str, ...] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.label = QLabel(self)
        self.label.setObjectName("agentStateLabel")
        self.timer_label = QLabel(self)
        self.timer_label.setObjectName("agentStateTime")
        # It paints its own background: a tick repaints the label, not the window beneath.
        self.timer_label.setAutoFillBackground(True)
        self.choose_button = QToolButton(self)
        self.choose_button.setObjectName("agentStateChoose")
        self.choose_button.setText(self.tr("Change state"))
        self.choose_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self)
        self.actions_by_key: dict[tuple[str, str], QAction] = {}
        self._fill_menu(not_ready_reasons, break_reasons)
        self.choose_button.setMenu(self.menu)
        self.end_wrap_up = QPushButton(self.tr("End wrap-up"), self)
        self.end_wrap_up.setObjectName("endWrapUpButton")
        self.end_wrap_up.clicked.connect(model.end_wrap_up)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.timer_label)
        layout.addStretch(1)
        layout.addWidget(self.end_wrap_up)
        layout.addWidget(self.choose_button)
        # Time in state ticks while the bar is seen; a wrap-up's end is due even when not.
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._colour = ""
        model.subscribe(lambda _change: self.refresh())
        self.refresh()

    def _fill_menu(self, not_ready: tuple[str, ...], breaks: tuple[str, ...]) -> None:
        self._add(st.READY, "", state_name(st.READY), self.menu)
        for state, reasons in ((st.NOT_READY, not_ready), (st.BREAK, breaks)):
            sub = self.menu.addMenu(state_name(state))
            for reason in reasons:
                self._add(state, reason, shown(reason), sub)
        self._add(st.OUTBOUND, "", state_name(st.OUTBOUND), self.menu)
        self.menu.addSeparator()
        self._add(st.OFFLINE, "", state_name(st.OFFLINE), self.menu)

    def _add(self, state: str, reason: str, text: str, menu: QMenu) -> None:
        action = QAction(text, self)
        action.triggered.connect(lambda _=False: self.model.choose(state, reason))
        menu.addAction(action)
        self.actions_by_key[(state, reason)] = action

    def _tick(self) -> None:
        self.model.tick()
        if self.model.state == st.WRAP_UP:
            self.refresh()
        else:  # only the time moves: no restyle, no relayout
            self.timer_label.setText(self.time_text())
        self._clock.setInterval(self._next_tick_ms())

    def _next_tick_ms(self) -> int:
        """A second, or until the shown minute changes."""
        m = self.model
        if m.state in BY_THE_SECOND:
            return 1000
        return (60 - m.time_in_state_s() % 60) * 1000

    def _fit_time(self) -> None:
        """The clock keeps one size (Qt lays out nothing for a widget of fixed width and
        height), so its text changing every second repaints the label alone instead of laying
        out the window again; a wrap-up's words take their own size."""
        label = self.timer_label
        if self.model.state == st.WRAP_UP:
            label.setMinimumSize(0, 0)
            label.setMaximumSize(WIDGET_SIZE_MAX, WIDGET_SIZE_MAX)
            return
        margins = label.contentsMargins()
        extra = 2 * label.margin()
        widest = max(
            label.fontMetrics().horizontalAdvance(text)
            for text in ("00:00:00", minutes_text(99 * 3600 + 59 * 60))
        )
        width = widest + margins.left() + margins.right()
        height = label.fontMetrics().height() + margins.top() + margins.bottom()
        label.setFixedSize(width + extra, height + extra)

    def _run_clock(self) -> None:
        if self.isVisible() or self.model.state == st.WRAP_UP:
            if not self._clock.isActive():
                self._clock.start(self._next_tick_ms())
            elif self._clock.interval() != self._next_tick_ms():
                self._clock.setInterval(self._next_tick_ms())
        else:
            self._clock.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer_label.setText(self.time_text())
        self._run_clock()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._run_clock()

    def text(self) -> str:
        """The state as the operator reads it, e.g. "Not ready: Training"."""
        m = self.model
        name = state_name(m.state)
        return f"{name}: {shown(m.reason)}" if m.reason else name

    def time_text(self) -> str:
        m = self.model
        if m.state == st.WRAP_UP:
            left = m.wrap_up_left_s()
            blocked = m.wrap_up_blocked() if left == 0 else ""
            if blocked:
                return self.tr("waiting: %1").replace("%1", blocked)
            return self.tr("%1 s left").replace("%1", str(left))
        in_state = m.time_in_state_s()
        return clock_text(in_state) if m.state in BY_THE_SECOND else minutes_text(in_state)

    def refresh(self) -> None:
        m = self.model
        self.label.setText(self.text())
        colour = COLOURS.get(m.state, "#000000")
        if colour != self._colour:  # a style sheet re-polishes the label: only on a change
            self._colour = colour
            self.label.setStyleSheet(f"font-weight: bold; color: {colour};")
        self._fit_time()
        self.timer_label.setText(self.time_text())
        self.end_wrap_up.setVisible(m.state == st.WRAP_UP)
        self.end_wrap_up.setToolTip(m.wrap_up_blocked() if m.state == st.WRAP_UP else "")
        chosen_state, _ = m.chosen
        pending = m.state in (st.ON_CALL, st.WRAP_UP) and chosen_state != st.READY
        tip = ""
        if pending:
            tip = self.tr("After the call: %1").replace("%1", state_name(chosen_state))
        self.choose_button.setToolTip(tip)
        self._run_clock()

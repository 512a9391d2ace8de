"""The app's logging: Python logging to stderr, with Qt's own messages routed into it."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("pjsua2").setLevel(logging.WARNING)
    qInstallMessageHandler(_qt_message)


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's own messages into Python logging; window-system limits of the offscreen and
    minimal platforms ("This plugin does not support raise()") are only debug noise.
    """
    level = _QT_LEVELS.get(kind, logging.WARNING)
    if message.startswith("This plugin does not support"):
        level = logging.DEBUG
    logging.getLogger("qt").log(level, "%s", message)

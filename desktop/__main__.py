"""Entry point: ``python -m desktop`` or the ``agentdesk`` command.

The runtime guard runs before anything imports PySide6 or pjsua2.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata

from desktop.pyguard import UnsupportedRuntime, check_runtime


def main(argv: list[str] | None = None) -> int:
    try:
        check_runtime()
    except UnsupportedRuntime as exc:
        print(f"agentdesk: {exc}", file=sys.stderr)
        return 2

    parser = argparse.ArgumentParser(prog="agentdesk", description="Contact-centre desktop")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    args, qt_args = parser.parse_known_args(argv)
    if args.version:
        print(f"agentdesk {metadata.version('agentdesk')}")
        return 0
    return _run_window(qt_args)


def _run_window(qt_args: list[str]) -> int:
    # Imported here so that --version and the guard work without loading Qt.
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication([sys.argv[0], *qt_args])
    window = QMainWindow()
    window.setWindowTitle("AgentDesk")
    window.setCentralWidget(QLabel("AgentDesk"))
    window.resize(800, 600)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

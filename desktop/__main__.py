"""Entry point: ``python -m desktop`` or the ``agentdesk`` command.

The runtime guard runs before anything imports PySide6 or pjsua2.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from desktop.pyguard import UnsupportedRuntime, check_runtime


def main(argv: list[str] | None = None) -> int:
    try:
        check_runtime()
    except UnsupportedRuntime as exc:
        print(f"agentdesk: {exc}", file=sys.stderr)
        return 2

    args, qt_args = build_parser().parse_known_args(argv)
    if args.version:
        print(f"agentdesk {metadata.version('agentdesk')}")
        return 0
    # Imported here so that --version and the guard work without loading Qt or pjsua2.
    from desktop import app

    if args.write_config:
        return app.write_config(args.config)
    return app.run(args, qt_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentdesk", description="Contact-centre desktop")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="settings file (default: agentdesk/agentdesk.toml in the user's config folder)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="demo mode: loopback account and a simulated caller"
    )
    parser.add_argument(
        "--auto-answer",
        type=float,
        nargs="?",
        const=0.0,
        metavar="SECONDS",
        help="answer incoming calls by themselves (after SECONDS, default at once)",
    )
    parser.add_argument(
        "--exit-after", type=float, metavar="SECONDS", help="close the app after SECONDS"
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    parser.add_argument(
        "--write-config",
        action="store_true",
        help="write the effective settings to the settings file (if it does not exist) and exit",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())

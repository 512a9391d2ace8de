"""Entry point: ``python -m desktop`` or the ``agentdesk`` command.

The runtime guard runs before anything imports PySide6 or pjsua2.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from desktop.pyguard import UnsupportedRuntime, check_runtime


def run_as_python(argv: list[str]) -> int | None:
    """In a frozen bundle ``sys.executable`` is this program, yet the app starts helpers the
    way Python would (``sys.executable -m recorder.worker``, ``-c`` for the sound probe): run
    those here. Returns None when ``argv`` is not such a call.
    """
    if len(argv) >= 2 and argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        try:
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        except SystemExit as done:
            return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        return 0
    if len(argv) >= 2 and argv[0] == "-c":
        sys.argv = ["-c", *argv[2:]]
        exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        return 0
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if getattr(sys, "frozen", False):
        code = run_as_python(argv)
        if code is not None:
            return code
    try:
        check_runtime()
    except UnsupportedRuntime as exc:
        print(f"agentdesk: {exc}", file=sys.stderr)
        return 2

    args, qt_args = build_parser().parse_known_args(argv)
    if args.version:
        print(f"agentdesk {metadata.version('agentdesk')}")
        return 0
    if args.self_test:
        from desktop import self_test

        return self_test.main(*_store_for_self_test(args))
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
        "--self-test",
        action="store_true",
        help="check this installation (imports, SIP on loopback, screen capture and encoding, "
        "the store if configured) and exit 0 or list what failed",
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="with --self-test: the store to check (default: the one in the settings)",
    )
    parser.add_argument(
        "--write-config",
        action="store_true",
        help="write the effective settings to the settings file (if it does not exist) and exit",
    )
    return parser


def _store_for_self_test(args: argparse.Namespace) -> tuple[str, Callable[[], str | None]]:
    """The store URL (argument, else settings) and a keyring lookup of its token."""
    from desktop import secret_store
    from desktop.settings import values as settings

    url = args.store or ""
    if not url:
        loaded = settings.load(args.config)
        upload = getattr(loaded.settings, "upload", None)
        url = getattr(upload, "store_url", "") or ""
    read_token = getattr(secret_store, "read_store_token", None)
    return url, lambda: read_token(url) if url and read_token else None


if __name__ == "__main__":
    sys.exit(main())

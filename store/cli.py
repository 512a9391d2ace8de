"""`agentdesk-store`: set up, serve and migrate the store; manage users, tokens and retention.

Every command takes --data DIR (default $AGENTDESK_STORE_DATA) and --db URL (default
$AGENTDESK_STORE_DB, else SQLite in DIR). Secrets never go on the command line: a database
URL with a password is refused (use PGPASSWORD or ~/.pgpass), S3 keys come from environment
variables or the keyring.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from store import rollups
from store.cli_admin import cmd_init, cmd_policy, cmd_retention, cmd_token, cmd_user
from store.cli_args import UsageError, open_db, store_settings
from store.db import DatabaseError, describe
from store.errors import StoreProblem
from store.migrations import LATEST, migrate
from store.models import Role
from store.outbound import command as outbound_command
from store.settings import SettingsError
from store.transcripts import command as transcribe_command

# An idle desktop asks every ~10 s (presence) and every minute (the policy): its connection
# stays open between them instead of a new TCP and TLS handshake each time (uvicorn: 5 s).
KEEP_ALIVE_S = 75


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from store.app import SETTINGS_ENV, create_app

    settings = store_settings(args)
    db = settings.open_db()
    applied = migrate(db)
    if applied:
        print(f"migrated {describe(settings.database_url)} to {LATEST}", file=sys.stderr)
    basis = rollups.Basis(
        rollups.zone_named(settings.report_tz), settings.report_sl_s, settings.report_long_call_s
    )
    rebuilt = rollups.ensure(db, basis)
    db.close()
    if rebuilt is not None:
        print(
            f"report rollups built for {settings.report_tz}, service level within "
            f"{basis.sl_s} s, long calls over {basis.long_call_s} s: {rebuilt:.1f} s",
            file=sys.stderr,
        )
    target: Any = create_app(settings)
    options: dict[str, Any] = {}
    if args.workers > 1:  # processes: one Python process runs on one core at most
        os.environ[SETTINGS_ENV] = settings.to_json()
        target = "store.app:create_app_from_env"
        options = {"factory": True, "workers": args.workers}
    uvicorn.run(
        target,
        **options,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.access_log,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = store_settings(args)
    applied = migrate(settings.open_db())
    where = describe(settings.database_url)
    print(f"{where}: applied {applied}" if applied else f"{where}: already at {LATEST}")
    return 0


def cmd_pbx_feed(args: argparse.Namespace) -> int:
    from store.pbx import feed
    from store.pbx.client import QueueClient

    token = feed.store_token()
    if not token:
        raise UsageError(
            f"no store token: set {feed.TOKEN_ENV} or keep it in the keyring "
            f"(`keyring set {feed.KEYRING_SERVICE} {feed.KEYRING_USER}`)"
        )
    state = Path(args.state) if args.state else Path.home() / ".local/state/agentdesk/pbx-feed.json"
    client = QueueClient(args.store, token, ca_bundle=args.ca_bundle, timeout=(5.0, 30.0))
    try:
        return feed.main(Path(args.queue_log), state, client, args.once, args.poll_s, args.settle_s)
    finally:
        client.close()


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", help="data folder (default $AGENTDESK_STORE_DATA)")
    common.add_argument("--db", help="postgresql://user@host/db or a SQLite path")
    parser = argparse.ArgumentParser(prog="agentdesk-store", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8750)
    serve.add_argument("--workers", type=int, default=1, help="API processes (default 1)")
    serve.add_argument("--max-upload-mb", type=float, help="size limit of one upload (512)")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--access-log", action="store_true")
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    serve.add_argument(
        "--report-tz",
        help="time zone of report days, e.g. Europe/Moscow (default $AGENTDESK_STORE_REPORT_TZ, "
        "else UTC): reports of its whole days read per-day rollups",
    )
    serve.add_argument(
        "--report-sl-s",
        help="service-level norm of reports: answered within this many seconds (default "
        "$AGENTDESK_STORE_REPORT_SL_S, else 20)",
    )
    serve.add_argument(
        "--report-long-call-s",
        help="long-call norm of reports: calls over this many seconds (default "
        "$AGENTDESK_STORE_REPORT_LONG_CALL_S, else 600)",
    )
    serve.add_argument(
        "--uploads-per-token",
        help="uploads in progress at once per token and API process; one more is a 429 "
        "(default $AGENTDESK_STORE_UPLOADS_PER_TOKEN, else 8)",
    )
    serve.add_argument(
        "--uploads-per-address",
        help="uploads in progress at once per client address and API process; one more is a "
        "429 (default $AGENTDESK_STORE_UPLOADS_PER_ADDRESS, else 64)",
    )
    serve.add_argument(
        "--body-timeout-s",
        help="a request body that sends nothing for this many seconds is dropped with 408 "
        "(default $AGENTDESK_STORE_BODY_TIMEOUT_S, else 30)",
    )
    serve.add_argument("--s3-endpoint")
    serve.add_argument("--s3-bucket")
    serve.add_argument("--s3-region")
    serve.add_argument("--s3-presign-endpoint", help="the S3 address clients reach")
    serve.add_argument("--s3-ca-bundle", help="CA bundle (PEM) to verify the S3 endpoint")
    serve.add_argument("--s3-access-key-env", default="AGENTDESK_S3_ACCESS_KEY")
    serve.add_argument("--s3-secret-key-env", default="AGENTDESK_S3_SECRET_KEY")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", parents=[common], help="apply schema migrations").set_defaults(
        func=cmd_migrate
    )

    init = sub.add_parser(
        "init",
        parents=[common],
        help="set up a new store: data folder, database, first admin and its token",
    )
    init.add_argument("--admin", default="admin", help="the first admin's user name (admin)")
    init.add_argument("--days", type=float, default=365, help="the admin token's life (365)")
    init.add_argument("--never", action="store_true", help="the admin token never expires")
    init.set_defaults(func=cmd_init)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", parents=[common])
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--extension", help="the user's SIP extension, e.g. 1001")
    change = user.add_parser("set", parents=[common], help="change a user's SIP extension or team")
    change.add_argument("name")
    change.add_argument("--extension", help='e.g. 1001; "" removes it')
    change.add_argument("--team", help='the recording policy\'s team, e.g. night; "" removes it')
    for action in ("disable", "enable"):
        user.add_parser(action, parents=[common]).add_argument("name")
    user.add_parser("list", parents=[common])
    user.add_parser(
        "passwd", parents=[common], help="set the web console password (asked, or read from stdin)"
    ).add_argument("name")
    for p in user.choices.values():
        p.set_defaults(func=cmd_user)

    token = sub.add_parser("token", help="bearer tokens").add_subparsers(
        dest="action", required=True
    )
    issue = token.add_parser("issue", parents=[common], help="print a new token once")
    issue.add_argument("name")
    issue.add_argument("--days", type=float, default=365)
    issue.add_argument("--never", action="store_true", help="no expiry")
    token.add_parser("revoke", parents=[common]).add_argument("name")
    for p in token.choices.values():
        p.set_defaults(func=cmd_token)

    pol = sub.add_parser("policy", help="the recording policy").add_subparsers(
        dest="action", required=True
    )
    pol.add_parser("show", parents=[common], help="print the current version")
    setting = pol.add_parser("set", parents=[common], help="a new version from a JSON file")
    setting.add_argument("--file", required=True, help="the policy document (store/README.md)")
    pol.add_parser("history", parents=[common], help="every version, newest first")
    for p in pol.choices.values():
        p.set_defaults(func=cmd_policy)

    ret = sub.add_parser("retention", help="media retention").add_subparsers(
        dest="action", required=True
    )
    run = ret.add_parser("run", parents=[common], help="apply the rules now")
    run.add_argument("--dry-run", action="store_true")
    rule = ret.add_parser("add", parents=[common], help="add a rule")
    rule.add_argument("--queue")
    rule.add_argument("--tag")
    rule.add_argument("--days", type=int, required=True)
    ret.add_parser("list", parents=[common])
    for p in ret.choices.values():
        p.set_defaults(func=cmd_retention)

    pbx = sub.add_parser(
        "pbx-feed",
        help="send Asterisk's queue_log to the store as it grows, exactly once (token: "
        "$AGENTDESK_STORE_TOKEN or the keyring)",
    )
    pbx.add_argument("--queue-log", required=True, help="e.g. /var/log/asterisk/queue_log")
    pbx.add_argument(
        "--store", required=True, help="the store's URL, e.g. https://store.example.com"
    )
    pbx.add_argument(
        "--state",
        help="where the feed keeps its place (default ~/.local/state/agentdesk/"
        "pbx-feed.json; not next to the queue_log)",
    )
    pbx.add_argument("--ca-bundle", help="CA bundle (PEM) to verify the store with")
    pbx.add_argument("--once", action="store_true", help="send what is there, then exit")
    pbx.add_argument("--poll-s", type=float, default=0.5, help="how often to look (0.5 s)")
    pbx.add_argument(
        "--settle-s",
        type=float,
        default=2.0,
        help="a rotated-away file unchanged this long is finished (2 s)",
    )
    pbx.set_defaults(func=cmd_pbx_feed)
    transcribe_command.add_parsers(sub, common, store_settings, open_db)
    outbound_command.add_parsers(sub, common, open_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        return int(args.func(args))
    except (UsageError, SettingsError, StoreProblem, DatabaseError, ValueError) as exc:
        message = exc.message if isinstance(exc, StoreProblem) else str(exc)
        print(f"agentdesk-store: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

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
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from store import policy, retention, rollups, users
from store.db import Database, DatabaseError, describe
from store.errors import StoreProblem
from store.migrations import LATEST, migrate
from store.models import Role, RuleIn
from store.models.policy import PolicyDocument
from store.settings import S3Settings, Settings, SettingsError
from store.transcripts import command as transcribe_command

ADMIN = users.Principal("cli", Role.admin)


class UsageError(Exception):
    pass


def _whole(args: argparse.Namespace, name: str, default: int, top: int, unit: str) -> int:
    """A whole number from --NAME or $AGENTDESK_STORE_NAME, 1 … top."""
    flag = "--" + name.replace("_", "-")
    text = getattr(args, name, None) or os.environ.get(f"AGENTDESK_STORE_{name.upper()}")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not a whole number of {unit}") from None
    if not 1 <= value <= top:
        raise UsageError(f"{flag}: {value} is outside 1 … {top} {unit}")
    return value


def _seconds(args: argparse.Namespace, name: str, default: int) -> int:
    """A duration from --NAME or $AGENTDESK_STORE_NAME: whole seconds, 1 to a day."""
    return _whole(args, name, default, 86_400, "seconds")


def _settings(args: argparse.Namespace) -> Settings:
    data = args.data or os.environ.get("AGENTDESK_STORE_DATA")
    if not data:
        raise UsageError("give --data DIR (or set AGENTDESK_STORE_DATA)")
    db_url = args.db or os.environ.get("AGENTDESK_STORE_DB") or None
    if db_url and "://" in db_url and urlsplit(db_url).password:
        raise UsageError(
            "the --db URL contains a password; leave it out and set PGPASSWORD or use ~/.pgpass"
        )
    settings = Settings(data_dir=Path(data), db_url=db_url)
    report_tz = getattr(args, "report_tz", None) or os.environ.get("AGENTDESK_STORE_REPORT_TZ")
    if report_tz:
        try:
            settings.report_tz = rollups.zone_named(report_tz).key
        except ValueError as exc:
            raise UsageError(f"--report-tz: {exc}") from None
    settings.report_sl_s = _seconds(args, "report_sl_s", settings.report_sl_s)
    settings.report_long_call_s = _seconds(args, "report_long_call_s", settings.report_long_call_s)
    settings.body_timeout_s = _seconds(args, "body_timeout_s", settings.body_timeout_s)
    for cap in ("uploads_per_token", "uploads_per_address"):
        setattr(settings, cap, _whole(args, cap, getattr(settings, cap), 100_000, "uploads"))
    if getattr(args, "max_upload_mb", None):
        settings.max_upload_bytes = int(args.max_upload_mb * 1024 * 1024)
    if getattr(args, "s3_endpoint", None) or getattr(args, "s3_bucket", None):
        if not (args.s3_endpoint and args.s3_bucket):
            raise UsageError("S3 storage needs both --s3-endpoint and --s3-bucket")
        settings.s3 = S3Settings(
            endpoint=args.s3_endpoint,
            bucket=args.s3_bucket,
            region=args.s3_region,
            presign_endpoint=args.s3_presign_endpoint,
            ca_bundle=args.s3_ca_bundle,
            access_key_env=args.s3_access_key_env,
            secret_key_env=args.s3_secret_key_env,
        )
    return settings


def _open_db(args: argparse.Namespace) -> Database:
    """The metadata database, migrated to the latest schema (zero set-up on a new folder)."""
    db = _settings(args).open_db()
    migrate(db)
    return db


def _when(us: int | None) -> str:
    if us is None:
        return "never"
    return datetime.fromtimestamp(us / 1e6, UTC).isoformat(timespec="seconds")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from store.app import SETTINGS_ENV, create_app

    settings = _settings(args)
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
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    applied = migrate(settings.open_db())
    where = describe(settings.database_url)
    print(f"{where}: applied {applied}" if applied else f"{where}: already at {LATEST}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """A new store: the data folder, the migrated database, the blobs folder and its first
    admin with a token shown once, then what to do next."""
    settings = _settings(args)
    data = settings.data_dir.resolve()
    data.mkdir(mode=0o750, parents=True, exist_ok=True)  # tokens' hashes, callers' media
    db = settings.open_db()
    try:
        migrate(db)
        existing = [str(row["name"]) for row in users.list_users(db)]
        if existing:
            raise UsageError(
                f"{describe(settings.database_url)} already has users ({', '.join(existing)}); "
                "init sets up a new store only (a new token: agentdesk-store token issue NAME)"
            )
        settings.open_blobs()  # the media folder (S3 is set on serve)
        users.add_user(db, args.admin, Role.admin.value)
        token, expires = users.issue_token(db, args.admin, None if args.never else args.days)
    finally:
        db.close()
    where = ["--data", str(data)] + (["--db", settings.db_url] if settings.db_url else [])
    flags = shlex.join(where)
    lines = [
        f"store initialised in {data}",
        f"  database: {describe(settings.database_url)}, schema {LATEST}",
        f"  media:    {data / 'blobs'} (or S3: serve --s3-endpoint … --s3-bucket …)",
        f"  admin:    {args.admin}; token (expires {_when(expires)}), shown only now:",
        "",
        token,
        "",
        "Next steps:",
        f"1. Serve it (API on 127.0.0.1:8750): agentdesk-store serve {flags}",
        "2. As a service: installer/store/agentdesk-store.service (systemd; runs migrate, then",
        "   serve as the user agentdesk with its data in /srv/agentdesk, settings from",
        "   /etc/agentdesk/store.env) and installer/README.md, 'The store'.",
        "3. TLS in front of it: installer/store/nginx-agentdesk-store.conf (nginx proxies",
        "   https://store.example.com to 127.0.0.1:8750; set server_name and certificates).",
        "4. Agents, each with the SIP extension their phone rings on:",
        f"     agentdesk-store user add NAME --role agent --extension 1001 {flags}",
        f"     agentdesk-store token issue NAME {flags}",
        "   and give the agent the store's address and that token (the desktop's settings).",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        lines.append(
            f"Made as root: chown -R agentdesk:agentdesk {shlex.quote(str(data))} before the "
            "service uses it."
        )
    print("\n".join(lines))
    return 0


def _read_password(name: str) -> str:
    """Asked twice on a terminal; else the first line of stdin. Never an argument."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass(f"new password for {name}: ")
        if getpass.getpass("again: ") != first:
            raise UsageError("the two passwords differ; nothing changed")
        return first
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def cmd_user(args: argparse.Namespace) -> int:
    db = _open_db(args)
    if args.action == "add":
        users.add_user(db, args.name, args.role, args.extension)
        print(f"user {args.name} added with role {args.role}")
    elif args.action == "set":
        if args.extension is None and args.team is None:
            raise UsageError("user set: give --extension and/or --team")
        if args.extension is not None:
            users.set_extension(db, args.name, args.extension)
            print(f"user {args.name}: extension {args.extension or 'none'}")
        if args.team is not None:
            policy.set_team(db, args.name, args.team)
            print(f"user {args.name}: team {args.team or 'none'}")
    elif args.action == "passwd":
        users.set_password(db, args.name, _read_password(args.name))
        print(f"user {args.name}: password set")
    elif args.action in ("disable", "enable"):
        users.set_disabled(db, args.name, args.action == "disable")
        print(f"user {args.name} {args.action}d")
    else:
        for row in users.list_users(db):
            flag = " (disabled)" if row["disabled"] else ""
            extension = f"\text. {row['extension']}" if row["extension"] else ""
            team = f"\tteam {row['team']}" if row["team"] else ""
            print(f"{row['name']}\t{row['role']}{extension}{team}{flag}")
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    db = _open_db(args)
    if args.action == "set":
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--file: cannot read {args.file}: {exc}") from None
        try:
            document = PolicyDocument.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}"
                for e in exc.errors()[:10]
            )
            raise UsageError(f"{args.file}: {problems}") from None
        answer = policy.put(db, document, ADMIN)
        print(f"recording policy version {answer['version']} set", file=sys.stderr)
    elif args.action == "show":
        answer = policy.current(db)
        print(f"# version {answer['version']}, {_when(answer['changed_us'])}, "
              f"by {answer['changed_by'] or 'nobody (built-in default)'}")  # fmt: skip
        print(answer["policy"].model_dump_json(indent=2))
    else:
        for row in policy.history(db):
            doc = row["policy"]
            print(f"{row['version']}\t{_when(row['changed_us'])}\t{row['changed_by']}\t"
                  f"default {doc.default.mode.value}, {len(doc.queues)} queue(s), "
                  f"{len(doc.teams)} team(s), {len(doc.agents)} agent(s)")  # fmt: skip
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    db = _open_db(args)
    if args.action == "issue":
        token, expires = users.issue_token(db, args.name, None if args.never else args.days)
        print(token)
        print(f"token for {args.name}, expires {_when(expires)}; shown once", file=sys.stderr)
    else:
        print(f"revoked {users.revoke_tokens(db, args.name)} token(s) of {args.name}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    settings = _settings(args)
    db = _open_db(args)
    if args.action == "add":
        row = retention.add_rule(db, RuleIn(queue=args.queue, tag=args.tag, days=args.days), ADMIN)
        print(f"rule {row['id']}: queue={row['queue']} tag={row['tag']} days={row['days']}")
    elif args.action == "list":
        for row in retention.list_rules(db):
            print(f"{row['id']}\tqueue={row['queue']}\ttag={row['tag']}\tdays={row['days']}")
    else:
        report = retention.run(db, settings.open_blobs(), dry_run=args.dry_run)
        verb = "would delete" if report.dry_run else "deleted"
        for item in report.deleted:
            print(f"{verb} {item['sha256']} {item['size']} B rules={item['rule_ids']}")
        print(f"{verb} {len(report.deleted)} media object(s), {report.bytes} bytes")
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
    transcribe_command.add_parsers(sub, common, _settings, _open_db)
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

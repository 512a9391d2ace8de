"""The administration commands of `agentdesk-store`: a new store (`init`), users and their
passwords, extensions and teams, the recording policy, tokens and retention rules."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from pydantic import ValidationError

from store import policy, retention, users
from store.cli_args import UsageError, open_db, store_settings, when
from store.db import describe
from store.migrations import LATEST, migrate
from store.models import Role, RuleIn
from store.models.policy import PolicyDocument

ADMIN = users.Principal("cli", Role.admin)


def cmd_init(args: argparse.Namespace) -> int:
    """A new store: the data folder, the migrated database, the blobs folder and its first
    admin with a token shown once, then what to do next."""
    settings = store_settings(args)
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
        f"  admin:    {args.admin}; token (expires {when(expires)}), shown only now:",
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
    db = open_db(args)
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
    db = open_db(args)
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
        print(f"# version {answer['version']}, {when(answer['changed_us'])}, "
              f"by {answer['changed_by'] or 'nobody (built-in default)'}")  # fmt: skip
        print(answer["policy"].model_dump_json(indent=2))
    else:
        for row in policy.history(db):
            doc = row["policy"]
            print(f"{row['version']}\t{when(row['changed_us'])}\t{row['changed_by']}\t"
                  f"default {doc.default.mode.value}, {len(doc.queues)} queue(s), "
                  f"{len(doc.teams)} team(s), {len(doc.agents)} agent(s)")  # fmt: skip
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    db = open_db(args)
    if args.action == "issue":
        token, expires = users.issue_token(db, args.name, None if args.never else args.days)
        print(token)
        print(f"token for {args.name}, expires {when(expires)}; shown once", file=sys.stderr)
    else:
        print(f"revoked {users.revoke_tokens(db, args.name)} token(s) of {args.name}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    settings = store_settings(args)
    db = open_db(args)
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

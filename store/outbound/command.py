"""`agentdesk-store campaign …` and `agentdesk-store dnc …`: campaigns, contact imports,
pause and resume, progress, the results export and the do-not-call list, straight on the
database (as the other admin commands)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from store.db import Database
from store.errors import Invalid
from store.models import Role
from store.models.outbound import CampaignIn
from store.outbound import campaigns, contacts_csv, dnc, progress
from store.users import Principal, now_us

CLI = Principal("cli", Role.admin)


def _create(db: Database, args: argparse.Namespace) -> int:
    settings: dict[str, Any] = {}
    if args.settings:
        settings = json.loads(Path(args.settings).read_text(encoding="utf-8"))
    try:
        body = CampaignIn.model_validate({**settings, "name": args.name})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise Invalid(f"{args.settings or 'the campaign'}: {problems}") from None
    made = campaigns.create(db, body, CLI, now_us())
    print(f"campaign {made.id} {made.name!r} ({made.mode.value})")
    return 0


def _import(db: Database, args: argparse.Namespace) -> int:
    campaign = campaigns.by_name(db, args.name)
    data = Path(args.file).read_bytes()
    done = contacts_csv.import_contacts(db, campaign, data, now_us(), args.encoding, args.delimiter)
    print(f"{len(done.rows)} contacts imported into {campaign.name!r} "
          f"({done.encoding}, delimiter {done.delimiter!r})")  # fmt: skip
    return 0


def _pause(db: Database, args: argparse.Namespace) -> int:
    campaign = campaigns.by_name(db, args.name)
    campaigns.change(db, campaign.id, CLI, now_us(), paused=args.action == "pause")
    print(f"{campaign.name}: {'paused' if args.action == 'pause' else 'running'}")
    return 0


def _progress(db: Database, args: argparse.Namespace) -> int:
    campaign = campaigns.by_name(db, args.name)
    print(progress.progress(db, campaign.id, now_us()).model_dump_json(indent=2))
    return 0


def _export(db: Database, args: argparse.Namespace) -> int:
    campaign = campaigns.by_name(db, args.name)
    text = progress.results_csv(db, campaign.id)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _dnc(db: Database, args: argparse.Namespace) -> int:
    if args.action == "add":
        added = dnc.add(db, args.numbers, args.reason or "", CLI, now_us())
        print(f"{added} numbers added to the do-not-call list")
    elif args.action == "remove":
        for number in args.numbers:
            print(f"{number}: {'removed' if dnc.remove(db, number, CLI) else 'was not listed'}")
    else:
        for row in dnc.entries(db):
            print(f"{row['number']}\t{row['reason']}")
    return 0


def add_parsers(
    sub: Any, common: argparse.ArgumentParser, open_db: Callable[[argparse.Namespace], Database]
) -> None:
    camp = sub.add_parser("campaign", help="outbound campaigns").add_subparsers(
        dest="action", required=True
    )
    create = camp.add_parser("create", parents=[common], help="a new campaign")
    create.add_argument("name")
    create.add_argument("--settings", help="a JSON file of its settings (store/README.md)")
    create.set_defaults(run=_create)
    imp = camp.add_parser("import", parents=[common], help="contacts from a CSV file, all or none")
    imp.add_argument("name")
    imp.add_argument("file")
    imp.add_argument("--encoding", help="default: UTF-8, else Windows-1251, detected")
    imp.add_argument("--delimiter", help="default: detected among , ; tab |")
    imp.set_defaults(run=_import)
    for action in ("pause", "resume"):
        camp.add_parser(action, parents=[common]).add_argument("name")
        camp.choices[action].set_defaults(run=_pause)
    camp.add_parser("progress", parents=[common]).add_argument("name")
    camp.choices["progress"].set_defaults(run=_progress)
    export = camp.add_parser("export", parents=[common], help="results as CSV")
    export.add_argument("name")
    export.add_argument("--out", help="a file (default: standard output)")
    export.set_defaults(run=_export)
    listing = sub.add_parser("dnc", help="the do-not-call list").add_subparsers(
        dest="action", required=True
    )
    add = listing.add_parser("add", parents=[common])
    add.add_argument("numbers", nargs="+")
    add.add_argument("--reason")
    listing.add_parser("remove", parents=[common]).add_argument("numbers", nargs="+")
    listing.add_parser("list", parents=[common])
    for parser in (*camp.choices.values(), *listing.choices.values()):
        if parser.get_default("run") is None:
            parser.set_defaults(run=_dnc)
        parser.set_defaults(func=lambda args: _with_db(args, open_db))


def _with_db(args: argparse.Namespace, open_db: Callable[[argparse.Namespace], Database]) -> int:
    db = open_db(args)
    try:
        return int(args.run(db, args))
    finally:
        db.close()

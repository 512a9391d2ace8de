"""Contacts of a campaign from a CSV file: the encoding and delimiter detected (or given), a
phone column required, name / time zone / CRM id recognised, every other column kept for the
card. Any bad row refuses the whole file with every bad line named; a good file goes in in one
transaction, so nothing is ever half-imported."""

from __future__ import annotations

import csv
import io
import json
import zoneinfo
from dataclasses import dataclass

from store.db import Database
from store.errors import Invalid
from store.models.outbound import Campaign
from store.numbers import normalise
from store.outbound import push

MAX_ERRORS_SHOWN = 20
DELIMITERS = ",;\t|"
_ALIASES = {
    "phone": ("phone", "number", "telephone", "телефон", "номер"),
    "name": ("name", "имя", "фио"),
    "tz": ("tz", "timezone", "time_zone", "часовой пояс"),
    "crm_id": ("crm_id", "crm", "crm id"),
}


@dataclass(frozen=True)
class ParsedFile:
    rows: list[tuple[int, str, str, str, str, str | None, dict[str, str]]]
    encoding: str
    delimiter: str
    columns: list[str]


def decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text and the encoding it was read in: given, else UTF-8 (with or without BOM),
    else Windows-1251 (what Russian spreadsheets save)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise Invalid(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise Invalid(f"the file is not {encoding}: byte {exc.start} cannot be read") from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="strict"), "cp1251"


def sniff_delimiter(text: str, delimiter: str | None) -> str:
    if delimiter:
        if len(delimiter) != 1:
            raise Invalid(f"the delimiter must be one character, not {delimiter!r}")
        return delimiter
    # The header line decides: the candidate it holds most of (csv.Sniffer guesses wrong on
    # files whose rows are broken, exactly the files whose errors must be named by line).
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _roles(header: list[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for index, title in enumerate(header):
        key = title.strip().lower()
        for role, names in _ALIASES.items():
            if key in names and role not in roles:
                roles[role] = index
    if "phone" not in roles:
        raise Invalid(f"line 1: no phone column (one of {', '.join(_ALIASES['phone'])})")
    return roles


def _zone_ok(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse(data: bytes, default_tz: str, encoding: str | None, delimiter: str | None) -> ParsedFile:
    """Every row checked; `Invalid` naming each bad line when any is bad."""
    text, used = decode(data, encoding)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise Invalid(f"line {line}: a NUL character: this is not a CSV text file")
    sep = sniff_delimiter(text, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise Invalid("the file is empty") from None
    except csv.Error as exc:
        raise Invalid(f"line 1: {exc}") from None
    roles = _roles(header)
    extras = [(i, h.strip()) for i, h in enumerate(header) if i not in roles.values() and h.strip()]
    errors: list[str] = []
    rows: list[tuple[int, str, str, str, str, str | None, dict[str, str]]] = []
    seen: dict[str, int] = {}
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"line {start}: {exc}")
            break  # the reader cannot resynchronise after a broken quote
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(f"line {start}: {len(cells)} fields, the header has {len(header)}")
            continue
        phone = cells[roles["phone"]].strip()
        key = normalise(phone)
        if key is None or not key.lstrip("+").isdigit() or len(key.lstrip("+")) < 3:
            errors.append(f"line {start}: {phone!r} is not a phone number")
            continue
        if key in seen:
            errors.append(f"line {start}: {phone} is already on line {seen[key]}")
            continue
        seen[key] = start
        tz = cells[roles["tz"]].strip() if "tz" in roles else ""
        if tz and not _zone_ok(tz):
            errors.append(f"line {start}: unknown time zone {tz!r}")
            continue
        name = cells[roles["name"]].strip() if "name" in roles else ""
        crm = cells[roles["crm_id"]].strip() if "crm_id" in roles else ""
        extra = {title: cells[i] for i, title in extras}
        rows.append((start, phone, key, name, tz or default_tz, crm or None, extra))
    if errors:
        shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
        more = len(errors) - MAX_ERRORS_SHOWN
        tail = f"; and {more} more" if more > 0 else ""
        raise Invalid(f"nothing imported, {len(errors)} bad rows: {shown}{tail}")
    if not rows:
        raise Invalid("the file has a header but no contacts")
    return ParsedFile(rows, used, sep, header)


def import_contacts(
    db: Database,
    campaign: Campaign,
    data: bytes,
    now_us: int,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> ParsedFile:
    """Adds the file's contacts to the campaign, due now, all or none."""
    parsed = parse(data, campaign.default_tz, encoding, delimiter)
    with db.transaction():
        db.executemany(
            "INSERT INTO outbound_contacts (campaign_id, phone, phone_norm, name, tz, crm_id, "
            "extra, source_line, status, attempts, next_due_us, created_us, updated_us) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', 0, ?, ?, ?)",
            [
                (campaign.id, phone, key, name, tz, crm, json.dumps(extra, ensure_ascii=False),
                 line, now_us, now_us, now_us)
                for line, phone, key, name, tz, crm, extra in parsed.rows
            ],
        )  # fmt: skip
        push.tasks_due(db, campaign)
    return parsed

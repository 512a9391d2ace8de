"""Asterisk's queue_log format: one event per line,
`epoch|uniqueid|queue|agent|EVENT|data1|data2|…`, e.g.

    1741165200|1741165200.12|sales|NONE|ENTERQUEUE||+79125550102|1
    1741165212|1741165200.12|sales|PJSIP/201|CONNECT|12|1741165212.14|3

`parse_line` turns one line (without its newline) into a `QueueEvent` or raises
`BadLine` with the reason; `QueueEvent.key` is the line's identity (a SHA-256 of its fields,
trailing empty data fields dropped), which the store keeps unique so a line sent twice is
stored once. Only the standard library: the feed and the store share this module.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

SECOND = 1_000_000
MAX_FIELD = 256
MAX_DATA = 10

# Events that change a queue call, a member, or say the PBX restarted; with the number of
# data fields each needs at least (the data the store reads).
HANDLED: dict[str, int] = {
    "ENTERQUEUE": 2,  # url | callerid | position
    "RINGNOANSWER": 1,  # ring time ms
    "RINGCANCELED": 1,  # ring time ms
    "CONNECT": 1,  # holdtime | bridged uniqueid | ringtime
    "COMPLETECALLER": 2,  # holdtime | calltime | origposition
    "COMPLETEAGENT": 2,  # holdtime | calltime | origposition
    "ABANDON": 3,  # position | origposition | waittime
    "EXITWITHTIMEOUT": 3,  # position | origposition | waittime
    "EXITWITHKEY": 4,  # key | position | origposition | waittime
    "EXITEMPTY": 3,  # position | origposition | waittime
    "TRANSFER": 4,  # extension | context | holdtime | calltime
    "BLINDTRANSFER": 4,  # extension | context | holdtime | calltime
    "ATTENDEDTRANSFER": 4,  # method | data | holdtime | calltime
    "ADDMEMBER": 0,
    "REMOVEMEMBER": 0,
    "PAUSE": 0,  # reason
    "UNPAUSE": 0,
    "PAUSEALL": 0,
    "UNPAUSEALL": 0,
    "AGENTLOGIN": 0,
    "AGENTLOGOFF": 0,
    "QUEUESTART": 0,
}
# Other events Asterisk writes, and any other name made of capitals, digits and underscores
# (the dialplan's QueueLog() writes its own): kept as they are, change nothing.
KEPT = frozenset(
    {"DID", "INFO", "CONFIGRELOAD", "AGENTDUMP", "SYSCOMPAT", "PENALTY",
     "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "MIXMONITOR", "QUEUEEND"}
)  # fmt: skip
EVENTS = frozenset(HANDLED) | KEPT

_EVENT = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
_EPOCH = re.compile(r"^[0-9]{9,11}(\.[0-9]{1,6})?$")
_EXTENSION = re.compile(r"^[A-Za-z0-9_-]+/([^@/;]+)")


class BadLine(ValueError):
    """A line that is not a queue_log event; the message says why."""


@dataclass(frozen=True)
class QueueEvent:
    at_us: int
    uniqueid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    @property
    def key(self) -> str:
        """The line's identity: the same event sent twice has the same key."""
        return hashlib.sha256(self.text().encode()).hexdigest()

    def text(self) -> str:
        """The event as one canonical queue_log line (trailing empty data dropped)."""
        data = list(self.data)
        while data and not data[-1]:
            data.pop()
        epoch = f"{self.at_us // SECOND}"
        if self.at_us % SECOND:
            epoch += f".{self.at_us % SECOND:06d}".rstrip("0")
        return "|".join([epoch, self.uniqueid, self.queue, self.agent, self.event, *data])

    def number(self, index: int) -> float | None:
        """Data field `index` (1-based) as a number, None if missing or not a number."""
        if index > len(self.data):
            return None
        try:
            value = float(self.data[index - 1])
        except ValueError:
            return None
        return value if value >= 0 and value == value and value < 1e9 else None


def epoch_us(text: str) -> int:
    """`1741165200` or `1741165200.25` → UTC µs; BadLine otherwise."""
    if not _EPOCH.fullmatch(text):
        raise BadLine(f"epoch {text[:32]!r} is not a number of seconds")
    whole, _, frac = text.partition(".")
    return int(whole) * SECOND + int((frac + "000000")[:6])


def make_event(
    at_us: int, uniqueid: str, queue: str, agent: str, event: str, data: list[str] | tuple[str, ...]
) -> QueueEvent:
    """A checked event from its fields (what a JSON push gives): BadLine naming the problem."""
    event = event.strip().upper()
    if event not in EVENTS and not _EVENT.fullmatch(event):
        raise BadLine(f"{event[:32]!r} is not an event name")
    fields = {"uniqueid": uniqueid, "queue": queue, "agent": agent}
    for name, value in [*fields.items(), *(("data", d) for d in data)]:
        if len(value) > MAX_FIELD:
            raise BadLine(f"{name} is longer than {MAX_FIELD} characters")
        if any(c in value for c in "|\n\r\x00"):
            raise BadLine(f"{name} contains a field separator, a newline or NUL")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadLine(f"{name} is not valid Unicode (a lone surrogate)") from None
    if len(data) > MAX_DATA:
        raise BadLine(f"more than {MAX_DATA} data fields")
    need = HANDLED.get(event, 0)
    if len(data) < need:
        raise BadLine(f"{event} needs {need} data field(s), has {len(data)}")
    if not uniqueid or not queue:
        raise BadLine("uniqueid and queue must not be empty")
    return QueueEvent(at_us, uniqueid, queue, agent or "NONE", event, tuple(data))


def parse_line(line: str) -> QueueEvent:
    """One queue_log line (newline stripped or not) → its event; BadLine if it is not one."""
    fields = line.rstrip("\r\n").split("|")
    if len(fields) < 5:
        raise BadLine(f"{len(fields)} field(s), a queue_log line has at least 5")
    epoch, uniqueid, queue, agent, event, *data = fields
    return make_event(epoch_us(epoch.strip()), uniqueid, queue, agent, event, data)


def parse_bytes(raw: bytes) -> QueueEvent:
    """A line as read from the file: invalid UTF-8 is a BadLine too."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadLine(f"invalid UTF-8 at byte {exc.start}") from None
    return parse_line(text)


def extension(agent: str) -> str | None:
    """The extension in an agent interface: `PJSIP/201` → 201, `Local/2004@from-internal/n`
    → 2004, `SIP/alice-0001` → alice-0001; None for NONE or a plain name."""
    match = _EXTENSION.match(agent)
    return match.group(1) if match else None

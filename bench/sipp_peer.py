"""sipp as the peer of bench/sip_setup.py: the same calls placed by sipp's UAC, timed from
its message log (INVITE sent → 200 received, microseconds), plus the run's time budget."""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.servers.ports import LOOPBACK, free_port

SIPP_RATE = 20  # calls/s offered; -l 1 keeps it to one call at a time, like our loop

# sipp's built-in uac with the 200's Record-Route kept (rrs) and used for ACK and BYE, so
# the dialog works through a record-routing proxy. Response time 1 = INVITE sent → 200.
UAC_VIA_PROXY = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uac via proxy">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port];transport=[transport]
      Max-Forwards: 70
      Subject: Performance Test
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <pause/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""


class BenchError(RuntimeError):
    pass


class Budget:
    """One deadline for the whole run; every wait takes min(its own cap, what is left)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, cap: float) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise BenchError(f"the run went over its {self.seconds:.0f} s budget")
        return min(cap, remaining)


@dataclass
class Row:
    transport: str
    label: str
    samples_ms: list[float] = field(default_factory=list)
    note: str = ""
    failed: bool = False  # incomplete: shown, but kept out of the ratios


_SEPARATOR = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})\s*$", re.M)
_CALL_ID = re.compile(r"^(?:Call-ID|i)\s*:\s*(\S+)", re.M | re.I)
_CSEQ = re.compile(r"^CSeq\s*:\s*\d+\s+(\w+)", re.M | re.I)


def invite_to_200_ms(log: str) -> list[float]:
    """INVITE sent → first 200 (to the INVITE) received, per Call-ID, from a -trace_msg log."""
    sent: dict[str, datetime] = {}
    answered: dict[str, float] = {}
    parts = _SEPARATOR.split(log)
    for stamp, block in zip(parts[1::2], parts[2::2], strict=True):
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")
        lines = [line.strip() for line in block.strip().splitlines()]
        if len(lines) < 3:
            continue
        head, start = lines[0], next((line for line in lines[1:] if line), "")
        call_id, cseq = _CALL_ID.search(block), _CSEQ.search(block)
        if not call_id or not cseq or cseq.group(1).upper() != "INVITE":
            continue
        key = call_id.group(1)
        if "message sent" in head and start.startswith("INVITE "):
            sent.setdefault(key, at)
        elif (
            "message received" in head
            and start.startswith("SIP/2.0 200")
            and key in sent
            and key not in answered
        ):
            answered[key] = (at - sent[key]).total_seconds() * 1000
    return list(answered.values())


def run_sipp(
    label: str,
    transport: str,
    port: int,
    service: str,
    n: int,
    tmp: Path,
    budget: Budget,
    scenario: Path | None = None,
) -> tuple[Row, list[str]]:
    """sipp as UAC, one call at a time, against 127.0.0.1:port; INVITE → 200 per call."""
    run_dir = Path(tempfile.mkdtemp(prefix="sipp-", dir=tmp))
    messages, errors = run_dir / "messages.log", run_dir / "errors.log"
    timeout = int(budget.left(30))
    cmd = [
        "sipp", f"{LOOPBACK}:{port}",
        *(["-sf", str(scenario)] if scenario else ["-sn", "uac"]),
        "-s", service, "-t", "u1" if transport == "udp" else "t1",
        "-i", LOOPBACK, "-p", str(free_port()), "-mi", LOOPBACK,
        "-ci", LOOPBACK, "-cp", str(free_port()),
        "-r", str(SIPP_RATE), "-m", str(n), "-l", "1", "-d", "0", "-nostdin",
        "-timeout", f"{max(1, timeout)}s", "-timeout_error",
        "-trace_msg", "-message_file", str(messages),
        "-trace_err", "-error_file", str(errors),
    ]  # fmt: skip
    row = Row(transport, label)
    try:
        proc = subprocess.run(
            cmd, cwd=run_dir, stdin=subprocess.DEVNULL, capture_output=True,
            timeout=timeout + 5, check=False,
        )  # fmt: skip
        code: int | str = proc.returncode
    except subprocess.TimeoutExpired:  # run() has killed and reaped sipp
        code = "killed after timeout"
    log = messages.read_text("latin-1") if messages.exists() else ""
    row.samples_ms = invite_to_200_ms(log)
    if code != 0 or len(row.samples_ms) != n:
        tail = errors.read_text("latin-1")[-300:] if errors.exists() else ""
        row.note = f"sipp exit {code}, {len(row.samples_ms)}/{n} answered {tail!r}"
        row.failed = True
    shown = [c if not c.startswith(str(tmp)) else "$TMP/" + Path(c).name for c in cmd]
    return row, shown

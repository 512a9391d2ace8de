"""sipp load/conformance helpers and raw-UDP SIP fuzzing against a UA on loopback.

Public API:

- ``run_uac_load(host, port, ...) -> SippResult``: sipp as UAC (built-in ``uac`` or a scenario).
- ``start_uas(port)`` / ``stop_sipp(proc)``: sipp's built-in UAS as a far end.
- ``send_raw_udp(host, port, payload, wait_s)``: one datagram, collected answers; final
  responses to an INVITE are ACKed (and a 2xx is BYEd) so the UA frees its call slot.
- ``malformed_messages(host, port) -> dict[str, bytes]``: hostile/broken SIP datagrams.
- ``options_message(host, port)``: a well-formed OPTIONS (a liveness probe).
- ``BROKEN_SDP_SCENARIO`` / ``broken_sdp_scenario(dir, sdp)``: sipp XML for INVITEs with a broken
  offer that ACK every final response.
- ``headers_call_scenario(dir, headers)``: a good call whose INVITE carries extra headers.
- ``bad_utf8_scenario(dir)`` + ``BAD_UTF8_CALL_ID_ARGS``: the same call with a good offer, but
  bytes that are not UTF-8 in its Call-ID, P-Asserted-Identity and Remote-Party-ID.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.ports import LOOPBACK, free_port
from tests.servers.process import terminate

SIPP = "sipp"
SCENARIO_DIR = Path(__file__).resolve().parent / "sipp_scenarios"
BROKEN_SDP_SCENARIO = SCENARIO_DIR / "invite_broken_sdp.xml"
UDP_MAX_PAYLOAD = 65507
_TAIL_LINES = 40


# --------------------------------------------------------------------------- sipp runs


@dataclass(frozen=True)
class SippResult:
    """Outcome of one sipp UAC run (counts from the ``-stf`` statistics CSV)."""

    returncode: int
    successful: int
    failed: int
    stdout_tail: str
    error_log_text: str
    created: int = 0
    current: int = 0
    timed_out: bool = False
    stats: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when sipp exited 0 and no call failed."""
        return self.returncode == 0 and self.failed == 0 and not self.timed_out


def sipp_available() -> bool:
    """Whether the sipp binary is on PATH."""
    return shutil.which(SIPP) is not None


def _loopback_args(local_port: int, ip: str = LOOPBACK) -> list[str]:
    """Bind SIP, media and the control socket to loopback (control defaults to 0.0.0.0:8888);
    ``ip`` may be another loopback address (127.0.0.2) to play a different host."""
    return [
        "-i",
        ip,
        "-p",
        str(local_port),
        "-mi",
        ip,
        "-ci",
        ip,
        "-cp",
        str(free_port()),
    ]


def parse_stat_csv(text: str) -> dict[str, str]:
    """The last data row of a sipp ``-stf`` CSV (``;``-separated) keyed by its header."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return {}
    header = lines[0].split(";")
    row = lines[-1].split(";")
    return {name: value for name, value in zip(header, row, strict=False) if name}


_SCREEN_RE = {
    "SuccessfulCall(C)": re.compile(r"^\s*Successful call\s*\|[^|]*\|\s*(\d+)", re.M),
    "FailedCall(C)": re.compile(r"^\s*Failed call\s*\|[^|]*\|\s*(\d+)", re.M),
    "TotalCallCreated": re.compile(r"^\s*Total Calls created\s*\|[^|]*\|\s*(\d+)", re.M),
}


def _count(stats: dict[str, str], stdout: str, key: str) -> int:
    """A counter from the CSV row, falling back to sipp's final statistics screen."""
    value = stats.get(key, "").strip()
    if value.isdigit():
        return int(value)
    pattern = _SCREEN_RE.get(key)
    matches = pattern.findall(stdout) if pattern else []
    return int(matches[-1]) if matches else 0


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def _tail(stdout: str, stderr: str) -> str:
    """Last lines of sipp's final screen, then of its stderr (errors, warnings)."""
    tail = "\n".join(stdout.splitlines()[-_TAIL_LINES:])
    err = "\n".join(stderr.splitlines()[-_TAIL_LINES // 4 :])
    return f"{tail}\n--- stderr ---\n{err}" if err.strip() else tail


def run_uac_load(
    target_host: str,
    target_port: int,
    *,
    calls: int = 200,
    rate: float = 20,
    limit: int = 4,
    user: str = "agent",
    timeout_s: float = 120,
    call_duration_ms: int = 0,
    scenario: Path | str | None = None,
    extra_args: Sequence[str] = (),
    local_ip: str = LOOPBACK,
) -> SippResult:
    """Place ``calls`` UDP calls at ``rate``/s (at most ``limit`` at once) and count outcomes.

    ``scenario=None`` uses sipp's built-in ``uac`` (INVITE with PCMU SDP on sipp's bound media
    port, 200, ACK, pause ``call_duration_ms``, BYE, 200); otherwise ``-sf scenario``.
    """
    timeout_s = max(1, int(timeout_s))
    with tempfile.TemporaryDirectory(prefix="sipp-") as tmp:
        stat_file = Path(tmp) / "stat.csv"
        err_file = Path(tmp) / "errors.log"
        cmd = [
            SIPP,
            f"{target_host}:{target_port}",
            *(["-sf", str(Path(scenario).resolve())] if scenario else ["-sn", "uac"]),
            "-s",
            user,
            *_loopback_args(free_port(), local_ip),
            "-r",
            f"{rate:g}",
            "-m",
            str(calls),
            "-l",
            str(limit),
            "-d",
            str(call_duration_ms),
            "-nostdin",
            "-timeout",
            f"{timeout_s}s",
            "-timeout_error",
            "-trace_stat",
            "-stf",
            str(stat_file),
            "-fd",
            "1",
            "-trace_err",
            "-error_file",
            str(err_file),
            *extra_args,
        ]
        timed_out = False
        try:
            proc = subprocess.run(
                cmd,
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout_s + 15,
                check=False,
            )
            returncode, stdout, stderr = proc.returncode, _text(proc.stdout), _text(proc.stderr)
        except subprocess.TimeoutExpired as exc:  # run() has killed and reaped sipp
            timed_out, returncode = True, -9
            stdout, stderr = _text(exc.stdout), _text(exc.stderr)
        stats = (
            parse_stat_csv(stat_file.read_text("utf-8", "replace")) if stat_file.exists() else {}
        )
        error_log = err_file.read_text("utf-8", "replace") if err_file.exists() else ""
    # sipp exits 255 when its own -timeout fires (with -timeout_error).
    timed_out = timed_out or "timed out after" in error_log
    current = stats.get("CurrentCall", "").strip()
    return SippResult(
        returncode=returncode,
        successful=_count(stats, stdout, "SuccessfulCall(C)"),
        failed=_count(stats, stdout, "FailedCall(C)"),
        stdout_tail=_tail(stdout, stderr),
        error_log_text=error_log,
        created=_count(stats, stdout, "TotalCallCreated"),
        current=int(current) if current.isdigit() else 0,
        timed_out=timed_out,
        stats=stats,
    )


def start_uas(
    port: int, *, scenario: Path | str | None = None, extra_args: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """Start sipp as a UAS on 127.0.0.1:port (built-in ``uas``) and wait until it is bound."""
    cmd = [
        SIPP,
        *(["-sf", str(Path(scenario).resolve())] if scenario else ["-sn", "uas"]),
        *_loopback_args(port),
        "-nostdin",
        *extra_args,
    ]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_udp_bound(port, proc, timeout_s=5.0)
    except BaseException:
        stop_sipp(proc)
        raise
    return proc


def _udp_bound(port: int) -> bool:
    """Whether a UDP socket is bound to 127.0.0.1:port (or 0.0.0.0:port)."""
    wanted = {f"0100007F:{port:04X}", f"00000000:{port:04X}"}
    try:
        with open("/proc/net/udp", encoding="ascii") as table:
            return any(line.split()[1] in wanted for line in list(table)[1:])
    except OSError:  # no procfs: probe by binding (may race with sipp's own bind)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((LOOPBACK, port))
            except OSError:
                return True
            return False


def _wait_udp_bound(port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll until UDP 127.0.0.1:port is bound, failing early if sipp exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sipp exited early with {proc.returncode}")
        if _udp_bound(port):
            return
        time.sleep(0.02)
    raise TimeoutError(f"sipp did not bind UDP {LOOPBACK}:{port} within {timeout_s}s")


def stop_sipp(proc: subprocess.Popen[bytes], timeout_s: float = 3.0) -> None:
    """Terminate one sipp process (SIGTERM, then SIGKILL) and reap it."""
    terminate(proc, timeout_s)


@contextlib.contextmanager
def sipp_uas(
    port: int, *, scenario: Path | str | None = None, extra_args: Sequence[str] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """``start_uas`` as a context manager that always stops the process."""
    proc = start_uas(port, scenario=scenario, extra_args=extra_args)
    try:
        yield proc
    finally:
        stop_sipp(proc)


# --------------------------------------------------------------------------- scenarios

_FIRST_BODY_RE = re.compile(r"(INVITE sip:.*?\n[ \t]*\n)(.*?)(\n[ \t]*\]\]>)", re.S)


def broken_sdp_scenario(dest_dir: Path | str, sdp_lines: Sequence[str]) -> Path:
    """A copy of ``BROKEN_SDP_SCENARIO`` in ``dest_dir`` whose INVITE carries ``sdp_lines``.

    Lines may use sipp keywords such as ``[media_port]``; ``[len]`` is computed by sipp.
    """
    template = BROKEN_SDP_SCENARIO.read_text("iso-8859-1")
    body = "\n".join(f"      {line}" for line in sdp_lines)
    if "]]>" in body:
        raise ValueError("SDP lines must not contain ']]>'")
    new, n = _FIRST_BODY_RE.subn(lambda m: m.group(1) + body + "\n" + m.group(3), template, count=1)
    if n != 1:
        raise RuntimeError("INVITE body not found in the broken-SDP scenario template")
    out = Path(dest_dir) / f"invite_broken_sdp_{uuid.uuid4().hex[:8]}.xml"
    out.write_text(new, "iso-8859-1")
    return out


BAD_UTF8_HEADERS = (
    b'P-Asserted-Identity: "\xc3\x28 Caller" <sip:+79125550102\xff@[local_ip]>',
    b'Remote-Party-ID: "\xe9t\xe9" <sip:+7912\x80@[local_ip]>;party=calling',
)
# sipp matches answers to its calls by Call-ID, so the raw bytes go into its Call-ID format
# (an argument of bytes, passed through os.fsdecode) rather than into the scenario text.
BAD_UTF8_CALL_ID_ARGS = ("-cid_str", os.fsdecode(b"%u-%p@%s-\xff\xfe"))


def good_call_scenario(dest_dir: Path | str, payload_types: str = "0") -> Path:
    """``BROKEN_SDP_SCENARIO`` with a good offer (PCMU by default): a call that follows
    Record-Route, so it also works through a proxy (sipp's built-in ``uac`` does not)."""
    return broken_sdp_scenario(
        dest_dir,
        [
            "v=0",
            "o=- 1 1 IN IP[local_ip_type] [local_ip]",
            "s=-",
            "c=IN IP[media_ip_type] [media_ip]",
            "t=0 0",
            f"m=audio [media_port] RTP/AVP {payload_types}",
            "a=rtpmap:0 PCMU/8000",
        ],
    )


def bad_utf8_scenario(dest_dir: Path | str) -> Path:
    """``good_call_scenario`` with bytes that are not UTF-8 in P-Asserted-Identity and
    Remote-Party-ID (written raw: sipp sends the scenario's bytes as they are). Run it with
    ``BAD_UTF8_CALL_ID_ARGS`` for the Call-ID."""
    path = good_call_scenario(dest_dir)
    extra = b"".join(b"      " + h + b"\n" for h in BAD_UTF8_HEADERS)
    path.write_bytes(path.read_bytes().replace(b"      Subject: Broken SDP\n", extra, 1))
    return path


def headers_call_scenario(dest_dir: Path | str, headers: dict[str, str]) -> Path:
    """``good_call_scenario`` whose INVITE also carries ``headers`` (a PBX's X-Queue, its
    call id…)."""
    path = good_call_scenario(dest_dir)
    lines = "".join(f"      {name}: {value}\n" for name, value in headers.items())
    if "]]>" in lines or "\r" in lines:
        raise ValueError("header values must not contain ']]>' or line breaks")
    text = path.read_text("iso-8859-1").replace("      Subject: Broken SDP\n", lines, 1)
    path.write_text(text, "iso-8859-1")
    return path


# --------------------------------------------------------------------------- raw UDP


def _split_message(data: bytes) -> tuple[str, list[tuple[str, str]]]:
    """Start line and (lower-case name, value) headers of a SIP message (latin-1 decoded)."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded continuation
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
        elif ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip().lower(), value.strip()))
    return lines[0], headers


_COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
}


def _header(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for n, v in headers if _COMPACT.get(n, n) == name]


def _uri_of(name_addr: str) -> str:
    """The URI inside a Contact/To value (``<...>`` or bare up to ``;``)."""
    if "<" in name_addr and ">" in name_addr:
        return name_addr.split("<", 1)[1].split(">", 1)[0]
    return name_addr.split(";", 1)[0].strip()


def _branch() -> str:
    return "z9hG4bK" + uuid.uuid4().hex[:16]


def _build(start: str, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [start, *(f"{n}: {v}" for n, v in headers), "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode("latin-1", "replace")


def _close_after_final(
    response: bytes, request_uri: str, local: tuple[str, int]
) -> tuple[list[bytes], bool]:
    """ACK (and for a 2xx, BYE) for a final response to an INVITE; (messages, sent_bye)."""
    start, headers = _split_message(response)
    vias = _header(headers, "via")
    frm, to, cid = _header(headers, "from"), _header(headers, "to"), _header(headers, "call-id")
    cseq = _header(headers, "cseq")
    if not (vias and frm and to and cid and cseq):
        return [], False
    try:
        code = int(start.split()[1])
        cseq_num = int(cseq[0].split()[0])
    except (IndexError, ValueError):
        return [], False
    common = [("From", frm[0]), ("To", to[0]), ("Call-ID", cid[0])]
    if code >= 300:  # ACK within the INVITE transaction: same branch (top Via), same R-URI
        ack = _build(
            f"ACK {request_uri} SIP/2.0",
            [
                ("Via", vias[0].split(",", 1)[0]),
                *common,
                ("CSeq", f"{cseq_num} ACK"),
                ("Max-Forwards", "70"),
            ],
        )
        return [ack], False
    contact = _header(headers, "contact")
    target = _uri_of(contact[0]) if contact else request_uri
    routes = [("Route", r) for r in reversed(_header(headers, "record-route"))]
    via = f"SIP/2.0/UDP {local[0]}:{local[1]};rport;branch="
    ack = _build(
        f"ACK {target} SIP/2.0",
        [
            ("Via", via + _branch()),
            *routes,
            *common,
            ("CSeq", f"{cseq_num} ACK"),
            ("Max-Forwards", "70"),
        ],
    )
    bye = _build(
        f"BYE {target} SIP/2.0",
        [
            ("Via", via + _branch()),
            *routes,
            *common,
            ("CSeq", f"{cseq_num + 1} BYE"),
            ("Max-Forwards", "70"),
        ],
    )
    return [ack, bye], True


def _ok_for_request(request: bytes) -> bytes | None:
    """A 200 OK to a request the UA sent us (a BYE from its side), or None."""
    _start, headers = _split_message(request)
    needed = [(n, _header(headers, n.lower())) for n in ("Via", "From", "To", "Call-ID", "CSeq")]
    if not all(values for _n, values in needed):
        return None
    return _build("SIP/2.0 200 OK", [(n, v) for n, values in needed for v in values])


def send_raw_udp(
    host: str,
    port: int,
    payload: bytes,
    wait_s: float = 1.0,
    *,
    local_port: int = 0,
    close_dialogs: bool = True,
    until_final: bool = True,
    max_datagrams: int = 256,
) -> list[bytes]:
    """Send ``payload`` from 127.0.0.1 to host:port and return the datagrams that come back.

    Waits at most ``wait_s``. With ``close_dialogs`` a final response to an INVITE is ACKed
    (a 2xx also gets a BYE, and a BYE from the UA gets a 200) so no call slot stays held;
    responses to the helper's own BYE are not returned. With ``until_final`` it returns as soon
    as the request got a final response (and the BYE, if any, its own).
    """
    first_line = payload.split(b"\r\n", 1)[0].decode("latin-1")
    parts = first_line.split(" ")
    is_invite = parts[0] == "INVITE"
    request_uri = parts[1] if len(parts) == 3 and is_invite else f"sip:{host}:{port}"
    received: list[bytes] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, local_port))
        local = sock.getsockname()
        sock.sendto(payload, (host, port))
        deadline = time.monotonic() + wait_s
        got_final = bye_pending = False
        answered: dict[tuple[str, str], bytes] = {}  # (Call-ID, status) -> our ACK
        while len(received) < max_datagrams:
            if until_final and got_final and not bye_pending:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                data, addr = sock.recvfrom(UDP_MAX_PAYLOAD + 1)
            except TimeoutError:
                break
            start, headers = _split_message(data)
            cseq = _header(headers, "cseq")
            method = cseq[0].split()[-1].upper() if cseq and cseq[0].split() else ""
            is_response = start.startswith("SIP/2.0 ")
            code = start.split()[1] if is_response and len(start.split()) > 1 else ""
            final = code.isdigit() and int(code) >= 200
            if is_response and method == "BYE" and bye_pending:
                bye_pending = not final
                continue
            received.append(data)
            if is_response and final:
                got_final = True
                if close_dialogs and is_invite and method == "INVITE":
                    key = ("".join(_header(headers, "call-id")), code)
                    if key in answered:  # a retransmitted final response: repeat the ACK only
                        sock.sendto(answered[key], addr)
                        continue
                    messages, sent_bye = _close_after_final(data, request_uri, local)
                    for message in messages:
                        sock.sendto(message, addr)
                    if messages:
                        answered[key] = messages[0]
                    bye_pending = bye_pending or sent_bye
            elif close_dialogs and start.startswith("BYE "):
                reply = _ok_for_request(data)
                if reply is not None:
                    sock.sendto(reply, addr)
    return received


# --------------------------------------------------------------------------- messages


def _crlf(*lines: str) -> bytes:
    return "\r\n".join(lines).encode("latin-1")


class _Msg:
    """Builds one INVITE-like request with fresh Call-ID/branch/tag for fuzz variants."""

    def __init__(self, host: str, port: int, local_port: int) -> None:
        self.host, self.port = host, port
        self.local = f"{LOOPBACK}:{local_port}" if local_port else LOOPBACK
        self.ruri = f"sip:agent@{host}:{port}"

    def headers(self, method: str = "INVITE", *, cseq: int = 1) -> dict[str, str]:
        return {
            "Via": f"SIP/2.0/UDP {self.local};rport;branch={_branch()}",
            "Max-Forwards": "70",
            "From": f"<sip:fuzz@{self.local}>;tag={uuid.uuid4().hex[:10]}",
            "To": f"<{self.ruri}>",
            "Call-ID": f"{uuid.uuid4().hex}@fuzz.invalid",
            "CSeq": f"{cseq} {method}",
            "Contact": f"<sip:fuzz@{self.local}>",
            "User-Agent": "agentdesk-fuzz",
        }

    def sdp(self, *, media: str = "m=audio 40000 RTP/AVP 0", extra: Sequence[str] = ()) -> str:
        lines = [
            "v=0",
            f"o=- 1 1 IN IP4 {LOOPBACK}",
            "s=-",
            f"c=IN IP4 {LOOPBACK}",
            "t=0 0",
            media,
            *extra,
        ]
        return "\r\n".join(lines) + "\r\n"

    def build(
        self,
        *,
        method: str = "INVITE",
        headers: dict[str, str] | None = None,
        drop: Sequence[str] = (),
        body: bytes | str = b"",
        content_length: str | None = None,
        raw_headers: Sequence[bytes] = (),
        start: str | None = None,
    ) -> bytes:
        hdrs = self.headers(method)
        hdrs.update(headers or {})
        for name in drop:
            hdrs.pop(name, None)
        body_b = body.encode("latin-1") if isinstance(body, str) else body
        if body_b:
            hdrs.setdefault("Content-Type", "application/sdp")
        hdrs["Content-Length"] = content_length if content_length is not None else str(len(body_b))
        lines = [(start or f"{method} {self.ruri} SIP/2.0").encode("latin-1")]
        lines += [f"{n}: {v}".encode("latin-1") for n, v in hdrs.items()]
        lines += list(raw_headers)
        return b"\r\n".join(lines) + b"\r\n\r\n" + body_b


def options_message(target_host: str, target_port: int, *, local_port: int = 0) -> bytes:
    """A well-formed OPTIONS request (Via carries ``rport`` so replies come to the source)."""
    msg = _Msg(target_host, target_port, local_port)
    return msg.build(method="OPTIONS", headers={"Accept": "application/sdp"}, drop=("Contact",))


def malformed_messages(
    target_host: str, target_port: int, *, local_port: int = 0
) -> dict[str, bytes]:
    """Named hostile/broken SIP datagrams for a UA on target_host:target_port (UDP).

    Every call yields fresh Call-IDs/branches. Vias carry ``rport`` so answers reach the
    sending socket; pass the sender's ``local_port`` to also put it in Via/Contact. Each
    message fits one UDP datagram (<= 65507 bytes).
    """
    m = _Msg(target_host, target_port, local_port)
    rng = random.Random(0x5EED)
    good_sdp = m.sdp()
    huge_sdp = m.sdp(extra=[f"a=x-pad{i}:{'p' * 80}" for i in range(640)])
    top_via = m.headers()["Via"]
    many_vias = "\r\n".join(  # 200 Via rows in a row: ours on top, then 199 "proxies"
        [top_via] + [f"Via: SIP/2.0/UDP 10.0.{i}.1:5060;branch={_branch()}" for i in range(199)]
    )
    messages: dict[str, bytes] = {
        "garbage_bytes": bytes(rng.randrange(256) for _ in range(512)),
        "garbage_text": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\x00" * 16,
        "truncated_request_line": b"INVITE\r\n\r\n",
        "bad_sip_version": m.build(body=good_sdp, start=f"INVITE {m.ruri} SIP/7.0"),
        "bad_request_uri": m.build(body=good_sdp, start="INVITE <<not a uri>> SIP/2.0"),
        "invite_broken_via": m.build(body=good_sdp, headers={"Via": "SIP/2.0/UDP ;;;branch="}),
        "invite_via_bad_port": m.build(
            body=good_sdp, headers={"Via": f"SIP/2.0/UDP {LOOPBACK}:99999;branch={_branch()}"}
        ),
        "invite_missing_call_id": m.build(body=good_sdp, drop=("Call-ID",)),
        "invite_missing_from_to": m.build(body=good_sdp, drop=("From", "To")),
        "invite_bad_cseq": m.build(body=good_sdp, headers={"CSeq": "abc INVITE"}),
        "invite_cseq_overflow": m.build(
            body=good_sdp, headers={"CSeq": "99999999999999999999 INVITE"}
        ),
        "invite_cseq_method_mismatch": m.build(body=good_sdp, headers={"CSeq": "1 BYE"}),
        "invite_content_length_too_large": m.build(
            body=good_sdp, content_length=str(len(good_sdp) + 1000)
        ),
        "invite_content_length_negative": m.build(body=good_sdp, content_length="-1"),
        "invite_content_length_garbage": m.build(body=good_sdp, content_length="12abc"),
        "invite_sdp_garbage_lines": m.build(
            body="v=0\r\nthis is not sdp\r\n\x01\x02\x03\r\nm=\r\nc=IN IP4\r\n=====\r\n"
        ),
        "invite_sdp_port_zero": m.build(body=m.sdp(media="m=audio 0 RTP/AVP 0")),
        "invite_sdp_missing_c": m.build(body=good_sdp.replace(f"c=IN IP4 {LOOPBACK}\r\n", "")),
        "invite_sdp_unknown_codec_only": m.build(
            body=m.sdp(media="m=audio 40000 RTP/AVP 96", extra=["a=rtpmap:96 X-NO-SUCH-CODEC/8000"])
        ),
        "invite_sdp_unsupported_codec_only": m.build(  # G.729 is not built into pjsua2 here
            body=m.sdp(media="m=audio 40000 RTP/AVP 18", extra=["a=rtpmap:18 G729/8000"])
        ),
        "invite_sdp_no_media": m.build(body=good_sdp.split("m=")[0]),
        "invite_sdp_bad_port": m.build(body=m.sdp(media="m=audio 99999 RTP/AVP 0")),
        "invite_sdp_wrong_content_type": m.build(
            body=good_sdp, headers={"Content-Type": "application/x-garbage"}
        ),
        "oversized_header": m.build(body=good_sdp, headers={"X-Padding": "A" * 60_000}),
        "oversized_body": m.build(body=huge_sdp),
        "header_without_colon": m.build(
            body=good_sdp, raw_headers=[b"Subject this line has no colon at all"]
        ),
        "header_empty_name": m.build(body=good_sdp, raw_headers=[b": value without name"]),
        "non_utf8_headers": m.build(
            body=good_sdp,
            raw_headers=[b"Subject: \xff\xfe\xc3\x28 \x80\x81", b"X-\xe9\xe8: \xa0\xa1"],
            headers={"From": f'"\xff\xc0\xaf" <sip:fuzz@{m.local}>;tag=utf8bad'},
        ),
        "nul_bytes_in_headers": m.build(body=good_sdp, raw_headers=[b"Subject: a\x00b\x00c"]),
        "invite_200_vias": m.build(body=good_sdp, headers={"Via": many_vias}),
        "invite_max_forwards_zero": m.build(body=good_sdp, headers={"Max-Forwards": "0"}),
        "stray_response": _crlf(
            "SIP/2.0 200 OK",
            f"Via: SIP/2.0/UDP {m.local};rport;branch={_branch()}",
            f"From: <sip:fuzz@{m.local}>;tag=stray",
            f"To: <{m.ruri}>;tag=stray2",
            f"Call-ID: {uuid.uuid4().hex}@fuzz.invalid",
            "CSeq: 1 INVITE",
            "Content-Length: 0",
            "",
            "",
        ),
        "bye_unknown_dialog": m.build(method="BYE", headers={"To": f"<{m.ruri}>;tag=nosuchdialog"}),
    }
    for name, data in messages.items():
        if len(data) > UDP_MAX_PAYLOAD:
            raise AssertionError(f"{name} is {len(data)} bytes, above one UDP datagram")
    return messages

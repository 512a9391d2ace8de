"""SIP set-up latency on loopback: REGISTER round trips and INVITE → CONFIRMED call set-up.

Starts a real Kamailio (tests/servers/kamailio.py) and two softphone agents (``python -m
sip.remote``, one pjsua2 endpoint each), then for every transport asked for:

- re-registers alice ``--calls`` times (``register(on=True)``) and takes, in the agent's own
  clock, the ``registered`` event minus the ``registering`` event that preceded it (the engine
  emits ``registering`` from pjsua2's onRegStarted). If ``registering`` never comes, the
  client-side wall time from the command to the event is used and the table says so;
- places ``--calls`` calls alice → Kamailio → bob (bob auto-answers at once) and takes the
  caller's ``CallStateChanged`` ``calling`` → ``confirmed`` (caller's clock), hanging up and
  waiting for ``CallEnded`` on both sides between calls;
- as a peer, lets sipp (built-in ``uac``, one call at a time) call the same auto-answering bob,
  directly and through Kamailio, and takes INVITE sent → 200 received from sipp's message log
  (microsecond timestamps; sipp's own ``-trace_rtt`` only has whole milliseconds).

Only 127.0.0.1 is used; every wait is bounded and the whole run has a time budget; Kamailio,
the agents and sipp are stopped on every exit path. Run from the repository root::

    .venv/bin/python -m bench.sip_setup [--calls 30] [--transports udp,tcp]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/sip_setup.py``
    sys.path.insert(0, str(ROOT))

from bench.sipp_peer import UAC_VIA_PROXY, BenchError, Budget, Row, run_sipp  # noqa: E402
from sip.remote import RemoteEngine  # noqa: E402
from tests.integration.sipkit import BASE_CONFIG, PASSWORDS  # noqa: E402
from tests.servers.kamailio import Kamailio, kamailio_available  # noqa: E402
from tests.servers.ports import LOOPBACK  # noqa: E402
from tests.servers.sipp import sipp_available  # noqa: E402

BUDGET_S = 110.0  # the whole run, start-up and shutdown included, stays under 2 minutes
CLOSE_S = 8.0  # per agent at shutdown (it hangs up, un-registers and destroys pjsua2)
AGENT_CONFIG: dict[str, Any] = {**BASE_CONFIG, "transports": ["udp", "tcp"]}


@dataclass
class Party:
    user: str
    engine: RemoteEngine
    account: str = ""
    exit_code: int | None = None


class _Engine(RemoteEngine):
    """A RemoteEngine that kills its child if start-up fails (the base would leak it)."""

    def __init__(self, config: dict[str, Any], env: dict[str, str], stderr: IO[bytes]) -> None:
        try:
            super().__init__(config, env=env, stderr=stderr)
        except BaseException:
            proc = getattr(self, "proc", None)
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(5)
            raise


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Children started inside inherit SIGINT ignored: a Ctrl-C reaches only this script,
    which then shuts them down in order instead of having them die mid-call."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------- agents


def start_party(
    stack: contextlib.ExitStack[Any],
    kam: Kamailio,
    user: str,
    transport: Any,
    budget: Budget,
    log_dir: Path,
) -> Party:
    """An agent registering ``user`` over ``transport``; its stderr goes to ``log_dir``."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    log = stack.enter_context((log_dir / f"agent-{transport}-{user}.log").open("wb"))
    with _sigint_ignored():
        engine = _Engine(AGENT_CONFIG, env={"PYTHONPATH": path}, stderr=log)
    party = Party(user, engine)

    def close() -> None:
        party.exit_code = engine.close(timeout=CLOSE_S)

    stack.callback(close)
    party.account = str(
        engine.call(
            "add_account",
            timeout=budget.left(10),
            settings={
                "user": user,
                "domain": kam.domain,
                "registrar": kam.registrar_uri(transport),
                "transport": transport,
                "password": PASSWORDS[user],
                "retry_min_s": 1.0,
            },
        )
    )
    return party


def first_registration(party: Party, budget: Budget) -> tuple[float, int]:
    """(registering → registered in ms, at_us of registered) of the REGISTER sent on add."""
    done = party.engine.wait_event("RegistrationChanged", budget.left(10), state="registered")
    start = party.engine.wait_event("RegistrationChanged", 0, state="registering")
    return (done["at_us"] - start["at_us"]) / 1000, int(done["at_us"])


def measure_reregister(party: Party, n: int, last_us: int, budget: Budget) -> tuple[Row, Row]:
    agent = Row("", "re-REGISTER  registering→registered (agent)")
    wall = Row("", "re-REGISTER  command→registered event (wall)")
    for _ in range(n):
        t0 = time.perf_counter()
        party.engine.call("register", timeout=budget.left(10), account_id=party.account, on=True)
        done = party.engine.wait_event(
            "RegistrationChanged", budget.left(10), after_us=last_us, state="registered"
        )
        wall.samples_ms.append((time.perf_counter() - t0) * 1000)
        with contextlib.suppress(TimeoutError):  # it precedes "registered" when emitted at all
            start = party.engine.wait_event(
                "RegistrationChanged", 0, after_us=last_us, state="registering"
            )
            agent.samples_ms.append((done["at_us"] - start["at_us"]) / 1000)
        last_us = int(done["at_us"])
    if len(agent.samples_ms) != n:
        agent.samples_ms = []
        agent.note = "no 'registering' event on manual re-register: see the wall-time row"
    return agent, wall


def measure_calls(alice: Party, bob: Party, n: int, budget: Budget) -> tuple[Row, Row]:
    agent = Row("", "call a→K→b  calling→confirmed (caller)")
    wall = Row("", "call a→K→b  make_call→confirmed event (wall)")
    for i in range(n):
        t0 = time.perf_counter()
        cid = alice.engine.call(
            "make_call", timeout=budget.left(10), account_id=alice.account, target=bob.user
        )
        try:
            confirmed = alice.engine.wait_event(
                "CallStateChanged", budget.left(10), call_id=cid, state="confirmed"
            )
        except TimeoutError:
            ended = [e for e in alice.engine.events if e.get("call_id") == cid]
            raise BenchError(f"call {i + 1} was not confirmed; caller events: {ended}") from None
        wall.samples_ms.append((time.perf_counter() - t0) * 1000)
        calling = alice.engine.wait_event("CallStateChanged", 0, call_id=cid, state="calling")
        agent.samples_ms.append((confirmed["at_us"] - calling["at_us"]) / 1000)
        ring = bob.engine.wait_event(
            "IncomingCall", budget.left(5), sip_call_id=confirmed["sip_call_id"]
        )
        alice.engine.call("hangup", timeout=budget.left(10), call_id=cid)
        alice.engine.wait_event("CallEnded", budget.left(10), call_id=cid)
        bob.engine.wait_event("CallEnded", budget.left(10), call_id=ring["call_id"])
    return agent, wall


# --------------------------------------------------------------------------- sipp

# --------------------------------------------------------------------------- report


def summary(samples: list[float]) -> tuple[float, float, float, float]:
    """(median, p90, min, max); p90 by linear interpolation between closest ranks."""
    if len(samples) < 2:
        return samples[0], samples[0], samples[0], samples[0]
    p90 = statistics.quantiles(samples, n=10, method="inclusive")[8]
    return statistics.median(samples), p90, min(samples), max(samples)


def median_of(rows: list[Row], transport: str, prefix: str) -> float | None:
    for row in rows:
        if (
            row.transport == transport
            and row.label.startswith(prefix)
            and row.samples_ms
            and not row.failed
        ):
            return statistics.median(row.samples_ms)
    return None


def print_report(rows: list[Row], header: list[str]) -> None:
    for line in header:
        print(line)
    print()
    width = max(len(r.label) for r in rows)
    print(f"{'tp':<4}{'measurement':<{width}} {'n':>3} {'median':>7} {'p90':>7} "
          f"{'min':>7} {'max':>7}  ms")  # fmt: skip
    for row in rows:
        prefix = f"{row.transport:<4}{row.label:<{width}} {len(row.samples_ms):>3}"
        if row.samples_ms:
            med, p90, lo, hi = summary(row.samples_ms)
            line = f"{prefix} {med:7.3f} {p90:7.3f} {lo:7.3f} {hi:7.3f}"
            print(f"{line}  {row.note}".rstrip())
        else:
            print(f"{prefix}       -       -       -       -  {row.note}")
    print()
    for tp in dict.fromkeys(row.transport for row in rows):
        ours = median_of(rows, tp, "call a→K→b  calling")
        parts = []
        for prefix, name in (("sipp→K→b", "sipp→K→bob"), ("sipp→b", "sipp→bob direct")):
            peer = median_of(rows, tp, prefix)
            if ours is not None and peer:
                parts.append(f"{ours / peer:.2f}× {name} ({ours:.3f} / {peer:.3f} ms)")
        text = "; ".join(parts) if parts else "not available"
        print(f"ratio {tp} (median, our calling→confirmed / sipp INVITE→200): {text}")


def _log_tail(path: Path, lines: int = 8) -> str:
    text = path.read_text("utf-8", "replace").splitlines()[-lines:]
    return f"\n--- {path.name} (last lines)\n" + "\n".join(text) if text else ""


def tool_version(cmd: list[str], pattern: str) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    found = re.search(pattern, out.stdout + out.stderr)
    return found.group(1) if found else "?"


# --------------------------------------------------------------------------- main


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    sipp_commands: list[str] = field(default_factory=list)
    exit_codes: dict[str, dict[str, int | None]] = field(default_factory=dict)
    pjsip: str = "?"


def bench_transport(
    kam: Kamailio, tp: Any, n: int, tmp: Path, scenario: Path | None, budget: Budget, out: Results
) -> None:
    rows: list[Row] = []
    parties: list[Party] = []
    try:
        with contextlib.ExitStack() as stack:
            alice = start_party(stack, kam, "alice", tp, budget, tmp)
            parties.append(alice)
            bob = start_party(stack, kam, "bob", tp, budget, tmp)
            parties.append(bob)
            out.pjsip = str(alice.engine.started.get("version", "?"))
            first_ms, alice_last = first_registration(alice, budget)
            first = Row(tp, "first REGISTER  registering→registered", [first_ms])
            first.samples_ms.append(first_registration(bob, budget)[0])
            first.note = "alice+bob on add_account" + (
                ", TCP connect included" if tp == "tcp" else ""
            )
            rows.append(first)
            reg, reg_wall = measure_reregister(alice, n, alice_last, budget)
            rows += [reg, reg_wall]
            bob.engine.call("set_auto_answer", timeout=budget.left(10), delay_s=0)
            rows += measure_calls(alice, bob, n, budget)
            if scenario is not None:
                via, cmd_via = run_sipp(
                    "sipp→K→b  INVITE→200 (sipp log)", tp, kam.port(tp), "bob", n, tmp, budget,
                    scenario,
                )  # fmt: skip
                bob_port = int(bob.engine.started["sip_ports"][tp])
                direct, cmd_direct = run_sipp(
                    "sipp→b  INVITE→200, direct (sipp log)", tp, bob_port, "bob", n, tmp, budget
                )
                rows += [via, direct]
                out.sipp_commands += [shlex.join(cmd_via), shlex.join(cmd_direct)]
    finally:
        for row in rows:
            row.transport = tp
        out.rows += rows
        out.exit_codes[tp] = {p.user: p.exit_code for p in parties}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sip_setup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--calls", type=int, default=30, help="calls and re-REGISTERs (>=2)")
    parser.add_argument("--transports", default="udp,tcp", help="comma list of udp, tcp")
    args = parser.parse_args(argv)
    transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    if not transports or any(t not in ("udp", "tcp") for t in transports):
        parser.error("--transports takes udp and/or tcp")
    if not 2 <= args.calls <= 500:
        parser.error("--calls must be 2..500")
    if not kamailio_available():
        print("kamailio (with kamcmd and openssl) is not installed: run scripts/setup")
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    started = time.monotonic()
    budget = Budget(BUDGET_S)
    command = shlex.join(
        ["python", "-m", "bench.sip_setup", *(sys.argv[1:] if argv is None else argv)]
    )
    out = Results()
    error = ""
    tmp = Path(tempfile.mkdtemp(prefix="sip-setup-bench-"))
    try:
        scenario: Path | None = None
        if sipp_available():
            scenario = tmp / "uac_via_proxy.xml"
            scenario.write_text(UAC_VIA_PROXY, "iso-8859-1")
        with Kamailio(dict(PASSWORDS)) as kam:
            for tp in transports:
                bench_transport(kam, tp, args.calls, tmp, scenario, budget, out)
    except KeyboardInterrupt:
        error = "interrupted"
    except Exception as exc:  # report what was measured, then fail
        error = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= budget.end:
            error += f" (the run's {BUDGET_S:.0f} s budget ran out)"
        error += "".join(_log_tail(log) for log in sorted(tmp.glob("agent-*.log")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.monotonic() - started
    kamailio = tool_version(["kamailio", "-v"], r"kamailio (\S+)")
    sipp = tool_version(["sipp", "-v"], r"SIPp (v[\d.]+)") if sipp_available() else "absent"
    header = [
        f"SIP set-up on {LOOPBACK}: AgentDesk agents (pjsua2 {out.pjsip}), Kamailio {kamailio}, "
        f"peer SIPp {sipp}",
        f"command: {command}",
        "a=alice b=bob K=Kamailio; (agent)/(caller): the agent's own clock (event at_us); "
        "(wall): this script's clock, JSON-lines IPC and the SIP thread's pick-up of the command "
        "(it polls libHandleEvents for up to 10 ms) included",
        "every REGISTER, first or repeated, is REGISTER → 401 → REGISTER with credentials → 200; "
        "sipp: INVITE written → 200 read, from its -trace_msg log (µs timestamps)",
    ]
    if out.rows:
        print_report(out.rows, header)
    else:
        print("\n".join(header))
    if not sipp_available():
        print("sipp is not installed (Debian sip-tester): no peer comparison")
    for cmd in out.sipp_commands:
        print(f"sipp: {cmd}")
    codes = "; ".join(
        f"{tp} " + " ".join(f"{user}={code}" for user, code in by_user.items())
        for tp, by_user in out.exit_codes.items()
    )
    print(f"agents' exit codes: {codes}; Kamailio stopped; {elapsed:.1f} s in all")
    if error:
        print(f"FAILED: {error}")
        return 1
    incomplete = [f"{row.transport} {row.label}" for row in out.rows if row.failed]
    if incomplete:
        print(f"INCOMPLETE: {'; '.join(incomplete)}")
    clean = all(c == 0 for by_user in out.exit_codes.values() for c in by_user.values())
    return 0 if clean and not incomplete else 1


if __name__ == "__main__":
    raise SystemExit(main())

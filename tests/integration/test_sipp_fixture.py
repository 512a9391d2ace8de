"""Self-test of tests/servers/sipp.py against sipp's own UAS on loopback."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import sipp
from tests.servers.ports import LOOPBACK, free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(60),
    pytest.mark.skipif(not sipp.sipp_available(), reason="sipp (Debian sip-tester) not installed"),
]

REJECT_UAS = sipp.SCENARIO_DIR / "uas_reject_488.xml"


def _first_lines(datagrams: list[bytes]) -> list[bytes]:
    return [d.split(b"\r\n", 1)[0] for d in datagrams]


def _exit_code(proc: subprocess.Popen[bytes], timeout_s: float) -> int | None:
    """sipp's exit code once it finished its ``-m`` calls, or None if it is still running."""
    try:
        return proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None


@pytest.fixture
def uas_port() -> Iterator[int]:
    """sipp's built-in UAS (answering OPTIONS too, ``-aa``) on a free loopback port."""
    port = free_port()
    with sipp.sipp_uas(port, extra_args=["-aa"]):
        yield port


def test_uac_load_against_sipp_uas(uas_port: int) -> None:
    result = sipp.run_uac_load(LOOPBACK, uas_port, calls=20, rate=10, limit=4, timeout_s=20)
    assert result.returncode == 0, result.stdout_tail
    assert (result.successful, result.failed, result.created) == (20, 0, 20)
    assert result.ok and not result.timed_out
    assert result.error_log_text == ""
    assert result.stats["SuccessfulCall(C)"] == "20"


def test_uac_load_counts_rejected_calls() -> None:
    port = free_port()
    proc = sipp.start_uas(port, scenario=REJECT_UAS, extra_args=["-m", "5"])
    try:
        result = sipp.run_uac_load(LOOPBACK, port, calls=5, rate=50, timeout_s=10)
        assert result.returncode == 1, result.stdout_tail
        assert (result.successful, result.failed, result.created) == (0, 5, 5)
        assert not result.ok
        assert "488" in result.error_log_text
        # sipp ACKs a 4xx when it aborts the call: the UAS saw all 5 ACKs.
        assert _exit_code(proc, 5) == 0
    finally:
        sipp.stop_sipp(proc)


def test_broken_sdp_scenario_acks_rejections() -> None:
    port = free_port()
    proc = sipp.start_uas(port, scenario=REJECT_UAS, extra_args=["-m", "3"])
    try:
        result = sipp.run_uac_load(
            LOOPBACK, port, calls=3, rate=50, timeout_s=10, scenario=sipp.BROKEN_SDP_SCENARIO
        )
        assert (result.returncode, result.successful, result.failed) == (0, 3, 0), result
        assert _exit_code(proc, 5) == 0  # every 488 was ACKed
    finally:
        sipp.stop_sipp(proc)


def test_broken_sdp_scenario_closes_accepted_calls(uas_port: int) -> None:
    # sipp's UAS accepts any offer: the scenario must ACK the 200 and BYE the call.
    result = sipp.run_uac_load(
        LOOPBACK, uas_port, calls=2, rate=50, timeout_s=10, scenario=sipp.BROKEN_SDP_SCENARIO
    )
    assert (result.returncode, result.successful, result.failed) == (0, 2, 0), result


def test_broken_sdp_scenario_with_custom_offer(uas_port: int, tmp_path: Path) -> None:
    custom = sipp.broken_sdp_scenario(
        tmp_path, ["v=0", "o=- 1 1 IN IP4 [local_ip]", "s=-", "t=0 0", "m=audio 0 RTP/AVP 0"]
    )
    assert "m=audio 0 RTP/AVP 0" in custom.read_text("iso-8859-1")
    result = sipp.run_uac_load(LOOPBACK, uas_port, calls=1, rate=10, timeout_s=10, scenario=custom)
    assert (result.returncode, result.successful, result.failed) == (0, 1, 0), result


def test_send_raw_udp_options_gets_200(uas_port: int) -> None:
    answers = sipp.send_raw_udp(LOOPBACK, uas_port, sipp.options_message(LOOPBACK, uas_port))
    assert _first_lines(answers) == [b"SIP/2.0 200 OK"]


def test_send_raw_udp_acks_and_byes_an_accepted_invite() -> None:
    port = free_port()
    proc = sipp.start_uas(port, extra_args=["-m", "1"])
    try:
        invite = sipp.malformed_messages(LOOPBACK, port)["invite_sdp_port_zero"]
        answers = sipp.send_raw_udp(LOOPBACK, port, invite, wait_s=2.0)
        assert b"SIP/2.0 200 OK" in _first_lines(answers)
        # The UAS ends its call only after our ACK and BYE (then a 4 s timewait).
        assert _exit_code(proc, 8) == 0
    finally:
        sipp.stop_sipp(proc)


def test_send_raw_udp_acks_a_rejection() -> None:
    port = free_port()
    proc = sipp.start_uas(port, scenario=REJECT_UAS, extra_args=["-m", "1"])
    try:
        invite = sipp.malformed_messages(LOOPBACK, port)["invite_sdp_unknown_codec_only"]
        answers = sipp.send_raw_udp(LOOPBACK, port, invite, wait_s=2.0)
        assert _first_lines(answers) == [b"SIP/2.0 100 Trying", b"SIP/2.0 488 Not Acceptable Here"]
        assert _exit_code(proc, 5) == 0  # the 488 was ACKed
    finally:
        sipp.stop_sipp(proc)


def test_send_raw_udp_garbage_gets_no_answer(uas_port: int) -> None:
    garbage = sipp.malformed_messages(LOOPBACK, uas_port)["garbage_bytes"]
    assert sipp.send_raw_udp(LOOPBACK, uas_port, garbage, wait_s=0.3) == []


def test_malformed_messages_shape() -> None:
    first = sipp.malformed_messages(LOOPBACK, 5070)
    second = sipp.malformed_messages(LOOPBACK, 5070)
    expected = {
        "garbage_bytes",
        "invite_broken_via",
        "invite_missing_call_id",
        "invite_bad_cseq",
        "invite_content_length_too_large",
        "invite_content_length_negative",
        "invite_sdp_garbage_lines",
        "invite_sdp_port_zero",
        "invite_sdp_missing_c",
        "invite_sdp_unknown_codec_only",
        "oversized_header",
        "oversized_body",
        "header_without_colon",
        "non_utf8_headers",
        "invite_200_vias",
    }
    assert expected <= set(first)
    assert all(0 < len(m) <= sipp.UDP_MAX_PAYLOAD for m in first.values())
    assert len(first["oversized_header"]) > 55_000 and len(first["oversized_body"]) > 55_000
    assert first["invite_200_vias"].count(b"\r\nVia: ") == 200
    assert b"Call-ID:" not in first["invite_missing_call_id"]
    with pytest.raises(UnicodeDecodeError):
        first["non_utf8_headers"].decode("utf-8")
    assert first["invite_sdp_port_zero"] != second["invite_sdp_port_zero"]  # fresh Call-IDs

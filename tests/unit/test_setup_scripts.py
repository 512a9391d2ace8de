"""scripts/setup: the demo's packages apart from the tests', the interpreter it accepts, and
the .deb asking for the same libraries the product loads."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup"

# Servers and tools only the tests use: never installed for the demo.
TEST_ONLY = {
    "kamailio", "kamailio-tls-modules", "kamailio-utils-modules", "baresip", "baresip-core",
    "linphone-cli",
    "sip-tester", "pulseaudio", "pulseaudio-utils", "sox", "postgresql", "radosgw", "ceph-mon",
    "ceph-osd", "nginx", "systemd", "chromium", "chromium-driver", "ffmpeg", "x11-xserver-utils",
    "openssl", "python3-tk",
}  # fmt: skip


def _array(name: str) -> list[str]:
    text = SETUP.read_text(encoding="utf-8")
    match = re.search(rf"^{name}=\((.*?)^\)", text, re.MULTILINE | re.DOTALL)
    assert match, name
    return match.group(1).split()


def test_the_demo_installs_none_of_the_tests_servers() -> None:
    product, tests = set(_array("product_packages")), set(_array("test_packages"))
    assert not product & TEST_ONLY
    assert tests == TEST_ONLY
    assert {"python3", "python3-venv", "libportaudio2", "espeak-ng", "xvfb", "xauth"} <= product


def test_run_uses_the_demo_setup_and_test_the_tests_setup() -> None:
    run = (ROOT / "scripts" / "run").read_text(encoding="utf-8")
    test = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    assert re.search(r"^scripts/setup$", run, re.MULTILINE)
    assert re.search(r"^scripts/setup --tests$", test, re.MULTILINE)
    setup = SETUP.read_text(encoding="utf-8")
    assert "extras=server\n" in setup and "extras=server,speech,dev\n" in setup


def test_setup_accepts_cpython_311_and_312_only() -> None:
    setup = SETUP.read_text(encoding="utf-8")
    assert "sys.version_info[:2] in ((3, 11), (3, 12))" in setup
    assert setup.index("/usr/bin/python3.12") < setup.index("/usr/bin/python3.11")


def test_setup_refuses_an_unknown_argument_before_touching_anything() -> None:
    result = subprocess.run(
        ["bash", str(SETUP), "--test"], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 1
    assert "unknown argument: --test" in result.stderr
    assert "installing" not in result.stderr
    usage = subprocess.run(
        ["bash", str(SETUP), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    assert usage.returncode == 0 and "scripts/setup --tests" in usage.stdout


def test_the_deb_depends_on_every_library_the_product_installs() -> None:
    control = (ROOT / "installer" / "linux" / "control.in").read_text(encoding="utf-8")
    depends_text = re.search(r"^Depends:(.*?)^\S", control, re.MULTILINE | re.DOTALL)
    assert depends_text
    depends = {word.strip() for word in depends_text.group(1).split(",")}
    libraries = {pkg for pkg in _array("product_packages") if pkg.startswith("lib")}
    assert libraries <= depends, sorted(libraries - depends)

"""The store's deployment files (installer/store/): the systemd unit passes
`systemd-analyze verify` and starts the real entry point with arguments the CLI accepts, as an
unprivileged, sandboxed user; the nginx example passes `nginx -t` and, run for real, proxies
HTTPS to a running store and redirects HTTP to HTTPS."""

from __future__ import annotations

import argparse
import configparser
import contextlib
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from store import cli
from store.settings import DEFAULT_MAX_UPLOAD
from tests.servers.ports import LOOPBACK, free_port
from tests.servers.store import StoreServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
STORE_FILES = ROOT / "installer" / "store"
UNIT = STORE_FILES / "agentdesk-store.service"
NGINX_SITE = STORE_FILES / "nginx-agentdesk-store.conf"
ENV_EXAMPLE = STORE_FILES / "store.env.example"
INSTALLED_BIN = "/opt/agentdesk-store/bin/"


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} is not installed: run scripts/setup --tests")
    return path


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    unit.read_string(UNIT.read_text(encoding="utf-8"))
    return unit


def _command(value: str) -> list[str]:
    """A unit's command line: backslash-continued lines joined, split like systemd does."""
    return shlex.split(value.replace("\\\n", " "))


def _environment() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def _expanded(words: list[str], environment: dict[str, str]) -> list[str]:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in environment, f"{name} is used by the unit but not set in {ENV_EXAMPLE.name}"
        return environment[name]

    return [re.sub(r"\$\{(\w+)\}", value, word) for word in words]


def _parsed(words: list[str]) -> argparse.Namespace:
    program = Path(words[0])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert str(program.parent) + "/" == INSTALLED_BIN, program
    assert scripts.get(program.name) == "store.cli:main", program.name
    return cli._parser().parse_args(words[1:])


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """Verified with its programs where this interpreter's scripts are (the real entry point,
    installed the way installer/README.md installs it into /opt/agentdesk-store)."""
    analyze = _tool("systemd-analyze")
    scripts_dir = Path(sys.executable).parent
    assert (scripts_dir / "agentdesk-store").is_file(), "agentdesk-store is not installed"
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace(INSTALLED_BIN, f"{scripts_dir}/"),
        encoding="utf-8",
    )
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    # Unknown keys and misspelt values are only warnings: none is allowed.
    assert result.stderr.strip() == "", result.stderr

    broken = tmp_path / "broken.service"
    broken.write_text(unit.read_text(encoding="utf-8").replace("PrivateTmp=", "PrivatTmp="))
    warned = subprocess.run(
        [analyze, "verify", str(broken)], capture_output=True, text=True, timeout=60, check=False
    )
    assert "PrivatTmp" in warned.stderr  # the check above would see a misspelt key


def test_the_unit_runs_migrate_then_serve_as_an_unprivileged_sandboxed_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = _unit()
    service = unit["Service"]
    assert service["User"] == service["Group"] == "agentdesk"
    assert service["EnvironmentFile"] == "/etc/agentdesk/store.env"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectControlGroups": "yes",
        "RestrictSUIDSGID": "yes",
        "Restart": "on-failure",
    }.items():
        assert service.get(key) == value, key
    assert unit["Install"]["WantedBy"] == "multi-user.target"

    environment = _environment()
    pre = _parsed(_expanded(_command(service["ExecStartPre"]), environment))
    serve = _parsed(_expanded(_command(service["ExecStart"]), environment))
    assert (pre.command, serve.command) == ("migrate", "serve")
    assert pre.data == serve.data == service["ReadWritePaths"] == "/srv/agentdesk"
    assert (serve.host, serve.port, serve.workers) == ("127.0.0.1", 8750, 4)
    # Secrets come from the environment file, never from the command line.
    for secret in ("PGPASSWORD", "ACCESS_KEY", "SECRET_KEY"):
        assert secret not in service["ExecStart"] + service["ExecStartPre"]

    # The settings the store starts with, from the example environment file.
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = cli.store_settings(serve)
    assert settings.db_url == environment["AGENTDESK_STORE_DB"]
    assert settings.s3 is not None and settings.s3.bucket == environment["AGENTDESK_S3_BUCKET"]
    assert settings.report_tz == environment["AGENTDESK_STORE_REPORT_TZ"]


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [_tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=store.example.com", "-keyout", str(key), "-out", str(cert),
         "-addext", f"subjectAltName=DNS:store.example.com,IP:{LOOPBACK}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def _nginx_config(folder: Path, site: str) -> Path:
    """A whole nginx configuration around the site, all its files in ``folder``."""
    (folder / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = folder / "nginx.conf"
    config.write_text(
        f"pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'};\n"
        "events {}\n"
        f"http {{\n    access_log off;\n    {temp}\n    include {folder / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    return config


def _site(cert: Path, key: str | Path, https: int = 443, http: int = 80, store: int = 8750) -> str:
    site = NGINX_SITE.read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/store.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/store.example.com/privkey.pem", str(key))
    site = site.replace("listen 443 ", f"listen {LOOPBACK}:{https} ")
    site = site.replace("listen 80;", f"listen {LOOPBACK}:{http};")
    return site.replace("http://127.0.0.1:8750", f"http://127.0.0.1:{store}")


def _nginx_test(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("nginx"), "-t", "-p", str(config.parent), "-e", str(config.parent / "error.log"),
         "-c", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_nginx_example_passes_nginx_t_and_matches_the_store(tmp_path: Path) -> None:
    site = NGINX_SITE.read_text(encoding="utf-8")
    assert "proxy_pass http://127.0.0.1:8750;" in site  # the unit's --host and --port
    assert f"client_max_body_size {DEFAULT_MAX_UPLOAD // (1024 * 1024)}m;" in site
    assert "proxy_set_header X-Forwarded-Proto https;" in site
    cert, key = _certificate(tmp_path)

    result = _nginx_test(_nginx_config(tmp_path, _site(cert, key)))
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr

    broken = tmp_path / "broken"
    broken.mkdir()
    failed = _nginx_test(_nginx_config(broken, _site(cert, broken / "no-such-key.pem")))
    assert failed.returncode != 0 and "no-such-key.pem" in failed.stderr


@contextlib.contextmanager
def _nginx(config: Path) -> Iterator[None]:
    folder = config.parent
    proc = subprocess.Popen(
        [_tool("nginx"), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config),
         "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr is not None:
            proc.stderr.close()


def _get(url: str, cert: Path, timeout: float = 20.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, verify=str(cert), allow_redirects=False, timeout=5)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_nginx_example_serves_the_store_over_https(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    https, http = free_port(), free_port()
    with StoreServer(tmp_path / "store", users={"anna": "agent"}) as store:
        config = _nginx_config(tmp_path, _site(cert, key, https, http, store.port))
        with _nginx(config):
            health = _get(f"https://{LOOPBACK}:{https}/api/v1/health", cert)
            assert health.status_code == 200, health.text
            me = requests.get(
                f"https://{LOOPBACK}:{https}/api/v1/me",
                headers={"Authorization": f"Bearer {store.tokens['anna']}"},
                verify=str(cert),
                timeout=10,
            )
            assert me.status_code == 200 and me.json()["name"] == "anna"
            plain = _get(f"http://{LOOPBACK}:{http}/api/v1/health", cert)
            assert plain.status_code == 301
            assert plain.headers["Location"].startswith("https://")

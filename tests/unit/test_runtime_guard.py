"""The runtime guard, and the Qt crash it exists for."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from desktop.pyguard import UnsupportedRuntime, check_runtime, runtime_problem

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "pyside",
    ["6.12.0", "6.12.3", "6.11.3", None],
)
def test_cpython_312_is_accepted_with_any_pyside(pyside: str | None) -> None:
    assert runtime_problem((3, 12, 1), "cpython", pyside) is None


@pytest.mark.parametrize("pyside", ["6.11.3", "6.11.0", "6.10.3", "6.7.3", None])
def test_cpython_311_with_pyside_below_612_is_accepted(pyside: str | None) -> None:
    # Debian 12's python3; pyproject.toml pins PySide6-Essentials below 6.12 there.
    assert runtime_problem((3, 11, 2), "cpython", pyside) is None


def test_cpython_311_with_pyside_612_is_refused_for_the_none_dealloc_abort() -> None:
    problem = runtime_problem((3, 11, 7), "cpython", "6.12.0")
    assert problem is not None
    assert "none_dealloc" in problem
    assert "6.12.0" in problem
    assert "3.11.7" in problem
    assert "below 6.12" in problem


@pytest.mark.parametrize("pyside", ["6.12.2", "6.12.0a1", "6.13.0", "7.0.0", "six.twelve"])
def test_cpython_311_with_a_later_or_unreadable_pyside_is_refused_too(pyside: str) -> None:
    problem = runtime_problem((3, 11, 9), "cpython", pyside)
    assert problem is not None
    assert "none_dealloc" in problem


@pytest.mark.parametrize("version", [(3, 10, 13), (3, 13, 0), (3, 14, 0), (4, 0, 0)])
def test_cpython_outside_311_and_312_is_refused_naming_pjsua2(
    version: tuple[int, int, int],
) -> None:
    problem = runtime_problem(version, "cpython", "6.11.3")
    assert problem is not None
    assert "pjsua2" in problem
    assert "3.11 or 3.12" in problem
    assert ".".join(map(str, version)) in problem


def test_other_implementations_are_refused() -> None:
    problem = runtime_problem((3, 12, 1), "pypy", "6.12.0")
    assert problem is not None
    assert "CPython" in problem


def test_pyproject_keeps_pyside_below_612_on_cpython_311() -> None:
    """The dependency markers give 3.11 a PySide6 the guard accepts, and 3.12 any."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == ">=3.11,<3.13"
    pysides = [
        Requirement(line)
        for line in pyproject["project"]["dependencies"]
        if Requirement(line).name.lower() == "pyside6-essentials"
    ]
    for python, allowed, refused in (
        ("3.11", ["6.11.3", "6.10.3"], ["6.12.0", "6.12.1", "6.13.0"]),
        ("3.12", ["6.11.3", "6.12.0", "6.13.0"], []),
    ):
        environment = {"python_version": python, "python_full_version": f"{python}.0"}
        applying = [r for r in pysides if r.marker is None or r.marker.evaluate(environment)]
        assert len(applying) == 1, (python, [str(r) for r in applying])
        (requirement,) = applying
        for version in allowed:
            assert requirement.specifier.contains(version), (python, version)
        for version in refused:
            assert not requirement.specifier.contains(version), (python, version)
            assert runtime_problem((3, 11, 2), "cpython", version) is not None


def test_check_runtime_passes_on_the_interpreter_running_the_tests() -> None:
    # The suite runs on the .venv scripts/setup builds: CPython 3.12, or 3.11 with PySide6 < 6.12.
    check_runtime()


def test_check_runtime_raises_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("desktop.pyguard.installed_pyside_version", lambda: "6.12.0")
    monkeypatch.setattr("desktop.pyguard.sys.version_info", (3, 11, 7, "final", 0))
    with pytest.raises(UnsupportedRuntime, match="none_dealloc"):
        check_runtime()


def test_version_flag_prints_the_installed_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "agentdesk 0.1.0"


def test_the_app_refuses_to_start_on_cpython_311_with_pyside_612(tmp_path: Path) -> None:
    """The entry point itself, with PySide6 6.12.0's metadata found first: on CPython 3.11
    it exits 2 saying why before loading Qt; on 3.12 it starts."""
    dist_info = tmp_path / "PySide6_Essentials-6.12.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: PySide6-Essentials\nVersion: 6.12.0\n", encoding="utf-8"
    )
    path = os.pathsep.join([str(tmp_path), str(ROOT), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=60,
        check=False,
    )
    if sys.version_info[:2] == (3, 11):
        assert result.returncode == 2, result.stdout
        assert "none_dealloc" in result.stderr and "PySide6 6.12.0" in result.stderr
        assert "below 6.12" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "agentdesk 0.1.0"


_VOID_CALLS_SCRIPT = textwrap.dedent(
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QWidget

    app = QApplication([])
    label = QLabel()
    widget = QWidget()
    timer = QTimer()
    for i in range(20_000):
        label.setText(str(i))
        widget.update()
        timer.setInterval(i % 1000 + 1)
    app.processEvents()
    print("survived", flush=True)
    """
)


def test_void_returning_qt_calls_do_not_abort_the_interpreter() -> None:
    """PySide6 6.12 on CPython 3.11 aborts here with "Fatal Python error: none_dealloc"."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", _VOID_CALLS_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout.strip() == "survived"

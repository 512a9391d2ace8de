"""What the desktop's recorder link runs: the worker's command line from the ``[recorder]``
settings, and whether there is a display to record."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from desktop.settings import RecorderSection


@dataclass(frozen=True)
class LinkOptions:
    """How to run the worker, and the desktop-side settings (wrap-up, back-off)."""

    out_dir: Path
    display: str | None = None
    fps: float = 5.0
    preroll_s: float = 5.0
    wrapup_s: float = 30.0
    mask_titles: tuple[str, ...] = ()
    policy: str = "all"
    sample_percent: float = 100.0
    off_agents: tuple[str, ...] = ()
    off_queues: tuple[str, ...] = ()
    agent: str = ""  # the operator, for the agent rules of the policy
    queue_header: str = "x-queue"  # the INVITE header naming the queue
    backoff_s: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
    stable_s: float = 60.0  # a worker that captured this long resets the back-off
    extra_args: tuple[str, ...] = ()

    def command(self) -> list[str]:
        args = [sys.executable, "-m", "recorder.worker", "--out", str(self.out_dir)]
        args += ["--fps", f"{self.fps:g}", "--preroll", f"{self.preroll_s:g}"]
        args += ["--policy", self.policy, "--sample-percent", f"{self.sample_percent:g}"]
        for flag, values in (
            ("--mask-title", self.mask_titles),
            ("--off-agent", self.off_agents),
            ("--off-queue", self.off_queues),
        ):
            for value in values:
                args += [flag, value]
        if self.display:
            args += ["--display", self.display]
        return [*args, *self.extra_args]


def display_available(display: str | None) -> tuple[bool, str]:
    """Whether an X display to record is there; else why not (for the settings note)."""
    if not sys.platform.startswith("linux"):
        return False, "the screen recorder captures X11 displays only (Linux)"
    if not display:
        return False, "no X display (DISPLAY is not set)"
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local and not Path(f"/tmp/.X11-unix/X{local.group(1)}").exists():
        return False, f"X display {display} is not running"
    return True, ""


def options_from_settings(
    section: RecorderSection, *, demo: bool, agent: str, display: str | None
) -> tuple[LinkOptions | None, str]:
    """The worker's options, or None and why the screen is not recorded (a settings note)."""
    ok, why = display_available(display)
    if section.enabled is None and not demo:
        return None, "screen recording is off (set [recorder] enabled = true to record)"
    if section.enabled is None and not ok:
        return None, f"screen recording is off in the demo: {why}"
    if section.enabled is False:
        return None, "screen recording is off ([recorder] enabled = false)"
    if not ok:
        return None, f"screen recording is enabled but cannot run: {why}"
    if section.out_dir:
        out_dir = Path(section.out_dir).expanduser()
    else:
        data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
        out_dir = Path(data or Path.home() / ".local" / "share") / "agentdesk" / "recordings"
    options = LinkOptions(
        out_dir=out_dir,
        display=display,
        fps=section.fps,
        preroll_s=section.preroll_s,
        wrapup_s=section.wrapup_s,
        mask_titles=section.mask_titles,
        policy=section.policy,
        sample_percent=section.sample_percent,
        off_agents=section.off_agents,
        off_queues=section.off_queues,
        agent=agent,
    )
    return options, ""

"""Debian's Chromium, headless, driven through its chromedriver by Selenium (the console's
browser tests). Media autoplay is allowed (the tests press play through scripts, not fingers)
and the sound goes to a fake output that still runs at real time."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


class Chromium:
    """One headless browser; `driver` is the Selenium WebDriver."""

    def __init__(self, profile: Path, lang: str = "en-US", width: int = 1366, height: int = 900):
        self.profile = profile
        self.lang = lang
        self.size = (width, height)
        self.driver: Any = None

    def start(self) -> Any:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in (
            "--headless=new",
            "--no-sandbox",  # root in a container
            "--disable-dev-shm-usage",
            "--disable-gpu",
            f"--window-size={self.size[0]},{self.size[1]}",
            f"--user-data-dir={self.profile}",
            f"--lang={self.lang}",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-background-media-suspend",
            "--disable-renderer-backgrounding",
            "--disable-background-timer-throttling",
            "--disable-features=Translate,MediaRouter",
            "--no-first-run",
            "--password-store=basic",
        ):
            options.add_argument(arg)
        options.add_experimental_option("prefs", {"intl.accept_languages": self.lang})
        service = Service(executable_path=CHROMEDRIVER)
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(30)
        self.driver.set_script_timeout(30)
        return self.driver

    def stop(self) -> None:
        if self.driver is not None:
            try:
                self.driver.quit()
            finally:
                self.driver = None
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def sign_in(driver: Any, base_url: str, name: str, password: str) -> None:
    """Fill in and send the web console's sign-in form (where it leads is the caller's to
    wait for)."""
    driver.get(f"{base_url}/login")
    driver.find_element("id", "name").send_keys(name)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("id", "sign-in").click()


def signed_in(driver: Any, base_url: str, name: str, password: str, timeout_s: float = 15) -> None:
    """Sign in and wait until the console has left the sign-in page (the session cookie is set
    then): the next ``driver.get`` is a signed-in request."""
    sign_in(driver, base_url, name, password)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if driver.execute_script("return location.pathname") != "/login":
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} was not signed in: the console stayed on its sign-in page")

"""Browser tests: headless Chromium (Debian's) drives `sweetspot demo` through its development LMS.

The demo runs once per module on its own data directory (SQLite, as a newcomer runs it). Every page a
test reaches is checked with axe-core for WCAG 2.1 AA violations and saved as a screenshot under
test-artifacts/screenshots/. Without Chromium the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, FrameLocator, Page, sync_playwright

from tests.e2e.conftest import free_port_pair

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SWEETSPOT = str(Path(sys.executable).with_name("sweetspot"))
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@dataclass(frozen=True)
class Demo:
    """A running `sweetspot demo`: Sweetspot's URL, its LMS's URL and its data directory."""

    tool: str
    lms: str
    data_dir: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`sweetspot demo` on free ports, on a data directory of its own."""
    yield from run_demo(tmp_path_factory, "127.0.0.1")


def run_demo(tmp_path_factory: pytest.TempPathFactory, lms_host: str) -> Iterator[Demo]:
    """Start `sweetspot demo --lms-host LMS_HOST`, yield it once it is ready, and stop it."""
    data_dir = tmp_path_factory.mktemp("browser-demo")
    port = free_port_pair()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SWEETSPOT_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env["SWEETSPOT_DATA_DIR"] = str(data_dir / "instance")
    with (data_dir / "demo.log").open("wb") as log:
        process = subprocess.Popen(
            [SWEETSPOT, "demo", "--port", str(port), "--lms-host", lms_host],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while "Stop with Ctrl+C." not in (data_dir / "demo.log").read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail((data_dir / "demo.log").read_text(errors="replace"))
            time.sleep(0.5)
        yield Demo(f"http://127.0.0.1:{port}", f"http://{lms_host}:{port + 1}", data_dir / "instance")
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Headless Chromium from the system's packages."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser profile (cookies and storage of its own) and a page in it."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


def launch(page: Page, demo: Demo, person: str) -> FrameLocator:
    """Open the demo course in the LMS and click 'Launch as PERSON'; the tool opens in the LMS's frame."""
    page.goto(f"{demo.lms}/courses/1")
    page.get_by_role("button", name=f"Launch as {person}").first.click()
    frame = page.frame_locator("#tool-frame")
    frame.locator("nav").wait_for(timeout=30_000)
    return frame


def tool_frame(page: Page) -> object:
    """The Frame object of the tool (for axe and screenshots of the tool's own page)."""
    return next(f for f in page.frames if f.name == "tool-frame")


def check(page: Page, name: str) -> None:
    """Save a screenshot of the page and of the tool's frame, and fail on any WCAG 2.1 AA violation in the tool."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    frame = next(f for f in page.frames if f.name == "tool-frame")
    frame.wait_for_load_state()
    results = Axe().run(frame, options=WCAG_AA)  # type: ignore[arg-type]
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in results.response["violations"]]
    assert violations == [], f"{name}: {violations}"

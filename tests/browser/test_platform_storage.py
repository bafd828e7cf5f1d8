"""A launch inside the LMS's frame on another site, in a browser that blocks third-party cookies.

The development LMS is served at `localhost` and Sweetspot at `127.0.0.1`, two sites, so Sweetspot's
frame is a third-party context, and Chromium runs with third-party cookies blocked: the launch can only
complete through the platform's storage (lti.put_data / lti.get_data), and the pages only work if their
session needs no cookie.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import CHROMIUM, Demo, check, launch, run_demo, tool_frame


@pytest.fixture(scope="module")
def cross_site_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo with its LMS on another site than Sweetspot."""
    yield from run_demo(tmp_path_factory, "localhost")


@pytest.fixture
def cookieless_page(chromium: Browser) -> Iterator[Page]:
    """A page in a Chromium that blocks third-party cookies."""
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--test-third-party-cookie-phaseout"],
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    yield context.new_page()
    context.close()
    browser.close()


def test_a_learner_launches_through_platform_storage_and_saves_the_agenda_without_cookies(
    cookieless_page: Page, cross_site_demo: Demo
) -> None:
    page = cookieless_page
    frame = launch(page, cross_site_demo, "Dev Patel")
    expect(frame.get_by_role("heading", name="My roadmap")).to_be_visible()
    assert "ss=" in tool_frame(page).url  # type: ignore[attr-defined]
    check(page, "learner-roadmap-platform-storage")
    frame.get_by_role("link", name="My agenda").click()
    expect(frame.get_by_role("heading", name="My growth agenda")).to_be_visible()
    frame.get_by_role("group", name="Testing").get_by_label("top priority").check()
    frame.get_by_label("Hours a week you can give to learning").fill("5")
    frame.get_by_role("button", name="Save and plan my roadmap").click()
    expect(frame.get_by_text("Your agenda is saved and your roadmap re-planned.")).to_be_visible()
    expect(frame.get_by_text("Testing in practice").first).to_be_visible()
    assert page.context.cookies(cross_site_demo.tool) == []  # Sweetspot kept no cookie at all

"""Learners, managers and admins use Sweetspot inside the development LMS's frame, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from lti_tool.registrations import deployment_seen_at_launch, registrations_of
from sweetspot.runtime import bootstrap
from sweetspot.settings import Settings
from tests.browser.conftest import Demo, check, launch


def test_a_learner_launched_in_the_lms_frame_fills_the_agenda_and_sees_the_roadmap(page: Page, demo: Demo) -> None:
    frame = launch(page, demo, "Dev Patel")
    expect(frame.get_by_role("heading", name="My roadmap")).to_be_visible()
    check(page, "learner-roadmap")
    frame.get_by_role("link", name="My agenda").click()
    expect(frame.get_by_role("heading", name="My growth agenda")).to_be_visible()
    check(page, "learner-agenda")
    testing = frame.get_by_role("group", name="Testing")
    testing.get_by_label("top priority").check()
    frame.get_by_label("Hours a week you can give to learning").fill("4")
    frame.get_by_role("button", name="Save and plan my roadmap").click()
    expect(frame.get_by_text("Your agenda is saved and your roadmap re-planned.")).to_be_visible()
    expect(frame.get_by_text("Testing in practice").first).to_be_visible()
    check(page, "learner-roadmap-replanned")


def test_the_agenda_form_works_by_keyboard_alone(page: Page, demo: Demo) -> None:
    frame = launch(page, demo, "Eva Novak")
    frame.get_by_role("link", name="My agenda").focus()
    page.keyboard.press("Enter")
    hours = frame.get_by_label("Hours a week you can give to learning")
    hours.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(frame.get_by_text("Your agenda is saved and your roadmap re-planned.")).to_be_visible()


def test_a_manager_sees_the_team_opens_a_flag_and_acknowledges_it(page: Page, demo: Demo) -> None:
    frame = launch(page, demo, "Maya Stone")
    expect(frame.get_by_role("heading", level=1, name=re.compile("the team"))).to_be_visible()
    check(page, "manager-team")
    frame.get_by_role("link", name="Dev Patel").click()
    flag = frame.locator("section.flag", has_text="Never started").first
    expect(flag).to_be_visible()
    expect(flag.get_by_text("Suggested conversation")).to_be_visible()
    check(page, "manager-learner")
    flag.get_by_label("Note").fill("Asked Dev what would help him start.")
    flag.get_by_role("button", name="Acknowledge").click()
    expect(frame.get_by_text("Flag acknowledged.")).to_be_visible()
    frame.get_by_role("link", name="Team", exact=True).click()
    frame.get_by_role("link", name="What the organisation needs in this course").click()
    expect(frame.get_by_role("heading", name="What the organisation needs in this course")).to_be_visible()
    check(page, "manager-org-agenda")
    frame.get_by_label("The agenda for another role").fill("Data engineer")
    frame.get_by_role("button", name="Open").click()
    heading = "What the organisation needs in this course of the role Data engineer"
    expect(frame.get_by_role("heading", name=heading)).to_be_visible()
    expect(frame.get_by_role("radio", name="As for the whole course").first).to_be_checked()
    check(page, "manager-org-agenda-role")


def test_an_admin_creates_an_xapi_credential_and_activates_a_deployment(page: Page, demo: Demo) -> None:
    runtime = bootstrap(Settings(data_dir=demo.data_dir))
    with runtime.unit_of_work() as uow:
        registration = registrations_of(uow, 1)[0]
        deployment_seen_at_launch(uow, registration, "course-42")
        uow.commit()
    runtime.close()
    frame = launch(page, demo, "Ines Admin")
    expect(frame.get_by_role("heading", name="Administration")).to_be_visible()
    row = frame.get_by_role("row", name=re.compile("course-42"))
    expect(row.get_by_text("pending")).to_be_visible()
    check(page, "admin")
    row.get_by_role("button", name="Activate").click()
    expect(frame.get_by_text("Deployment course-42 is active.")).to_be_visible()
    frame.get_by_label("Who will use it").fill("Moodle logstore_xapi")
    frame.get_by_role("button", name="Create credential").click()
    expect(frame.get_by_text("Copy the secret now")).to_be_visible()
    check(page, "admin-credential")


def test_an_admin_previews_stall_rule_settings_then_saves_them(page: Page, demo: Demo) -> None:
    frame = launch(page, demo, "Ines Admin")
    frame.get_by_role("link", name=re.compile("Change the settings")).click()
    expect(frame.get_by_role("heading", name="Stall rules and planning settings")).to_be_visible()
    check(page, "admin-settings")
    frame.get_by_label("Never started: days").fill("60")
    frame.get_by_role("button", name="Preview").click()
    # The demo's embedded job worker sweeps for the preview; the page reloads itself until it is there.
    expect(frame.get_by_role("region", name="Preview: working it out")).to_be_visible()
    preview = frame.get_by_role("region", name=re.compile("Preview: learners each rule would flag on"))
    expect(preview.get_by_role("row", name=re.compile("Never started"))).to_be_visible(timeout=20_000)
    expect(frame.get_by_label("Never started: days")).to_have_value("60")
    check(page, "admin-settings-preview")
    tall = page.evaluate("parseInt(document.getElementById('tool-frame').style.height, 10)")
    frame.get_by_label("Gone quiet: days").fill("0")
    frame.get_by_role("button", name="Save").click()
    expect(frame.get_by_role("alert")).to_contain_text("Nothing was saved: 1 setting needs a change.")
    check(page, "admin-settings-refused")
    frame.get_by_label("Gone quiet: days").fill("21")
    frame.get_by_role("button", name="Save").click()
    expect(frame.get_by_text("The settings are saved as version 1; the next sweep uses them.")).to_be_visible()
    # The page without the preview is shorter, and the frame shrinks to it (lti.frameResize both ways).
    page.wait_for_function(f"parseInt(document.getElementById('tool-frame').style.height, 10) < {tall}")


def test_pages_fit_a_320_pixel_wide_frame_without_horizontal_scrolling(page: Page, demo: Demo) -> None:
    launch(page, demo, "Maya Stone")
    page.set_viewport_size({"width": 320, "height": 800})
    for path in ("/app/team", "/app/org-agenda"):
        page.goto(demo.tool + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at 320 px"

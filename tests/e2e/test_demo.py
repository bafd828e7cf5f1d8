"""`sweetspot demo` as a newcomer meets it: the development LMS's course, launches into Sweetspot from it,
and the gradebook's momentum column that Sweetspot filled over AGS, all over real HTTP."""

from __future__ import annotations

import re
import time

import requests

from dev_lms import Browser, forms_in
from tests.e2e.conftest import Launcher, free_port_pair


def launch_from_the_course_page(lms: str, person: str) -> requests.Response:
    """Click 'Launch as PERSON' on the course page, then do what the launch page's frame does."""
    browser = Browser()
    course = browser.session.get(f"{lms}/courses/1", timeout=30).text
    button = re.search(r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="person_id" value="(\d+)">'
                       r'\s*<input type="hidden" name="link_id" value="([^"]+)">\s*<button type="submit">Launch as '
                       + re.escape(person), course)  # fmt: skip
    assert button, f"no launch button for {person}"
    page = browser.session.post(
        lms + button.group(1), data={"person_id": button.group(2), "link_id": button.group(3)}, timeout=30
    )
    initiation = next(form for form in forms_in(page.text) if "login_hint" in form.fields)
    authentication = browser.submit(initiation)  # the tool redirects to the platform's authorization endpoint
    (id_token_form,) = forms_in(authentication.text)
    return browser.submit(id_token_form)  # the tool records the launch and opens its pages


def test_the_demo_registers_sweetspot_in_its_lms_and_every_role_can_click_through(launcher: Launcher) -> None:
    port = free_port_pair()
    demo = launcher.start("demo", "--port", str(port))
    deadline = time.monotonic() + 180
    while "Stop with Ctrl+C." not in demo.output:
        assert demo.popen.poll() is None, demo.output
        assert time.monotonic() < deadline, demo.output
        time.sleep(0.5)
    lms = f"http://127.0.0.1:{port + 1}"

    learner = launch_from_the_course_page(lms, "Ana Diaz")
    assert learner.status_code == 200 and learner.url.endswith("/app/roadmap"), learner.text[:500]
    assert "My roadmap" in learner.text and "Python for engineers" in learner.text

    manager = launch_from_the_course_page(lms, "Maya Stone")
    assert manager.url.endswith("/app/team")
    for name in ("Ana Diaz", "Ben Okafor", "Chloé Martin", "Dev Patel", "Eva Novak", "Femi Adeyemi"):
        assert name in manager.text
    assert "never started" in manager.text and "uphill avoidance" in manager.text

    admin = launch_from_the_course_page(lms, "Ines Admin")
    assert admin.url.endswith("/app/admin/")
    assert "Platforms and deployments" in admin.text

    gradebook = requests.get(f"{lms}/courses/1/gradebook", timeout=30).text
    assert "Learning momentum" in gradebook
    assert "Open flags" in gradebook or "No open flags" in gradebook


def test_a_manager_places_sweetspot_in_the_course_through_deep_linking(launcher: Launcher) -> None:
    port = free_port_pair()
    demo = launcher.start("demo", "--port", str(port))
    deadline = time.monotonic() + 180
    while "Stop with Ctrl+C." not in demo.output:
        assert demo.popen.poll() is None, demo.output
        assert time.monotonic() < deadline, demo.output
        time.sleep(0.5)
    lms = f"http://127.0.0.1:{port + 1}"
    browser = Browser()
    course = browser.session.get(f"{lms}/courses/1", timeout=30).text
    add = next(form for form in forms_in(course) if "client_id" in form.fields)
    add.action = lms + add.action
    add.fields["person_id"] = re.search(r'<option value="(\d+)">Maya Stone</option>', course).group(1)  # type: ignore[union-attr]
    page = browser.submit(add)
    initiation = next(form for form in forms_in(page.text) if "login_hint" in form.fields)
    (id_token_form,) = forms_in(browser.submit(initiation).text)
    picker = browser.submit(id_token_form)
    assert picker.url.endswith("/app/deep-link"), picker.text[:500]
    token = re.search(r'name="csrf_token" value="([^"]+)"', picker.text).group(1)  # type: ignore[union-attr]
    returned = browser.session.post(picker.url, data={"csrf_token": token, "place": ["roadmap", "team"]}, timeout=30)
    (response_form,) = forms_in(returned.text)
    done = browser.submit(response_form)
    assert "Deep linking done" in done.text, done.text[:1000]
    assert "My learning roadmap" in done.text and "Team learning dashboard" in done.text

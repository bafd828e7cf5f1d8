"""End to end over real HTTP: a pylti1p3 tool registers, launches, deep-links and uses AGS and NRPS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.contrib.flask import FlaskServiceConnector
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService

from dev_lms import DevLms, DevLmsError, serve_in_thread
from dev_lms import vocabulary as v
from dev_lms.browser import Browser, forms_in, only_form
from tests.dev_lms.conftest import LateApp
from tests.dev_lms.pylti_tool import ToolState, create_tool


@pytest.fixture
def tool(new_pem: Callable[[], str]) -> Iterator[ToolState]:
    """The pylti1p3 tool, served on a free port."""
    late = LateApp()
    server = serve_in_thread(late)
    state = ToolState(f"http://127.0.0.1:{server.port}", new_pem())
    late.app = create_tool(state)
    yield state
    server.stop()


def test_a_pylti1p3_tool_registers_launches_deep_links_and_uses_ags_and_nrps(lms: DevLms, tool: ToolState) -> None:
    registration = lms.register_tool_dynamically(tool.base_url + "/register")
    assert tool.registrations[lms.issuer]["client_id"] == registration.client_id
    assert tool.registrations[lms.issuer]["deployment_ids"] == [registration.deployment_id]

    course = lms.add_course("course-e2e", "Leading teams", "LEAD-1")
    manager = lms.add_person(course, "Maya Manager", "maya@example.com", [v.INSTRUCTOR])
    ana = lms.add_person(course, "Ana Learner", "ana@example.com", [v.LEARNER])
    ben = lms.add_person(course, "Ben Learner", "ben@example.com", [v.LEARNER])

    # Deep linking: the manager adds the tool; pylti1p3 signs the response, the platform creates the link.
    browser = Browser()
    deep_link_page = browser.launch(lms.deep_linking_form(manager, course, registration.client_id))
    assert deep_link_page.status_code == 200, deep_link_page.text
    dl_form = only_form(deep_link_page.text)
    assert dl_form.action == lms.deep_link_return_url
    done = browser.submit(dl_form)
    assert done.status_code == 200, done.text
    [link] = lms.resource_links(course)
    assert link.title == "Momentum"
    [line_item] = lms.line_items(course)
    assert (line_item.label, line_item.score_maximum, line_item.tag) == ("Learning momentum", 100.0, "momentum")

    # A learner's launch, POST and GET login initiations alike.
    for method in ("POST", "GET"):
        response = Browser().launch(lms.launch_form(ana, link, method=method))
        assert response.status_code == 200, response.text
        assert response.json() == {"sub": ana.user_id, "roles": [v.LEARNER]}
    # The same launch started from the course page's "Launch as" button, in the platform's frame.
    page = requests.post(lms.url(f"/courses/{course.id}/launch"), data={"person_id": ben.id, "link_id": link.id})
    [button_form] = forms_in(page.text)
    assert button_form.target == "tool-frame"
    framed = Browser()
    authentication = framed.submit(button_form)
    response = framed.submit(only_form(authentication.text))
    assert response.json() == {"sub": ben.user_id, "roles": [v.LEARNER]}
    launch = next(data for data in tool.launches if data["sub"] == ana.user_id)
    assert launch[v.RESOURCE_LINK]["id"] == link.id
    assert launch[v.CUSTOM] == {"placement": "momentum"}
    assert launch[v.AGS_ENDPOINT]["lineitem"] == lms.lineitem_url(course.id, line_item.id)
    assert launch["email"] == "ana@example.com"

    # Services through pylti1p3: a client-credentials token, an AGS score, an NRPS roster read.
    registration_of_tool = tool.tool_conf().find_registration_by_params(lms.issuer, registration.client_id)
    connector = FlaskServiceConnector(registration_of_tool)
    ags = AssignmentsGradesService(connector, launch[v.AGS_ENDPOINT])
    grade = (
        Grade()
        .set_score_given(72)
        .set_score_maximum(100)
        .set_user_id(ana.user_id)
        .set_activity_progress("InProgress")
        .set_grading_progress("FullyGraded")
        .set_timestamp(datetime.now(UTC).isoformat())
        .set_comment("Steady progress on the roadmap")
    )
    ags.put_grade(grade)
    # A second column found or created by tag, the way a tool adds one per context.
    ags.put_grade(
        Grade()
        .set_score_given(3)
        .set_score_maximum(5)
        .set_user_id(ben.user_id)
        .set_activity_progress("Started")
        .set_grading_progress("Pending")
        .set_timestamp(datetime.now(UTC).isoformat()),
        LineItem().set_label("Stall flags").set_score_maximum(5).set_tag("flags"),
    )
    scores = {(s.line_item_label, s.user_id): s for s in lms.scores(course)}
    assert scores["Learning momentum", ana.user_id].score_given == 72
    assert scores["Learning momentum", ana.user_id].comment == "Steady progress on the roadmap"
    assert scores["Stall flags", ben.user_id].score_given == 3
    assert [grade["resultScore"] for grade in ags.get_grades()] == [72]

    nrps = NamesRolesProvisioningService(connector, launch[v.NRPS_SERVICE])
    members = nrps.get_members()
    assert {(m["user_id"], m["status"]) for m in members} == {
        (manager.user_id, "Active"),
        (ana.user_id, "Active"),
        (ben.user_id, "Active"),
    }
    assert {m["name"] for m in members} == {"Maya Manager", "Ana Learner", "Ben Learner"}

    # The platform logged every service call the tool made.
    assert {call.status for call in lms.recent_calls()} <= {200, 201, 204}
    assert len(lms.recent_calls()) >= 5


def test_a_pylti1p3_tool_registers_through_the_admin_pages_frame(lms: DevLms, tool: ToolState) -> None:
    page = requests.post(lms.url("/admin/tools/register"), data={"registration_url": tool.base_url + "/register"})
    frame_url = page.text.split('src="')[1].split('"')[0].replace("&amp;", "&")
    closing = requests.get(frame_url)
    assert "org.imsglobal.lti.close" in closing.text
    [registered] = lms.tools()
    assert tool.registrations[lms.issuer]["client_id"] == registered.client_id
    assert registered.name == "pylti1p3 test tool"
    assert registered.registered_by == "dynamic"


def test_a_tool_that_asks_the_admin_to_confirm_registers_when_confirmed(lms: DevLms, tool: ToolState) -> None:
    with pytest.raises(DevLmsError, match="did not register"):
        lms.register_tool_dynamically(tool.base_url + "/register-confirm")
    registration = lms.register_tool_dynamically(tool.base_url + "/register-confirm", confirm=True)
    assert tool.registrations[lms.issuer]["client_id"] == registration.client_id

"""The platform's pages: course home with launch buttons, the launch frame, gradebook, tools, the demo cast."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from dev_lms import DevLms, DevLmsError, LineItemSpec
from dev_lms import vocabulary as v
from dev_lms.browser import forms_in
from dev_lms.demo import LEARNERS, seed_demo_cast
from tests.dev_lms.conftest import Cast, Tool
from tests.dev_lms.test_services import bearer, path, post_score, score


def test_the_course_page_has_a_launch_button_for_each_person_and_placement(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast
) -> None:
    assert "No tool is placed" in client.get(f"/courses/{cast.course.id}").text
    lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    page = client.get(f"/courses/{cast.course.id}").text
    assert "Launch as Ana Diaz (Learner)" in page
    assert "Launch as Maya Stone (Instructor)" in page
    assert "Launch as Rui Costa (Mentor)" in page
    assert "Add Key-only tool to the course" in page
    lms.deactivate_member(cast.course, cast.ben)
    assert "Launch as Ben Okafor" not in client.get(f"/courses/{cast.course.id}").text
    assert client.get("/courses/999").status_code == 404


def test_a_launch_shows_the_tool_in_a_frame_that_answers_platform_storage(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast
) -> None:
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    page = client.post(f"/courses/{cast.course.id}/launch", data={"person_id": cast.ana.id, "link_id": link.id}).text
    [form] = forms_in(page)
    assert (form.action, form.method, form.target) == (tool.keys.base_url + "/login", "POST", "tool-frame")
    assert form.fields["login_hint"] == cast.ana.user_id
    assert form.fields["lti_storage_target"] == "_parent"
    assert 'name="tool-frame"' in page
    for subject in ("lti.put_data", "lti.get_data", "lti.frameResize", "lti.capabilities"):
        assert subject in page
    assert f'var toolOrigin = "{tool.keys.base_url}"' in page

    in_window = client.post(
        f"/courses/{cast.course.id}/launch",
        data={"person_id": cast.ana.id, "link_id": link.id, "target": "window", "method": "GET"},
    ).text
    [window_form] = forms_in(in_window)
    assert (window_form.method, window_form.target) == ("GET", "_blank")
    assert "tool-frame" not in in_window
    refused = client.post(f"/courses/{cast.course.id}/launch", data={"person_id": "0", "link_id": link.id})
    assert refused.status_code == 400


def test_the_deep_linking_action_starts_a_deep_linking_login(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast
) -> None:
    page = client.post(
        f"/courses/{cast.course.id}/deep-linking", data={"person_id": cast.instructor.id, "client_id": tool.client_id}
    ).text
    [form] = forms_in(page)
    assert form.fields["target_link_uri"] == tool.keys.base_url + "/deep-link"
    learner = client.post(
        f"/courses/{cast.course.id}/deep-linking", data={"person_id": cast.ana.id, "client_id": tool.client_id}
    )
    assert learner.status_code == 400
    assert "instructor or administrator" in learner.text


def test_the_gradebook_shows_each_learners_score_and_comment(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast
) -> None:
    assert "No line items yet" in client.get(f"/courses/{cast.course.id}/gradebook").text
    lms.add_resource_link(cast.course, tool.client_id, "Sweetspot", line_item=LineItemSpec("Learning momentum", 100))
    [item] = lms.line_items(cast.course)
    body = score(cast.ana.user_id, scoreGiven=64, scoreMaximum=100, comment="Gone quiet for two weeks")
    body["timestamp"] = datetime.now(UTC).isoformat()
    post_score(client, path(lms.lineitem_url(cast.course.id, item.id)), bearer(lms, client, tool), body)
    page = client.get(f"/courses/{cast.course.id}/gradebook").text
    assert "Learning momentum" in page
    assert "<strong>64.0</strong> / 100.0" in page
    assert "Gone quiet for two weeks" in page
    assert "Ben Okafor" in page
    assert "Maya Stone" not in page  # the gradebook lists learners only
    [book_row] = [row for row in lms.gradebook(cast.course).rows if row["person"].id == cast.ana.id]
    assert book_row["cells"][0].score_given == 64


def test_the_tools_pages_register_by_hand_and_open_dynamic_registration(lms: DevLms, client: FlaskClient) -> None:
    page = client.get("/admin/tools").text
    assert lms.token_url in page
    registered = client.post(
        "/admin/tools/manual",
        data={
            "name": "Typed tool",
            "initiate_login_uri": "https://tool.example.com/login",
            "redirect_uris": "https://tool.example.com/launch\nhttps://tool.example.com/launch2",
            "jwks_uri": "https://tool.example.com/jwks",
            "target_link_uri": "https://tool.example.com/launch",
        },
        follow_redirects=True,
    )
    assert "Registered: client_id" in registered.text
    [tool] = lms.tools()
    assert tool.redirect_uris == ["https://tool.example.com/launch", "https://tool.example.com/launch2"]
    bad = client.post("/admin/tools/manual", data={"name": "x", "initiate_login_uri": "nope"})
    assert bad.status_code == 400
    assert len(lms.tools()) == 1

    frame = client.post("/admin/tools/register", data={"registration_url": "https://tool.example.com/register"}).text
    src = frame.split('src="')[1].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(src).query)
    assert query["openid_configuration"] == [lms.openid_configuration_url]
    assert query["registration_token"][0]
    assert "org.imsglobal.lti.close" in frame
    assert client.post("/admin/tools/register", data={"registration_url": "relative"}).status_code == 400


def test_the_home_page_and_the_service_log_render(lms: DevLms, client: FlaskClient, cast: Cast) -> None:
    home = client.get("/").text
    assert "Leading teams" in home
    assert lms.jwks_url in home
    assert "No calls yet" in client.get("/admin/service-log").text


def test_the_demo_cast_is_seeded_once_with_every_role(lms: DevLms) -> None:
    cast = seed_demo_cast(lms)
    assert len(cast.learners) == 6 == len(LEARNERS)
    assert all(person.roles == (v.LEARNER,) for person in cast.learners)
    assert cast.manager.roles == (v.INSTRUCTOR,)
    assert cast.mentor.roles == (v.MENTOR,)
    assert v.INSTITUTION_ADMINISTRATOR in cast.admin.roles
    assert len(lms.people(cast.course)) == 9
    assert seed_demo_cast(lms) == cast
    assert len(lms.people(cast.course)) == 9


def test_a_person_can_be_enrolled_in_a_second_course_and_removed(lms: DevLms, cast: Cast) -> None:
    second = lms.add_course("course-2", "Coaching")
    lms.enrol(second, cast.ana, [v.INSTRUCTOR])
    assert [(p.user_id, p.roles) for p, _ in lms.people(second)] == [(cast.ana.user_id, (v.INSTRUCTOR,))]
    with pytest.raises(DevLmsError, match="already a member"):
        lms.enrol(second, cast.ana, [v.LEARNER])
    with pytest.raises(DevLmsError, match="full LTI role URI"):
        lms.enrol(second, cast.ben, ["Learner"])
    lms.remove_member(second, cast.ana)
    assert lms.people(second) == []
    lms.enrol(second, cast.ana, [v.LEARNER])
    assert [p.roles for p, _ in lms.people(second)] == [(v.LEARNER,)]

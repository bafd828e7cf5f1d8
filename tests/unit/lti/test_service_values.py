"""The values the LTI services derive: score comments and progress, NRPS members, service URLs."""

from __future__ import annotations

import pytest

from alignment.people import Role
from alignment.rules.stalls import StallRule
from lti_tool.grades import activity_progress_for, comment_for
from lti_tool.roster import parse_member
from lti_tool.services import ServiceError, with_path_suffix, with_query

ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def test_the_comment_names_open_flags_in_the_rules_order_as_one_sentence() -> None:
    assert comment_for([StallRule.BEHIND_PACE, StallRule.GONE_QUIET]) == "Open flags: gone quiet, behind pace."
    assert comment_for([StallRule.UPHILL_AVOIDANCE]) == "Open flags: uphill avoidance."
    assert comment_for([]) == "No open flags."


@pytest.mark.parametrize(
    ("progress", "active", "expected"),
    [
        (None, False, "Initialized"),
        (0.0, True, "Started"),
        (0.25, True, "InProgress"),
        (1.0, True, "Completed"),
    ],
)
def test_activity_progress_follows_the_roadmap_share_finished(
    progress: float | None, active: bool, expected: str
) -> None:
    parts = None if progress is None else [{"name": "recency", "value": 1.0}, {"name": "progress", "value": progress}]
    assert activity_progress_for(parts, active) == expected


def test_an_nrps_member_maps_learner_and_teaching_roles() -> None:
    teacher = parse_member(
        {"user_id": "u1", "roles": [ROLE + "Instructor", ROLE + "Learner"], "given_name": "Ada", "family_name": "Li"},
        "page",
    )
    assert teacher.roles == {Role.MANAGER, Role.LEARNER} and teacher.name == "Ada Li" and teacher.active
    designer = parse_member({"user_id": 7, "roles": ["ContentDeveloper"], "status": "Inactive"}, "page")
    assert designer.user_id == "7" and designer.roles == {Role.MANAGER} and not designer.active
    mentor = parse_member({"user_id": "u3", "roles": [ROLE + "Mentor"]}, "page")
    assert mentor.roles == frozenset()


def test_an_nrps_member_without_user_id_is_refused_naming_the_page() -> None:
    with pytest.raises(ServiceError, match="GET /m: a member has no user_id"):
        parse_member({"roles": []}, "GET /m")
    with pytest.raises(ServiceError, match="roles is not a list"):
        parse_member({"user_id": "u", "roles": "Learner"}, "GET /m")


def test_service_urls_keep_the_platforms_query() -> None:
    assert with_query("https://m.test/lineitems?type_id=2", tag="t") == "https://m.test/lineitems?type_id=2&tag=t"
    assert with_path_suffix("https://m.test/lineitems/5/lineitem?type_id=2", "/scores") == (
        "https://m.test/lineitems/5/lineitem/scores?type_id=2"
    )


@pytest.mark.parametrize(("status", "transient"), [(None, True), (503, True), (429, True), (400, False), (404, False)])
def test_only_unanswered_overloaded_or_failing_platforms_are_worth_retrying_soon(
    status: int | None, transient: bool
) -> None:
    assert ServiceError("x", status).transient is transient

"""Which Sweetspot pages an LTI role opens (LTI 1.3 Core §5.3.7 and Appendix A: role vocabularies)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"

MANAGING = {"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"}
ADMINISTERING = {"Administrator", "SysAdmin"}


class Audience(StrEnum):
    """Who the pages are for, from the most to the least powerful."""

    ADMIN = "admin"
    MANAGER = "manager"
    MENTOR = "mentor"
    LEARNER = "learner"


def audience_of(roles: Iterable[str], has_mentees: bool) -> Audience:
    """The most powerful audience the roles give; unknown roles and no roles give learner pages.

    Context roles may come as full URIs, as sub-roles (`membership/Instructor#TeachingAssistant`) or,
    deprecated but still sent by some platforms, as short names (`Instructor`). A Mentor reaches manager
    pages only with `role_scope_mentor` naming whom they mentor.
    """
    names = {_context_role(role) for role in roles}
    if any(role.startswith((INSTITUTION, SYSTEM)) and role.rsplit("#", 1)[-1] in ADMINISTERING for role in roles):
        return Audience.ADMIN
    if names & MANAGING:
        return Audience.MANAGER
    if "Mentor" in names and has_mentees:
        return Audience.MENTOR
    return Audience.LEARNER


def context_role_names(roles: Iterable[str]) -> set[str]:
    """The context roles (`Learner`, `Instructor`, …) among full, sub-role or short role names."""
    return {name for name in (_context_role(role) for role in roles) if name}


def _context_role(role: str) -> str | None:
    if role.startswith(MEMBERSHIP):
        return role[len(MEMBERSHIP) :]
    if role.startswith(MEMBERSHIP.removesuffix("#") + "/"):
        # A sub-role, e.g. membership/Instructor#TeachingAssistant: its fragment names it.
        return role.rsplit("#", 1)[-1]
    if "://" not in role and "#" not in role:
        return role
    return None

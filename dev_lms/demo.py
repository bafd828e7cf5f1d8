"""The demo cast: one course, a manager, six learners with different stories, a mentor and an admin.

`seed_demo_cast(lms)` is idempotent: on a platform that already has the demo course it returns the people
it finds there, so `sweetspot demo` can start again on the same directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from dev_lms import vocabulary as v
from dev_lms.platform import DevLms
from dev_lms.records import CourseRef, PersonRef

DEMO_CONTEXT_ID = "demo-course-1"
SYSTEM_ADMINISTRATOR = v.SYSTEM_ROLE + "Administrator"


@dataclass(frozen=True)
class DemoPerson:
    """Who a demo person is: their attributes, and the story their learning tells (for seeding agendas)."""

    name: str
    email: str
    roles: tuple[str, ...]
    years_in_role: str
    job_title: str
    story: str


MANAGER = DemoPerson(
    "Maya Stone", "maya.stone@example.com", (v.INSTRUCTOR,), "6", "Engineering manager", "runs the team"
)
LEARNERS = (
    DemoPerson(
        "Ana Diaz",
        "ana.diaz@example.com",
        (v.LEARNER,),
        "0.5",
        "Support engineer",
        "new in role, wants to grow in what the team needs: mostly sweet-spot items",
    ),
    DemoPerson(
        "Ben Okafor",
        "ben.okafor@example.com",
        (v.LEARNER,),
        "3",
        "Backend developer",
        "keen on skills the team does not need: gifts, and uphill items left untouched",
    ),
    DemoPerson(
        "Chloé Martin",
        "chloe.martin@example.com",
        (v.LEARNER,),
        "4.5",
        "Senior developer",
        "long in role, learning has slowed: a plateau after tenure",
    ),
    DemoPerson(
        "Dev Patel",
        "dev.patel@example.com",
        (v.LEARNER,),
        "1",
        "Developer",
        "set an agenda but never started anything",
    ),
    DemoPerson(
        "Eva Novak",
        "eva.novak@example.com",
        (v.LEARNER,),
        "2",
        "QA engineer",
        "learned weekly, then went quiet",
    ),
    DemoPerson(
        "Femi Adeyemi",
        "femi.adeyemi@example.com",
        (v.LEARNER,),
        "1.5",
        "Data analyst",
        "steady and on pace with a mandatory item due",
    ),
)
MENTOR = DemoPerson("Rui Costa", "rui.costa@example.com", (v.MENTOR,), "8", "Staff engineer", "mentors Ana and Dev")
ADMIN = DemoPerson(
    "Ines Admin",
    "ines.admin@example.com",
    (v.INSTITUTION_ADMINISTRATOR, SYSTEM_ADMINISTRATOR),
    "3",
    "Learning platform admin",
    "installs and configures the tool",
)


@dataclass(frozen=True)
class DemoCast:
    """The seeded course and its people."""

    course: CourseRef
    manager: PersonRef
    learners: tuple[PersonRef, ...]
    mentor: PersonRef
    admin: PersonRef

    @property
    def everyone(self) -> tuple[PersonRef, ...]:
        """Learners, then the manager, the mentor and the admin."""
        return (*self.learners, self.manager, self.mentor, self.admin)


def seed_demo_cast(lms: DevLms) -> DemoCast:
    """Create the demo course and people, or return them when they are already there."""
    existing = [course for course in lms.courses() if course.context_id == DEMO_CONTEXT_ID]
    if existing:
        course = existing[0]
        by_email = {person.email: person for person, _ in lms.people(course)}
        return DemoCast(
            course,
            by_email[MANAGER.email],
            tuple(by_email[learner.email] for learner in LEARNERS),
            by_email[MENTOR.email],
            by_email[ADMIN.email],
        )
    course = lms.add_course(DEMO_CONTEXT_ID, "Engineering team: growing together", "ENG-TEAM")

    def add(person: DemoPerson, mentees: tuple[str, ...] = ()) -> PersonRef:
        custom = {"years_in_role": person.years_in_role, "job_title": person.job_title}
        return lms.add_person(course, person.name, person.email, person.roles, custom=custom, role_scope_mentor=mentees)

    manager = add(MANAGER)
    learners = tuple(add(learner) for learner in LEARNERS)
    mentor = add(MENTOR, (learners[0].user_id, learners[3].user_id))
    admin = add(ADMIN)
    return DemoCast(course, manager, learners, mentor, admin)

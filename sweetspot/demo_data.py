"""The demo organisation: a skill catalogue, opportunities, agendas and eight weeks of xAPI activity.

Six learners tell six stories the stall rules should recognise: one grows in her sweet spot, one
learns only what the team does not need, one has plateaued after years in role, one never started,
one went quiet, and one is steady and on pace. Their statements are written to a JSON-lines file and
loaded the way `sweetspot xapi load` loads an LRS export, then handed to the alignment engine, so the
flags and momentum the demo shows come from the same path real data takes.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from alignment import sentences
from alignment.agendas import set_org_agenda, set_personal_agenda
from alignment.catalogue import create_skill, list_skills
from alignment.database import UnitOfWorkFactory
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.people import Role, join, upsert_context, upsert_person
from alignment.replanning import replan_context
from alignment.roadmaps import Trigger, latest_version
from xapi_listener.loading import load_file

ACTIVITIES = "https://learning.example.com/activities/"
VERB = "http://adlnet.gov/expapi/verbs/"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
STORIES = ("sweet_spot", "gifts_only", "plateau", "never_started", "gone_quiet", "steady")

SKILLS = {
    "Python": "Engineering", "SQL": "Engineering", "Testing": "Engineering", "Cloud infrastructure": "Engineering",
    "Secure coding": "Engineering", "Coaching": "Leadership", "Public speaking": "Leadership",
    "Data visualisation": "Data", "Spanish": "Languages", "Photography": "Craft",
}  # fmt: skip
OPPORTUNITIES = (
    ("python", "Python for engineers", "course", 8, "Python"),
    ("sql", "SQL performance tuning", "module", 4, "SQL"),
    ("secure", "Secure coding essentials", "course", 6, "Secure coding"),
    ("testing", "Testing in practice", "module", 5, "Testing"),
    ("cloud", "Cloud foundations", "course", 10, "Cloud infrastructure"),
    ("coaching", "Coaching conversations", "mentoring", 4, "Coaching"),
    ("speaking", "Presenting with confidence", "event", 3, "Public speaking"),
    ("dashboards", "Dashboards that tell a story", "module", 4, "Data visualisation"),
    ("spanish", "Spanish for beginners", "course", 12, "Spanish"),
    ("photography", "Photography basics", "reading", 3, "Photography"),
)
ORG_NEEDS = {
    "Python": (3, "Our services move to Python this year, and every engineer maintains them."),
    "Secure coding": (3, "We handle customer data: every engineer ships code that keeps it safe."),
    "Testing": (2, "Releases break less when we test first; it is how we get our Fridays back."),
    "Cloud infrastructure": (2, "We move to the cloud by the third quarter."),
    "SQL": (1, ""),
    "Coaching": (1, ""),
}
INTERESTS = {
    "sweet_spot": {"Python": 3, "Testing": 2, "Secure coding": 2, "Photography": 1},
    "gifts_only": {"Spanish": 3, "Photography": 3, "Public speaking": 2, "Python": 0, "Cloud infrastructure": 0},
    "plateau": {"Cloud infrastructure": 2, "Coaching": 3, "Python": 1},
    "never_started": {"Testing": 2, "Cloud infrastructure": 2},
    "gone_quiet": {"Testing": 3, "Python": 2, "Data visualisation": 2},
    "steady": {"Python": 2, "SQL": 2, "Secure coding": 2, "Data visualisation": 3},
}
ASPIRATIONS = {
    "sweet_spot": "Become the team's go-to person for our Python services.",
    "gifts_only": "Work from our office in Madrid one day.",
    "plateau": "Coach the newer engineers and move to cloud architecture.",
    "never_started": "Get better at testing.",
    "gone_quiet": "Lead our test automation.",
    "steady": "Build the team's dashboards and own our data quality.",
}


@dataclass(frozen=True)
class DemoLearner:
    """A learner of the development LMS's demo course, with the story their activity tells."""

    lms_user_id: str
    name: str
    email: str
    story: str


@dataclass(frozen=True)
class DemoStaff:
    """A manager of the demo course."""

    lms_user_id: str
    name: str
    email: str


def seed(
    unit_of_work: UnitOfWorkFactory,
    tenant_id: int,
    context: tuple[str, str],
    learners: list[DemoLearner],
    managers: list[DemoStaff],
    statements_file: Path,
    now: datetime,
) -> bool:
    """Fill the demo tenant once (False when it already has a catalogue); statements are then loaded."""
    with unit_of_work() as uow:
        if list_skills(uow, tenant_id):
            return False
        skills = {name: create_skill(uow, tenant_id, name, category).id for name, category in SKILLS.items()}
        opportunities = {
            key: create_opportunity(
                uow,
                tenant_id,
                OpportunityDraft(title, kind, hours, {skills[skill]: 1.0}, activity_ids=frozenset({ACTIVITIES + key})),
            ).id
            for key, title, kind, hours, skill in OPPORTUNITIES
        }
        started = now - timedelta(weeks=8)
        course = upsert_context(uow, tenant_id, *context)
        set_org_agenda(
            uow,
            tenant_id,
            course.id,
            {skills[name]: need for name, need in ORG_NEEDS.items()},
            {opportunities["secure"]: (now + timedelta(weeks=3)).date()},
            now=started - timedelta(days=1),
        )
        for staff in managers:
            person = upsert_person(uow, tenant_id, staff.lms_user_id, staff.name, staff.email)
            join(uow, course, person, Role.MANAGER, started - timedelta(days=1))
        for learner in learners:
            years = 4.5 if learner.story == "plateau" else 1.0
            person = upsert_person(
                uow, tenant_id, learner.lms_user_id, learner.name, learner.email,
                role_started_on=(now - timedelta(days=round(365.25 * years))).date(),
            )  # fmt: skip
            joined = now - timedelta(weeks=30) if learner.story == "plateau" else started - timedelta(days=1)
            join(uow, course, person, Role.LEARNER, joined)
            set_personal_agenda(
                uow,
                tenant_id,
                person.id,
                {skills[name]: level for name, level in INTERESTS[learner.story].items()},
                ASPIRATIONS[learner.story],
                weekly_hours=3.0 if learner.story == "steady" else 2.0,
                now=joined,
            )
        replan_context(uow, tenant_id, course.id, Trigger.FIRST, sentences.REPLAN_FIRST(), started)
        keys = {opportunity_id: key for key, opportunity_id in opportunities.items()}
        plans = {}
        for learner in learners:
            person = upsert_person(uow, tenant_id, learner.lms_user_id, learner.name, learner.email)
            version = latest_version(uow, tenant_id, person.id, course.id)
            items = version.plan.items if version else ()
            plans[learner.lms_user_id] = [(keys[i.opportunity_id], i.start, i.finish) for i in items]
        uow.commit()
    with statements_file.open("w") as out:
        for learner in learners:
            for statement in activity(learner, now, plans[learner.lms_user_id]):
                out.write(json.dumps(statement) + "\n")
    load_file(unit_of_work, tenant_id, statements_file)
    return True


def activity(learner: DemoLearner, now: datetime, plan: list[tuple[str, date, date]]) -> list[dict[str, Any]]:
    """The statements the learner's story produces, oldest first; on-pace stories follow their roadmap."""
    sessions: list[tuple[int, str, str, float | None]] = []  # days ago, activity, verb, progress
    match learner.story:
        case "sweet_spot" | "steady":
            sessions += _following(plan, now.date(), every_days=3 if learner.story == "steady" else 4)
        case "gifts_only":
            sessions += [(54 - 6 * n, "spanish", "experienced", 0.08 * (n + 1)) for n in range(9)]
            sessions += [(40, "photography", "experienced", 0.4), (20, "photography", "completed", 1.0)]
        case "plateau":
            sessions += [(200 - 4 * n, "cloud", "experienced", min(0.9, 0.05 * (n + 1))) for n in range(25)]
            sessions += [(70, "coaching", "experienced", 0.2)]
        case "gone_quiet":
            sessions += [(56 - 3 * n, "testing", "experienced", 0.08 * (n + 1)) for n in range(11)]
        case "steady":
            sessions += [(56 - 4 * n, "secure" if n < 6 else "python", "experienced", None) for n in range(14)]
            sessions += [
                (33, "secure", "completed", 1.0),
                (20, "sql", "experienced", 0.5),
                (8, "sql", "completed", 1.0),
            ]
    return [
        _statement(learner, now - timedelta(days=days, hours=9), key, verb, progress)
        for days, key, verb, progress in sorted(sessions, reverse=True)
    ]


def _following(
    plan: list[tuple[str, date, date]], today: date, every_days: int
) -> list[tuple[int, str, str, float | None]]:
    """Sessions that keep to the roadmap: every item due by now finished a day early, the current one under way."""
    sessions: list[tuple[int, str, str, float | None]] = []
    for key, start, finish in plan:
        if start >= today:
            break
        length = max((finish - start).days, 1)
        day = start
        while day < min(finish - timedelta(days=1), today):
            share = round(min(0.9, (day - start).days / length + 0.1), 2)
            sessions.append(((today - day).days, key, "experienced", share))
            day += timedelta(days=every_days)
        if finish <= today:
            sessions.append(((today - finish).days + 1, key, "completed", 1.0))
    return sessions


def _statement(learner: DemoLearner, when: datetime, key: str, verb: str, progress: float | None) -> dict[str, Any]:
    title = next(title for k, title, *_ in OPPORTUNITIES if k == key)
    statement: dict[str, Any] = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{learner.email}/{key}/{verb}/{when.isoformat()}")),
        "actor": {"objectType": "Agent", "name": learner.name, "mbox": f"mailto:{learner.email}"},
        "verb": {"id": VERB + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": ACTIVITIES + key, "definition": {"name": {"en-US": title}}},
        "timestamp": when.isoformat(),
    }
    if verb == "completed":
        statement["result"] = {"completion": True}
    elif progress is not None:
        statement["result"] = {"extensions": {CMI5_PROGRESS: round(progress * 100)}}
    return statement

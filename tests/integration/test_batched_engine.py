"""The batched paths of the engine give what the per-learner ones give, on the real database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alignment.agendas import set_org_agenda, set_personal_agenda
from alignment.events import record_events
from alignment.flags import StallFlag, flag_history, flags_of, reconcile, reconcile_context
from alignment.messages import verbatim
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.people import Role, join, upsert_context, upsert_person
from alignment.policies import set_policy
from alignment.rules.planning import Candidate, plan_roadmap
from alignment.rules.progress import COMPLETED, LearningEvent
from alignment.rules.quadrants import Thresholds, align
from alignment.rules.stalls import Finding, Severity, StallRule
from alignment.snapshots import learner_alignments, learner_plan, learner_progress, load_snapshot
from sweetspot.runtime import Runtime
from tests.integration.conftest import World

PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"


def finding(rule: StallRule, severity: Severity = Severity.MEDIUM, days: int = 20) -> Finding:
    return Finding(
        rule, severity, verbatim(f"{rule.label} for {days} days."), {"days": days}, verbatim("Talk to them.")
    )


def comparable(flags: list[StallFlag], people: dict[int, str]) -> list[tuple[object, ...]]:
    return sorted(
        (people[f.person_id], f.rule, f.status, f.severity, f.summary, str(f.evidence), f.action, f.resolved_at)
        for f in flags
    )


def test_reconciling_a_context_at_once_matches_reconciling_each_learner(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    now = datetime(2026, 5, 1, tzinfo=UTC)
    with runtime.unit_of_work() as uow:
        twin = upsert_context(uow, t, "course-101-twin", "The same course, reconciled one learner at a time")
        ana2 = upsert_person(uow, t, "u-ana-2", "Ana Alves")
        ben2 = upsert_person(uow, t, "u-ben-2", "Ben Brown")
        join(uow, twin, ana2, Role.LEARNER)
        join(uow, twin, ben2, Role.LEARNER)
        uow.commit()
    batched = {world.ana.id: "ana", world.ben.id: "ben"}
    single = {ana2.id: "ana", ben2.id: "ben"}
    rounds = [
        # Ana quiet and behind, Ben never started.
        {
            "ana": [finding(StallRule.GONE_QUIET), finding(StallRule.BEHIND_PACE)],
            "ben": [finding(StallRule.NEVER_STARTED)],
        },
        # Ana's quiet spell escalates and she catches up; Ben's evidence moves.
        {
            "ana": [finding(StallRule.GONE_QUIET, Severity.HIGH, 30)],
            "ben": [finding(StallRule.NEVER_STARTED, days=21)],
        },
        # Everything clears for Ana; Ben starts but goes uphill-avoiding.
        {"ana": [], "ben": [finding(StallRule.UPHILL_AVOIDANCE)]},
        # Ana quiet again: a new flag, not the cleared one.
        {"ana": [finding(StallRule.GONE_QUIET)], "ben": [finding(StallRule.UPHILL_AVOIDANCE)]},
    ]
    for n, found in enumerate(rounds):
        at = now + timedelta(days=n)
        with runtime.unit_of_work() as uow:
            changes = reconcile_context(
                uow, t, world.course.id, {person: found[name] for person, name in batched.items()}, at
            )
            one_by_one = {
                person: reconcile(uow, t, person, twin.id, found[name], at) for person, name in single.items()
            }
            uow.commit()
        assert {batched[p]: c for p, c in changes.items()} == {single[p]: c for p, c in one_by_one.items()}
    with runtime.unit_of_work() as uow:
        together = flags_of(uow, t, world.course.id, include_resolved=True)
        apart = flags_of(uow, t, twin.id, include_resolved=True)
        assert comparable(together, batched) == comparable(apart, single)
        assert len(together) == 5
        histories = {
            (batched.get(f.person_id) or single[f.person_id], f.rule, f.opened_at, f.context_id == twin.id): [
                (h.kind, h.severity, h.note) for h in flag_history(uow, t, f.id)
            ]
            for f in together + apart
        }
    for (name, rule, opened, in_twin), history in histories.items():
        if not in_twin:
            assert history == histories[(name, rule, opened, True)]
    ana_quiet = [h for (name, rule, _, twin), h in histories.items() if name == "ana" and rule == "gone_quiet" and twin]
    assert sorted(ana_quiet, key=len) == [
        [("opened", "medium", "Gone quiet for 20 days.")],
        [
            ("opened", "medium", "Gone quiet for 20 days."),
            ("escalated", "high", "Gone quiet for 30 days."),
            ("cleared", "high", "The condition cleared."),
        ],
    ]


def test_reconciling_nobody_changes_nothing(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        assert reconcile_context(uow, world.tenant.id, world.course.id, {}, datetime.now(UTC)) == {}
        assert flags_of(uow, world.tenant.id, include_resolved=True) == []


def test_alignments_reused_across_learners_equal_aligning_each_opportunity(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    skills = [world.python.id, world.sql.id, world.swahili.id, world.excel.id]
    with runtime.unit_of_work() as uow:
        for n in range(12):
            weights = {skills[n % 4]: 1.0, skills[(n * 3 + 1) % 4]: 0.4 + n / 20}
            create_opportunity(uow, t, OpportunityDraft(f"Module {n}", "course", 2 + n, weights))
        create_opportunity(uow, t, OpportunityDraft("Untagged", "course", 1))
        set_org_agenda(uow, t, world.course.id, {world.python.id: (3, "Platform move."), world.excel.id: (1, "")})
        set_personal_agenda(uow, t, world.ana.id, {world.swahili.id: 3, world.sql.id: 1, world.excel.id: 0})
        uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        snapshot = load_snapshot(uow, t, world.course.id, datetime.now(UTC) + timedelta(seconds=1))
        needs = snapshot.org_agenda.needs if snapshot.org_agenda else {}
        for person in (world.ana.id, world.ben.id):
            agenda = snapshot.agendas.get(person)
            interests = agenda.interests if agenda else {}
            expected = {
                o.id: align(o.skills, snapshot.catalogue.skill_names, interests, needs, snapshot.policy.thresholds)
                for o in snapshot.opportunities
            }
            got = learner_alignments(snapshot, person)
            assert got == expected
            assert {o: a.explain() for o, a in got.items()} == {o: a.explain() for o, a in expected.items()}
        ana = learner_alignments(snapshot, world.ana.id)
        ben = learner_alignments(snapshot, world.ben.id)
        assert any(ana[o].personal_value > 0 for o in ana)
        assert sum(ana[o] is ben[o] for o in ana) >= 1  # those Ana wants none of are shared with Ben


def test_planning_from_the_candidates_a_learner_can_have_equals_planning_every_opportunity(
    runtime: Runtime, world: World
) -> None:
    t = world.tenant.id
    skills = [world.python.id, world.sql.id, world.swahili.id, world.excel.id]
    now = datetime.now(UTC)
    with runtime.unit_of_work() as uow:
        made = []
        for n in range(30):
            weights = {skills[n % 4]: 1.0, skills[(n * 3 + 1) % 4]: 0.2 + (n % 7) / 10}
            # Every third module needs an earlier one first, so waste is pulled in as a prerequisite.
            needs = frozenset({made[n // 2].id}) if n % 3 == 2 else frozenset()
            draft = OpportunityDraft(f"Module {n:02d}", "course", 1 + n % 5, weights, prerequisites=needs)
            made.append(create_opportunity(uow, t, replace(draft, activity_ids=frozenset({f"https://x.test/{n}"}))))
        # A gift Ana wants that needs, first, something nobody values.
        knots = create_opportunity(uow, t, OpportunityDraft("Knots", "course", 1))
        swahili = OpportunityDraft(
            "Swahili 2", "course", 1, {world.swahili.id: 1.0}, prerequisites=frozenset({knots.id})
        )
        create_opportunity(uow, t, swahili)
        set_org_agenda(
            uow,
            t,
            world.course.id,
            {world.python.id: (3, "Platform move."), world.sql.id: (2, "Reports."), world.excel.id: (1, "")},
            mandatory={made[7].id: (now + timedelta(days=40)).date()},
        )
        set_personal_agenda(uow, t, world.ana.id, {world.swahili.id: 3, world.sql.id: 2, world.excel.id: 1})
        set_policy(uow, t, {"gift_budget_hours_per_quarter": 5}, now=now)
        events = [
            LearningEvent("done", world.ana.id, now - timedelta(days=3), COMPLETED, "https://x.test/2"),
            LearningEvent("half", world.ana.id, now - timedelta(days=2), PROGRESSED, "https://x.test/5", progress=0.5),
        ]
        record_events(uow, t, events)
        uow.commit()
    now = datetime.now(UTC)
    with runtime.unit_of_work(read_only=True) as uow:
        snapshot = load_snapshot(uow, t, world.course.id, now + timedelta(seconds=1))
        needs = snapshot.org_agenda.needs if snapshot.org_agenda else {}
        mandatory = snapshot.org_agenda.mandatory if snapshot.org_agenda else {}
        for person in (world.ana.id, world.ben.id):
            agenda = snapshot.agendas.get(person)
            progress = learner_progress(snapshot, person)
            every = []
            for o in snapshot.opportunities:
                a = align(
                    o.skills, snapshot.catalogue.skill_names, agenda.interests if agenda else {}, needs, Thresholds()
                )
                done = progress.get(o.id)
                every.append(
                    Candidate(
                        o.id,
                        o.title,
                        o.effort_hours,
                        a.quadrant,
                        a.personal_value,
                        a.org_value,
                        a.explain(),
                        a.org_whys[0] if a.org_whys else "",
                        mandatory.get(o.id),
                        o.prerequisites,
                        done.done_fraction if done else 0.0,
                        done is not None and done.finished,
                    )
                )
            expected = plan_roadmap(
                every,
                today=now.date(),
                weekly_hours=agenda.weekly_hours if agenda else 2.0,
                gift_budget_hours_per_quarter=5,
            )
            assert learner_plan(snapshot, person, now.date()) == expected
            assert [i.reason for i in learner_plan(snapshot, person, now.date()).items] == [
                i.reason for i in expected.items
            ]
            assert expected.items
        ana = learner_plan(snapshot, world.ana.id, now.date())
        assert ana.left_out
        assert {"Knots", "Swahili 2"} <= {i.title for i in ana.items}

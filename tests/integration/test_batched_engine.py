"""The batched paths of the engine give what the per-learner ones give, on the real database."""

from datetime import UTC, datetime, timedelta

from alignment.agendas import set_org_agenda, set_personal_agenda
from alignment.flags import StallFlag, flag_history, flags_of, reconcile, reconcile_context
from alignment.messages import verbatim
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.people import Role, join, upsert_context, upsert_person
from alignment.rules.quadrants import align
from alignment.rules.stalls import Finding, Severity, StallRule
from alignment.snapshots import learner_alignments, load_snapshot
from sweetspot.runtime import Runtime
from tests.integration.conftest import World


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
                o.id: align(o.skills, snapshot.skill_names, interests, needs, snapshot.policy.thresholds)
                for o in snapshot.opportunities
            }
            got = learner_alignments(snapshot, person)
            assert got == expected
            assert {o: a.explain() for o, a in got.items()} == {o: a.explain() for o, a in expected.items()}
        ana = learner_alignments(snapshot, world.ana.id)
        ben = learner_alignments(snapshot, world.ben.id)
        assert any(ana[o].personal_value > 0 for o in ana)
        assert sum(ana[o] is ben[o] for o in ana) >= 1  # those Ana wants none of are shared with Ben

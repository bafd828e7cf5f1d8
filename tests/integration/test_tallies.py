"""Learners' running tallies hold what reading all their events gives, whatever arrives in what order."""

import random
from datetime import UTC, datetime, timedelta

from alignment.events import events_by_person, learning_as_of, reassign_events, record_events
from alignment.learning import take_in
from alignment.opportunities import (
    STATUSES,
    OpportunityDraft,
    create_opportunity,
    get_opportunity,
    list_opportunities,
    update_opportunity,
)
from alignment.people import upsert_person
from alignment.rules.progress import ADL, COMPLETED, LearningEvent, MatcherIndex, effective_events
from alignment.rules.progress import progress_by_opportunity as progress_from_events
from alignment.snapshots import load_catalogue
from alignment.tallies import Learning
from sweetspot.runtime import Runtime
from tests.integration.conftest import World

HOME = "https://lms.acme.test/mod/"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LONG_AFTER = datetime(2030, 1, 1, tzinfo=UTC)
SINCE = T0.date() - timedelta(days=1)


def reference(runtime: Runtime, tenant_id: int, people: list[int], as_of: datetime) -> dict[int, Learning]:
    """What reading every event before `as_of` gives, as the tallies should hold it."""
    with runtime.unit_of_work(read_only=True) as uow:
        index = load_catalogue(uow, tenant_id).index
        history = events_by_person(uow, tenant_id, people, until=as_of)
    found = {}
    for person in people:
        standing = effective_events(history.get(person, []))
        found[person] = Learning(
            progress_from_events(standing, index),
            standing[-1].occurred_at if standing else None,
            frozenset(e.occurred_at.date() for e in standing if e.occurred_at.date() >= SINCE),
        )
    return found


def tallied(runtime: Runtime, tenant_id: int, people: list[int], as_of: datetime) -> dict[int, Learning]:
    with runtime.unit_of_work(read_only=True) as uow:
        index: MatcherIndex = load_catalogue(uow, tenant_id).index
        return learning_as_of(uow, tenant_id, people, as_of, index, SINCE)


def test_tallies_kept_batch_by_batch_equal_reading_every_event(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    rng = random.Random(20261124)
    with runtime.unit_of_work() as uow:
        for n in range(6):
            links = frozenset({f"link-{n}"}) if n % 3 == 0 else frozenset()
            draft = OpportunityDraft(
                f"Module {n}", "course", 2, activity_ids=frozenset({HOME + str(n)}), lti_resource_link_ids=links
            )
            create_opportunity(uow, t, draft)
        uow.commit()
    people = [world.ana.id, world.ben.id]
    verbs = [ADL + "experienced", ADL + "progressed", COMPLETED, ADL + "failed", ADL + "launched"]
    sent: list[LearningEvent] = []
    for batch in range(12):
        events = []
        for _ in range(rng.randint(1, 6)):
            n = len(sent) + len(events)
            module = rng.randrange(8)  # 6 and 7 are mapped to nothing
            page = rng.random() < 0.5
            events.append(
                LearningEvent(
                    event_id=f"e{n}",
                    learner_id=rng.choice(people),
                    # Out of order: a statement may arrive days after a later one.
                    occurred_at=T0 + timedelta(days=rng.randrange(40), hours=rng.randrange(24)),
                    verb=rng.choice(verbs),
                    activity_id=HOME + f"{module}/page/{n}" if page else HOME + str(module),
                    context_activity_ids=(HOME + str(module),) if page else (),
                    lti_resource_link_id=f"link-{module}" if rng.random() < 0.2 else None,
                    progress=rng.choice([None, 0.3, 0.8]),
                )
            )
        if sent and batch % 3 == 2:
            # Voiding: one aimed at an event already stored, and one that arrives before its target.
            target = rng.choice(sent)
            events.append(
                LearningEvent(
                    f"void-{batch}",
                    target.learner_id,
                    target.occurred_at + timedelta(hours=1),
                    ADL + "voided",
                    voids=target.event_id,
                )
            )
            events.append(
                LearningEvent(
                    f"void-early-{batch}", people[0], T0 + timedelta(days=5), ADL + "voided", voids=f"e{len(sent) + 40}"
                )
            )
        with runtime.unit_of_work() as uow:
            record_events(uow, t, events)
            uow.commit()
        sent += events
        assert tallied(runtime, t, people, LONG_AFTER) == reference(runtime, t, people, LONG_AFTER)
    assert any(learning.progress for learning in reference(runtime, t, people, LONG_AFTER).values())
    # Before a learner's latest event the tallies do not hold, so the events are read: still exact.
    middle = T0 + timedelta(days=20)
    assert tallied(runtime, t, people, middle) == reference(runtime, t, people, middle)
    assert tallied(runtime, t, people, middle) != tallied(runtime, t, people, LONG_AFTER)


def test_mapping_activities_events_already_named_rebuilds_the_tallies(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        record_events(
            uow,
            t,
            [
                LearningEvent("a", world.ana.id, T0, COMPLETED, HOME + "sql"),
                LearningEvent("b", world.ben.id, T0, ADL + "experienced", HOME + "sql/page/1", (HOME + "sql",)),
                LearningEvent("c", world.ben.id, T0, ADL + "launched", lti_resource_link_id="link-sql"),
            ],
        )
        uow.commit()
    assert tallied(runtime, t, [world.ana.id, world.ben.id], LONG_AFTER)[world.ana.id].progress == {}
    with runtime.unit_of_work() as uow:
        sql = create_opportunity(uow, t, OpportunityDraft("SQL", "course", 2, activity_ids=frozenset({HOME + "sql"})))
        uow.commit()
    found = tallied(runtime, t, [world.ana.id, world.ben.id], LONG_AFTER)
    assert found[world.ana.id].progress[sql.id].finished
    assert found[world.ben.id].progress[sql.id].events == 1
    with runtime.unit_of_work() as uow:
        draft = OpportunityDraft("SQL", "course", 2, lti_resource_link_ids=frozenset({"link-sql"}))
        update_opportunity(uow, t, sql.id, draft)
        uow.commit()
    found = tallied(runtime, t, [world.ana.id, world.ben.id], LONG_AFTER)
    assert sql.id not in found[world.ana.id].progress
    assert found[world.ben.id].progress[sql.id].events == 1  # the launch, now; no longer the page
    assert found == reference(runtime, t, [world.ana.id, world.ben.id], LONG_AFTER)


def test_a_discovered_activity_counts_its_earlier_events_once_it_is_described(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    first = LearningEvent("p1", world.ana.id, T0, ADL + "experienced", HOME + "new/page/1", (HOME + "new",))
    seen = LearningEvent("n1", world.ana.id, T0 + timedelta(hours=1), COMPLETED, HOME + "new")
    with runtime.unit_of_work() as uow:
        take_in(uow, t, [first], T0 + timedelta(days=1))
        intake = take_in(uow, t, [seen], T0 + timedelta(days=1))
        uow.commit()
    assert intake.discovered == 1
    with runtime.unit_of_work() as uow:
        held = next(o for o in list_opportunities(uow, t, STATUSES) if o.status == "discovered")
        update_opportunity(uow, t, held.id, OpportunityDraft("New module", "module", 1, activity_ids=held.activity_ids))
        uow.commit()
    progress = tallied(runtime, t, [world.ana.id], LONG_AFTER)[world.ana.id].progress[held.id]
    assert (progress.events, progress.finished) == (2, True)


def test_merging_a_provisional_learner_moves_their_tallies(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        sql = create_opportunity(uow, t, OpportunityDraft("SQL", "course", 2, activity_ids=frozenset({HOME + "sql"})))
        stranger = upsert_person(uow, t, "u-stranger", "Someone")
        record_events(uow, t, [LearningEvent("a", stranger.id, T0, COMPLETED, HOME + "sql")])
        reassign_events(uow, t, stranger.id, world.ana.id)
        uow.commit()
    found = tallied(runtime, t, [world.ana.id, stranger.id], LONG_AFTER)
    assert found[world.ana.id].progress[sql.id].finished
    assert found[stranger.id] == Learning({}, None, frozenset())
    with runtime.unit_of_work(read_only=True) as uow:
        assert get_opportunity(uow, t, sql.id).title == "SQL"


def test_a_moment_before_the_latest_event_reads_the_events(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        sql = create_opportunity(uow, t, OpportunityDraft("SQL", "course", 2, activity_ids=frozenset({HOME + "sql"})))
        record_events(uow, t, [LearningEvent("a", world.ana.id, T0, ADL + "experienced", HOME + "sql")])
        uow.commit()
    with runtime.unit_of_work() as uow:
        record_events(uow, t, [LearningEvent("b", world.ana.id, T0 + timedelta(days=10), COMPLETED, HOME + "sql")])
        uow.commit()
    between = tallied(runtime, t, [world.ana.id], T0 + timedelta(days=5))[world.ana.id]
    assert (between.last_activity_at, between.progress[sql.id].finished) == (T0, False)
    after = tallied(runtime, t, [world.ana.id], LONG_AFTER)[world.ana.id]
    assert (after.last_activity_at, after.progress[sql.id].finished) == (T0 + timedelta(days=10), True)

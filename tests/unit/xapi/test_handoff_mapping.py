"""How a statement becomes a learning event for the alignment engine."""

from datetime import UTC, datetime

from alignment.identities import Identifier
from xapi_listener.handoff import CMI5_PROGRESS, activity_name, actor_identifiers, learning_event

COURSE = "https://lms.acme.test/course/1"
MODULE = "https://lms.acme.test/course/1/module/2"


def statement(**extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "6f5d2b2e-0b8e-4f65-9a39-4a0b7a1c8a11",
        "actor": {"mbox": "mailto:ana@acme.test"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": MODULE, "definition": {"name": {"es": "Módulo 2", "en-US": "Module 2"}}},
        "timestamp": "2026-11-20T10:00:00Z",
        "stored": "2026-11-20T10:00:05Z",
    }
    body.update(extra)
    return body


def test_completion_with_result_and_context_becomes_an_event() -> None:
    event = learning_event(
        statement(
            result={"completion": True, "success": True, "extensions": {CMI5_PROGRESS: 100}},
            context={"contextActivities": {"parent": [{"id": COURSE}], "grouping": {"id": "https://lms.acme.test"}}},
        ),
        person_id=7,
    )
    assert event.learner_id == 7
    assert event.event_id == "6f5d2b2e-0b8e-4f65-9a39-4a0b7a1c8a11"
    assert event.occurred_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert event.activity_id == MODULE
    assert event.context_activity_ids == (COURSE, "https://lms.acme.test")
    assert (event.completion, event.success, event.progress) == (True, True, 1.0)


def test_stored_time_stands_in_for_a_missing_timestamp() -> None:
    raw = statement()
    del raw["timestamp"]
    assert learning_event(raw, 1).occurred_at == datetime(2026, 11, 20, 10, 0, 5, tzinfo=UTC)


def test_voiding_statement_names_its_target() -> None:
    voiding = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": "AAAAAAAA-0B8E-4F65-9A39-4A0B7A1C8A11"},
    )
    event = learning_event(voiding, 1)
    assert event.voids == "aaaaaaaa-0b8e-4f65-9a39-4a0b7a1c8a11"
    assert event.activity_id is None


def test_progress_outside_zero_to_one_hundred_is_ignored() -> None:
    assert learning_event(statement(result={"extensions": {CMI5_PROGRESS: 250}}), 1).progress is None


def test_identifiers_of_every_kind() -> None:
    actor = {
        "mbox": "mailto:ana@acme.test",
        "account": {"homePage": "https://moodle.acme.test", "name": "42"},
    }
    assert actor_identifiers(actor) == [
        Identifier("email", "ana@acme.test"),
        Identifier("account", "https://moodle.acme.test 42"),
    ]
    assert actor_identifiers({"objectType": "Group", "member": [{"mbox": "mailto:x@y.z"}]}) == []


def test_activity_name_prefers_english() -> None:
    assert activity_name(statement()) == "Module 2"
    assert activity_name(statement(object={"objectType": "StatementRef", "id": "x"})) is None

"""The ids the LRS gives statements sent without one: what the store relies on in the ids uuid-utils makes."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from xapi_listener.statements import validate_statement
from xapi_listener.store import new_statement_id, prepare_statements

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com/", "name": "key"}}
STATEMENT = {
    "actor": {"mbox": "mailto:learner@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://example.com/course/1"},
}


def test_a_new_id_is_a_version_7_uuid_that_begins_with_the_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    made = new_statement_id()
    after = time.time_ns() // 1_000_000
    value = uuid.UUID(made)
    assert str(value) == made
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_new_ids_differ_and_sort_in_the_order_of_their_milliseconds() -> None:
    made = [new_statement_id() for _ in range(1_000)]
    assert len(set(made)) == len(made)
    milliseconds = [uuid.UUID(m).int >> 80 for m in made]
    assert milliseconds == sorted(milliseconds)
    # The hexadecimal text sorts as the time does, so the text index sees them in time order too.
    assert [m[:13] for m in made] == sorted(m[:13] for m in made)


def test_a_statement_without_an_id_gets_a_new_one_that_passes_validation_and_one_with_an_id_keeps_it() -> None:
    sent_id = "3F8B3C5E-1B2A-4C6D-8E9F-0A1B2C3D4E5F"
    batch = prepare_statements(
        [STATEMENT, {**STATEMENT, "id": sent_id}],
        stored=datetime(2026, 1, 5, tzinfo=UTC),
        authority=AUTHORITY,
        version="1.0.3",
    )
    given, kept = batch.statements
    assert uuid.UUID(given["id"]).version == 7
    validate_statement(given, "1.0.3")
    assert kept["id"] == sent_id.lower()

"""The ids the LRS gives statements sent without one."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from tincan import Agent, Statement, Verb

from xapi_listener.statements import validate_statement
from xapi_listener.store import new_statement_id, prepare_statements

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com/", "name": "key"}}
GREGORIAN_TO_UNIX = 0x01B21DD213814000
"""100-nanosecond steps from the start of the Gregorian calendar to the Unix epoch (RFC 4122 §4.1.4)."""
STATEMENT = {
    "actor": {"mbox": "mailto:learner@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://example.com/course/1"},
}


def test_a_new_id_is_a_version_1_uuid_of_now_with_a_random_multicast_node() -> None:
    before = time.time_ns()
    made = new_statement_id()
    after = time.time_ns()
    value = uuid.UUID(made)
    assert str(value) == made
    assert (value.version, value.variant) == (1, uuid.RFC_4122)
    # uuid1's time counts 100-nanosecond steps since 1582-10-15.
    assert before // 100 <= value.time - GREGORIAN_TO_UNIX <= after // 100 + 1
    assert value.node & 1 << 40, "the multicast bit marks a node that is no MAC address"


def test_new_ids_differ_and_follow_each_other_in_time_across_threads() -> None:
    def make(count: int) -> list[str]:
        return [new_statement_id() for _ in range(count)]

    with ThreadPoolExecutor(4) as pool:
        made = [i for batch in pool.map(make, [2_500] * 4) for i in batch]
    assert len(set(made)) == len(made) == 10_000
    one_thread = [uuid.UUID(i).time for i in make(1_000)]
    assert one_thread == sorted(one_thread)


def test_a_forked_process_draws_its_own_node() -> None:
    here = uuid.UUID(new_statement_id()).node
    with multiprocessing.get_context("fork").Pool(1) as pool:
        there = uuid.UUID(pool.apply(new_statement_id)).node
    assert there != here


def test_tincan_accepts_the_ids_the_lrs_makes() -> None:
    statement = Statement(actor=Agent(mbox="mailto:learner@example.com"), verb=Verb(id=STATEMENT["verb"]["id"]))
    statement.id = new_statement_id()  # tincan refuses UUIDs whose version is not 1 to 5
    assert str(statement.id) == str(uuid.UUID(str(statement.id)))


def test_a_statement_without_an_id_gets_a_new_one_that_passes_validation_and_one_with_an_id_keeps_it() -> None:
    sent_id = "3F8B3C5E-1B2A-4C6D-8E9F-0A1B2C3D4E5F"
    batch = prepare_statements(
        [STATEMENT, {**STATEMENT, "id": sent_id}],
        stored=datetime(2026, 1, 5, tzinfo=UTC),
        authority=AUTHORITY,
        version="1.0.3",
    )
    given, kept = batch.statements
    assert uuid.UUID(given["id"]).version == 1
    validate_statement(given, "1.0.3")
    assert kept["id"] == sent_id.lower()

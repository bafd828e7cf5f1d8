"""Jobs on the embedded queue run in background threads and are retried when they fail."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from huey import crontab
from huey.exceptions import TaskException

from sweetspot import jobs
from sweetspot.runtime import Runtime, bootstrap
from tests.conftest import make_settings


@pytest.fixture
def embedded(tmp_path: Path, database_url: str) -> Iterator[Runtime]:
    runtime = bootstrap(make_settings(tmp_path / "instance", database_url))
    yield runtime
    runtime.close()


def test_embedded_queue_is_a_private_file_in_the_data_directory(embedded: Runtime) -> None:
    queue = jobs.build_jobs(embedded).queue
    assert type(queue).__name__ == "SqliteHuey"
    assert (embedded.data_dir.path / jobs.JOBS_DATABASE_FILE).stat().st_mode & 0o777 == 0o600


def test_embedded_consumer_answers_a_job(embedded: Runtime) -> None:
    registered = jobs.build_jobs(embedded)
    consumer = jobs.start_embedded_consumer(registered.queue)
    try:
        answer = registered.ping("2026-11-23T00:00:00+00:00").get(blocking=True, timeout=10)
    finally:
        consumer.stop(graceful=True)
    assert answer["sent_at"] == "2026-11-23T00:00:00+00:00"


def test_failed_job_is_retried_until_it_succeeds(embedded: Runtime) -> None:
    queue = jobs.create_queue(embedded)
    attempts: list[int] = []
    lock = threading.Lock()

    def flaky(succeed_on: int) -> int:
        with lock:
            attempts.append(len(attempts) + 1)
            attempt = len(attempts)
        if attempt < succeed_on:
            raise ConnectionError(f"attempt {attempt}: the LMS is down")
        return attempt

    task = jobs.define_job(queue, "flaky", flaky, retries=3, retry_delay=0.05)
    consumer = jobs.start_embedded_consumer(queue)
    try:
        result = task(3)
        # huey records each failed attempt's error under the task's id before retrying it.
        for _ in range(3):
            try:
                value = result.get(blocking=True, timeout=15)
                break
            except TaskException:
                result.reset()
        assert value == 3
    finally:
        consumer.stop(graceful=True)
    assert attempts == [1, 2, 3]


def test_retries_back_off_exponentially(embedded: Runtime) -> None:
    queue = jobs.create_queue(embedded)
    message = jobs.define_job(queue, "failing", lambda: None).s()
    assert message.retries == jobs.RETRIES
    assert message.retry_delay == jobs.RETRY_DELAY_SECONDS
    assert message.retry_backoff == jobs.RETRY_BACKOFF > 1


def test_periodic_job_is_due_only_when_its_schedule_matches(embedded: Runtime) -> None:
    queue = jobs.create_queue(embedded)
    jobs.define_periodic_job(queue, "every_quarter_hour", lambda: None, crontab(minute="*/15"))
    due = queue.read_periodic(datetime(2026, 11, 23, 10, 15))
    assert [task.name for task in due] == ["every_quarter_hour"]
    assert queue.read_periodic(datetime(2026, 11, 23, 10, 16)) == []


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_hand_off_is_scheduled_once_per_window_for_each_tenant(embedded: Runtime) -> None:
    registered = jobs.build_jobs(embedded)
    clock = Clock()
    trigger = jobs.HandOffTrigger(registered.hand_off, window_seconds=1.0, clock=clock)
    for _ in range(50):
        trigger(1)
    trigger(2)
    assert registered.queue.pending_count() == 2
    clock.now += 0.99
    trigger(1)
    assert registered.queue.pending_count() == 2
    clock.now += 0.02
    trigger(1)
    assert registered.queue.pending_count() == 3


def test_scheduled_hand_off_runs_after_the_window_and_hands_over_what_was_committed(embedded: Runtime) -> None:
    registered = jobs.build_jobs(embedded)
    trigger = jobs.HandOffTrigger(registered.hand_off, window_seconds=0.3)
    trigger(1)
    message = registered.queue.dequeue()
    assert message is not None
    assert message.eta is not None
    assert message.args == (1,)
    # huey keeps ETAs as naive UTC when the queue is made with utc=True.
    assert (message.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds() > 0.1

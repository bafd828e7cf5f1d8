"""Background jobs on huey: embedded on SQLite by default, on Redis when `REDIS_URL` is set.

Every job retries with exponential backoff unless it says otherwise. Jobs are registered here, in
the composition, so that the domain and the edges stay free of the queue library.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import requests
import structlog
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer

from alignment.errors import NotFound
from alignment.policy_previews import pending_preview, preview_failed, store_preview
from alignment.sweeps import preview_policy, sweep
from alignment.tenancy import list_tenants
from lti_tool.grades import contexts_ready, mark_scores_due, push_scores
from lti_tool.roster import roster_links, sync_roster
from lti_tool.services import AccessTokens, PlatformClient, ServiceError
from sweetspot.runtime import Runtime
from xapi_listener.connections import due_connections, pull_connection
from xapi_listener.handoff import BATCH as HAND_OFF_BATCH
from xapi_listener.handoff import hand_off_pending

log = structlog.get_logger(__name__)

QUEUE_NAME = "sweetspot"
JOBS_DATABASE_FILE = "jobs.db"
RETRIES = 5
RETRY_DELAY_SECONDS = 10.0
RETRY_BACKOFF = 2.0
"""A failed job runs again after 10 s, 20 s, 40 s, 80 s and 160 s, then gives up and is logged."""


def create_queue(runtime: Runtime) -> Huey:
    """The queue: Redis when `REDIS_URL` is set, else a SQLite file in the data directory."""
    if runtime.settings.redis_url:
        return RedisHuey(QUEUE_NAME, url=runtime.settings.redis_url, utc=True)
    path = runtime.data_dir.private_file(JOBS_DATABASE_FILE)
    return SqliteHuey(QUEUE_NAME, filename=str(path), utc=True)


def define_job(
    queue: Huey,
    name: str,
    function: Callable[..., Any],
    *,
    retries: int = RETRIES,
    retry_delay: float = RETRY_DELAY_SECONDS,
) -> TaskWrapper:
    """Register `function` as the job `name`, retried with exponential backoff when it raises."""
    return queue.task(retries=retries, retry_delay=retry_delay, retry_backoff=RETRY_BACKOFF, name=name)(function)


def define_periodic_job(
    queue: Huey,
    name: str,
    function: Callable[[], Any],
    schedule: Callable[[datetime], bool],
    *,
    retries: int = RETRIES,
) -> TaskWrapper:
    """Register `function` to run whenever `schedule` (a huey `crontab(...)`) matches the minute.

    The consumer's scheduler enqueues it. Every consumer with a scheduler enqueues each due run, so
    run one `sweetspot worker` with the scheduler and the rest with `--no-periodic`; periodic jobs are
    idempotent all the same (derived work in Sweetspot always is).
    """
    return queue.periodic_task(
        schedule, retries=retries, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=RETRY_BACKOFF, name=name
    )(function)


def answer_ping(sent_at: str) -> dict[str, Any]:
    """Say which process consumed this job, so `sweetspot jobs ping` can show the queue round trip."""
    return {
        "sent_at": sent_at,
        "answered_at": datetime.now(UTC).isoformat(),
        "worker_pid": os.getpid(),
        "worker_host": socket.gethostname(),
    }


def sweep_every_tenant(runtime: Runtime) -> dict[str, int]:
    """Run the stall sweep for each tenant in its own transaction; return flags opened per tenant."""
    with runtime.unit_of_work() as uow:
        tenants = list_tenants(uow)
    opened = {}
    for tenant in tenants:
        with runtime.unit_of_work() as uow:
            opened[tenant.slug] = sweep(uow, tenant.id, datetime.now(UTC), learners=False).opened
            uow.commit()
    return opened


def work_out_policy_preview(runtime: Runtime, preview_id: int) -> bool:
    """Sweep for a requested settings preview and keep its counts; False if it was gone or done already. A
    failure is kept too, so the page stops waiting (not retried: the admin asks again)."""
    try:
        with runtime.unit_of_work(read_only=True) as uow:
            pending = pending_preview(uow, preview_id)
            if pending is None:
                return False
            tenant_id, proposed, as_of = pending
            preview = preview_policy(uow, tenant_id, proposed, as_of)
        with runtime.unit_of_work() as uow:
            store_preview(uow, preview_id, preview, datetime.now(UTC))
            uow.commit()
    except Exception as error:
        with runtime.unit_of_work() as uow:
            preview_failed(uow, preview_id, f"{type(error).__name__}: {error}", datetime.now(UTC))
            uow.commit()
        raise
    return True


def hand_off_statements(runtime: Runtime, tenant_id: int | None = None) -> int:
    """Hand every statement not yet handed off to the alignment engine, in batches; return how many."""
    with runtime.unit_of_work() as uow:
        tenant_ids = [tenant_id] if tenant_id is not None else [t.id for t in list_tenants(uow)]
    total = 0
    for tenant in tenant_ids:
        while True:
            with runtime.unit_of_work() as uow:
                done = hand_off_pending(uow, tenant, datetime.now(UTC))
                uow.commit()
            total += done.statements
            if done.statements < HAND_OFF_BATCH:
                break
    return total


def pull_one_connection(runtime: Runtime, connection_id: int) -> dict[str, Any] | None:
    """Pull one upstream LRS connection if it is still due and free, then hand its new statements over."""
    # tincan opens its HTTP connections with the process's default socket timeout, which is none: an
    # upstream that accepts and never answers would hold this worker thread for ever. Job consumers
    # therefore get a default; the clients they use otherwise (Redis, psycopg, SQLite) set their own.
    socket.setdefaulttimeout(runtime.xapi.upstream_timeout_seconds)
    done = pull_connection(runtime.unit_of_work, runtime.connection_cipher, connection_id, datetime.now(UTC))
    if done is None:
        return None
    if done.pulled is not None and done.pulled.new:
        hand_off_statements(runtime, done.tenant_id)
    return {"connection": connection_id, "new": done.pulled.new if done.pulled else 0, "error": done.error}


def enqueue_due_pulls(runtime: Runtime, pull_job: Callable[[int], Any]) -> int:
    """Give each due connection a job of its own, so a slow or failing upstream holds up none of the others."""
    with runtime.unit_of_work(read_only=True) as uow:
        due = due_connections(uow, datetime.now(UTC))
    for connection_id in due:
        pull_job(connection_id)
    return len(due)


def mark_every_tenant_scores_due(runtime: Runtime) -> list[int]:
    """Compare every learner's momentum and open flags with the gradebook; return contexts with a score due now."""
    now = datetime.now(UTC)
    with runtime.unit_of_work() as uow:
        tenants = list_tenants(uow)
    for tenant in tenants:
        with runtime.unit_of_work() as uow:
            mark_scores_due(uow, tenant.id, now)
            uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        return contexts_ready(uow, None, now)


def sync_context_roster(
    runtime: Runtime, client: PlatformClient, registration_id: int, context_id: int
) -> dict[str, Any]:
    """The `sync_roster` job: one context's roster from NRPS (a platform error raises, so huey retries)."""
    try:
        result = sync_roster(runtime.unit_of_work, client, registration_id, context_id, datetime.now(UTC))
    except NotFound as error:
        return {"skipped": str(error)}  # nothing to retry: the context has no roster service
    return {"pages": result.pages, "members": result.members, "joined": result.joined, "left": result.left}


def push_context_scores(runtime: Runtime, client: PlatformClient, context_id: int) -> dict[str, Any]:
    """The `push_scores` job: send the context's due scores; raise on a transient failure so huey retries."""
    try:
        report = push_scores(runtime.unit_of_work, client, context_id, datetime.now(UTC))
    except NotFound as error:
        return {"skipped": str(error)}
    if report.transient:
        # The failure is already recorded in the outbox; raising only schedules huey's retry.
        raise ServiceError("; ".join(report.errors))
    return {"sent": report.sent, "failed": report.failed, "errors": report.errors}


def platform_client(runtime: Runtime) -> PlatformClient:
    """One HTTP session and one access-token cache for this process's calls to platforms."""
    http = requests.Session()
    return PlatformClient(http, AccessTokens(http, runtime.keys))


SWEEP_SCHEDULE = crontab(minute="5")
"""Hourly, five minutes past: flags stay fresh and momentum keeps one score per learner a day."""
ROSTER_SCHEDULE = crontab(minute="35")
"""Hourly, half an hour after the sweep: rosters from NRPS for every context with a memberships URL."""
SCORES_SCHEDULE = crontab(minute="*/10")
"""Every ten minutes: flags managers acknowledged or resolved, and failed scores whose retry time came."""


@dataclass(frozen=True)
class Jobs:
    """The queue and the jobs registered on it."""

    queue: Huey
    ping: TaskWrapper
    sweep: TaskWrapper
    policy_preview: TaskWrapper
    hand_off: TaskWrapper
    catch_up_hand_off: TaskWrapper
    pull_connection: TaskWrapper
    pull_due_connections: TaskWrapper
    sync_roster: TaskWrapper
    sync_rosters: TaskWrapper
    push_scores: TaskWrapper
    push_due_scores: TaskWrapper


def build_jobs(runtime: Runtime) -> Jobs:
    """Create the queue for `runtime` and register every job on it."""
    queue = create_queue(runtime)
    # A failed pull is recorded on its connection and retried at its next due time, with backoff; a retry
    # by the queue as well would only knock on a failing upstream more often.
    pull_job = define_job(queue, "pull_connection", partial(pull_one_connection, runtime), retries=0)
    client = platform_client(runtime)
    sync_one = define_job(queue, "sync_roster", partial(sync_context_roster, runtime, client))
    push_one = define_job(queue, "push_scores", partial(push_context_scores, runtime, client))

    def sweep_then_mark_scores() -> dict[str, int]:
        """The sweep, then the gradebook write-back of whatever momentum or flags it changed."""
        opened = sweep_every_tenant(runtime)
        for context_id in mark_every_tenant_scores_due(runtime):
            push_one(context_id)
        return opened

    def sync_every_roster() -> int:
        """Enqueue a roster sync of every context with a memberships URL; each retries on its own."""
        with runtime.unit_of_work(read_only=True) as uow:
            links = roster_links(uow)
        for registration_id, context_id in links:
            sync_one(registration_id, context_id)
        return len(links)

    def push_every_due_score() -> int:
        """Enqueue a push for every context with a score due now: the catch-up that makes no update lost."""
        contexts = mark_every_tenant_scores_due(runtime)
        for context_id in contexts:
            push_one(context_id)
        return len(contexts)

    return Jobs(
        queue=queue,
        ping=define_job(queue, "ping", answer_ping, retries=0),
        sweep=define_periodic_job(queue, "sweep", sweep_then_mark_scores, SWEEP_SCHEDULE),
        policy_preview=define_job(queue, "policy_preview", partial(work_out_policy_preview, runtime), retries=0),
        hand_off=define_job(queue, "hand_off", partial(hand_off_statements, runtime)),
        # Statements whose hand-off job was lost (a queue outage, say) are picked up within a minute.
        catch_up_hand_off=define_periodic_job(
            queue, "catch_up_hand_off", partial(hand_off_statements, runtime), crontab(minute="*")
        ),
        pull_connection=pull_job,
        pull_due_connections=define_periodic_job(
            queue, "pull_due_connections", partial(enqueue_due_pulls, runtime, pull_job), crontab(minute="*")
        ),
        sync_roster=sync_one,
        sync_rosters=define_periodic_job(queue, "sync_rosters", sync_every_roster, ROSTER_SCHEDULE),
        push_scores=push_one,
        push_due_scores=define_periodic_job(queue, "push_due_scores", push_every_due_score, SCORES_SCHEDULE),
    )


class HandOffTrigger:
    """Ask for the hand-off of a tenant's new statements, at most once per `window` seconds in this process.

    The job is scheduled for the end of the window, so it runs after every statement committed within the
    window and hands them all over at once: a busy listener sends one job a second per tenant instead of
    one per request, and each job finds a full batch waiting.
    """

    def __init__(
        self, hand_off: TaskWrapper, window_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._hand_off = hand_off
        self._window = window_seconds
        self._clock = clock
        self._due: dict[int, float] = {}
        self._lock = threading.Lock()

    def __call__(self, tenant_id: int) -> None:
        """Statements of `tenant_id` were just committed: make sure a hand-off runs after this moment."""
        now = self._clock()
        with self._lock:
            due = self._due.get(tenant_id)
            if due is not None and now < due:
                return  # the job already scheduled runs at `due`, after this commit
            self._due[tenant_id] = now + self._window
        try:
            self._hand_off.schedule(args=(tenant_id,), delay=self._window)
        except Exception:
            with self._lock:
                self._due.pop(tenant_id, None)  # let the next commit try again
            raise


class EmbeddedConsumer(Consumer):
    """A huey consumer running as threads inside a host process that owns the signal handlers."""

    def _set_signal_handlers(self) -> None:
        # The host (gunicorn's master, or a test) handles signals and calls stop() itself.
        return None


def start_embedded_consumer(queue: Huey, workers: int = 2) -> Consumer:
    """Start consuming `queue` in background threads of this process; call `.stop()` to end."""
    consumer = EmbeddedConsumer(queue, workers=workers, worker_type="thread", initial_delay=0.05, max_delay=1.0)
    consumer.start()
    return consumer

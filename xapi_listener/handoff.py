"""The hand-off: stored statements become typed learning events for the alignment engine.

Idempotent and replayable: each statement carries a `handed_off` mark, events are keyed by statement
id, and `replay` can hand the whole store over again without double counting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from alignment.database import UnitOfWork
from alignment.identities import Actor, Identifier, resolve_actors
from alignment.learning import take_in
from alignment.people import PersonRecord, Role, get_person, join, roster, upsert_context
from alignment.rules.progress import LearningEvent
from xapi_listener.store import VOIDED, StatementRecord

XAPI_ONLY_CONTEXT = ("sweetspot:xapi-only", "Learners seen only through xAPI")
"""Where people known only from statements learn, so they still get roadmaps, momentum and flags."""
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
BATCH = 200


@dataclass(frozen=True)
class HandOff:
    """How many statements were handed over, and what the alignment engine made of them."""

    statements: int
    events: int
    replanned: int


def hand_off_pending(uow: UnitOfWork, tenant_id: int, now: datetime, limit: int = BATCH) -> HandOff:
    """Hand over up to `limit` statements not yet handed off, oldest first."""
    records = list(
        uow.session.scalars(
            select(StatementRecord)
            .where(StatementRecord.tenant_id == tenant_id, StatementRecord.handed_off.is_(False))
            .order_by(StatementRecord.seq)
            .limit(limit)
        )
    )
    if not records:
        return HandOff(0, 0, 0)
    result = _hand_over(uow, tenant_id, [r.document for r in records], now)
    uow.session.execute(
        update(StatementRecord).where(StatementRecord.seq.in_([r.seq for r in records])).values(handed_off=True)
    )
    return HandOff(len(records), result[0], result[1])


def replay(uow: UnitOfWork, tenant_id: int, now: datetime, since: datetime | None = None) -> HandOff:
    """Hand over every stored statement again (stored after `since`, if given); events already known stay."""
    query = select(StatementRecord.document).where(StatementRecord.tenant_id == tenant_id)
    if since is not None:
        query = query.where(StatementRecord.stored > since)
    documents = list(uow.session.scalars(query.order_by(StatementRecord.seq)))
    events = replanned = 0
    for start in range(0, len(documents), BATCH):
        made, moved = _hand_over(uow, tenant_id, documents[start : start + BATCH], now)
        events += made
        replanned += moved
    return HandOff(len(documents), events, replanned)


def _hand_over(uow: UnitOfWork, tenant_id: int, documents: list[Mapping[str, Any]], now: datetime) -> tuple[int, int]:
    events: list[LearningEvent] = []
    names: dict[str, str] = {}
    actors: dict[str, Actor] = {}
    for document in documents:
        actor = document["actor"]
        identifiers = actor_identifiers(actor)
        if identifiers and repr(identifiers) not in actors:
            account = actor.get("account") or {}
            actors[repr(identifiers)] = Actor(tuple(identifiers), actor.get("name"), account.get("name"))
    # Every actor of the batch is resolved at once, in the order the statements came.
    people = dict(zip(actors, resolve_actors(uow, tenant_id, list(actors.values())), strict=True))
    for document in documents:
        key = repr(actor_identifiers(document["actor"]))
        if key not in people:
            continue  # an anonymous Group is nobody's learning
        event = learning_event(document, people[key])
        events.append(event)
        name = activity_name(document)
        if event.activity_id and name:
            names.setdefault(event.activity_id, name)
    first_seen: dict[int, datetime] = {}
    for event in events:
        first_seen[event.learner_id] = min(event.occurred_at, first_seen.get(event.learner_id, event.occurred_at))
    _place_provisional_learners(uow, tenant_id, first_seen)
    intake = take_in(uow, tenant_id, events, now, names)
    return intake.recorded, intake.replanned


def actor_identifiers(actor: Mapping[str, Any]) -> list[Identifier]:
    """The identifiers an Agent (or identified Group) carries, as the identity resolver takes them."""
    found = []
    if "mbox" in actor:
        found.append(Identifier("email", str(actor["mbox"]).removeprefix("mailto:")))
    if "mbox_sha1sum" in actor:
        found.append(Identifier("mbox_sha1sum", str(actor["mbox_sha1sum"])))
    if "openid" in actor:
        found.append(Identifier("openid", str(actor["openid"])))
    if "account" in actor:
        account = actor["account"]
        found.append(Identifier("account", f"{account['homePage']} {account['name']}"))
    return found


def learning_event(statement: Mapping[str, Any], person_id: int) -> LearningEvent:
    """The learning event a statement describes (xAPI 1.0.3 Part Two §2.4: object, result, context)."""
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    result = statement.get("result") or {}
    context = statement.get("context") or {}
    activities = context.get("contextActivities") or {}
    context_ids: list[str] = []
    for relation in ("parent", "grouping"):
        value = activities.get(relation) or []
        for activity in value if isinstance(value, list) else [value]:
            context_ids.append(activity["id"])
    progress = (result.get("extensions") or {}).get(CMI5_PROGRESS)
    return LearningEvent(
        event_id=statement["id"],
        learner_id=person_id,
        occurred_at=datetime.fromisoformat(
            str(statement.get("timestamp") or statement["stored"]).replace("Z", "+00:00")
        ),
        verb=statement["verb"]["id"],
        activity_id=obj["id"] if kind == "Activity" else None,
        context_activity_ids=tuple(context_ids),
        completion=result.get("completion"),
        success=result.get("success"),
        progress=progress / 100 if isinstance(progress, int | float) and 0 <= progress <= 100 else None,
        voids=str(obj["id"]).lower() if statement["verb"]["id"] == VOIDED else None,
    )


def activity_name(statement: Mapping[str, Any]) -> str | None:
    """The display name the statement gives its object Activity, preferring English."""
    obj = statement["object"]
    names = (obj.get("definition") or {}).get("name") or {}
    if obj.get("objectType", "Activity") != "Activity" or not names:
        return None
    for tag in ("en-US", "en-GB", "en"):
        if tag in names:
            return str(names[tag])
    return str(next(iter(names.values())))


def _place_provisional_learners(uow: UnitOfWork, tenant_id: int, first_seen: Mapping[int, datetime]) -> None:
    """Put people known only from statements on the xAPI-only roster, from their first statement on."""
    provisional = set(
        uow.session.scalars(
            select(PersonRecord.id).where(PersonRecord.id.in_(list(first_seen)), PersonRecord.provisional.is_(True))
        )
    )
    if not provisional:
        return
    context = upsert_context(uow, tenant_id, *XAPI_ONLY_CONTEXT)
    members = {m.person.id for m in roster(uow, context, person_ids=sorted(provisional))}
    for person_id in sorted(provisional - members):
        join(uow, context, get_person(uow, tenant_id, person_id), Role.LEARNER, now=first_seen[person_id])

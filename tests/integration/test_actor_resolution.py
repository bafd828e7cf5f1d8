"""Resolving a batch of xAPI actors at once finds who resolving them one by one finds, on the real database."""

import pytest
from sqlalchemy import select

from alignment.errors import InvalidInput
from alignment.identities import Actor, Identifier, IdentityRecord, email_sha1, resolve_actor, resolve_actors
from alignment.people import PersonRecord
from alignment.tenancy import create_tenant
from sweetspot.runtime import Runtime
from tests.integration.conftest import World

HOME = "https://moodle.acme.test"


def batch() -> list[Actor]:
    return [
        Actor((Identifier("email", "ANA@acme.test"),), "Ana"),  # Ana by her email, in any case
        Actor((Identifier("account", f"{HOME} u-ben"),), "Ben", account_name="u-ben"),  # Ben by his LMS id
        Actor((Identifier("email", "new@acme.test"), Identifier("openid", "https://id.test/new")), "New One"),
        Actor((Identifier("openid", "https://id.test/new"),), "Same new one"),  # named by the earlier actor's openid
        Actor((Identifier("mbox_sha1sum", email_sha1("x@acme.test")),), None),
        Actor((Identifier("email", "ana@acme.test"),), "Ana again"),  # now linked
    ]


def names(runtime: Runtime, tenant_id: int, people: list[int]) -> list[tuple[str, bool]]:
    with runtime.unit_of_work(read_only=True) as uow:
        records = {r.id: r for r in uow.session.scalars(select(PersonRecord).where(PersonRecord.id.in_(people)))}
        return [(records[p].lms_user_id or records[p].name, records[p].provisional) for p in people]


def test_a_batch_of_actors_resolves_as_one_by_one_would(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        twin = create_tenant(uow, "acme-twin", "Acme, resolved one actor at a time")
        uow.commit()
    with runtime.unit_of_work() as uow:
        for tenant, person in ((twin.id, "ana"), (twin.id, "ben")):
            email = f"{person}@acme.test" if person == "ana" else None
            uow.session.add(
                PersonRecord(
                    tenant_id=tenant,
                    lms_user_id=f"u-{person}",
                    name=person.title(),
                    email=email,
                    provisional=False,
                    created_at=world.ana.created_at,
                )
            )
        uow.commit()
    with runtime.unit_of_work() as uow:
        together = resolve_actors(uow, world.tenant.id, batch())
        apart = [resolve_actor(uow, twin.id, list(a.identifiers), a.name, a.account_name) for a in batch()]
        uow.commit()
    assert together[0] == together[5] == world.ana.id
    assert together[1] == world.ben.id
    assert together[2] == together[3] != together[4]
    assert names(runtime, world.tenant.id, together) == names(runtime, twin.id, apart)
    assert names(runtime, world.tenant.id, together)[2:5] == [
        ("New One", True),
        ("New One", True),
        ("Unknown learner", True),
    ]
    with runtime.unit_of_work(read_only=True) as uow:
        links = sorted(
            (kind, value)
            for kind, value in uow.session.execute(
                select(IdentityRecord.kind, IdentityRecord.value).where(IdentityRecord.tenant_id == world.tenant.id)
            )
        )
    assert links == sorted(
        [
            ("email", "ana@acme.test"),
            ("account", f"{HOME} u-ben"),
            ("email", "new@acme.test"),
            ("openid", "https://id.test/new"),
            ("mbox_sha1sum", email_sha1("x@acme.test")),
        ]
    )


def test_an_actor_without_identifiers_is_refused_and_nothing_is_created(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match="at least one identifier"):
            resolve_actors(uow, world.tenant.id, [Actor((Identifier("email", "z@acme.test"),)), Actor(())])
        assert uow.session.scalars(select(IdentityRecord)).all() == []

"""A small organisation in the database: a tenant, a course, learners, a manager and a skill catalogue."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from alignment.catalogue import Skill, create_skill
from alignment.people import Context, Person, Role, join, upsert_context, upsert_person
from alignment.tenancy import Tenant, create_tenant
from sweetspot.runtime import Runtime


@dataclass(frozen=True)
class World:
    """What a test starts from."""

    tenant: Tenant
    other_tenant: Tenant
    course: Context
    ana: Person
    ben: Person
    manager: Person
    python: Skill
    sql: Skill
    swahili: Skill
    excel: Skill


@pytest.fixture
def world(runtime: Runtime) -> World:
    """Acme with one course, learners Ana and Ben, manager Maria, and four skills; plus another tenant."""
    with runtime.unit_of_work() as uow:
        tenant = create_tenant(uow, "acme", "Acme Ltd")
        other = create_tenant(uow, "globex", "Globex")
        course = upsert_context(uow, tenant.id, "course-101", "Data skills for analysts")
        ana = upsert_person(uow, tenant.id, "u-ana", "Ana Alves", "ana@acme.test")
        ben = upsert_person(uow, tenant.id, "u-ben", "Ben Brown")
        maria = upsert_person(uow, tenant.id, "u-maria", "Maria Manager")
        join(uow, course, ana, Role.LEARNER)
        join(uow, course, ben, Role.LEARNER)
        join(uow, course, maria, Role.MANAGER)
        skills = [
            create_skill(uow, tenant.id, "Python", "Data", "https://skills.acme.test/python"),
            create_skill(uow, tenant.id, "SQL", "Data"),
            create_skill(uow, tenant.id, "Swahili", "Languages"),
            create_skill(uow, tenant.id, "Excel", "Office"),
        ]
        uow.commit()
    return World(tenant, other, course, ana, ben, maria, *skills)

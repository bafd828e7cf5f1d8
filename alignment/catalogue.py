"""The skill catalogue of a tenant: create, rename, merge, retire, and import a competency framework."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment import sentences
from alignment.database import Base, UnitOfWork, utcnow
from alignment.errors import Conflict, InvalidInput, NotFound
from alignment.frameworks import Framework
from alignment.tenancy import catalogue_changed


class SkillRecord(Base):
    """A skill as stored."""

    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), UniqueConstraint("tenant_id", "uri"))

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(120))
    uri: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    retired_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id"))
    created_at: Mapped[datetime]


@dataclass(frozen=True)
class Skill:
    """An entry of the catalogue."""

    id: int
    name: str
    category: str | None
    uri: str | None
    description: str | None
    retired: bool
    merged_into_id: int | None


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed."""

    created: int
    updated: int
    unchanged: int


def _skill(record: SkillRecord) -> Skill:
    return Skill(
        id=record.id,
        name=record.name,
        category=record.category,
        uri=record.uri,
        description=record.description,
        retired=record.retired_at is not None,
        merged_into_id=record.merged_into_id,
    )


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise InvalidInput(sentences.REFUSED_SKILL_NAME(most=200))
    return name


def _clean_category(category: str | None) -> str | None:
    category = " ".join((category or "").split())
    if len(category) > 120:
        raise InvalidInput(sentences.REFUSED_SKILL_CATEGORY(most=120))
    return category or None


def create_skill(
    uow: UnitOfWork,
    tenant_id: int,
    name: str,
    category: str | None = None,
    uri: str | None = None,
    description: str | None = None,
) -> Skill:
    """Add a skill to the tenant's catalogue; names and URIs are unique within a tenant."""
    name = _clean_name(name)
    _refuse_duplicate(uow, tenant_id, name, uri)
    record = SkillRecord(
        tenant_id=tenant_id,
        name=name,
        category=_clean_category(category),
        uri=(uri or "").strip() or None,
        description=description,
        created_at=utcnow(),
    )
    uow.session.add(record)
    uow.session.flush()
    catalogue_changed(uow, tenant_id)
    return _skill(record)


def _refuse_duplicate(
    uow: UnitOfWork, tenant_id: int, name: str, uri: str | None, except_id: int | None = None
) -> None:
    for column, value in ((SkillRecord.name, name), (SkillRecord.uri, uri)):
        if not value:
            continue
        clash = uow.session.scalar(select(SkillRecord.id).where(SkillRecord.tenant_id == tenant_id, column == value))
        if clash is not None and clash != except_id:
            raise Conflict(sentences.REFUSED_SKILL_CLASH(field=column.key, value=value, skill=str(clash)))


def _record(uow: UnitOfWork, tenant_id: int, skill_id: int) -> SkillRecord:
    record = uow.session.get(SkillRecord, skill_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(sentences.NOT_FOUND_SKILL(id=str(skill_id)))
    return record


def get_skill(uow: UnitOfWork, tenant_id: int, skill_id: int) -> Skill:
    """The skill with `skill_id` in this tenant, or NotFound."""
    return _skill(_record(uow, tenant_id, skill_id))


def rename_skill(uow: UnitOfWork, tenant_id: int, skill_id: int, name: str, category: str | None = None) -> Skill:
    """Give a skill a new name (and category, when given); its URI and all its uses stay."""
    record = _record(uow, tenant_id, skill_id)
    name = _clean_name(name)
    _refuse_duplicate(uow, tenant_id, name, None, except_id=skill_id)
    record.name = name
    if category is not None:
        record.category = _clean_category(category)
    uow.session.flush()
    catalogue_changed(uow, tenant_id)
    return _skill(record)


def retire_skill(uow: UnitOfWork, tenant_id: int, skill_id: int) -> Skill:
    """Take a skill out of use: it stays in history but can no longer be chosen."""
    record = _record(uow, tenant_id, skill_id)
    record.retired_at = record.retired_at or utcnow()
    uow.session.flush()
    catalogue_changed(uow, tenant_id)
    return _skill(record)


def list_skills(uow: UnitOfWork, tenant_id: int, include_retired: bool = False) -> list[Skill]:
    """The catalogue by category, then name."""
    query = select(SkillRecord).where(SkillRecord.tenant_id == tenant_id)
    if not include_retired:
        query = query.where(SkillRecord.retired_at.is_(None))
    records = uow.session.scalars(query.order_by(SkillRecord.category, SkillRecord.name))
    return [_skill(r) for r in records]


def active_skills_by_id(uow: UnitOfWork, tenant_id: int, skill_ids: Iterable[int]) -> dict[int, Skill]:
    """The given skills of this tenant; an unknown or retired one is an InvalidInput naming it."""
    wanted = set(skill_ids)
    if not wanted:
        return {}
    records = uow.session.scalars(
        select(SkillRecord).where(SkillRecord.tenant_id == tenant_id, SkillRecord.id.in_(wanted))
    )
    found = {r.id: _skill(r) for r in records}
    missing = sorted(wanted - found.keys())
    if missing:
        raise InvalidInput(sentences.REFUSED_SKILLS_UNKNOWN(ids=sentences.ids(missing)))
    retired = sorted(s.id for s in found.values() if s.retired)
    if retired:
        raise InvalidInput(sentences.REFUSED_SKILLS_RETIRED(ids=sentences.ids(retired)))
    return found


def import_framework(uow: UnitOfWork, tenant_id: int, framework: Framework) -> ImportSummary:
    """Create or update the framework's skills, matched by URI (or by name when there is none)."""
    created = updated = unchanged = 0
    for entry in framework.skills:
        name = _clean_name(entry.name)
        record = None
        if entry.uri:
            record = uow.session.scalar(
                select(SkillRecord).where(SkillRecord.tenant_id == tenant_id, SkillRecord.uri == entry.uri)
            )
        if record is None:
            record = uow.session.scalar(
                select(SkillRecord).where(SkillRecord.tenant_id == tenant_id, SkillRecord.name == name)
            )
        if record is None:
            create_skill(uow, tenant_id, name, entry.category, entry.uri, entry.description)
            created += 1
            continue
        wanted = (name, _clean_category(entry.category), entry.uri or record.uri, entry.description)
        if wanted == (record.name, record.category, record.uri, record.description):
            unchanged += 1
            continue
        _refuse_duplicate(uow, tenant_id, name, entry.uri, except_id=record.id)
        record.name, record.category, record.uri, record.description = wanted
        uow.session.flush()
        catalogue_changed(uow, tenant_id)
        updated += 1
    return ImportSummary(created, updated, unchanged)

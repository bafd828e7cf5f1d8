"""Merging two skills of a catalogue, carrying every agenda and opportunity that used the old one."""

from __future__ import annotations

from sqlalchemy import delete, select

from alignment.agendas import OrgNeedRecord, PersonalInterestRecord
from alignment.catalogue import Skill, SkillRecord, get_skill
from alignment.database import UnitOfWork, utcnow
from alignment.errors import InvalidInput
from alignment.opportunities import OpportunitySkillRecord
from alignment.tenancy import catalogue_changed


def merge_skills(uow: UnitOfWork, tenant_id: int, source_id: int, target_id: int) -> Skill:
    """Fold `source` into `target`: agendas (every version) and opportunities now use the target.

    Where both skills were used, the higher interest, need or weight is kept (and the target's why,
    or the source's if the target had none). The source is retired and remembers the target.
    """
    if source_id == target_id:
        raise InvalidInput("a skill cannot be merged into itself")
    source = get_skill(uow, tenant_id, source_id)
    target = get_skill(uow, tenant_id, target_id)
    if target.retired:
        raise InvalidInput(f"skill {target.name!r} is retired and cannot receive a merge")
    if source.merged_into_id is not None:
        raise InvalidInput(f"skill {source.name!r} was already merged")

    for row in list(
        uow.session.scalars(select(PersonalInterestRecord).where(PersonalInterestRecord.skill_id == source_id))
    ):
        kept = uow.session.get(PersonalInterestRecord, (row.agenda_id, target_id))
        if kept is None:
            uow.session.add(PersonalInterestRecord(agenda_id=row.agenda_id, skill_id=target_id, interest=row.interest))
        else:
            kept.interest = max(kept.interest, row.interest)
    for need in list(uow.session.scalars(select(OrgNeedRecord).where(OrgNeedRecord.skill_id == source_id))):
        kept_need = uow.session.get(OrgNeedRecord, (need.agenda_id, target_id))
        if kept_need is None:
            uow.session.add(OrgNeedRecord(agenda_id=need.agenda_id, skill_id=target_id, need=need.need, why=need.why))
        else:
            kept_need.why = kept_need.why or need.why
            kept_need.need = max(kept_need.need, need.need)
    for use in list(
        uow.session.scalars(select(OpportunitySkillRecord).where(OpportunitySkillRecord.skill_id == source_id))
    ):
        kept_use = uow.session.get(OpportunitySkillRecord, (use.opportunity_id, target_id))
        if kept_use is None:
            uow.session.add(
                OpportunitySkillRecord(opportunity_id=use.opportunity_id, skill_id=target_id, weight=use.weight)
            )
        else:
            kept_use.weight = max(kept_use.weight, use.weight)
    uow.session.flush()
    for table in (PersonalInterestRecord, OrgNeedRecord, OpportunitySkillRecord):
        uow.session.execute(delete(table).where(table.skill_id == source_id))
    record = uow.session.get(SkillRecord, source_id)
    assert record is not None
    record.retired_at = record.retired_at or utcnow()
    record.merged_into_id = target_id
    uow.session.flush()
    catalogue_changed(uow, tenant_id)
    return get_skill(uow, tenant_id, target_id)

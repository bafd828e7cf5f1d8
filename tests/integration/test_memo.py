"""What the engine keeps between units of work is kept only while the catalogue it comes from is unchanged."""

from alignment.candidates import Catalogue
from alignment.catalogue import rename_skill, retire_skill
from alignment.database import UnitOfWork
from alignment.opportunities import OpportunityDraft, create_opportunity, retire_opportunity, update_opportunity
from alignment.skill_merging import merge_skills
from alignment.snapshots import load_catalogue
from sweetspot.runtime import Runtime
from tests.integration.conftest import World


def catalogue(runtime: Runtime, tenant_id: int) -> Catalogue:
    with runtime.unit_of_work(read_only=True) as uow:
        return load_catalogue(uow, tenant_id)


def test_the_kept_catalogue_is_read_again_after_every_change_to_skills_or_opportunities(
    runtime: Runtime, world: World
) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        sql = create_opportunity(uow, t, OpportunityDraft("SQL", "course", 2, {world.sql.id: 1.0}))
        uow.commit()
    first = catalogue(runtime, t)
    assert catalogue(runtime, t) is first
    assert [o.title for o in first.opportunities] == ["SQL"]

    def after(change: object) -> Catalogue:
        with runtime.unit_of_work() as uow:
            assert isinstance(uow, UnitOfWork)
            change(uow)  # type: ignore[operator]
            uow.commit()
        return catalogue(runtime, t)

    renamed = after(lambda uow: rename_skill(uow, t, world.sql.id, "Structured Query Language"))
    assert renamed is not first
    assert renamed.skill_names[world.sql.id] == "Structured Query Language"
    updated = after(lambda uow: update_opportunity(uow, t, sql.id, OpportunityDraft("SQL 2", "course", 3)))
    assert [(o.title, dict(o.skills)) for o in updated.opportunities] == [("SQL 2", {})]
    merged = after(lambda uow: merge_skills(uow, t, world.excel.id, world.python.id))
    assert merged is not updated
    retired = after(lambda uow: retire_skill(uow, t, world.swahili.id))
    assert retired is not merged
    emptied = after(lambda uow: retire_opportunity(uow, t, sql.id))
    assert emptied.opportunities == ()
    # Nothing changed since: the same catalogue again.
    assert catalogue(runtime, t) is emptied
    # Another tenant's catalogue is its own.
    assert catalogue(runtime, world.other_tenant.id).opportunities == ()

"""`sweetspot skills …`, `sweetspot opportunities …` and `sweetspot people import`: the catalogue, what is on
offer, and what HR knows of the people who learn."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from alignment.catalogue import import_framework, list_skills, rename_skill, retire_skill
from alignment.errors import InvalidInput
from alignment.frameworks import parse_framework_file, parse_opportunities_csv, parse_people_csv
from alignment.opportunities import DISCOVERED, import_opportunities, list_opportunities
from alignment.people_import import import_people
from alignment.skill_merging import merge_skills
from sweetspot.cli.base import CliState, find_tenant, pass_state, tenant_option

MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise InvalidInput(f"{path} is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{path} is not UTF-8 text: {error.reason} at byte {error.start}") from None


@click.group()
def skills() -> None:
    """The tenant's skill catalogue."""


@skills.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tenant_option
@pass_state
def import_skills(state: CliState, file: Path, tenant_slug: str) -> None:
    """Import skills from a CSV file (name, category, uri, description) or a CASE package (.json)."""
    tenant = find_tenant(state, tenant_slug)
    framework = parse_framework_file(str(file), _read(file))
    with state.current_runtime.unit_of_work() as uow:
        summary = import_framework(uow, tenant.id, framework)
        uow.commit()
    click.echo(
        f"{framework.title}: {summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged"
    )


@skills.command("list")
@tenant_option
@click.option("--all", "include_retired", is_flag=True, help="Include retired and merged skills.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def list_skills_command(state: CliState, tenant_slug: str, include_retired: bool, as_json: bool) -> None:
    """List the catalogue by category."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        found = list_skills(uow, tenant.id, include_retired)
    if as_json:
        click.echo(json.dumps([s.__dict__ for s in found], indent=2))
        return
    for skill in found:
        status = " (retired)" if skill.retired else ""
        click.echo(f"{skill.id:>6}  {skill.category or '-':<24} {skill.name}{status}")


@skills.command("rename")
@click.argument("skill_id", type=int)
@click.argument("name")
@tenant_option
@click.option("--category", default=None, help="Move it to this category too.")
@pass_state
def rename(state: CliState, skill_id: int, name: str, tenant_slug: str, category: str | None) -> None:
    """Rename a skill; its URI and every use of it stay."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        skill = rename_skill(uow, tenant.id, skill_id, name, category)
        uow.commit()
    click.echo(f"skill {skill.id} is now {skill.name!r}")


@skills.command("merge")
@click.argument("source_id", type=int)
@click.argument("target_id", type=int)
@tenant_option
@pass_state
def merge(state: CliState, source_id: int, target_id: int, tenant_slug: str) -> None:
    """Fold skill SOURCE_ID into TARGET_ID in every agenda and opportunity, then retire it."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        target = merge_skills(uow, tenant.id, source_id, target_id)
        uow.commit()
    click.echo(f"skill {source_id} merged into {target.id} ({target.name})")


@skills.command("retire")
@click.argument("skill_id", type=int)
@tenant_option
@pass_state
def retire(state: CliState, skill_id: int, tenant_slug: str) -> None:
    """Retire a skill: kept in history, no longer chosen."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        skill = retire_skill(uow, tenant.id, skill_id)
        uow.commit()
    click.echo(f"skill {skill.id} ({skill.name}) retired")


@click.group()
def opportunities() -> None:
    """The learning opportunities on offer."""


@opportunities.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tenant_option
@pass_state
def import_opportunities_command(state: CliState, file: Path, tenant_slug: str) -> None:
    """Import opportunities from CSV (title, kind, effort_hours, skills, activity_ids, …); all or nothing."""
    tenant = find_tenant(state, tenant_slug)
    rows = parse_opportunities_csv(_read(file))
    with state.current_runtime.unit_of_work() as uow:
        names = {s.name: s.id for s in list_skills(uow, tenant.id)}
        summary = import_opportunities(uow, tenant.id, rows, names)
        uow.commit()
    click.echo(f"{summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged")


@opportunities.command("list")
@tenant_option
@click.option("--discovered", is_flag=True, help="Only activities seen in statements and waiting for skill tags.")
@pass_state
def list_opportunities_command(state: CliState, tenant_slug: str, discovered: bool) -> None:
    """List opportunities with their effort and skills."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        found = list_opportunities(uow, tenant.id, (DISCOVERED,) if discovered else ("active",))
        names = {s.id: s.name for s in list_skills(uow, tenant.id, include_retired=True)}
    for o in found:
        tags = ", ".join(f"{names.get(s, s)} {w:g}" for s, w in sorted(o.skills.items())) or "untagged"
        click.echo(f"{o.id:>6}  {o.kind:<13} {o.effort_hours:>6g} h  {o.title}  [{tags}]")


@click.group()
def people() -> None:
    """What HR knows of the people who learn: since when each holds their role, and its name."""


@people.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tenant_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def import_people_command(state: CliState, file: Path, tenant_slug: str, as_json: bool) -> None:
    """Import a people CSV (lms_user_id and/or email, name, role_started_on, role_label); all or nothing.

    Empty cells leave what is stored; a new LMS user id makes the person."""
    tenant = find_tenant(state, tenant_slug)
    now = datetime.now(UTC)
    rows = parse_people_csv(_read(file), now.date())
    with state.current_runtime.unit_of_work() as uow:
        summary = import_people(uow, tenant.id, rows, now)
        uow.commit()
    if as_json:
        click.echo(json.dumps(summary.__dict__ | {"unmatched": list(summary.unmatched)}))
        return
    click.echo(
        f"{summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.replanned} roadmaps re-planned"
    )
    if summary.unmatched:
        lines = ", ".join(map(str, summary.unmatched))
        click.echo(f"no person has the email on line(s) {lines}: not imported", err=True)

"""Domain sentences stored as message ids with parameters; policy versions

Roadmap reasons and history, the reasons inside stored plans, and stall-flag summaries and suggested
conversations were English sentences; they become messages (`alignment.messages.Message.to_json`) that
the pages say in the visitor's language. Existing sentences are read back into their message id and
parameters (flags from their evidence, the rest by the English templates they were written with);
a sentence that matches no template is kept verbatim. The tenant policy gains a version number.

Revision ID: 0012_domain_messages
Revises: 0011_lti_services
Create Date: 2026-11-24 00:12:19.969460
"""

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0012_domain_messages"
down_revision: str | None = "0011_lti_services"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

_roadmaps = sa.table(
    "roadmaps", sa.column("id", sa.Integer), sa.column("reason", sa.Text), sa.column("changes", sa.Text),
    sa.column("plan", sa.JSON),
)  # fmt: skip
_flags = sa.table(
    "stall_flags", sa.column("id", sa.Integer), sa.column("person_id", sa.Integer), sa.column("rule", sa.String),
    sa.column("summary", sa.Text), sa.column("evidence", sa.JSON), sa.column("action", sa.Text),
)  # fmt: skip
_people = sa.table("people", sa.column("id", sa.Integer), sa.column("name", sa.String))


def upgrade() -> None:
    """Apply this revision."""
    connection = op.get_bind()
    # The text columns first take the messages as JSON text, then change type (PostgreSQL casts them).
    _rewrite(connection, _roadmaps, ("reason", "changes", "plan"), _roadmap_to_messages)
    _rewrite(connection, _flags, ("rule", "summary", "evidence", "action"), _flag_to_messages)
    for table, columns in (("roadmaps", ("reason", "changes")), ("stall_flags", ("summary", "action"))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column, existing_type=sa.TEXT(), type_=sa.JSON(), existing_nullable=False,
                    postgresql_using=f"{column}::json",
                )  # fmt: skip

    with op.batch_alter_table("tenant_policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("changed_at", alignment.database.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("changed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tenant_policies_changed_by_id_people"), "people", ["changed_by_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("tenant_policies", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tenant_policies_changed_by_id_people"), type_="foreignkey")
        batch_op.drop_column("changed_by_id")
        batch_op.drop_column("changed_at")
        batch_op.drop_column("version")

    for table, columns in (("stall_flags", ("action", "summary")), ("roadmaps", ("changes", "reason"))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column, existing_type=sa.JSON(), type_=sa.TEXT(), existing_nullable=False,
                    postgresql_using=f"{column}::text",
                )  # fmt: skip
    connection = op.get_bind()
    _rewrite(connection, _roadmaps, ("reason", "changes", "plan"), _roadmap_to_english)
    _rewrite(connection, _flags, ("summary", "action"), _flag_to_english)


def _rewrite(
    connection: sa.Connection,
    table: sa.TableClause,
    columns: tuple[str, ...],
    change: Callable[[sa.Connection, dict[str, Any]], dict[str, Any]],
) -> None:
    """Page through the table by id and write back what `change` makes of each row."""
    last = 0
    while True:
        rows = (
            connection.execute(
                sa.select(table.c.id, *(table.c[name] for name in columns))
                .where(table.c.id > last)
                .order_by(table.c.id)
                .limit(BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        updates = [{"row_id": row["id"], **change(connection, dict(row))} for row in rows]
        written = [name for name in updates[0] if name != "row_id"]
        connection.execute(
            table.update().where(table.c.id == sa.bindparam("row_id")).values({n: sa.bindparam(n) for n in written}),
            updates,
        )
        last = rows[-1]["id"]


# --- English sentences of revision 0011 read back into messages ------------------------------------------------


def _message(id: str, **params: Any) -> str | dict[str, Any]:
    """A message as `Message.to_json` stores it: its id alone without parameters."""
    return {"id": id, "params": dict(sorted(params.items()))} if params else id


def _verbatim(text: str) -> str | dict[str, Any]:
    return _message("verbatim", text=text)


def _roadmap_to_messages(connection: sa.Connection, row: dict[str, Any]) -> dict[str, Any]:
    plan = dict(row["plan"])
    titles = {item["opportunity_id"]: item["title"] for item in plan.get("items", [])}
    plan["items"] = [{**item, "reason": _plan_reason(item, titles)} for item in plan.get("items", [])]
    plan["left_out"] = [{**left, "reason": _left_out_reason(left["reason"])} for left in plan.get("left_out", [])]
    return {
        "reason": json.dumps(_replan_reason(row["reason"])),
        "changes": json.dumps(_changes(row["changes"])),
        "plan": plan,
    }


REPLAN_REASONS = {
    "Your first roadmap.": "replan.first",
    "You changed your agenda.": "replan.agenda",
    "Your organisation changed what it needs.": "replan.org_agenda",
    "The course's opportunities changed.": "replan.opportunities",
    "Your organisation changed its planning settings.": "replan.policy",
}


def _replan_reason(text: str) -> str | dict[str, Any]:
    if text in REPLAN_REASONS:
        return _message(REPLAN_REASONS[text])
    if found := re.fullmatch(r"“(.+)” changed\.", text, re.DOTALL):
        return _message("replan.opportunity", title=found.group(1))
    if (found := re.fullmatch(r"You finished (“.+”)\.", text, re.DOTALL)) and (titles := _titles(found.group(1))):
        return _message("replan.finished", titles=titles)
    return _verbatim(text)


def _titles(text: str) -> list[str] | None:
    """“A”, “B” → [A, B], when that is exactly how they were written."""
    titles = text[1:-1].split("”, “")
    return titles if ", ".join(f"“{t}”" for t in titles) == text else None


def _changes(text: str) -> list[str | dict[str, Any]]:
    if found := re.fullmatch(r"First roadmap: (\d+) items?\.", text):
        return [_message("changes.first", num=int(found.group(1)))]
    if not text.endswith("."):
        return [_verbatim(text)]
    messages = []
    for part in (text[0].lower() + text[1:-1]).split("; "):
        if (found := re.fullmatch(r"added (“.+”)", part, re.DOTALL)) and (titles := _titles(found.group(1))):
            messages.append(_message("changes.added", titles=titles))
        elif (found := re.fullmatch(r"no longer planned: (“.+”)", part, re.DOTALL)) and (
            titles := _titles(found.group(1))
        ):
            messages.append(_message("changes.dropped", titles=titles))
        elif found := re.fullmatch(r"finish moved (\d+) days? (later|earlier)", part):
            messages.append(_message(f"changes.{found.group(2)}", num=int(found.group(1))))
        elif part == "order or dates adjusted":
            messages.append(_message("changes.adjusted"))
        else:
            return [_verbatim(text)]
    return messages


INTEREST = ("not for me", "curious", "want", "top priority")
NEED = ("not needed", "useful", "important", "critical")


def _skills(text: str, levels: tuple[str, ...]) -> list[list[Any]] | None:
    """`Python (top priority), SQL (want)` → [[Python, 3], [SQL, 2]], when that is exactly what was written."""
    pattern = r"(.+?) \((" + "|".join(levels) + r")\)(?:, |$)"
    found = [(m.group(1), levels.index(m.group(2))) for m in re.finditer(pattern, text, re.DOTALL)]
    if not found or ", ".join(f"{name} ({levels[level]})" for name, level in found) != text:
        return None
    return [[name, level] for name, level in found]


def _plan_reason(item: dict[str, Any], titles: dict[int, str]) -> Any:
    text = item["reason"]
    if not isinstance(text, str):
        return text
    why = item.get("org_why") or ""
    if item.get("due") and text == f"Mandatory for everyone here, due {item['due']}.":
        return _message("plan.mandatory", due=item["due"])
    if found := re.fullmatch(r"Needed before “(.+)”\.", text, re.DOTALL):
        return _message("plan.needed_before", title=found.group(1))
    if text == "Neither your agenda nor the organisation's calls for the skills it builds.":
        return _message("explain.waste")
    if found := re.fullmatch(r"You want (.+?), and the organisation needs (.+)\.", text, re.DOTALL):
        wants, needs = _skills(found.group(1), INTEREST), _skills(found.group(2), NEED)
        if wants and needs:
            return _message("explain.sweet_spot", wants=wants, needs=needs)
    found = re.fullmatch(r"You want (.+); the organisation does not rely on it\.", text, re.DOTALL)
    if found and (wants := _skills(found.group(1), INTEREST)):
        return _message("explain.gift", wants=wants)
    prefix, with_why = "The organisation needs ", f". Why: {why}"
    uphill_why = why and text.startswith(prefix) and text.endswith(with_why)
    if uphill_why and (needs := _skills(text[len(prefix) : -len(with_why)], NEED)):
        return _message("explain.uphill_why", needs=needs, why=why)
    if text.startswith(prefix) and text.endswith(".") and (needs := _skills(text[len(prefix) : -1], NEED)):
        return _message("explain.uphill", needs=needs)
    return _verbatim(text)


def _left_out_reason(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    if text == "Neither your agenda nor the organisation's needs it.":
        return _message("plan.left_out_waste")
    if found := re.fullmatch(r"A gift beyond the organisation's gift budget of (\S+) h a quarter\.", text):
        try:
            return _message("plan.left_out_gift_budget", hours=float(found.group(1)))
        except ValueError:
            pass
    return _verbatim(text)


def _flag_to_messages(connection: sa.Connection, row: dict[str, Any]) -> dict[str, Any]:
    evidence = dict(row["evidence"] or {})
    return {
        "summary": json.dumps(_flag_summary(row["rule"], row["summary"], evidence)),
        "action": json.dumps(_flag_action(row["action"])),
    }


def _flag_summary(rule: str, text: str, e: dict[str, Any]) -> str | dict[str, Any]:
    """A flag's summary said again from its evidence, which holds every number the sentence named."""
    try:
        if rule == "never_started" and (
            found := re.fullmatch(
                r"(.+) has not started any learning in the (\d+) days since joining\.", text, re.DOTALL
            )
        ):
            return _message("stall.never_started", learner=found.group(1), days=int(found.group(2)))
        if rule == "gone_quiet":
            if e.get("usual_gap_days") is None:
                return _message("stall.gone_quiet", days=e["days_quiet"], last_on=e["last_activity_on"])
            return _message(
                "stall.gone_quiet_rhythm",
                days=e["days_quiet"],
                last_on=e["last_activity_on"],
                rhythm=e["usual_gap_days"],
            )
        if rule == "behind_pace" and e.get("overdue_items"):
            return _message("stall.behind_overdue", num=e["overdue_items"], title=e["oldest_overdue"], due=e["due_on"])
        if rule == "behind_pace":
            return _message(
                "stall.behind_slip", planned=e["planned_finish"], projected=e["projected_finish"], share=e["slip_share"]
            )
        if rule == "plateau":
            return _message(
                "stall.plateau", since=e["role_started_on"], recent=e["active_days_recent"],
                before=e["active_days_before"], window=e["window_days"],
            )  # fmt: skip
        if rule == "uphill_avoidance" and (found := re.search(r" in the last (\d+) days were gifts", text)):
            return _message(
                "stall.uphill_avoidance", activities=e["gift_activities"], days=int(found.group(1)),
                num=e["waiting_items"], title=e["first_waiting"],
            )  # fmt: skip
    except KeyError:
        pass
    return _verbatim(text)


ACTIONS = (
    ("action.review_agenda_first_step",
     r"Check the roadmap is relevant to (?P<learner>.+): review their agenda together and agree a first step, "
     r"such as “(?P<title>.+)”\."),
    ("action.review_agenda", r"Check the roadmap is relevant to (?P<learner>.+): review their agenda together\."),
    ("action.check_in", r"Check in with (?P<learner>.+) and ask what they want to learn next\."),
    ("action.agree_date",
     r"Agree a date with (?P<learner>.+) for “(?P<title>.+)”, due (?P<due>\d{4}-\d\d-\d\d), and make time for it "
     r"in working hours\."),
    ("action.what_blocks",
     r"Ask (?P<learner>.+) what blocks “(?P<title>.+)”: it is in their sweet spot, so something else is in the way\."),
    ("action.still_fits", r"Check in with (?P<learner>.+) about “(?P<title>.+)” and whether it still fits\."),
    ("action.stretch",
     r"Discuss a stretch assignment with (?P<learner>.+): learning tends to slow after two years in a role, and "
     r"something new restarts it\."),
    ("action.frame_missing_why",
     r"Frame the strategic why of “(?P<title>.+)” \(the organisation has not written one yet\)\."),
    ("action.frame_why", r"Frame the strategic why of “(?P<title>.+?)”: (?P<why>.*)"),
)  # fmt: skip


def _flag_action(text: str) -> str | dict[str, Any]:
    for id, pattern in ACTIONS:
        if found := re.fullmatch(pattern, text, re.DOTALL):
            return _message(id, **found.groupdict())
    return _verbatim(text)


# --- back to English sentences ------------------------------------------------------------------------------------


def _english(data: Any) -> str:
    from alignment.messages import Message
    from alignment.sentences import english

    try:
        return english(Message.from_json(data))
    except (KeyError, ValueError, TypeError):
        return str(data.get("params", {}).get("text", data.get("id", ""))) if isinstance(data, dict) else str(data)


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _roadmap_to_english(connection: sa.Connection, row: dict[str, Any]) -> dict[str, Any]:
    plan = dict(row["plan"])
    plan["items"] = [{**item, "reason": _english(item["reason"])} for item in plan.get("items", [])]
    plan["left_out"] = [{**left, "reason": _english(left["reason"])} for left in plan.get("left_out", [])]
    return {
        "reason": _english(_loaded(row["reason"])),
        "changes": " ".join(_english(change) for change in _loaded(row["changes"])),
        "plan": plan,
    }


def _flag_to_english(connection: sa.Connection, row: dict[str, Any]) -> dict[str, Any]:
    return {"summary": _english(_loaded(row["summary"])), "action": _english(_loaded(row["action"]))}

"""The org agenda for a role label is laid over the context-wide one."""

from datetime import UTC, date, datetime

from alignment.agendas import OrgAgenda, agenda_for_role
from alignment.rules.quadrants import Need, OrgNeed

AT = datetime(2026, 11, 23, tzinfo=UTC)
PYTHON, SQL, EXCEL = 1, 2, 3
SAFETY, WAREHOUSE = 10, 11


def agenda(label: str, needs: dict[int, OrgNeed], mandatory: dict[int, date]) -> OrgAgenda:
    return OrgAgenda(7, label, 2, AT, needs, mandatory, None)


CONTEXT = agenda(
    "",
    {PYTHON: OrgNeed(Need.CRITICAL, "Reports move to Python."), EXCEL: OrgNeed(Need.IMPORTANT, "Budgets.")},
    {SAFETY: date(2027, 1, 31)},
)
ROLE = agenda(
    "Data engineer",
    {SQL: OrgNeed(Need.IMPORTANT, "Engineers own the warehouse."), EXCEL: OrgNeed(Need.NOT_NEEDED)},
    {WAREHOUSE: date(2027, 2, 28), SAFETY: date(2026, 12, 31)},
)


def test_the_roles_needs_replace_the_contexts_and_the_rest_of_the_contexts_stay() -> None:
    merged = agenda_for_role(CONTEXT, ROLE)
    assert merged is not None
    assert dict(merged.needs) == {
        PYTHON: OrgNeed(Need.CRITICAL, "Reports move to Python."),
        SQL: OrgNeed(Need.IMPORTANT, "Engineers own the warehouse."),
        EXCEL: OrgNeed(Need.NOT_NEEDED),
    }
    assert merged.role_label == "Data engineer"


def test_mandatory_items_of_both_apply_and_the_roles_due_date_wins() -> None:
    merged = agenda_for_role(CONTEXT, ROLE)
    assert merged is not None
    assert dict(merged.mandatory) == {SAFETY: date(2026, 12, 31), WAREHOUSE: date(2027, 2, 28)}


def test_either_agenda_alone_applies_as_it_is() -> None:
    assert agenda_for_role(CONTEXT, None) is CONTEXT
    assert agenda_for_role(None, ROLE) is ROLE
    assert agenda_for_role(None, None) is None

"""How the server describes a database that is not at the schema it needs."""

from sweetspot.database import SchemaStatus


def test_current_database_is_reported_current() -> None:
    status = SchemaStatus(current=("0002",), expected=("0002",), known=("0002", "0001"))
    assert status.is_current
    assert status.describe() == "database schema is current (at revision 0002)"


def test_database_behind_names_the_upgrade_command() -> None:
    status = SchemaStatus(current=("0001",), expected=("0002",), known=("0002", "0001"))
    assert not status.is_current
    assert "run `sweetspot db upgrade`" in status.describe()
    assert "needs revision 0002" in status.describe()


def test_empty_database_is_behind() -> None:
    status = SchemaStatus(current=(), expected=("0001",), known=("0001",))
    assert status.describe().startswith("database is empty but this Sweetspot needs revision 0001")


def test_database_from_a_newer_release_is_not_told_to_upgrade() -> None:
    status = SchemaStatus(current=("0009",), expected=("0002",), known=("0002", "0001"))
    assert not status.is_current
    assert "sweetspot db upgrade" not in status.describe()
    assert "newer version" in status.describe()

"""Tenants are created and listed with the `sweetspot tenant` commands."""

import json

from alignment.tenancy import list_tenants
from sweetspot.runtime import Runtime
from tests.conftest import Cli


def test_created_tenant_is_listed(cli: Cli) -> None:
    created = cli("tenant", "create", "acme", "--name", "Acme Learning Ltd")
    assert created.exit_code == 0, created.output
    assert "created tenant acme" in created.output
    listed = cli("tenant", "list")
    assert listed.exit_code == 0
    assert "acme  Acme Learning Ltd" in listed.output


def test_tenant_list_as_json(cli: Cli) -> None:
    cli("tenant", "create", "globex", "--name", "Globex")
    cli("tenant", "create", "acme", "--name", "Acme")
    rows = json.loads(cli("tenant", "list", "--json").output)
    assert [row["slug"] for row in rows] == ["acme", "globex"]
    assert rows[0]["name"] == "Acme"


def test_empty_list_says_how_to_create_a_tenant(cli: Cli) -> None:
    result = cli("tenant", "list")
    assert result.exit_code == 0
    assert "sweetspot tenant create" in result.output


def test_duplicate_slug_is_refused_and_changes_nothing(cli: Cli, runtime: Runtime) -> None:
    cli("tenant", "create", "acme", "--name", "Acme")
    again = cli("tenant", "create", "acme", "--name", "Another Acme")
    assert again.exit_code == 1
    assert "a tenant with slug 'acme' already exists" in again.output
    with runtime.unit_of_work() as uow:
        assert [t.name for t in list_tenants(uow)] == ["Acme"]


def test_invalid_slug_is_refused_with_the_rule(cli: Cli, runtime: Runtime) -> None:
    for slug in ("Acme", "acme-", "acme_ltd", "a" * 64, ""):
        result = cli("tenant", "create", slug, "--name", "Acme")
        assert result.exit_code == 1, slug
        assert "lower-case letters, digits and hyphens" in result.output
    with runtime.unit_of_work() as uow:
        assert list_tenants(uow) == []


def test_blank_name_is_refused(cli: Cli) -> None:
    result = cli("tenant", "create", "acme", "--name", "   ")
    assert result.exit_code == 1
    assert "name must be 1 to 200 characters" in result.output


def test_missing_name_option_is_named(cli: Cli) -> None:
    result = cli("tenant", "create", "acme")
    assert result.exit_code == 2
    assert "--name" in result.output

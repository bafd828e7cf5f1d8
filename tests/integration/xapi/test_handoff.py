"""Statements become learning events: identities resolve, unknown actors are provisional, replays count once."""

import json
import socket
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from alignment.events import LearningEventRecord
from alignment.identities import Identifier, link, merge_people
from alignment.people import PersonRecord, find_context, roster
from sweetspot.jobs import hand_off_statements
from sweetspot.runtime import Runtime
from tests.conftest import Cli
from tests.integration.conftest import World
from tests.integration.xapi.conftest import Lrs, statement, with_id
from xapi_listener.handoff import XAPI_ONLY_CONTEXT, replay


def events_of(runtime: Runtime, person_id: int) -> int:
    with runtime.unit_of_work() as uow:
        return (
            uow.session.scalar(
                select(func.count()).select_from(LearningEventRecord).where(LearningEventRecord.person_id == person_id)
            )
            or 0
        )


def test_statement_by_email_lands_on_the_known_learner(lrs: Lrs, runtime: Runtime, world: World) -> None:
    lrs.post(statement(email="ANA@acme.test"))
    assert hand_off_statements(runtime, world.tenant.id) == 1
    assert events_of(runtime, world.ana.id) == 1
    assert hand_off_statements(runtime, world.tenant.id) == 0


def test_moodle_account_name_matches_the_lms_user_id(lrs: Lrs, runtime: Runtime, world: World) -> None:
    moodle = statement()
    moodle["actor"] = {"name": "Ben", "account": {"homePage": "https://moodle.acme.test", "name": "u-ben"}}
    response = lrs.post(moodle)
    assert response.status_code == 200, response.get_json()
    assert hand_off_statements(runtime, world.tenant.id) == 1
    assert events_of(runtime, world.ben.id) == 1


def test_unknown_actor_becomes_a_provisional_learner_then_merges(lrs: Lrs, runtime: Runtime, world: World) -> None:
    lrs.post([statement(email="carla@acme.test"), statement(email="carla@acme.test", activity="https://x.test/a")])
    hand_off_statements(runtime, world.tenant.id)
    with runtime.unit_of_work() as uow:
        carla = uow.session.scalar(select(PersonRecord).where(PersonRecord.email == "carla@acme.test"))
        assert carla is not None and carla.provisional
        xapi_only = find_context(uow, world.tenant.id, XAPI_ONLY_CONTEXT[0])
        assert [m.person.id for m in roster(uow, xapi_only)] == [carla.id]
        link(uow, world.tenant.id, world.ben.id, Identifier("lms_user_id", "u-ben"))
        merge_people(uow, world.tenant.id, carla.id, world.ben.id)
        uow.commit()
    assert events_of(runtime, world.ben.id) == 2
    lrs.post(statement(email="carla@acme.test", activity="https://x.test/b"))
    hand_off_statements(runtime, world.tenant.id)
    assert events_of(runtime, world.ben.id) == 3


def test_replay_hands_everything_over_again_without_double_counting(lrs: Lrs, runtime: Runtime, world: World) -> None:
    lrs.post([statement(), statement(activity="https://x.test/2")])
    hand_off_statements(runtime, world.tenant.id)
    with runtime.unit_of_work() as uow:
        again = replay(uow, world.tenant.id, datetime.now(UTC))
        uow.commit()
    assert (again.statements, again.events) == (2, 0)
    assert events_of(runtime, world.ana.id) == 2


def test_load_command_reads_json_lines_and_arrays(cli: Cli, runtime: Runtime, world: World, tmp_path: Path) -> None:
    lines = tmp_path / "statements.jsonl"
    lines.write_text("\n".join(json.dumps(with_id(statement())) for _ in range(3)) + "\n")
    array = tmp_path / "statements.json"
    array.write_text(json.dumps([with_id(statement(email="ben@acme.test"))]))
    first = cli("xapi", "load", str(lines), "--tenant", "acme")
    assert first.exit_code == 0, first.output
    assert first.output == "3 statements read, 3 new; 3 handed to the alignment engine\n"
    assert cli("xapi", "load", str(lines), "--tenant", "acme").output.startswith("3 statements read, 0 new")
    assert cli("xapi", "load", str(array), "--tenant", "acme").exit_code == 0
    assert events_of(runtime, world.ana.id) == 3
    with runtime.unit_of_work() as uow:
        # Ben has no email on file, so this is a new, provisional person until Ben launches.
        provisional = uow.session.execute(
            select(PersonRecord.id, PersonRecord.provisional).where(PersonRecord.email == "ben@acme.test")
        ).one()
    assert provisional.provisional
    assert events_of(runtime, provisional.id) == 1


def test_load_stops_at_a_bad_statement_and_names_it(cli: Cli, world: World, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(statement()) + "\n" + json.dumps({"actor": {}}) + "\n")
    result = cli("xapi", "load", str(bad), "--tenant", "acme")
    assert result.exit_code == 1
    assert "line 2" in result.output


def test_credential_commands(cli: Cli, world: World) -> None:
    created = json.loads(cli("xapi", "credentials", "create", "--tenant", "acme", "--label", "Moodle", "--json").output)
    assert created["key"].startswith("ssk_") and len(created["secret"]) >= 40
    listed = cli("xapi", "credentials", "list", "--tenant", "acme").output
    assert created["key"] in listed and created["secret"] not in listed
    assert cli("xapi", "credentials", "revoke", created["key"]).output == f"revoked {created['key']}\n"
    again = cli("xapi", "credentials", "revoke", created["key"])
    assert again.exit_code == 1 and "already revoked" in again.output


def test_a_credential_is_issued_for_the_xapi_version_its_client_speaks(cli: Cli, world: World) -> None:
    assert (
        json.loads(cli("xapi", "credentials", "create", "--tenant", "acme", "--json").output)["xapi_version"] == "1.0.3"
    )
    created = cli("xapi", "credentials", "create", "--tenant", "acme", "--xapi-version", "2.0.0", "--json")
    assert json.loads(created.output)["xapi_version"] == "2.0.0"
    refused = cli("xapi", "credentials", "create", "--tenant", "acme", "--xapi-version", "0.95")
    assert refused.exit_code == 2 and "'0.95' is not one of '1.0.3', '2.0.0'" in refused.output


def test_pull_from_an_unreachable_lrs_says_so(cli: Cli, world: World) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli(
        "xapi", "pull", "--tenant", "acme", "--from", f"http://127.0.0.1:{port}/xapi/", "--key", "k", "--secret", "s"
    )
    assert result.exit_code == 1
    assert "could not be reached" in result.output

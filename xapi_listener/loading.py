"""Loading a file of statements (a JSON array, or JSON lines) into the store, as if an LRS had sent them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignment.database import UnitOfWorkFactory, utcnow
from alignment.errors import InvalidInput
from xapi_listener.statements import StatementError, validate_statement
from xapi_listener.store import store_statements

BATCH = 500
LOADER_AUTHORITY = {
    "objectType": "Agent",
    "name": "sweetspot xapi load",
    "account": {"homePage": "urn:sweetspot:cli", "name": "load"},
}


@dataclass(frozen=True)
class Loaded:
    """How many statements a file held and how many were new."""

    statements: int
    new: int


def read_statements(path: Path) -> Iterator[tuple[str, Any]]:
    """Each statement of the file with where it is ('line 7' or '[7]'), without reading a JSON-lines file whole."""
    with path.open(encoding="utf-8-sig") as file:
        first = ""
        while not first.strip():
            first = file.read(1)
            if first == "":
                return
        file.seek(0)
        if first == "[":
            try:
                statements = json.load(file)
            except json.JSONDecodeError as error:
                raise InvalidInput(f"{path}: not valid JSON: {error.msg} (line {error.lineno})") from None
            for index, statement in enumerate(statements):
                yield f"[{index}]", statement
            return
        for number, line in enumerate(file, start=1):
            if line.strip():
                try:
                    yield f"line {number}", json.loads(line)
                except json.JSONDecodeError as error:
                    raise InvalidInput(f"{path}: line {number} is not valid JSON: {error.msg}") from None


def load_file(unit_of_work: UnitOfWorkFactory, tenant_id: int, path: Path, version: str = "1.0.3") -> Loaded:
    """Validate and store every statement of the file, committing in batches; a bad one stops the load there."""
    total = new = 0
    batch: list[Any] = []
    for where, statement in read_statements(path):
        try:
            validate_statement(statement, version)
        except StatementError as error:
            raise InvalidInput(f"{path} {where}: {error} ({total} statements before it were loaded)") from None
        batch.append(statement)
        total += 1
        if len(batch) == BATCH:
            new += _store(unit_of_work, tenant_id, batch, version)
            batch = []
    if batch:
        new += _store(unit_of_work, tenant_id, batch, version)
    return Loaded(total, new)


def _store(unit_of_work: UnitOfWorkFactory, tenant_id: int, batch: list[Any], version: str) -> int:
    with unit_of_work() as uow:
        accepted = store_statements(
            uow,
            tenant_id,
            batch,
            stored=utcnow(),
            authority=LOADER_AUTHORITY,
            version="2.0.0" if version.startswith("2") else "1.0.0",
            credential_id=None,
        )
        uow.commit()
    return accepted.new

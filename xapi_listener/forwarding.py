"""Statements pushed by another LRS's statement forwarding, as the forwarders really send them.

What the forwarders send (read from their documentation and source):

- Learning Locker POSTs one stored statement per request, with `stored`, `authority` and `version`
  already set; with "Send full database record?" the statement is wrapped in its database document
  (`{"statement": {...}, "lrs_id": ..., ...}`). Older releases send no X-Experience-API-Version header;
  newer ones send the statement's own `version`. Any 2xx or 3xx is success; anything else is retried
  up to the forwarder's "max retries", so the same statement can arrive more than once.
- Ralph forwards each request it accepts as it received it: POSTs an array, or PUTs one statement to
  the configured URL without a `statementId` parameter, with `stored` (and `authority` on POST) set and
  no X-Experience-API-Version header.
- Pull-style forwarders (SQL LRS's LRSPipe, SCORM Engine, Watershed's inbound data) act as ordinary
  xAPI clients of `/xapi/statements` and need nothing from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alignment.errors import InvalidInput


def forwarded_statements(body: Any) -> list[Any]:
    """The statements in a forwarded body: one statement, an array, or Learning Locker's full records."""
    batch = body if isinstance(body, list) else [body]
    if not batch:
        raise InvalidInput("the request body is an empty array: forward at least one statement")
    statements = [_unwrapped(item) for item in batch]
    for index, statement in enumerate(statements):
        if isinstance(statement, Mapping) and not statement.get("id"):
            where = f"[{index}]." if isinstance(body, list) else ""
            # Without the upstream id a forwarder's retry would be stored as a second statement.
            raise InvalidInput(f"{where}id: a forwarded statement must carry the id its LRS gave it")
    return statements


def forwarded_version(statements: list[Any], header: str | None) -> str:
    """The xAPI version to validate against: the header's when sent, else the first statement's own."""
    if header is not None:
        return header
    first = statements[0] if statements else None
    version = str(first.get("version", "")) if isinstance(first, Mapping) else ""
    return "2.0.0" if version.startswith("2.") else "1.0.3"


def _unwrapped(item: Any) -> Any:
    # Learning Locker's "full database record": the statement sits under "statement", beside
    # bookkeeping of its own (lrs_id, organisation, person, hash, …) that is not part of xAPI.
    if isinstance(item, Mapping) and isinstance(item.get("statement"), Mapping) and "actor" not in item:
        return item["statement"]
    return item

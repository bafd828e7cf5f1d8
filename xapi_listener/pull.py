"""Pulling statements from an upstream LRS with the `tincan` client, resuming from a stored cursor.

Pages are read with `since` (the newest `stored` time already pulled) and `more`, oldest first. Each
page is stored and the cursor moved in one transaction, so a pull that stops halfway resumes where it
stopped, and statement ids make a repeated page harmless. Known quirks of tincan 1.0.0 are worked
around: `about()` fails against an LRS that lists 2.0.0 (so it is not called), the parsed objects
reformat statements (so the raw response body is used), and it always speaks xAPI 1.0.3.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column
from tincan import RemoteLRS

from alignment.database import Base, UnitOfWork, UnitOfWorkFactory, utcnow
from alignment.errors import InvalidInput
from alignment.messages import N_, Kind, Sentence
from xapi_listener.statements import StatementError, validate_statement
from xapi_listener.store import store_statements

# Why an upstream endpoint is refused, said on the admin page in the visitor's language.
ENDPOINT_NOT_URL = Sentence(
    "lrs.endpoint_not_url",
    N_("the upstream endpoint %(endpoint)s is not a URL: %(error)s"),
    {"endpoint": Kind.TEXT, "error": Kind.TEXT},
)
ENDPOINT_NOT_HTTP = Sentence(
    "lrs.endpoint_not_http",
    N_("the upstream endpoint must be an http(s) URL such as https://lrs.example.com/xapi/, got %(endpoint)s"),
    {"endpoint": Kind.TEXT},
)
ENDPOINT_CREDENTIALS = Sentence(
    "lrs.endpoint_credentials",
    N_("the upstream endpoint must not carry credentials: give them as the key and secret"),
)
ENDPOINT_QUERY = Sentence(
    "lrs.endpoint_query",
    N_("the upstream endpoint is the xAPI base URL, without a query or fragment, got %(endpoint)s"),
    {"endpoint": Kind.TEXT},
)

PAGE = 500


class PullCursorRecord(Base):
    """How far a tenant has pulled from one upstream LRS and credential."""

    __tablename__ = "xapi_pull_cursors"
    __table_args__ = (UniqueConstraint("tenant_id", "endpoint", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(500))
    key: Mapped[str] = mapped_column(String(200))
    since: Mapped[str | None] = mapped_column(String(40))
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    last_pulled_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Pulled:
    """What a pull read and stored."""

    statements: int
    new: int
    pages: int
    since: str | None


class UpstreamError(InvalidInput):
    """The upstream LRS refused or answered something that is not a statement result."""


PageStored = Callable[[UnitOfWork, int], None]
"""Called inside each page's transaction with the number of statements read, before it commits."""


def pull(
    unit_of_work: UnitOfWorkFactory,
    tenant_id: int,
    endpoint: str,
    key: str,
    secret: str,
    on_page: PageStored | None = None,
) -> Pulled:
    """Pull every statement stored upstream since the last pull, page by page."""
    endpoint = normalised_endpoint(endpoint)
    lrs = RemoteLRS(endpoint=endpoint, username=key, password=secret, version="1.0.3")
    with unit_of_work(read_only=True) as uow:
        cursor = _cursor(uow.session, tenant_id, endpoint, key)
        since = cursor.since if cursor else None
    query: dict[str, Any] = {"ascending": "true", "limit": PAGE}
    if since:
        query["since"] = since
    response = _ask(endpoint, partial(lrs.query_statements, query))
    total = new = pages = 0
    while True:
        page = _page(response, endpoint)
        statements = page.get("statements", [])
        for index, statement in enumerate(statements):
            try:
                validate_statement(statement, "1.0.3")
            except StatementError as error:
                raise UpstreamError(f"upstream statement [{index}] of page {pages + 1} is not valid: {error}") from None
        pages += 1
        total += len(statements)
        with unit_of_work() as uow:
            if statements:
                accepted = store_statements(
                    uow,
                    tenant_id,
                    statements,
                    stored=utcnow(),
                    authority={"objectType": "Agent", "account": {"homePage": endpoint, "name": key}},
                    version="1.0.0",
                    credential_id=None,
                    keep_upstream_stored=True,
                )
                new += accepted.new
                since = max(str(s["stored"]) for s in statements)
            record = _cursor(uow.session, tenant_id, endpoint, key) or PullCursorRecord(
                tenant_id=tenant_id, endpoint=endpoint, key=key, pulled=0
            )
            record.since, record.last_pulled_at = since, utcnow()
            record.pulled = (record.pulled or 0) + len(statements)
            uow.session.add(record)
            if on_page is not None:
                on_page(uow, len(statements))
            uow.commit()
        more = page.get("more") or ""
        if not more:
            return Pulled(total, new, pages, since)
        response = _ask(endpoint, partial(lrs.more_statements, more))


def normalised_endpoint(endpoint: str) -> str:
    """The upstream xAPI endpoint as an http(s) URL ending in "/", or InvalidInput saying what is wrong."""
    try:
        parts = urlsplit(endpoint.strip())
        parts.port  # noqa: B018 (parsing the port is what checks it)
    except ValueError as error:
        raise InvalidInput(ENDPOINT_NOT_URL(endpoint=repr(endpoint), error=str(error))) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(ENDPOINT_NOT_HTTP(endpoint=repr(endpoint)))
    if parts.username or parts.password:
        raise InvalidInput(ENDPOINT_CREDENTIALS())
    if parts.query or parts.fragment:
        raise InvalidInput(ENDPOINT_QUERY(endpoint=repr(endpoint)))
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _ask(endpoint: str, request: Callable[[], Any]) -> Any:
    try:
        return request()
    except (OSError, http.client.HTTPException) as error:
        raise UpstreamError(f"{endpoint} could not be reached: {error or type(error).__name__}") from None


def _page(response: Any, endpoint: str) -> dict[str, Any]:
    if not response.success:
        status = getattr(response.response, "status", "?")
        raise UpstreamError(f"{endpoint} answered {status}: {response.data[:200]!r}")
    try:
        page = json.loads(response.data)
    except ValueError:
        raise UpstreamError(f"{endpoint} did not answer a JSON statement result") from None
    if not isinstance(page, dict) or not isinstance(page.get("statements"), list):
        raise UpstreamError(f"{endpoint} did not answer a statement result")
    return page


def _cursor(session: Any, tenant_id: int, endpoint: str, key: str) -> PullCursorRecord | None:
    record: PullCursorRecord | None = session.scalar(
        select(PullCursorRecord).where(
            PullCursorRecord.tenant_id == tenant_id, PullCursorRecord.endpoint == endpoint, PullCursorRecord.key == key
        )
    )
    return record

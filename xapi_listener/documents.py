"""The document resources: State, Activity Profile and Agent Profile (xAPI 1.0.3 Part Three §2.3–2.7).

Documents are opaque bytes with a content type; JSON objects can also be merged by POST. Each has an
ETag (the SHA-1 of its content, as the spec's examples use) for the concurrency rules of §2.1.2.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork
from alignment.errors import InvalidInput


class DocumentKind(StrEnum):
    """Which resource a document belongs to."""

    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


class DocumentRecord(Base):
    """A document as stored; absent scope parts are empty strings so the unique key works everywhere."""

    __tablename__ = "xapi_documents"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "activity_id", "agent_key", "registration", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    activity_id: Mapped[str] = mapped_column(String(1000))
    agent_key: Mapped[str] = mapped_column(String(700))
    registration: Mapped[str] = mapped_column(String(36))
    document_id: Mapped[str] = mapped_column(String(500))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(255))
    etag: Mapped[str] = mapped_column(String(40))
    updated: Mapped[datetime]


@dataclass(frozen=True)
class Scope:
    """Where a document lives: its resource and the activity, agent and registration it belongs to."""

    tenant_id: int
    kind: DocumentKind
    activity_id: str = ""
    agent_key: str = ""
    registration: str = ""


@dataclass(frozen=True)
class Document:
    """A stored document."""

    document_id: str
    content: bytes
    content_type: str
    etag: str
    updated: datetime


class PreconditionFailed(InvalidInput):
    """An If-Match or If-None-Match header does not hold (412)."""


class PreconditionRequired(InvalidInput):
    """A profile document exists and the request gave no concurrency header (409, xAPI 1.0.3 §2.1.2)."""


def _where(scope: Scope) -> list[Any]:
    return [
        DocumentRecord.tenant_id == scope.tenant_id,
        DocumentRecord.kind == scope.kind.value,
        DocumentRecord.activity_id == scope.activity_id,
        DocumentRecord.agent_key == scope.agent_key,
        DocumentRecord.registration == scope.registration,
    ]


def get_document(uow: UnitOfWork, scope: Scope, document_id: str) -> Document | None:
    """The document with this id in the scope, or None."""
    record = uow.session.scalar(select(DocumentRecord).where(*_where(scope), DocumentRecord.document_id == document_id))
    return _document(record) if record else None


def document_ids(uow: UnitOfWork, scope: Scope, since: datetime | None = None) -> list[str]:
    """The ids of the scope's documents (updated after `since`, if given)."""
    query = select(DocumentRecord.document_id).where(*_where(scope))
    if since is not None:
        query = query.where(DocumentRecord.updated > since)
    return list(uow.session.scalars(query.order_by(DocumentRecord.document_id)))


def put_document(
    uow: UnitOfWork,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    now: datetime,
    if_match: str | None = None,
    if_none_match: str | None = None,
    require_precondition: bool = False,
) -> Document:
    """Store or replace the document, honouring If-Match / If-None-Match."""
    record = _checked(uow, scope, document_id, if_match, if_none_match, require_precondition)
    return _write(uow, scope, record, document_id, content, content_type, now)


def merge_document(
    uow: UnitOfWork,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    now: datetime,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> Document:
    """POST: store the document, or merge a JSON object into a stored JSON object (xAPI 1.0.3 §2.1.2)."""
    record = _checked(uow, scope, document_id, if_match, if_none_match, require_precondition=False)
    if record is None:
        return _write(uow, scope, None, document_id, content, content_type, now)
    incoming = _json_object(content, content_type, "the posted document")
    stored = _json_object(record.content, record.content_type, "the stored document")
    merged = json.dumps({**stored, **incoming}, separators=(",", ":")).encode()
    return _write(uow, scope, record, document_id, merged, "application/json", now)


def delete_documents(uow: UnitOfWork, scope: Scope, document_id: str | None, if_match: str | None = None) -> None:
    """Delete one document, or with no id every document of the scope."""
    if document_id is None:
        uow.session.execute(delete(DocumentRecord).where(*_where(scope)))
        return
    record = uow.session.scalar(select(DocumentRecord).where(*_where(scope), DocumentRecord.document_id == document_id))
    if record is None:
        return
    if if_match is not None and not _matches(if_match, record.etag):
        raise PreconditionFailed(f"If-Match {if_match} does not match the document's ETag")
    uow.session.delete(record)
    uow.session.flush()


def _checked(
    uow: UnitOfWork,
    scope: Scope,
    document_id: str,
    if_match: str | None,
    if_none_match: str | None,
    require_precondition: bool,
) -> DocumentRecord | None:
    record = uow.session.scalar(select(DocumentRecord).where(*_where(scope), DocumentRecord.document_id == document_id))
    if if_match is not None and (record is None or not _matches(if_match, record.etag)):
        raise PreconditionFailed(f"If-Match {if_match}: the document's current ETag differs")
    if if_none_match is not None and record is not None and _matches(if_none_match, record.etag):
        raise PreconditionFailed("If-None-Match: the document already exists")
    if require_precondition and record is not None and if_match is None and if_none_match is None:
        raise PreconditionRequired(
            "this document already exists: send If-Match with its ETag (or If-None-Match: *) to change it"
        )
    return record


def _write(
    uow: UnitOfWork,
    scope: Scope,
    record: DocumentRecord | None,
    document_id: str,
    content: bytes,
    content_type: str,
    now: datetime,
) -> Document:
    if record is None:
        record = DocumentRecord(
            tenant_id=scope.tenant_id,
            kind=scope.kind.value,
            activity_id=scope.activity_id,
            agent_key=scope.agent_key,
            registration=scope.registration,
            document_id=document_id,
        )
        uow.session.add(record)
    record.content = content
    record.content_type = content_type or "application/octet-stream"
    record.etag = hashlib.sha1(content).hexdigest()  # noqa: S324 (an ETag, not a security measure)
    record.updated = now
    uow.session.flush()
    return _document(record)


def _json_object(content: bytes, content_type: str, what: str) -> dict[str, Any]:
    if not content_type.split(";")[0].strip().lower() == "application/json":
        raise InvalidInput(f"{what} is not JSON (application/json), so it cannot be merged")
    try:
        value = json.loads(content)
    except ValueError:
        raise InvalidInput(f"{what} is not valid JSON, so it cannot be merged") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} is not a JSON object, so it cannot be merged")
    return value


def _matches(header: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    return "*" in tags or etag in tags


def _document(record: DocumentRecord) -> Document:
    return Document(record.document_id, record.content, record.content_type, record.etag, record.updated)

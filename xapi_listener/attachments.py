"""Statement attachments sent as multipart/mixed, and signed statements (xAPI 1.0.3 Part Two §2.4.11, §2.6).

A request carries the statements as its first part (application/json) and each attachment as a
further part with its SHA-2 in `X-Experience-API-Hash`. Every attachment a statement declares without
a `fileUrl` must arrive as a part, and every part must be declared. A signature attachment holds a
JWS (RS256, RS384 or RS512) whose payload is the statement as it was signed.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork
from alignment.errors import InvalidInput
from xapi_listener import strict_json

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_ALGORITHMS = ("RS256", "RS384", "RS512")
SECONDS = re.compile(r"(\d+(?:\.\d+)?)S$")
HASHES = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}
# The signature is computed before the attachments are added to the statement (§2.6).
UNSIGNED_PROPERTIES = ("attachments",)


class AttachmentRecord(Base):
    """An attachment's content, stored once per tenant however many statements share it."""

    __tablename__ = "xapi_attachments"
    __table_args__ = (UniqueConstraint("tenant_id", "sha2"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    sha2: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True)
class Part:
    """One attachment part of a request or response."""

    sha2: str
    content_type: str
    content: bytes


def parse_multipart(body: bytes, content_type: str) -> tuple[Any, dict[str, Part]]:
    """The statements (decoded JSON) and the attachment parts of a multipart/mixed body, by SHA-2."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        raise InvalidInput("multipart/mixed: the body has no parts (is the boundary right?)")
    parts = list(message.iter_parts())
    if not parts:
        raise InvalidInput("multipart/mixed: the body has no parts")
    first, *rest = parts
    if first.get_content_type() != "application/json":
        raise InvalidInput("multipart/mixed: the first part must be the statements, as application/json")
    payload = first.get_payload(decode=True)
    try:
        statements = strict_json.loads(payload if isinstance(payload, bytes) else b"")
    except RecursionError:
        raise InvalidInput("multipart/mixed: the statements part is nested too deeply to be a statement") from None
    except ValueError as error:
        raise InvalidInput(f"multipart/mixed: the statements part is not valid JSON: {error}") from None
    attachments: dict[str, Part] = {}
    for index, part in enumerate(rest, start=1):
        declared = (part.get("X-Experience-API-Hash") or "").strip().lower()
        if not declared:
            raise InvalidInput(f"multipart/mixed: part {index} lacks the X-Experience-API-Hash header")
        if (part.get("Content-Transfer-Encoding") or "binary").strip().lower() != "binary":
            raise InvalidInput(f"multipart/mixed: part {index} must use Content-Transfer-Encoding: binary")
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        if _digest(declared, content) != declared:
            raise InvalidInput(f"multipart/mixed: part {index}'s content does not match its X-Experience-API-Hash")
        attachments[declared] = Part(declared, part.get_content_type(), content)
    return statements, attachments


def check_attachments(statements: Sequence[Mapping[str, Any]], parts: Mapping[str, Part]) -> None:
    """Every declared attachment without a fileUrl has its part, every part is declared, signatures hold."""
    declared: set[str] = set()
    for index, statement in enumerate(statements):
        for n, attachment in enumerate(statement.get("attachments") or []):
            sha2 = str(attachment["sha2"]).lower()
            where = f"[{index}].attachments[{n}]"
            if sha2 in parts:
                declared.add(sha2)
            elif "fileUrl" not in attachment:
                raise InvalidInput(f"{where}: no part with X-Experience-API-Hash {sha2} and no fileUrl")
            if attachment["usageType"] == SIGNATURE:
                if sha2 not in parts:
                    raise InvalidInput(f"{where}: a signature must be sent as a part, not only as a fileUrl")
                if attachment["contentType"] != "application/octet-stream":
                    raise InvalidInput(f"{where}.contentType: a signature must be application/octet-stream")
                check_signature(statement, parts[sha2].content, where)
    unknown = sorted(set(parts) - declared)
    if unknown:
        raise InvalidInput(f"multipart/mixed: part(s) no statement declares: {', '.join(unknown)}")


def check_signature(statement: Mapping[str, Any], token: bytes, where: str) -> None:
    """The JWS is well formed, uses an RS algorithm, and its payload is this statement (§2.6)."""
    try:
        header_b64, payload_b64, signature_b64 = token.decode("ascii").strip().split(".")
        header = json.loads(_unbase64(header_b64))
        payload = json.loads(_unbase64(payload_b64))
        _unbase64(signature_b64)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput(f"{where}: the signature is not a JWS in compact serialization") from None
    if not isinstance(header, dict) or header.get("alg") not in SIGNATURE_ALGORITHMS:
        raise InvalidInput(f"{where}: the signature must use RS256, RS384 or RS512")
    if not isinstance(payload, dict) or _signed_part(payload) != _signed_part(statement):
        raise InvalidInput(f"{where}: the signed payload is not this statement")


def store_parts(uow: UnitOfWork, tenant_id: int, parts: Iterable[Part]) -> None:
    """Keep each attachment's content once per tenant."""
    wanted = {part.sha2: part for part in parts}
    if not wanted:
        return
    known = set(
        uow.session.scalars(
            select(AttachmentRecord.sha2).where(
                AttachmentRecord.tenant_id == tenant_id, AttachmentRecord.sha2.in_(list(wanted))
            )
        )
    )
    uow.session.add_all(
        AttachmentRecord(tenant_id=tenant_id, sha2=p.sha2, content_type=p.content_type, content=p.content)
        for sha2, p in wanted.items()
        if sha2 not in known
    )
    uow.session.flush()


def parts_for(uow: UnitOfWork, tenant_id: int, statements: Iterable[Mapping[str, Any]]) -> list[Part]:
    """The stored attachment parts these statements declare, each once."""
    wanted = {str(a["sha2"]).lower() for s in statements for a in s.get("attachments") or []}
    if not wanted:
        return []
    records = uow.session.scalars(
        select(AttachmentRecord).where(AttachmentRecord.tenant_id == tenant_id, AttachmentRecord.sha2.in_(list(wanted)))
    )
    return [Part(r.sha2, r.content_type, r.content) for r in records]


def multipart_response(document: Any, parts: Sequence[Part], boundary: str) -> bytes:
    """A multipart/mixed body: the JSON document first, then each attachment part."""
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(document).encode(),
        b"\r\n",
    ]
    for part in parts:
        chunks += [
            f"--{boundary}\r\nContent-Type: {part.content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {part.sha2}\r\n\r\n".encode(),
            part.content,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def _digest(declared: str, content: bytes) -> str:
    algorithm = HASHES.get(len(declared), hashlib.sha256)
    return algorithm(content).hexdigest()


def _unbase64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _to_hundredths(duration: str) -> str:
    match = SECONDS.search(duration)
    if match is None:
        return duration
    seconds = Decimal(match[1]).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{duration[: match.start(1)]}{seconds}S"


def _signed_part(statement: Mapping[str, Any]) -> dict[str, Any]:
    part = {k: v for k, v in statement.items() if k not in UNSIGNED_PROPERTIES}
    result = part.get("result")
    if isinstance(result, dict) and isinstance(result.get("duration"), str):
        # xAPI 2.0 §4.2.7: durations compare only to the hundredth of a second.
        part["result"] = {**result, "duration": _to_hundredths(result["duration"])}
    return part

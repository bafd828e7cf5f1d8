"""Statements with attachments (multipart/mixed) and signed statements."""

import hashlib
import json
import uuid
from email import message_from_bytes
from email.policy import HTTP
from typing import Any

from jwcrypto import jwk, jws

from tests.integration.xapi.conftest import Lrs, statement

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
KEY = jwk.JWK.generate(kty="RSA", size=2048)


def declared(content: bytes, usage: str = "http://id.tincanapi.com/attachment/certificate", **extra: Any) -> dict:
    return {
        "usageType": usage,
        "display": {"en-US": "Certificate"},
        "contentType": extra.pop("contentType", "text/plain"),
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
        **extra,
    }


def multipart(statements: Any, parts: list[tuple[str, bytes]], boundary: str = "xapi-boundary") -> bytes:
    chunks = [f"\r\n--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(), json.dumps(statements).encode()]
    for content_type, content in parts:
        chunks.append(
            f"\r\n--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {hashlib.sha256(content).hexdigest()}\r\n\r\n".encode()
        )
        chunks.append(content)
    chunks.append(f"\r\n--{boundary}--".encode())
    return b"".join(chunks)


def post_multipart(lrs: Lrs, body: bytes, boundary: str = "xapi-boundary"):
    return lrs.client.post(
        "/xapi/statements",
        data=body,
        headers=lrs.headers(**{"Content-Type": f"multipart/mixed; boundary={boundary}"}),
    )


def signed(body: dict[str, Any], algorithm: str = "RS256") -> bytes:
    token = jws.JWS(json.dumps(body).encode())
    key = KEY if algorithm.startswith("RS") else jwk.JWK.generate(kty="oct", size=256)
    token.add_signature(key, alg=algorithm, protected=json.dumps({"alg": algorithm}))
    return token.serialize(compact=True).encode()


def test_attachment_is_stored_and_returned_with_its_statement(lrs: Lrs) -> None:
    certificate = b"Ana completed Python for analysts"
    sent = {**statement(), "attachments": [declared(certificate)]}
    response = post_multipart(lrs, multipart(sent, [("text/plain", certificate)]))
    assert response.status_code == 200, response.get_json()
    (statement_id,) = response.get_json()
    answer = lrs.get(statementId=statement_id, attachments="true")
    assert answer.mimetype == "multipart/mixed"
    message = message_from_bytes(
        f"Content-Type: {answer.headers['Content-Type']}\r\n\r\n".encode() + answer.data, policy=HTTP
    )
    first, attachment = list(message.iter_parts())
    assert json.loads(first.get_payload(decode=True))["id"] == statement_id
    assert attachment.get_payload(decode=True) == certificate
    assert attachment["X-Experience-API-Hash"] == hashlib.sha256(certificate).hexdigest()


def test_declared_attachment_without_its_part_or_url_is_refused(lrs: Lrs) -> None:
    sent = {**statement(), "attachments": [declared(b"missing")]}
    assert lrs.post(sent).status_code == 400
    assert post_multipart(lrs, multipart(sent, [])).status_code == 400


def test_attachment_by_file_url_needs_no_part(lrs: Lrs) -> None:
    sent = {**statement(), "attachments": [declared(b"elsewhere", fileUrl="https://files.acme.test/cert.pdf")]}
    assert lrs.post(sent).status_code == 200


def test_a_part_nobody_declared_or_with_the_wrong_hash_is_refused(lrs: Lrs) -> None:
    stray = post_multipart(lrs, multipart(statement(), [("text/plain", b"who am I")]))
    assert stray.status_code == 400 and "declares" in stray.get_json()["message"]
    content = b"real content"
    body = multipart({**statement(), "attachments": [declared(content)]}, [("text/plain", content)])
    tampered = body.replace(b"real content", b"fake content")
    assert post_multipart(lrs, tampered).status_code == 400


def test_signed_statement_is_accepted_when_its_payload_is_the_statement(lrs: Lrs) -> None:
    body = {**statement(), "id": str(uuid.uuid4())}
    token = signed(body)
    sent = {**body, "attachments": [declared(token, SIGNATURE, contentType="application/octet-stream")]}
    response = post_multipart(lrs, multipart(sent, [("application/octet-stream", token)]))
    assert response.status_code == 200, response.get_json()


def test_signatures_that_do_not_hold_are_refused(lrs: Lrs) -> None:
    body = {**statement(), "id": str(uuid.uuid4())}
    for token, content_type in (
        (signed({**body, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}), "application/octet-stream"),
        (signed(body, "HS256"), "application/octet-stream"),
        (b"not.a.jws!", "application/octet-stream"),
        (signed(body), "text/plain"),
    ):
        sent = {**body, "attachments": [declared(token, SIGNATURE, contentType=content_type)]}
        response = post_multipart(lrs, multipart(sent, [(content_type, token)]))
        assert response.status_code == 400, token


def test_the_statements_part_is_read_as_strictly_as_a_json_body(lrs: Lrs) -> None:
    content = b"certificate"
    body = multipart({**statement(), "attachments": [declared(content)]}, [("text/plain", content)])
    twice = body.replace(b'{"actor"', b'{"version": "1.0.0", "version": "1.0.3", "actor"', 1)
    assert twice != body
    response = post_multipart(lrs, twice)
    assert response.status_code == 400
    assert "'version' appears twice" in response.get_json()["message"]
    assert lrs.get().get_json()["statements"] == []

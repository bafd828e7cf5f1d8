"""The xAPI resources under /xapi/ (xAPI 1.0.3 Part Three and xAPI 2.0): About and Statements.

One endpoint serves both versions, chosen per request by the X-Experience-API-Version header. Every
accepted statement is committed before the response is sent.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import structlog
from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy.engine import Engine
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import BadRequest, Forbidden, NotFound, Unauthorized

from alignment.database import UnitOfWork, UnitOfWorkFactory, utcnow
from alignment.errors import InvalidInput
from xapi_listener import document_api, strict_json
from xapi_listener.attachments import (
    Part,
    check_attachments,
    multipart_response,
    parse_multipart,
    parts_for,
    store_parts,
)
from xapi_listener.credentials import XAPI_VERSIONS, Credential, CredentialCache, authenticate
from xapi_listener.direct import authority_of, negotiated_version
from xapi_listener.formats import canonical_format, ids_format
from xapi_listener.forwarding import forwarded_statements, forwarded_version
from xapi_listener.params import refuse_unknown, timestamp
from xapi_listener.statements import StatementError, agent_key, validate_statement
from xapi_listener.store import (
    StatementQuery,
    find_statement,
    insert_at_once,
    prepare_statements,
    query_statements,
    store_prepared,
)

log = structlog.get_logger(__name__)

SUPPORTED_VERSIONS = ("1.0.3", "2.0.0")
MAX_PAGE = 500
QUERY_PARAMETERS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
        "cursor",
    }
)
STATEMENT_WRITES = frozenset({"xapi.post_statements", "xapi.put_statement", "xapi.forwarded"})
"""The endpoints that store statements; their credential is checked again where the statements are written."""
SINGLE_PARAMETERS = frozenset({"statementId", "voidedStatementId", "format", "attachments"})


def create_blueprint(
    unit_of_work: UnitOfWorkFactory,
    statements_stored: Callable[[int], None],
    autocommit_engine: Engine | None = None,
    credentials: CredentialCache | None = None,
) -> Blueprint:
    """The xAPI routes; `statements_stored(tenant_id)` is called after each commit of new statements.

    With `autocommit_engine` (PostgreSQL), a batch of new statements is stored in one autocommitted INSERT
    that also checks the credential (`store.insert_at_once`); anything else goes through a transaction.
    `credentials` is the process's cache of recently authenticated credentials (shared with
    `direct.DirectStatementWrites`, which answers from it alone).
    """
    blueprint = Blueprint("xapi", __name__, url_prefix="/xapi")
    credentials = credentials if credentials is not None else CredentialCache()

    def store(batch: list[dict[str, Any]], parts: dict[str, Part], forwarded: bool = False) -> tuple[str, ...]:
        return _store(unit_of_work, autocommit_engine, credentials, statements_stored, batch, parts, forwarded)

    @blueprint.before_request
    def negotiate_and_authenticate() -> None:
        if request.endpoint == "xapi.about":
            return
        g.started_at = utcnow()
        if "X-Experience-API-Version" in request.headers:
            g.xapi_version = _negotiate_version()
        elif request.endpoint == "xapi.forwarded":
            g.xapi_version = None  # forwarders often send no version header: each body says (see forwarding.py)
        else:
            # Refused; the answer names the version the credential's client speaks (1.0.3 for a stranger).
            g.xapi_version = _version_of_client(unit_of_work, credentials)
            raise BadRequest("X-Experience-API-Version: the header is required (1.0.3 or 2.0.0)")
        if request.endpoint in STATEMENT_WRITES:
            # Where the statements are written, revocation is checked again (see CredentialCache).
            g.credential = _authenticate(unit_of_work, credentials)
        else:
            g.credential = _authenticate(unit_of_work)
        if request.method not in ("GET", "HEAD") and g.credential.read_only:
            raise Forbidden("this credential is read-only: it may not write statements")

    @blueprint.after_request
    def declare_version(response: Response) -> Response:
        # xAPI 1.0.3 Part Three §6.2: every response carries the version the LRS answered with.
        response.headers["X-Experience-API-Version"] = g.get("xapi_version") or _requested_family() or "1.0.3"
        if request.endpoint == "xapi.get_statements":
            # Part Three §2.1.3: every answer to GET /statements, errors included, says how fresh it is.
            response.headers.setdefault("X-Experience-API-Consistent-Through", _iso(g.get("started_at", utcnow())))
        if response.status_code == 204:
            response.headers.pop("Content-Type", None)
        return response

    @blueprint.get("/about")
    def about() -> Response:
        """The About resource (xAPI 1.0.3 Part Three §7.7): the versions this LRS speaks; no auth."""
        return jsonify({"version": list(SUPPORTED_VERSIONS)})

    @blueprint.post("/statements")
    def post_statements() -> Response:
        """Store one statement or an array of them, all or none; answer with their ids."""
        body, parts = _statements_body()
        batch = body if isinstance(body, list) else [body]
        if not batch:
            raise BadRequest("the request body is an empty array: send at least one statement")
        _validate(batch, many=isinstance(body, list))
        _check_attachments(batch, parts)
        ids = store(batch, parts)
        return jsonify(list(ids))

    @blueprint.put("/statements")
    def put_statement() -> Response:
        """Store one statement under the id given as `statementId`."""
        refuse_unknown(frozenset({"statementId"}))
        statement_id = request.args.get("statementId")
        if not statement_id:
            raise BadRequest("statementId: a PUT to /statements needs the statementId parameter")
        body, parts = _statements_body()
        if not isinstance(body, dict):
            raise BadRequest("statement: a PUT body must be one statement (a JSON object)")
        if "id" in body and str(body["id"]).lower() != statement_id.lower():
            raise BadRequest(f"id: the statement's id {body['id']} differs from statementId {statement_id}")
        statement = {**body, "id": statement_id}
        _validate([statement], many=False)
        _check_attachments([statement], parts)
        store([statement], parts)
        return Response(status=204)

    @blueprint.get("/statements")
    def get_statements() -> Response:
        """One statement by id, or a filtered page of statements with a `more` link."""
        format_ = request.args.get("format", "exact")
        if format_ not in ("exact", "ids", "canonical"):
            raise BadRequest(f"format: must be exact, ids or canonical, got {format_!r}")
        with_attachments = _flag("attachments")
        tenant_id = g.credential.tenant_id
        single = request.args.get("statementId") or request.args.get("voidedStatementId")
        last_modified = None
        with unit_of_work(read_only=True) as uow:
            if single is not None:
                refuse_unknown(SINGLE_PARAMETERS)
                if "statementId" in request.args and "voidedStatementId" in request.args:
                    raise BadRequest("statementId and voidedStatementId cannot be used together")
                found = find_statement(uow, tenant_id, single, voided="voidedStatementId" in request.args)
                if found is None:
                    raise NotFound(f"no statement {single} here")
                statements = [found]
                document: Any = _formatted(found, format_)
                last_modified = datetime.fromisoformat(found["stored"].replace("Z", "+00:00"))
            else:
                refuse_unknown(QUERY_PARAMETERS)
                page = query_statements(uow, tenant_id, _parse_query())
                statements = list(page.statements)
                more = ""
                if page.next_seq is not None:
                    params = {k: v for k, v in request.args.items() if k != "cursor"}
                    params["cursor"] = _encode_cursor(page.next_seq)
                    more = f"{request.script_root}/xapi/statements?{urlencode(params)}"
                document = {"statements": [_formatted(s, format_) for s in statements], "more": more}
            parts = parts_for(uow, tenant_id, statements) if with_attachments else []
        if with_attachments:
            # xAPI 1.0.3 Part Three §2.1.3: attachments=true answers multipart/mixed, JSON first.
            boundary = uuid.uuid4().hex
            response = Response(
                multipart_response(document, parts, boundary), content_type=f"multipart/mixed; boundary={boundary}"
            )
        else:
            response = jsonify(document)
        if last_modified is not None:
            response.last_modified = last_modified
        return response

    @blueprint.route("/forwarded", methods=["POST", "PUT"])
    def forwarded() -> Response:
        """Statements another LRS forwards: stored as sent (ids kept, so a retry is harmless); answer their ids."""
        refuse_unknown(frozenset({"statementId"}))
        body, parts = _statements_body()
        try:
            batch = forwarded_statements(body)
        except InvalidInput as error:
            raise BadRequest(str(error)) from None
        g.xapi_version = forwarded_version(batch, g.xapi_version)
        _validate(batch, many=isinstance(body, list))
        statement_id = request.args.get("statementId", "").lower()
        if statement_id and (len(batch) != 1 or str(batch[0]["id"]).lower() != statement_id):
            raise BadRequest(f"statementId: {statement_id} is not the id of the one statement forwarded")
        _check_attachments(batch, parts)
        ids = store(batch, parts, forwarded=True)
        return jsonify(list(ids))

    document_api.register(blueprint, unit_of_work)
    return blueprint


def _requested_family() -> str | None:
    requested = request.headers.get("X-Experience-API-Version", "")
    if requested.startswith("2.0"):
        return "2.0.0"
    if requested.startswith("1.0"):
        return "1.0.3"
    return None


def _negotiate_version() -> str:
    requested = request.headers["X-Experience-API-Version"]
    version = negotiated_version(requested)
    if version is None:
        raise BadRequest(f"X-Experience-API-Version: {requested!r} is not a version this LRS speaks (1.0.x or 2.0.x)")
    return version


def _version_of_client(unit_of_work: UnitOfWorkFactory, cache: CredentialCache) -> str:
    """The xAPI version the request's credential was issued for, or 1.0.3 when it names no live credential."""
    try:
        return _authenticate(unit_of_work, cache).xapi_version
    except Unauthorized:
        return XAPI_VERSIONS[0]


def _authenticate(
    unit_of_work: UnitOfWorkFactory, cache: CredentialCache | None = None, uow: UnitOfWork | None = None
) -> Credential:
    """The request's live credential (from `cache` when given and fresh, else the database), or 401."""
    challenge = WWWAuthenticate("basic", {"realm": "Sweetspot xAPI"})
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or auth.password is None:
        raise Unauthorized(
            "HTTP Basic credentials are required: the key and secret issued for your tenant", www_authenticate=challenge
        )
    credential = cache.get(auth.username, auth.password) if cache is not None else None
    if credential is None:
        if uow is not None:
            credential = authenticate(uow, auth.username, auth.password)
        else:
            with unit_of_work(read_only=True) as reading:
                credential = authenticate(reading, auth.username, auth.password)
        if credential is None:
            if cache is not None:
                cache.forget(auth.username)
            raise Unauthorized("the key and secret do not match a live credential", www_authenticate=challenge)
        if cache is not None:
            cache.put(credential, auth.password)
    structlog.contextvars.bind_contextvars(tenant_id=credential.tenant_id, credential=credential.key)
    return credential


def _statements_body() -> tuple[Any, dict[str, Part]]:
    """The statements of a request and its attachment parts (none unless multipart/mixed)."""
    if request.mimetype == "multipart/mixed":
        try:
            return parse_multipart(request.get_data(cache=False), request.content_type or "")
        except InvalidInput as error:
            raise BadRequest(str(error)) from None
    return _json_body(), {}


def _check_attachments(batch: list[Any], parts: dict[str, Part]) -> None:
    try:
        check_attachments(batch, parts)
    except InvalidInput as error:
        raise BadRequest(str(error)) from None


def _json_body() -> Any:
    mimetype = request.mimetype
    if mimetype != "application/json":
        # xAPI answers a wrong content type with 400 (Part Three §3.2 has no 415).
        raise BadRequest(f"Content-Type must be application/json or multipart/mixed, got {request.content_type!r}")
    raw = request.get_data(cache=False)
    try:
        return strict_json.loads(raw)
    except RecursionError:
        raise BadRequest("the body is nested too deeply to be a statement") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from None


def _validate(batch: list[Any], many: bool) -> None:
    for index, statement in enumerate(batch):
        try:
            validate_statement(statement, g.xapi_version)
        except StatementError as error:
            where = f"[{index}]." if many else ""
            raise BadRequest(f"{where}{error}") from None
        except RecursionError:
            raise BadRequest("the statement is nested too deeply") from None


def _store(
    unit_of_work: UnitOfWorkFactory,
    autocommit_engine: Engine | None,
    credentials: CredentialCache,
    statements_stored: Callable[[int], None],
    batch: list[dict[str, Any]],
    parts: dict[str, Part],
    forwarded: bool,
) -> tuple[str, ...]:
    credential: Credential = g.credential
    prepared = prepare_statements(
        batch,
        stored=utcnow(),
        authority=authority_of(credential, request.url_root),
        version="2.0.0" if g.xapi_version == "2.0.0" else "1.0.0",
        # xAPI 2.0 (IEEE 9274.1.1 §4.1.2.1) rejects a batch that uses one id twice; a forwarder's
        # batch may repeat a statement it is retrying, which is harmless when the content is the same.
        reject_repeated_ids=g.xapi_version == "2.0.0" and not forwarded,
        keep_upstream_stored=forwarded,
    )
    accepted = None
    if autocommit_engine is not None and not parts:
        accepted = insert_at_once(autocommit_engine, credential.tenant_id, prepared, credential.id)
    if accepted is None:
        with unit_of_work() as uow:
            # The credential is checked again in the transaction that writes: it may have been revoked
            # since this process cached it.
            try:
                credential = _authenticate(unit_of_work, None, uow)
            except Unauthorized:
                credentials.forget(credential.key)
                raise
            accepted = store_prepared(uow, credential.tenant_id, prepared, credential.id)
            store_parts(uow, credential.tenant_id, parts.values())
            uow.commit()
    if accepted.new:
        statements_stored(credential.tenant_id)
    return accepted.ids


def _parse_query() -> StatementQuery:
    args = request.args
    agent = None
    if "agent" in args:
        try:
            agent = agent_key(json.loads(args["agent"]))
        except (ValueError, StatementError, TypeError, AttributeError) as error:
            raise BadRequest(f"agent: must be an Agent or identified Group as JSON ({error})") from None
    limit = args.get("limit", "0")
    if not limit.isdigit():
        raise BadRequest(f"limit: must be a whole number 0 or more, got {limit!r}")
    cursor = _decode_cursor(args["cursor"]) if "cursor" in args else None
    return StatementQuery(
        agent_key=agent,
        verb=args.get("verb"),
        activity=args.get("activity"),
        registration=args.get("registration"),
        related_activities=_flag("related_activities"),
        related_agents=_flag("related_agents"),
        since=timestamp("since"),
        until=timestamp("until"),
        limit=min(int(limit) or MAX_PAGE, MAX_PAGE),
        ascending=_flag("ascending"),
        after_seq=cursor,
    )


def _flag(name: str) -> bool:
    value = request.args.get(name, "false").lower()
    if value not in ("true", "false"):
        raise BadRequest(f"{name}: must be true or false, got {value!r}")
    return value == "true"


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(str(seq).encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    except (ValueError, binascii.Error):
        raise BadRequest("cursor: this `more` link is not valid") from None


def _formatted(statement: dict[str, Any], format_: str) -> dict[str, Any]:
    if format_ == "ids":
        return ids_format(statement)
    if format_ == "canonical":
        return canonical_format(statement, request.accept_languages.values())
    return statement


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")

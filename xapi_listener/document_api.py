"""HTTP routes of the document resources and the Activities and Agents resources (xAPI 1.0.3 Part Three §2.3–2.7)."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.exceptions import BadRequest, Conflict, NotFound, PreconditionFailed

from alignment.database import UnitOfWorkFactory, utcnow
from alignment.errors import InvalidInput
from xapi_listener import documents
from xapi_listener.documents import DocumentKind, Scope
from xapi_listener.params import refuse_unknown, timestamp
from xapi_listener.statements import StatementError, agent_key
from xapi_listener.store import latest_activity_definition

IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def register(blueprint: Blueprint, unit_of_work: UnitOfWorkFactory) -> None:
    """Add the State, Activity Profile, Agent Profile, Activities and Agents routes to the xAPI blueprint."""

    def scope(kind: DocumentKind) -> Scope:
        tenant_id = g.credential.tenant_id
        if kind is DocumentKind.STATE:
            return Scope(tenant_id, kind, _activity_id(), _agent(), _registration())
        if kind is DocumentKind.ACTIVITY_PROFILE:
            return Scope(tenant_id, kind, activity_id=_activity_id())
        return Scope(tenant_id, kind, agent_key=_agent())

    def handle(kind: DocumentKind, id_name: str, allowed: frozenset[str]) -> Response:
        refuse_unknown(allowed)
        where = scope(kind)
        document_id = request.args.get(id_name)
        try:
            if request.method in ("GET", "HEAD"):
                return _read(unit_of_work, where, document_id)
            if request.method == "DELETE":
                if document_id is None and kind is not DocumentKind.STATE:
                    raise BadRequest(f"{id_name}: required to DELETE a profile document")
                with unit_of_work() as uow:
                    documents.delete_documents(uow, where, document_id, request.headers.get("If-Match"))
                    uow.commit()
                return Response(status=204)
            if document_id is None:
                raise BadRequest(f"{id_name}: required to {request.method} a document")
            content_type = request.headers.get("Content-Type", "application/octet-stream")
            body = request.get_data(cache=False)
            if content_type.split(";")[0].strip().lower() == "application/json":
                try:
                    json.loads(body)
                except ValueError:
                    raise BadRequest("the document is labelled application/json but is not valid JSON") from None
            if_match, if_none_match = request.headers.get("If-Match"), request.headers.get("If-None-Match")
            if (
                request.method == "PUT"
                and kind is not DocumentKind.STATE
                and g.xapi_version == "1.0.3"
                and if_match is None
                and if_none_match is None
            ):
                # xAPI 1.0.3 Part Three §2.1.2: a profile PUT must say what it expects to replace.
                with unit_of_work(read_only=True) as uow:
                    exists = documents.get_document(uow, where, document_id) is not None
                if not exists:
                    raise BadRequest("send If-None-Match: * to create a profile document, or If-Match to replace one")
            with unit_of_work() as uow:
                if request.method == "PUT":
                    # Profiles need a concurrency header to replace an existing document (§2.1.2).
                    written = documents.put_document(
                        uow,
                        where,
                        document_id,
                        body,
                        content_type,
                        utcnow(),
                        if_match,
                        if_none_match,
                        # Profiles (and, since xAPI 2.0, states) need a concurrency header to replace
                        # an existing document (1.0.3 Part Three §2.1.2; IEEE 9274.1.1 §4.1.6.3).
                        require_precondition=kind is not DocumentKind.STATE or g.xapi_version == "2.0.0",
                    )
                else:
                    written = documents.merge_document(
                        uow, where, document_id, body, content_type, utcnow(), if_match, if_none_match
                    )
                uow.commit()
            response = Response(status=204)
            response.set_etag(written.etag)
            return response
        except documents.PreconditionFailed as error:
            raise PreconditionFailed(str(error)) from None
        except documents.PreconditionRequired as error:
            raise Conflict(str(error)) from None
        except InvalidInput as error:
            raise BadRequest(str(error)) from None

    state_params = frozenset({"activityId", "agent", "stateId", "registration", "since"})
    activity_params = frozenset({"activityId", "profileId", "since"})
    agent_params = frozenset({"agent", "profileId", "since"})
    methods = ["GET", "PUT", "POST", "DELETE"]

    @blueprint.route("/activities/state", methods=methods)
    def state() -> Response:
        """The State resource: documents an activity keeps for an agent (and registration)."""
        return handle(DocumentKind.STATE, "stateId", state_params)

    @blueprint.route("/activities/profile", methods=methods)
    def activity_profile() -> Response:
        """The Activity Profile resource."""
        return handle(DocumentKind.ACTIVITY_PROFILE, "profileId", activity_params)

    @blueprint.route("/agents/profile", methods=methods)
    def agent_profile() -> Response:
        """The Agent Profile resource."""
        return handle(DocumentKind.AGENT_PROFILE, "profileId", agent_params)

    @blueprint.get("/activities")
    def activities() -> Response:
        """The Activities resource: the latest definition seen in statements for this activity id."""
        refuse_unknown(frozenset({"activityId"}))
        activity_id = _activity_id()
        with unit_of_work(read_only=True) as uow:
            found = latest_activity_definition(uow, g.credential.tenant_id, activity_id)
        return jsonify(found or {"objectType": "Activity", "id": activity_id})

    @blueprint.get("/agents")
    def agents() -> Response:
        """The Agents resource: the Person object for an agent (xAPI 1.0.3 Part Three §2.6)."""
        refuse_unknown(frozenset({"agent"}))
        raw = _agent_object()
        person: dict[str, Any] = {"objectType": "Person"}
        if "name" in raw:
            person["name"] = [raw["name"]]
        for ifi in ("mbox", "mbox_sha1sum", "openid", "account"):
            if ifi in raw:
                person[ifi] = [raw[ifi]]
        return jsonify(person)


def _read(unit_of_work: UnitOfWorkFactory, where: Scope, document_id: str | None) -> Response:
    with unit_of_work(read_only=True) as uow:
        if document_id is None:
            return jsonify(documents.document_ids(uow, where, timestamp("since")))
        document = documents.get_document(uow, where, document_id)
    if document is None:
        raise NotFound(f"no document {document_id!r} here")
    response = Response(document.content, content_type=document.content_type)
    response.set_etag(document.etag)
    response.last_modified = document.updated
    return response


def _activity_id() -> str:
    value = request.args.get("activityId")
    if not value or not IRI.match(value):
        raise BadRequest("activityId: required, and must be an IRI")
    return value


def _agent_object() -> dict[str, Any]:
    raw = request.args.get("agent")
    if raw is None:
        raise BadRequest("agent: required (an Agent as JSON)")
    try:
        value = json.loads(raw)
        agent_key(value)
    except (ValueError, StatementError) as error:
        raise BadRequest(f"agent: must be an Agent as JSON ({error})") from None
    if not isinstance(value, dict):
        raise BadRequest("agent: must be an Agent as JSON")
    return value


def _agent() -> str:
    return agent_key(_agent_object())


def _registration() -> str:
    value = request.args.get("registration", "")
    if value and not UUID.match(value):
        raise BadRequest(f"registration: must be a UUID, got {value!r}")
    return value.lower()

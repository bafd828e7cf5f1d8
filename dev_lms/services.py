"""LTI Advantage services: the OAuth 2 token endpoint, Assignment and Grade Services 2.0, NRPS 2.0.

Tokens (Security Framework 1.0 §4.1, RFC 7523): the tool signs a JWT client assertion (iss = sub =
client_id, aud = the token endpoint, exp, a single-use jti) and gets a Bearer token limited to the scopes
it registered. Every service call presents the token; each endpoint names the scopes it accepts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import urlencode

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dev_lms import vocabulary as v
from dev_lms.assertions import issuer_of, use_once, verified_claims
from dev_lms.errors import ProtocolError
from dev_lms.storage import (
    AccessToken,
    Course,
    LineItem,
    Membership,
    Person,
    ResourceLink,
    Result,
    Tool,
    max_revision,
    unit_of_work,
    utc,
)

if TYPE_CHECKING:
    from dev_lms.platform import DevLms

TOKEN_LIFETIME = timedelta(hours=1)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_PAGE = 1000


@dataclass
class Answer:
    """A service response: status, JSON body (or none), media type and extra headers."""

    status: int
    body: Any = None
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Caller:
    """The tool behind a service call's Bearer token."""

    client_id: str
    scopes: tuple[str, ...]


# Tokens ---------------------------------------------------------------------------------------------------


def issue_token(lms: DevLms, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The client id and token response of a client-credentials grant with a JWT client assertion (RFC 7523 §2.2)."""
    if form.get("grant_type") != "client_credentials":
        raise ProtocolError(400, "unsupported_grant_type", 'grant_type must be "client_credentials"')
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise ProtocolError(400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
    assertion = form.get("client_assertion")
    if not assertion:
        raise ProtocolError(400, "invalid_request", "client_assertion is required")
    requested = form.get("scope", "").split()
    if not requested:
        raise ProtocolError(400, "invalid_scope", "scope is required: the service scopes the token is for")
    client_id = issuer_of(assertion, "invalid_client")
    now = lms.clock()
    with unit_of_work(lms.sessions) as session:
        tool = session.get(Tool, client_id)
        if tool is None:
            raise ProtocolError(401, "invalid_client", f"iss {client_id!r} is not a registered client")
        try:
            claims = verified_claims(lms, tool, assertion, audience=lms.token_url, error="invalid_client")
        except ProtocolError as fault:
            raise ProtocolError(401, "invalid_client", fault.description) from fault
        if claims.get("sub") != client_id:
            raise ProtocolError(401, "invalid_client", "sub must equal iss, the tool's client_id")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise ProtocolError(401, "invalid_client", "jti is required")
        use_once(session, f"jti:{client_id}:{jti}", claims["exp"], now, error="invalid_client", what="jti", status=401)
        not_granted = [scope for scope in requested if scope not in tool.scopes]
        if not_granted:
            raise ProtocolError(
                400, "invalid_scope", f"{tool.name} did not register for the scope(s) {', '.join(not_granted)}"
            )
        session.execute(delete(AccessToken).where(AccessToken.expires_at < now))
        token = secrets.token_urlsafe(32)
        session.add(AccessToken(token=token, client_id=client_id, scopes=requested, expires_at=now + TOKEN_LIFETIME))
    return client_id, {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
        "scope": " ".join(requested),
    }


def authenticate(lms: DevLms, authorization: str | None, accepted_scopes: tuple[str, ...]) -> Caller:
    """The caller of a service, if its Bearer token is valid and holds one of `accepted_scopes` (RFC 6750 §3)."""
    challenge = 'Bearer realm="dev-lms"'
    if not authorization or not authorization.startswith("Bearer "):
        raise ProtocolError(
            401,
            "invalid_request",
            "an Authorization: Bearer token is required",
            headers={"WWW-Authenticate": challenge},
        )
    with lms.sessions() as session:
        token = session.get(AccessToken, authorization[len("Bearer ") :].strip())
        if token is None or utc(token.expires_at) <= lms.clock():
            raise ProtocolError(
                401,
                "invalid_token",
                "the access token is unknown or expired",
                headers={"WWW-Authenticate": challenge + ', error="invalid_token"'},
            )
        if not set(token.scopes) & set(accepted_scopes):
            raise ProtocolError(
                403,
                "insufficient_scope",
                f"this call needs one of the scopes {', '.join(accepted_scopes)}",
                headers={"WWW-Authenticate": challenge + ', error="insufficient_scope"'},
            )
        return Caller(token.client_id, tuple(token.scopes))


# AGS line items -------------------------------------------------------------------------------------------


def list_line_items(lms: DevLms, caller: Caller, course_id: int, args: dict[str, str]) -> Answer:
    """The tool's line items in a course, filtered and paged (AGS 2.0 §3.2.3-3.2.5)."""
    limit, page = _paging(args)
    with lms.sessions() as session:
        _course(session, course_id)
        query = select(LineItem).where(LineItem.course_id == course_id, LineItem.client_id == caller.client_id)
        if "resource_link_id" in args:
            query = query.where(LineItem.resource_link_id == args["resource_link_id"])
        if "resource_id" in args:
            query = query.where(LineItem.resource_id == args["resource_id"])
        if "tag" in args:
            query = query.where(LineItem.tag == args["tag"])
        items = list(session.scalars(query.order_by(LineItem.id)))
    shown, links = _page(items, limit, page, lms.lineitems_url(course_id), args)
    body = [line_item_json(lms, item) for item in shown]
    return Answer(200, body, v.LINEITEM_CONTAINER_MEDIA_TYPE, links)


def create_line_item(lms: DevLms, caller: Caller, course_id: int, body: Any) -> Answer:
    """Create a line item (AGS 2.0 §3.2.6); answers 201 with it."""
    with unit_of_work(lms.sessions) as session:
        _course(session, course_id)
        fields = _line_item_fields(session, caller, course_id, body)
        item = LineItem(course_id=course_id, client_id=caller.client_id, **fields)
        session.add(item)
        session.flush()
        answer = line_item_json(lms, item)
    return Answer(201, answer, v.LINEITEM_MEDIA_TYPE, {"Location": answer["id"]})


def get_line_item(lms: DevLms, caller: Caller, course_id: int, item_id: int) -> Answer:
    """One line item."""
    with lms.sessions() as session:
        return Answer(200, line_item_json(lms, _line_item(session, caller, course_id, item_id)), v.LINEITEM_MEDIA_TYPE)


def update_line_item(lms: DevLms, caller: Caller, course_id: int, item_id: int, body: Any) -> Answer:
    """Replace a line item's fields (AGS 2.0 §3.2.7); its resourceLinkId cannot move."""
    with unit_of_work(lms.sessions) as session:
        item = _line_item(session, caller, course_id, item_id)
        fields = _line_item_fields(session, caller, course_id, body)
        if "resourceLinkId" in body and fields["resource_link_id"] != item.resource_link_id:
            raise ProtocolError(400, "invalid_request", "a line item's resourceLinkId cannot be changed")
        fields["resource_link_id"] = item.resource_link_id
        for name, value in fields.items():
            setattr(item, name, value)
        session.flush()
        return Answer(200, line_item_json(lms, item), v.LINEITEM_MEDIA_TYPE)


def delete_line_item(lms: DevLms, caller: Caller, course_id: int, item_id: int) -> Answer:
    """Delete a line item and its results."""
    with unit_of_work(lms.sessions) as session:
        item = _line_item(session, caller, course_id, item_id)
        session.execute(delete(Result).where(Result.line_item_id == item.id))
        session.delete(item)
    return Answer(204)


def line_item_json(lms: DevLms, item: LineItem) -> dict[str, Any]:
    """A line item in its JSON form (AGS 2.0 §3.2.1)."""
    body: dict[str, Any] = {
        "id": lms.lineitem_url(item.course_id, item.id),
        "scoreMaximum": item.score_maximum,
        "label": item.label,
    }
    optional = {
        "resourceId": item.resource_id,
        "tag": item.tag,
        "resourceLinkId": item.resource_link_id,
        "startDateTime": item.start_date_time,
        "endDateTime": item.end_date_time,
    }
    body.update({name: value for name, value in optional.items() if value})
    return body


def _line_item_fields(session: Session, caller: Caller, course_id: int, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ProtocolError(400, "invalid_request", "the line item must be a JSON object")
    maximum = body.get("scoreMaximum")
    if not _is_number(maximum) or maximum <= 0:
        raise ProtocolError(400, "invalid_request", "scoreMaximum must be a number greater than 0")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ProtocolError(400, "invalid_request", "label must be a non-empty string")
    for name in ("resourceId", "tag", "resourceLinkId"):
        if name in body and not isinstance(body[name], str):
            raise ProtocolError(400, "invalid_request", f"{name} must be a string")
    link_id = body.get("resourceLinkId")
    if link_id is not None:
        link = session.get(ResourceLink, link_id)
        if link is None or link.course_id != course_id or link.client_id != caller.client_id:
            raise ProtocolError(
                400, "invalid_request", f"resourceLinkId {link_id!r} is not one of this tool's links in the course"
            )
    for name in ("startDateTime", "endDateTime"):
        if name in body:
            _timestamp(body[name], name)
    return {
        "label": label,
        "score_maximum": float(maximum),
        "resource_id": body.get("resourceId", ""),
        "tag": body.get("tag", ""),
        "resource_link_id": link_id,
        "start_date_time": body.get("startDateTime"),
        "end_date_time": body.get("endDateTime"),
    }


# AGS scores and results ---------------------------------------------------------------------------------------


def post_score(lms: DevLms, caller: Caller, course_id: int, item_id: int, body: Any) -> Answer:
    """Record a score (AGS 2.0 §3.4); a score older than the one on record is refused (§3.4.3)."""
    if not isinstance(body, dict):
        raise ProtocolError(400, "invalid_request", "the score must be a JSON object")
    user_id = body.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise ProtocolError(400, "invalid_request", "userId is required")
    given = body.get("scoreGiven")
    maximum = body.get("scoreMaximum")
    if given is not None:
        if not _is_number(given) or given < 0:
            raise ProtocolError(400, "invalid_request", "scoreGiven must be a number of at least 0")
        if not _is_number(maximum) or maximum <= 0:
            raise ProtocolError(
                400, "invalid_request", "scoreMaximum must be a number greater than 0 when scoreGiven is sent"
            )
        if given > maximum:
            raise ProtocolError(400, "invalid_request", f"scoreGiven {given} is more than scoreMaximum {maximum}")
    elif maximum is not None and (not _is_number(maximum) or maximum <= 0):
        raise ProtocolError(400, "invalid_request", "scoreMaximum must be a number greater than 0")
    if body.get("activityProgress") not in v.ACTIVITY_PROGRESS:
        raise ProtocolError(
            400, "invalid_request", f"activityProgress must be one of {', '.join(sorted(v.ACTIVITY_PROGRESS))}"
        )
    if body.get("gradingProgress") not in v.GRADING_PROGRESS:
        raise ProtocolError(
            400, "invalid_request", f"gradingProgress must be one of {', '.join(sorted(v.GRADING_PROGRESS))}"
        )
    timestamp = _timestamp(body.get("timestamp"), "timestamp")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise ProtocolError(400, "invalid_request", "comment must be a string")
    with unit_of_work(lms.sessions) as session:
        item = _line_item(session, caller, course_id, item_id)
        member = session.scalar(
            select(Membership)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.course_id == course_id, Person.user_id == user_id, Membership.status != "Deleted")
        )
        if member is None:
            raise ProtocolError(400, "invalid_request", f"userId {user_id!r} is not a member of the course")
        result = session.scalar(select(Result).where(Result.line_item_id == item.id, Result.user_id == user_id))
        if result is not None:
            on_record = utc(result.timestamp)
            if timestamp < on_record or (timestamp == on_record and result.score != body):
                raise ProtocolError(
                    409,
                    "conflict",
                    f"a score with a later (or the same) timestamp, {on_record.isoformat()}, is on record",
                )
        else:
            result = Result(line_item_id=item.id, user_id=user_id)
            session.add(result)
        result.score_given = float(given) if given is not None else None
        result.score_maximum = float(maximum) if maximum is not None else None
        result.comment = comment
        result.activity_progress = body["activityProgress"]
        result.grading_progress = body["gradingProgress"]
        result.timestamp = timestamp
        result.score = body
    return Answer(204)


def list_results(lms: DevLms, caller: Caller, course_id: int, item_id: int, args: dict[str, str]) -> Answer:
    """The results of a line item (AGS 2.0 §3.3), optionally of one user, paged."""
    limit, page = _paging(args)
    with lms.sessions() as session:
        item = _line_item(session, caller, course_id, item_id)
        query = select(Result).where(Result.line_item_id == item.id)
        if "user_id" in args:
            query = query.where(Result.user_id == args["user_id"])
        results = list(session.scalars(query.order_by(Result.id)))
    item_url = lms.lineitem_url(course_id, item_id)
    shown, links = _page(results, limit, page, item_url + "/results", args)
    body = []
    for result in shown:
        entry: dict[str, Any] = {
            "id": f"{item_url}/results/{result.id}",
            "scoreOf": item_url,
            "userId": result.user_id,
        }
        if result.score_given is not None:
            entry["resultScore"] = result.score_given
            entry["resultMaximum"] = result.score_maximum
        if result.comment:
            entry["comment"] = result.comment
        body.append(entry)
    return Answer(200, body, v.RESULT_CONTAINER_MEDIA_TYPE, links)


# NRPS ---------------------------------------------------------------------------------------------------


def memberships(lms: DevLms, caller: Caller, course_id: int, args: dict[str, str]) -> Answer:
    """The course's members (NRPS 2.0 §2.2-2.4): role filter, `limit` paging, and differences `since` a change."""
    limit, page = _paging(args)
    since = None
    if "since" in args:
        try:
            since = int(args["since"])
        except ValueError:
            raise ProtocolError(400, "invalid_request", "since must be a value from a differences link") from None
    with lms.sessions() as session:
        course = _course(session, course_id)
        query = (
            select(Person, Membership)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.course_id == course_id)
            .order_by(Membership.id)
        )
        if since is not None:
            query = query.where(Membership.revision > since)
        else:
            # NRPS 2.0 §2.4.2: removed members appear only in differences, with status Deleted.
            query = query.where(Membership.status != "Deleted")
        rows: list[tuple[Person, Membership]] = [(person, membership) for person, membership in session.execute(query)]
        latest = max_revision(session)
    if "rlid" in args:
        # NRPS 2.0 §3.3: members of a resource link; every member of this course can open every link.
        with lms.sessions() as session:
            link = session.get(ResourceLink, args["rlid"])
            if link is None or link.course_id != course_id or link.client_id != caller.client_id:
                raise ProtocolError(
                    400, "invalid_request", f"rlid {args['rlid']!r} is not one of this tool's links here"
                )
    role = args.get("role")
    if role:
        rows = [(p, m) for p, m in rows if role in m.roles or role in {v.short_role(r) for r in m.roles}]
    url = lms.memberships_url(course_id)
    shown, links = _page(rows, limit, page, url, args)
    differences = f'<{url}?{urlencode({"since": latest})}>; rel="differences"'
    links["Link"] = f"{links['Link']}, {differences}" if "Link" in links else differences
    members = [
        {
            "status": membership.status,
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
            "user_id": person.user_id,
            "lis_person_sourcedid": person.user_id,
            "roles": list(membership.roles),
        }
        for person, membership in shown
    ]
    body = {
        "id": url,
        "context": {"id": course.context_id, "label": course.label, "title": course.title},
        "members": members,
    }
    return Answer(200, body, v.MEMBERSHIP_CONTAINER_MEDIA_TYPE, links)


# Shared ---------------------------------------------------------------------------------------------------


def _course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise ProtocolError(404, "not_found", f"no course {course_id}")
    return course


def _line_item(session: Session, caller: Caller, course_id: int, item_id: int) -> LineItem:
    item = session.get(LineItem, item_id)
    if item is None or item.course_id != course_id or item.client_id != caller.client_id:
        raise ProtocolError(404, "not_found", f"no line item {item_id} of this tool in course {course_id}")
    return item


def _paging(args: dict[str, str]) -> tuple[int | None, int]:
    limit = None
    if "limit" in args:
        try:
            limit = int(args["limit"])
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_PAGE:
            raise ProtocolError(400, "invalid_request", f"limit must be a whole number from 1 to {MAX_PAGE}")
    page = 1
    if "page" in args:
        try:
            page = int(args["page"])
        except ValueError:
            page = 0
        if page < 1:
            raise ProtocolError(400, "invalid_request", "page must be a whole number from 1")
    return limit, page


def _page(
    rows: list[Any], limit: int | None, page: int, url: str, args: dict[str, str]
) -> tuple[list[Any], dict[str, str]]:
    """One page of `rows` and its Link header (RFC 8288: rel first, prev, next, last)."""
    if limit is None:
        return rows, {}
    last = max(1, -(-len(rows) // limit))
    base = {name: value for name, value in args.items() if name != "page"}

    def link(number: int, rel: str) -> str:
        return f'<{url}?{urlencode({**base, "page": number})}>; rel="{rel}"'

    links = [link(1, "first"), link(last, "last")]
    if page > 1:
        links.append(link(page - 1, "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    return rows[(page - 1) * limit : page * limit], {"Link": ", ".join(links)}


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(value: Any, name: str) -> datetime:
    """An ISO 8601 date-time with a time zone (AGS 2.0 §3.4.3)."""
    if not isinstance(value, str):
        raise ProtocolError(400, "invalid_request", f"{name} must be an ISO 8601 date-time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(400, "invalid_request", f"{name} {value!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise ProtocolError(400, "invalid_request", f"{name} {value!r} must carry a time zone offset")
    return moment.astimezone(UTC)

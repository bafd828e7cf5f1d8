"""The deep-linking return (Deep Linking 2.0 §4.2): verify the tool's response and create what it chose.

Strict like Moodle 5.1: the whole response is refused, and nothing created, when the JWT or any content
item is malformed — including a content item whose `custom` is an empty object, on which Moodle 5.1 fails.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select

from dev_lms import vocabulary as v
from dev_lms.assertions import issuer_of, use_once, verified_claims
from dev_lms.errors import ProtocolError
from dev_lms.registration import within_domain
from dev_lms.storage import Course, Deployment, LaunchHint, LineItem, ResourceLink, Tool, unit_of_work

if TYPE_CHECKING:
    from dev_lms.platform import DevLms

ERROR = "invalid_deep_linking_response"


@dataclass(frozen=True)
class DeepLinkingOutcome:
    """What a deep-linking response created, and the messages the tool sent for the user."""

    course_id: int
    created: list[tuple[str, str]]
    message: str | None


def accept_deep_linking_response(lms: DevLms, token: str | None) -> DeepLinkingOutcome:
    """Verify a LtiDeepLinkingResponse JWT and create its resource links (and line items) in the course."""
    if not token:
        raise ProtocolError(400, ERROR, "the form has no JWT field")
    client_id = issuer_of(token, ERROR)
    with unit_of_work(lms.sessions) as session:
        tool = session.get(Tool, client_id)
        if tool is None:
            raise ProtocolError(400, ERROR, f"iss {client_id!r} is not the client_id of a registered tool")
        claims = verified_claims(lms, tool, token, audience=lms.issuer, error=ERROR)
        if claims.get(v.MESSAGE_TYPE) != v.DEEP_LINKING_RESPONSE:
            raise ProtocolError(400, ERROR, f"{v.MESSAGE_TYPE} must be {v.DEEP_LINKING_RESPONSE}")
        if claims.get(v.VERSION) != v.LTI_VERSION:
            raise ProtocolError(400, ERROR, f"{v.VERSION} must be {v.LTI_VERSION}")
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise ProtocolError(400, ERROR, "nonce is required")
        deployment = session.scalar(select(Deployment).where(Deployment.client_id == client_id))
        if deployment is None or claims.get(v.DEPLOYMENT_ID) != deployment.deployment_id:
            raise ProtocolError(400, ERROR, f"{v.DEPLOYMENT_ID} is not the tool's deployment on this platform")
        data = claims.get(v.DL_DATA)
        hint = (
            session.scalar(
                select(LaunchHint).where(
                    LaunchHint.deep_linking_data == data,
                    LaunchHint.client_id == client_id,
                    LaunchHint.kind == v.DEEP_LINKING_REQUEST,
                )
            )
            if isinstance(data, str)
            else None
        )
        if hint is None:
            raise ProtocolError(
                400, ERROR, f"{v.DL_DATA} must echo the data of a deep-linking request sent to the tool"
            )
        if hint.returned_at is not None:
            raise ProtocolError(400, ERROR, "this deep-linking request has already been answered")
        use_once(session, f"dl-nonce:{client_id}:{nonce}", claims["exp"], lms.clock(), error=ERROR, what="nonce")
        if isinstance(claims.get(v.DL_ERRORMSG), str):
            raise ProtocolError(400, ERROR, f"the tool reported an error: {claims[v.DL_ERRORMSG]}")
        items = claims.get(v.DL_CONTENT_ITEMS, [])
        if not isinstance(items, list):
            raise ProtocolError(400, ERROR, f"{v.DL_CONTENT_ITEMS} must be an array")
        checked = [_checked_item(index, item, tool.domain) for index, item in enumerate(items)]
        hint.returned_at = lms.clock()
        course = session.get(Course, hint.course_id)
        assert course is not None
        created = []
        for item in checked:
            link = ResourceLink(
                id=secrets.token_hex(8),
                course_id=course.id,
                client_id=client_id,
                deployment_id=deployment.deployment_id,
                title=item["title"] or tool.name,
                text=item["text"],
                url=item["url"],
                custom=item["custom"],
                created_at=lms.clock(),
            )
            session.add(link)
            if item["line_item"] is not None:
                session.add(
                    LineItem(course_id=course.id, client_id=client_id, resource_link_id=link.id, **item["line_item"])
                )
            created.append((link.id, link.title))
        message = claims.get(v.DL_MSG)
        return DeepLinkingOutcome(course.id, created, message if isinstance(message, str) else None)


def _checked_item(index: int, item: Any, domain: str) -> dict[str, Any]:
    """One content item checked against Deep Linking 2.0 §3.1-3.2 (only ltiResourceLink is accepted)."""
    where = f"content item {index + 1}"

    def bad(message: str) -> ProtocolError:
        return ProtocolError(400, ERROR, f"{where}: {message}")

    if not isinstance(item, dict):
        raise bad("must be an object")
    if item.get("type") != "ltiResourceLink":
        raise bad(f'type {item.get("type")!r} was not accepted; the request\'s accept_types was ["ltiResourceLink"]')
    url = item.get("url")
    if url is not None:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
            raise bad(f"url must be an absolute http(s) URL, not {url!r}")
        if not within_domain(url, domain):
            raise bad(f"url {url} is not on the tool's registered domain {domain}")
    # A null title or text is the same as none (pylti1p3 sends `"title": null` when no title was set).
    title = item.get("title") if item.get("title") is not None else ""
    text = item.get("text") if item.get("text") is not None else ""
    if not isinstance(title, str) or not isinstance(text, str):
        raise bad("title and text must be strings")
    custom = item.get("custom")
    if custom is not None:
        if not isinstance(custom, dict):
            raise bad("custom must be an object")
        if not custom:
            # Moodle 5.1 fails on an empty custom object; a strict platform refuses it rather than guess.
            raise bad("custom is an empty object; leave it out when there are no custom parameters")
        if not all(isinstance(key, str) and isinstance(value, str) for key, value in custom.items()):
            raise bad("custom values must all be strings")
    line_item = item.get("lineItem")
    checked_line_item = None
    if line_item is not None:
        if not isinstance(line_item, dict):
            raise bad("lineItem must be an object")
        maximum = line_item.get("scoreMaximum")
        if not isinstance(maximum, int | float) or isinstance(maximum, bool) or maximum <= 0:
            raise bad("lineItem.scoreMaximum must be a number greater than 0")
        label = line_item.get("label", title)
        if not isinstance(label, str) or not label.strip():
            raise bad("lineItem.label (or the item's title) must be a non-empty string")
        for name in ("resourceId", "tag"):
            if name in line_item and not isinstance(line_item[name], str):
                raise bad(f"lineItem.{name} must be a string")
        checked_line_item = {
            "label": label,
            "score_maximum": float(maximum),
            "resource_id": line_item.get("resourceId", ""),
            "tag": line_item.get("tag", ""),
        }
    for name in ("iframe", "window", "available", "submission"):
        if name in item and not isinstance(item[name], dict):
            raise bad(f"{name} must be an object")
    return {"url": url, "title": title, "text": text, "custom": dict(custom or {}), "line_item": checked_line_item}

"""LTI Deep Linking 2.0, the tool's side: the content items a manager picks, signed back to the platform.

A manager or admin picks what to place in the course: the learner roadmap (with a "Learning momentum"
line item, so the gradebook gets the column AGS fills), the team dashboard, or one opportunity. The
response is a JWT signed with the tool's current key (Deep Linking §4.2): iss is our client id, aud the
platform, the platform's `data` echoed. Moodle 5.1 fails on a content item whose `custom` is an empty
object, so `custom` is only sent when it holds something.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

from lti_tool import claims
from lti_tool.keys import SigningKey
from lti_tool.registrations import Registration

CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
MOMENTUM_TAG = "sweetspot-momentum"
OPPORTUNITY_PARAMETER = "sweetspot_opportunity"
VIEW_PARAMETER = "sweetspot_view"


def link_item(
    title: str, url: str, custom: dict[str, str] | None = None, line_item: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One ltiResourceLink content item; `custom` and `lineItem` only when they hold something."""
    item: dict[str, Any] = {"type": "ltiResourceLink", "title": title, "url": url}
    if custom:
        item["custom"] = custom
    if line_item:
        item["lineItem"] = line_item
    return item


def roadmap_item(tool_url: str, accepts_line_item: bool) -> dict[str, Any]:
    """The learner roadmap, with the momentum line item when the platform accepts one."""
    line_item = {"scoreMaximum": 100, "label": "Learning momentum", "resourceId": MOMENTUM_TAG, "tag": MOMENTUM_TAG}
    return link_item("My learning roadmap", tool_url, line_item=line_item if accepts_line_item else None)


def team_item(tool_url: str) -> dict[str, Any]:
    """The team dashboard (managers land on it; learners who open it see their roadmap)."""
    return link_item("Team learning dashboard", tool_url, custom={VIEW_PARAMETER: "team"})


def opportunity_item(tool_url: str, opportunity_id: int, title: str) -> dict[str, Any]:
    """One opportunity: launches through this link count as engagement with it."""
    return link_item(title, tool_url, custom={OPPORTUNITY_PARAMETER: str(opportunity_id)})


def response_token(
    key: SigningKey,
    registration: Registration,
    deployment_id: str,
    settings: dict[str, Any],
    items: list[dict[str, Any]],
    now: float | None = None,
) -> str:
    """The signed LtiDeepLinkingResponse for the platform's deep_link_return_url."""
    issued = int(now if now is not None else time.time())
    body: dict[str, Any] = {
        "iss": registration.client_id,
        "aud": registration.issuer,
        "iat": issued,
        "exp": issued + 600,
        "nonce": secrets.token_urlsafe(24),
        claims.MESSAGE_TYPE: "LtiDeepLinkingResponse",
        claims.VERSION: "1.3.0",
        claims.DEPLOYMENT_ID: deployment_id,
        CONTENT_ITEMS: items,
    }
    if settings.get("data") is not None:
        body[DATA] = settings["data"]
    return jwt.encode(body, key.private_pem, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"})

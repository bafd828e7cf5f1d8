"""Query parameters shared by the xAPI resources: unknown ones refused, timestamps parsed with their zone."""

from __future__ import annotations

from datetime import datetime

from flask import request
from werkzeug.exceptions import BadRequest


def refuse_unknown(allowed: frozenset[str]) -> None:
    """400 naming every parameter the resource does not take."""
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise BadRequest(f"unknown or misplaced parameter(s): {', '.join(unknown)}")


def timestamp(name: str) -> datetime | None:
    """The parameter as an ISO 8601 timestamp with a time zone, or None when absent."""
    value = request.args.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name}: must be an ISO 8601 timestamp, got {value!r}") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name}: the timestamp needs a time zone, e.g. {value}Z")
    return moment

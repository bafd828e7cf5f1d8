"""The `format` parameter of GET /statements (xAPI 1.0.3 Part Three §2.1.3): exact, ids and canonical."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")
LANGUAGE_MAPS = ("display", "name", "description")


def ids_format(statement: dict[str, Any]) -> dict[str, Any]:
    """Agents and Groups reduced to objectType, IFI and members; Activities and Verbs to their id."""
    return _reduce(statement)


def _reduce(value: Any, key: str | None = None) -> Any:
    if isinstance(value, list):
        return [_reduce(item, key) for item in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("objectType")
    if kind in ("Agent", "Group") or (kind is None and any(p in value for p in IFI_PROPERTIES) and key != "verb"):
        reduced = {p: value[p] for p in ("objectType", *IFI_PROPERTIES) if p in value}
        if kind == "Group" and "member" in value:
            reduced["member"] = [_reduce(m) for m in value["member"]]
        return reduced
    if kind == "Activity" or (kind is None and key in ("object", "parent", "grouping", "category", "other")):
        return {"id": value["id"]}
    if key == "verb":
        return {"id": value["id"]}
    return {k: _reduce(v, k) for k, v in value.items()}


def canonical_format(statement: dict[str, Any], languages: Iterable[str]) -> dict[str, Any]:
    """Each language map narrowed to the one language the client prefers (Accept-Language), else the first."""
    preferred = [language.lower() for language in languages]
    return _narrow(statement, preferred)


def _narrow(value: Any, preferred: list[str], key: str | None = None) -> Any:
    if isinstance(value, list):
        return [_narrow(item, preferred) for item in value]
    if not isinstance(value, dict):
        return value
    if key in LANGUAGE_MAPS and value and all(isinstance(v, str) for v in value.values()):
        chosen = next((tag for tag in value if tag.lower() in preferred), None)
        chosen = chosen or next((tag for tag in value if tag.lower().split("-")[0] in preferred), None)
        chosen = chosen or next(iter(value))
        return {chosen: value[chosen]}
    if key == "extensions":
        return value
    return {k: _narrow(v, preferred, k) for k, v in value.items()}

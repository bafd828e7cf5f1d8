"""JSON as xAPI reads statements: a property at most once per object (1.0.3 Part Two §2.2), and no NaN or
Infinity (not JSON at all, though Python's parser takes them)."""

from __future__ import annotations

import json
from typing import Any


def loads(raw: bytes | str) -> Any:
    """The decoded JSON; ValueError (or RecursionError, for absurd nesting) naming what is wrong."""
    return json.loads(raw, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicate_keys)


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"property {key!r} appears twice in one object")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")

"""Read the skill frameworks and opportunity lists an organisation already has into plain values.

Four sources: a 1EdTech CASE 1.0 CFPackage (already decoded from JSON), a CSV of skills, a CSV of
learning opportunities and a CSV of people (what HR knows of them: since when they hold their role, and
its name). Nothing here stores anything; every problem is an InvalidInput that names
what was wrong and where (the CFItems index, or the CSV line number with the header as line 1).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from alignment import sentences
from alignment.errors import InvalidInput, json_kind

# The sizes of the columns these values are stored in: longer ones could never be saved.
NAME_MAX = 200
CATEGORY_MAX = 120
URI_MAX = 500
TITLE_MAX = 300
ACTIVITY_ID_MAX = 1000
LTI_RESOURCE_LINK_ID_MAX = 255
URL_MAX = 1000
LMS_USER_ID_MAX = 255
EMAIL_MAX = 320
ROLE_LABEL_MAX = 100
EFFORT_HOURS_MAX = 1000.0

OPPORTUNITY_KINDS: tuple[str, ...] = (
    "course",
    "module",
    "assessment",
    "project",
    "mentoring",
    "reading",
    "certification",
    "event",
)

SKILL_COLUMNS = ("name", "category", "uri", "description")
OPPORTUNITY_COLUMNS = (
    "title",
    "kind",
    "effort_hours",
    "skills",
    "activity_ids",
    "lti_resource_link_ids",
    "url",
    "prerequisites",
)

PEOPLE_COLUMNS = ("lms_user_id", "email", "name", "role_started_on", "role_label")

Place = int | str
"""Where in a file: a CSV line number, or a path into a CASE package's JSON such as CFItems[3]."""


@dataclass(frozen=True)
class FrameworkSkill:
    """One skill to put in the catalogue."""

    name: str
    category: str | None
    uri: str | None
    description: str | None = None


@dataclass(frozen=True)
class Framework:
    """A named set of skills, from a CASE package or a CSV file."""

    title: str
    uri: str | None
    skills: tuple[FrameworkSkill, ...]


@dataclass(frozen=True)
class OpportunityRow:
    """One learning opportunity read from a CSV line; skills and prerequisites are still names."""

    line: int
    title: str
    kind: str
    effort_hours: float
    skills: tuple[tuple[str, float], ...]
    activity_ids: tuple[str, ...]
    lti_resource_link_ids: tuple[str, ...]
    url: str | None
    prerequisites: tuple[str, ...]


@dataclass(frozen=True)
class PersonRow:
    """What a people CSV line says of one person: who (LMS user id, email, or both), and what to set.

    None means the line leaves that value as it is."""

    line: int
    lms_user_id: str | None
    email: str | None
    name: str | None
    role_started_on: date | None
    role_label: str | None


# --- CASE ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CaseItem:
    where: str
    identifier: str
    uri: str
    full_statement: str | None
    abbreviated_statement: str | None
    human_coding_scheme: str | None
    notes: str | None
    is_competency: bool


def parse_case_package(package: object) -> Framework:
    """The skills of a CASE 1.0 CFPackage: its leaf items, and any item typed as a competency or skill."""
    root = _object(package, "CFPackage")
    # Some CASE servers answer GET /CFPackages/{id} with the package wrapped in {"CFPackage": …}.
    if "CFDocument" not in root and "CFPackage" in root:
        root = _object(root["CFPackage"], "CFPackage")
    if "CFDocument" not in root:
        raise InvalidInput(sentences.FILE_PART_MISSING(part="CFDocument"))
    document = _object(root["CFDocument"], "CFDocument")
    title = _required_string(document, "title", "CFDocument")
    document_uri = _string(document, "uri", "CFDocument")
    if "CFItems" not in root:
        raise InvalidInput(sentences.FILE_PART_MISSING(part="CFItems"))
    items = [_case_item(raw, f"CFItems[{i}]") for i, raw in enumerate(_list(root["CFItems"], "CFItems"))]
    # A package may leave out an empty association list.
    associations = _list(root.get("CFAssociations", []), "CFAssociations")

    by_identifier: dict[str, int] = {}
    by_uri: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.identifier in by_identifier:
            earlier = items[by_identifier[item.identifier]].where
            raise InvalidInput(
                sentences.FILE_SAME_IDENTIFIER(where=item.where, identifier=repr(item.identifier), first=earlier)
            )
        by_identifier[item.identifier] = index
        by_uri.setdefault(item.uri, index)

    parent_of: dict[int, int | None] = {}
    has_children: set[int] = set()
    for j, raw in enumerate(associations):
        where = f"CFAssociations[{j}]"
        association = _object(raw, where)
        association_type = _required_string(association, "associationType", where)
        # CASE 1.0 Information Model, CFAssociationTypeEnum: "isChildOf" builds the tree, with the
        # origin node the child and the destination node its parent (another item or the CFDocument).
        if association_type.lower() != "ischildof":
            continue
        child = _linked_item(association, "originNodeURI", where, by_identifier, by_uri)
        parent = _linked_item(association, "destinationNodeURI", where, by_identifier, by_uri)
        if child is None:
            continue  # a child outside this package cannot become a skill here
        if parent is not None:
            has_children.add(parent)
        # An item reused under several parents is filed under the first one listed.
        parent_of.setdefault(child, parent)

    skills: list[FrameworkSkill] = []
    seen_names: dict[str, Place] = {}
    seen_uris: dict[str, Place] = {}
    for index, item in enumerate(items):
        if index in has_children and not item.is_competency:
            continue
        parent = parent_of.get(index)
        skill = _case_skill(item, None if parent is None else items[parent])
        _refuse_repeat(seen_names, skill.name.casefold(), item.where, "name", skill.name)
        _refuse_repeat(seen_uris, item.uri, item.where, "uri", item.uri)
        skills.append(skill)
    return Framework(title=_collapse(title), uri=document_uri, skills=tuple(skills))


def _case_item(raw: object, where: str) -> _CaseItem:
    # CASE 1.0 Information Model, CFItem class: identifier, uri, fullStatement and lastChangeDateTime
    # are required; abbreviatedStatement, humanCodingScheme, CFItemType and notes are optional.
    item = _object(raw, where)
    identifier = _required_string(item, "identifier", where)
    uri = _required_string(item, "uri", where)
    if len(uri) > URI_MAX:
        _refuse_longer(uri, URI_MAX, where, "uri")
    full_statement = _string(item, "fullStatement", where)
    abbreviated_statement = _string(item, "abbreviatedStatement", where)
    if full_statement is None and abbreviated_statement is None:
        raise InvalidInput(sentences.FILE_MISSING(where=where, field="fullStatement"))
    item_type = _string(item, "CFItemType", where) or ""
    # CFItemTypeURI is the LinkURI form of the same type; some publishers fill only that.
    type_link = item.get("CFItemTypeURI")
    if isinstance(type_link, dict) and isinstance(type_link.get("title"), str):
        item_type += " " + type_link["title"]
    item_type = item_type.lower()
    return _CaseItem(
        where=where,
        identifier=identifier,
        uri=uri,
        full_statement=full_statement,
        abbreviated_statement=abbreviated_statement,
        human_coding_scheme=_string(item, "humanCodingScheme", where),
        notes=_string(item, "notes", where),
        is_competency="competency" in item_type or "skill" in item_type,
    )


def _linked_item(
    association: dict[str, object],
    key: str,
    where: str,
    by_identifier: dict[str, int],
    by_uri: dict[str, int],
) -> int | None:
    # CASE 1.0 Information Model, LinkURI: {title, identifier, uri}; match on identifier, then uri.
    if key not in association:
        raise InvalidInput(sentences.FILE_MISSING(where=where, field=key))
    link = _object(association[key], f"{where}.{key}")
    identifier = _string(link, "identifier", f"{where}.{key}")
    uri = _string(link, "uri", f"{where}.{key}")
    if identifier is None and uri is None:
        raise InvalidInput(sentences.FILE_LINK_MISSING(where=f"{where}.{key}"))
    if identifier is not None and identifier in by_identifier:
        return by_identifier[identifier]
    if uri is not None and uri in by_uri:
        return by_uri[uri]
    return None


def _case_skill(item: _CaseItem, parent: _CaseItem | None) -> FrameworkSkill:
    full = _collapse(item.full_statement or "")
    name = _clip(_collapse(item.abbreviated_statement or full), NAME_MAX)
    if full and full != name:
        description: str | None = full
    else:
        description = _collapse(item.notes or "") or None
    category = None
    if parent is not None:
        label = parent.abbreviated_statement or parent.human_coding_scheme or parent.full_statement or ""
        category = _clip(_collapse(label), CATEGORY_MAX) or None
    return FrameworkSkill(name=name, category=category, uri=item.uri, description=description)


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise InvalidInput(sentences.FILE_NOT_OBJECT(where=where, kind=json_kind(value)))
    return value


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise InvalidInput(sentences.FILE_NOT_ARRAY(where=where, kind=json_kind(value)))
    return value


def _string(obj: dict[str, object], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(sentences.FILE_NOT_STRING(where=where, field=key, kind=json_kind(value)))
    return (value or "").strip() or None


def _required_string(obj: dict[str, object], key: str, where: str) -> str:
    value = _string(obj, key, where)
    if value is None:
        raise InvalidInput(sentences.FILE_MISSING(where=where, field=key))
    return value


# --- CSV -------------------------------------------------------------------------------------------


def parse_framework_file(name: str, text: str) -> Framework:
    """A skill framework from a file's name and text: a CASE package (`.json`) or a skills CSV (anything else)."""
    if name.lower().endswith(".json"):
        try:
            return parse_case_package(json.loads(text))
        except json.JSONDecodeError as error:
            raise InvalidInput(
                sentences.FILE_NOT_JSON(file=name, error=error.msg, line=error.lineno, column=error.colno)
            ) from None
    return parse_skills_csv(text)


def parse_skills_csv(text: str) -> Framework:
    """The skills in a CSV with the columns name (required), category, uri and description."""
    skills: list[FrameworkSkill] = []
    seen_names: dict[str, Place] = {}
    seen_uris: dict[str, Place] = {}
    for line, row in _csv_rows(text, SKILL_COLUMNS, required=("name",)):
        where = line
        name = _collapse(row.get("name", ""))
        if not name:
            raise InvalidInput(sentences.FILE_MISSING(where=where, field="name"))
        _refuse_longer(name, NAME_MAX, where, "name")
        category = _collapse(row.get("category", "")) or None
        _refuse_longer(category, CATEGORY_MAX, where, "category")
        uri = row.get("uri") or None
        _refuse_longer(uri, URI_MAX, where, "uri")
        _refuse_repeat(seen_names, name.casefold(), where, "name", name)
        if uri is not None:
            _refuse_repeat(seen_uris, uri, where, "uri", uri)
        skills.append(FrameworkSkill(name, category, uri, row.get("description") or None))
    return Framework(title="CSV import", uri=None, skills=tuple(skills))


def parse_opportunities_csv(text: str) -> list[OpportunityRow]:
    """The opportunities in a CSV with the columns title, kind and effort_hours, and optional links."""
    rows: list[OpportunityRow] = []
    seen_titles: dict[str, Place] = {}
    required = ("title", "kind", "effort_hours")
    for line, row in _csv_rows(text, OPPORTUNITY_COLUMNS, required=required):
        where = line
        for column in required:
            if not row.get(column):
                raise InvalidInput(sentences.FILE_MISSING(where=where, field=column))
        title = _collapse(row["title"])
        _refuse_longer(title, TITLE_MAX, where, "title")
        _refuse_repeat(seen_titles, title.casefold(), where, "title", title)
        kind = row["kind"].lower()
        if kind not in OPPORTUNITY_KINDS:
            raise InvalidInput(
                sentences.FILE_KIND(where=where, kinds=", ".join(OPPORTUNITY_KINDS), got=repr(row["kind"]))
            )
        prerequisites = _unique(_collapse(p) for p in row.get("prerequisites", "").split(";"))
        if title.casefold() in (p.casefold() for p in prerequisites):
            raise InvalidInput(sentences.FILE_OWN_PREREQUISITE(where=where, title=repr(title)))
        rows.append(
            OpportunityRow(
                line=line,
                title=title,
                kind=kind,
                effort_hours=_effort_hours(row["effort_hours"], where),
                skills=_skill_weights(row.get("skills", ""), where),
                activity_ids=_activity_ids(row.get("activity_ids", ""), where),
                lti_resource_link_ids=_lti_resource_link_ids(row.get("lti_resource_link_ids", ""), where),
                url=_web_address(row.get("url", ""), where),
                prerequisites=prerequisites,
            )
        )
    return rows


def parse_people_csv(text: str, today: date) -> list[PersonRow]:
    """The people in a CSV with the columns lms_user_id and/or email (to find each person), and any of name,
    role_started_on (an ISO date, not after `today`) and role_label."""
    rows: list[PersonRow] = []
    seen_ids: dict[str, Place] = {}
    seen_emails: dict[str, Place] = {}
    for line, row in _csv_rows(text, PEOPLE_COLUMNS, required=()):
        where = line
        lms_user_id = row.get("lms_user_id") or None
        email = row.get("email") or None
        if lms_user_id is None and email is None:
            raise InvalidInput(sentences.FILE_PERSON_UNNAMED(where=where))
        _refuse_longer(lms_user_id, LMS_USER_ID_MAX, where, "lms_user_id")
        _refuse_longer(email, EMAIL_MAX, where, "email")
        if email is not None and (email.count("@") != 1 or "" in email.split("@") or re.search(r"\s", email)):
            raise InvalidInput(sentences.FILE_EMAIL(where=where, got=repr(email)))
        if lms_user_id is not None:
            _refuse_repeat(seen_ids, lms_user_id, where, "lms_user_id", lms_user_id)
        if email is not None:
            _refuse_repeat(seen_emails, email.casefold(), where, "email", email)
        name = _collapse(row.get("name", "")) or None
        _refuse_longer(name, NAME_MAX, where, "name")
        role_label = _collapse(row.get("role_label", "")) or None
        _refuse_longer(role_label, ROLE_LABEL_MAX, where, "role_label")
        started = _role_start(row.get("role_started_on", ""), today, where)
        rows.append(PersonRow(line, lms_user_id, email, name, started, role_label))
    return rows


def _role_start(text: str, today: date, where: Place) -> date | None:
    if not text:
        return None
    try:
        started = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(sentences.FILE_ROLE_START(where=where, got=repr(text))) from None
    if started > today:
        raise InvalidInput(sentences.FILE_ROLE_START_LATER(where=where, today=today, got=repr(text)))
    return started


def _csv_rows(text: str, columns: tuple[str, ...], required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Each non-blank record after the header as (its first line number, trimmed values by column)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header: list[str] | None = None
    last_line = 0
    try:
        for cells in reader:
            # A quoted value may span lines, so a record starts just after the previous one ended.
            line, last_line = last_line + 1, reader.line_num
            values = [cell.strip() for cell in cells]
            if not any(values):
                continue
            if header is None:
                header = _header(values, columns, required, line)
                continue
            for position, value in enumerate(values):
                if value and (position >= len(header) or not header[position]):
                    raise InvalidInput(sentences.FILE_UNNAMED_COLUMN(where=line, column=position + 1))
            yield line, {name: value for name, value in zip(header, values, strict=False) if name}
    except csv.Error as error:
        raise InvalidInput(sentences.FILE_NOT_CSV(where=reader.line_num, error=str(error))) from error
    if header is None:
        raise InvalidInput(sentences.FILE_NO_HEADER(where=1, columns=", ".join(columns)))


def _header(values: list[str], columns: tuple[str, ...], required: tuple[str, ...], line: int) -> list[str]:
    names = [value.lower() for value in values]
    unknown = [name for name in names if name and name not in columns]
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        raise InvalidInput(sentences.FILE_UNKNOWN_COLUMNS(where=line, unknown=listed, columns=", ".join(columns)))
    for name in names:
        if name and names.count(name) > 1:
            raise InvalidInput(sentences.FILE_COLUMN_TWICE(where=line, column=repr(name)))
    missing = [name for name in required if name not in names]
    if missing:
        raise InvalidInput(sentences.FILE_COLUMNS_MISSING(where=line, missing=", ".join(missing)))
    return names


def _effort_hours(text: str, where: Place) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = math.nan
    if not math.isfinite(hours) or hours <= 0:
        raise InvalidInput(sentences.FILE_EFFORT(where=where, got=repr(text)))
    if hours > EFFORT_HOURS_MAX:
        raise InvalidInput(sentences.FILE_EFFORT_MOST(where=where, most=EFFORT_HOURS_MAX, got=repr(text)))
    return hours


def _skill_weights(text: str, where: Place) -> tuple[tuple[str, float], ...]:
    """`Skill name:weight; Other skill` as ((name, weight), …); the weight after the last colon."""
    weights: dict[str, tuple[str, float]] = {}
    for entry in text.split(";"):
        entry = entry.strip()
        if not entry:
            continue
        name, colon, weight_text = entry.rpartition(":")
        if not colon:
            name, weight_text = entry, ""
        name = _collapse(name)
        if not name:
            raise InvalidInput(sentences.FILE_SKILL_NAMELESS(where=where, entry=repr(entry)))
        weight = 1.0
        if colon:
            try:
                weight = float(weight_text)
            except ValueError:
                weight = math.nan
            if not 0 < weight <= 1:  # also false for NaN
                raise InvalidInput(
                    sentences.FILE_SKILL_WEIGHT(where=where, skill=repr(name), got=repr(weight_text.strip()))
                )
        if name.casefold() in weights:
            raise InvalidInput(sentences.FILE_SKILL_TWICE(where=where, skill=repr(name)))
        weights[name.casefold()] = (name, weight)
    return tuple(weights.values())


def _activity_ids(text: str, where: Place) -> tuple[str, ...]:
    ids = _unique(re.split(r"[\s;]+", text))
    for iri in ids:
        lowered = iri.lower()
        if lowered.startswith(("http://", "https://")):
            valid = bool(urlsplit(iri).netloc)
        else:
            valid = lowered.startswith("urn:") and len(iri) > len("urn:")
        if not valid:
            raise InvalidInput(sentences.FILE_ACTIVITY_ID(where=where, value=repr(iri)))
        _refuse_longer(iri, ACTIVITY_ID_MAX, where, "activity_ids entry")
    return ids


def _lti_resource_link_ids(text: str, where: Place) -> tuple[str, ...]:
    ids = _unique(part.strip() for part in text.split(";"))
    for link_id in ids:
        _refuse_longer(link_id, LTI_RESOURCE_LINK_ID_MAX, where, "lti_resource_link_ids entry")
    return ids


def _web_address(text: str, where: Place) -> str | None:
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"\s", text):
        raise InvalidInput(sentences.FILE_URL(where=where, got=repr(text)))
    _refuse_longer(text, URL_MAX, where, "url")
    return text


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """The non-empty values in order, each once."""
    return tuple(dict.fromkeys(value for value in values if value))


# --- Shared ----------------------------------------------------------------------------------------


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _refuse_longer(value: str | None, limit: int, where: Place, field: str) -> None:
    if value is not None and len(value) > limit:
        raise InvalidInput(sentences.FILE_TOO_LONG(where=where, field=field, most=limit, got=len(value)))


def _refuse_repeat(seen: dict[str, Place], key: str, where: Place, field: str, value: str) -> None:
    """Remember where `key` was first seen; a second sighting is an error naming both places."""
    if key in seen:
        raise InvalidInput(sentences.FILE_REPEATED(where=where, field=field, value=repr(value), first=seen[key]))
    seen[key] = where

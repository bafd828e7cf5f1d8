"""Statement validation against xAPI 1.0.3 Part Two and xAPI 2.0, and the agents and activities a statement names.

The invalid cases follow the ADL LRS conformance test suite (test/v1_0_3 and test/v2_0): each names the field
the error must point at and a fragment of the rule it must state.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xapi_listener import statements as statements_module
from xapi_listener.statements import (
    MAX_DEPTH,
    StatementError,
    agent_key,
    related_activities,
    related_agents,
    validate_statement,
)

V1 = "1.0.3"
V2 = "2.0.0"
BOTH = (V1, V2)
VERB = "http://adlnet.gov/expapi/verbs/attended"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ACTIVITY = "http://example.com/activities/meeting"
UUID_1 = "3f8b3c5e-1b2a-4c6d-8e9f-0a1b2c3d4e5f"
UUID_2 = "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
UUID_3 = "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"
SHA1 = "cd9b00a5611f94eaa7b1661edab976068e364975"
SHA2 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
DROP = object()


def minimal() -> dict[str, Any]:
    """The smallest valid statement: actor, verb and object."""
    return {"actor": {"mbox": "mailto:ada@example.com"}, "verb": {"id": VERB}, "object": {"id": ACTIVITY}}


def full() -> dict[str, Any]:
    """A statement that uses every property, valid in both 1.0.x and 2.0."""
    return {
        "id": UUID_1,
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/answered",
            "display": {"en-US": "answered", "zh-Hans-CN": "回答"},
        },
        "object": {
            "objectType": "Activity",
            "id": "http://example.com/quiz/q1",
            "definition": {
                "name": {"en": "Question 1"},
                "description": {"en-GB": "Pick the colours of the flag"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "moreInfo": "https://example.com/quiz/q1/help",
                "interactionType": "choice",
                "correctResponsesPattern": ["red[,]blue"],
                "choices": [
                    {"id": "red", "description": {"en": "Red"}},
                    {"id": "blue", "description": {"en": "Blue"}},
                    {"id": "green"},
                ],
                "extensions": {"http://example.com/ext/difficulty": 3},
            },
        },
        "result": {
            "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
            "success": True,
            "completion": False,
            "response": "red[,]blue",
            "duration": "PT1H30M",
            "extensions": {"http://example.com/ext/attempt": {"n": 2, "notes": None}},
        },
        "context": {
            "registration": UUID_2,
            "instructor": {"account": {"homePage": "https://lms.example.com", "name": "teacher-17"}},
            "team": {"objectType": "Group", "name": "Blue team", "member": [{"mbox_sha1sum": SHA1}]},
            "contextActivities": {
                "parent": [{"id": "http://example.com/quiz"}],
                "grouping": [{"objectType": "Activity", "id": "http://example.com/course"}],
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}],
                "other": [{"id": "http://example.com/textbook"}],
            },
            "revision": "r2",
            "platform": "Sweetspot",
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": UUID_3},
            "extensions": {"http://example.com/ext/room": "B12"},
        },
        "timestamp": "2026-11-23T09:15:00.123+01:00",
        "stored": "2026-11-23T08:15:01.000Z",
        "authority": {
            "objectType": "Group",
            "member": [
                {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}},
                {"mbox": "mailto:bob@example.com"},
            ],
        },
        "version": "1.0.0",
        "attachments": [
            {
                "usageType": "http://id.tincanapi.com/attachment/certificate",
                "display": {"en": "Certificate"},
                "description": {"en": "Proof of completion"},
                "contentType": "application/pdf",
                "length": 12345,
                "sha2": SHA2,
                "fileUrl": "https://example.com/certificate.pdf",
            }
        ],
    }


def substatement() -> dict[str, Any]:
    """A SubStatement with every property it may have."""
    return {
        "objectType": "SubStatement",
        "actor": {"objectType": "Group", "member": [{"mbox": "mailto:cy@example.com"}]},
        "verb": {"id": "http://example.com/verbs/will-visit", "display": {"en-US": "will visit"}},
        "object": {"id": "http://example.com/website", "definition": {"name": {"en-US": "Some Awesome Website"}}},
        "result": {"completion": True},
        "context": {"contextActivities": {"parent": {"id": "http://example.com/trip"}}, "platform": "web"},
        "timestamp": "2099-01-01T00:00:00Z",
        "attachments": [
            {
                "usageType": "http://example.com/usage/plan",
                "display": {"en": "Plan"},
                "contentType": "text/plain",
                "length": 0,
                "sha2": SHA2,
            }
        ],
    }


def with_sub(*edits: tuple[str, Any]) -> dict[str, Any]:
    """The minimal statement whose object is the SubStatement, changed by `edits`."""
    return changed(minimal(), ("object", changed(substatement(), *edits)))


def changed(base: dict[str, Any], *edits: tuple[str, Any]) -> dict[str, Any]:
    """A copy of `base` with each (dotted path, value) set, '.[0]' naming an array item; DROP removes the property."""
    document = copy.deepcopy(base)
    for path, value in edits:
        steps: list[Any] = [
            int(step[1:-1]) if step[0] == "[" else step for step in re.findall(r"\[\d+\]|[^.\[\]]+", path)
        ]
        target: Any = document
        for step in steps[:-1]:
            target = target[step]
        if value is DROP:
            del target[steps[-1]]
        else:
            target[steps[-1]] = value
    return document


def nested(levels: int) -> Any:
    """`levels` objects nested inside one another."""
    value: Any = "bottom"
    for _ in range(levels):
        value = {"deeper": value}
    return value


# --- valid statements -------------------------------------------------------------------------------------------------


class Good(NamedTuple):
    """A statement every version in `versions` must accept."""

    name: str
    statement: dict[str, Any]
    versions: tuple[str, ...] = BOTH


def good(
    name: str, *edits: tuple[str, Any], base: Callable[[], dict[str, Any]] = minimal, versions: tuple[str, ...] = BOTH
) -> Good:
    """A valid statement made from `base` by `edits`."""
    return Good(name, changed(base(), *edits), versions)


GROUP_OF_ONE = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}

VALID = [
    good("minimal"),
    good("every property", base=full),
    good("every property, version 2.0.0", ("version", "2.0.0"), base=full, versions=(V2,)),
    good("version 1.0", ("version", "1.0")),
    good("version 1.0.9", ("version", "1.0.9")),
    good("uppercase UUID id", ("id", UUID_1.upper())),
    good("verb without display", ("verb.display", DROP), base=full),
    good("actor mbox_sha1sum", ("actor", {"mbox_sha1sum": SHA1.upper()})),
    good("actor openid", ("actor", {"openid": "http://openid.example.org/12345"})),
    good("actor account", ("actor", {"account": {"homePage": "http://x.example", "name": "1625"}})),
    good(
        "actor identified group with members",
        (
            "actor",
            {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [{"openid": "http://o.example/b"}]},
        ),
    ),
    good("actor identified group without members", ("actor", {"objectType": "Group", "openid": "http://o.example/g"})),
    good("actor anonymous group", ("actor", GROUP_OF_ONE)),
    good("object Agent", ("object", {"objectType": "Agent", "mbox": "mailto:jeff@example.com"})),
    good(
        "object identified Group", ("object", {"objectType": "Group", "account": {"homePage": "http://x", "name": "g"}})
    ),
    good("object anonymous Group", ("object", GROUP_OF_ONE)),
    good("object StatementRef", ("object", {"objectType": "StatementRef", "id": UUID_3})),
    good("object SubStatement", ("object", substatement())),
    good(
        "SubStatement about an Agent",
        ("object.object", {"objectType": "Agent", "openid": "http://o.example/x"}),
        ("object.context.platform", DROP),
        base=lambda: with_sub(),
    ),
    good(
        "SubStatement about a StatementRef",
        ("object.object", {"objectType": "StatementRef", "id": UUID_3}),
        ("object.context", {}),
        base=lambda: with_sub(),
    ),
    good("voiding statement", ("verb.id", VOIDED), ("object", {"objectType": "StatementRef", "id": UUID_3})),
    good("empty context", ("context", {})),
    good(
        "contextActivities as single objects",
        (
            "context",
            {"contextActivities": {"parent": {"id": ACTIVITY}, "other": {"objectType": "Activity", "id": "urn:x:1"}}},
        ),
    ),
    good("empty contextActivities array", ("context", {"contextActivities": {"category": []}})),
    good(
        "extension values null, empty and nested",
        (
            "result.extensions",
            {"http://e.x/a": None, "http://e.x/b": "", "http://e.x/c": {}, "http://e.x/d": [1, {"k": [None]}]},
        ),
        base=full,
    ),
    good("empty extensions", ("context", {"extensions": {}})),
    good(
        "score at the bounds",
        ("result", {"score": {"scaled": -1.0, "raw": 0.12123434, "min": 0.12123434, "max": 45.45}}),
    ),
    good("raw without min and max", ("result", {"score": {"raw": -1e9}})),
    good("IRI with dot segments", ("object.id", "http://example.com/path/../slug")),
    good("URN and non-ASCII IRIs", ("object.id", f"urn:uuid:{UUID_1}"), ("verb.id", "http://example.com/فعل/خواندن")),
    good("percent-encoded IRI", ("verb.id", "http://example.com/a%20b?q=1#frag")),
    good("media type with parameters", ("attachments.[0].contentType", 'text/plain; charset="us-ascii"'), base=full),
    good("SHA-512 attachment digest", ("attachments.[0].sha2", "Ab" * 64), base=full),
    good(
        "attachment without optional parts",
        ("attachments.[0].fileUrl", DROP),
        ("attachments.[0].description", DROP),
        base=full,
    ),
    good("future timestamp", ("timestamp", "2099-12-31T23:59:59.999999Z")),
    good("negative offset", ("timestamp", "2023-05-04T12:00:00-05:00")),
    good("+00:00 offset", ("timestamp", "2008-09-15T15:53:00.601+00:00")),
    good("29 February of a leap year", ("timestamp", "2028-02-29T00:00:00Z")),
    good("1.0.x: ISO 8601 basic format", ("timestamp", "20261123T091500Z"), versions=(V1,)),
    good("1.0.x: minutes only and +hhmm", ("timestamp", "2026-11-23T09:15+0100"), versions=(V1,)),
    good("1.0.x: comma fraction and +hh", ("stored", "2026-11-23T09:15:00,5+01"), versions=(V1,)),
    good("2.0: version 1.0.3 still accepted", ("version", "1.0.3"), versions=(V2,)),
    good("2.0: version 2.0", ("version", "2.0"), versions=(V2,)),
    good(
        "2.0: contextAgents",
        (
            "context.contextAgents",
            [
                {
                    "objectType": "contextAgent",
                    "agent": {"objectType": "Agent", "mbox": "mailto:p1@example.com"},
                    "relevantTypes": ["https://example.com/activity-types/quarterback"],
                },
                {"objectType": "contextAgent", "agent": {"openid": "http://o.example/coach"}},
            ],
        ),
        base=full,
        versions=(V2,),
    ),
    good(
        "2.0: contextGroups",
        (
            "context.contextGroups",
            [
                {
                    "objectType": "contextGroup",
                    "group": {
                        "objectType": "Group",
                        "mbox": "mailto:team@example.com",
                        "member": [{"openid": "http://o/2"}],
                    },
                    "relevantTypes": ["https://example.com/activity-types/team"],
                },
                {"objectType": "contextGroup", "group": GROUP_OF_ONE},
            ],
        ),
        base=full,
        versions=(V2,),
    ),
]

INTERACTIONS: list[dict[str, Any]] = [
    {"interactionType": "true-false", "correctResponsesPattern": ["true"]},
    {"interactionType": "choice", "choices": [{"id": "a"}, {"id": "b"}]},
    {"interactionType": "fill-in", "correctResponsesPattern": ["Bob's your uncle"]},
    {"interactionType": "long-fill-in", "correctResponsesPattern": ["{case_matters=true}{lang=en}To be or not to be"]},
    {
        "interactionType": "matching",
        "correctResponsesPattern": ["b[.]3"],
        "source": [{"id": "b"}],
        "target": [{"id": "3"}],
    },
    {"interactionType": "performance", "correctResponsesPattern": ["pong[.]1:[,]dg[.]:10"], "steps": [{"id": "pong"}]},
    {
        "interactionType": "sequencing",
        "correctResponsesPattern": ["tim[,]mike"],
        "choices": [{"id": "tim"}, {"id": "mike"}],
    },
    {
        "interactionType": "likert",
        "correctResponsesPattern": ["likert_3"],
        "scale": [{"id": "likert_3", "description": {}}],
    },
    {"interactionType": "numeric", "correctResponsesPattern": ["4[:]"]},
    {"interactionType": "other", "correctResponsesPattern": []},
]

LANGUAGE_TAGS = [
    *("en", "en-US", "zh-Hans-CN", "und", "de", "de-DE", "zh-Hant", "sr-Latn-RS", "sr-Cyrl", "es-419", "es-MX", "cmn"),
    *("tlh", "ase", "fr-CA", "ja", "de-CH-1996", "sl-rozaj-biske", "en-a-bbb-x-private", "x-whatever", "i-klingon"),
    *("zh-min-nan", "EN-us", "zh-yue-HK"),
]

DURATIONS = [
    *("PT1H30M", "P1DT2.5S", "PT1H0M0.1S", "PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y", "P4W"),
    *("P1DT12H36M0.12567S", "PT0S", "P0.5Y", "PT1,5S"),
]


@pytest.mark.parametrize(
    ("statement", "version"),
    [
        pytest.param(case.statement, version, id=f"{case.name} ({version})")
        for case in VALID
        for version in case.versions
    ],
)
def test_accepts_valid_statement(statement: dict[str, Any], version: str) -> None:
    validate_statement(statement, version)


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize("interaction", INTERACTIONS, ids=lambda interaction: interaction["interactionType"])
def test_accepts_every_interaction_type(interaction: dict[str, Any], version: str) -> None:
    validate_statement(changed(minimal(), ("object.definition", interaction)), version)
    validate_statement(with_sub(("object.definition", interaction)), version)


@pytest.mark.parametrize("tag", LANGUAGE_TAGS)
def test_accepts_rfc_5646_language_tags(tag: str) -> None:
    validate_statement(changed(minimal(), ("verb.display", {tag: "attended"}), ("context", {"language": tag})), V1)


@pytest.mark.parametrize("duration", DURATIONS)
def test_accepts_iso_8601_durations(duration: str) -> None:
    validate_statement(changed(minimal(), ("result", {"duration": duration})), V2)


# --- invalid statements -----------------------------------------------------------------------------------------------


class Bad(NamedTuple):
    """A statement every version in `versions` must refuse, naming the field `at` and a rule containing `fragment`."""

    name: str
    statement: Any
    at: str
    fragment: str
    versions: tuple[str, ...] = BOTH


def bad(
    name: str,
    path: str,
    value: Any,
    fragment: str,
    *,
    at: str | None = None,
    base: Callable[[], dict[str, Any]] = minimal,
    versions: tuple[str, ...] = BOTH,
) -> Bad:
    """`base` with `path` set to `value` (DROP removes it); the error names `at`, by default `path` itself."""
    return Bad(name, changed(base(), (path, value)), at or path.replace(".[", "["), fragment, versions)


def sub(name: str, path: str, value: Any, fragment: str, *, at: str | None = None) -> Bad:
    """A statement whose SubStatement object has `path` set to `value`."""
    return Bad(name, with_sub((path, value)), f"object.{at or path}".replace(".[", "["), fragment)


def agents(name: str, entries: Any, at: str, fragment: str) -> Bad:
    """An xAPI 2.0 statement with context.contextAgents set to `entries`."""
    return Bad(name, changed(minimal(), ("context", {"contextAgents": entries})), at, fragment, (V2,))


def groups(name: str, entries: Any, at: str, fragment: str) -> Bad:
    """An xAPI 2.0 statement with context.contextGroups set to `entries`."""
    return Bad(name, changed(minimal(), ("context", {"contextGroups": entries})), at, fragment, (V2,))


def stamp(name: str, value: Any, fragment: str, versions: tuple[str, ...] = BOTH) -> Bad:
    """A statement with `value` as its timestamp."""
    return bad(name, "timestamp", value, fragment, versions=versions)


def tag(value: str) -> Bad:
    """A verb display whose only key is `value`, which is not a language tag."""
    return bad(f"language tag {value!r}", "verb.display", {value: "x"}, "RFC 5646", at=f'verb.display["{value}"]')


AGENT_P = {"mbox": "mailto:p@example.com"}
TEAM_T = {"objectType": "Group", "mbox": "mailto:t@example.com"}
DEEP = "result.extensions.http://e.x/deep"

INVALID = [
    # Statement level (1.0.3 Part Two §2.2)
    Bad("not an object", [minimal()], "statement", "must be a JSON object, not an array"),
    Bad("a string", "statement", "statement", "must be a JSON object"),
    bad("actor missing", "actor", DROP, "is required"),
    bad("verb missing", "verb", DROP, "is required"),
    bad("object missing", "object", DROP, "is required"),
    bad("additional property", "dummy", "dummy", "is not a property of a Statement"),
    bad("key in the wrong case", "Version", "1.0.0", 'did you mean "version"'),
    bad("null actor name", "actor.name", None, "must not be null"),
    bad("null timestamp", "timestamp", None, "must not be null"),
    bad("null registration", "context.registration", None, "must not be null", base=full),
    bad("null moreInfo", "object.definition.moreInfo", None, "must not be null", base=full),
    bad("NaN", "result.score.raw", float("nan"), "NaN and Infinity", base=full),
    bad(
        "infinity inside extensions",
        "context.extensions",
        {"http://e.x/i": float("inf")},
        "not JSON",
        at="context.extensions.http://e.x/i",
        base=full,
    ),
    bad(
        "a Python tuple",
        "context.extensions",
        {"http://e.x/t": (1, 2)},
        "is not a JSON value",
        at="context.extensions.http://e.x/t",
        base=full,
    ),
    # id (§2.4.1, §4.4)
    bad("id numeric", "id", 12345, "must be a string, not a number"),
    bad("id object", "id", {"key": "x"}, "must be a string, not an object"),
    bad("id too many digits", "id", "AA97B177-9383-4934-8543-0F91A7A028368", "must be a UUID"),
    bad("id not hex", "id", "MA97B177-9383-4934-8543-0F91A7A02836", "must be a UUID"),
    bad("id without hyphens", "id", UUID_1.replace("-", ""), "must be a UUID"),
    bad("id empty", "id", "", "must be a UUID"),
    # actor (§2.4.2)
    bad("actor objectType lower case", "actor.objectType", "agent", 'must be "Agent" or "Group"'),
    bad("actor objectType numeric", "actor.objectType", 123, "must be a string"),
    bad("actor name numeric", "actor.name", 123, "must be a string"),
    bad("actor without identifier", "actor", {"name": "Ada"}, "needs an inverse functional identifier"),
    bad("actor with two identifiers", "actor.openid", "http://o.x/ada", "not 2 (mbox, openid)", at="actor"),
    bad("mbox not mailto", "actor.mbox", "http://should.fail.com", "must be a mailto IRI"),
    bad("mbox without address", "actor.mbox", "mailto:should.fail.com", "must be a mailto IRI"),
    bad("mbox without mailto", "actor.mbox", "ada@example.com", "must be a mailto IRI"),
    bad("mbox_sha1sum too short", "actor", {"mbox_sha1sum": SHA1[:39]}, "40 hex digits", at="actor.mbox_sha1sum"),
    bad("mbox_sha1sum an object", "actor", {"mbox_sha1sum": {"k": "x"}}, "got an object", at="actor.mbox_sha1sum"),
    bad("openid without scheme", "actor", {"openid": "open.id.com/testUser"}, "must be an IRI", at="actor.openid"),
    bad("openid with a bad scheme", "actor", {"openid": "ab=c://should.fail.com"}, "must be an IRI", at="actor.openid"),
    bad("account without homePage", "actor", {"account": {"name": "1625"}}, "is required", at="actor.account.homePage"),
    bad("account without name", "actor", {"account": {"homePage": "http://x"}}, "is required", at="actor.account.name"),
    bad(
        "homePage without scheme",
        "actor",
        {"account": {"homePage": "homePage.com/u", "name": "1"}},
        "must be an IRL",
        at="actor.account.homePage",
    ),
    bad(
        "account name an object",
        "actor",
        {"account": {"homePage": "http://x", "name": {"k": "v"}}},
        "must be a string",
        at="actor.account.name",
    ),
    bad(
        "account extra property",
        "actor",
        {"account": {"homePage": "http://x", "name": "1", "id": "2"}},
        "of an Account",
        at="actor.account.id",
    ),
    bad("members without objectType Group", "actor", {"member": [AGENT_P]}, '"objectType": "Group"', at="actor.member"),
    bad(
        "anonymous group without members",
        "actor",
        {"objectType": "Group", "name": "crowd"},
        "is required in a Group",
        at="actor.member",
    ),
    bad(
        "anonymous group with no members",
        "actor",
        {"objectType": "Group", "member": []},
        "at least one Agent",
        at="actor.member",
    ),
    bad(
        "group members not an array",
        "actor",
        {"objectType": "Group", "member": AGENT_P},
        "must be an array",
        at="actor.member",
    ),
    bad(
        "group inside a group",
        "actor",
        {"objectType": "Group", "member": [TEAM_T]},
        "not Groups",
        at="actor.member[0].objectType",
    ),
    bad(
        "invalid group member",
        "actor",
        {"objectType": "Group", "member": [AGENT_P, {"name": "?"}]},
        "needs an inverse",
        at="actor.member[1]",
    ),
    bad(
        "group with two identifiers",
        "actor",
        {**TEAM_T, "mbox_sha1sum": SHA1},
        "exactly one inverse functional identifier",
        at="actor",
    ),
    # verb (§2.4.3)
    bad("verb without id", "verb", {"display": {"en": "did"}}, "is required", at="verb.id"),
    bad("verb id without scheme", "verb.id", "adlnet.gov/expapi/verbs/attended", "must be an IRI with a scheme"),
    bad("verb id with a space", "verb.id", "http://example.com/a verb", "must be an IRI"),
    bad("verb id with a broken percent escape", "verb.id", "http://example.com/100%", "must be an IRI"),
    bad("verb id scheme only", "verb.id", "http:", "must be an IRI"),
    bad("display a string", "verb.display", "a12345 attended", "must be an object, not a string"),
    bad("display a number", "verb.display", 12345, "must be an object, not a number"),
    bad("display value a number", "verb.display", {"en": 1}, "must be a string", at='verb.display["en"]'),
    bad("display value null", "verb.display", {"en-US": None}, "must not be null", at='verb.display["en-US"]'),
    # language tags (§2.2 s4.b2, §4.2)
    *(tag(value) for value in ("something", "not a tag!", "e n", "", "a12345", "zh-something-ccc", "en--US", "en-")),
    tag("zh-z-aaa-z-bbb-c-ccc"),  # an extension singleton twice
    tag("de-1996-1996"),  # a variant twice
    # object (§2.4.4)
    bad("objectType in the wrong case", "object.objectType", "activity", 'must be "Activity" or "Agent"'),
    bad("objectType unknown", "object.objectType", "Course", 'not "Course"'),
    bad(
        "Agent object without objectType",
        "object",
        AGENT_P,
        "required when the object is an Agent or Group",
        at="object.objectType",
    ),
    bad(
        "Group object without objectType",
        "object",
        {"member": [AGENT_P]},
        "when the object is an Agent",
        at="object.objectType",
    ),
    bad("activity without id", "object.id", DROP, "is required in an Activity"),
    bad("activity id not an IRI", "object.id", "ab=c://should.fail.com", "must be an IRI"),
    bad("activity extra property", "object.name", "Meeting", "not a property of an Activity"),
    bad("definition a string", "object.definition", "should error", "must be an object"),
    bad("definition name a string", "object.definition.name", "Question", "must be an object", base=full),
    bad(
        "definition description bad tag",
        "object.definition.description",
        {"something": "x"},
        "RFC 5646",
        base=full,
        at='object.definition.description["something"]',
    ),
    bad("definition type not an IRI", "object.definition.type", "should error", "must be an IRI", base=full),
    bad("moreInfo not an IRL", "object.definition.moreInfo", "should error", "must be an IRL", base=full),
    bad("interactionType wrong case", "object.definition.interactionType", "choiCe", '"choice"', base=full),
    bad("interactionType unknown", "object.definition.interactionType", "essay", 'not "essay"', base=full),
    bad("interactionType numeric", "object.definition.interactionType", 12345, "must be a string", base=full),
    bad(
        "interaction without interactionType",
        "object.definition.interactionType",
        DROP,
        'is required when "correctResponsesPattern", "choices" is present',
        base=full,
    ),
    bad(
        "correctResponsesPattern a string",
        "object.definition.correctResponsesPattern",
        "red",
        "must be an array",
        base=full,
    ),
    bad(
        "a response pattern a number",
        "object.definition.correctResponsesPattern",
        ["red", 7],
        "must be a string",
        base=full,
        at="object.definition.correctResponsesPattern[1]",
    ),
    bad("choices not an array", "object.definition.choices", {"id": "red"}, "must be an array", base=full),
    bad("choice without id", "object.definition.choices.[1].id", DROP, "is required", base=full),
    bad("choice ids repeated", "object.definition.choices.[2].id", "red", 'repeats the id "red"', base=full),
    bad(
        "choice extra property", "object.definition.choices.[0].correct", True, "of an interaction component", base=full
    ),
    bad(
        "choice description bad tag",
        "object.definition.choices.[0].description",
        {"a12345": "x"},
        "RFC 5646",
        base=full,
        at='object.definition.choices[0].description["a12345"]',
    ),
    bad(
        "extension key not an IRI",
        "object.definition.extensions",
        {"should fail": 1},
        "must be absolute IRIs",
        base=full,
        at='object.definition.extensions["should fail"]',
    ),
    bad(
        "extension key without scheme",
        "context.extensions",
        {"example.com/ext": 1},
        "must be absolute IRIs",
        base=full,
        at='context.extensions["example.com/ext"]',
    ),
    bad("extensions a string", "object.definition.extensions", "should fail", "must be an object", base=full),
    bad(
        "StatementRef without id",
        "object",
        {"objectType": "StatementRef"},
        "is required in a StatementRef",
        at="object.id",
    ),
    bad(
        "StatementRef id not a UUID",
        "object",
        {"objectType": "StatementRef", "id": "should fail"},
        "must be a UUID",
        at="object.id",
    ),
    bad(
        "StatementRef extra property",
        "object",
        {"objectType": "StatementRef", "id": UUID_3, "definition": {}},
        "of a StatementRef",
        at="object.definition",
    ),
    # SubStatement (§2.4.4.3)
    sub("SubStatement with id", "id", UUID_3, "is not allowed in a SubStatement"),
    sub("SubStatement with stored", "stored", "2013-05-18T05:32:34.804Z", "is not allowed in a SubStatement"),
    sub("SubStatement with version", "version", "1.0.0", "is not allowed in a SubStatement"),
    sub("SubStatement with authority", "authority", AGENT_P, "is not allowed in a SubStatement"),
    sub("nested SubStatement", "object", substatement(), "cannot have a SubStatement", at="object.objectType"),
    sub("SubStatement without verb", "verb", DROP, "is required in a SubStatement"),
    sub("SubStatement objectType wrong case", "objectType", "substatement", 'not "substatement"'),
    sub("SubStatement with a bad actor", "actor.member.[0].mbox", "mailto:nobody", "must be a mailto IRI"),
    sub("SubStatement with a bad timestamp", "timestamp", "tomorrow", "date-time"),
    sub(
        "SubStatement platform with an Agent object",
        "object",
        AGENT_P | {"objectType": "Agent"},
        "here it is Agent",
        at="context.platform",
    ),
    sub("voiding inside a SubStatement", "verb.id", VOIDED, "must have a StatementRef object", at="object"),
    # result (§2.4.5)
    bad("result a string", "result", "passed", "must be an object"),
    bad("result extra property", "result.passed", True, "not a property of a Result", base=full),
    bad("score a number", "result.score", 12345, "must be an object", base=full),
    bad("score extra property", "result.score.percent", 50, "not a property of a Score", base=full),
    bad("scaled above 1", "result.score.scaled", 1.01, "between -1 and 1", base=full),
    bad("scaled below -1", "result.score.scaled", -1.00001, "between -1 and 1", base=full),
    bad("raw above max", "result.score.raw", 10.5, "greater than max", base=full),
    bad("raw below min", "result.score.raw", -0.1, "less than min", base=full),
    bad("min equal to max", "result.score", {"min": 10, "max": 10}, "less than max", base=full, at="result.score.min"),
    bad("max a numeric string", "result.score.max", "100", "must be a number, not a string", base=full),
    bad("raw a boolean", "result.score.raw", True, "must be a number, not a boolean", base=full),
    bad("success a string", "result.success", "true", "must be true or false, not a string", base=full),
    bad("completion a string", "result.completion", "false", "must be true or false", base=full),
    bad("completion a number", "result.completion", 1, "must be true or false, not a number", base=full),
    bad("response a number", "result.response", 12345, "must be a string", base=full),
    *(
        bad(f"duration {value!r}", "result.duration", value, "ISO 8601 duration", base=full)
        for value in ("1 hour", "PA1H0M0S", "P4W1D", "P", "P1DT", "PT30M1H", "-PT1H", "P0001-02-03T04:05:06", "pt1h")
    ),
    bad("duration fraction not last", "result.duration", "P1.5DT2H", "only in its last component", base=full),
    bad("duration a number", "result.duration", 3600, "must be a string", base=full),
    bad(
        "result extension key",
        "result.extensions",
        {"attempt": 2},
        "absolute IRIs",
        base=full,
        at='result.extensions["attempt"]',
    ),
    # context (§2.4.6)
    bad("context a string", "context", "meeting", "must be an object"),
    bad("registration not a UUID", "context.registration", "should fail", "must be a UUID", base=full),
    bad("instructor a string", "context.instructor", "Mrs Smith", "must be an object", base=full),
    bad(
        "instructor not an Agent",
        "context.instructor",
        {"key": "x"},
        "of an Agent",
        base=full,
        at="context.instructor.key",
    ),
    bad("team an Agent", "context.team", AGENT_P, 'must be "Group"', base=full, at="context.team.objectType"),
    bad(
        "team without members",
        "context.team",
        {"objectType": "Group"},
        "is required",
        base=full,
        at="context.team.member",
    ),
    bad("contextActivities a string", "context.contextActivities", "x", "must be an object", base=full),
    bad(
        "contextActivities unknown key", "context.contextActivities.consequences", [], "of contextActivities", base=full
    ),
    bad(
        "contextActivities value a string",
        "context.contextActivities.parent",
        ACTIVITY,
        "an array of Activities",
        base=full,
    ),
    bad(
        "contextActivities holds a non-Activity",
        "context.contextActivities.parent.[0]",
        {"key": "x"},
        "of an Activity",
        base=full,
        at="context.contextActivities.parent[0].key",
    ),
    bad(
        "single context activity without id",
        "context.contextActivities.parent",
        {},
        "is required",
        base=full,
        at="context.contextActivities.parent.id",
    ),
    bad(
        "context activity objectType Agent",
        "context.contextActivities.other.[0].objectType",
        "Agent",
        'must be "Activity"',
        base=full,
    ),
    Bad(
        "revision with an Agent object",
        changed(minimal(), ("object", {"objectType": "Agent", **AGENT_P}), ("context", {"revision": "r"})),
        "context.revision",
        "only be used when the object is an Activity (here it is Agent)",
    ),
    Bad(
        "revision with a Group object",
        changed(minimal(), ("object", GROUP_OF_ONE), ("context", {"revision": "r"})),
        "context.revision",
        "(here it is Group)",
    ),
    Bad(
        "platform with a StatementRef object",
        changed(minimal(), ("object", {"objectType": "StatementRef", "id": UUID_3}), ("context", {"platform": "web"})),
        "context.platform",
        "(here it is StatementRef)",
    ),
    Bad(
        "platform with a SubStatement object",
        changed(with_sub(("context", DROP)), ("context", {"platform": "web"})),
        "context.platform",
        "(here it is SubStatement)",
    ),
    bad("revision a number", "context.revision", 12345, "must be a string", base=full),
    bad("platform an object", "context.platform", {"key": "x"}, "must be a string", base=full),
    bad("language not a tag", "context.language", "something", "RFC 5646", base=full),
    bad("language an object", "context.language", {"a12345": "should fail"}, "must be a string", base=full),
    bad(
        "context statement wrong objectType",
        "context.statement.objectType",
        "statementref",
        'must be "StatementRef"',
        base=full,
    ),
    bad("context statement without objectType", "context.statement.objectType", DROP, "is required", base=full),
    bad(
        "context statement id not a UUID",
        "context.statement.id",
        "AA97B177-9383-4934-8543-0F91A7A028368",
        "UUID",
        base=full,
    ),
    bad("context extra property", "context.location", "B12", "not a property of a Context", base=full),
    bad(
        "1.0.x: contextAgents",
        "context",
        {"contextAgents": []},
        "new in xAPI 2.0",
        at="context.contextAgents",
        versions=(V1,),
    ),
    bad(
        "1.0.x: contextGroups",
        "context",
        {"contextGroups": []},
        "new in xAPI 2.0",
        at="context.contextGroups",
        versions=(V1,),
    ),
    # xAPI 2.0 contextAgents and contextGroups (IEEE 9274.1.1 §4.2.2.5)
    agents("contextAgents not an array", {"objectType": "contextAgent"}, "context.contextAgents", "must be an array"),
    agents(
        "contextAgent wrong objectType",
        [{"objectType": "Should fail", "agent": AGENT_P}],
        "context.contextAgents[0].objectType",
        'must be "contextAgent"',
    ),
    agents(
        "contextAgent without objectType", [{"agent": AGENT_P}], "context.contextAgents[0].objectType", "is required"
    ),
    agents(
        "contextAgent invalid agent",
        [{"objectType": "contextAgent", "agent": {"key": "Should fail"}}],
        "context.contextAgents[0].agent.key",
        "of an Agent",
    ),
    agents(
        "contextAgent holding a Group",
        [{"objectType": "contextAgent", "agent": TEAM_T}],
        "context.contextAgents[0].agent.objectType",
        'must be "Agent"',
    ),
    agents(
        "contextAgent empty relevantTypes",
        [{"objectType": "contextAgent", "agent": AGENT_P, "relevantTypes": []}],
        "context.contextAgents[0].relevantTypes",
        "at least one",
    ),
    agents(
        "contextAgent relevantTypes not IRIs",
        [{"objectType": "contextAgent", "agent": AGENT_P, "relevantTypes": ["abc"]}],
        "context.contextAgents[0].relevantTypes[0]",
        "must be an IRI",
    ),
    groups(
        "contextGroup wrong objectType",
        [{"objectType": "Should fail", "group": TEAM_T}],
        "context.contextGroups[0].objectType",
        'must be "contextGroup"',
    ),
    groups(
        "contextGroup holding an Agent",
        [{"objectType": "contextGroup", "group": AGENT_P}],
        "context.contextGroups[0].group.objectType",
        'must be "Group"',
    ),
    groups(
        "contextGroup extra property",
        [{"objectType": "contextGroup", "group": TEAM_T, "member": []}],
        "context.contextGroups[0].member",
        "of a contextGroup",
    ),
    groups(
        "contextGroup empty relevantTypes",
        [{"objectType": "contextGroup", "group": TEAM_T, "relevantTypes": []}],
        "context.contextGroups[0].relevantTypes",
        "at least one",
    ),
    # timestamp and stored (§2.4.7, §2.4.8, §4.5; RFC 3339 in 2.0)
    stamp("timestamp in words", "should fail", "date-time such as"),
    stamp("timestamp in US format", "01/011/2015", "date-time such as"),
    stamp("timestamp without time", "2026-11-23", "date-time such as"),
    stamp("timestamp without time zone", "2026-11-23T09:15:00", "must include a time zone"),
    stamp("timestamp with fraction, without time zone", "2026-11-23T09:15:00.123", "must include a time zone"),
    stamp("timestamp offset -00:00", "2008-09-15T15:53:00.601-00:00", "must not use the offset -00:00"),
    stamp("timestamp offset -0000", "2008-09-15T15:53:00.601-0000", "must not use the offset -00:00", (V1,)),
    stamp("timestamp offset -00", "2008-09-15T15:53:00.601-00", "must not use the offset -00:00", (V1,)),
    stamp("2.0: timestamp offset -0000", "2008-09-15T15:53:00.601-0000", "date-time such as", (V2,)),
    stamp("timestamp 30 February", "2026-02-30T00:00:00Z", "is not a real date and time"),
    stamp("timestamp hour 24", "2026-11-23T24:00:00Z", "is not a real date and time"),
    stamp("timestamp leap second", "2016-12-31T23:59:60Z", "leap seconds"),
    stamp("timestamp offset hour 24", "2026-11-23T09:15:00+24:00", "impossible time zone offset"),
    stamp("timestamp lower-case t", "2026-11-23t09:15:00Z", "date-time such as"),
    stamp("timestamp with a space", "2026-11-23 09:15:00Z", "date-time such as"),
    stamp("timestamp a number", 1790000000, "must be a string"),
    stamp("2.0: basic format", "20261123T091500Z", "date-time such as", (V2,)),
    stamp("2.0: no seconds", "2026-11-23T09:15Z", "date-time such as", (V2,)),
    stamp("2.0: +hhmm offset", "2026-11-23T09:15:00+0100", "date-time such as", (V2,)),
    stamp("2.0: comma fraction", "2026-11-23T09:15:00,5Z", "date-time such as", (V2,)),
    bad("stored not a timestamp", "stored", "Sep 17, 1787", "date-time such as", base=full),
    # authority (§2.4.9)
    bad("authority identified group", "authority.mbox", "mailto:bob@example.com", "has no identifier", base=full),
    bad("authority group of one", "authority.member", [AGENT_P], "exactly two Agents, not 1", base=full),
    bad(
        "authority group of three",
        "authority.member",
        [AGENT_P, {"openid": "http://o/1"}, {"openid": "http://o/2"}],
        "not 3",
        base=full,
    ),
    bad(
        "authority group without members",
        "authority",
        {"objectType": "Group"},
        "is required",
        base=full,
        at="authority.member",
    ),
    bad("authority objectType wrong case", "authority.objectType", "group", 'must be "Agent"', base=full),
    bad(
        "authority agent without identifier",
        "authority",
        {"name": "LRS"},
        "needs an inverse functional identifier",
        base=full,
    ),
    # version (§2.4.10)
    bad("version not a version", "version", "should fail", "version such as"),
    bad("version 0.9.9", "version", "0.9.9", 'not "0.9.9"'),
    bad("version 1.1.0", "version", "1.1.0", 'not "1.1.0"'),
    bad("version 1.0.", "version", "1.0.", 'not "1.0."'),
    bad("version a number", "version", 1.0, "must be a string"),
    bad("1.0.x: version 2.0.0", "version", "2.0.0", "must be a 1.0.x version", versions=(V1,)),
    bad("2.0: version 3.0.0", "version", "3.0.0", "must be a 1.0.x or 2.0.x version", versions=(V2,)),
    # attachments (§2.4.11)
    bad("attachments an object", "attachments", full()["attachments"][0], "must be an array", base=full),
    bad("attachment a number", "attachments.[0]", 12345, "must be an object", base=full),
    *(
        bad(f"attachment without {key}", f"attachments.[0].{key}", DROP, "is required", base=full)
        for key in ("usageType", "display", "contentType", "length", "sha2")
    ),
    bad("attachment usageType not an IRI", "attachments.[0].usageType", "should fail", "must be an IRI", base=full),
    bad("attachment display a string", "attachments.[0].display", "should fail", "must be an object", base=full),
    bad(
        "attachment description bad tag",
        "attachments.[0].description",
        {"xx-": "x"},
        "RFC 5646",
        base=full,
        at='attachments[0].description["xx-"]',
    ),
    bad("attachment contentType a number", "attachments.[0].contentType", 999, "must be a string", base=full),
    bad(
        "attachment contentType not a media type",
        "attachments.[0].contentType",
        "portable document",
        "media type",
        base=full,
    ),
    *(
        bad(f"attachment length {value!r}", "attachments.[0].length", value, "non-negative integer", base=full)
        for value in ("27", -1, 27.5, True)
    ),
    bad("attachment sha2 a number", "attachments.[0].sha2", 12345, "must be a string", base=full),
    bad("attachment sha2 not a digest", "attachments.[0].sha2", "not-a-hash", "SHA-2 digest", base=full),
    bad("attachment fileUrl not an IRL", "attachments.[0].fileUrl", "should fail", "must be an IRL", base=full),
    bad("attachment extra property", "attachments.[0].data", "aGVsbG8=", "not a property of an Attachment", base=full),
    # voiding (§2.3.2)
    bad("voiding an Activity", "verb.id", VOIDED, "must have a StatementRef object", at="object"),
    # nesting depth
    bad(
        "nesting too deep",
        "result",
        {"extensions": {"http://e.x/deep": nested(MAX_DEPTH - 2)}},
        "more than 32 levels deep",
        at=DEEP + ".deeper" * (MAX_DEPTH - 3),
    ),
]


@pytest.mark.parametrize(
    ("statement", "version", "path", "fragment"),
    [
        pytest.param(case.statement, version, case.at, case.fragment, id=f"{case.name} ({version})")
        for case in INVALID
        for version in case.versions
    ],
)
def test_rejects_invalid_statement_naming_field_and_rule(
    statement: Any, version: str, path: str, fragment: str
) -> None:
    with pytest.raises(StatementError) as caught:
        validate_statement(statement, version)
    assert caught.value.path == path
    assert fragment in caught.value.rule
    assert str(caught.value) == f"{caught.value.path}: {caught.value.rule}"


# --- the error and the version argument -------------------------------------------------------------------------------


def test_statement_error_is_a_value_error_whose_text_is_path_then_rule() -> None:
    error = StatementError("actor.mbox", "must be a mailto IRI")
    assert isinstance(error, ValueError)
    assert (error.path, error.rule) == ("actor.mbox", "must be a mailto IRI")
    assert str(error) == "actor.mbox: must be a mailto IRI"


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.3", "2.0", "2.0.0"])
def test_accepts_every_supported_version_family(version: str) -> None:
    validate_statement(minimal(), version)


@pytest.mark.parametrize("version", ["0.95", "1.1.0", "3.0.0", ""])
def test_an_unsupported_version_argument_is_a_programming_error_not_a_statement_error(version: str) -> None:
    with pytest.raises(ValueError, match="unsupported xAPI version") as caught:
        validate_statement(minimal(), version)
    assert not isinstance(caught.value, StatementError)


def test_nesting_up_to_the_limit_is_accepted() -> None:
    validate_statement(changed(minimal(), ("result", {"extensions": {"http://e.x/deep": nested(MAX_DEPTH - 3)}})), V1)


def test_validation_leaves_the_statement_unchanged() -> None:
    statement = full()
    validate_statement(statement, V1)
    assert statement == full()


# --- agents and activities --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "key"),
    [
        ({"mbox": "mailto:Ada.Lovelace@Example.COM"}, "mbox:mailto:Ada.Lovelace@example.com"),
        ({"objectType": "Agent", "mbox_sha1sum": SHA1.upper()}, f"mbox_sha1sum:{SHA1}"),
        ({"openid": "http://openid.example.org/12345", "name": "Ada"}, "openid:http://openid.example.org/12345"),
        (
            {"account": {"homePage": "http://www.example.com", "name": "1625378"}},
            "account:http://www.example.com 1625378",
        ),
        (
            {"objectType": "Group", "mbox": "mailto:team@b.c", "member": [{"mbox": "mailto:a@b.c"}]},
            "mbox:mailto:team@b.c",
        ),
    ],
)
def test_agent_key_is_canonical_per_identifier(agent: dict[str, Any], key: str) -> None:
    assert agent_key(agent) == key


@pytest.mark.parametrize(
    ("agent", "error", "fragment"),
    [
        ({"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}, ValueError, "needs exactly one"),
        (
            {"mbox": "mailto:a@b.c", "openid": "http://o.example/a"},
            StatementError,
            "agent: an Agent must have exactly one",
        ),
        ({"account": {"homePage": "http://x.example"}}, StatementError, "agent.account.name: is required"),
        ({"mbox_sha1sum": 40}, StatementError, "agent.mbox_sha1sum: must be the hex-encoded SHA-1"),
        ({"mbox": "mailto:nobody"}, StatementError, "agent.mbox: must be a mailto IRI"),
        ({"objectType": "Activity", "id": ACTIVITY}, StatementError, 'agent.objectType: must be "Agent" or "Group"'),
        (["mailto:a@b.c"], ValueError, "must be a JSON object, not an array"),
    ],
    ids=["anonymous group", "two identifiers", "incomplete account", "bad hash", "bad mbox", "an Activity", "array"],
)
def test_agent_key_refuses_what_is_not_an_agent_or_identified_group(
    agent: Any, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as caught:
        agent_key(agent)
    assert fragment in str(caught.value)


def test_related_agents_names_each_agent_with_its_relation() -> None:
    team = {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [{"mbox": "mailto:ada@example.com"}]}
    fans = {"objectType": "Group", "member": [{"mbox": "mailto:fan@example.com"}]}
    statement = changed(
        full(),
        ("actor", team),
        ("context.contextAgents", [{"objectType": "contextAgent", "agent": {"openid": "http://o.example/coach"}}]),
        ("context.contextGroups", [{"objectType": "contextGroup", "group": fans}]),
    )
    assert related_agents(statement) == {
        ("mbox:mailto:team@example.com", "actor"),
        ("mbox:mailto:ada@example.com", "actor"),
        ("account:https://lms.example.com teacher-17", "related"),
        (f"mbox_sha1sum:{SHA1}", "related"),
        ("account:http://example.com/xAPI/OAuth/Token oauth_consumer_x75db", "related"),
        ("mbox:mailto:bob@example.com", "related"),
        ("openid:http://o.example/coach", "related"),
        ("mbox:mailto:fan@example.com", "related"),
    }


def test_related_agents_sees_an_agent_object_and_everything_in_a_substatement() -> None:
    group_object = changed(
        minimal(), ("object", {"objectType": "Group", "member": [{"mbox": "mailto:jeff@example.com"}]})
    )
    assert related_agents(group_object) == {
        ("mbox:mailto:ada@example.com", "actor"),
        ("mbox:mailto:jeff@example.com", "object"),
    }
    statement = with_sub(
        ("object", {"objectType": "Agent", "openid": "http://o.example/x"}),
        ("context", {"instructor": {"mbox": "mailto:teacher@example.com"}}),
    )
    assert related_agents(statement) == {
        ("mbox:mailto:ada@example.com", "actor"),
        ("mbox:mailto:cy@example.com", "related"),
        ("openid:http://o.example/x", "related"),
        ("mbox:mailto:teacher@example.com", "related"),
    }


def test_related_activities_marks_only_the_object_activity_as_the_object() -> None:
    assert related_activities(full()) == {
        ("http://example.com/quiz/q1", True),
        ("http://example.com/quiz", False),
        ("http://example.com/course", False),
        ("https://w3id.org/xapi/cmi5/context/categories/moveon", False),
        ("http://example.com/textbook", False),
    }
    statement = changed(with_sub(), ("context", {"contextActivities": {"other": {"id": "urn:x:1"}}}))
    assert related_activities(statement) == {
        ("http://example.com/website", False),
        ("http://example.com/trip", False),
        ("urn:x:1", False),
    }


def test_related_sets_are_empty_without_agents_or_activities() -> None:
    statement = changed(
        minimal(),
        ("actor", {"objectType": "Group", "member": []}),
        ("object", {"objectType": "StatementRef", "id": UUID_3}),
    )
    assert related_agents(statement) == set()
    assert related_activities(statement) == set()


# --- robustness -------------------------------------------------------------------------------------------------------

PROPERTY_NAMES = sorted({*full(), *full()["context"], *full()["result"], "objectType", "member", "mbox", "definition"})
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(PROPERTY_NAMES) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)


def paths(value: Any, prefix: str = "") -> list[str]:
    """Every path inside a document in the form `changed` takes, except below keys that contain dots."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            if "." not in key:
                found += paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, f"{prefix}.[{index}]")
    return found


def outcome(raw: Any, version: str) -> StatementError | None:
    """The StatementError `raw` is refused with, or None; any other exception escapes."""
    try:
        validate_statement(raw, version)
    except StatementError as error:
        return error
    return None


@given(raw=JSON_VALUES, version=st.sampled_from(BOTH))
def test_any_json_is_accepted_or_refused_with_a_statement_error(raw: Any, version: str) -> None:
    error = outcome(raw, version)
    assert error is None or (error.path and error.rule)


@given(path=st.sampled_from(paths(full())), value=JSON_VALUES, version=st.sampled_from(BOTH))
def test_any_change_to_a_valid_statement_is_accepted_or_refused_with_a_statement_error(
    path: str, value: Any, version: str
) -> None:
    statement = changed(full(), (path, value))
    error = outcome(statement, version)
    assert error is None or (error.path and error.rule)
    assert isinstance(related_agents(statement), set)
    assert isinstance(related_activities(statement), set)


# --- parts remembered as valid ----------------------------------------------------------------------------------------


def fresh_outcome(raw: Any, version: str) -> str | None:
    """The error `raw` gets from a validator that remembers nothing yet, as text."""
    remembered = dict(statements_module._VALID_PARTS)
    statements_module._VALID_PARTS.clear()
    try:
        error = outcome(raw, version)
    finally:
        statements_module._VALID_PARTS.clear()
        statements_module._VALID_PARTS.update(remembered)
    return None if error is None else str(error)


@given(
    changes=st.lists(st.tuples(st.sampled_from(paths(full())), JSON_VALUES), min_size=1, max_size=3),
    version=st.sampled_from(BOTH),
)
def test_parts_remembered_as_valid_never_change_a_verdict(changes: list[tuple[str, Any]], version: str) -> None:
    # Validate the untouched statement first so that its actor, verb, activities and context activities
    # are remembered, then a changed one: the verdict and message are those of a validator that starts afresh.
    assert outcome(full(), version) is None
    for change in changes:
        statement = changed(full(), change)
        error = outcome(statement, version)
        assert (None if error is None else str(error)) == fresh_outcome(statement, version)


def test_a_remembered_part_differing_only_in_a_value_type_is_checked_again() -> None:
    choice = {
        "id": "http://example.com/q1",
        "definition": {"interactionType": "choice", "choices": [{"id": "1", "description": {"en": "one"}}]},
    }
    valid = {"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": VERB}, "object": choice}
    validate_statement(valid, V1)
    same_but_number = copy.deepcopy(valid)
    same_but_number["object"]["definition"]["choices"][0]["id"] = 1
    with pytest.raises(StatementError, match=r"object\.definition\.choices\[0\]\.id: must be a string"):
        validate_statement(same_but_number, V1)

"""Validation of xAPI statements (1.0.3 Part Two: Data; 2.0, IEEE 9274.1.1) and the agents and activities they name.

`validate_statement` raises `StatementError` for the first broken rule it finds; the LRS answers `400 Bad Request`
with `str(error)`, which names the field and the rule. The checks are hand-written so that every error carries
the exact path of the offending value. Section numbers in comments refer to xAPI 1.0.3 Part Two (Data) unless
they say otherwise; "CTS" is the ADL LRS conformance test suite (`lrs-conformance-test-suite`, `test/v1_0_3` and
`test/v2_0`), whose requirement ids (XAPI-000nn) pin down what a conformant LRS must reject or accept.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, NoReturn, TypeVar, cast

import orjson

from alignment.errors import json_kind

__all__ = [
    "MAX_DEPTH",
    "StatementError",
    "agent_key",
    "related_activities",
    "related_agents",
    "validate_statement",
]

MAX_DEPTH: Final = 32
"""Objects and arrays may nest at most this deep, counting the statement itself as level 1."""

VOIDED_VERB: Final = "http://adlnet.gov/expapi/verbs/voided"

_IFI_KEYS: Final = ("mbox", "mbox_sha1sum", "openid", "account")
_INTERACTION_TYPES: Final = (
    "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert", "numeric",
    "other",
)  # fmt: skip
_COMPONENT_LISTS: Final = ("choices", "scale", "source", "target", "steps")
_CONTEXT_ACTIVITY_KEYS: Final = ("parent", "grouping", "category", "other")
_SUBSTATEMENT_FORBIDDEN: Final = ("id", "stored", "version", "authority")

_STATEMENT_KEYS: Final = frozenset(
    {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version"}
    | {"attachments"}
)
_SUBSTATEMENT_KEYS: Final = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_AGENT_KEYS: Final = frozenset({"objectType", "name", *_IFI_KEYS})
_GROUP_KEYS: Final = frozenset({"objectType", "name", "member", *_IFI_KEYS})
_CONTEXT_KEYS_1: Final = frozenset(
    {"registration", "instructor", "team", "contextActivities", "revision", "platform", "language", "statement"}
    | {"extensions"}
)
# IEEE 9274.1.1 (xAPI 2.0) §4.2.2.5 adds contextAgents and contextGroups to the Context Object.
_CONTEXT_KEYS_2: Final = _CONTEXT_KEYS_1 | {"contextAgents", "contextGroups"}
_DEFINITION_KEYS: Final = frozenset(
    {"name", "description", "type", "moreInfo", "extensions", "interactionType", "correctResponsesPattern"}
    | set(_COMPONENT_LISTS)
)

_UUID: Final = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_SHA1_HEX: Final = re.compile(r"[0-9A-Fa-f]{40}")
# SHA-224, SHA-256, SHA-384 and SHA-512 digests, hex-encoded.
_SHA2_HEX: Final = re.compile(r"[0-9A-Fa-f]{56}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{96}|[0-9A-Fa-f]{128}")
_IRI_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
# Characters RFC 3987 never allows in an IRI: whitespace, controls, and <>"{}|\^` .
_IRI_FORBIDDEN: Final = re.compile(r'[\s<>"{}|\\^`\x00-\x1f\x7f-\x9f]')
_BROKEN_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_MAILBOX: Final = re.compile(r'mailto:[^\s@<>"(),:;\[\]\\?#]+@[^\s@<>"(),:;\[\]\\?#/]+')
# RFC 7231 media type: type "/" subtype *( ";" parameter ).
_TCHARS: Final = r"[!#$%&'*+.^_`|~0-9A-Za-z\-]+"
_MEDIA_TYPE: Final = re.compile(
    rf'{_TCHARS}/{_TCHARS}(?:[ \t]*;[ \t]*{_TCHARS}=(?:{_TCHARS}|"(?:[^"\\]|\\.)*"))*[ \t]*'
)
# Statement "version": the header format of 1.0.3 Part Three §3.3 (Semantic Versioning 1.0.0), or just "1.0".
_VERSION: Final = re.compile(r"(?P<family>[12]\.0)(?:\.(?:0|[1-9][0-9]*)(?:[A-Za-z][0-9A-Za-z\-]*)?)?")

# RFC 5646 §2.1 langtag, written out subtag by subtag (ASCII letters and digits only).
_LANGTAG: Final = re.compile(
    r"""
    (?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4}|[A-Za-z]{5,8})   # language, with up to three extlangs
    (?:-[A-Za-z]{4})?                                                 # script
    (?:-(?:[A-Za-z]{2}|[0-9]{3}))?                                    # region
    (?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*)      # variants
    (?P<extensions>(?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*)       # extensions, each after a singleton
    (?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?                                  # private use
    """,
    re.VERBOSE,
)
_PRIVATE_USE_TAG: Final = re.compile(r"[Xx](?:-[A-Za-z0-9]{1,8})+")
_GRANDFATHERED_TAGS: Final = frozenset(
    {
        "en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux", "i-mingo",
        "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-be-fr", "sgn-be-nl", "sgn-ch-de", "art-lojban",
        "cel-gaulish", "no-bok", "no-nyn", "zh-guoyu", "zh-hakka", "zh-min", "zh-min-nan", "zh-xiang",
    }
)  # fmt: skip

# ISO 8601:2004 §4.4.3.2 durations: PnYnMnDTnHnMnS or PnW; only the last component may carry a fraction.
_NUM: Final = r"[0-9]+(?:[.,][0-9]+)?"
_DURATION: Final = re.compile(
    rf"P(?:(?P<W>{_NUM}W)|(?P<Y>{_NUM}Y)?(?P<Mo>{_NUM}M)?(?P<D>{_NUM}D)?"
    rf"(?P<time>T(?P<H>{_NUM}H)?(?P<Mi>{_NUM}M)?(?P<S>{_NUM}S)?)?)"
)
_DURATION_PARTS: Final = ("W", "Y", "Mo", "D", "H", "Mi", "S")

# Timestamps. xAPI 2.0 (IEEE 9274.1.1) makes RFC 3339 a requirement ("shall"); 1.0.3 §4.5 requires ISO 8601 and only
# recommends RFC 3339, so 1.0.x also takes ISO 8601's basic format, a comma before the fraction, reduced precision
# (no seconds) and hour-only or +hhmm offsets (common from Java clients, though ISO 8601 wants one format throughout).
# Both families need a time zone (see _Validator.timestamp).
_TS_RFC3339: Final = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})T(?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})"
    r"(?:\.[0-9]+)?(?P<zone>Z|(?P<sign>[+-])(?P<zh>[0-9]{2}):(?P<zm>[0-9]{2}))"
)
_TS_ISO_EXTENDED: Final = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})T(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})"
    r"(?::(?P<s>[0-9]{2})(?:[.,][0-9]+)?)?(?P<zone>Z|(?P<sign>[+-])(?P<zh>[0-9]{2})(?::?(?P<zm>[0-9]{2}))?)"
)
_TS_ISO_BASIC: Final = re.compile(
    r"(?P<y>[0-9]{4})(?P<mo>[0-9]{2})(?P<d>[0-9]{2})T(?P<h>[0-9]{2})(?P<mi>[0-9]{2})"
    r"(?:(?P<s>[0-9]{2})(?:[.,][0-9]+)?)?(?P<zone>Z|(?P<sign>[+-])(?P<zh>[0-9]{2})(?P<zm>[0-9]{2})?)"
)
_TS_WITHOUT_ZONE: Final = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}T[0-9]{2}:?[0-9]{2}(?::?[0-9]{2}(?:[.,][0-9]+)?)?")


_REMEMBERED_PARTS: Final = 16_384
_REMEMBERED_BYTES: Final = 1_024
_VALID_PARTS: dict[tuple[int, str, bytes], object] = {}
"""Statement parts found valid (see _Validator.remembered): (family, part, JSON text) -> what the check returned."""
_T = TypeVar("_T")
_MAPPING: Final = (dict, Mapping)
"""For isinstance: decoded JSON objects are dicts, and checking for dict first spares the slower ABC check."""


class StatementError(ValueError):
    """A statement breaks a rule; `path` names the field (e.g. 'actor.mbox', 'context.contextActivities.parent[0].id'), `rule` says what is wrong."""  # noqa: E501

    path: str
    rule: str

    def __init__(self, path: str, rule: str) -> None:
        super().__init__(f"{path}: {rule}")
        self.path = path
        self.rule = rule


def validate_statement(raw: object, version: str) -> None:
    """Raise StatementError unless `raw` (decoded JSON) is a valid statement for xAPI `version` ('1.0.x' family or '2.0.x')."""  # noqa: E501
    family = _family(version)
    if not isinstance(raw, _MAPPING):
        _fail("", f"a statement must be a JSON object, not {json_kind(raw)}")
    if not _is_plain_json(raw, 1):
        _check_json(raw, "", 1)  # finds the offending value and names its path
    _Validator(family).statement(raw)


def agent_key(agent: Mapping[str, Any]) -> str:
    """A canonical string for an Agent's (or identified Group's) inverse functional identifier: 'mbox:mailto:a@b.c', 'mbox_sha1sum:<hex lower>', 'openid:<iri>', 'account:<homePage> <name>'."""  # noqa: E501
    # 1.0.3 §2.2 s4.b4: parameter values (the Statement Resource's "agent") meet the same rules as in statements.
    if not isinstance(agent, _MAPPING):
        raise ValueError(f"an Agent or identified Group must be a JSON object, not {json_kind(agent)}")
    _check_json(agent, "agent", 1)
    _Validator(2).actor(agent, "agent")
    key = _ifi_key(agent)
    if key is None:
        raise ValueError("an anonymous Group has no inverse functional identifier; it needs exactly one")
    return key


def related_agents(statement: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(agent_key, relation) pairs: 'actor'/'object' for the actor and an Agent/Group object and their members (the agent filter, 1.0.3 Part Three §2.1.3); 'related' for authority, instructor, team, 2.0 context agents/groups and all inside a SubStatement."""  # noqa: E501
    found: set[tuple[str, str]] = set()
    _collect_agent(statement.get("actor"), "actor", found)
    target = statement.get("object")
    if isinstance(target, _MAPPING):
        kind = target.get("objectType")
        if kind in ("Agent", "Group"):
            _collect_agent(target, "object", found)
        elif kind == "SubStatement":
            _collect_agent(target.get("actor"), "related", found)
            inner = target.get("object")
            if isinstance(inner, _MAPPING) and inner.get("objectType") in ("Agent", "Group"):
                _collect_agent(inner, "related", found)
            _collect_context_agents(target.get("context"), found)
    _collect_agent(statement.get("authority"), "related", found)
    _collect_context_agents(statement.get("context"), found)
    return found


def related_activities(statement: Mapping[str, Any]) -> set[tuple[str, bool]]:
    """(activity id, is_object) pairs: the object Activity id with True; context activities (parent, grouping, category, other) and SubStatement activities with False."""  # noqa: E501
    found: set[tuple[str, bool]] = set()
    target = statement.get("object")
    if isinstance(target, _MAPPING):
        kind = target.get("objectType", "Activity")
        if kind == "Activity":
            _collect_activity(target, True, found)
        elif kind == "SubStatement":
            inner = target.get("object")
            if isinstance(inner, _MAPPING) and inner.get("objectType", "Activity") == "Activity":
                _collect_activity(inner, False, found)
            _collect_context_activities(target.get("context"), found)
    _collect_context_activities(statement.get("context"), found)
    return found


class _Validator:
    """The rules of one xAPI version family, applied to a whole statement."""

    def __init__(self, family: int) -> None:
        self.family = family

    def remembered(self, part: str, value: object, check: Callable[[], _T]) -> _T:
        """`check()`'s result for `value`, from _VALID_PARTS when this very `part` was found valid before.

        The actors, verbs, activities (with their definitions) and context activities of statements recur
        from statement to statement: the same learners, verbs, courses and modules. Remembering them is
        sound because their validation is a function of the value's JSON text, the family and `part` alone
        (the path only words errors, and only successes are remembered), and because validate_statement has
        already made sure the statement is plain JSON, which orjson writes one way per value: a key is equal
        only for equal values of equal types. Values orjson cannot write, and large ones, are not remembered.
        """
        try:
            text = orjson.dumps(value)
        except orjson.JSONEncodeError:
            return check()
        if len(text) > _REMEMBERED_BYTES:
            return check()
        key = (self.family, part, text)
        if key in _VALID_PARTS:
            return cast(_T, _VALID_PARTS[key])
        result = check()
        if len(_VALID_PARTS) >= _REMEMBERED_PARTS:
            _VALID_PARTS.clear()  # starting over costs a few misses; keeping the most used would cost every hit
        _VALID_PARTS[key] = result
        return result

    # --- statements -------------------------------------------------------------------------------------------------

    def statement(self, statement: Mapping[str, Any]) -> None:
        """A top-level statement (§2.4)."""
        # §2.2 s2.b3: a Statement MUST use "actor", "verb" and "object".
        self.properties(statement, "", _STATEMENT_KEYS, ("actor", "verb", "object"), "a Statement")
        if "id" in statement:
            self.uuid(statement["id"], "id")
        self.common(statement, "")
        if "stored" in statement:
            self.timestamp(statement["stored"], "stored")
        if "authority" in statement:
            self.authority(statement["authority"], "authority")
        if "version" in statement:
            self.version(statement["version"], "version")

    def substatement(self, sub: Mapping[str, Any], path: str) -> None:
        """A SubStatement (§2.4.4.3): validated as a Statement, minus the properties only the LRS sets."""
        for key in _SUBSTATEMENT_FORBIDDEN:
            # §2.4.4.3 s8.b3: a SubStatement MUST NOT have the "id", "stored", "version" or "authority" properties.
            if key in sub:
                _fail(_child(path, key), "is not allowed in a SubStatement")
        self.properties(sub, path, _SUBSTATEMENT_KEYS, ("actor", "verb", "object"), "a SubStatement")
        self.common(sub, path)

    def common(self, statement: Mapping[str, Any], path: str) -> None:
        """What a Statement and a SubStatement share: actor, verb, object, result, context, timestamp, attachments."""
        self.actor(statement["actor"], _child(path, "actor"))
        self.verb(statement["verb"], _child(path, "verb"))
        kind = self.statement_object(statement["object"], _child(path, "object"), nested=path != "")
        if "context" in statement:
            self.context(statement["context"], _child(path, "context"), object_kind=kind)
        if "result" in statement:
            self.result(statement["result"], _child(path, "result"))
        if "timestamp" in statement:
            self.timestamp(statement["timestamp"], _child(path, "timestamp"))
        if "attachments" in statement:
            self.attachments(statement["attachments"], _child(path, "attachments"))
        # §2.3.2 s2.b1 (CTS XAPI-00017): the object of a voiding statement MUST be a StatementRef.
        if statement["verb"]["id"] == VOIDED_VERB and kind != "StatementRef":
            _fail(_child(path, "object"), f"a statement with the verb {VOIDED_VERB} must have a StatementRef object")

    # --- actors -----------------------------------------------------------------------------------------------------

    def actor(self, value: object, path: str) -> str:
        """An Agent or a Group (§2.4.2); returns which."""
        return self.remembered("actor", value, lambda: self._actor(value, path))

    def _actor(self, value: object, path: str) -> str:
        actor = self.mapping(value, path)
        kind = actor.get("objectType", "Agent")
        if kind == "Agent":
            self.agent(actor, path)
        elif kind == "Group":
            self.group(actor, path)
        else:
            self.object_type(kind, _child(path, "objectType"), ("Agent", "Group"))
        return str(kind)

    def agent(self, value: object, path: str) -> None:
        """An Agent (§2.4.2.1): objectType optional, exactly one inverse functional identifier, optional name."""
        agent = self.mapping(value, path)
        if "objectType" in agent and agent["objectType"] != "Agent":
            self.object_type(agent["objectType"], _child(path, "objectType"), ("Agent",))
        if "member" in agent and "objectType" not in agent:
            _fail(_child(path, "member"), 'is only allowed in a Group, and a Group needs "objectType": "Group"')
        self.properties(agent, path, _AGENT_KEYS, (), "an Agent")
        if "name" in agent:
            self.string(agent["name"], _child(path, "name"))
        # §2.4.2.1 s2.b1-b2: an Agent MUST be identified by one, and only one, inverse functional identifier.
        ifis = [key for key in _IFI_KEYS if key in agent]
        if len(ifis) != 1:
            _fail(path, _ifi_count_rule("an Agent", ifis))
        self.ifi(agent, ifis[0], path)

    def group(self, value: object, path: str) -> None:
        """A Group (§2.4.2.2): objectType "Group"; anonymous (members, no identifier) or identified (one identifier)."""
        group = self.mapping(value, path)
        self.properties(group, path, _GROUP_KEYS, ("objectType",), "a Group")
        if group["objectType"] != "Group":
            self.object_type(group["objectType"], _child(path, "objectType"), ("Group",))
        if "name" in group:
            self.string(group["name"], _child(path, "name"))
        ifis = [key for key in _IFI_KEYS if key in group]
        if len(ifis) > 1:
            # §2.4.2.2 s5.b1: an Identified Group MUST include exactly one inverse functional identifier.
            _fail(path, _ifi_count_rule("a Group", ifis))
        if ifis:
            self.ifi(group, ifis[0], path)
        elif "member" not in group:
            # §2.4.2.2 s4.b1 (CTS XAPI-00035): an Anonymous Group MUST include a "member" property.
            _fail(_child(path, "member"), "is required in a Group without an inverse functional identifier")
        if "member" in group:
            members = self.array(group["member"], _child(path, "member"))
            if not members and not ifis:
                _fail(_child(path, "member"), "must list at least one Agent in a Group without an identifier")
            for index, member in enumerate(members):
                member_path = _item(_child(path, "member"), index)
                # §2.4.2.2 s4.b2 and s5.b2: a Group MUST NOT contain Group Objects in "member".
                if isinstance(member, _MAPPING) and member.get("objectType") == "Group":
                    _fail(_child(member_path, "objectType"), "a Group's members must be Agents, not Groups")
                self.agent(member, member_path)

    def ifi(self, actor: Mapping[str, Any], key: str, path: str) -> None:
        """One inverse functional identifier (§2.4.2.3) and, for account, the Account Object (§2.4.2.4)."""
        value = actor[key]
        where = _child(path, key)
        if key == "mbox":
            # §2.4.2.3 table: the required format is "mailto:email address" (CTS XAPI-00038).
            if not isinstance(value, str) or not _MAILBOX.fullmatch(value) or not _is_iri(value):
                _fail(
                    where, f"must be a mailto IRI with an email address, such as mailto:ada@example.com; {_got(value)}"
                )
        elif key == "mbox_sha1sum":
            if not isinstance(value, str) or not _SHA1_HEX.fullmatch(value):
                _fail(where, f"must be the hex-encoded SHA-1 hash of a mailto IRI (40 hex digits); {_got(value)}")
        elif key == "openid":
            self.iri(value, where)
        else:
            account = self.mapping(value, where)
            self.properties(account, where, frozenset({"homePage", "name"}), ("homePage", "name"), "an Account")
            self.iri(account["homePage"], _child(where, "homePage"), "an IRL")
            self.string(account["name"], _child(where, "name"))

    def authority(self, value: object, path: str) -> None:
        """§2.4.9 s3.b1: an Agent, or in 3-legged OAuth an anonymous Group of exactly two Agents (CTS XAPI-00098)."""
        authority = self.mapping(value, path)
        if authority.get("objectType", "Agent") != "Group":
            self.agent(authority, path)
            return
        self.group(authority, path)
        ifis = [key for key in _IFI_KEYS if key in authority]
        if ifis:
            _fail(_child(path, ifis[0]), "an authority Group is the OAuth pair of two Agents and has no identifier")
        if len(authority["member"]) != 2:
            _fail(
                _child(path, "member"),
                f"an authority Group must have exactly two Agents, not {len(authority['member'])}",
            )

    # --- verb and object --------------------------------------------------------------------------------------------

    def verb(self, value: object, path: str) -> None:
        """A Verb (§2.4.3): an IRI id and an optional display language map."""
        self.remembered("verb", value, lambda: self._verb(value, path))

    def _verb(self, value: object, path: str) -> None:
        verb = self.mapping(value, path)
        self.properties(verb, path, frozenset({"id", "display"}), ("id",), "a Verb")
        self.iri(verb["id"], _child(path, "id"))
        if "display" in verb:
            self.language_map(verb["display"], _child(path, "display"))

    def statement_object(self, value: object, path: str, *, nested: bool) -> str:
        """The object of a Statement or SubStatement (§2.4.4); returns its objectType."""
        target = self.mapping(value, path)
        if "objectType" not in target:
            # §2.4.4.2 s1.b1 (CTS XAPI-00065): an Agent or Group object MUST specify "objectType".
            if any(key in target for key in (*_IFI_KEYS, "member")):
                _fail(
                    _child(path, "objectType"), 'is required when the object is an Agent or Group ("Agent" or "Group")'
                )
            self.activity(target, path)
            return "Activity"
        kind = target["objectType"]
        if kind == "Activity":
            self.activity(target, path)
        elif kind == "Agent":
            self.agent(target, path)
        elif kind == "Group":
            self.group(target, path)
        elif kind == "StatementRef":
            self.statement_ref(target, path)
        elif kind == "SubStatement":
            if nested:
                # §2.4.4.3 s8.b4 (CTS XAPI-00071): a SubStatement MUST NOT contain a SubStatement.
                _fail(_child(path, "objectType"), "a SubStatement cannot have a SubStatement as its object")
            self.substatement(target, path)
        else:
            allowed = ("Activity", "Agent", "Group", "StatementRef") + (() if nested else ("SubStatement",))
            self.object_type(kind, _child(path, "objectType"), allowed)
        return str(kind)

    def activity(self, value: object, path: str) -> None:
        """An Activity (§2.4.4.1): objectType "Activity" or absent, an IRI id and an optional definition."""
        self.remembered("activity", value, lambda: self._activity(value, path))

    def _activity(self, value: object, path: str) -> None:
        activity = self.mapping(value, path)
        self.properties(activity, path, frozenset({"objectType", "id", "definition"}), ("id",), "an Activity")
        if "objectType" in activity and activity["objectType"] != "Activity":
            self.object_type(activity["objectType"], _child(path, "objectType"), ("Activity",))
        self.iri(activity["id"], _child(path, "id"))
        if "definition" in activity:
            self.definition(activity["definition"], _child(path, "definition"))

    def definition(self, value: object, path: str) -> None:
        """An Activity Definition (§2.4.4.1), with the interaction properties of §2.4.4.1 s8-s16."""
        definition = self.mapping(value, path)
        self.properties(definition, path, _DEFINITION_KEYS, (), "an Activity Definition")
        for key in ("name", "description"):
            if key in definition:
                self.language_map(definition[key], _child(path, key))
        if "type" in definition:
            self.iri(definition["type"], _child(path, "type"))
        if "moreInfo" in definition:
            self.iri(definition["moreInfo"], _child(path, "moreInfo"), "an IRL")
        if "extensions" in definition:
            self.extensions(definition["extensions"], _child(path, "extensions"))
        if "interactionType" in definition:
            kind = self.string(definition["interactionType"], _child(path, "interactionType"))
            # §2.4.4.1 s13.b1 and §2.2 s4.b1.b6 (CTS XAPI-00009, XAPI-00049): one of the listed values, exact case.
            if kind not in _INTERACTION_TYPES:
                _fail(
                    _child(path, "interactionType"),
                    f"must be one of {_quoted(_INTERACTION_TYPES)} (case-sensitive), not {_q(kind)}",
                )
        else:
            # §2.4.4.1 s8 (CTS XAPI-00064): the interaction properties need an interactionType.
            used = [key for key in ("correctResponsesPattern", *_COMPONENT_LISTS) if key in definition]
            if used:
                _fail(_child(path, "interactionType"), f"is required when {_quoted(used)} is present")
        if "correctResponsesPattern" in definition:
            patterns = self.array(definition["correctResponsesPattern"], _child(path, "correctResponsesPattern"))
            for index, pattern in enumerate(patterns):
                self.string(pattern, _item(_child(path, "correctResponsesPattern"), index))
        for key in _COMPONENT_LISTS:
            if key in definition:
                self.interaction_components(definition[key], _child(path, key))

    def interaction_components(self, value: object, path: str) -> None:
        """A list of interaction components (§2.4.4.1 s15): {id, description}, with distinct ids (s16.b1)."""
        seen: set[str] = set()
        for index, item in enumerate(self.array(value, path)):
            where = _item(path, index)
            component = self.mapping(item, where)
            self.properties(component, where, frozenset({"id", "description"}), ("id",), "an interaction component")
            component_id = self.string(component["id"], _child(where, "id"))
            if component_id in seen:
                _fail(_child(where, "id"), f"repeats the id {_q(component_id)}; ids within a list must be distinct")
            seen.add(component_id)
            if "description" in component:
                self.language_map(component["description"], _child(where, "description"))

    def statement_ref(self, value: object, path: str) -> None:
        """A Statement Reference (§2.4.4.3 s4): objectType "StatementRef" and the UUID of a statement."""
        ref = self.mapping(value, path)
        self.properties(ref, path, frozenset({"objectType", "id"}), ("objectType", "id"), "a StatementRef")
        if ref["objectType"] != "StatementRef":
            self.object_type(ref["objectType"], _child(path, "objectType"), ("StatementRef",))
        self.uuid(ref["id"], _child(path, "id"))

    # --- result and context -----------------------------------------------------------------------------------------

    def result(self, value: object, path: str) -> None:
        """A Result (§2.4.5)."""
        result = self.mapping(value, path)
        allowed = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
        self.properties(result, path, allowed, (), "a Result")
        if "score" in result:
            self.score(result["score"], _child(path, "score"))
        for key in ("success", "completion"):
            if key in result:
                self.boolean(result[key], _child(path, key))
        if "response" in result:
            self.string(result["response"], _child(path, "response"))
        if "duration" in result:
            self.duration(result["duration"], _child(path, "duration"))
        if "extensions" in result:
            self.extensions(result["extensions"], _child(path, "extensions"))

    def score(self, value: object, path: str) -> None:
        """A Score (§2.4.5.1): scaled in [-1, 1]; min < max; min <= raw <= max (CTS XAPI-00079 to 00083)."""
        score = self.mapping(value, path)
        self.properties(score, path, frozenset({"scaled", "raw", "min", "max"}), (), "a Score")
        numbers = {
            key: self.number(score[key], _child(path, key)) for key in ("scaled", "raw", "min", "max") if key in score
        }
        scaled, raw, low, high = (numbers.get(key) for key in ("scaled", "raw", "min", "max"))
        if scaled is not None and not -1 <= scaled <= 1:
            _fail(_child(path, "scaled"), f"must be between -1 and 1 inclusive, not {scaled}")
        if low is not None and high is not None and not low < high:
            _fail(_child(path, "min"), f"must be less than max ({high}), not {low}")
        if raw is not None and low is not None and raw < low:
            _fail(_child(path, "raw"), f"must not be less than min ({low}), not {raw}")
        if raw is not None and high is not None and raw > high:
            _fail(_child(path, "raw"), f"must not be greater than max ({high}), not {raw}")

    def context(self, value: object, path: str, *, object_kind: str) -> None:
        """A Context (§2.4.6); in xAPI 2.0 also contextAgents and contextGroups."""
        context = self.mapping(value, path)
        allowed = _CONTEXT_KEYS_2 if self.family == 2 else _CONTEXT_KEYS_1
        self.properties(context, path, allowed, (), "a Context")
        if "registration" in context:
            self.uuid(context["registration"], _child(path, "registration"))
        if "instructor" in context:
            self.actor(context["instructor"], _child(path, "instructor"))
        if "team" in context:
            self.team(context["team"], _child(path, "team"))
        if "contextActivities" in context:
            self.context_activities(context["contextActivities"], _child(path, "contextActivities"))
        for key in ("revision", "platform"):
            if key in context:
                self.string(context[key], _child(path, key))
                # §2.4.6 s4.b1-b2 (CTS XAPI-00084, XAPI-00085): only when the statement's object is an Activity.
                if object_kind != "Activity":
                    _fail(
                        _child(path, key),
                        f"must only be used when the object is an Activity (here it is {object_kind})",
                    )
        if "language" in context:
            tag = self.string(context["language"], _child(path, "language"))
            if not _is_language_tag(tag):
                _fail(_child(path, "language"), f"must be an RFC 5646 language tag such as en-US, not {_q(tag)}")
        if "statement" in context:
            self.statement_ref(context["statement"], _child(path, "statement"))
        if "extensions" in context:
            self.extensions(context["extensions"], _child(path, "extensions"))
        if "contextAgents" in context:
            self.context_members(context["contextAgents"], _child(path, "contextAgents"), "contextAgent", "agent")
        if "contextGroups" in context:
            self.context_members(context["contextGroups"], _child(path, "contextGroups"), "contextGroup", "group")

    def team(self, value: object, path: str) -> None:
        """context.team is a Group (§2.4.6 table, CTS XAPI-00088)."""
        team = self.mapping(value, path)
        if team.get("objectType") != "Group":
            _fail(_child(path, "objectType"), 'must be "Group": only a Group is allowed here')
        self.group(team, path)

    def context_activities(self, value: object, path: str) -> None:
        """§2.4.6.2 s4: keys parent/grouping/category/other; each an Activity or an array of Activities."""
        self.remembered("contextActivities", value, lambda: self._context_activities(value, path))

    def _context_activities(self, value: object, path: str) -> None:
        activities = self.mapping(value, path)
        self.properties(activities, path, frozenset(_CONTEXT_ACTIVITY_KEYS), (), "contextActivities")
        for key in _CONTEXT_ACTIVITY_KEYS:
            if key not in activities:
                continue
            where = _child(path, key)
            if isinstance(activities[key], list):
                for index, activity in enumerate(activities[key]):
                    self.activity(activity, _item(where, index))
            elif isinstance(activities[key], _MAPPING):
                # The single-Activity form is allowed for compatibility with 0.95 (§2.4.6.2 s3).
                self.activity(activities[key], where)
            else:
                _fail(where, f"must be an Activity or an array of Activities, not {json_kind(activities[key])}")

    def context_members(self, value: object, path: str, object_type: str, member_key: str) -> None:
        """IEEE 9274.1.1 §4.2.2.5: arrays of contextAgent {objectType, agent, relevantTypes} or contextGroup objects."""
        for index, item in enumerate(self.array(value, path)):
            where = _item(path, index)
            entry = self.mapping(item, where)
            allowed = frozenset({"objectType", member_key, "relevantTypes"})
            self.properties(entry, where, allowed, ("objectType", member_key), f"a {object_type}")
            if entry["objectType"] != object_type:
                self.object_type(entry["objectType"], _child(where, "objectType"), (object_type,))
            if member_key == "agent":
                self.agent(entry["agent"], _child(where, "agent"))
            else:
                self.team(entry["group"], _child(where, "group"))
            if "relevantTypes" in entry:
                types = self.array(entry["relevantTypes"], _child(where, "relevantTypes"))
                # CTS v2_0 contextagents.js / contextgroups.js: an empty relevantTypes array is rejected.
                if not types:
                    _fail(_child(where, "relevantTypes"), "must list at least one Activity type IRI when present")
                for type_index, type_iri in enumerate(types):
                    self.iri(type_iri, _item(_child(where, "relevantTypes"), type_index))

    # --- attachments and statement metadata -------------------------------------------------------------------------

    def attachments(self, value: object, path: str) -> None:
        """Attachments (§2.4.11): an array of Attachment objects (CTS XAPI-00025, XAPI-00102 to 00107)."""
        allowed = frozenset({"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"})
        required = ("usageType", "display", "contentType", "length", "sha2")
        for index, item in enumerate(self.array(value, path)):
            where = _item(path, index)
            attachment = self.mapping(item, where)
            self.properties(attachment, where, allowed, required, "an Attachment")
            self.iri(attachment["usageType"], _child(where, "usageType"))
            self.language_map(attachment["display"], _child(where, "display"))
            if "description" in attachment:
                self.language_map(attachment["description"], _child(where, "description"))
            content_type = self.string(attachment["contentType"], _child(where, "contentType"))
            if not _MEDIA_TYPE.fullmatch(content_type):
                _fail(
                    _child(where, "contentType"),
                    f"must be an Internet media type such as text/plain, not {_q(content_type)}",
                )
            length = attachment["length"]
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                _fail(_child(where, "length"), f"must be a non-negative integer (octets); {_got(length)}")
            sha2 = self.string(attachment["sha2"], _child(where, "sha2"))
            if not _SHA2_HEX.fullmatch(sha2):
                _fail(_child(where, "sha2"), "must be a hex-encoded SHA-2 digest (56, 64, 96 or 128 hex digits)")
            if "fileUrl" in attachment:
                self.iri(attachment["fileUrl"], _child(where, "fileUrl"), "an IRL")

    def version(self, value: object, path: str) -> None:
        """§2.4.10 s3 (CTS XAPI-00101): "1.0" or "1.0.x"; a 2.0 LRS also takes "2.0" and "2.0.x" (CTS v2_0)."""
        version = self.string(value, path)
        match = _VERSION.fullmatch(version)
        accepted = ("1.0",) if self.family == 1 else ("1.0", "2.0")
        if match is None or match["family"] not in accepted:
            described = " or ".join(f"{family}.x" for family in accepted)
            _fail(path, f"must be a {described} version such as {accepted[-1]}.0, not {_q(version)}")

    def timestamp(self, value: object, path: str) -> None:
        """A Timestamp (§4.5; RFC 3339 in xAPI 2.0), with a time zone and never the offset -00:00."""
        text = self.string(value, path)
        if self.family == 2:
            match = _TS_RFC3339.fullmatch(text)
            example = "2026-11-23T09:15:00.123Z or 2026-11-23T10:15:00+01:00"
        else:
            match = _TS_ISO_EXTENDED.fullmatch(text) or _TS_ISO_BASIC.fullmatch(text)
            example = "2026-11-23T09:15:00.123Z"
        if match is None:
            if _TS_WITHOUT_ZONE.fullmatch(text):
                # 1.0.3 only recommends a time zone (§4.5 s1.b4); RFC 3339, required by 2.0, needs one, and a
                # timestamp without one names no instant, so both families reject it.
                _fail(path, f"must include a time zone (Z or an offset such as +01:00), as in {example}")
            _fail(path, f"must be an ISO 8601 / RFC 3339 date-time such as {example}, not {_q(text)}")
        second = int(match["s"] or 0)
        if second == 60:
            _fail(path, "leap seconds (:60) are not supported")
        try:
            datetime(int(match["y"]), int(match["mo"]), int(match["d"]), int(match["h"]), int(match["mi"]), second)
        except ValueError:
            _fail(path, f"is not a real date and time: {_q(text)}")
        if match["zone"] != "Z":
            hours, minutes = int(match["zh"]), int(match["zm"] or 0)
            if hours > 23 or minutes > 59:
                _fail(path, f"has an impossible time zone offset: {_q(text)}")
            # ISO 8601 writes a zero offset with "+"; CTS XAPI-00123 rejects -00, -0000 and -00:00 (xAPI-Spec #1073).
            if match["sign"] == "-" and hours == 0 and minutes == 0:
                _fail(path, "must not use the offset -00:00; write Z or +00:00")

    def duration(self, value: object, path: str) -> None:
        """§4.6 s1.b1 (CTS XAPI-00077, XAPI-00124): the ISO 8601:2004 §4.4.3.2 format, PnYnMnDTnHnMnS or PnW."""
        text = self.string(value, path)
        match = _DURATION.fullmatch(text)
        parts = [match[name] for name in _DURATION_PARTS if match[name]] if match else []
        if match is None or not parts or (match["time"] == "T"):
            _fail(path, f"must be an ISO 8601 duration such as PT1H30M or P1DT2.5S, not {_q(text)}")
        if any("." in part or "," in part for part in parts[:-1]):
            _fail(path, f"may have a decimal fraction only in its last component: {_q(text)}")

    # --- special data types (§4) ------------------------------------------------------------------------------------

    def extensions(self, value: object, path: str) -> None:
        """§4.1 s3: keys MUST be IRIs (CTS XAPI-00118); values are anything, null included, and never rejected."""
        extensions = self.mapping(value, path)
        for key in extensions:
            if not _is_iri(key):
                _fail(_entry(path, key), "extension keys must be absolute IRIs, such as http://example.com/extension")

    def language_map(self, value: object, path: str) -> None:
        """§4.2 and §2.2 s4.b2: keys are RFC 5646 language tags, values are strings (CTS XAPI-00013, XAPI-00121)."""
        language_map = self.mapping(value, path)
        for tag, text in language_map.items():
            if not _is_language_tag(tag):
                _fail(_entry(path, tag), "language map keys must be RFC 5646 language tags such as en or en-US")
            if text is None:
                _fail(_entry(path, tag), "must not be null")
            if not isinstance(text, str):
                _fail(_entry(path, tag), f"must be a string, not {json_kind(text)}")

    def iri(self, value: object, path: str, what: str = "an IRI") -> str:
        """An absolute IRI or IRL (§2.2 s4.b1.b4 and b8, CTS XAPI-00011): a scheme, then no forbidden characters."""
        text = self.string(value, path)
        if not _is_iri(text):
            _fail(path, f"must be {what} with a scheme, such as http://example.com/path; {_got(text)}")
        return text

    def uuid(self, value: object, path: str) -> None:
        """§4.4 (CTS XAPI-00027 to 00030): a UUID in standard string form, any variant, either case."""
        text = self.string(value, path)
        if not _UUID.fullmatch(text):
            _fail(path, f"must be a UUID such as 3f8b3c5e-1b2a-4c6d-8e9f-0a1b2c3d4e5f, not {_q(text)}")

    # --- JSON types -------------------------------------------------------------------------------------------------

    def properties(
        self, obj: Mapping[str, Any], path: str, allowed: frozenset[str], required: tuple[str, ...], what: str
    ) -> None:
        """Unknown properties (§2.2 s4.b1.b5, b7), nulls (§2.2 s4.b1.b1) and missing required properties."""
        for key in obj:
            if key not in allowed:
                _fail(_child(path, key), self.unknown_property_rule(key, allowed, what))
        for key, item in obj.items():
            if item is None:
                _fail(_child(path, key), "must not be null (null is allowed only inside extensions)")
        for key in required:
            if key not in obj:
                _fail(_child(path, key), f"is required in {what}")

    def unknown_property_rule(self, key: str, allowed: frozenset[str], what: str) -> str:
        """Why `key` is refused, with a hint when only its case is wrong or it belongs to xAPI 2.0."""
        matches = [name for name in allowed if name.lower() == key.lower()]
        if matches:
            return f"is not a property of {what}; property names are case-sensitive: did you mean {_q(matches[0])}?"
        if self.family == 1 and key in _CONTEXT_KEYS_2 - _CONTEXT_KEYS_1:
            return f"is not a property of {what} in xAPI 1.0.x; it is new in xAPI 2.0"
        return f"is not a property of {what} (allowed: {', '.join(sorted(allowed))})"

    def object_type(self, value: object, path: str, allowed: tuple[str, ...]) -> NoReturn:
        """Refuse an objectType that is not one of `allowed` (values are case-sensitive, §2.2 s4.b1.b6)."""
        text = self.string(value, path)
        _fail(path, f"must be {' or '.join(_q(name) for name in allowed)} (case-sensitive), not {_q(text)}")

    def mapping(self, value: object, path: str) -> Mapping[str, Any]:
        """A JSON object."""
        if not isinstance(value, _MAPPING):
            _fail(path, f"must be an object, not {json_kind(value)}")
        return value

    def array(self, value: object, path: str) -> list[Any]:
        """A JSON array."""
        if not isinstance(value, list):
            _fail(path, f"must be an array, not {json_kind(value)}")
        return value

    def string(self, value: object, path: str) -> str:
        """A JSON string (§2.2 s4.b1.b2)."""
        if not isinstance(value, str):
            _fail(path, f"must be a string, not {json_kind(value)}")
        return value

    def boolean(self, value: object, path: str) -> bool:
        """A JSON boolean; "true" as a string is not one (§2.2 s4.b1.b3)."""
        if not isinstance(value, bool):
            _fail(path, f"must be true or false, not {json_kind(value)}")
        return value

    def number(self, value: object, path: str) -> float:
        """A JSON number; a string holding digits, or a boolean, is not one (§2.2 s4.b1.b2)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(path, f"must be a number, not {json_kind(value)}")
        return value


# --- helpers ----------------------------------------------------------------------------------------------------------


def _family(version: str) -> int:
    """1 for an xAPI 1.0.x version ('1.0', '1.0.3'), 2 for 2.0.x; anything else is the caller's mistake."""
    if version == "1.0" or version.startswith("1.0."):
        return 1
    if version == "2.0" or version.startswith("2.0."):
        return 2
    raise ValueError(f"unsupported xAPI version {version!r}; expected 1.0.x or 2.0.x")


def _is_plain_json(value: object, depth: int) -> bool:
    """True when `value` is JSON nested at most MAX_DEPTH deep: `_check_json` without building paths, for speed."""
    pending: list[tuple[object, int]] = [(value, depth)]
    while pending:
        item, level = pending.pop()
        kind = type(item)
        if kind is dict:
            if level > MAX_DEPTH:
                return False
            for key, child in item.items():  # type: ignore[attr-defined]
                if type(key) is not str:
                    return False
                child_kind = type(child)
                if child_kind is dict or child_kind is list:
                    pending.append((child, level + 1))
                elif not (child_kind in _PLAIN_SCALARS or (child_kind is float and math.isfinite(child))):
                    return False
        elif kind is list:
            if level > MAX_DEPTH:
                return False
            for child in item:  # type: ignore[attr-defined]
                child_kind = type(child)
                if child_kind is dict or child_kind is list:
                    pending.append((child, level + 1))
                elif not (child_kind in _PLAIN_SCALARS or (child_kind is float and math.isfinite(child))):
                    return False
        elif not (kind in _PLAIN_SCALARS or (kind is float and math.isfinite(item))):  # type: ignore[arg-type]
            return False
    return True


_PLAIN_SCALARS: Final = frozenset({str, int, bool, type(None)})


def _check_json(value: object, path: str, depth: int) -> None:
    """Refuse what is not JSON (non-string keys, NaN, other Python types) and nesting deeper than MAX_DEPTH."""
    if isinstance(value, Mapping | list):
        if depth > MAX_DEPTH:
            _fail(path, f"nests objects and arrays more than {MAX_DEPTH} levels deep")
        if isinstance(value, list):
            for index, item in enumerate(value):
                _check_json(item, _item(path, index), depth + 1)
            return
        for key, item in value.items():
            if not isinstance(key, str):
                _fail(path, "object keys must be strings")
            _check_json(item, _child(path, key), depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        _fail(path, "must be a JSON number; NaN and Infinity are not JSON")
    elif value is not None and not isinstance(value, str | int | float):
        _fail(path, f"is not a JSON value ({type(value).__name__})")


@functools.lru_cache(maxsize=16_384)
def _is_iri(text: str) -> bool:
    """Best-effort absolute IRI check (§2.2 s4.b6 allows it): a scheme, something after it, no forbidden characters."""
    scheme = _IRI_SCHEME.match(text)
    return (
        scheme is not None
        and scheme.end() < len(text)
        and _IRI_FORBIDDEN.search(text) is None
        and _BROKEN_PERCENT.search(text) is None
    )


@functools.lru_cache(maxsize=1_024)
def _is_language_tag(tag: str) -> bool:
    """An RFC 5646 language tag: well-formed (§2.1), no variant (§2.2.5) or extension singleton (§2.2.6) twice."""
    if tag.lower() in _GRANDFATHERED_TAGS or _PRIVATE_USE_TAG.fullmatch(tag):
        return True
    match = _LANGTAG.fullmatch(tag)
    if match is None:
        return False
    variants = match["variants"].lower().split("-")[1:]
    singletons = [subtag for subtag in match["extensions"].lower().split("-")[1:] if len(subtag) == 1]
    return len(set(variants)) == len(variants) and len(set(singletons)) == len(singletons)


def _ifi_key(agent: object) -> str | None:
    """The canonical inverse functional identifier of an Agent or identified Group, or None without exactly one."""
    if not isinstance(agent, _MAPPING):
        return None
    present = [key for key in _IFI_KEYS if key in agent]
    if len(present) != 1:
        return None
    key = present[0]
    value = agent[key]
    if key == "mbox" and isinstance(value, str) and "@" in value:
        # The domain of an email address is case-insensitive (§2.4.2.3 s4.b1); its local part is not.
        local, _, domain = value.rpartition("@")
        return f"mbox:{local}@{domain.lower()}"
    if key == "mbox_sha1sum" and isinstance(value, str):
        return f"mbox_sha1sum:{value.lower()}"
    if key == "openid" and isinstance(value, str):
        return f"openid:{value}"
    if key == "account" and isinstance(value, _MAPPING):
        home_page, name = value.get("homePage"), value.get("name")
        if isinstance(home_page, str) and isinstance(name, str):
            return f"account:{home_page} {name}"
    return None


def _collect_agent(actor: object, relation: str, found: set[tuple[str, str]]) -> None:
    """Add an Agent or Group and the members of a Group under `relation`."""
    if not isinstance(actor, _MAPPING):
        return
    key = _ifi_key(actor)
    if key is not None:
        found.add((key, relation))
    members = actor.get("member")
    if actor.get("objectType") == "Group" and isinstance(members, list):
        for member in members:
            _collect_agent(member, relation, found)


def _collect_context_agents(context: object, found: set[tuple[str, str]]) -> None:
    """Add instructor, team and the xAPI 2.0 contextAgents and contextGroups as 'related'."""
    if not isinstance(context, _MAPPING):
        return
    _collect_agent(context.get("instructor"), "related", found)
    _collect_agent(context.get("team"), "related", found)
    for list_key, member_key in (("contextAgents", "agent"), ("contextGroups", "group")):
        entries = context.get(list_key)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, _MAPPING):
                    _collect_agent(entry.get(member_key), "related", found)


def _collect_activity(activity: object, is_object: bool, found: set[tuple[str, bool]]) -> None:
    """Add an Activity's id."""
    if isinstance(activity, _MAPPING) and isinstance(activity.get("id"), str):
        found.add((activity["id"], is_object))


def _collect_context_activities(context: object, found: set[tuple[str, bool]]) -> None:
    """Add the ids of a context's parent, grouping, category and other Activities (single or array form)."""
    activities = context.get("contextActivities") if isinstance(context, _MAPPING) else None
    if not isinstance(activities, _MAPPING):
        return
    for key in _CONTEXT_ACTIVITY_KEYS:
        value = activities.get(key)
        for activity in value if isinstance(value, list) else [value]:
            _collect_activity(activity, False, found)


def _ifi_count_rule(what: str, present: list[str]) -> str:
    """The message for an Agent or Group with the wrong number of inverse functional identifiers."""
    if not present:
        return f"{what} needs an inverse functional identifier: one of mbox, mbox_sha1sum, openid or account"
    return f"{what} must have exactly one inverse functional identifier, not {len(present)} ({', '.join(present)})"


def _child(path: str, key: str) -> str:
    """The path of property `key` inside `path` ('' is the statement itself)."""
    return f"{path}.{key}" if path else key


def _item(path: str, index: int) -> str:
    """The path of array item `index` inside `path`."""
    return f"{path}[{index}]"


def _entry(path: str, key: str) -> str:
    """The path of a map entry whose key is data, not a property name (extensions, language maps)."""
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _got(value: object) -> str:
    """'got <value>' for short strings, or the JSON kind of anything else."""
    if isinstance(value, str):
        return f"got {_q(value)}" if len(value) <= 80 else f"got {_q(value[:77])}…"
    return f"got {json_kind(value)}"


def _quoted(names: list[str] | tuple[str, ...]) -> str:
    """Names as a quoted, comma-separated list."""
    return ", ".join(_q(name) for name in names)


def _q(text: str) -> str:
    """`text` quoted as a JSON string, for messages."""
    return json.dumps(text, ensure_ascii=False)


def _fail(path: str, rule: str) -> NoReturn:
    """Raise the StatementError for `path` ('' is the whole statement)."""
    raise StatementError(path or "statement", rule)

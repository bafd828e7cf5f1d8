"""The ids and canonical formats of GET /statements."""

from xapi_listener.formats import canonical_format, ids_format

STATEMENT = {
    "actor": {"objectType": "Agent", "name": "Ana", "mbox": "mailto:ana@acme.test"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", "es": "completó"}},
    "object": {
        "objectType": "Activity",
        "id": "https://lms.acme.test/c/1",
        "definition": {"name": {"en-US": "Course", "es-ES": "Curso"}, "extensions": {"https://x.test/e": {"es": 1}}},
    },
    "context": {
        "instructor": {"objectType": "Group", "name": "Team", "member": [{"name": "Bo", "mbox": "mailto:bo@x.test"}]},
        "contextActivities": {"parent": [{"id": "https://lms.acme.test/c", "definition": {"name": {"en": "All"}}}]},
    },
}


def test_ids_keeps_only_what_identifies() -> None:
    reduced = ids_format(STATEMENT)
    assert reduced["actor"] == {"objectType": "Agent", "mbox": "mailto:ana@acme.test"}
    assert reduced["verb"] == {"id": "http://adlnet.gov/expapi/verbs/completed"}
    assert reduced["object"] == {"id": "https://lms.acme.test/c/1"}
    assert reduced["context"]["instructor"] == {"objectType": "Group", "member": [{"mbox": "mailto:bo@x.test"}]}
    assert reduced["context"]["contextActivities"]["parent"] == [{"id": "https://lms.acme.test/c"}]


def test_canonical_picks_the_preferred_language_and_leaves_extensions_alone() -> None:
    spanish = canonical_format(STATEMENT, ["es"])
    assert spanish["verb"]["display"] == {"es": "completó"}
    assert spanish["object"]["definition"]["name"] == {"es-ES": "Curso"}
    assert spanish["object"]["definition"]["extensions"] == {"https://x.test/e": {"es": 1}}
    fallback = canonical_format(STATEMENT, ["fr"])
    assert fallback["verb"]["display"] == {"en-US": "completed"}

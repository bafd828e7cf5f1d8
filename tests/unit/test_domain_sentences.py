"""Every sentence the domain says has an English rendering and a Spanish one, with all its parameters said
the language's way; names, titles and what a manager wrote are never translated; a message survives being
stored as JSON, and one stored before messages had ids is said verbatim."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask

import lti_tool.registrations
import xapi_listener.connections
import xapi_listener.credentials
import xapi_listener.pull
from alignment.errors import InvalidInput
from alignment.messages import SENTENCES, Kind, Message, Sentence, verbatim
from alignment.sentences import FILE_MISSING, REFUSED_WEEKLY_HOURS, english, evidence_lines
from lti_tool.wording import say
from sweetspot import languages

# Sentences are known once their module is imported: these define the ones the admin pages can say.
assert lti_tool.registrations and xapi_listener.connections and xapi_listener.credentials and xapi_listener.pull

SAMPLES: dict[Kind, Any] = {
    Kind.TEXT: "Zoë's “Data” course",
    Kind.NUMBER: 1234.5,
    Kind.PERCENT: 0.25,
    Kind.DATE: "2026-03-12",
    Kind.TITLES: ["Python basics", "SQL joins"],
    Kind.WANTS: [["Python", 3], ["SQL", 1]],
    Kind.NEEDS: [["Excel", 2]],
    Kind.PLACE: 12345,
    Kind.JSON_TYPE: "an array",
}
SAID = {
    "en": {
        Kind.NUMBER: "1234.5",
        Kind.PERCENT: "25%",
        Kind.DATE: "2026-03-12",
        Kind.PLACE: "line 12345",
        Kind.JSON_TYPE: "an array",
    },
    "es": {
        Kind.NUMBER: "1.234,5",
        Kind.PERCENT: "25\xa0%",
        Kind.DATE: "12 mar 2026",
        Kind.PLACE: "línea 12.345",
        Kind.JSON_TYPE: "un array",
    },
}
ALL = sorted(SENTENCES)


def example(sentence: Sentence, count: int = 2) -> Message:
    """The sentence with a sample value of each parameter's kind (`count` for the one choosing the plural)."""
    params = {name: SAMPLES[kind] for name, kind in sentence.kinds.items()}
    if sentence.count:
        params[sentence.count] = count
    return sentence(**params)


@pytest.fixture(scope="module")
def spanish() -> Iterator[None]:
    """A request whose page is in Spanish (the pages' Flask-Babel set-up, chosen by Accept-Language)."""
    app = Flask(__name__)
    languages.init_app(app)
    with app.test_request_context(headers={"Accept-Language": "es-ES"}):
        yield


@pytest.mark.parametrize("sentence_id", ALL)
def test_every_sentence_is_said_in_english_with_its_parameters(sentence_id: str) -> None:
    sentence = SENTENCES[sentence_id]
    for count in (1, 2) if sentence.count else (2,):
        said = english(example(sentence, count))
        assert "%(" not in said and said.strip()
        for name, kind in sentence.kinds.items():
            if name == sentence.count:
                assert str(count) in said
            elif kind in SAID["en"]:
                assert SAID["en"][kind] in said, (name, said)
            elif kind is Kind.TEXT:
                assert SAMPLES[Kind.TEXT] in said


@pytest.mark.parametrize("sentence_id", ALL)
def test_every_sentence_is_said_in_spanish_with_spanish_numbers_and_dates(spanish: None, sentence_id: str) -> None:
    sentence = SENTENCES[sentence_id]
    for count in (1, 2) if sentence.count else (2,):
        message = example(sentence, count)
        said = say(message)
        assert "%(" not in said and said.strip()
        for name, kind in sentence.kinds.items():
            if name == sentence.count:
                assert str(count) in said
            elif kind in SAID["es"]:
                assert SAID["es"][kind] in said, (name, said)
            elif kind is Kind.TEXT:
                assert SAMPLES[Kind.TEXT] in said, "names, titles and a manager's words are never translated"


def test_every_sentence_has_a_spanish_translation_in_the_catalog() -> None:
    with (languages.TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="es")
    for sentence in SENTENCES.values():
        entry = catalog.get((sentence.text, sentence.plural) if sentence.plural else sentence.text)
        assert entry is not None, f"{sentence.id} is not in the Spanish catalog"
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(forms), f"{sentence.id} has no Spanish translation"


def test_lists_levels_and_quotes_follow_the_language(spanish: None) -> None:
    message = SENTENCES["explain.sweet_spot"](wants=[("Python", 3), ("SQL", 1)], needs=[("Excel", 2)])
    assert (
        english(message)
        == "You want Python (top priority), SQL (curious), and the organisation needs Excel (important)."
    )
    assert say(message) == (
        "A usted le interesa Python (máxima prioridad) y SQL (me da curiosidad), y la organización necesita "
        "Excel (importante)."
    )
    finished = SENTENCES["replan.finished"](titles=["Python basics", "SQL joins", "Excel"])
    assert say(finished) == "Ha terminado «Python basics», «SQL joins» y «Excel»."


def test_a_message_survives_json_and_text_kept_from_before_is_said_as_it_was(spanish: None) -> None:
    message = example(SENTENCES["stall.gone_quiet_rhythm"])
    assert Message.from_json(message.to_json()) == message
    bare = SENTENCES["changes.adjusted"]()
    assert Message.from_json(bare.to_json()) is bare, "a message without parameters is stored as its id alone"
    kept = verbatim("No learning activity for 21 days (last on 2026-11-02).")
    assert english(kept) == say(kept) == "No learning activity for 21 days (last on 2026-11-02)."
    old = Message.from_json("An English sentence stored by hand.")
    assert english(old) == say(old) == "An English sentence stored by hand.", "an unknown id is said as it is"


def test_a_domain_error_is_english_as_text_and_in_the_page_language_as_a_message(spanish: None) -> None:
    refused = InvalidInput(REFUSED_WEEKLY_HOURS(low=0.5, high=40, got=45.5))
    assert str(refused) == "weekly_hours must be between 0.5 and 40, got 45.5"
    assert say(refused.message) == "las horas semanales deben estar entre 0,5 y 40, pero son 45,5"
    plain = InvalidInput("a sentence nobody translated")
    assert str(plain) == say(plain.message) == "a sentence nobody translated"


def test_a_place_in_a_file_is_a_line_or_a_json_path_said_as_given(spanish: None) -> None:
    at_line = FILE_MISSING(where=4, field="name")
    assert (english(at_line), say(at_line)) == ("line 4: name is missing", "línea 4: falta name")
    in_package = FILE_MISSING(where="CFItems[3]", field="uri")
    assert (english(in_package), say(in_package)) == ("CFItems[3]: uri is missing", "CFItems[3]: falta uri")


def test_two_sentences_cannot_share_an_id() -> None:
    with pytest.raises(ValueError, match="never reused"):
        Sentence("refused.weekly_hours", "weekly hours are wrong")


def test_a_sentence_refuses_parameters_it_does_not_name() -> None:
    with pytest.raises(ValueError, match="takes"):
        SENTENCES["plan.mandatory"](due="2026-12-15", colour="red")


def test_evidence_is_said_line_by_line_and_unknown_evidence_keeps_its_name(spanish: None) -> None:
    lines = evidence_lines({"days_quiet": 21, "last_activity_on": "2026-11-02", "retired_key": 3})
    assert [english(line) for line in lines] == ["Days quiet: 21", "Last activity: 2026-11-02", "retired key: 3"]
    assert [say(line) for line in lines] == [
        "Días de inactividad: 21",
        "Última actividad: 2 nov 2026",
        "retired key: 3",
    ]

"""The committed translations are complete and current: every marked string has a Spanish translation,
each .mo is exactly what its .po compiles to, and the locale tags a launch sends map to a language."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from sweetspot.languages import SUPPORTED, TRANSLATIONS, supported_language

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in SUPPORTED if language != "en"]


def catalog(language: str) -> Catalog:
    """The committed .po catalog of `language`."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Every string the code marks for translation, extracted the way `make translations` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "extract", "--mapping-file", str(TRANSLATIONS / "babel.cfg"),
         "--keywords", "lazy_gettext N_plural:1,2", "--no-location", "--output-file", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as template:
        return read_po(template)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    messages = [m for m in catalog(language) if m.id]
    assert messages, f"the {language} catalog has messages"
    # A plural message's string is a tuple with one form per plural; every form must be there.
    untranslated = [m.id for m in messages if not all(m.string if isinstance(m.string, tuple) else (m.string,))]
    assert untranslated == [], f"{language} is missing translations"
    assert [m.id for m in messages if m.fuzzy] == [], f"{language} has fuzzy translations to review"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language: str) -> None:
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog(language).check()]
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalog_holds_every_string_the_code_marks(language: str, extracted: Catalog) -> None:
    marked = {m.id for m in extracted if m.id}
    held = {m.id for m in catalog(language) if m.id}
    assert sorted(marked - held, key=str) == [], "run `make translations` and translate the new strings"
    assert sorted(held - marked, key=str) == [], "run `make translations` to drop strings the code no longer uses"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_is_what_the_po_compiles_to(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, catalog(language))
    committed = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert compiled.getvalue() == committed, "run `make translations` (or `pybabel compile`) and commit the .mo"


@pytest.mark.parametrize(
    ("tag", "language"),
    [("es", "es"), ("es-ES", "es"), ("es_419", "es"), ("ES-mx", "es"), ("en-US", "en"), ("en", "en"),
     ("fr-FR", None), ("pt_BR", None), ("", None), (None, None)],
)  # fmt: skip
def test_launch_locale_tags_map_to_a_supported_language(tag: str | None, language: str | None) -> None:
    assert supported_language(tag) == language

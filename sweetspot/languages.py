"""The pages' language: Flask-Babel, with the locale chosen by the LTI launch, then the browser, then English."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import Babel, get_locale

import lti_tool.web

TRANSLATIONS = Path(__file__).parent / "translations"
SOURCE_LANGUAGE = "en"
# English is the language of the msgids; every other language here has a complete catalog.
SUPPORTED = (SOURCE_LANGUAGE, "es")


def init_app(app: Flask) -> None:
    """Install Flask-Babel with Sweetspot's catalogs and locale selector."""
    app.config.update(
        BABEL_DEFAULT_LOCALE=SOURCE_LANGUAGE,
        BABEL_DEFAULT_TIMEZONE="UTC",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["page_language"] = page_language


def page_language() -> str:
    """The language of this page, for `<html lang>`."""
    return str(get_locale() or SOURCE_LANGUAGE)


def supported_language(tag: str | None) -> str | None:
    """The supported language a BCP 47 or POSIX locale tag names ("es-ES", "es_419" → "es"), if any."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in SUPPORTED else None


def select_locale() -> str:
    """The launch's locale when supported, else the best Accept-Language match, else English."""
    # The launch carries the OIDC `locale` claim or launch_presentation.locale; admission kept it on the visitor.
    visitor = lti_tool.web.current_visitor() if "lti" in current_app.blueprints else None
    launched = supported_language(visitor.locale) if visitor else None
    if launched:
        return launched
    return request.accept_languages.best_match(SUPPORTED) or SOURCE_LANGUAGE

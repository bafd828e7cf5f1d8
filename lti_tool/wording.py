"""How the pages say the domain's values and sentences in the visitor's language.

The domain names its values (quadrants, levels, rules, statuses) in English for logs and the CLI; the
pages translate them here, by value. The domain's sentences (roadmap reasons, flag summaries, evidence,
suggested conversations) come as `Message`s: `say` translates their English template through the
catalogs and formats their numbers, dates and lists in the page's locale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from enum import Enum
from typing import Any

from babel.lists import format_list
from flask_babel import format_date, format_decimal, format_percent, get_locale, get_translations, lazy_gettext
from flask_babel.speaklater import LazyString

from alignment.flags import FlagStatus
from alignment.messages import Message, Sentence, render
from alignment.rules.quadrants import Interest, Need, Quadrant
from alignment.rules.stalls import Severity, StallRule
from alignment.sentences import evidence_lines
from lti_tool.registrations import DeploymentStatus

# Keyed by type and member: IntEnum members of different types compare equal (Interest 0 == Need 0).
LABELS: dict[tuple[type[Enum], Enum], LazyString] = {
    (Interest, Interest.NOT_FOR_ME): lazy_gettext("not for me"),
    (Interest, Interest.CURIOUS): lazy_gettext("curious"),
    (Interest, Interest.WANT): lazy_gettext("want"),
    (Interest, Interest.TOP_PRIORITY): lazy_gettext("top priority"),
    (Need, Need.NOT_NEEDED): lazy_gettext("not needed"),
    (Need, Need.USEFUL): lazy_gettext("useful"),
    (Need, Need.IMPORTANT): lazy_gettext("important"),
    (Need, Need.CRITICAL): lazy_gettext("critical"),
    (Quadrant, Quadrant.SWEET_SPOT): lazy_gettext("Sweet spot"),
    (Quadrant, Quadrant.UPHILL): lazy_gettext("Uphill"),
    (Quadrant, Quadrant.GIFT): lazy_gettext("Gift"),
    (Quadrant, Quadrant.WASTE): lazy_gettext("Waste"),
    (StallRule, StallRule.NEVER_STARTED): lazy_gettext("never started"),
    (StallRule, StallRule.GONE_QUIET): lazy_gettext("gone quiet"),
    (StallRule, StallRule.BEHIND_PACE): lazy_gettext("behind pace"),
    (StallRule, StallRule.PLATEAU): lazy_gettext("plateau"),
    (StallRule, StallRule.UPHILL_AVOIDANCE): lazy_gettext("uphill avoidance"),
    (Severity, Severity.LOW): lazy_gettext("low"),
    (Severity, Severity.MEDIUM): lazy_gettext("medium"),
    (Severity, Severity.HIGH): lazy_gettext("high"),
    (FlagStatus, FlagStatus.OPEN): lazy_gettext("open"),
    (FlagStatus, FlagStatus.ACKNOWLEDGED): lazy_gettext("acknowledged"),
    (FlagStatus, FlagStatus.RESOLVED): lazy_gettext("resolved"),
    (DeploymentStatus, DeploymentStatus.PENDING): lazy_gettext("pending"),
    (DeploymentStatus, DeploymentStatus.ACTIVE): lazy_gettext("active"),
    (DeploymentStatus, DeploymentStatus.DISABLED): lazy_gettext("disabled"),
}

TEAM_SORT_LABELS: dict[str, LazyString] = {
    "momentum": lazy_gettext("momentum"),
    "name": lazy_gettext("name"),
    "flags": lazy_gettext("flags"),
    "last_activity": lazy_gettext("last activity"),
    "progress": lazy_gettext("progress"),
}

# The states of a learner's score in the gradebook outbox (lti_tool.grades).
SCORE_STATE_LABELS: dict[str, LazyString] = {
    "due": lazy_gettext("due"),
    "sent": lazy_gettext("sent"),
    "failed": lazy_gettext("failed"),
}


def label(value: Enum) -> str:
    """The value's name in the visitor's language (a plain string, so templates escape it as usual)."""
    found = LABELS.get((type(value), value))
    return str(found) if found is not None else str(value.value).replace("_", " ")


def sort_label(sort: str) -> str:
    """A team-table sort's name in the visitor's language."""
    found = TEAM_SORT_LABELS.get(sort)
    return str(found) if found is not None else sort.replace("_", " ")


def score_state_label(state: str) -> str:
    """A gradebook score's state in the visitor's language."""
    found = SCORE_STATE_LABELS.get(state)
    return str(found) if found is not None else state


def plural_count(value: float) -> int:
    """The whole number gettext picks a plural form with, for a count that may have a fraction (hours).

    gettext takes whole numbers only. CLDR puts any fraction ("1.5 hours", "1,5 horas") under the
    "other" form in both languages the pages have, which is the form gettext gives 2.
    """
    return int(value) if float(value).is_integer() else 2


class PageWording:
    """The page's language: templates through the Flask-Babel catalogs, values formatted by its locale (CLDR)."""

    def template(self, sentence: Sentence, count: int | None) -> str:
        """The sentence's English template translated (gettext), in its plural form for `count`."""
        translations = get_translations()
        if sentence.plural is not None:
            return str(translations.ngettext(sentence.text, sentence.plural, 2 if count is None else count))
        return str(translations.gettext(sentence.text))

    def number(self, value: float) -> str:
        """1.234,5 in Spanish, 1,234.5 in English."""
        return str(format_decimal(value))

    def percent(self, value: float) -> str:
        """25 % in Spanish, 25% in English."""
        return str(format_percent(value))

    def date(self, value: date) -> str:
        """The date in the locale's medium form: 12 mar 2026, Mar 12, 2026."""
        return str(format_date(value))

    def join(self, items: Sequence[str]) -> str:
        """A, B y C; A, B, and C."""
        return str(format_list(list(items), locale=get_locale()))


PAGE = PageWording()


def say(message: Message) -> str:
    """The domain's message in the page's language (a plain string: templates escape it as usual)."""
    return render(message, PAGE)


def evidence(found: Mapping[str, Any]) -> list[str]:
    """A flag's evidence, one line per piece, in the page's language."""
    return [say(line) for line in evidence_lines(dict(found))]

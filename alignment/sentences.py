"""Every sentence the domain says to people, by stable id, in English.

Ids are stored with their parameters (roadmap reasons and history, stall flags), so an id is never
reused for a different meaning; change a template's wording freely, but a sentence that needs other
parameters gets a new id. The English templates are the gettext message ids the pages translate
(`make translations` extracts them from here).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from alignment.messages import (
    INTEREST_LEVEL,
    N_,
    NEED_LEVEL,
    QUOTED_TITLE,
    Kind,
    Message,
    N_plural,
    Sentence,
    render,
)

TEXT, NUMBER, PERCENT, DATE = Kind.TEXT, Kind.NUMBER, Kind.PERCENT, Kind.DATE


def _plural(id: str, forms: tuple[str, str], count: str, **kinds: Kind) -> Sentence:
    return Sentence(id, forms[0], kinds, plural=forms[1], count=count)


QUOTED = Sentence(QUOTED_TITLE, N_("“%(title)s”"), {"title": TEXT})
# The levels of interest and need, as a list of skills names them: "Python (top priority)".
LEVELS = [
    Sentence(INTEREST_LEVEL % 0, N_("not for me")),
    Sentence(INTEREST_LEVEL % 1, N_("curious")),
    Sentence(INTEREST_LEVEL % 2, N_("want")),
    Sentence(INTEREST_LEVEL % 3, N_("top priority")),
    Sentence(NEED_LEVEL % 0, N_("not needed")),
    Sentence(NEED_LEVEL % 1, N_("useful")),
    Sentence(NEED_LEVEL % 2, N_("important")),
    Sentence(NEED_LEVEL % 3, N_("critical")),
]

# Where an opportunity falls, and why (rules/quadrants.py).
EXPLAIN_SWEET_SPOT = Sentence(
    "explain.sweet_spot",
    N_("You want %(wants)s, and the organisation needs %(needs)s."),
    {"wants": Kind.WANTS, "needs": Kind.NEEDS},
)
EXPLAIN_UPHILL = Sentence("explain.uphill", N_("The organisation needs %(needs)s."), {"needs": Kind.NEEDS})
EXPLAIN_UPHILL_WHY = Sentence(
    "explain.uphill_why", N_("The organisation needs %(needs)s. Why: %(why)s"), {"needs": Kind.NEEDS, "why": TEXT}
)
EXPLAIN_GIFT = Sentence(
    "explain.gift", N_("You want %(wants)s; the organisation does not rely on it."), {"wants": Kind.WANTS}
)
EXPLAIN_WASTE = Sentence(
    "explain.waste", N_("Neither your agenda nor the organisation's calls for the skills it builds.")
)

# Why a roadmap holds an item, or leaves one out (rules/planning.py).
PLAN_MANDATORY = Sentence("plan.mandatory", N_("Mandatory for everyone here, due %(due)s."), {"due": DATE})
PLAN_NEEDED_BEFORE = Sentence("plan.needed_before", N_("Needed before “%(title)s”."), {"title": TEXT})
LEFT_OUT_WASTE = Sentence("plan.left_out_waste", N_("Neither your agenda nor the organisation's needs it."))
LEFT_OUT_GIFT_BUDGET = Sentence(
    "plan.left_out_gift_budget",
    N_("A gift beyond the organisation's gift budget of %(hours)s h a quarter."),
    {"hours": NUMBER},
)

# Why a roadmap was re-planned (roadmaps.py, learning.py, and the pages that change agendas).
REPLAN_FIRST = Sentence("replan.first", N_("Your first roadmap."))
REPLAN_AGENDA = Sentence("replan.agenda", N_("You changed your agenda."))
REPLAN_ORG_AGENDA = Sentence("replan.org_agenda", N_("Your organisation changed what it needs."))
REPLAN_OPPORTUNITY = Sentence("replan.opportunity", N_("“%(title)s” changed."), {"title": TEXT})
REPLAN_OPPORTUNITIES = Sentence("replan.opportunities", N_("The course's opportunities changed."))
REPLAN_POLICY = Sentence("replan.policy", N_("Your organisation changed its planning settings."))
REPLAN_BY_ADMIN = Sentence("replan.by_admin", N_("Re-planned by an administrator."))
REPLAN_ROLE = Sentence("replan.role", N_("Your role is now %(role)s."), {"role": TEXT})
REPLAN_ROLE_CLEARED = Sentence("replan.role_cleared", N_("Your LMS no longer gives a role for you."))
REPLAN_FINISHED = Sentence("replan.finished", N_("You finished %(titles)s."), {"titles": Kind.TITLES})

# What a new roadmap version changed (roadmaps.describe_changes).
CHANGES_FIRST = _plural(
    "changes.first", N_plural("First roadmap: %(num)s item.", "First roadmap: %(num)s items."), "num", num=NUMBER
)
CHANGES_ADDED = Sentence("changes.added", N_("Added %(titles)s."), {"titles": Kind.TITLES})
CHANGES_DROPPED = Sentence("changes.dropped", N_("No longer planned: %(titles)s."), {"titles": Kind.TITLES})
CHANGES_LATER = _plural(
    "changes.later", N_plural("Finish moved %(num)s day later.", "Finish moved %(num)s days later."), "num", num=NUMBER
)
CHANGES_EARLIER = _plural(
    "changes.earlier",
    N_plural("Finish moved %(num)s day earlier.", "Finish moved %(num)s days earlier."),
    "num",
    num=NUMBER,
)
CHANGES_ADJUSTED = Sentence("changes.adjusted", N_("Order or dates adjusted."))

# Stall flags: what holds (rules/stalls.py).
NEVER_STARTED = _plural(
    "stall.never_started",
    N_plural(
        "%(learner)s has not started any learning in the %(days)s day since joining.",
        "%(learner)s has not started any learning in the %(days)s days since joining.",
    ),
    "days",
    learner=TEXT,
    days=NUMBER,
)
GONE_QUIET = _plural(
    "stall.gone_quiet",
    N_plural(
        "No learning activity for %(days)s day (last on %(last_on)s).",
        "No learning activity for %(days)s days (last on %(last_on)s).",
    ),
    "days",
    days=NUMBER,
    last_on=DATE,
)
GONE_QUIET_RHYTHM = _plural(
    "stall.gone_quiet_rhythm",
    N_plural(
        "No learning activity for %(days)s day (last on %(last_on)s); they are usually active every %(rhythm)s days.",
        "No learning activity for %(days)s days (last on %(last_on)s); they are usually active every %(rhythm)s days.",
    ),
    "days",
    days=NUMBER,
    last_on=DATE,
    rhythm=NUMBER,
)
BEHIND_OVERDUE = _plural(
    "stall.behind_overdue",
    N_plural(
        "%(num)s roadmap item overdue: “%(title)s”, due %(due)s.",
        "%(num)s roadmap items overdue; the oldest, “%(title)s”, was due %(due)s.",
    ),
    "num",
    num=NUMBER,
    title=TEXT,
    due=DATE,
)
BEHIND_SLIP = Sentence(
    "stall.behind_slip",
    N_("The roadmap's finish has slipped from %(planned)s to %(projected)s (%(share)s of its planned length)."),
    {"planned": DATE, "projected": DATE, "share": PERCENT},
)
PLATEAU = _plural(
    "stall.plateau",
    N_plural(
        "In the role since %(since)s, and active on %(recent)s of the last %(window)s day against %(before)s "
        "of the day before.",
        "In the role since %(since)s, and active on %(recent)s of the last %(window)s days against %(before)s "
        "of the %(window)s days before.",
    ),
    "window",
    since=DATE,
    recent=NUMBER,
    before=NUMBER,
    window=NUMBER,
)
UPHILL_AVOIDANCE = _plural(
    "stall.uphill_avoidance",
    N_plural(
        "Every item worked on in the last %(days)s days (%(activities)s in all) was a gift, while %(num)s "
        "uphill or mandatory item waits: “%(title)s”.",
        "Every item worked on in the last %(days)s days (%(activities)s in all) was a gift, while %(num)s "
        "uphill or mandatory items wait, first “%(title)s”.",
    ),
    "num",
    activities=NUMBER,
    days=NUMBER,
    num=NUMBER,
    title=TEXT,
)

# Stall flags: the suggested conversation (rules/stalls.py).
ACTION_REVIEW_AGENDA = Sentence(
    "action.review_agenda",
    N_("Check the roadmap is relevant to %(learner)s: review their agenda together."),
    {"learner": TEXT},
)
ACTION_REVIEW_AGENDA_FIRST_STEP = Sentence(
    "action.review_agenda_first_step",
    N_(
        "Check the roadmap is relevant to %(learner)s: review their agenda together and agree a first step, "
        "such as “%(title)s”."
    ),
    {"learner": TEXT, "title": TEXT},
)
ACTION_CHECK_IN = Sentence(
    "action.check_in", N_("Check in with %(learner)s and ask what they want to learn next."), {"learner": TEXT}
)
ACTION_AGREE_DATE = Sentence(
    "action.agree_date",
    N_("Agree a date with %(learner)s for “%(title)s”, due %(due)s, and make time for it in working hours."),
    {"learner": TEXT, "title": TEXT, "due": DATE},
)
ACTION_WHAT_BLOCKS = Sentence(
    "action.what_blocks",
    N_("Ask %(learner)s what blocks “%(title)s”: it is in their sweet spot, so something else is in the way."),
    {"learner": TEXT, "title": TEXT},
)
ACTION_STILL_FITS = Sentence(
    "action.still_fits",
    N_("Check in with %(learner)s about “%(title)s” and whether it still fits."),
    {"learner": TEXT, "title": TEXT},
)
ACTION_STRETCH = Sentence(
    "action.stretch",
    N_(
        "Discuss a stretch assignment with %(learner)s: learning tends to slow after two years in a role, and "
        "something new restarts it."
    ),
    {"learner": TEXT},
)
ACTION_FRAME_WHY = Sentence(
    "action.frame_why", N_("Frame the strategic why of “%(title)s”: %(why)s"), {"title": TEXT, "why": TEXT}
)
ACTION_FRAME_MISSING_WHY = Sentence(
    "action.frame_missing_why",
    N_("Frame the strategic why of “%(title)s” (the organisation has not written one yet)."),
    {"title": TEXT},
)

# Stall flags: each piece of evidence, as "what: value" (rules/stalls.py keys).
EVIDENCE: dict[str, Sentence] = {
    key: Sentence(f"evidence.{key}", text, {"value": kind})
    for key, text, kind in (
        ("known_since", N_("Known since: %(value)s"), DATE),
        ("days_without_activity", N_("Days without any activity: %(value)s"), NUMBER),
        ("last_activity_on", N_("Last activity: %(value)s"), DATE),
        ("days_quiet", N_("Days quiet: %(value)s"), NUMBER),
        ("usual_gap_days", N_("Usual days between active days: %(value)s"), NUMBER),
        ("threshold_days", N_("Quiet days that raise the flag: %(value)s"), NUMBER),
        ("overdue_items", N_("Items overdue: %(value)s"), NUMBER),
        ("grace_days", N_("Days of grace after a due date: %(value)s"), NUMBER),
        ("oldest_overdue", N_("Oldest overdue item: %(value)s"), TEXT),
        ("due_on", N_("Due: %(value)s"), DATE),
        ("days_late", N_("Days late: %(value)s"), NUMBER),
        ("planned_finish", N_("Planned finish: %(value)s"), DATE),
        ("projected_finish", N_("Projected finish: %(value)s"), DATE),
        ("slip_share", N_("Slip, as a share of the planned length: %(value)s"), PERCENT),
        ("role_started_on", N_("In the role since: %(value)s"), DATE),
        ("years_in_role", N_("Years in the role: %(value)s"), NUMBER),
        ("active_days_recent", N_("Active days, latest window: %(value)s"), NUMBER),
        ("active_days_before", N_("Active days, window before: %(value)s"), NUMBER),
        ("window_days", N_("Window: %(value)s days"), NUMBER),
        ("gift_activities", N_("Activities on gifts: %(value)s"), NUMBER),
        ("gift_items", N_("Gifts worked on: %(value)s"), NUMBER),
        ("waiting_items", N_("Uphill or mandatory items waiting: %(value)s"), NUMBER),
        ("first_waiting", N_("First waiting item: %(value)s"), TEXT),
        ("first_waiting_due", N_("It is due: %(value)s"), DATE),
    )
}
EVIDENCE_OTHER = Sentence("evidence.other", N_("%(name)s: %(value)s"), {"name": TEXT, "value": TEXT})

# The tenant's policy: why a setting is refused (policies.py).
POLICY_UNKNOWN = Sentence("policy.unknown", N_("%(name)s is not a policy setting."), {"name": TEXT})
POLICY_WHOLE_DAYS = Sentence("policy.whole_days", N_("Must be a whole number of days."))
POLICY_FROM_TO = Sentence("policy.from_to", N_("Must be from %(low)s to %(high)s."), {"low": NUMBER, "high": NUMBER})
POLICY_ABOVE_UP_TO = Sentence(
    "policy.above_up_to", N_("Must be more than %(low)s and at most %(high)s."), {"low": NUMBER, "high": NUMBER}
)
POLICY_BETWEEN = Sentence(
    "policy.between", N_("Must be more than %(low)s and less than %(high)s."), {"low": NUMBER, "high": NUMBER}
)

SENTENCES: dict[str, Sentence] = {
    sentence.id: sentence for sentence in [value for value in dict(globals()).values() if isinstance(value, Sentence)]
}
SENTENCES |= {sentence.id: sentence for sentence in [*LEVELS, *EVIDENCE.values()]}


def evidence_lines(evidence: dict[str, object]) -> list[Message]:
    """Each piece of a flag's evidence as a line to show, in the order the rule gave them."""
    lines = []
    for key, value in evidence.items():
        sentence = EVIDENCE.get(key)
        if sentence is None:
            lines.append(EVIDENCE_OTHER(name=key.replace("_", " "), value="" if value is None else str(value)))
        else:
            lines.append(sentence(value=value if isinstance(value, str | int | float) or value is None else str(value)))
    return lines


class EnglishWording:
    """The sentences in English with plain, locale-free numbers and ISO dates: the CLI's and logs' wording."""

    def template(self, sentence: Sentence, count: int | None) -> str:
        """The English template, plural unless the count is 1."""
        return sentence.plural if sentence.plural is not None and count != 1 else sentence.text

    def number(self, value: float) -> str:
        """12, 2.5."""
        return f"{value:g}" if not float(value).is_integer() else str(int(value))

    def percent(self, value: float) -> str:
        """25%."""
        return f"{value:.0%}"

    def date(self, value: date) -> str:
        """2026-03-12."""
        return value.isoformat()

    def join(self, items: Sequence[str]) -> str:
        """A, B, C."""
        return ", ".join(items)


ENGLISH = EnglishWording()


def english(message: Message) -> str:
    """The message in English."""
    return render(message, ENGLISH, SENTENCES)

"""Every sentence the domain says to people, by stable id, in English.

Ids are stored with their parameters (roadmap reasons and history, stall flags), so an id is never
reused for a different meaning; change a template's wording freely, but a sentence that needs other
parameters gets a new id. The English templates are the gettext message ids the pages translate
(`make translations` extracts them from here).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from alignment.messages import (
    INTEREST_LEVEL,
    JSON_TYPE,
    LINE,
    N_,
    NEED_LEVEL,
    QUOTED_TITLE,
    Kind,
    Message,
    N_plural,
    Sentence,
    render,
)

TEXT, NUMBER, PERCENT, DATE, PLACE = Kind.TEXT, Kind.NUMBER, Kind.PERCENT, Kind.DATE, Kind.PLACE
JSON_KIND = Kind.JSON_TYPE


def _plural(id: str, forms: tuple[str, str], count: str, **kinds: Kind) -> Sentence:
    return Sentence(id, forms[0], kinds, plural=forms[1], count=count)


JSON_TYPES = [
    Sentence(JSON_TYPE % "a string", N_("a string")),
    Sentence(JSON_TYPE % "a number", N_("a number")),
    Sentence(JSON_TYPE % "a boolean", N_("a boolean")),
    Sentence(JSON_TYPE % "an object", N_("an object")),
    Sentence(JSON_TYPE % "an array", N_("an array")),
    Sentence(JSON_TYPE % "null", N_("null")),
]
LINE_OF_FILE = Sentence(LINE, N_("line %(line)s"), {"line": TEXT})
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


# What a caller got wrong (errors.py): said on the pages' forms in the visitor's language, in English on the
# CLI and the APIs. Field names are the API's, so a script's author can find them; a translation may name
# the field as its form does.
REFUSED_WEEKLY_HOURS = Sentence(
    "refused.weekly_hours",
    N_("weekly_hours must be between %(low)s and %(high)s, got %(got)s"),
    {"low": NUMBER, "high": NUMBER, "got": NUMBER},
)
REFUSED_ASPIRATIONS_LONG = Sentence(
    "refused.aspirations_long", N_("aspirations must be at most %(most)s characters"), {"most": NUMBER}
)
REFUSED_TARGET_ROLE_LONG = Sentence(
    "refused.target_role_long", N_("target_role must be at most %(most)s characters"), {"most": NUMBER}
)
REFUSED_INTEREST = Sentence(
    "refused.interest",
    N_("interest for skill %(skill)s must be 0 to 3 (0 not for me, 1 curious, 2 want, 3 top priority), got %(got)s"),
    {"skill": TEXT, "got": TEXT},
)
REFUSED_NEED = Sentence(
    "refused.need",
    N_("need for skill %(skill)s must be 0 to 3 (0 not needed, 1 useful, 2 important, 3 critical), got %(got)s"),
    {"skill": TEXT, "got": TEXT},
)
REFUSED_WHY_MISSING = Sentence(
    "refused.why_missing",
    N_("a why is required for %(need)s: it is what a manager says when framing an uphill item"),
    {"need": Kind.NEEDS},
)
REFUSED_WHY_LONG = Sentence(
    "refused.why_long",
    N_("the why for skill “%(skill)s” must be at most %(most)s characters"),
    {"skill": TEXT, "most": NUMBER},
)
REFUSED_MANDATORY_UNKNOWN = Sentence(
    "refused.mandatory_unknown", N_("unknown mandatory opportunity id(s): %(ids)s"), {"ids": TEXT}
)
REFUSED_MANDATORY_INACTIVE = Sentence(
    "refused.mandatory_inactive", N_("mandatory items must be active opportunities: %(ids)s"), {"ids": TEXT}
)
REFUSED_SKILLS_UNKNOWN = Sentence(
    "refused.skills_unknown", N_("unknown skill id(s) in this catalogue: %(ids)s"), {"ids": TEXT}
)
REFUSED_SKILLS_RETIRED = Sentence(
    "refused.skills_retired", N_("retired skill id(s) cannot be used: %(ids)s"), {"ids": TEXT}
)
REFUSED_SKILL_NAME = Sentence("refused.skill_name", N_("skill name must be 1 to %(most)s characters"), {"most": NUMBER})
REFUSED_SKILL_CATEGORY = Sentence(
    "refused.skill_category", N_("skill category must be at most %(most)s characters"), {"most": NUMBER}
)
REFUSED_SKILL_CLASH = Sentence(
    "refused.skill_clash",
    N_("a skill with %(field)s “%(value)s” already exists (skill %(skill)s)"),
    {"field": TEXT, "value": TEXT, "skill": TEXT},
)
REFUSED_TITLE = Sentence("refused.title", N_("title must be 1 to %(most)s characters"), {"most": NUMBER})
REFUSED_KIND = Sentence(
    "refused.kind", N_("kind must be one of %(kinds)s, got “%(got)s”"), {"kinds": TEXT, "got": TEXT}
)
REFUSED_EFFORT = Sentence(
    "refused.effort",
    N_("effort_hours must be more than 0 and at most %(most)s, got %(got)s"),
    {"most": NUMBER, "got": NUMBER},
)
REFUSED_WEIGHT = Sentence(
    "refused.weight",
    N_("weight of skill %(skill)s must be more than 0 and at most 1, got %(got)s"),
    {"skill": TEXT, "got": NUMBER},
)
REFUSED_ACTIVITY_ID = Sentence(
    "refused.activity_id", N_("activity id “%(value)s” is not an IRI (http://, https:// or urn:)"), {"value": TEXT}
)
REFUSED_LINK_ID = Sentence(
    "refused.link_id", N_("an LTI resource link id must be 1 to %(most)s characters"), {"most": NUMBER}
)
REFUSED_URL = Sentence("refused.url", N_("url must start with http:// or https://, got “%(got)s”"), {"got": TEXT})
REFUSED_TITLE_CLASH = Sentence(
    "refused.title_clash",
    N_("an opportunity titled “%(title)s” already exists (opportunity %(opportunity)s)"),
    {"title": TEXT, "opportunity": TEXT},
)
REFUSED_ACTIVITY_TAKEN = Sentence(
    "refused.activity_taken",
    N_("activity id “%(value)s” already belongs to opportunity %(opportunity)s"),
    {"value": TEXT, "opportunity": TEXT},
)
REFUSED_LINK_TAKEN = Sentence(
    "refused.link_taken",
    N_("LTI resource link “%(value)s” already belongs to opportunity %(opportunity)s"),
    {"value": TEXT, "opportunity": TEXT},
)
REFUSED_OWN_PREREQUISITE = Sentence("refused.own_prerequisite", N_("an opportunity cannot be its own prerequisite"))
REFUSED_PREREQUISITES_UNKNOWN = Sentence(
    "refused.prerequisites_unknown", N_("unknown prerequisite opportunity id(s): %(ids)s"), {"ids": TEXT}
)
REFUSED_PREREQUISITE_CYCLE = Sentence(
    "refused.prerequisite_cycle", N_("prerequisites form a cycle: %(loop)s"), {"loop": TEXT}
)
REFUSED_QUARTER = Sentence("refused.quarter", N_("quarter must look like 2026-Q4, got “%(got)s”"), {"got": TEXT})
REFUSED_OBJECTIVE = Sentence(
    "refused.objective", N_("the objective must be 1 to %(most)s characters"), {"most": NUMBER}
)
REFUSED_NO_KEY_RESULT = Sentence("refused.no_key_result", N_("an objective needs at least one key result"))
REFUSED_KEY_RESULT = Sentence(
    "refused.key_result", N_("unknown key result “%(kind)s”; known: %(known)s"), {"kind": TEXT, "known": TEXT}
)
REFUSED_TARGET = Sentence(
    "refused.target", N_("target of %(kind)s must be a share in (0, 1], got %(got)s"), {"kind": TEXT, "got": NUMBER}
)
REFUSED_FLAG_ACKNOWLEDGED = Sentence(
    "refused.flag_acknowledged",
    N_("flag %(flag)s is already acknowledged; only an open flag can be acknowledged"),
    {"flag": TEXT},
)
REFUSED_FLAG_RESOLVED = Sentence("refused.flag_resolved", N_("flag %(flag)s is already resolved"), {"flag": TEXT})
REFUSED_NOTE_MISSING = Sentence("refused.note_missing", N_("a note is required: say what was done about the flag"))
REFUSED_NOTE_LONG = Sentence("refused.note_long", N_("the note must be at most %(most)s characters"), {"most": NUMBER})
REFUSED_POLICY_MOVED = Sentence(
    "refused.policy_moved",
    N_("the policy changed since version %(based_on)s (it is at version %(version)s); review it and retry"),
    {"based_on": TEXT, "version": TEXT},
)
NOT_FOUND_PERSON = Sentence("not_found.person", N_("no person %(id)s in this tenant"), {"id": TEXT})
NOT_FOUND_CONTEXT = Sentence("not_found.context", N_("no context %(id)s in this tenant"), {"id": TEXT})
NOT_FOUND_SKILL = Sentence("not_found.skill", N_("no skill %(id)s in this tenant's catalogue"), {"id": TEXT})
NOT_FOUND_OPPORTUNITY = Sentence("not_found.opportunity", N_("no opportunity %(id)s in this tenant"), {"id": TEXT})
NOT_FOUND_PREVIEW = Sentence("not_found.preview", N_("no settings preview %(id)s in this tenant"), {"id": TEXT})
NOT_FOUND_FLAG = Sentence("not_found.flag", N_("no flag %(id)s in this tenant"), {"id": TEXT})
NOT_FOUND_OBJECTIVE = Sentence(
    "not_found.objective", N_("no objective for %(quarter)s in context %(context)s"), {"quarter": TEXT, "context": TEXT}
)


# What is wrong in an imported file (frameworks.py): a CSV of skills or opportunities, or a CASE package.
# Values from the file are quoted as Python writes them, so stray spaces and invisible characters show.
FILE_MISSING = Sentence("file.missing", N_("%(where)s: %(field)s is missing"), {"where": PLACE, "field": TEXT})
FILE_PART_MISSING = Sentence("file.part_missing", N_("%(part)s is missing"), {"part": TEXT})
FILE_NOT_OBJECT = Sentence(
    "file.not_object", N_("%(where)s must be a JSON object, got %(kind)s"), {"where": PLACE, "kind": JSON_KIND}
)
FILE_NOT_ARRAY = Sentence(
    "file.not_array", N_("%(where)s must be a JSON array, got %(kind)s"), {"where": PLACE, "kind": JSON_KIND}
)
FILE_NOT_STRING = Sentence(
    "file.not_string",
    N_("%(where)s: %(field)s must be a string, got %(kind)s"),
    {"where": PLACE, "field": TEXT, "kind": JSON_KIND},
)
FILE_NOT_JSON = Sentence(
    "file.not_json",
    N_("%(file)s is not valid JSON: %(error)s (line %(line)s, column %(column)s)"),
    {"file": TEXT, "error": TEXT, "line": NUMBER, "column": NUMBER},
)
FILE_TOO_LONG = Sentence(
    "file.too_long",
    N_("%(where)s: %(field)s must be at most %(most)s characters, got %(got)s"),
    {"where": PLACE, "field": TEXT, "most": NUMBER, "got": NUMBER},
)
FILE_REPEATED = Sentence(
    "file.repeated",
    N_("%(where)s: %(field)s %(value)s is already used on %(first)s"),
    {"where": PLACE, "field": TEXT, "value": TEXT, "first": PLACE},
)
FILE_SAME_IDENTIFIER = Sentence(
    "file.same_identifier",
    N_("%(where)s: identifier %(identifier)s is also %(first)s's"),
    {"where": PLACE, "identifier": TEXT, "first": PLACE},
)
FILE_LINK_MISSING = Sentence(
    "file.link_missing", N_("%(where)s: identifier and uri are both missing"), {"where": PLACE}
)
FILE_NO_HEADER = Sentence(
    "file.no_header",
    N_("%(where)s: a header row naming the columns is required (%(columns)s)"),
    {"where": PLACE, "columns": TEXT},
)
FILE_UNKNOWN_COLUMNS = Sentence(
    "file.unknown_columns",
    N_("%(where)s: unknown column(s) %(unknown)s; the columns are %(columns)s"),
    {"where": PLACE, "unknown": TEXT, "columns": TEXT},
)
FILE_COLUMN_TWICE = Sentence(
    "file.column_twice", N_("%(where)s: column %(column)s appears more than once"), {"where": PLACE, "column": TEXT}
)
FILE_COLUMNS_MISSING = Sentence(
    "file.columns_missing", N_("%(where)s: required column(s) missing: %(missing)s"), {"where": PLACE, "missing": TEXT}
)
FILE_UNNAMED_COLUMN = Sentence(
    "file.unnamed_column",
    N_("%(where)s: the value in column %(column)s has no column name"),
    {"where": PLACE, "column": NUMBER},
)
FILE_NOT_CSV = Sentence("file.not_csv", N_("%(where)s: %(error)s"), {"where": PLACE, "error": TEXT})
FILE_KIND = Sentence(
    "file.kind",
    N_("%(where)s: kind must be one of %(kinds)s, got %(got)s"),
    {"where": PLACE, "kinds": TEXT, "got": TEXT},
)
FILE_OWN_PREREQUISITE = Sentence(
    "file.own_prerequisite",
    N_("%(where)s: prerequisites must not name the opportunity itself (%(title)s)"),
    {"where": PLACE, "title": TEXT},
)
FILE_EFFORT = Sentence(
    "file.effort",
    N_("%(where)s: effort_hours must be a number more than 0, got %(got)s"),
    {"where": PLACE, "got": TEXT},
)
FILE_EFFORT_MOST = Sentence(
    "file.effort_most",
    N_("%(where)s: effort_hours must be at most %(most)s, got %(got)s"),
    {"where": PLACE, "most": NUMBER, "got": TEXT},
)
FILE_SKILL_NAMELESS = Sentence(
    "file.skill_nameless", N_("%(where)s: skills entry %(entry)s has no skill name"), {"where": PLACE, "entry": TEXT}
)
FILE_SKILL_WEIGHT = Sentence(
    "file.skill_weight",
    N_("%(where)s: skills weight for %(skill)s must be a number more than 0 and at most 1, got %(got)s"),
    {"where": PLACE, "skill": TEXT, "got": TEXT},
)
FILE_SKILL_TWICE = Sentence(
    "file.skill_twice", N_("%(where)s: skills names %(skill)s more than once"), {"where": PLACE, "skill": TEXT}
)
FILE_ACTIVITY_ID = Sentence(
    "file.activity_id",
    N_("%(where)s: activity_ids entry %(value)s must be an IRI starting with http://, https:// or urn:"),
    {"where": PLACE, "value": TEXT},
)
FILE_URL = Sentence(
    "file.url", N_("%(where)s: url must be an http:// or https:// address, got %(got)s"), {"where": PLACE, "got": TEXT}
)
FILE_SAME_TITLE = Sentence(
    "file.same_title",
    N_("%(where)s: title %(title)s also on %(first)s"),
    {"where": PLACE, "title": TEXT, "first": PLACE},
)
FILE_PREREQUISITES_UNKNOWN = Sentence(
    "file.prerequisites_unknown", N_("%(where)s: unknown prerequisite(s): %(titles)s"), {"where": PLACE, "titles": TEXT}
)
FILE_PERSON_UNNAMED = Sentence(
    "file.person_unnamed", N_("%(where)s: lms_user_id or email is needed to find the person"), {"where": PLACE}
)
FILE_ROLE_START = Sentence(
    "file.role_start",
    N_("%(where)s: role_started_on must be a date such as 2024-03-31, got %(got)s"),
    {"where": PLACE, "got": TEXT},
)
FILE_ROLE_START_LATER = Sentence(
    "file.role_start_later",
    N_("%(where)s: role_started_on must not be after today (%(today)s), got %(got)s"),
    {"where": PLACE, "today": DATE, "got": TEXT},
)
FILE_EMAIL = Sentence(
    "file.email",
    N_("%(where)s: email must be an address such as ana@example.com, got %(got)s"),
    {"where": PLACE, "got": TEXT},
)
FILE_SKILL_UNKNOWN = Sentence(
    "file.skill_unknown",
    N_("%(where)s: unknown skill %(skill)s; import the skill catalogue first"),
    {"where": PLACE, "skill": TEXT},
)


def ids(values: Iterable[object]) -> str:
    """Ids as an error lists them: 3, 7, 12."""
    return ", ".join(map(str, values))


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
    return render(message, ENGLISH)

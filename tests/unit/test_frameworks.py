"""Frameworks: CASE packages and CSV files become skills and opportunities, or errors that say where."""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from alignment.errors import InvalidInput
from alignment.frameworks import (
    OPPORTUNITY_KINDS,
    Framework,
    FrameworkSkill,
    OpportunityRow,
    PersonRow,
    parse_case_package,
    parse_opportunities_csv,
    parse_people_csv,
    parse_skills_csv,
)

BASE = "https://frameworks.example.org/uri/"
DOC = "c0f1a2b3-0000-4000-8000-000000000000"
ANALYSIS = "c0f1a2b3-0000-4000-8000-0000000000a1"
COMMUNICATION = "c0f1a2b3-0000-4000-8000-0000000000a2"
SQL = "c0f1a2b3-0000-4000-8000-0000000000b1"
CLEANING = "c0f1a2b3-0000-4000-8000-0000000000b2"
STATISTICS = "c0f1a2b3-0000-4000-8000-0000000000b3"
VISUALISATION = "c0f1a2b3-0000-4000-8000-0000000000b4"
PRESENTING = "c0f1a2b3-0000-4000-8000-0000000000b5"

Package = dict[str, Any]


def item(identifier: str, full: str, **fields: Any) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "uri": BASE + identifier,
        "fullStatement": full,
        "lastChangeDateTime": "2026-03-01T09:00:00+00:00",
        "CFDocumentURI": {"title": "Data Literacy Framework", "identifier": DOC, "uri": BASE + DOC},
        **fields,
    }


def link(identifier: str, title: str) -> dict[str, str]:
    return {"title": title, "identifier": identifier, "uri": BASE + identifier}


def association(n: int, kind: str, origin: str, destination: str) -> dict[str, Any]:
    identifier = f"c0f1a2b3-0000-4000-8000-0000000001{n:02d}"
    return {
        "identifier": identifier,
        "uri": BASE + identifier,
        "associationType": kind,
        "originNodeURI": link(origin, "origin"),
        "destinationNodeURI": link(destination, "destination"),
        "sequenceNumber": n,
        "lastChangeDateTime": "2026-03-01T09:00:00+00:00",
    }


def case_package() -> Package:
    """A document with two groups: three leaves under the first, two under the second."""
    return {
        "CFDocument": {
            "identifier": DOC,
            "uri": BASE + DOC,
            "creator": "Example Corp Learning",
            "title": "Data Literacy Framework",
            "lastChangeDateTime": "2026-03-01T09:00:00+00:00",
            "adoptionStatus": "Adopted",
        },
        "CFItems": [
            item(
                ANALYSIS,
                "Find, clean and analyse data to answer business questions.",
                abbreviatedStatement="Working with data",
                humanCodingScheme="DL.1",
                CFItemType="Domain",
            ),
            item(COMMUNICATION, "Communicate findings so that others can act on them.", humanCodingScheme="DL.2"),
            item(
                SQL,
                "Write SQL queries that join, filter and aggregate tables.",
                abbreviatedStatement="SQL querying",
                humanCodingScheme="DL.1.1",
                CFItemType="Standard",
            ),
            item(
                CLEANING,
                "Clean   messy\n spreadsheet data",
                humanCodingScheme="DL.1.2",
                notes="Includes finding duplicates.",
            ),
            item(
                STATISTICS,
                "Summarise a data set with means, medians and spread.",
                abbreviatedStatement="Descriptive statistics",
            ),
            item(
                VISUALISATION,
                "Choose and build a chart that fits the question.",
                abbreviatedStatement="Data visualisation",
            ),
            item(
                PRESENTING,
                "Present results to stakeholders without jargon.",
                abbreviatedStatement="Presenting to stakeholders",
            ),
        ],
        "CFAssociations": [
            association(1, "isChildOf", ANALYSIS, DOC),
            association(2, "isChildOf", COMMUNICATION, DOC),
            association(3, "isChildOf", SQL, ANALYSIS),
            association(4, "isChildOf", CLEANING, ANALYSIS),
            association(5, "isChildOf", STATISTICS, ANALYSIS),
            association(6, "isChildOf", VISUALISATION, COMMUNICATION),
            association(7, "isChildOf", PRESENTING, COMMUNICATION),
            association(8, "isRelatedTo", SQL, STATISTICS),
            association(9, "exactMatchOf", VISUALISATION, "f00d0000-0000-4000-8000-000000000001"),
        ],
    }


def names(framework: Framework) -> list[str]:
    return [skill.name for skill in framework.skills]


# --- CASE: what becomes a skill -------------------------------------------------------------------


def test_leaf_items_become_skills_under_their_parent() -> None:
    framework = parse_case_package(case_package())

    assert [(s.name, s.category) for s in framework.skills] == [
        ("SQL querying", "Working with data"),
        ("Clean messy spreadsheet data", "Working with data"),
        ("Descriptive statistics", "Working with data"),
        ("Data visualisation", "DL.2"),
        ("Presenting to stakeholders", "DL.2"),
    ]


def test_framework_keeps_the_document_title_and_uri() -> None:
    framework = parse_case_package(case_package())

    assert (framework.title, framework.uri) == ("Data Literacy Framework", BASE + DOC)


def test_each_skill_keeps_its_item_uri() -> None:
    framework = parse_case_package(case_package())

    assert framework.skills[0].uri == BASE + SQL
    assert {s.uri for s in framework.skills} == {
        BASE + i for i in (SQL, CLEANING, STATISTICS, VISUALISATION, PRESENTING)
    }


def test_abbreviated_statement_names_the_skill_and_full_statement_describes_it() -> None:
    framework = parse_case_package(case_package())

    assert framework.skills[0] == FrameworkSkill(
        name="SQL querying",
        category="Working with data",
        uri=BASE + SQL,
        description="Write SQL queries that join, filter and aggregate tables.",
    )


def test_full_statement_names_the_skill_when_there_is_no_abbreviation_and_notes_describe_it() -> None:
    cleaning = parse_case_package(case_package()).skills[1]

    assert cleaning.name == "Clean messy spreadsheet data"
    assert cleaning.description == "Includes finding duplicates."


def test_skill_without_abbreviation_or_notes_has_no_description() -> None:
    package = case_package()
    package["CFItems"][3].pop("notes")

    assert parse_case_package(package).skills[1].description is None


def test_long_full_statement_is_cut_to_200_characters_and_kept_whole_as_description() -> None:
    package = case_package()
    statement = "Build " + "reliable " * 40 + "pipelines."
    package["CFItems"][3] = item(CLEANING, statement)

    skill = parse_case_package(package).skills[1]

    assert len(skill.name) == 200
    assert skill.name.endswith("…")
    assert skill.name.startswith("Build reliable reliable")
    assert skill.description == statement


def test_groups_with_children_are_not_skills() -> None:
    framework = parse_case_package(case_package())

    assert "Working with data" not in names(framework)
    assert not any(s.uri in (BASE + ANALYSIS, BASE + COMMUNICATION) for s in framework.skills)


@pytest.mark.parametrize("item_type", ["Competency", "Soft SKILL", "competency cluster"])
def test_items_typed_as_competency_or_skill_are_skills_even_with_children(item_type: str) -> None:
    package = case_package()
    package["CFItems"][0]["CFItemType"] = item_type

    framework = parse_case_package(package)

    assert names(framework)[0] == "Working with data"
    assert framework.skills[0].category is None
    assert framework.skills[0].description == "Find, clean and analyse data to answer business questions."
    assert len(framework.skills) == 6


def test_item_type_may_come_from_the_item_type_link_title() -> None:
    package = case_package()
    package["CFItems"][1]["CFItemTypeURI"] = link("f00d0000-0000-4000-8000-0000000000c1", "Competency")

    assert "Communicate findings so that others can act on them." in names(parse_case_package(package))


def test_item_directly_under_the_document_has_no_category() -> None:
    package = case_package()
    package["CFAssociations"][5] = association(6, "isChildOf", VISUALISATION, DOC)

    framework = parse_case_package(package)

    assert framework.skills[3] == FrameworkSkill(
        "Data visualisation", None, BASE + VISUALISATION, "Choose and build a chart that fits the question."
    )


def test_item_with_no_parent_at_all_is_a_skill_without_category() -> None:
    package = case_package()
    del package["CFAssociations"][6]

    assert parse_case_package(package).skills[4].category is None


def test_parent_title_falls_back_from_abbreviation_to_coding_scheme_to_full_statement() -> None:
    package = case_package()
    package["CFItems"][0].pop("abbreviatedStatement")
    package["CFItems"][1].pop("humanCodingScheme")

    categories = [s.category for s in parse_case_package(package).skills]

    assert categories == ["DL.1"] * 3 + ["Communicate findings so that others can act on them."] * 2


def test_parent_title_is_collapsed_and_cut_to_120_characters() -> None:
    package = case_package()
    package["CFItems"][1] = item(COMMUNICATION, "Communicate   " + "clearly " * 30)

    category = parse_case_package(package).skills[3].category

    assert category is not None
    assert len(category) == 120
    assert category.startswith("Communicate clearly clearly")
    assert category.endswith("…")


def test_associations_other_than_is_child_of_do_not_change_the_tree() -> None:
    package = case_package()
    del package["CFAssociations"][7:]

    assert parse_case_package(package) == parse_case_package(case_package())


def test_association_type_is_matched_without_regard_to_case() -> None:
    package = case_package()
    package["CFAssociations"][2]["associationType"] = "ischildof"

    assert parse_case_package(package) == parse_case_package(case_package())


def test_links_are_matched_by_uri_when_they_carry_no_identifier() -> None:
    package = case_package()
    for association_ in package["CFAssociations"]:
        association_["originNodeURI"].pop("identifier")
        association_["destinationNodeURI"].pop("identifier")

    assert parse_case_package(package) == parse_case_package(case_package())


def test_an_item_reused_under_two_parents_is_filed_under_the_first() -> None:
    package = case_package()
    package["CFAssociations"].append(association(10, "isChildOf", SQL, COMMUNICATION))

    assert parse_case_package(package).skills[0].category == "Working with data"


def test_package_wrapped_in_cf_package_is_accepted() -> None:
    assert parse_case_package({"CFPackage": case_package()}) == parse_case_package(case_package())


def test_package_without_associations_makes_every_item_a_skill_without_category() -> None:
    package = case_package()
    del package["CFAssociations"]

    framework = parse_case_package(package)

    assert len(framework.skills) == 7
    assert {s.category for s in framework.skills} == {None}


def test_document_without_uri_gives_a_framework_without_uri() -> None:
    package = case_package()
    package["CFDocument"].pop("uri")

    assert parse_case_package(package).uri is None


# --- CASE: errors ---------------------------------------------------------------------------------


def test_package_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidInput, match="CFPackage must be a JSON object, got an array"):
        parse_case_package([case_package()])


CASE_ERRORS: list[tuple[str, Callable[[Package], object], str]] = [
    ("no document", lambda p: p.pop("CFDocument"), "CFDocument is missing"),
    ("document not object", lambda p: p.update(CFDocument="DL"), "CFDocument must be a JSON object, got a string"),
    ("document title", lambda p: p["CFDocument"].pop("title"), "CFDocument: title is missing"),
    ("blank title", lambda p: p["CFDocument"].update(title="  "), "CFDocument: title is missing"),
    ("document uri type", lambda p: p["CFDocument"].update(uri=7), "CFDocument: uri must be a string, got a number"),
    ("no items", lambda p: p.pop("CFItems"), "CFItems is missing"),
    ("items not list", lambda p: p.update(CFItems={}), "CFItems must be a JSON array, got an object"),
    ("item not object", lambda p: p["CFItems"].append(None), "CFItems[7] must be a JSON object, got null"),
    ("item identifier", lambda p: p["CFItems"][2].pop("identifier"), "CFItems[2]: identifier is missing"),
    ("item uri", lambda p: p["CFItems"][3].pop("uri"), "CFItems[3]: uri is missing"),
    ("item uri blank", lambda p: p["CFItems"][3].update(uri=""), "CFItems[3]: uri is missing"),
    (
        "item uri too long",
        lambda p: p["CFItems"][3].update(uri="https://x.example/" + "a" * 490),
        "CFItems[3]: uri must be at most 500 characters, got 508",
    ),
    (
        "item statements",
        lambda p: p["CFItems"][3].pop("fullStatement"),
        "CFItems[3]: fullStatement is missing",
    ),
    (
        "item field type",
        lambda p: p["CFItems"][2].update(humanCodingScheme=["DL", 1]),
        "CFItems[2]: humanCodingScheme must be a string, got an array",
    ),
    (
        "item type type",
        lambda p: p["CFItems"][2].update(CFItemType=True),
        "CFItems[2]: CFItemType must be a string, got a boolean",
    ),
    (
        "duplicate identifier",
        lambda p: p["CFItems"][5].update(identifier=SQL),
        f"CFItems[5]: identifier {SQL!r} is also CFItems[2]'s",
    ),
    (
        "associations not list",
        lambda p: p.update(CFAssociations="none"),
        "CFAssociations must be a JSON array, got a string",
    ),
    (
        "association not object",
        lambda p: p["CFAssociations"].insert(0, 3),
        "CFAssociations[0] must be a JSON object, got a number",
    ),
    (
        "association type",
        lambda p: p["CFAssociations"][1].pop("associationType"),
        "CFAssociations[1]: associationType is missing",
    ),
    (
        "origin missing",
        lambda p: p["CFAssociations"][2].pop("originNodeURI"),
        "CFAssociations[2]: originNodeURI is missing",
    ),
    (
        "destination not object",
        lambda p: p["CFAssociations"][2].update(destinationNodeURI=BASE + ANALYSIS),
        "CFAssociations[2].destinationNodeURI must be a JSON object, got a string",
    ),
    (
        "destination empty",
        lambda p: p["CFAssociations"][2].update(destinationNodeURI={"title": "Working with data"}),
        "CFAssociations[2].destinationNodeURI: identifier and uri are both missing",
    ),
    (
        "duplicate name",
        lambda p: p["CFItems"][6].update(abbreviatedStatement="sql  QUERYING"),
        "CFItems[6]: name 'sql QUERYING' is already used on CFItems[2]",
    ),
    (
        "duplicate uri",
        lambda p: p["CFItems"][6].update(uri=BASE + SQL),
        f"CFItems[6]: uri {BASE + SQL!r} is already used on CFItems[2]",
    ),
]


@pytest.mark.parametrize(
    ("spoil", "message"),
    [pytest.param(spoil, message, id=label) for label, spoil, message in CASE_ERRORS],
)
def test_broken_case_package_is_refused_naming_the_field(spoil: Callable[[Package], object], message: str) -> None:
    package = case_package()
    spoil(package)

    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_case_package(package)


def test_item_with_only_an_abbreviated_statement_is_accepted() -> None:
    package = case_package()
    package["CFItems"][4].pop("fullStatement")

    skill = parse_case_package(package).skills[2]

    assert (skill.name, skill.description) == ("Descriptive statistics", None)


def test_wrapper_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidInput, match="CFPackage must be a JSON object, got an array"):
        parse_case_package({"CFPackage": [case_package()]})


def test_case_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="CFDocument is missing"):
        parse_case_package({})


# --- Skills CSV -----------------------------------------------------------------------------------

SKILLS_CSV = """name,category,uri,description
SQL querying,Working with data,https://skills.example.org/sql,Join and aggregate tables
Data visualisation,Communication,,
Negotiation,,,
"""


def test_skills_csv_gives_one_skill_per_line() -> None:
    framework = parse_skills_csv(SKILLS_CSV)

    assert framework == Framework(
        title="CSV import",
        uri=None,
        skills=(
            FrameworkSkill(
                "SQL querying", "Working with data", "https://skills.example.org/sql", "Join and aggregate tables"
            ),
            FrameworkSkill("Data visualisation", "Communication", None, None),
            FrameworkSkill("Negotiation", None, None, None),
        ),
    )


def test_skills_csv_needs_only_the_name_column_in_any_order() -> None:
    framework = parse_skills_csv("category,name\nSoft skills,Negotiation\n")

    assert framework.skills == (FrameworkSkill("Negotiation", "Soft skills", None),)


def test_skills_csv_headers_are_trimmed_and_case_insensitive_and_a_bom_is_accepted() -> None:
    framework = parse_skills_csv("\ufeff Name , CATEGORY\r\nSQL querying,Data\r\n")

    assert framework.skills == (FrameworkSkill("SQL querying", "Data", None),)


def test_skills_csv_values_are_trimmed_and_names_collapsed() -> None:
    framework = parse_skills_csv('name,category\n"  SQL   querying ",  Data  \n')

    assert framework.skills == (FrameworkSkill("SQL querying", "Data", None),)


def test_skills_csv_skips_blank_lines_and_rows_of_empty_cells() -> None:
    framework = parse_skills_csv("\nname,category\n\nSQL querying,Data\n , \n\nNegotiation,\n,\n")

    assert names(framework) == ["SQL querying", "Negotiation"]


def test_skills_csv_keeps_quoted_commas_and_line_breaks() -> None:
    framework = parse_skills_csv('name,description\n"Reading, writing","First line\nsecond line"\n')

    assert framework.skills == (FrameworkSkill("Reading, writing", None, None, "First line\nsecond line"),)


def test_skills_csv_with_only_a_header_has_no_skills() -> None:
    assert parse_skills_csv("name,category\n").skills == ()


SKILLS_CSV_ERRORS = [
    ("empty", "", "line 1: a header row naming the columns is required (name, category, uri, description)"),
    ("blank", "\n\n", "line 1: a header row naming the columns is required"),
    (
        "unknown columns",
        "name,Level,owner\nSQL,3,Ana\n",
        "line 1: unknown column(s) 'level', 'owner'; the columns are name, category, uri, description",
    ),
    ("no name column", "category,uri\nData,\n", "line 1: required column(s) missing: name"),
    ("repeated column", "name,Name\nSQL,SQL\n", "line 1: column 'name' appears more than once"),
    ("missing name", "name,category\nSQL,Data\n\n  ,Data\n", "line 4: name is missing"),
    ("short row", "category,name\nData\n", "line 2: name is missing"),
    (
        "duplicate name",
        "name\nSQL querying\nNegotiation\nsql QUERYING\n",
        "line 4: name 'sql QUERYING' is already used on line 2",
    ),
    (
        "duplicate uri",
        "name,uri\nSQL,https://s.example/1\nR,https://s.example/2\nPython,https://s.example/1\n",
        "line 4: uri 'https://s.example/1' is already used on line 2",
    ),
    (
        "line numbers after a multi-line value",
        'name,description\nSQL,"two\nlines"\nSQL,again\n',
        "line 4: name 'SQL' is already used on line 2",
    ),
    ("name too long", "name\n" + "n" * 201 + "\n", "line 2: name must be at most 200 characters, got 201"),
    ("category too long", "name,category\nSQL," + "c" * 121 + "\n", "line 2: category must be at most 120 characters"),
    ("uri too long", "name,uri\nSQL,https://" + "u" * 500 + "\n", "line 2: uri must be at most 500 characters"),
    ("extra value", "name,category\nSQL,Data,surprise\n", "line 2: the value in column 3 has no column name"),
    ("value under blank header", "name,,category\nSQL,x,Data\n", "line 2: the value in column 2 has no column name"),
]


@pytest.mark.parametrize(
    ("text", "message"), [pytest.param(text, message, id=label) for label, text, message in SKILLS_CSV_ERRORS]
)
def test_broken_skills_csv_is_refused_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_skills_csv(text)


def test_skills_csv_allows_blank_header_cells_over_empty_columns() -> None:
    assert names(parse_skills_csv("name,,\nSQL,,\n")) == ["SQL"]


# --- Opportunities CSV ----------------------------------------------------------------------------

OPPORTUNITIES_CSV = (
    "title,kind,effort_hours,skills,activity_ids,lti_resource_link_ids,url,prerequisites\n"
    "SQL basics,course,6,SQL querying:0.8; Data visualisation:0.2,"
    "https://lms.example.org/xapi/activities/sql-basics; urn:example:sql-quiz,"
    "rl-101;rl-102,https://lms.example.org/courses/sql-basics,\n"
    "SQL in practice,Project,12.5,SQL querying,"
    "https://lms.example.org/xapi/activities/sql-project https://lms.example.org/xapi/activities/sql-review,"
    ",,SQL basics\n"
)


def test_opportunities_csv_reads_every_column() -> None:
    rows = parse_opportunities_csv(OPPORTUNITIES_CSV)

    assert rows == [
        OpportunityRow(
            line=2,
            title="SQL basics",
            kind="course",
            effort_hours=6.0,
            skills=(("SQL querying", 0.8), ("Data visualisation", 0.2)),
            activity_ids=("https://lms.example.org/xapi/activities/sql-basics", "urn:example:sql-quiz"),
            lti_resource_link_ids=("rl-101", "rl-102"),
            url="https://lms.example.org/courses/sql-basics",
            prerequisites=(),
        ),
        OpportunityRow(
            line=3,
            title="SQL in practice",
            kind="project",
            effort_hours=12.5,
            skills=(("SQL querying", 1.0),),
            activity_ids=(
                "https://lms.example.org/xapi/activities/sql-project",
                "https://lms.example.org/xapi/activities/sql-review",
            ),
            lti_resource_link_ids=(),
            url=None,
            prerequisites=("SQL basics",),
        ),
    ]


def test_opportunities_csv_needs_only_title_kind_and_effort() -> None:
    rows = parse_opportunities_csv("Effort_Hours,KIND,Title\n1,mentoring,Pairing with a senior analyst\n")

    assert rows == [OpportunityRow(2, "Pairing with a senior analyst", "mentoring", 1.0, (), (), (), None, ())]


def test_every_kind_is_accepted() -> None:
    text = "title,kind,effort_hours\n" + "".join(f"{kind} one,{kind},1\n" for kind in OPPORTUNITY_KINDS)

    assert [row.kind for row in parse_opportunities_csv(text)] == list(OPPORTUNITY_KINDS)


def test_effort_hours_up_to_1000_and_in_any_float_notation() -> None:
    rows = parse_opportunities_csv("title,kind,effort_hours\nA,course,1000\nB,course,0.25\nC,course,1e2\n")

    assert [row.effort_hours for row in rows] == [1000.0, 0.25, 100.0]


def test_a_skill_name_may_contain_a_colon_when_a_weight_follows() -> None:
    rows = parse_opportunities_csv('title,kind,effort_hours,skills\nA,course,1,"Python: pandas:0.5;R"\n')

    assert rows[0].skills == (("Python: pandas", 0.5), ("R", 1.0))


def test_lists_skip_empty_parts_and_repeated_ids() -> None:
    rows = parse_opportunities_csv(
        "title,kind,effort_hours,skills,activity_ids,lti_resource_link_ids,prerequisites\n"
        "A,course,1,SQL;;,urn:x:1;;urn:x:1 ,rl-1; rl-1 ;,B;; B\n"
    )

    row = rows[0]
    assert (row.skills, row.activity_ids, row.lti_resource_link_ids, row.prerequisites) == (
        (("SQL", 1.0),),
        ("urn:x:1",),
        ("rl-1",),
        ("B",),
    )


def test_opportunities_csv_line_numbers_count_blank_lines() -> None:
    rows = parse_opportunities_csv("title,kind,effort_hours\n\nA,course,1\n\n\nB,event,2\n")

    assert [row.line for row in rows] == [3, 6]


HEADER = "title,kind,effort_hours,skills,activity_ids,lti_resource_link_ids,url,prerequisites\n"

OPPORTUNITY_ERRORS = [
    ("empty", "", "line 1: a header row naming the columns is required"),
    ("missing columns", "title,skills\nA,SQL\n", "line 1: required column(s) missing: kind, effort_hours"),
    ("unknown column", "title,kind,effort_hours,cost\nA,course,1,9\n", "line 1: unknown column(s) 'cost'"),
    ("missing title", HEADER + "A,course,1\n ,course,1\n", "line 3: title is missing"),
    ("missing kind", HEADER + "A,,1\n", "line 2: kind is missing"),
    (
        "unknown kind",
        HEADER + "A,webinar,1\n",
        "line 2: kind must be one of course, module, assessment, project, mentoring, reading, certification, event,"
        " got 'webinar'",
    ),
    ("missing effort", HEADER + "A,course,\n", "line 2: effort_hours is missing"),
    ("effort not a number", HEADER + "A,course,abc\n", "line 2: effort_hours must be a number more than 0, got 'abc'"),
    ("effort zero", HEADER + "A,course,0\n", "line 2: effort_hours must be a number more than 0, got '0'"),
    ("effort negative", HEADER + "A,course,-2\n", "line 2: effort_hours must be a number more than 0, got '-2'"),
    ("effort nan", HEADER + "A,course,nan\n", "line 2: effort_hours must be a number more than 0, got 'nan'"),
    ("effort infinite", HEADER + "A,course,inf\n", "line 2: effort_hours must be a number more than 0, got 'inf'"),
    ("effort too big", HEADER + "A,course,1000.5\n", "line 2: effort_hours must be at most 1000, got '1000.5'"),
    (
        "weight not a number",
        HEADER + "A,course,1,SQL:high\n",
        "line 2: skills weight for 'SQL' must be a number more than 0 and at most 1, got 'high'",
    ),
    ("weight zero", HEADER + "A,course,1,SQL:0\n", "line 2: skills weight for 'SQL' must be a number more than 0"),
    ("weight above one", HEADER + "A,course,1,SQL:1.5\n", "got '1.5'"),
    ("weight empty", HEADER + "A,course,1,SQL:\n", "line 2: skills weight for 'SQL' must be a number"),
    ("weight nan", HEADER + "A,course,1,SQL:nan\n", "line 2: skills weight for 'SQL' must be a number"),
    ("skill without name", HEADER + "A,course,1,SQL; :0.5\n", "line 2: skills entry ':0.5' has no skill name"),
    ("skill twice", HEADER + "A,course,1,SQL:0.5;sql\n", "line 2: skills names 'sql' more than once"),
    (
        "activity id not an iri",
        HEADER + "A,course,1,,https://lms.example.org/a sql-basics\n",
        "line 2: activity_ids entry 'sql-basics' must be an IRI starting with http://, https:// or urn:",
    ),
    ("activity id ftp", HEADER + "A,course,1,,ftp://files.example.org/a\n", "activity_ids entry 'ftp://files"),
    ("activity id without host", HEADER + "A,course,1,,https://\n", "line 2: activity_ids entry 'https://'"),
    ("activity id bare urn", HEADER + "A,course,1,,urn:\n", "line 2: activity_ids entry 'urn:'"),
    (
        "activity id too long",
        HEADER + "A,course,1,,urn:" + "x" * 1000 + "\n",
        "line 2: activity_ids entry must be at most 1000 characters",
    ),
    (
        "link id too long",
        HEADER + "A,course,1,,,rl-1;" + "r" * 256 + "\n",
        "line 2: lti_resource_link_ids entry must be at most 255 characters",
    ),
    (
        "url not web",
        HEADER + "A,course,1,,,,ftp://files.example.org/a\n",
        "line 2: url must be an http:// or https:// address, got 'ftp://files.example.org/a'",
    ),
    ("url relative", HEADER + "A,course,1,,,,/courses/sql\n", "line 2: url must be an http:// or https:// address"),
    ("url with space", HEADER + "A,course,1,,,,https://x.example/a b\n", "line 2: url must be an http:// or https://"),
    (
        "url too long",
        HEADER + "A,course,1,,,,https://x.example/" + "p" * 990 + "\n",
        "line 2: url must be at most 1000",
    ),
    (
        "title too long",
        HEADER + "T" * 301 + ",course,1\n",
        "line 2: title must be at most 300 characters, got 301",
    ),
    (
        "duplicate title",
        HEADER + "SQL basics,course,1\nR basics,course,1\nsql  BASICS,module,2\n",
        "line 4: title 'sql BASICS' is already used on line 2",
    ),
    (
        "prerequisite is itself",
        HEADER + "SQL basics,course,1,,,,,Intro; sql basics\n",
        "line 2: prerequisites must not name the opportunity itself ('SQL basics')",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), [pytest.param(text, message, id=label) for label, text, message in OPPORTUNITY_ERRORS]
)
def test_broken_opportunities_csv_is_refused_naming_the_line_and_field(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_opportunities_csv(text)


def test_opportunity_kind_is_case_insensitive_and_stored_lower_case() -> None:
    assert parse_opportunities_csv("title,kind,effort_hours\nA, Reading ,2\n")[0].kind == "reading"


def test_malformed_csv_quoting_is_an_invalid_input() -> None:
    with pytest.raises(InvalidInput, match=r"^line \d+: "):
        parse_skills_csv('name\n"SQL' + "x" * 200_000 + "\n")


# --- People CSV -------------------------------------------------------------------------------------

TODAY = date(2026, 11, 24)


def test_a_people_csv_names_each_person_and_what_to_set() -> None:
    text = (
        "lms_user_id,email,name,role_started_on,role_label\n"
        "u-ana,,,2019-03-01,Data  engineer\n"
        ",Ben@Acme.test,,,\n"
        "u-new,new@acme.test,Nia New,2026-11-24,\n"
    )
    assert parse_people_csv(text, TODAY) == [
        PersonRow(2, "u-ana", None, None, date(2019, 3, 1), "Data engineer"),
        PersonRow(3, None, "Ben@Acme.test", None, None, None),
        PersonRow(4, "u-new", "new@acme.test", "Nia New", date(2026, 11, 24), None),
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("email,role_label\n,Sales\n", "line 2: lms_user_id or email is needed to find the person"),
        (
            "lms_user_id,role_started_on\nu-1,01/03/2019\n",
            "line 2: role_started_on must be a date such as 2024-03-31, got '01/03/2019'",
        ),
        (
            "lms_user_id,role_started_on\nu-1,2026-11-25\n",
            "line 2: role_started_on must not be after today (2026-11-24), got '2026-11-25'",
        ),
        ("email\nana.acme.test\n", "line 2: email must be an address such as ana@example.com, got 'ana.acme.test'"),
        ("email\nana@\n", "line 2: email must be an address"),
        ("lms_user_id\nu-1\nu-1\n", "line 3: lms_user_id 'u-1' is already used on line 2"),
        ("email\nana@acme.test\nANA@acme.test\n", "line 3: email 'ANA@acme.test' is already used on line 2"),
        ("lms_user_id,role_label\nu-1," + "x" * 101 + "\n", "line 2: role_label must be at most 100 characters"),
        ("lms_user_id,department\nu-1,Sales\n", "line 1: unknown column(s) 'department'"),
    ],
)
def test_a_bad_people_csv_names_the_line_and_the_rule(text: str, error: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(error)):
        parse_people_csv(text, TODAY)

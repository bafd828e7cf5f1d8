"""The values the development LMS's Python API hands back: courses, people, registrations, links, scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CourseRef:
    """A course as the API hands it back."""

    id: int
    context_id: str
    title: str
    label: str


@dataclass(frozen=True)
class PersonRef:
    """A person (and their roles in the course they were added to)."""

    id: int
    user_id: str
    name: str
    email: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ToolRegistration:
    """A registered tool's client id and its deployment id on this platform."""

    client_id: str
    deployment_id: str


@dataclass(frozen=True)
class ResourceLinkRef:
    """A placement of a tool in a course."""

    id: str
    course_id: int
    client_id: str
    title: str


@dataclass(frozen=True)
class LineItemSpec:
    """A line item to create with a resource link (AGS 2.0 §3.2)."""

    label: str
    score_maximum: float
    resource_id: str = ""
    tag: str = ""


@dataclass(frozen=True)
class ScoreView:
    """One cell of the gradebook."""

    line_item_label: str
    user_id: str
    score_given: float | None
    score_maximum: float | None
    comment: str | None
    activity_progress: str
    grading_progress: str
    timestamp: datetime


@dataclass
class Gradebook:
    """A course's line items as columns and each learner's scores."""

    course: CourseRef
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

"""The development LMS's own tables, on its own SQLAlchemy base in its own SQLite file.

Nothing here is shared with Sweetspot's schema: the platform is a separate system that only talks HTTP
to the tool, so it keeps its state apart and creates its tables with `create_all` on first run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    """The base of the development LMS's tables (a metadata of its own)."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: DateTime(timezone=True),
    }


class Tool(Base):
    """A registered LTI tool: its OAuth client and what it asked for at registration."""

    __tablename__ = "dev_lms_tool"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    initiate_login_uri: Mapped[str] = mapped_column(Text)
    redirect_uris: Mapped[list[str]]
    jwks_uri: Mapped[str] = mapped_column(Text)
    target_link_uri: Mapped[str] = mapped_column(Text)
    deep_link_uri: Mapped[str | None] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(255))
    scopes: Mapped[list[str]]
    claims: Mapped[list[str]]
    custom_parameters: Mapped[dict[str, Any]]
    registration: Mapped[dict[str, Any]]
    registered_by: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class Deployment(Base):
    """A deployment of a tool on this platform (LTI Core 1.3 §3.1.3)."""

    __tablename__ = "dev_lms_deployment"

    deployment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("dev_lms_tool.client_id"))


class RegistrationToken(Base):
    """A one-time token handed to a tool for dynamic registration (LTI DR 1.0 §3.3)."""

    __tablename__ = "dev_lms_registration_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]
    used_by_client_id: Mapped[str | None] = mapped_column(String(64))


class Course(Base):
    """A course: the LTI context."""

    __tablename__ = "dev_lms_course"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    context_id: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(100))


class Person(Base):
    """A user of the platform, with the attributes the id_token and NRPS carry."""

    __tablename__ = "dev_lms_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    given_name: Mapped[str] = mapped_column(String(255))
    family_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255))
    custom: Mapped[dict[str, Any]]


class Membership(Base):
    """A person's roles in a course; `revision` orders changes for NRPS differences."""

    __tablename__ = "dev_lms_membership"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("dev_lms_course.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("dev_lms_person.id"))
    roles: Mapped[list[str]]
    role_scope_mentor: Mapped[list[str]]
    status: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)


class ResourceLink(Base):
    """A placement of a tool in a course."""

    __tablename__ = "dev_lms_resource_link"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("dev_lms_course.id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("dev_lms_tool.client_id"))
    deployment_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class LineItem(Base):
    """An AGS line item: a gradebook column (AGS 2.0 §3.2)."""

    __tablename__ = "dev_lms_line_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("dev_lms_course.id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("dev_lms_tool.client_id"))
    resource_link_id: Mapped[str | None] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(255), default="")
    tag: Mapped[str] = mapped_column(String(255), default="")
    label: Mapped[str] = mapped_column(String(255))
    score_maximum: Mapped[float] = mapped_column(Float)
    start_date_time: Mapped[str | None] = mapped_column(String(40))
    end_date_time: Mapped[str | None] = mapped_column(String(40))


class Result(Base):
    """The latest score of one user on one line item (AGS 2.0 §3.3, §3.4)."""

    __tablename__ = "dev_lms_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("dev_lms_line_item.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    score_given: Mapped[float | None] = mapped_column(Float)
    score_maximum: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    activity_progress: Mapped[str] = mapped_column(String(20))
    grading_progress: Mapped[str] = mapped_column(String(20))
    timestamp: Mapped[datetime]
    score: Mapped[dict[str, Any]]


class LaunchHint(Base):
    """A started OIDC login: who launches what, bound to the opaque `lti_message_hint`."""

    __tablename__ = "dev_lms_launch_hint"

    hint: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("dev_lms_person.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("dev_lms_course.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[str] = mapped_column(String(64))
    resource_link_id: Mapped[str | None] = mapped_column(String(64))
    target_link_uri: Mapped[str] = mapped_column(Text)
    document_target: Mapped[str] = mapped_column(String(10))
    deep_linking_data: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]


class AccessToken(Base):
    """An OAuth 2 access token issued by the client-credentials grant."""

    __tablename__ = "dev_lms_access_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]]
    expires_at: Mapped[datetime]


class UsedAssertion(Base):
    """A `jti` (client assertion) or `nonce` (deep-linking response) already seen, kept until it expires."""

    __tablename__ = "dev_lms_used_assertion"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    expires_at: Mapped[datetime]


class ServiceCall(Base):
    """One call to a service endpoint, for the log page."""

    __tablename__ = "dev_lms_service_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    client_id: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class Setting(Base):
    """A named platform setting (the failure switch's count, the change counter)."""

    __tablename__ = "dev_lms_setting"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def open_database(directory: Path) -> sessionmaker[Session]:
    """Create (if needed) and open the platform's SQLite database in `directory`."""
    engine = create_engine(f"sqlite:///{directory / 'dev-lms.db'}", connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    Base.metadata.create_all(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    # The settings rows exist from the start, so that concurrent requests only ever update them (two
    # requests creating the same row at once would collide on its name).
    with sessions.begin() as session:
        for name in SETTINGS:
            if session.get(Setting, name) is None:
                session.add(Setting(name=name, value=0))
    return sessions


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets the tool's service calls read while a launch writes."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def dispose(sessions: sessionmaker[Session]) -> None:
    """Close the engine's connections."""
    bind = sessions.kw["bind"]
    assert isinstance(bind, Engine)
    bind.dispose()


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block ends without error and rolls back otherwise."""
    with sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def utc(moment: datetime) -> datetime:
    """A datetime read back from SQLite (naive) as the UTC moment it was stored as."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


SETTINGS = ("fail_next_service_calls", "membership_revision")


def setting(session: Session, name: str) -> Setting:
    """The named setting (one of SETTINGS, made at 0 when the database is opened)."""
    found = session.get(Setting, name)
    if found is None:
        raise KeyError(f"unknown setting {name!r}")
    return found


def next_revision(session: Session) -> int:
    """The next value of the membership change counter (the `since` of NRPS differences), taken atomically."""
    taken = session.execute(
        update(Setting)
        .where(Setting.name == "membership_revision")
        .values(value=Setting.value + 1)
        .returning(Setting.value)
    ).scalar_one()
    return int(taken)


def take_one(session: Session, name: str) -> bool:
    """Count the setting down by one if it is above zero, atomically; whether it was."""
    taken = session.execute(
        update(Setting)
        .where(Setting.name == name, Setting.value > 0)
        .values(value=Setting.value - 1)
        .returning(Setting.value)
    ).first()
    return taken is not None


def max_revision(session: Session) -> int:
    """The latest membership change."""
    return int(session.scalar(select(func.coalesce(func.max(Membership.revision), 0))) or 0)

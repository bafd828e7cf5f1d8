"""How learning events point at opportunities: the xAPI activity ids and LTI resource links mapped to them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache

from sqlalchemy import ForeignKey, Index, Select, String, UniqueConstraint, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, among_param, dialect_of
from alignment.rules.progress import Matcher, MatcherIndex


class ActivityMappingRecord(Base):
    """An xAPI activity id that belongs to an opportunity (one opportunity per activity and tenant)."""

    __tablename__ = "opportunity_activities"
    __table_args__ = (UniqueConstraint("tenant_id", "activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    activity_id: Mapped[str] = mapped_column(String(1000))
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), index=True)


class LinkMappingRecord(Base):
    """An LTI resource link that opens an opportunity."""

    __tablename__ = "opportunity_lti_links"
    __table_args__ = (
        UniqueConstraint("tenant_id", "resource_link_id"),
        Index("ix_opportunity_lti_links_opportunity", "opportunity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))


def every_matcher(uow: UnitOfWork, tenant_id: int) -> MatcherIndex:
    """Finds, among every opportunity of the tenant whatever its status, those an event belongs to."""
    return _index(
        uow.session.execute(
            select(ActivityMappingRecord.opportunity_id, ActivityMappingRecord.activity_id).where(
                ActivityMappingRecord.tenant_id == tenant_id
            )
        ),
        uow.session.execute(
            select(LinkMappingRecord.opportunity_id, LinkMappingRecord.resource_link_id).where(
                LinkMappingRecord.tenant_id == tenant_id
            )
        ),
    )


def matchers_naming(uow: UnitOfWork, tenant_id: int, activity_ids: set[str], link_ids: set[str]) -> MatcherIndex:
    """Like `every_matcher`, for events naming only these activities and links: their mappings are all a match
    can need, read by index."""
    dialect = dialect_of(uow)
    activities: Iterable[tuple[int, str]] = (
        uow.session.execute(_naming(dialect, links=False), {"tenant_id": tenant_id, "names": list(activity_ids)})
        if activity_ids
        else []
    )
    links: Iterable[tuple[int, str]] = (
        uow.session.execute(_naming(dialect, links=True), {"tenant_id": tenant_id, "names": list(link_ids)})
        if link_ids
        else []
    )
    return _index(activities, links)


@cache
def _naming(dialect: str, links: bool) -> Select[int, str]:
    """The mappings of the activities (or links) named by parameter `names`."""
    if links:
        k = LinkMappingRecord
        return select(k.opportunity_id, k.resource_link_id).where(
            k.tenant_id == bindparam("tenant_id"), among_param(dialect, k.resource_link_id, "names")
        )
    a = ActivityMappingRecord
    return select(a.opportunity_id, a.activity_id).where(
        a.tenant_id == bindparam("tenant_id"), among_param(dialect, a.activity_id, "names")
    )


def _index(activity_rows: Iterable[tuple[int, str]], link_rows: Iterable[tuple[int, str]]) -> MatcherIndex:
    activities: dict[int, set[str]] = defaultdict(set)
    links: dict[int, set[str]] = defaultdict(set)
    for opportunity, activity in activity_rows:
        activities[opportunity].add(activity)
    for opportunity, link in link_rows:
        links[opportunity].add(link)
    return MatcherIndex([_matcher(o, activities, links) for o in sorted(set(activities) | set(links))])


def _matcher(opportunity: int, activities: Mapping[int, set[str]], links: Mapping[int, set[str]]) -> Matcher:
    return Matcher(opportunity, frozenset(activities.get(opportunity, ())), frozenset(links.get(opportunity, ())))

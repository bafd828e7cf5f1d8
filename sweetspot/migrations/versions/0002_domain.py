"""Add people, skills, opportunities, agendas, events, roadmaps, flags and momentum

Revision ID: 0002_domain
Revises: 0001_tenants
Create Date: 2026-11-23 18:37:30.702544
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0002_domain"
down_revision: str | None = "0001_tenants"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "contexts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("lms_context_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_contexts_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contexts")),
        sa.UniqueConstraint("tenant_id", "lms_context_id", name=op.f("uq_contexts_tenant_id_lms_context_id")),
    )
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contexts_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "opportunities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("effort_hours", sa.Float(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_opportunities_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
        sa.UniqueConstraint("tenant_id", "title", name=op.f("uq_opportunities_tenant_id_title")),
    )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opportunities_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunities_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("lms_user_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("role_started_on", sa.Date(), nullable=True),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_people_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("tenant_id", "lms_user_id", name=op.f("uq_people_tenant_id_lms_user_id")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=True),
        sa.Column("uri", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("retired_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merged_into_id"], ["skills.id"], name=op.f("fk_skills_merged_into_id_skills")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_skills_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skills")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_skills_tenant_id_name")),
        sa.UniqueConstraint("tenant_id", "uri", name=op.f("uq_skills_tenant_id_uri")),
    )
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skills_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tenant_policies",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("personal_threshold", sa.Float(), nullable=False),
        sa.Column("org_threshold", sa.Float(), nullable=False),
        sa.Column("gift_budget_hours_per_quarter", sa.Float(), nullable=False),
        sa.Column("never_started_days", sa.Integer(), nullable=False),
        sa.Column("quiet_days", sa.Integer(), nullable=False),
        sa.Column("overdue_grace_days", sa.Integer(), nullable=False),
        sa.Column("slip_share", sa.Float(), nullable=False),
        sa.Column("plateau_tenure_days", sa.Integer(), nullable=False),
        sa.Column("plateau_window_days", sa.Integer(), nullable=False),
        sa.Column("plateau_drop_ratio", sa.Float(), nullable=False),
        sa.Column("avoidance_window_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_policies_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_policies")),
    )
    op.create_table(
        "learning_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("verb", sa.String(length=500), nullable=False),
        sa.Column("activity_id", sa.String(length=1000), nullable=True),
        sa.Column("context_activity_ids", sa.JSON(), nullable=False),
        sa.Column("lti_resource_link_id", sa.String(length=255), nullable=True),
        sa.Column("completion", sa.Boolean(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.Column("voids", sa.String(length=100), nullable=True),
        sa.Column("recorded_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_learning_events_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_learning_events_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_events")),
        sa.UniqueConstraint("tenant_id", "event_id", name=op.f("uq_learning_events_tenant_id_event_id")),
    )
    with op.batch_alter_table("learning_events", schema=None) as batch_op:
        batch_op.create_index("ix_learning_events_person_time", ["tenant_id", "person_id", "occurred_at"], unique=False)

    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("joined_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_memberships_context_id_contexts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_memberships_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("context_id", "person_id", "role", name=op.f("uq_memberships_context_id_person_id_role")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index("ix_memberships_person", ["person_id"], unique=False)

    op.create_table(
        "momentum_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_momentum_scores_context_id_contexts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_momentum_scores_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_momentum_scores_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_momentum_scores")),
        sa.UniqueConstraint("person_id", "context_id", "day", name=op.f("uq_momentum_scores_person_id_context_id_day")),
    )
    with op.batch_alter_table("momentum_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_momentum_scores_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "opportunity_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.String(length=1000), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_activities_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_opportunity_activities_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_activities")),
        sa.UniqueConstraint("tenant_id", "activity_id", name=op.f("uq_opportunity_activities_tenant_id_activity_id")),
    )
    with op.batch_alter_table("opportunity_activities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opportunity_activities_opportunity_id"), ["opportunity_id"], unique=False)

    op.create_table(
        "opportunity_lti_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("resource_link_id", sa.String(length=255), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_lti_links_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_opportunity_lti_links_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_lti_links")),
        sa.UniqueConstraint(
            "tenant_id", "resource_link_id", name=op.f("uq_opportunity_lti_links_tenant_id_resource_link_id")
        ),
    )
    with op.batch_alter_table("opportunity_lti_links", schema=None) as batch_op:
        batch_op.create_index("ix_opportunity_lti_links_opportunity", ["opportunity_id"], unique=False)

    op.create_table(
        "opportunity_prerequisites",
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("prerequisite_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_prerequisites_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prerequisite_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_prerequisites_prerequisite_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("opportunity_id", "prerequisite_id", name=op.f("pk_opportunity_prerequisites")),
    )
    op.create_table(
        "opportunity_skills",
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_skills_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_opportunity_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("opportunity_id", "skill_id", name=op.f("pk_opportunity_skills")),
    )
    op.create_table(
        "org_agendas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("role_label", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name=op.f("fk_org_agendas_author_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_org_agendas_context_id_contexts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_org_agendas_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_agendas")),
        sa.UniqueConstraint(
            "context_id", "role_label", "version", name=op.f("uq_org_agendas_context_id_role_label_version")
        ),
    )
    with op.batch_alter_table("org_agendas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_agendas_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "personal_agendas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("weekly_hours", sa.Float(), nullable=False),
        sa.Column("aspirations", sa.Text(), nullable=False),
        sa.Column("target_role", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_personal_agendas_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_personal_agendas_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_agendas")),
        sa.UniqueConstraint("person_id", "version", name=op.f("uq_personal_agendas_person_id_version")),
    )
    with op.batch_alter_table("personal_agendas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personal_agendas_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "roadmaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("weekly_hours", sa.Float(), nullable=False),
        sa.Column("projected_finish", sa.Date(), nullable=True),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_roadmaps_context_id_contexts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_roadmaps_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_roadmaps_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmaps")),
        sa.UniqueConstraint(
            "person_id", "context_id", "version", name=op.f("uq_roadmaps_person_id_context_id_version")
        ),
    )
    with op.batch_alter_table("roadmaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roadmaps_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "stall_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("opened_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_manager", sa.Boolean(), nullable=False),
        sa.Column("holds_off", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_stall_flags_context_id_contexts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_stall_flags_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_stall_flags_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stall_flags")),
    )
    with op.batch_alter_table("stall_flags", schema=None) as batch_op:
        batch_op.create_index("ix_stall_flags_context_status", ["tenant_id", "context_id", "status"], unique=False)
        batch_op.create_index(
            "uq_stall_flags_unresolved",
            ["person_id", "context_id", "rule"],
            unique=True,
            sqlite_where=sa.text("status != 'resolved'"),
            postgresql_where=sa.text("status != 'resolved'"),
        )

    op.create_table(
        "org_agenda_mandatory_items",
        sa.Column("agenda_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_id"],
            ["org_agendas.id"],
            name=op.f("fk_org_agenda_mandatory_items_agenda_id_org_agendas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_org_agenda_mandatory_items_opportunity_id_opportunities"),
        ),
        sa.PrimaryKeyConstraint("agenda_id", "opportunity_id", name=op.f("pk_org_agenda_mandatory_items")),
    )
    op.create_table(
        "org_agenda_skills",
        sa.Column("agenda_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.Integer(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_id"],
            ["org_agendas.id"],
            name=op.f("fk_org_agenda_skills_agenda_id_org_agendas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_org_agenda_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("agenda_id", "skill_id", name=op.f("pk_org_agenda_skills")),
    )
    op.create_table(
        "personal_agenda_skills",
        sa.Column("agenda_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("interest", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_id"],
            ["personal_agendas.id"],
            name=op.f("fk_personal_agenda_skills_agenda_id_personal_agendas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_personal_agenda_skills_skill_id_skills")),
        sa.PrimaryKeyConstraint("agenda_id", "skill_id", name=op.f("pk_personal_agenda_skills")),
    )
    op.create_table(
        "stall_flag_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_stall_flag_events_actor_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["stall_flags.id"], name=op.f("fk_stall_flag_events_flag_id_stall_flags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stall_flag_events")),
    )
    with op.batch_alter_table("stall_flag_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stall_flag_events_flag_id"), ["flag_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("stall_flag_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stall_flag_events_flag_id"))

    op.drop_table("stall_flag_events")
    op.drop_table("personal_agenda_skills")
    op.drop_table("org_agenda_skills")
    op.drop_table("org_agenda_mandatory_items")
    with op.batch_alter_table("stall_flags", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_stall_flags_unresolved",
            sqlite_where=sa.text("status != 'resolved'"),
            postgresql_where=sa.text("status != 'resolved'"),
        )
        batch_op.drop_index("ix_stall_flags_context_status")

    op.drop_table("stall_flags")
    with op.batch_alter_table("roadmaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmaps_tenant_id"))

    op.drop_table("roadmaps")
    with op.batch_alter_table("personal_agendas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_agendas_tenant_id"))

    op.drop_table("personal_agendas")
    with op.batch_alter_table("org_agendas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_agendas_tenant_id"))

    op.drop_table("org_agendas")
    op.drop_table("opportunity_skills")
    op.drop_table("opportunity_prerequisites")
    with op.batch_alter_table("opportunity_lti_links", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_lti_links_opportunity")

    op.drop_table("opportunity_lti_links")
    with op.batch_alter_table("opportunity_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_activities_opportunity_id"))

    op.drop_table("opportunity_activities")
    with op.batch_alter_table("momentum_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_momentum_scores_tenant_id"))

    op.drop_table("momentum_scores")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_memberships_person")

    op.drop_table("memberships")
    with op.batch_alter_table("learning_events", schema=None) as batch_op:
        batch_op.drop_index("ix_learning_events_person_time")

    op.drop_table("learning_events")
    op.drop_table("tenant_policies")
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skills_tenant_id"))

    op.drop_table("skills")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_tenant_id"))

    op.drop_table("people")
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunities_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_opportunities_status"))

    op.drop_table("opportunities")
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contexts_tenant_id"))

    op.drop_table("contexts")

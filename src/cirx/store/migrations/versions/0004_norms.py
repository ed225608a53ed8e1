"""Norms: responses recorded by analysts, analysts' judgements on assessments, country capacity scores.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "norm_responses",
        sa.Column("pk", _PK, nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("actor_country", sa.String(length=2), nullable=True),
        sa.Column("target_country", sa.String(length=2), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_norm_responses")),
        sa.UniqueConstraint("response_id", name=op.f("uq_norm_responses_response_id")),
    )
    with op.batch_alter_table("norm_responses", schema=None) as batch_op:
        batch_op.create_index("ix_norm_responses_dyad", ["actor_country", "target_country"], unique=False)
        batch_op.create_index(batch_op.f("ix_norm_responses_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "norm_judgements",
        sa.Column("pk", _PK, nullable=False),
        sa.Column("incident_id", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_norm_judgements")),
    )
    with op.batch_alter_table("norm_judgements", schema=None) as batch_op:
        batch_op.create_index("ix_norm_judgements_subject", ["incident_id", "subject"], unique=False)

    op.create_table(
        "country_capacity",
        sa.Column("pk", _PK, nullable=False),
        sa.Column("iso2", sa.String(length=2), nullable=False),
        sa.Column("index_name", sa.String(length=32), nullable=False),
        sa.Column("edition", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_country_capacity")),
        sa.UniqueConstraint("iso2", "index_name", "edition", name=op.f("uq_country_capacity_iso2_index_name_edition")),
    )


def downgrade() -> None:
    op.drop_table("country_capacity")
    with op.batch_alter_table("norm_judgements", schema=None) as batch_op:
        batch_op.drop_index("ix_norm_judgements_subject")
    op.drop_table("norm_judgements")
    with op.batch_alter_table("norm_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_norm_responses_incident_id"))
        batch_op.drop_index("ix_norm_responses_dyad")
    op.drop_table("norm_responses")

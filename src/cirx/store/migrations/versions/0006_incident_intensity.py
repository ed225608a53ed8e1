"""Incidents: the intensity value as a column (dyad trends group by it without reading each document).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The IR extension's id (cirx.model.incident.IR_EXTENSION_ID), spelled out: a migration keeps what it did.
_EXTENSION = "extension-definition--0e3b3d5c-3f53-4c1e-9f5e-8a1a6c2d7b41"


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intensity", sa.Float(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        path = f'$.extensions."{_EXTENSION}".intensity.value'
        op.execute(f"""
            UPDATE incidents SET intensity = (
                SELECT CASE WHEN json_type(doc, '{path}') IN ('integer', 'real')
                            THEN json_extract(doc, '{path}') END
                FROM stix_objects
                WHERE stix_objects.stix_id = incidents.stix_id AND stix_objects.is_latest = 1)
        """)
    else:
        path = f"{{extensions,{_EXTENSION},intensity,value}}"
        op.execute(f"""
            UPDATE incidents SET intensity = CASE
                WHEN jsonb_typeof(o.doc::jsonb #> '{path}') = 'number' THEN (o.doc::jsonb #>> '{path}')::float END
            FROM stix_objects o
            WHERE o.stix_id = incidents.stix_id AND o.is_latest
        """)


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("intensity")

"""Audit events: an index on (owner_org, id), so an org admin's trail is read without a scan.

Every object read, pulled, pushed or exported is one event, so the table grows with use; org admins
list the newest events on their own organisation's objects (``AuditTrail.events``).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_owner", ["owner_org", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_owner")

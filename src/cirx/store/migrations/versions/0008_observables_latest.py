"""Cyber-observables stored before this revision become their id's latest version.

An SCO (ipv4-addr, domain-name, file...) has neither ``created`` nor ``modified``, so its
``modified`` column is ""; the writer compared it with "" ("no version stored yet") and never
marked it latest, which hid it from every read path.  Such an id has exactly one stored version
(a re-import finds it unchanged): it is marked latest here.  SCOs carry no side rows but
external ids, which the rare SCO with ``external_references`` gets on its next new version.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    objects = sa.table("stix_objects", sa.column("stix_id", sa.String), sa.column("modified", sa.String),
                       sa.column("is_latest", sa.Boolean))
    other = objects.alias("other")
    op.execute(objects.update()
               .where(objects.c.modified == "", objects.c.is_latest.is_(sa.false()),
                      ~sa.exists().where(other.c.stix_id == objects.c.stix_id, other.c.is_latest.is_(sa.true())))
               .values(is_latest=sa.true()))


def downgrade() -> None:
    """Nothing to undo: the rows were latest all along."""

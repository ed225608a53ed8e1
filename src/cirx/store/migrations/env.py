"""Alembic environment: runs on the connection cirx hands over in ``config.attributes``."""

from __future__ import annotations

from alembic import context

# Importing these registers their tables on Base.metadata for autogenerate.
import cirx.access.tables
import cirx.analysis.norms.tables
import cirx.federation.tables
import cirx.taxii.tables  # noqa: F401
from cirx.store.schema import Base

connection = context.config.attributes["connection"]


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave the FTS5 table and its shadow tables (made by migration 0002) out of autogenerate."""
    return not (type_ == "table" and name is not None and name.startswith("search_fts"))


context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  include_object=include_object)
with context.begin_transaction():
    context.run_migrations()

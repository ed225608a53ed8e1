"""Full-text search over names, aliases and descriptions.

SQLite: an FTS5 table with ``search_documents`` as external content, kept in
step by triggers.  PostgreSQL: a generated ``tsvector`` column with a GIN index.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE_UP = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        name, aliases, description,
        content='search_documents', content_rowid='pk',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts(rowid, name, aliases, description)
        VALUES (new.pk, new.name, new.aliases, new.description);
    END""",
    """CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, aliases, description)
        VALUES ('delete', old.pk, old.name, old.aliases, old.description);
    END""",
    """CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, aliases, description)
        VALUES ('delete', old.pk, old.name, old.aliases, old.description);
        INSERT INTO search_fts(rowid, name, aliases, description)
        VALUES (new.pk, new.name, new.aliases, new.description);
    END""",
]
_POSTGRES_UP = [
    """ALTER TABLE search_documents ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(aliases, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'B')) STORED""",
    "CREATE INDEX ix_search_documents_document ON search_documents USING GIN (document)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_UP if dialect == "sqlite" else _POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_document")
        op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS document")

"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector): one function, two dialects.

The user's text is split into words and every word must match (AND), in the
name, the aliases or the description; results come best first.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, column, func, literal_column, select, table, text
from sqlalchemy.sql.elements import ColumnElement

from cirx.store.schema import SearchDocument

_WORD = re.compile(r"[\w][\w.\-']*", re.UNICODE)


def words(query: str) -> list[str]:
    """The searchable words of a user's query (punctuation and operators dropped)."""
    return [w.strip(".-'") for w in _WORD.findall(query) if w.strip(".-'")]


def matching_ids(dialect: str, query: str) -> Select[Any, Any]:
    """A SELECT of ``(stix_id, rank)`` for documents matching every word of ``query``.

    Lower rank is better on both backends.
    """
    terms = words(query)
    if not terms:
        return select(SearchDocument.stix_id, literal_column("0.0").label("rank")).where(text("1 = 0"))
    if dialect == "sqlite":
        fts = table("search_fts", column("rowid"), column("rank"))
        expression = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        rank: ColumnElement[float] = fts.c.rank
        return (
            select(SearchDocument.stix_id, rank.label("rank"))
            .join(fts, fts.c.rowid == SearchDocument.pk)
            .where(text("search_fts MATCH :fts_query").bindparams(fts_query=expression))
        )
    document: ColumnElement[Any] = literal_column("search_documents.document")
    every_word = [
        document.op("@@")(
            func.plainto_tsquery("english", term).op("||")(func.plainto_tsquery("simple", term))
        )
        for term in terms
    ]
    rank_expr = (-func.ts_rank(document, func.plainto_tsquery("simple", " ".join(terms)))).label("rank")
    return select(SearchDocument.stix_id, rank_expr).where(*every_word)

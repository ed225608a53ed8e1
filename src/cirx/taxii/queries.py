"""Filtering and paging of TAXII 2.1 reads over ``stix_objects``.

TAXII 2.1 (section 3, "Sorting", "Pagination", "Filtering") sorts results by
date added and pages them with ``limit``, ``next`` and ``more``, or with
``added_after`` and the ``X-TAXII-Date-Added-Last`` header, and narrows them
with the ``match[id|type|version|spec_version]`` filters.

Every page is one keyset query: ``added_seq > cursor ... ORDER BY added_seq
LIMIT n + 1`` on the ``ix_stix_objects_added`` index, so its cost does not
grow with the collection.  ``next`` is an opaque encoding of the last
``added_seq`` served.  ``added_after`` (a ``date_added``, i.e. ``added_at``)
is turned into an ``added_seq`` bound by a binary search over that index: the
writer gives every stored version a larger ``added_seq`` *and* a later
``added_at`` than the one before, so the two orders agree.  The
``added_at > t`` condition is kept in the query as well, so results stay exact
even if that ever stopped being true.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Select,
    String,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from cirx.errors import InvalidInput
from cirx.model.ids import is_timestamp
from cirx.model.stix import normalise_timestamp
from cirx.store.schema import StixObject

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
VERSION_WORDS = ("last", "first", "all")


@dataclass(frozen=True)
class Filters:
    """The filters and paging parameters of one request (TAXII 2.1 section 3, "Filtering")."""

    limit: int = DEFAULT_LIMIT
    after_seq: int = 0
    added_after: str | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    """One page of rows, in ``added_seq`` order, and how to ask for the next one."""

    rows: Sequence[Any]
    more: bool
    next: str | None

    @property
    def first_added(self) -> str | None:
        """``date_added`` of the first row (``X-TAXII-Date-Added-First``)."""
        return self.rows[0].added_at if self.rows else None

    @property
    def last_added(self) -> str | None:
        """``date_added`` of the last row (``X-TAXII-Date-Added-Last``)."""
        return self.rows[-1].added_at if self.rows else None


def _values(params: Any, key: str) -> tuple[str, ...]:
    """Comma-separated values of a parameter that may also be repeated."""
    return tuple(v.strip() for raw in params.getlist(key) for v in raw.split(",") if v.strip())


def parse_filters(params: Any, matches: Sequence[str]) -> Filters:
    """Read ``limit``, ``next``, ``added_after`` and the ``match[...]`` fields in ``matches`` (TAXII 2.1 section 3).

    ``match[version]`` defaults to ``last``.  Unsupported ``match`` fields are ignored; a malformed
    value is a 400.
    """
    limit = DEFAULT_LIMIT
    if "limit" in params:
        try:
            limit = int(params["limit"])
        except ValueError:
            raise InvalidInput(f"limit {params['limit']!r} is not a whole number") from None
        if limit < 1:
            raise InvalidInput("limit must be at least 1")
        limit = min(limit, MAX_LIMIT)
    after_seq = decode_next(params["next"]) if params.get("next") else 0
    added_after = None
    if params.get("added_after"):
        added_after = _timestamp(params["added_after"], "added_after")
    versions: tuple[str, ...] = ()
    if "version" in matches:
        raw = _values(params, "match[version]") or ("last",)
        versions = tuple(v if v in VERSION_WORDS else _timestamp(v, "match[version]") for v in raw)
    return Filters(
        limit=limit, after_seq=after_seq, added_after=added_after,
        ids=_values(params, "match[id]") if "id" in matches else (),
        types=_values(params, "match[type]") if "type" in matches else (),
        versions=versions,
        spec_versions=_values(params, "match[spec_version]") if "spec_version" in matches else (),
    )


def _timestamp(value: str, name: str) -> str:
    if not is_timestamp(value):
        raise InvalidInput(f"{name} {value!r} is not a timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)")
    return normalise_timestamp(value)


def encode_next(seq: int) -> str:
    """The opaque ``next`` of a page that ended at ``added_seq`` ``seq``."""
    return base64.urlsafe_b64encode(f"cirx:{seq}".encode()).decode().rstrip("=")


def decode_next(token: str) -> int:
    """The ``added_seq`` a ``next`` value stands for; 400 when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, seq = text.partition(":")
        if prefix == "cirx" and seq.isdigit():
            return int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput(f"next {token[:40]!r} is not a value this server gave")


def render_version(modified: str, added_at: str) -> str:
    """An object version as TAXII shows it: ``modified`` (milliseconds when exact), else ``date_added``."""
    if not modified:
        return added_at
    return modified[:-4] + "Z" if modified.endswith("000Z") and len(modified) == 27 else modified


def _plain(column: Any, dialect: str) -> Any:
    """``column`` as a term SQLite will not drive an index with (unary ``+``); itself elsewhere.

    Without statistics SQLite would pick ``ix_stix_objects_type_latest`` for
    ``is_latest``/``type`` and then sort the whole collection by ``added_seq``.
    """
    if dialect != "sqlite":
        return column
    kind = Boolean() if column.key == "is_latest" else String()
    return literal_column(f"+{StixObject.__tablename__}.{column.key}", type_=kind)


def filter_conditions(filters: Filters, dialect: str) -> list[ColumnElement[bool]]:
    """The ``match[...]`` filters as SQL conditions on ``stix_objects``."""
    conditions: list[ColumnElement[bool]] = []
    if filters.ids:
        conditions.append(StixObject.stix_id.in_(filters.ids))
    if filters.types:
        conditions.append(_plain(StixObject.type, dialect).in_(filters.types))
    if filters.spec_versions:
        conditions.append(StixObject.spec_version.in_(filters.spec_versions))
    if filters.versions and "all" not in filters.versions:
        wanted: list[ColumnElement[bool]] = []
        stamps = [v for v in filters.versions if v not in VERSION_WORDS]
        if "last" in filters.versions:
            wanted.append(_plain(StixObject.is_latest, dialect).is_(True))
        if "first" in filters.versions:
            older = aliased(StixObject)
            wanted.append(~exists().where(older.stix_id == StixObject.stix_id, older.modified < StixObject.modified))
        if stamps:
            wanted.append(StixObject.modified.in_(stamps))
        conditions.append(or_(*wanted))
    return conditions


def first_seq_after(connection: Connection, moment: str) -> int:
    """The smallest ``added_seq`` of a version added after ``moment`` (one past the last if none).

    A binary search over the ``added_seq`` index (a few dozen index probes at
    a million rows); it relies on ``added_at`` growing with ``added_seq``.
    """
    lowest, highest = connection.execute(select(
        select(func.min(StixObject.added_seq)).scalar_subquery(),
        select(func.max(StixObject.added_seq)).scalar_subquery())).one()
    if lowest is None:
        return 1

    def added_from(seq: int) -> str:
        probe = (select(StixObject.added_at).where(StixObject.added_seq >= seq)
                 .order_by(StixObject.added_seq).limit(1))
        return str(connection.execute(probe).scalar() or "")

    if added_from(highest) <= moment:
        return int(highest) + 1
    low, high = int(lowest), int(highest)
    while low < high:
        middle = (low + high) // 2
        if added_from(middle) > moment:
            high = middle
        else:
            low = middle + 1
    return low


def page_query(connection: Connection, columns: Sequence[Any], where: Sequence[ColumnElement[bool]],
               filters: Filters) -> Select[Any]:
    """The keyset query of one page: ``added_seq``, ``added_at`` and ``columns`` of matching rows."""
    conditions = [*filter_conditions(filters, connection.dialect.name), *where]
    lower = filters.after_seq
    if filters.added_after is not None:
        lower = max(lower, first_seq_after(connection, filters.added_after) - 1)
        conditions.append(StixObject.added_at > filters.added_after)
    if lower:
        conditions.append(StixObject.added_seq > lower)
    return (select(StixObject.added_seq, StixObject.added_at, *columns).where(*conditions)
            .order_by(StixObject.added_seq).limit(filters.limit + 1))


def fetch_page(connection: Connection, columns: Sequence[Any], where: Sequence[ColumnElement[bool]],
               filters: Filters) -> Page:
    """One page of rows matching ``where`` and the filters, with ``more`` and ``next``."""
    rows = connection.execute(page_query(connection, columns, where, filters)).all()
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    return Page(rows, more, encode_next(rows[-1].added_seq) if more else None)


def page_sql(connection: Connection, columns: Sequence[Any], where: Sequence[ColumnElement[bool]],
             filters: Filters) -> str:
    """The SQL of a page query with its values inlined (for ``EXPLAIN QUERY PLAN`` in tests and benches)."""
    query = page_query(connection, columns, where, filters)
    return str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))

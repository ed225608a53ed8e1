"""A small cache for what is pure for one store state and one audience.

Some answers (the ATT&CK matrix layout, a state's norms profile, attribution
profiles, the names a report is matched against) are costly to compute and
only change when the store does.  :func:`cached` keeps them per audience (the
access policy decides what goes in, so two organisations never share an entry:
see :attr:`Principal.audience`) and per :func:`store_state`, a
fingerprint read in one cheap query: any import, new version, change of
audience or norms record moves it, and the stale entry is simply never asked
for again (the cache is bounded, oldest out first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select

from cirx.access.policy import Principal
from cirx.access.tables import ObjectAudience
from cirx.analysis.norms.tables import CountryCapacity, NormJudgement, NormResponse
from cirx.errors import StoreError
from cirx.store.schema import StixObject

T = TypeVar("T")

_ENTRIES = 64
_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_LOCK = threading.Lock()
_BUILDING: dict[tuple[Any, ...], threading.Lock] = {}


def store_state(engine: Engine) -> tuple[Any, ...]:
    """A fingerprint of the store: highest row number and row count of objects, audiences and norms tables."""
    parts: list[Any] = []
    for table in (StixObject, ObjectAudience, NormResponse, NormJudgement, CountryCapacity):
        parts += [select(func.max(table.pk)).scalar_subquery(), select(func.count()).select_from(table)
                  .scalar_subquery()]
    try:
        with engine.connect() as connection:
            row = connection.execute(select(*parts)).one()
    except Exception as exc:  # a missing table or a broken connection: never serve a stale entry
        raise StoreError(f"the store could not answer: {exc}") from exc
    return tuple(row)


def cached(kind: str, engine: Engine, principal: Principal, build: Callable[[], T], *extra: Any) -> T:
    """``build()`` for this audience and store state, computed once and then served from memory.

    Concurrent callers missing the same entry wait for the first one's build instead of each building it
    (a cold process hit by twenty page views at once builds once).
    """
    key = (kind, str(engine.url), id(engine), principal.audience, store_state(engine), *extra)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            found: T = _CACHE[key]
            return found
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:
        with _LOCK:
            if key in _CACHE:  # built while this caller waited
                _CACHE.move_to_end(key)
                built: T = _CACHE[key]
                return built
        try:
            value = build()
            with _LOCK:
                _CACHE[key] = value
                while len(_CACHE) > _ENTRIES:
                    _CACHE.popitem(last=False)
        finally:
            with _LOCK:
                _BUILDING.pop(key, None)
    return value


def clear() -> None:
    """Forget every entry (tests)."""
    with _LOCK:
        _CACHE.clear()
        _BUILDING.clear()

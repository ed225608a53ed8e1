"""The incident filters of the workspace (years, type, sector, initiator category, parties, text).

Every chart and list of a page reads the same :class:`IncidentFilter`, built
from the page's query string by :func:`incident_filter`, so a filter applies to
everything on the page (and to the CSV downloads, which keep the query).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request

from cirx.errors import InvalidInput
from cirx.model.countries import to_iso2
from cirx.model.incident import INCIDENT_TYPES, INITIATOR_CATEGORIES
from cirx.model.vocab import sector_vocabulary
from cirx.store.reader import IncidentFilter


@dataclass(frozen=True)
class FilterOptions:
    """The choices the filter form offers (from cirx's vocabularies, never from the data)."""

    types: tuple[str, ...]
    sectors: tuple[str, ...]
    categories: tuple[str, ...]


@lru_cache(maxsize=1)
def filter_options() -> FilterOptions:
    """Incident types, sectors and initiator categories, sorted for the form."""
    return FilterOptions(types=tuple(sorted(INCIDENT_TYPES)), sectors=tuple(sorted(sector_vocabulary())),
                         categories=INITIATOR_CATEGORIES)


def _year(value: str | None, field: str, *, end: bool) -> str | None:
    if not value:
        return None
    value = value.strip()
    if len(value) == 4 and value.isdigit():
        return f"{value}-12-31" if end else f"{value}-01-01"
    if len(value) >= 7 and value[:4].isdigit():
        return value
    raise InvalidInput(f"filter {field!r}: {value!r} is not a year (YYYY) or a date (YYYY-MM-DD)")


def _country(value: str | None, field: str) -> str | None:
    if not value:
        return None
    iso2 = to_iso2(value.strip()) or (value.strip().upper() if len(value.strip()) == 2 else None)
    if iso2 is None:
        raise InvalidInput(f"filter {field!r}: {value!r} is not a country name or ISO 3166 code")
    return iso2


def incident_filter(request: Request) -> IncidentFilter:
    """The filter from the page's query string; a bad value raises :class:`InvalidInput` naming the field."""
    q = request.query_params
    category = q.get("initiator_category") or None
    if category and category not in INITIATOR_CATEGORIES:
        raise InvalidInput(f"filter 'initiator_category': {category!r} is not one of {', '.join(INITIATOR_CATEGORIES)}")
    return IncidentFilter(
        initiator=_country(q.get("initiator"), "initiator"), receiver=_country(q.get("receiver"), "receiver"),
        type=q.get("type") or None, sector=q.get("sector") or None, actor=q.get("actor") or None,
        initiator_category=category, since=_year(q.get("since"), "since", end=False),
        until=_year(q.get("until"), "until", end=True), text=(q.get("q") or "").strip() or None)


IncidentFilterDep = Annotated[IncidentFilter, Depends(incident_filter)]


# -- the list fields of forms (the attribution desk, the review desk) ------------------------------


def split_values(text: str, *, spaces: bool = False) -> list[str]:
    """The values of a list field: separated by commas, semicolons or new lines (and spaces when ``spaces``)."""
    pattern = r"[,;\n\r\t ]+" if spaces else r"[,;\n\r]+"
    return list(dict.fromkeys(v.strip() for v in re.split(pattern, text) if v.strip()))


def country_codes(field: str, text: str, errors: dict[str, str]) -> list[str]:
    """ISO codes from a list field of codes or names; the first unknown one goes to ``errors[field]``."""
    codes = []
    for value in split_values(text):
        iso2 = to_iso2(value)
        if iso2 is None:
            errors[field] = f"{field}: {value!r} is not a country (give an ISO code or a name)"
            return []
        codes.append(iso2)
    return list(dict.fromkeys(codes))

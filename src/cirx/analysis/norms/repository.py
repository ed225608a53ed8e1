"""Storage of the norms feature: analysts' responses and judgements, capacity scores (SQLAlchemy 2.0)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cirx.analysis.norms import frameworks
from cirx.analysis.norms.responses import record
from cirx.analysis.norms.tables import CountryCapacity, NormJudgement, NormResponse
from cirx.errors import InvalidInput, NotFound, StoreError
from cirx.model.countries import to_iso2
from cirx.model.ids import now_timestamp

_RESPONSE_COLUMNS = ("incident_id", "type", "rank", "date", "actor", "actor_country", "target_country",
                     "outcome", "source", "source_url", "note", "author")


class NormsRepository:
    """Reads and writes the norms tables; callers narrow what a principal may see."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- responses ----------------------------------------------------------------------

    def add_response(self, response: dict[str, Any], *, author: str) -> dict[str, Any]:
        """Store an analyst's response (same ``id``: replaced); returns it as a record."""
        outcome = response.get("outcome")
        if outcome and outcome not in frameworks.load("responses")["outcomes"]:
            raise InvalidInput(f"outcome {outcome!r}: choose one of {', '.join(frameworks.load('responses')['outcomes'])}")
        made = record(incident=response.get("incident"), type_id=str(response["type"]), source="analyst",
                      key=str(response.get("key") or now_timestamp()), date_=response.get("date"),
                      actor=response.get("actor"), actor_country=_country(response.get("actor_country")),
                      target_country=_country(response.get("target_country")), outcome=outcome,
                      note=response.get("note"), source_url=response.get("source_url"), author=author)
        row = {"response_id": made["id"], "incident_id": made["incident"], "created_at": now_timestamp(),
               **{c: made.get(c) for c in _RESPONSE_COLUMNS if c != "incident_id"}}
        self._write([delete(NormResponse).where(NormResponse.response_id == made["id"]),
                     insert(NormResponse).values(**row)])
        return made

    def responses(self, *, incidents: Iterable[str] | None = None,
                  states: tuple[str, str] | None = None) -> list[dict[str, Any]]:
        """Stored responses to some incidents, or between two states (either way), or all."""
        query = select(NormResponse)
        if incidents is not None:
            ids = list(incidents)
            if not ids:
                return []
            query = query.where(NormResponse.incident_id.in_(ids))
        if states is not None:
            a, b = states
            query = query.where(or_((NormResponse.actor_country == a) & (NormResponse.target_country == b),
                                    (NormResponse.actor_country == b) & (NormResponse.target_country == a)))
        return [_response(row) for row in self._scalars(query.order_by(NormResponse.pk))]

    # -- judgements ---------------------------------------------------------------------

    def add_judgement(self, incident_id: str, subject: str, status: str, *, author: str,
                      reason: str | None = None) -> dict[str, Any]:
        """Record an analyst's judgement (kept for ever; the latest per subject applies)."""
        if not author.strip():
            raise InvalidInput("a judgement needs its author")
        row = {"incident_id": incident_id, "subject": subject, "status": status, "author": author.strip(),
               "reason": reason, "created_at": now_timestamp()}
        self._write([insert(NormJudgement).values(**row)])
        return {**row, "at": row["created_at"]}

    def judgements(self, incident_ids: Iterable[str] | None = None) -> dict[str, list[dict[str, Any]]]:
        """Judgements by incident, oldest first."""
        query = select(NormJudgement).order_by(NormJudgement.pk)
        if incident_ids is not None:
            query = query.where(NormJudgement.incident_id.in_(list(incident_ids)))
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self._scalars(query):
            found[row.incident_id].append({"subject": row.subject, "status": row.status, "author": row.author,
                                           "reason": row.reason, "at": row.created_at})
        return dict(found)

    # -- capacity -----------------------------------------------------------------------

    def import_capacity(self, path: Path, *, edition: str, columns: dict[str, str],
                        country_column: str = "Country", source: str | None = None) -> dict[str, Any]:
        """Load capacity scores from a CSV: one row per country, one column per index.

        ``columns`` maps an index name (``gci``) to its column header; a score of
        0 or an empty cell means "not assessed" and is skipped.  Rows naming no
        country cirx knows are reported, not imported.
        """
        if not path.is_file():
            raise NotFound(f"{path}: no such file")
        rows, unknown = [], []
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in [country_column, *columns.values()] if c not in (reader.fieldnames or ())]
            if missing:
                raise InvalidInput(f"{path.name}: no column(s) {', '.join(missing)}; "
                                   f"found {', '.join(reader.fieldnames or ())}")
            for line in reader:
                iso2 = to_iso2(line[country_column])
                if iso2 is None:
                    unknown.append(line[country_column])
                    continue
                for index, column in columns.items():
                    try:
                        score = float(line[column])
                    except (TypeError, ValueError):
                        continue
                    if score > 0:
                        rows.append({"iso2": iso2, "index_name": index, "edition": edition, "score": score,
                                     "source": source or path.name})
        statements: list[Any] = [delete(CountryCapacity).where(CountryCapacity.edition == edition,
                                                               CountryCapacity.index_name.in_(list(columns)))]
        if rows:
            statements.append(insert(CountryCapacity).values(rows))
        self._write(statements)
        return {"scores": len(rows), "countries": len({r["iso2"] for r in rows}), "unknown_countries": unknown}

    def capacity(self) -> dict[str, dict[str, float]]:
        """The latest edition's score per country and index: ``{"EE": {"gci": 99.5, ...}}``."""
        query = select(CountryCapacity).order_by(CountryCapacity.edition)
        found: dict[str, dict[str, float]] = defaultdict(dict)
        for row in self._scalars(query):
            found[row.iso2][row.index_name] = row.score
        return dict(found)

    # -- plumbing -----------------------------------------------------------------------

    def _write(self, statements: list[Any]) -> None:
        try:
            with self._engine.begin() as connection:
                for statement in statements:
                    connection.execute(statement)
        except DBAPIError as exc:
            raise StoreError(f"the store could not save: {exc.orig}") from exc

    def _scalars(self, query: Any) -> list[Any]:
        try:
            with Session(self._engine) as session:
                return list(session.scalars(query).all())
        except DBAPIError as exc:
            raise StoreError(f"the store could not answer: {exc.orig}") from exc


def _country(value: Any) -> str | None:
    if not value:
        return None
    code = to_iso2(str(value))
    if code is None:
        raise InvalidInput(f"{value!r} names no country (give an ISO code such as UA)")
    return code


def _response(row: NormResponse) -> dict[str, Any]:
    rung = frameworks.ladder().get(row.type)
    return {"id": row.response_id, "incident": row.incident_id, "type": row.type, "rank": row.rank,
            "label": rung.label if rung else row.type, "legal_category": rung.legal_category if rung else None,
            "date": row.date, "actor": row.actor, "actor_country": row.actor_country,
            "target_country": row.target_country, "outcome": row.outcome, "source": row.source,
            "source_url": row.source_url, "note": row.note, "author": row.author, "created_at": row.created_at}

"""The norms service: assessments, judgements, responses, state profiles and trends over the store.

It reads through a :class:`StixReader`, so the access policy narrows every
answer to what the reader's principal may see: an assessment, a response or a
judgement of an incident the principal cannot see is never shown or counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, case, func, select

from cirx.analysis.norms import assess as assessment
from cirx.analysis.norms import frameworks, profiles, trends
from cirx.analysis.norms.norm_rules import Context
from cirx.analysis.norms.repository import NormsRepository
from cirx.analysis.norms.responses import derived, timeline
from cirx.errors import InvalidInput, NotFound
from cirx.model.countries import to_iso2
from cirx.model.country_profile import country_properties
from cirx.services.incidents import IncidentService
from cirx.store.reader import IncidentFilter, StixReader
from cirx.store.schema import Incident, IncidentDyad, IncidentFacet


class NormsService:
    """Norms, international law, responses and trends for one reader (one principal)."""

    def __init__(self, engine: Engine, reader: StixReader) -> None:
        self._engine = engine
        self._reader = reader
        self.repository = NormsRepository(engine)

    # -- assessments --------------------------------------------------------------------

    def assess(self, reference: str, *, threshold: str = "likely") -> dict[str, Any]:
        """The assessment of one incident (STIX id or SOURCE:ID) with analysts' judgements applied."""
        frameworks.likelihood(threshold)
        incident = IncidentService(self._reader).show(reference)
        stored = self.repository.responses(incidents=[incident["id"]])
        context = Context(threshold=threshold, responses=tuple(derived(incident) + stored),
                          capacity=self.repository.capacity())
        result = assessment.assess(incident, context)
        return assessment.apply_judgements(result, self.repository.judgements([incident["id"]]).get(incident["id"], []))

    def assess_all(self, *, threshold: str = "likely") -> Iterator[dict[str, Any]]:
        """The assessment of every visible incident, streamed in store order."""
        frameworks.likelihood(threshold)
        capacity = self.repository.capacity()
        judgements = self.repository.judgements()
        stored = self._stored_by_incident()
        for incident in self._reader.iter_latest(["incident"]):
            context = Context(threshold=threshold, capacity=capacity,
                              responses=tuple(derived(incident) + stored.get(incident["id"], [])))
            result = assessment.assess(incident, context)
            yield assessment.apply_judgements(result, judgements.get(incident["id"], []))

    def judge(self, reference: str, subject: str, status: str, *, author: str,
              reason: str | None = None, threshold: str = "likely") -> dict[str, Any]:
        """Confirm or override one item of an incident's assessment; returns the assessment after it."""
        subject, status = assessment.check_judgement(subject, status)
        incident = IncidentService(self._reader).show(reference)
        self.repository.add_judgement(incident["id"], subject, status, author=author, reason=reason)
        return self.assess(incident["id"], threshold=threshold)

    # -- responses ----------------------------------------------------------------------

    def responses(self, *, incident: str | None = None, dyad: str | None = None) -> list[dict[str, Any]]:
        """The response timeline of an incident, of a dyad (``US-RU``, either direction), or of all."""
        if incident:
            found = IncidentService(self._reader).show(incident)
            return timeline(derived(found) + self.repository.responses(incidents=[found["id"]]))
        states = _dyad(dyad) if dyad else None
        picked: list[dict[str, Any]] = []
        for doc in self._reader.iter_latest(["incident"]):
            picked += [r for r in derived(doc) if states is None or _between(r, states)]
        stored = self.repository.responses(states=states)
        visible = self._visible([r["incident"] for r in stored if r["incident"]])
        return timeline(picked + [r for r in stored if not r["incident"] or r["incident"] in visible])

    def add_response(self, response: dict[str, Any], *, author: str) -> dict[str, Any]:
        """Record a response (type from the ladder); its incident, if named, must be visible."""
        if response.get("incident"):
            response = {**response, "incident": IncidentService(self._reader).show(str(response["incident"]))["id"]}
        return self.repository.add_response(response, author=author)

    # -- profiles -----------------------------------------------------------------------

    def profile(self, reference: str, *, threshold: str = "likely") -> dict[str, Any]:
        """One country's profile (ISO code or name)."""
        iso2 = to_iso2(reference)
        if iso2 is None:
            raise NotFound(f"no country {reference!r} (give an ISO 3166-1 code such as UA)")
        return self.profiles({iso2}, threshold=threshold)[iso2]

    def profiles(self, countries: set[str] | None = None, *, threshold: str = "likely") -> dict[str, dict[str, Any]]:
        """Profiles of ``countries`` (every country the incidents name when None), in one pass."""
        stored = self._stored_by_incident()
        unlinked = [r for r in self.repository.responses() if not r["incident"]]
        return profiles.build_profiles(
            self._reader.iter_latest(["incident"]), countries=countries, stored_responses=stored,
            unlinked_responses=unlinked, capacity=self.repository.capacity(), galaxy=self._galaxy(),
            threshold=threshold)

    # -- trends -------------------------------------------------------------------------

    def rows(self, where: IncidentFilter, *, intensity: bool = True) -> list[trends.IncidentRow]:
        """The incidents passing the filter as statistics rows, read from the index tables."""
        ids = self._reader.incident_ids(where).subquery()
        initiators: dict[str, list[str]] = defaultdict(list)
        receivers: dict[str, list[str]] = defaultdict(list)
        types: dict[str, list[str]] = defaultdict(list)
        with self._engine.connect() as connection:
            for stix_id, a, b in connection.execute(select(IncidentDyad.stix_id, IncidentDyad.initiator,
                                                           IncidentDyad.receiver)
                                                    .join(ids, ids.c.stix_id == IncidentDyad.stix_id)):
                if a and a not in initiators[stix_id]:
                    initiators[stix_id].append(a)
                if b and b not in receivers[stix_id]:
                    receivers[stix_id].append(b)
            for stix_id, value in connection.execute(select(IncidentFacet.stix_id, IncidentFacet.value)
                                                     .join(ids, ids.c.stix_id == IncidentFacet.stix_id)
                                                     .where(IncidentFacet.facet == "type")):
                types[stix_id].append(value)
            columns: list[Any] = [Incident.stix_id, Incident.start_date]
            query = select(*columns).join(ids, ids.c.stix_id == Incident.stix_id)
            if intensity:
                query = query.add_columns(Incident.intensity)
            rows: list[trends.IncidentRow] = []
            for row in connection.execute(query.order_by(Incident.stix_id)):
                level = row[2] if intensity else None
                rows.append(trends.IncidentRow(
                    id=row[0], initiators=tuple(initiators.get(row[0], ())), receivers=tuple(receivers.get(row[0], ())),
                    start_date=row[1], types=tuple(types.get(row[0], ())),
                    intensity=float(level) if level is not None else None))
        return rows

    def dyad_trends(self, where: IncidentFilter, *, intensity: bool = True) -> list[dict[str, Any]]:
        """Directed dyads by year, type and intensity (mean and maximum), grouped in the database."""
        d = IncidentDyad
        pair = (d.initiator, d.receiver)
        known: list[Any] = [d.initiator.is_not(None), d.receiver.is_not(None), d.initiator != d.receiver]
        restriction = self._restriction(where)
        if restriction is not None:
            known.append(d.stix_id.in_(restriction))
        by_year = select(*pair, d.year, func.count()).where(*known).group_by(*pair, d.year)
        by_type = (select(*pair, IncidentFacet.value, func.count())
                   .join(IncidentFacet, (IncidentFacet.stix_id == d.stix_id) & (IncidentFacet.facet == "type"))
                   .where(*known).group_by(*pair, IncidentFacet.value))
        # The intensity is a column of the incidents table (derived on write).
        levels = (select(*pair, func.sum(Incident.intensity), func.count(Incident.intensity),
                         func.max(Incident.intensity))
                  .join(Incident, Incident.stix_id == d.stix_id).where(*known).group_by(*pair))
        count: dict[Any, int] = {}
        years: dict[Any, int] = {}
        with self._engine.connect() as connection:
            grouped: list[Any] = list(connection.execute(by_year).all())
            typed: list[Any] = list(connection.execute(by_type).all())
            measured: list[Any] = list(connection.execute(levels).all()) if intensity else []
        for a, b, year, n in grouped:
            count[(a, b)] = count.get((a, b), 0) + n
            if year is not None:
                years[(a, b, int(year))] = n
        means = {(a, b): (float(total) / n, float(top)) for a, b, total, n, top in measured if n}
        return trends.assemble_dyads(count, years, {(a, b, kind): n for a, b, kind, n in typed}, means)

    def _restriction(self, where: IncidentFilter) -> Any:
        """The SELECT of incident ids the filter and the access policy allow; None when they allow all."""
        if where == IncidentFilter() and self._reader.principal.is_platform_admin:
            return None
        return self._reader.incident_ids(where)

    def rivalries(self, where: IncidentFilter, *, top: int | None = None) -> list[dict[str, Any]]:
        """State pairs with the most incidents, either direction, aggregated in the database."""
        ids = self._reader.incident_ids(where).subquery()
        d = IncidentDyad
        low = case((d.initiator < d.receiver, d.initiator), else_=d.receiver)
        high = case((d.initiator < d.receiver, d.receiver), else_=d.initiator)
        known = (d.initiator.is_not(None), d.receiver.is_not(None), d.initiator != d.receiver)
        pairs = (select(low, high, func.count(func.distinct(d.stix_id)), func.min(d.year), func.max(d.year))
                 .join(ids, ids.c.stix_id == d.stix_id).where(*known).group_by(low, high))
        initiators = (select(low, high, d.initiator, func.count(func.distinct(d.stix_id)))
                      .join(ids, ids.c.stix_id == d.stix_id).where(*known).group_by(low, high, d.initiator))
        with self._engine.connect() as connection:
            count, years = {}, {}
            for a, b, n, first, last in connection.execute(pairs):
                count[(a, b)] = n
                if first is not None:
                    years[(a, b)] = (first, last)
            by_initiator = {(a, b, i): n for a, b, i, n in connection.execute(initiators)}
        return trends.assemble_rivalries(count, by_initiator, years, top)

    def escalation(self, where: IncidentFilter, *, min_rank: int = 7, within_days: int = 365) -> dict[str, Any]:
        """Share of incidents followed by a response of rank >= ``min_rank`` within ``within_days`` days."""
        rows = self.rows(where, intensity=False)
        wanted = {r.id for r in rows}
        stored = self._stored_by_incident()
        linked: dict[str, list[dict[str, Any]]] = {}
        for doc in self._reader.iter_latest(["incident"]):
            if doc["id"] in wanted:
                found = derived(doc) + stored.get(doc["id"], [])
                if found:
                    linked[doc["id"]] = found
        unlinked = [r for r in self.repository.responses() if not r["incident"]]
        return trends.escalation(rows, linked, min_rank=min_rank, within_days=within_days, unlinked=unlinked)

    # -- plumbing -----------------------------------------------------------------------

    def _visible(self, incident_ids: list[str]) -> set[str]:
        return set(self._reader.names(list(dict.fromkeys(incident_ids)))) if incident_ids else set()

    def _stored_by_incident(self) -> dict[str, list[dict[str, Any]]]:
        stored = [r for r in self.repository.responses() if r["incident"]]
        visible = self._visible([r["incident"] for r in stored])
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for response in stored:
            if response["incident"] in visible:
                found[response["incident"]].append(response)
        return dict(found)

    def _galaxy(self) -> dict[str, str]:
        found = {}
        for location in self._reader.iter_latest(["location"]):
            status = country_properties(location).get("budapest_convention")
            if status and location.get("country"):
                found[str(location["country"]).upper()] = str(status)
        return found


def _dyad(text: str) -> tuple[str, str]:
    parts = [p for p in text.replace(",", "-").replace("/", "-").split("-") if p.strip()]
    codes = [to_iso2(p.strip()) for p in parts]
    if len(codes) != 2 or None in codes:
        raise InvalidInput(f"dyad {text!r}: give two countries as US-RU")
    return str(codes[0]), str(codes[1])


def _between(response: dict[str, Any], states: tuple[str, str]) -> bool:
    pair = {response.get("actor_country"), response.get("target_country")}
    return pair == set(states)

"""``AttributionService``: attribution for the CLI, the REST API and Python callers.

Built over a :class:`~cirx.services.workspace.Workspace` (or a bare
:class:`~cirx.store.reader.StixReader`), so profiles hold only what the
caller may see.  The knowledge read from the store is cached per audience
(an organisation's users share it) until the store changes
(:mod:`cirx.services.cache`).
"""

from __future__ import annotations

import re
from typing import Any

from cirx.analysis.attribution.attributor import Attributor
from cirx.analysis.attribution.claims import agreement, records
from cirx.analysis.attribution.evidence import Evidence
from cirx.analysis.attribution.knowledge import Actor
from cirx.analysis.attribution.profiles import build_knowledge
from cirx.errors import NotFound
from cirx.model.actor import alias_key
from cirx.model.incident import ir_properties
from cirx.services.actors import attack_id
from cirx.services.incidents import IncidentService
from cirx.services.workspace import Workspace
from cirx.store.reader import StixReader

_ITEM_TYPES = ("attack-pattern", "malware", "tool")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)+)'")


class AttributionService:
    """Ranked, calibrated and explained attribution hypotheses over the store."""

    def __init__(self, source: Workspace | StixReader, *, calibration: dict[str, Any] | None = None) -> None:
        self._reader = source.reader if isinstance(source, Workspace) else source
        self._calibration = calibration

    def attributor(self) -> Attributor:
        """The scoring engine over the current store (built once per store state and audience)."""
        from cirx.services.cache import cached

        reader = self._reader
        return cached("attributor", reader.engine, reader.principal,
                      lambda: Attributor(build_knowledge(reader), self._calibration), id(self._calibration))

    def attribute(self, evidence: Evidence | dict[str, Any]) -> dict[str, Any]:
        """Hypotheses for evidence given as :class:`Evidence` or its JSON form."""
        if not isinstance(evidence, Evidence):
            evidence = Evidence.from_dict(evidence)
        attributor = self.attributor()
        if not attributor.index.actors:
            raise NotFound("the store holds no actor profiles: import ATT&CK first "
                           "(cirx import stix enterprise-attack.json)")
        return attributor.attribute(evidence)

    def incident_evidence(self, incident: dict[str, Any]) -> Evidence:
        """What a stored incident shows: related techniques, software and indicators, victims, sectors, date."""
        items: list[str] = []
        indicators: list[str] = []
        for edge in self._reader.relationships(incident["id"]):
            other = edge["target_ref"] if edge["source_ref"] == incident["id"] else edge["source_ref"]
            if other.startswith(_ITEM_TYPES):
                obj = self._reader.get(other)
                items.append(attack_id(obj) or other)
            elif other.startswith("indicator--"):
                pattern = str(self._reader.get(other).get("pattern") or "")
                indicators.extend(_QUOTED.findall(pattern))
        ir = ir_properties(incident)
        return Evidence(
            techniques=tuple(i for i in items if i.startswith(("T", "attack-pattern--"))),
            software=tuple(i for i in items if not i.startswith(("T", "attack-pattern--"))),
            indicators=tuple(dict.fromkeys(indicators)),
            victim_countries=tuple(ir.get("receiver_countries") or ()), sectors=tuple(ir.get("sectors") or ()),
            date=ir.get("start_date") or ir.get("disclosure_date"), notes=incident.get("description"))

    def attribute_incident(self, reference: str) -> dict[str, Any]:
        """Hypotheses for a stored incident (STIX id or SOURCE:ID), with its official attribution records."""
        incident = IncidentService(self._reader).show(reference)
        evidence = self.incident_evidence(incident)
        attributor = self.attributor()
        if not attributor.index.actors:
            raise NotFound("the store holds no actor profiles: import ATT&CK first "
                           "(cirx import stix enterprise-attack.json)")
        result = attributor.attribute(evidence, exclude_report=f"incident:{incident['id']}")
        claims = records(incident, self._resolver(attributor))
        found = agreement(claims)
        probability = {(h["kind"], h["id"]): h["probability"] for h in result["hypotheses"]}
        for entry in found["states"]:
            entry["evidence_probability"] = probability.get(("state", entry["value"]), 0.0)
        for entry in found["actors"]:
            entry["evidence_probability"] = probability.get(("group", entry["value"]))
        return {"incident": {"id": incident["id"], "name": incident.get("name")},
                "evidence_used": evidence.as_dict(), **result,
                "attribution_records": claims, "agreement": found}

    def records(self, reference: str) -> dict[str, Any]:
        """Only the official attribution records of an incident and where they agree."""
        incident = IncidentService(self._reader).show(reference)
        claims = records(incident, self._resolver(self.attributor()))
        return {"incident": {"id": incident["id"], "name": incident.get("name")},
                "attribution_records": claims, "agreement": agreement(claims)}

    @staticmethod
    def _resolver(attributor: Attributor) -> Any:
        actors = attributor.knowledge.actors
        by_name: dict[str, Actor] = {}
        for actor in actors.values():
            for name in (actor.key, actor.name, *actor.aliases, *actor.stix_ids):
                by_name.setdefault(alias_key(name) if not name.startswith(("intrusion-set--", "threat-actor--"))
                                   else name, actor)

        def resolve(name: str) -> Actor | None:
            return by_name.get(name) or by_name.get(alias_key(name))

        return resolve

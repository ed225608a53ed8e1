"""The workspace the web tests look at: public knowledge and datasets plus two organisations' secrets.

- the offline knowledge base, ATT&CK v18.1 and EuRepoC (TLP:CLEAR, from ../shared/data);
- organisations ``CERT-EE`` and ``CERT-PT``, each with a contributor token;
- CERT-EE's own incidents, invisible to CERT-PT: one TLP:AMBER ("Operation Glacier Amber",
  receiver Iceland) and one TLP:RED ("Operation Fjord Red", receiver Greenland, initiator Iceland),
  so a leak would show as a name, a count or a point on the map of countries with no public incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cirx import Platform, Settings
from cirx.access.tlp import TLP2_MARKINGS
from cirx.ingest.report import ImportReport
from cirx.model.incident import make_incident

SECRET_INCIDENTS = {"amber": ("Operation Glacier Amber", "IS", "RU"), "red": ("Operation Fjord Red", "GL", "IS")}


@dataclass(frozen=True)
class SeededWorkspace:
    """The seeded platform's settings and the tokens of its two organisations."""

    settings: Settings
    owner_token: str      # CERT-EE: sees its AMBER and RED incidents
    outsider_token: str   # CERT-PT: must see neither
    secret_ids: tuple[str, ...]


def seed(folder: Path, shared: Path) -> SeededWorkspace:
    """Build the workspace in ``folder`` (SQLite) from the datasets in ``shared`` (../shared/data)."""
    settings = Settings(database_url=f"sqlite:///{folder / 'cirx.db'}", data_dir=folder)
    platform = Platform(settings).init()
    try:
        platform.imports.knowledge_base()
        platform.imports.stix(shared / "attack" / "enterprise-attack-v18.1-no-campaigns.json")
        platform.imports.dataset("eurepoc", shared / "eurepoc")
        orgs = platform.organisations
        orgs.create("CERT-EE", country="EE", sector="government")
        orgs.create("CERT-PT", country="PT", sector="government")
        owner, _ = orgs.create_token("CERT-EE", role="contributor", user="analyst@cert.ee")
        outsider, _ = orgs.create_token("CERT-PT", role="contributor", user="analyst@cert.pt")
        secret_ids = []
        for level, (name, receiver, initiator) in SECRET_INCIDENTS.items():
            incident = make_incident(
                source="cert-ee", external_id=level, name=name, modified="2024-03-01T00:00:00.000Z",
                description=f"{name}: intrusion into a ministry network (seeded secret, TLP:{level.upper()}).",
                ir={"initiator_countries": [initiator], "receiver_countries": [receiver],
                    "initiator_category": "state", "incident_types": ["espionage"],
                    "sectors": ["government"], "start_date": "2024-02-01"})
            incident["object_marking_refs"] = [TLP2_MARKINGS[level]]
            access = platform.imports.access("CERT-EE", tlp=level)
            platform.writer.import_objects(iter([incident]), ImportReport(f"seed {level}"), access=access)
            secret_ids.append(incident["id"])
    finally:
        platform.close()
    return SeededWorkspace(settings, owner, outsider, tuple(secret_ids))

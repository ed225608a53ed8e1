"""Migrations on both backends: 0006 fills the intensity column, 0007 indexes audit owners, 0008 marks SCOs latest."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select, update

from cirx import Platform
from cirx.ingest.report import ImportReport
from cirx.model.incident import make_incident
from cirx.store.engine import MIGRATIONS
from cirx.store.schema import Incident, StixObject


def _alembic(platform: Platform, action: str, target: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with platform.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, target)


def test_intensity_is_derived_on_write_and_backfilled_by_its_migration(platform: Platform) -> None:
    incidents = [
        make_incident(source="probe", external_id=str(n), name=f"Probe {n}", modified="2024-01-01T00:00:00.000Z",
                      ir={"initiator_countries": ["RU"], "receiver_countries": ["UA"], "start_date": "2022-01-01",
                          **({"intensity": {"value": value, "scale": "eurepoc-weighted-cyber-intensity"}}
                             if value is not None else {})})
        for n, value in enumerate([3, 2.5, None])
    ]
    platform.writer.import_objects(iter(incidents), ImportReport("probe"))

    def levels() -> dict[str, float | None]:
        with platform.engine.connect() as connection:
            return dict(connection.execute(select(Incident.name, Incident.intensity)).all())  # type: ignore[arg-type]

    expected = {"Probe 0": 3.0, "Probe 1": 2.5, "Probe 2": None}
    assert levels() == expected
    _alembic(platform, "downgrade", "0005")
    _alembic(platform, "upgrade", "head")
    assert levels() == expected


def test_audit_owner_index_comes_and_goes_with_its_migration(platform: Platform) -> None:
    def indexes() -> set[str]:
        return {ix["name"] for ix in inspect(platform.engine).get_indexes("audit_events")}

    assert "ix_audit_events_owner" in indexes()
    _alembic(platform, "downgrade", "0006")
    assert "ix_audit_events_owner" not in indexes()
    _alembic(platform, "upgrade", "head")
    assert "ix_audit_events_owner" in indexes()


def test_observables_hidden_by_the_old_writer_are_marked_latest(platform: Platform) -> None:
    ip = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
          "value": "198.51.100.3"}
    platform.writer.import_objects(iter([ip]), ImportReport("probe"))
    _alembic(platform, "downgrade", "0007")
    with platform.engine.begin() as connection:  # what the writer before 0008 left behind
        connection.execute(update(StixObject).where(StixObject.stix_id == ip["id"]).values(is_latest=False))
    _alembic(platform, "upgrade", "head")
    assert platform.reader.get(ip["id"])["value"] == "198.51.100.3"

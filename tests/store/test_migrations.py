"""Migrations on both backends: 0006 fills the intensity column from the stored documents; 0007 indexes audit owners."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select

from cirx import Platform
from cirx.ingest.report import ImportReport
from cirx.model.incident import make_incident
from cirx.store.engine import MIGRATIONS
from cirx.store.schema import Incident


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

"""The country-profile extension of STIX 2.1 ``location`` objects.

A country in cirx is a STIX ``location`` with ``country`` set to its ISO
3166-1 alpha-2 code.  The properties that matter for international cyber
cooperation and that STIX has no place for travel in a STIX 2.1 property
extension under ``extensions[COUNTRY_EXTENSION_ID]``: the country's status
under the Council of Europe Convention on Cybercrime (Budapest Convention),
with the source's own value kept beside cirx's, and basic facts (ISO alpha-3,
capital, continent, population, UN M49 sub-region).
"""

from __future__ import annotations

from typing import Any

from cirx.model.extensions import property_extension
from cirx.model.incident import CIRX_IDENTITY_ID

COUNTRY_EXTENSION_ID = "extension-definition--66a9d2f9-a27f-4c57-92db-ea4bccac88c5"
COUNTRY_SCHEMA_URL = "https://cirx.example/schemas/country-profile-extension-1.0.json"

# cirx's Budapest Convention statuses.  "not-listed" means the source names the
# country neither a party nor an observer; it is not a claim about the treaty.
BUDAPEST_STATUSES = ("party", "observer", "signatory", "invited", "not-listed")
# The MISP country galaxy's own codes ("budapest-convention" meta) to cirx's.
_BUDAPEST_CODES = {
    "parties": "party",
    "party": "party",
    "observers": "observer",
    "observer": "observer",
    "signatories": "signatory",
    "signatory": "signatory",
    "invited": "invited",
    "invited to accede": "invited",
}
CONTINENTS = ("AF", "AN", "AS", "EU", "NA", "OC", "SA")

COUNTRY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": COUNTRY_SCHEMA_URL,
    "title": "cirx country-profile properties of a STIX 2.1 location",
    "type": "object",
    "required": ["extension_type"],
    "additionalProperties": False,
    "properties": {
        "extension_type": {"const": "property-extension"},
        "iso3": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "capital": {"type": "string"},
        "continent": {"enum": list(CONTINENTS)},
        "population": {"type": "integer", "minimum": 0},
        "un_m49_region": {"type": "string"},
        "withdrawn_code": {
            "type": "boolean",
            "description": "True for a code ISO 3166-1 no longer assigns (e.g. AN, CS).",
        },
        "budapest_convention": {"enum": list(BUDAPEST_STATUSES)},
        "budapest_convention_original": {
            "type": "string",
            "description": "The source's own value, e.g. the MISP galaxy's 'parties'.",
        },
        "budapest_convention_source": {"type": "string"},
    },
}


def country_extension_definition() -> dict[str, Any]:
    """The STIX ``extension-definition`` object for cirx's country profiles."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": COUNTRY_EXTENSION_ID,
        "created_by_ref": CIRX_IDENTITY_ID,
        "created": "2026-11-22T00:00:00.000Z",
        "modified": "2026-11-22T00:00:00.000Z",
        "name": "cirx country profile",
        "description": (
            "Budapest Convention status (with the source's own value), ISO alpha-3 "
            "code, capital, continent, population and UN M49 sub-region of a country."
        ),
        "schema": COUNTRY_SCHEMA_URL,
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def country_properties(location: dict[str, Any]) -> dict[str, Any]:
    """The country-profile extension properties of a location (empty when none)."""
    return property_extension(location, COUNTRY_EXTENSION_ID)


def budapest_status(original: str | None) -> str | None:
    """cirx's Budapest Convention status for a source's value.

    ``None`` or an empty value gives ``"not-listed"``; a value cirx does not
    know gives ``None`` (the caller keeps the original and reports it).
    """
    if original is None or not str(original).strip():
        return "not-listed"
    return _BUDAPEST_CODES.get(str(original).strip().lower())

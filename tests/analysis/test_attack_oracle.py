"""The attribution profiles built from a stored ATT&CK bundle, against MITRE's own library (mitreattack-python).

cirx reads the store with its own fast code (:func:`cirx.analysis.attribution.profiles.build_knowledge`);
``MitreAttackData`` reads the same bundle through the ``stix2`` object model.  For every active group
both must give the same techniques and software, and for every active piece of software the same
techniques.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cirx import Platform, Settings
from cirx.analysis.attribution.profiles import build_knowledge
from tests.conftest import shared_data

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


def _attack_id(obj: Any) -> str | None:
    return next((r["external_id"] for r in obj.get("external_references", ())
                 if r.get("source_name") == "mitre-attack"), None)


def test_profiles_match_mitres_own_library(tmp_path: Path) -> None:
    from mitreattack.stix20 import MitreAttackData

    bundle = shared_data("attack", "enterprise-attack-v18.1-no-campaigns.json")
    mitre = MitreAttackData(str(bundle))
    platform = Platform(Settings(database_url=f"sqlite:///{tmp_path / 'attack.db'}", data_dir=tmp_path)).init()
    try:
        platform.imports.stix(bundle)
        knowledge = build_knowledge(platform.reader, incidents=False, indicators=False)
    finally:
        platform.close()

    theirs: dict[str, tuple[set[str | None], set[str | None]]] = {}
    for group in mitre.get_groups(remove_revoked_deprecated=True):
        techniques = {_attack_id(t["object"]) for t in mitre.get_techniques_used_by_group(group["id"])}
        software = {_attack_id(s["object"]) for s in mitre.get_software_used_by_group(group["id"])}
        theirs[str(_attack_id(group))] = (techniques, software)
    ours: dict[str, tuple[set[str | None], set[str | None]]] = {}
    for key, actor in knowledge.actors.items():
        if actor.attack_id:
            used = set(knowledge.links.get(key, {}))
            ours[actor.attack_id] = ({i for i in used if i.startswith("T")}, {i for i in used if i.startswith("S")})
    assert len(theirs) >= 170
    assert ours == theirs

    software_techniques = {}
    for software in mitre.get_software(remove_revoked_deprecated=True):
        used = {_attack_id(t["object"]) for t in mitre.get_techniques_used_by_software(software["id"])}
        if used:
            software_techniques[str(_attack_id(software))] = used
    assert len(software_techniques) >= 700
    assert {key: set(items) for key, items in knowledge.software_techniques.items() if items} == software_techniques

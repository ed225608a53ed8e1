"""A small ATT&CK-like STIX bundle and a report for the extraction tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STAMP = "2024-01-01T00:00:00.000Z"


def _obj(kind: str, uuid: str, **props: Any) -> dict[str, Any]:
    return {"type": kind, "spec_version": "2.1", "id": f"{kind}--{uuid}", "created": STAMP, "modified": STAMP,
            **props}


def _ref(external_id: str) -> list[dict[str, str]]:
    return [{"source_name": "mitre-attack", "external_id": external_id}]


TECHNIQUES = {
    "T1566.001": ("Spearphishing Attachment", "Adversaries may send spearphishing emails with a malicious "
                  "attachment in an attempt to gain access to victim systems."),
    "T1059.001": ("PowerShell", "Adversaries may abuse PowerShell commands and scripts for execution."),
    "T1003.001": ("LSASS Memory", "Adversaries may attempt to access credential material stored in the "
                  "process memory of the Local Security Authority Subsystem Service (LSASS)."),
}
PROCEDURES = {
    "T1566.001": ["APT28 sent spearphishing emails containing malicious Microsoft Office attachments.",
                  "The group used spearphishing attachments with malicious documents to deliver payloads.",
                  "Phishing emails carried a weaponized Word attachment that dropped the implant."],
    "T1059.001": ["The implant used PowerShell to download and execute additional payloads.",
                  "The actor ran PowerShell scripts to execute commands on the victim.",
                  "A PowerShell one-liner downloaded the second stage."],
    "T1003.001": ["The actor dumped credentials from LSASS memory with Mimikatz.",
                  "Credentials were dumped from the lsass process using procdump.",
                  "Mimikatz was used to harvest passwords from LSASS."],
}


def attack_bundle() -> dict[str, Any]:
    """Three techniques with procedure examples, a group, a malware and a tool."""
    objects = []
    for index, (technique, (name, description)) in enumerate(TECHNIQUES.items()):
        objects.append(_obj("attack-pattern", f"00000000-0000-4000-8000-00000000000{index}", name=name,
                            description=description, external_references=_ref(technique),
                            kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "execution"}]))
    objects.append(_obj("intrusion-set", "10000000-0000-4000-8000-000000000000", name="APT28",
                        aliases=["APT28", "Fancy Bear", "Sofacy"], external_references=_ref("G0007"),
                        description="APT28 is a threat group attributed to Russia's military intelligence."))
    objects.append(_obj("malware", "20000000-0000-4000-8000-000000000000", name="X-Agent", is_family=True,
                        x_mitre_aliases=["XAgent", "CHOPSTICK"], external_references=_ref("S0023"),
                        description="X-Agent is a modular implant the group has used since 2007."))
    objects.append(_obj("tool", "30000000-0000-4000-8000-000000000000", name="Mimikatz",
                        external_references=_ref("S0002"),
                        description="Mimikatz is a credential dumper capable of obtaining plaintext passwords."))
    for index, texts in enumerate(PROCEDURES.values()):
        target = f"attack-pattern--00000000-0000-4000-8000-00000000000{index}"
        for number, text in enumerate(texts):
            objects.append(_obj("relationship", f"4000000{index}-0000-4000-8000-00000000000{number}",
                                relationship_type="uses", description=text,
                                source_ref="intrusion-set--10000000-0000-4000-8000-000000000000",
                                target_ref=target))
    return {"type": "bundle", "id": "bundle--50000000-0000-4000-8000-000000000000", "objects": objects}


REPORT = """# Fancy Bear phishing wave against Ukraine

In March 2022, the Russian group APT28 sent spearphishing emails with a malicious Word attachment to
ministries in Ukraine and energy companies in Poland.

The attachment dropped X-Agent, which used PowerShell to download a second stage from
hxxp://update-check-service[.]online/kb.php. It beaconed to 185.220.101[.]4 and wrote
HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run for persistence.

The operators dumped credentials from LSASS memory with Mimikatz. The dropper's SHA-256 is
9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08; the flaw was CVE-2021-40444.
"""


def write_fixtures(folder: Path) -> tuple[Path, Path]:
    """Write the bundle and the report (Markdown); returns their paths."""
    bundle = folder / "attack.json"
    bundle.write_text(json.dumps(attack_bundle()), encoding="utf-8")
    report = folder / "report.md"
    report.write_text(REPORT, encoding="utf-8")
    return bundle, report

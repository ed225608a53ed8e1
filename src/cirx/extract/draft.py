"""Drafts: what extraction found, as a STIX 2.1 bundle an analyst confirms, edits or rejects.

A draft is kept outside the shared record, as a JSON file under
``data_dir/drafts/`` (status ``draft``, ``confirmed`` or ``rejected``), with
the organisation and user that made it (``owner``; none for drafts made on the
command line, which only the platform administrator sees on the web); only
:meth:`DraftStore.confirm` puts it into the store, through the platform's
importer, all of it or none of it.  The bundle holds:

- an ``incident`` carrying cirx's international-relations extension (receiver
  countries, sectors, actors, the source report) with provenance: an external
  reference naming the report file and its SHA-256;
- a ``report`` object for the source document, referring to everything found;
- an ``indicator`` per indicator of compromise (STIX patterns), a
  ``vulnerability`` per CVE, ``indicates``/``targets``/``uses``/``attributed-to``
  relationships to the store's objects for the techniques, groups, software and
  countries found (unresolved names stay in the extension's ``actors``).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cirx.errors import InvalidInput, NotFound
from cirx.model.ids import deterministic_id, now_timestamp
from cirx.model.incident import (
    CIRX_IDENTITY_ID,
    IR_EXTENSION_ID,
    cirx_identity,
    extension_definition,
    make_incident,
)

if TYPE_CHECKING:
    from cirx.extract.service import Extraction
    from cirx.store.reader import StixReader

SOURCE = "cirx-extract"
_PATTERNS = {
    "ipv4": "ipv4-addr:value", "domain": "domain-name:value", "url": "url:value", "email": "email-addr:value",
    "md5": "file:hashes.MD5", "sha1": "file:hashes.'SHA-1'", "sha256": "file:hashes.'SHA-256'",
    "filename": "file:name", "registry": "windows-registry-key:key",
}
_DRAFT_ID = re.compile(r"^[0-9a-f]{12}$")
_GROUP_CONTEXT = re.compile(r"^\s*(?:state-sponsored |government-backed )?(?:hackers?|actors?|groups?|APTs?|"
                            r"threat actors?|intelligence|military|operators?|state)\b", re.IGNORECASE)


def _pattern(kind: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"[{_PATTERNS[kind]} = '{escaped}']"


def _relationship(kind: str, source: str, target: str, stamp: str, about: str | None = None) -> dict[str, Any]:
    relationship = {"type": "relationship", "spec_version": "2.1",
                    "id": deterministic_id("relationship", SOURCE, f"{source}|{kind}|{target}"),
                    "created": stamp, "modified": stamp, "created_by_ref": CIRX_IDENTITY_ID,
                    "relationship_type": kind, "source_ref": source, "target_ref": target}
    if about:
        relationship["x_cirx_external_id"] = about  # the ATT&CK id or ISO code found, for edits
    return relationship


def _store_id(reader: StixReader | None, external_id: str | None, types: list[str]) -> str | None:
    """The store's object for an ATT&CK id (or ISO code), if the store has one."""
    if reader is None or not external_id:
        return None
    ids = reader.by_external_id("mitre-attack", external_id) or reader.resolve(external_id, types)
    typed = reader.names(ids)
    return next((i for i in ids if typed.get(i, ("",))[0] in types), None)


def build_bundle(extraction: Extraction, reader: StixReader | None = None, *,
                 stamp: str | None = None) -> dict[str, Any]:
    """The draft STIX bundle of an extraction (references resolved against ``reader``'s store)."""
    stamp = stamp or now_timestamp()
    document = extraction.document
    digest = hashlib.sha256(document.text.encode("utf-8")).hexdigest()
    title = next((s.text for s in extraction.sentences if s.text.strip()), document.source)[:200]
    groups = list(dict.fromkeys(e.name or e.text for e in extraction.entities if e.type == "group"))
    initiators, receivers = _countries(extraction)
    sectors = sorted({str(e.id) for e in extraction.entities if e.type == "sector" and e.id})
    ir: dict[str, Any] = {"receiver_countries": receivers, "initiator_countries": initiators,
                          "sectors": sectors, "actors": groups,
                          "sources": [{"name": document.source}],
                          "original_values": {SOURCE: {"report": document.source, "sha256": digest,
                                                       "techniques": [t.id for t in extraction.techniques]}}}
    incident = make_incident(source=SOURCE, external_id=digest, name=f"Draft from {title}", modified=stamp,
                             description=f"Extracted by cirx from {document.source}; to be confirmed by an analyst.",
                             ir={k: v for k, v in ir.items() if v})
    incident["external_references"][0]["description"] = f"report {document.source} (SHA-256 {digest})"
    incident["created"] = stamp
    objects: list[dict[str, Any]] = [cirx_identity(), extension_definition(), incident]
    refs = [incident["id"]]
    for indicator in extraction.indicators:
        if indicator.type == "cve":
            vulnerability: dict[str, Any] = {"type": "vulnerability", "spec_version": "2.1",
                             "id": deterministic_id("vulnerability", "cve", indicator.value), "created": stamp,
                             "modified": stamp, "created_by_ref": CIRX_IDENTITY_ID, "name": indicator.value,
                             "external_references": [{"source_name": "cve", "external_id": indicator.value}]}
            objects.append(vulnerability)
            objects.append(_relationship("related-to", incident["id"], vulnerability["id"], stamp))
            refs.append(vulnerability["id"])
            continue
        item: dict[str, Any] = {"type": "indicator", "spec_version": "2.1",
                "id": deterministic_id("indicator", SOURCE, f"{indicator.type}|{indicator.value}"),
                "created": stamp, "modified": stamp, "created_by_ref": CIRX_IDENTITY_ID,
                "name": f"{indicator.type} {indicator.value}", "pattern": _pattern(indicator.type, indicator.value),
                "pattern_type": "stix", "valid_from": stamp, "indicator_types": ["malicious-activity"]}
        if item["id"] not in refs:
            objects.extend([item, _relationship("indicates", item["id"], incident["id"], stamp)])
            refs.append(item["id"])
    for hit in extraction.techniques:
        target = _store_id(reader, hit.id, ["attack-pattern"])
        if target:
            objects.append(_relationship("uses", incident["id"], target, stamp, hit.id))
    for entity in extraction.entities:
        kinds = {"group": (["intrusion-set"], "attributed-to"), "malware": (["malware"], "uses"),
                 "tool": (["tool"], "uses"), "country": (["location"], "targets")}.get(entity.type)
        if kinds and entity.id and (entity.type != "country" or entity.id in receivers):
            target = _store_id(reader, entity.id, kinds[0])
            relationship = _relationship(kinds[1], incident["id"], target, stamp, entity.id) if target else None
            if relationship and relationship["id"] not in {o["id"] for o in objects}:
                objects.append(relationship)
    objects.append({"type": "report", "spec_version": "2.1", "id": deterministic_id("report", SOURCE, digest),
                    "created": stamp, "modified": stamp, "created_by_ref": CIRX_IDENTITY_ID, "name": title,
                    "published": stamp, "report_types": ["threat-report"], "object_refs": refs,
                    "external_references": [{"source_name": SOURCE, "description": document.source,
                                             "hashes": {"SHA-256": digest}}]})
    return {"type": "bundle", "id": deterministic_id("bundle", SOURCE, f"{digest}|{stamp}"), "objects": objects}


def _countries(extraction: Extraction) -> tuple[list[str], list[str]]:
    """(initiator, receiver) countries: "Russian hackers" names an initiator, other mentions victims."""
    text = extraction.document.text
    initiators: list[str] = []
    receivers: list[str] = []
    for entity in extraction.entities:
        if entity.type != "country" or not entity.id or len(entity.id) != 2:
            continue
        after = text[entity.end:entity.end + 40]
        if _GROUP_CONTEXT.match(after) or any(entity.end <= g.start < entity.end + 25 for g in extraction.entities
                                              if g.type == "group"):
            initiators.append(entity.id)
        else:
            receivers.append(entity.id)
    initiator_set = set(initiators)
    return sorted(initiator_set), sorted(set(receivers) - initiator_set)


@dataclass
class DraftStore:
    """Draft files in a folder (``data_dir/drafts``)."""

    folder: Path

    def _path(self, draft_id: str) -> Path:
        if not _DRAFT_ID.match(draft_id):
            raise InvalidInput(f"{draft_id!r} is not a draft id (12 hexadecimal characters)")
        path = self.folder / f"{draft_id}.json"
        if not path.is_file():
            raise NotFound(f"no draft {draft_id}")
        return path

    def create(self, extraction: Extraction, bundle: dict[str, Any], *,
               owner: dict[str, Any] | None = None) -> dict[str, Any]:
        """Save a new draft; returns it (with its id).

        ``owner`` is ``{"org_id", "org", "user_id", "user"}`` of whoever made it on the web.
        """
        draft_id = hashlib.sha256(f"{bundle['id']}|{now_timestamp()}|{secrets.token_hex(4)}".encode()).hexdigest()[:12]
        draft = {"id": draft_id, "status": "draft", "created": now_timestamp(),
                 "source": extraction.document.source, "bundle": bundle, "extraction": extraction.as_dict(),
                 "owner": owner}
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{draft_id}.json").write_text(json.dumps(draft, indent=1, ensure_ascii=False), "utf-8")
        return draft

    def get(self, draft_id: str) -> dict[str, Any]:
        """One draft."""
        return dict(json.loads(self._path(draft_id).read_text("utf-8")))

    def entries(self, owner_org: int | None = None) -> list[dict[str, Any]]:
        """Every draft (or those of organisation ``owner_org``), newest first (without bundles)."""
        if not self.folder.is_dir():
            return []
        drafts = [json.loads(p.read_text("utf-8")) for p in self.folder.glob("*.json")]
        if owner_org is not None:
            drafts = [d for d in drafts if owner_org_of(d) == owner_org]
        return [{k: d[k] for k in ("id", "status", "created", "source")} | {"objects": len(d["bundle"]["objects"])}
                | {"owner": d.get("owner"), "name": draft_incident(d).get("name"),
                   "techniques": len(d["extraction"]["techniques"]), "indicators": len(d["extraction"]["indicators"]),
                   "incident_id": d.get("incident_id")}
                for d in sorted(drafts, key=lambda d: d["created"], reverse=True)]

    def save(self, draft: dict[str, Any]) -> None:
        """Write a draft back (after an edit or a status change)."""
        self._path(str(draft["id"])).write_text(json.dumps(draft, indent=1, ensure_ascii=False), "utf-8")

    def edit(self, draft_id: str, *, remove: Sequence[str] = (), bundle: dict[str, Any] | None = None
             ) -> dict[str, Any]:
        """Drop objects (by id, indicator value or ATT&CK id) from a draft, or replace its bundle."""
        draft = self._pending(draft_id)
        if bundle is not None:
            if bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
                raise InvalidInput("an edited draft must be a STIX bundle")
            draft["bundle"] = bundle
        objects = draft["bundle"]["objects"]
        for item in remove:
            gone = {o["id"] for o in objects if _matches(o, item)}
            if not gone:
                raise NotFound(f"draft {draft_id} has nothing that {item!r} names")
            objects = [o for o in objects if o["id"] not in gone and o.get("source_ref") not in gone
                       and o.get("target_ref") not in gone]
            for obj in objects:
                if obj.get("type") == "report":
                    obj["object_refs"] = [ref for ref in obj["object_refs"] if ref not in gone]
        draft["bundle"]["objects"] = objects
        self.save(draft)
        return draft

    def revise(self, draft_id: str, *, remove: Sequence[str] = (), name: str | None = None,
               description: str | None = None, receiver_countries: Sequence[str] | None = None,
               initiator_countries: Sequence[str] | None = None) -> dict[str, Any]:
        """Edit a pending draft as the review desk does: drop found items, change the incident's fields.

        ``remove`` names techniques (ATT&CK id), indicators (value), entities (id or text) or
        bundle objects (STIX id); what was found and the bundle both lose them.
        """
        draft = self._pending(draft_id)
        found = draft["extraction"]
        gone_ids: set[str] = set()
        for item in remove:
            matched = {o["id"] for o in draft["bundle"]["objects"] if _matches(o, item)}
            before = (len(found["techniques"]), len(found["indicators"]), len(found["entities"]))
            found["techniques"] = [t for t in found["techniques"] if t["id"] != item]
            found["indicators"] = [i for i in found["indicators"] if i["value"] != item]
            found["entities"] = [e for e in found["entities"] if item not in (e.get("id"), e.get("text"))]
            if not matched and before == (len(found["techniques"]), len(found["indicators"]), len(found["entities"])):
                raise NotFound(f"draft {draft_id} has nothing that {item!r} names")
            gone_ids |= matched
        objects = [o for o in draft["bundle"]["objects"] if o["id"] not in gone_ids
                   and o.get("source_ref") not in gone_ids and o.get("target_ref") not in gone_ids]
        for obj in objects:
            if obj.get("type") == "report":
                obj["object_refs"] = [ref for ref in obj["object_refs"] if ref not in gone_ids]
        incident = next(o for o in objects if o.get("type") == "incident")
        ir = _ir(incident)
        for key, kind in (("actors", "group"), ("sectors", "sector")):
            if key in ir:
                kept = {str(e.get("id") or e.get("text")) for e in found["entities"] if e["type"] == kind} | \
                       {str(e.get("text")) for e in found["entities"] if e["type"] == kind}
                ir[key] = [v for v in ir[key] if v in kept]
        original = ir.get("original_values", {}).get(SOURCE)
        if original is not None:
            original["techniques"] = [t["id"] for t in found["techniques"]]
        if name is not None:
            if not name.strip():
                raise InvalidInput("name: an incident needs a name")
            incident["name"] = name.strip()
        if description is not None:
            incident["description"] = description.strip()
        for key, values in (("receiver_countries", receiver_countries), ("initiator_countries", initiator_countries)):
            if values is not None:
                ir[key] = list(dict.fromkeys(values))
        for key in ("actors", "sectors", "receiver_countries", "initiator_countries"):
            if key in ir and not ir[key]:
                del ir[key]
        draft["bundle"]["objects"] = objects
        self.save(draft)
        return draft

    def _pending(self, draft_id: str) -> dict[str, Any]:
        draft = self.get(draft_id)
        if draft["status"] != "draft":
            raise InvalidInput(f"draft {draft_id} is already {draft['status']}")
        return draft

    def set_status(self, draft_id: str, status: str) -> dict[str, Any]:
        """Mark a pending draft ``confirmed`` or ``rejected``."""
        draft = self._pending(draft_id)
        draft["status"] = status
        draft[status] = now_timestamp()
        self.save(draft)
        return draft


def owner_org_of(draft: dict[str, Any]) -> int | None:
    """The id of the organisation a draft belongs to (None: made on the command line)."""
    owner = draft.get("owner") or {}
    org_id = owner.get("org_id")
    return int(org_id) if org_id is not None else None


def draft_incident(draft: dict[str, Any]) -> dict[str, Any]:
    """The incident a draft would create."""
    return next((o for o in draft["bundle"]["objects"] if o.get("type") == "incident"), {})


def _ir(incident: dict[str, Any]) -> dict[str, Any]:
    """The incident's international-relations extension properties (edited in place)."""
    extension: dict[str, Any] = incident.setdefault("extensions", {}).setdefault(
        IR_EXTENSION_ID, {"extension_type": "property-extension"})
    return extension


def _matches(obj: dict[str, Any], item: str) -> bool:
    """Whether a bundle object is what ``item`` names (its id, its indicator value, its target's ATT&CK id)."""
    if item in (obj.get("id"), obj.get("target_ref"), obj.get("x_cirx_external_id")):
        return True
    name = str(obj.get("name", ""))
    return obj.get("type") in ("indicator", "vulnerability") and (name == item or name.endswith(f" {item}"))


def workbench_evidence(draft: dict[str, Any]) -> dict[str, Any]:
    """What the attribution workbench weighs: techniques, software, groups, countries, indicators."""
    found = draft["extraction"]
    entities = found["entities"]
    return {
        "draft": draft["id"], "source": draft["source"],
        "techniques": [t["id"] for t in found["techniques"]],
        "software": sorted({e["id"] or e["text"] for e in entities if e["type"] in ("malware", "tool")}),
        "groups": sorted({e["id"] or e["text"] for e in entities if e["type"] == "group"}),
        "countries": sorted({e["id"] for e in entities if e["type"] == "country" and e["id"]}),
        "indicators": [{"type": i["type"], "value": i["value"]} for i in found["indicators"]],
    }

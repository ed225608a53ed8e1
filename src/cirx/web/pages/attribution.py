"""``/attribution``: the attribution desk.

Enter evidence (ATT&CK technique ids, software, indicators, victim countries,
sectors, a date, free-text notes) or pick a stored incident
(``?incident=<STIX id or SOURCE:ID>``); the desk shows the ranked group
hypotheses with the explicit unknown/new-actor hypothesis, the state
hypotheses, each with probability, ICD 203 term and confidence, the caveats,
and the analysis of competing hypotheses (what speaks for and against each).
The form is a GET form, so a result has a URL and its CSV (``?csv=hypotheses``,
``?csv=ach``) holds exactly what the page shows.  Profiles hold only what the
caller may see (:class:`AttributionService` over the caller's workspace).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cirx.analysis.attribution.evidence import Evidence
from cirx.analysis.attribution.service import AttributionService
from cirx.api.deps import PlatformDep
from cirx.errors import NotFound
from cirx.web.filters import country_codes, split_values
from cirx.web.render import csv_link, page
from cirx.web.session import WebPrincipalDep, WebWorkspaceDep

router = APIRouter(include_in_schema=False)

#: The evidence fields of the form, in order.
FIELDS = ("techniques", "software", "indicators", "victim_countries", "sectors", "date", "notes")
#: Hypotheses shown as columns of the ACH table (the unknown/new-actor hypothesis is always one of them).
ACH_COLUMNS = 6
_TECHNIQUE = re.compile(r"^T\d{4}(?:\.\d{3})?$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_MAX_FIELD = 20_000


@router.get("/attribution")
def attribution_desk(request: Request, platform: PlatformDep, principal: WebPrincipalDep,
                     workspace: WebWorkspaceDep) -> Response:
    """The evidence form and, once submitted (or an incident picked), the hypotheses and the ACH table."""
    query = request.query_params
    values = {name: query.get(name, "")[:_MAX_FIELD] for name in (*FIELDS, "incident")}
    service = AttributionService(workspace)
    errors: dict[str, str] = {}
    result: dict[str, Any] | None = None
    incident: dict[str, Any] | None = None
    submitted = bool(query.get("run")) or any(values[name].strip() for name in FIELDS)
    reference = values["incident"].strip()
    if reference:
        try:
            result = service.attribute_incident(reference)
        except NotFound as exc:
            missing = "no incident" in str(exc) or "no object" in str(exc) or "not an incident" in str(exc)
            message = f"incident: no incident {reference!r} that you may see" if missing else str(exc)
            errors["incident"] = message
        else:
            incident = result["incident"]
            platform.audit.record(principal, "read", [incident["id"]], detail="attribution desk")
            used = result["evidence_used"]
            values.update({name: ", ".join(used.get(name, [])) for name in FIELDS[:5]})
            values["date"] = used.get("date") or ""
            values["notes"] = used.get("notes") or ""
    elif submitted:
        evidence = _read_evidence(values, errors, service)
        if evidence is not None and not errors:
            if not any(getattr(evidence, name) for name in FIELDS):
                errors["techniques"] = ("techniques: give some evidence (techniques, software, indicators, "
                                        "victims, sectors or notes), or pick an incident")
            else:
                try:
                    result = service.attribute(evidence)
                except NotFound as exc:
                    errors["techniques"] = f"techniques: {exc}"
    context = {"values": values, "errors": errors, "result": result, "incident": incident,
               **(_views(result, request) if result else {})}
    charts = _charts(result) if result else None
    status = 404 if "incident" in errors and not submitted else 400 if errors else 200
    return page(request, "attribution.html", context, charts=charts, status_code=status)


def _read_evidence(values: dict[str, str], errors: dict[str, str], service: AttributionService) -> Evidence | None:
    """Evidence from the form's fields; problems go to ``errors`` under the field's name."""
    techniques = [t.upper() for t in split_values(values["techniques"], spaces=True)]
    malformed = [t for t in techniques if not _TECHNIQUE.match(t)]
    if malformed:
        errors["techniques"] = (f"techniques: {', '.join(malformed)} "
                                f"{'is not an ATT&CK technique id' if len(malformed) == 1 else 'are not ATT&CK technique ids'}"
                                " (T1234 or T1234.001)")
    elif techniques:
        known = service.attributor().knowledge.items
        unknown = [t for t in techniques if t not in known and t.split(".")[0] not in known]
        if unknown:
            errors["techniques"] = (f"techniques: {', '.join(unknown)} "
                                    f"{'is' if len(unknown) == 1 else 'are'} not in the ATT&CK data of this workspace")
    countries = country_codes("victim_countries", values["victim_countries"], errors)
    when = values["date"].strip()
    if when and not _valid_date(when):
        errors["date"] = f"date: {when!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"
    if errors:
        return None
    return Evidence(techniques=tuple(techniques), software=tuple(split_values(values["software"])),
                    indicators=tuple(split_values(values["indicators"], spaces=True)),
                    victim_countries=tuple(countries), sectors=tuple(split_values(values["sectors"])),
                    date=when or None, notes=values["notes"].strip() or None)


def _valid_date(text: str) -> bool:
    found = _DATE.match(text)
    if not found:
        return False
    year, month, day = int(found.group(1)), int(found.group(2) or 1), int(found.group(3) or 1)
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1970 <= year <= date.today().year + 1


def _views(result: dict[str, Any], request: Request) -> dict[str, Any]:
    """The tables the template shows: actor hypotheses (with the unknown one), states, and the ACH matrix."""
    hypotheses = result["hypotheses"]
    actors = [h for h in hypotheses if h["kind"] in ("group", "unknown")]
    states = [h for h in hypotheses if h["kind"] == "state"]
    columns = actors[:ACH_COLUMNS]
    if not any(h["kind"] == "unknown" for h in columns):
        columns = [*columns[:ACH_COLUMNS - 1], next(h for h in actors if h["kind"] == "unknown")]
    labels: dict[str, str] = {}
    order: list[str] = []
    for item in result["evidence"]["items"]:
        labels.setdefault(item["id"], f"{item['name']} ({item['id']})")
        order.append(item["id"])
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for hypothesis in columns:
        for stance in ("for", "against"):
            for entry in hypothesis[stance]:
                key = str(entry["evidence"])
                if key not in labels:
                    labels[key] = _label(entry)
                if key not in order:
                    order.append(key)
                cells[(key, hypothesis["id"])] = {**entry, "stance": stance}
    matrix = [{"evidence": key, "label": labels[key],
               "cells": [cells.get((key, h["id"])) for h in columns]} for key in order]
    return {"actors": actors, "states": states, "ach_columns": columns, "ach_rows": matrix,
            "csv_hypotheses": csv_link(request, "hypotheses"), "csv_ach": csv_link(request, "ach")}


def _label(entry: dict[str, Any]) -> str:
    """How the ACH table names a piece of evidence."""
    key, kind = str(entry["evidence"]), str(entry.get("kind", ""))
    if entry.get("name"):
        return f"{entry['name']} ({key})"
    prefixes = {"victim": "victim country", "sector": "sector", "indicator": "indicator", "timing": "date",
                "actor": "actor"}
    if kind == "absence":
        return "no recognised evidence"
    if kind == "timing":
        return "date of the incident"
    return f"{prefixes[kind]}: {key}" if kind in prefixes else key


def _charts(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The CSV downloads: every hypothesis, and every for/against entry."""
    hypotheses = [{"rank": rank, "kind": h["kind"], "id": h["id"], "name": h["name"],
                   "attack_id": h["attack_id"] or "", "country": h["country"] or "", "probability": h["probability"],
                   "estimative": h["estimative"], "confidence": h["confidence"], "for": len(h["for"]),
                   "against": len(h["against"])} for rank, h in enumerate(result["hypotheses"], start=1)]
    ach = [{"hypothesis": h["name"], "kind": h["kind"], "stance": stance, "evidence": e["evidence"],
            "evidence_kind": e["kind"], "weight": "" if e.get("weight") is None else e["weight"],
            "detail": e.get("detail", "")}
           for h in result["hypotheses"] for stance in ("for", "against") for e in h[stance]]
    return {"hypotheses": hypotheses, "ach": ach}

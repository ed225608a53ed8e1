"""The incident list (search, filters, sorting, paging, CSV) and the incident page.

Every read goes through the caller's workspace: an incident the caller may not
see is never listed, counted or shown, and asking for it by id answers the same
404 page as asking for an id that does not exist.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import escape

from cirx.analysis.attribution.service import AttributionService
from cirx.analysis.norms import frameworks
from cirx.analysis.norms.service import NormsService
from cirx.api.deps import PlatformDep
from cirx.errors import CirxError, InvalidInput, NotFound
from cirx.model.incident import ir_properties
from cirx.services import cache
from cirx.services.incidents import summary_row
from cirx.services.workspace import Workspace
from cirx.store.reader import INCIDENT_ORDERS, IncidentFilter
from cirx.web import charts
from cirx.web.filters import IncidentFilterDep, filter_options
from cirx.web.incident_views import LazyCharts, country, incident_row, tlp_class, tlp_level
from cirx.web.render import csv_link, page
from cirx.web.session import WebPrincipalDep, WebWorkspaceDep

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: The most rows the list's CSV download holds.
CSV_LIMIT = 5000
ACTOR_TYPES = ("intrusion-set", "threat-actor")

#: Sortable columns: (label, order when first clicked, the other direction).
SORTS = {"name": ("name", "-name"), "start_date": ("newest", "oldest")}


def page_number(value: str | None) -> int:
    """The ``page`` parameter as a positive integer (1 when absent)."""
    if value in (None, ""):
        return 1
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        raise InvalidInput(f"parameter 'page': {value!r} is not a page number (1, 2, ...)")
    return number


def list_order(value: str | None) -> str:
    """The ``order`` parameter: newest (default), oldest, name or -name."""
    order = value or "newest"
    if order not in INCIDENT_ORDERS:
        raise InvalidInput(f"parameter 'order': {order!r} is not one of {', '.join(INCIDENT_ORDERS)}")
    return order


def sort_header(column: str, order: str) -> dict[str, str | None]:
    """The link and ``aria-sort`` of a sortable column header under the current order."""
    first, other = SORTS[column]
    if order == first:
        ascending = first in ("name", "oldest")
        return {"order": other, "aria_sort": "ascending" if ascending else "descending"}
    if order == other:
        ascending = other in ("name", "oldest")
        return {"order": first, "aria_sort": "ascending" if ascending else "descending"}
    return {"order": first, "aria_sort": None}


@router.get("/incidents")
def incident_list(request: Request, workspace: WebWorkspaceDep, platform: PlatformDep,
                  where: IncidentFilterDep) -> Response:
    """The searchable, filterable, sortable, paged list of incidents this caller may see."""
    started = time.perf_counter()
    number = page_number(request.query_params.get("page"))
    order = list_order(request.query_params.get("order"))
    service = workspace.incidents

    def listing() -> tuple[int, list[dict[str, Any]], list[str]]:
        found = service.list(where, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, order=order)
        return service.count(where), [incident_row(i) for i in found], [i["id"] for i in found]

    total, rows, ids = cache.cached("incident-list", platform.engine, workspace.principal, listing,
                                    where, order, number)
    pages = max(1, -(-total // PAGE_SIZE))
    if where.text:
        platform.audit.record(workspace.principal, "search", ids, detail=where.text[:200])

    def export() -> list[dict[str, Any]]:
        rows = [summary_row(i) for i in service.list(where, limit=CSV_LIMIT, order=order)]
        platform.audit.record(workspace.principal, "export", [r["id"] for r in rows],
                              detail=f"web incident list CSV, {len(rows)} incidents")
        return rows

    first = (number - 1) * PAGE_SIZE + 1 if rows else 0
    context = {
        "rows": rows, "total": total, "page": number, "pages": pages,
        "first": first, "last": first + len(rows) - 1 if rows else 0, "order": order,
        "sorts": {column: sort_header(column, order) for column in SORTS},
        "filter_options": filter_options(), "show_text_search": True, "keep_params": ["order"],
        "csv_url": csv_link(request, "incidents"), "csv_limit": CSV_LIMIT,
        "filtered": where != IncidentFilter(), "elapsed_ms": (time.perf_counter() - started) * 1000,
    }
    return page(request, "incidents.html", context, charts=LazyCharts({"incidents": export}))


# -- one incident ------------------------------------------------------------------------------------


def find_incident(workspace: Workspace, reference: str) -> dict[str, Any]:
    """The incident by STIX id or SOURCE:ID; unknown and invisible ids raise the same :class:`NotFound`."""
    try:
        return workspace.incidents.show(reference)
    except NotFound:
        raise NotFound(f"no incident {reference!r} (give a STIX id or SOURCE:ID, e.g. eurepoc:947)") from None


def grade(source: dict[str, Any]) -> str:
    """A source's Admiralty grade (reliability letter, credibility digit), e.g. ``B2``, or ``not graded``."""
    reliability, credibility = source.get("reliability") or "", source.get("credibility") or ""
    return f"{reliability}{credibility}" if reliability or credibility else "not graded"


def norms_view(assessment: dict[str, Any]) -> dict[str, Any]:
    """The assessment with each norm, rule of law and offence labelled from the frameworks."""
    norms = {n.id: n for n in frameworks.norms()}
    rules = {r.id: r for r in frameworks.legal_rules()}
    offences = {a.id: a for a in frameworks.offences()}

    def item(key: str, status: str, because: list[str], label: str, summary: str) -> dict[str, Any]:
        return {"id": key, "status": status, "status_label": status.replace("_", " "), "because": because,
                "label": label, "summary": summary}

    norm_items = []
    for key, entry in (assessment.get("norms") or {}).items():
        norm = norms.get(key)
        label = f"13({norm.letter}) {norm.short_name}" if norm else key
        norm_items.append(item(key, entry["status"], list(entry.get("because") or ()), label,
                               norm.summary if norm else ""))
    law_items = []
    because_law = assessment.get("international_law_because") or {}
    for key, status in (assessment.get("international_law") or {}).items():
        rule = rules.get(key)
        law_items.append(item(key, status, list(because_law.get(key) or ()), rule.name if rule else key,
                              rule.summary if rule else ""))
    offence_items = []
    for key, entry in (assessment.get("budapest") or {}).items():
        article = offences.get(key)
        label = f"Art. {article.article} {article.title}" if article else key
        offence_items.append(item(key, entry["status"], list(entry.get("because") or ()), label,
                                  article.summary if article else ""))
    tally = {s: sum(1 for i in norm_items if i["status"] == s) for s in frameworks.STATUSES}
    attribution = assessment.get("attribution") or {}
    return {"attribution": attribution, "state": country(attribution["state"]) if attribution.get("state") else None,
            "norms": norm_items, "law": law_items,
            "offences": offence_items, "norm_tally": tally,
            "justification": assessment.get("response_justification"),
            "justification_because": assessment.get("response_justification_because") or [],
            "parties": (assessment.get("budapest_parties") or {}).get("states") or {},
            "cooperation": (assessment.get("budapest_parties") or {}).get("cooperation") or {},
            "overrides": assessment.get("overrides") or []}


def related_view(workspace: Workspace, incident_id: str) -> dict[str, list[dict[str, Any]]]:
    """Related objects (actors linked to their pages) and related indicators with their patterns."""
    related = workspace.incidents.related(incident_id)
    indicator_ids = [r["other"] for r in related if r["other_type"] == "indicator"]
    patterns = {o["id"]: o for o in workspace.reader.get_many(indicator_ids)} if indicator_ids else {}
    objects, indicators = [], []
    for edge in related:
        entry = {"id": edge["other"], "type": edge["other_type"], "name": edge["other_name"] or edge["other"],
                 "relationship": edge["relationship_type"] or edge["kind"],
                 "direction": "out" if edge["source_ref"] == incident_id else "in",
                 "href": f"/actors/{edge['other']}" if edge["other_type"] in ACTOR_TYPES else None}
        if edge["other_type"] == "indicator":
            indicator = patterns.get(edge["other"], {})
            entry.update(pattern=indicator.get("pattern"), valid_from=indicator.get("valid_from"),
                         tlp_label="TLP:" + tlp_level(indicator).upper(), tlp_class=tlp_class(tlp_level(indicator)))
            indicators.append(entry)
        else:
            objects.append(entry)
    return {"objects": objects, "indicators": indicators}


def hypotheses_view(workspace: Workspace, incident: dict[str, Any]) -> dict[str, Any]:
    """Ranked attribution hypotheses from the incident's own evidence (the attribution desk's engine)."""
    service = AttributionService(workspace)
    evidence = service.incident_evidence(incident)
    started = time.perf_counter()
    try:
        result = service.attribute(evidence)
    except CirxError as exc:
        return {"error": exc.message, "hypotheses": [], "elapsed_ms": 0.0}
    return {"error": None, "hypotheses": list(result.get("hypotheses") or [])[:5],
            "evidence": evidence.as_dict(), "elapsed_ms": (time.perf_counter() - started) * 1000}


def actor_links(workspace: Workspace, names: list[str], *, limit: int = 12) -> list[dict[str, Any]]:
    """Actor names with a link to the actor page when the name resolves to an actor the caller may see."""
    found = []
    for name in dict.fromkeys(names[:limit]):
        known = workspace.reader.resolve(name, list(ACTOR_TYPES))
        found.append({"name": name, "href": f"/actors/{quote(name, safe='')}" if known else None})
    return found


def claim_view(claim: dict[str, Any]) -> dict[str, Any]:
    """An attribution claim of the IR extension, flattened for the table."""
    by, to = claim.get("attributed_by") or {}, claim.get("attributed_to") or {}
    return {"by_kind": by.get("kind") or "", "by_name": by.get("name") or "",
            "by_country": country(by["country"]) if by.get("country") else None,
            "group": to.get("group") or "", "group_ref": to.get("group_ref"),
            "state": country(to["state"]) if to.get("state") else None, "category": to.get("category") or "",
            "date": claim.get("date") or "", "basis": list(claim.get("basis") or ()),
            "confidence": claim.get("confidence") or "", "source_url": claim.get("source_url")}


def response_rows(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The response timeline as CSV rows."""
    columns = ("date", "type", "label", "rank", "legal_category", "actor", "actor_country", "target_country",
               "outcome", "source", "note")
    return [{c: r.get(c) if r.get(c) is not None else "" for c in columns} for r in responses]


@router.get("/incidents/{reference}")
def incident_page(request: Request, reference: str, workspace: WebWorkspaceDep, principal: WebPrincipalDep,
                  platform: PlatformDep) -> Response:
    """One incident: summary, parties, sources, indicators, related objects, attribution, norms, responses."""
    started = time.perf_counter()
    incident = find_incident(workspace, reference)
    stix_id = incident["id"]
    ir = ir_properties(incident)
    norms = NormsService(platform.engine, workspace.reader)
    assessment = norms.assess(stix_id)
    responses = norms.responses(incident=stix_id)
    related = related_view(workspace, stix_id)
    hypotheses = hypotheses_view(workspace, incident) if request.query_params.get("hypotheses") else None
    platform.audit.record(principal, "read", [stix_id], detail="web incident page")
    intensity = ir.get("intensity") or {}
    responses_csv = csv_link(request, "responses")
    cost = ir.get("estimated_cost") or {}
    sources = [{**s, "grade": grade(s)} for s in ir.get("sources") or ()]
    context = {
        "incident": incident, "row": incident_row(incident), "ir": ir,
        "external_ids": [f"{r['source_name']}:{r['external_id']}" for r in incident.get("external_references") or ()
                         if r.get("external_id")],
        "links": [r for r in incident.get("external_references") or () if r.get("url")],
        "effects": list(ir.get("effects") or ()), "receiver_categories": list(ir.get("receiver_categories") or ()),
        "intensity": intensity, "cost": cost, "sources": sources,
        "graded": sum(1 for s in sources if s["grade"] != "not graded"),
        "claims": [claim_view(c) for c in ir.get("attribution_claims") or ()],
        "actors": actor_links(workspace, list(ir.get("actors") or ())),
        "related": related, "norms": norms_view(assessment), "responses": responses,
        "hypotheses": hypotheses, "attribution_desk": f"/attribution?incident={stix_id}",
        "responses_csv": responses_csv, "sources_csv": csv_link(request, "sources"),
        "elapsed_ms": (time.perf_counter() - started) * 1000,
    }
    context["responses_chart"] = charts.figure(
        "responses-timeline", "Responses over time", _response_timeline(responses),
        csv_url=responses_csv) if responses else None
    chart_rows = LazyCharts({
        "responses": lambda: response_rows(responses),
        "sources": lambda: [{"name": s.get("name", ""), "url": s.get("url", ""), "grade": s["grade"]}
                            for s in sources]})
    return page(request, "incident.html", context, charts=chart_rows)


def group_responses(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Responses with the same date, type, actor and states merged into one entry with all their notes."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in responses:
        key = (r.get("date"), r.get("type"), r.get("actor"), r.get("actor_country"), r.get("target_country"))
        entry = groups.setdefault(key, {**r, "notes": [], "count": 0})
        entry["count"] += 1
        if r.get("note") and r["note"] not in entry["notes"]:
            entry["notes"].append(r["note"])
    return list(groups.values())


def _response_timeline(responses: list[dict[str, Any]]) -> str:
    """The responses by date as an ordered list styled as a timeline (same-day duplicates merged)."""
    items = []
    for r in group_responses(responses):
        parties = " → ".join(x for x in (r.get("actor_country"), r.get("target_country")) if x)
        notes = [str(escape(n)) for n in r["notes"]]
        if len(notes) > 2:
            detail = (f'<details><summary>{len(notes)} notes</summary><ul class="reasons">'
                      + "".join(f"<li>{n}</li>" for n in notes) + "</ul></details>")
        else:
            detail = "".join(f"<br><small>{n}</small>" for n in notes)
        times = f' <span class="badge">×{r["count"]}</span>' if r["count"] > 1 else ""
        items.append(
            f'<li><time datetime="{escape(r.get("date") or "")}">{escape(r.get("date") or "undated")}</time> '
            f'<strong>{escape(r.get("label") or r.get("type"))}</strong>{times} '
            f'<span class="badge">rank {escape(r.get("rank"))}</span> '
            f'<span class="badge">{escape(r.get("legal_category") or "")}</span><br>'
            f'{escape(r.get("actor") or "")}{" (" + str(escape(parties)) + ")" if parties else ""}{detail}</li>')
    return f'<ol class="response-timeline">{"".join(items)}</ol>'

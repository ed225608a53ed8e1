"""The ATT&CK Enterprise matrix as a heat map of the techniques an actor uses.

The layout (tactics in kill-chain order, each technique's tactics) is read from
the stored ``x-mitre-matrix``, ``x-mitre-tactic`` and ``attack-pattern``
objects, through the caller's reader, and cached per store state
(:func:`cirx.services.cache.cached`).  The heat map is a pure function of the
layout and the ATT&CK ids an actor uses: one cell per technique, under each of
its tactics, whose value counts the distinct ids used within it (the technique
itself and each of its sub-techniques).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from cirx.services.actors import attack_id
from cirx.services.workspace import Workspace
from cirx.web import charts

#: The Enterprise tactics in kill-chain order, used when the store holds no ``x-mitre-matrix``.
KILL_CHAIN = ("reconnaissance", "resource-development", "initial-access", "execution", "persistence",
              "privilege-escalation", "defense-evasion", "credential-access", "discovery", "lateral-movement",
              "collection", "command-and-control", "exfiltration", "impact")
ENTERPRISE_KILL_CHAIN = "mitre-attack"
ATTACK_TECHNIQUE_URL = "https://attack.mitre.org/techniques/{path}/"


@dataclass(frozen=True)
class Tactic:
    """An ATT&CK tactic: its short name (the kill-chain phase), display name and TA id."""

    shortname: str
    name: str
    attack_id: str | None = None


@dataclass(frozen=True)
class Technique:
    """An Enterprise technique or sub-technique: ATT&CK id, name, tactic short names."""

    attack_id: str
    name: str
    tactics: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """The Enterprise matrix: tactics in order and every current technique by ATT&CK id."""

    tactics: tuple[Tactic, ...]
    techniques: Mapping[str, Technique]


@dataclass(frozen=True)
class Cell:
    """One technique in the heat map: the ids used within it (itself and sub-techniques)."""

    attack_id: str
    name: str
    used: tuple[str, ...]

    @property
    def uses(self) -> int:
        """How many distinct ids (the technique and its sub-techniques) the actor uses."""
        return len(self.used)


@dataclass(frozen=True)
class HeatMap:
    """Columns (tactic, cells busiest first), and the used ids that are not in the Enterprise matrix."""

    columns: tuple[tuple[Tactic, tuple[Cell, ...]], ...]
    cells: Mapping[str, Cell]
    outside: tuple[str, ...] = field(default=())

    @property
    def peak(self) -> int:
        """The largest cell value (0 when empty)."""
        return max((c.uses for c in self.cells.values()), default=0)


def parent_id(technique_id: str) -> str:
    """``T1566`` for ``T1566.001`` (and for ``T1566``)."""
    return technique_id.split(".", 1)[0]


def build_layout(matrices: Iterable[Mapping[str, Any]], tactics: Iterable[Mapping[str, Any]],
                 patterns: Iterable[Mapping[str, Any]]) -> Layout:
    """The Enterprise layout from stored objects (pure).

    Tactics follow the ``tactic_refs`` of the Enterprise ``x-mitre-matrix``
    (else :data:`KILL_CHAIN`).  Of several copies of one technique, the official
    ATT&CK one (with ``x_mitre_domains``) wins; revoked or deprecated ones are left out.
    """
    by_id = {str(t["id"]): t for t in tactics}
    enterprise = [m for m in matrices
                  if any(r.get("external_id") == "enterprise-attack" for r in m.get("external_references") or ())]
    ordered: list[Tactic] = []
    for matrix in enterprise[:1]:
        for ref in matrix.get("tactic_refs") or ():
            tactic = by_id.get(str(ref))
            if tactic and tactic.get("x_mitre_shortname"):
                ordered.append(Tactic(str(tactic["x_mitre_shortname"]), str(tactic.get("name") or ""),
                                      attack_id(dict(tactic))))
    if not ordered:
        names = {str(t.get("x_mitre_shortname")): t for t in by_id.values()}
        ordered = [Tactic(s, str((names.get(s) or {}).get("name") or s.replace("-", " ").title()),
                          attack_id(dict(names[s])) if s in names else None) for s in KILL_CHAIN]
    known = {t.shortname for t in ordered}
    copies: dict[str, list[Mapping[str, Any]]] = {}
    for pattern in patterns:
        technique_id = attack_id(dict(pattern))
        if technique_id and technique_id.startswith("T"):
            copies.setdefault(technique_id, []).append(pattern)
    techniques: dict[str, Technique] = {}
    for technique_id, found in copies.items():
        chosen = [c for c in found if "x_mitre_domains" in c] or found
        current = [c for c in chosen if not c.get("revoked") and not c.get("x_mitre_deprecated")]
        phases = tuple(dict.fromkeys(
            str(p["phase_name"]) for c in current for p in c.get("kill_chain_phases") or ()
            if p.get("kill_chain_name") == ENTERPRISE_KILL_CHAIN and p.get("phase_name") in known))
        if current and phases:
            techniques[technique_id] = Technique(technique_id, str(current[0].get("name") or technique_id), phases)
    return Layout(tuple(ordered), techniques)


def load_layout(workspace: Workspace) -> Layout:
    """The Enterprise layout from what the caller's workspace holds (cache it with ``cirx.services.cache.cached``)."""
    reader = workspace.reader
    return build_layout(reader.iter_latest(["x-mitre-matrix"]), reader.iter_latest(["x-mitre-tactic"]),
                        reader.iter_latest(["attack-pattern"]))


def heat_map(layout: Layout, used_ids: Iterable[str]) -> HeatMap:
    """The heat map of the ATT&CK ids an actor uses: sub-technique uses count toward their parent."""
    grouped: dict[str, set[str]] = {}
    outside: set[str] = set()
    for technique_id in used_ids:
        parent = parent_id(technique_id)
        if technique_id in layout.techniques or parent in layout.techniques:
            grouped.setdefault(parent, set()).add(technique_id)
        else:
            outside.add(technique_id)
    cells: dict[str, Cell] = {}
    tactics_of: dict[str, tuple[str, ...]] = {}
    for parent, used in grouped.items():
        owner = layout.techniques.get(parent) or layout.techniques[min(used)]
        cells[parent] = Cell(parent, owner.name, tuple(sorted(used)))
        tactics_of[parent] = owner.tactics
    columns = []
    for tactic in layout.tactics:
        members = [cells[p] for p, tactics in tactics_of.items() if tactic.shortname in tactics]
        columns.append((tactic, tuple(sorted(members, key=lambda c: (-c.uses, c.name, c.attack_id)))))
    return HeatMap(tuple(columns), cells, tuple(sorted(outside)))


def csv_rows(heat: HeatMap) -> list[dict[str, Any]]:
    """One row per (tactic, technique) cell: the CSV of the heat map."""
    return [{"tactic": tactic.name, "tactic_id": tactic.attack_id or "", "technique_id": cell.attack_id,
             "technique": cell.name, "uses": cell.uses, "ids_used": ";".join(cell.used)}
            for tactic, cells in heat.columns for cell in cells]


def technique_url(technique_id: str) -> str:
    """The technique's page on attack.mitre.org (a plain link, never fetched by the page)."""
    return ATTACK_TECHNIQUE_URL.format(path=technique_id.replace(".", "/"))


def _cell(cell: Cell, peak: int) -> str:
    subs = [u for u in cell.used if u != cell.attack_id]
    parts = ["used itself"] if cell.attack_id in cell.used else []
    if subs:
        parts.append(f"{len(subs)} sub-technique(s) used: {', '.join(subs)}")
    detail = "; ".join(parts)
    dark = " dark" if cell.uses > peak / 2 else ""
    return (f'<td class="technique{dark}" style="background:{charts.shade(cell.uses, peak)}" '
            f'title="{escape(cell.name)} ({escape(cell.attack_id)}): {escape(detail)}">'
            f'<a href="{escape(technique_url(cell.attack_id))}">{escape(cell.name)}</a> '
            f'<span class="tid">{escape(cell.attack_id)}</span> <span class="uses" aria-label="ids used">'
            f'{cell.uses}</span></td>')


def render(heat: HeatMap, *, chart_id: str, title: str, csv_url: str | None) -> Markup:
    """The heat map as a table (tactics as columns, techniques as cells), with a legend and CSV link."""
    if not heat.cells:
        return charts.figure(chart_id, title, '<p class="empty">No Enterprise ATT&amp;CK technique is linked '
                             'to this actor.</p>', csv_url=csv_url)
    shown = [(tactic, cells) for tactic, cells in heat.columns]
    depth = max(len(cells) for _, cells in shown)
    head = "".join(f'<th scope="col">{escape(t.name)} <span class="count">({len(cells)})</span></th>'
                   for t, cells in shown)
    body = []
    peak = heat.peak
    for i in range(depth):
        row = "".join(_cell(cells[i], peak) if i < len(cells) else '<td class="blank"></td>'
                      for _, cells in shown)
        body.append(f"<tr>{row}</tr>")
    table = (f'<div class="matrix-wrap" tabindex="0" role="region" aria-label="{escape(title)}">'
             f'<table class="attack-matrix"><caption class="visually-hidden">{escape(title)}: '
             f'one column per tactic in kill-chain order; each cell is a technique, shaded by how many of it '
             f'and its sub-techniques are used</caption><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table></div>')
    note = (f"Not in the Enterprise matrix: {', '.join(heat.outside)}." if heat.outside else "")
    return charts.figure(chart_id, title, table, csv_url=csv_url, legend=count_legend(peak), note=note)


def count_legend(peak: int) -> str:
    """A legend for whole counts from 1 to ``peak``: one swatch per shade, with the values it stands for."""
    groups: list[tuple[str, int, int]] = []
    for value in range(1, peak + 1):
        colour = charts.shade(value, peak)
        if groups and groups[-1][0] == colour:
            groups[-1] = (colour, groups[-1][1], value)
        else:
            groups.append((colour, value, value))
    items = "".join(f'<li><span class="swatch" style="background:{colour}"></span>'
                    f'{low if low == high else f"{low}–{high}"}</li>' for colour, low, high in groups)
    return (f'<ul class="legend" aria-label="Legend: ids used per technique (the technique and its '
            f'sub-techniques)">{items}</ul>')


def technique_table(heat: HeatMap) -> Markup:
    """Every technique of the heat map as a plain data table (busiest first), for reading and screen readers."""
    tactics_of: dict[str, list[str]] = {}
    for tactic, cells in heat.columns:
        for cell in cells:
            tactics_of.setdefault(cell.attack_id, []).append(tactic.name)
    rows: Sequence[Cell] = sorted(heat.cells.values(), key=lambda c: (-c.uses, c.attack_id))
    body = "".join(
        f'<tr><th scope="row"><a href="{escape(technique_url(c.attack_id))}">{escape(c.name)}</a></th>'
        f'<td>{escape(c.attack_id)}</td><td>{escape(", ".join(tactics_of.get(c.attack_id, [])))}</td>'
        f'<td>{escape(", ".join(u for u in c.used if u != c.attack_id))}</td><td>{c.uses}</td></tr>'
        for c in rows)
    return Markup(f'<div class="table-wrap"><table class="data"><caption>Techniques and the tactics they serve'
                  f'</caption><thead><tr><th scope="col">Technique</th><th scope="col">ATT&amp;CK id</th>'
                  f'<th scope="col">Tactics</th><th scope="col">Sub-techniques used</th>'
                  f'<th scope="col">Ids used</th></tr></thead><tbody>{body}</tbody></table></div>')

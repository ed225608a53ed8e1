"""World maps for the workspace: country shapes, a choropleth and initiator-to-receiver flows, as inline SVG.

The country shapes come from the ``pygal_maps_world`` package (PyPI, by Kozea,
GNU LGPL v3 or later): its ``worldmap.svg`` holds one ``<g class="xx country">``
per country, ``xx`` being the ISO 3166-1 alpha-2 code in lower case, with one
or more ``<path>`` each.  cirx only reads that data file from the installed
package (it imports no code of it and changes nothing in it); nothing is ever
fetched at run time.  The shapes are read once (:func:`world`), their curves
flattened to polygons, scaled down, rounded to whole units and thinned, which
keeps the inline geometry near a sixth of the original's size.

A page draws the shapes once, as ``<defs>`` of its first map; every map of the
page then places each country with ``<use>``, filled by its count, inside a
link to ``/countries/{iso2}`` with a ``<title>`` naming the country and count
(countries with a count are tab stops; a skip link passes them).

The package draws very small states as marker circles and a few not at all: a
country whose outline vanishes at this scale becomes a dot, Qatar (absent from
the package) is placed as a dot beside Bahrain (:data:`PLACED`), and any other
code with a count that the map cannot draw is named under it.
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from markupsafe import Markup, escape

from cirx.model.countries import country_name
from cirx.web.charts import SEQUENTIAL, figure

#: The shapes are scaled by this factor (the package's map is 2475 x 1388 units).
SCALE = 0.5
#: A vertex closer than this (in scaled units) to the previous one kept is dropped.
TOLERANCE = 1.0
#: A curve whose control polygon is longer than this (in the package's units) is sampled at its quarters.
CURVE_SAMPLING = 20.0
#: Rings smaller than this area (scaled units squared) are dropped, except a country's largest.
MIN_AREA = 1.5
#: The radius of the dot that stands for a country too small to draw at this scale.
DOT_RADIUS = 2.5
#: The colour of flows (arcs) and of the arrow heads.
FLOW_COLOUR = "#D55E00"
#: The fill of a country with no incident (grey, so that "none" reads apart from "a few").
NO_INCIDENTS = "#dfe3e8"
#: Shapes left off the map (Antarctica: no incident lands there, and it takes a sixth of the height).
LEFT_OUT = frozenset({"AQ"})
#: Colour classes of the choropleth (the darker steps of the sequential blue scale).
CLASSES = len(SEQUENTIAL) - 1

_TOKENS = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
#: Numbers each path command takes per segment, and where its end point lies among them.
_ARITY = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "a": 7, "z": 0}

Point = tuple[float, float]

#: Countries the package does not draw, placed as a dot (scaled units) estimated from a neighbour: Qatar lies
#: 0.7 degrees east and 0.8 south of Bahrain, whose marker circle is centred at (787.8, 228.2).
PLACED: dict[str, Point] = {"QA": (791.5, 233.0)}


@dataclass(frozen=True)
class Shape:
    """One country on the map: its outline (SVG path data), bounding box, centroid and name."""

    iso2: str
    name: str
    path: str
    bbox: tuple[float, float, float, float]
    centroid: Point


@dataclass(frozen=True)
class WorldMap:
    """Every country the package draws, by upper-case ISO 3166-1 alpha-2 code, and the map's size."""

    width: float
    height: float
    shapes: Mapping[str, Shape]


def _bezier(points: Sequence[Point], t: float) -> Point:
    """A point of a quadratic or cubic Bézier curve (de Casteljau)."""
    work = list(points)
    while len(work) > 1:
        work = [((1 - t) * a[0] + t * b[0], (1 - t) * a[1] + t * b[1]) for a, b in itertools.pairwise(work)]
    return work[0]


def rings(d: str) -> list[list[Point]]:
    """The rings of an SVG path as absolute polygons: lines kept, curves by their end points (and, for a curve
    longer than :data:`CURVE_SAMPLING`, three points between, so that round shapes stay round)."""
    tokens = _TOKENS.findall(d)
    found: list[list[Point]] = []
    ring: list[Point] = []
    x = y = 0.0
    control: Point | None = None  # the last curve's second control point (for s and t)
    command = previous = ""
    i = 0
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i]
            i += 1
            if command in "zZ":
                if len(ring) > 2:
                    found.append(ring)
                if ring:
                    x, y = ring[0]
                ring, previous = [], "z"
                continue
        elif not command:
            raise ValueError(f"path data starts with a number: {d[:40]!r}")
        kind = command.lower()
        count = _ARITY[kind]
        chunk = tokens[i:i + count]
        if len(chunk) < count or any(t.isalpha() for t in chunk):
            raise ValueError(f"path command {command!r} lacks numbers: {d[:40]!r}")
        values = [float(t) for t in chunk]
        i += count
        ox, oy = (x, y) if command.islower() else (0.0, 0.0)
        pairs = [(ox + values[j], oy + values[j + 1]) for j in range(0, count - 1, 2)] if kind not in "hv" else []
        start = (x, y)
        if kind == "h":
            x = ox + values[0] if command.islower() else values[0]
        elif kind == "v":
            y = oy + values[0] if command.islower() else values[0]
        elif kind == "a":
            x, y = ox + values[5], oy + values[6]
        else:
            x, y = pairs[-1]
        if kind == "m":
            if len(ring) > 2:
                found.append(ring)
            ring = [(x, y)]
            command = "l" if command.islower() else "L"  # further pairs after a move are lines
            previous = "m"
            continue
        curve: list[Point] = []
        if kind in "cs":
            first = pairs[0] if kind == "c" else (
                (2 * start[0] - control[0], 2 * start[1] - control[1]) if control and previous in "cs" else start)
            curve = [start, first, *pairs[-2:]] if kind == "s" else [start, *pairs]
        elif kind in "qt":
            middle = pairs[0] if kind == "q" else (
                (2 * start[0] - control[0], 2 * start[1] - control[1]) if control and previous in "qt" else start)
            curve = [start, middle, (x, y)]
        if curve:
            if sum(math.dist(a, b) for a, b in itertools.pairwise(curve)) > CURVE_SAMPLING:
                ring.extend(_bezier(curve, t) for t in (0.25, 0.5, 0.75))
            control = curve[-2]
        ring.append((x, y))
        previous = kind
    if len(ring) > 2:
        found.append(ring)
    return found


def area(ring: Sequence[Point]) -> float:
    """The signed area of a polygon (shoelace formula)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True)) / 2


def centroid(ring: Sequence[Point]) -> Point:
    """The centre of mass of a polygon (its vertices' mean when it has no area)."""
    twice = 2 * area(ring)
    if abs(twice) < 1e-9:
        return (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return (cx / (3 * twice), cy / (3 * twice))


def thin(ring: Sequence[Point], scale: float = SCALE, tolerance: float = TOLERANCE) -> list[tuple[int, int]]:
    """A ring scaled, rounded to whole units, with vertices closer than ``tolerance`` to the last kept dropped."""
    kept: list[tuple[int, int]] = []
    for x, y in ring:
        point = (round(x * scale), round(y * scale))
        if kept and math.dist(point, kept[-1]) < tolerance:
            continue
        kept.append(point)
    if len(kept) > 1 and kept[0] == kept[-1]:
        kept.pop()
    return kept


def path_data(polygons: Sequence[Sequence[tuple[int, int]]]) -> str:
    """Compact SVG path data for integer polygons: an absolute move, then relative lines, closed."""
    parts = []
    for polygon in polygons:
        (x0, y0), rest = polygon[0], polygon[1:]
        steps = []
        px, py = x0, y0
        for x, y in rest:
            steps.append(f"{x - px} {y - py}")
            px, py = x, y
        parts.append(f"M{x0} {y0}l" + " ".join(steps).replace(" -", "-") + "z")
    return "".join(parts)


def _name(iso2: str) -> str:
    try:
        return country_name(iso2)
    except KeyError:
        return iso2


def dot(x: float, y: float, radius: float = DOT_RADIUS) -> str:
    """SVG path data of a small circle (for a country too small to draw)."""
    return f"M{x - radius:.1f} {y:.1f}a{radius} {radius} 0 1 0 {2 * radius} 0a{radius} {radius} 0 1 0 {-2 * radius} 0z"


def _shape(iso2: str, paths: Sequence[str]) -> Shape | None:
    polygons = []
    raw = [ring for d in paths for ring in rings(d)]
    for ring in raw:
        points = thin(ring)
        if len(points) >= 3:
            polygons.append(points)
    name = _name(iso2)
    if not polygons or max(abs(area(p)) for p in polygons) < MIN_AREA:  # too small to see: a dot at its centre
        if not raw:
            return None
        cx, cy = centroid(max(raw, key=lambda r: abs(area(r))))
        x, y = round(cx * SCALE, 1), round(cy * SCALE, 1)
        return Shape(iso2=iso2, name=name, path=dot(x, y),
                     bbox=(x - DOT_RADIUS, y - DOT_RADIUS, x + DOT_RADIUS, y + DOT_RADIUS), centroid=(x, y))
    sizes = [abs(area(p)) for p in polygons]
    largest = max(range(len(polygons)), key=sizes.__getitem__)
    kept = [p for i, p in enumerate(polygons) if i == largest or sizes[i] >= MIN_AREA]
    xs = [x for p in kept for x, _ in p]
    ys = [y for p in kept for _, y in p]
    cx, cy = centroid([(float(x), float(y)) for x, y in polygons[largest]])
    return Shape(iso2=iso2, name=name, path=path_data(kept), bbox=(min(xs), min(ys), max(xs), max(ys)),
                 centroid=(round(cx, 1), round(cy, 1)))


def parse_world(svg: str) -> WorldMap:
    """The countries of a pygal world map SVG (``<g class="xx country ...">`` groups of paths)."""
    root = ET.fromstring(svg)
    box = [float(v) for v in root.attrib.get("viewBox", "0 0 2475 1388").split()]
    groups: dict[str, list[str]] = {}
    for element in root.iter():
        classes = element.attrib.get("class", "").split()
        if "country" not in classes or not classes:
            continue
        code = classes[0].upper()
        if len(code) != 2 or not code.isalpha():
            continue
        groups.setdefault(code, []).extend(
            p.attrib["d"] for p in element.iter() if p.tag.endswith("path") and p.attrib.get("d"))
    shapes = {code: shape for code, paths in sorted(groups.items())
              if code not in LEFT_OUT and (shape := _shape(code, paths))}
    bottom = max((s.bbox[3] for s in shapes.values()), default=box[3] * SCALE)
    return WorldMap(width=round(box[2] * SCALE), height=min(round(box[3] * SCALE), math.ceil(bottom) + 4),
                    shapes=shapes)


@lru_cache(maxsize=1)
def world() -> WorldMap:
    """The world map of the installed ``pygal_maps_world`` package (read and simplified once), with the
    :data:`PLACED` dots."""
    svg = (resources.files("pygal_maps_world") / "worldmap.svg").read_text(encoding="utf-8")
    parsed = parse_world(svg)
    shapes = dict(parsed.shapes)
    for code, (x, y) in PLACED.items():
        if code not in shapes:
            shapes[code] = Shape(iso2=code, name=_name(code), path=dot(x, y), centroid=(x, y),
                                 bbox=(x - DOT_RADIUS, y - DOT_RADIUS, x + DOT_RADIUS, y + DOT_RADIUS))
    return WorldMap(width=parsed.width, height=parsed.height, shapes=dict(sorted(shapes.items())))


def name_of(iso2: str) -> str:
    """A country's common name (the code itself when it is not an ISO 3166-1 country)."""
    shape = world().shapes.get(iso2)
    if shape is not None:
        return shape.name
    try:
        return country_name(iso2)
    except KeyError:
        return iso2


@lru_cache(maxsize=1)
def shape_defs() -> Markup:
    """Every country's outline as ``<path id="geo-xx">``, to be placed once per page inside ``<defs>``."""
    return Markup("".join(f'<path id="geo-{s.iso2.lower()}" d="{s.path}"/>' for s in world().shapes.values()))


def level(count: float, maximum: float) -> int:
    """The colour class of a count: 0 for none, else 1..:data:`CLASSES` on a square-root scale of
    ``maximum`` (so that a few very busy countries do not wash all others out)."""
    if count <= 0 or maximum <= 0:
        return 0
    return min(CLASSES, max(1, math.ceil(CLASSES * math.sqrt(min(count, maximum) / maximum) - 1e-9)))


def fill(count: float, maximum: float) -> str:
    """The fill of a country with ``count`` incidents on a map whose busiest country has ``maximum``."""
    found = level(count, maximum)
    return SEQUENTIAL[found] if found else NO_INCIDENTS


def classes(maximum: int) -> list[tuple[int, int, str]]:
    """The colour classes a map with this maximum uses: (lowest count, highest count, colour), non-empty ones."""
    found: list[tuple[int, int, str]] = []
    low = 1
    for step in range(1, CLASSES + 1):
        high = math.floor(maximum * (step / CLASSES) ** 2 + 1e-9)
        while high >= low and level(high, maximum) > step:
            high -= 1
        while high < maximum and level(high + 1, maximum) <= step:
            high += 1
        if high >= low:
            found.append((low, high, SEQUENTIAL[step]))
            low = high + 1
    return found


def class_legend(maximum: int, unit: str) -> str:
    """The legend of :func:`fill`: "none" in grey, then each class's range of counts."""
    items = [f'<li><span class="swatch" style="background:{NO_INCIDENTS}"></span>none</li>']
    for low, high, colour in classes(maximum):
        text = f"{low}" if low == high else f"{low}–{high}"
        items.append(f'<li><span class="swatch" style="background:{colour}"></span>{text}</li>')
    return f'<ul class="legend" aria-label="Legend: {escape(unit)} per country">{"".join(items)}</ul>'


def _countries(counts: Mapping[str, int], maximum: int, unit: str, href: str) -> str:
    parts = []
    for code, shape in world().shapes.items():
        n = int(counts.get(code, 0))
        label = f"{shape.name}: {n} {unit}"
        focus = "" if n else ' tabindex="-1"'
        parts.append(f'<a href="{escape(href.format(iso2=code))}" aria-label="{escape(label)}"{focus}>'
                     f'<title>{escape(label)}</title><use href="#geo-{code.lower()}" fill="{fill(n, maximum)}"/></a>')
    return "".join(parts)


def _open_svg(chart_id: str, with_shapes: bool) -> str:
    w = world()
    defs = f"<defs>{shape_defs()}</defs>" if with_shapes else ""
    return (f'<svg viewBox="0 0 {w.width} {w.height}" role="img" aria-labelledby="{escape(chart_id)}-title" '
            f'class="geo">{defs}<rect width="{w.width}" height="{w.height}" class="sea"/>')


def off_map(counts: Mapping[str, int]) -> list[str]:
    """Codes with a count that the map cannot draw (no shape), most incidents first."""
    shapes = world().shapes
    return [c for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n and c not in shapes]


def choropleth(chart_id: str, title: str, counts: Mapping[str, int], *, unit: str = "incidents",
               csv_url: str | None, href: str = "/countries/{iso2}", with_shapes: bool = True) -> Markup:
    """A world map shading each country by its count, with a scale legend, a CSV link and a table.

    ``counts`` maps upper-case ISO alpha-2 codes to counts (what the caller may see, and nothing
    more).  ``with_shapes`` puts the outlines in this map's ``<defs>``: leave it on for the first
    map of a page, off for later ones (they reuse the outlines by id).
    """
    maximum = max(counts.values(), default=0)
    skip = (f'<a class="skip-map" href="#{escape(chart_id)}-after">Skip the links of the map\'s countries</a>')
    body = (skip + _open_svg(chart_id, with_shapes) + _countries(counts, maximum, unit, href)
            + f'</svg><span id="{escape(chart_id)}-after" tabindex="-1"></span>')
    missing = off_map(counts)
    note = ("Not on the map (the map package has no shape for them): " + ", ".join(
        f"{name_of(c)} ({counts[c]})" for c in missing) + ".") if missing else ""
    return figure(chart_id, title, body + _count_table(chart_id, counts, unit, href), csv_url=csv_url,
                  legend=class_legend(maximum, unit), note=note)


def _count_table(chart_id: str, counts: Mapping[str, int], unit: str, href: str) -> str:
    rows = "".join(
        f'<tr><th scope="row"><a href="{escape(href.format(iso2=c))}">{escape(name_of(c))}</a></th>'
        f'<td>{escape(c)}</td><td class="num">{n}</td></tr>'
        for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n)
    if not rows:
        return ""
    return (f'<details class="geo-table"><summary>The map as a table</summary><div class="table-wrap">'
            f'<table class="data" id="{escape(chart_id)}-table"><thead><tr><th scope="col">Country</th>'
            f'<th scope="col">Code</th><th scope="col">{escape(unit.capitalize())}</th></tr></thead>'
            f'<tbody>{rows}</tbody></table></div></details>')


@dataclass(frozen=True)
class Flow:
    """Incidents from one initiator state to one receiver state."""

    initiator: str
    receiver: str
    incidents: int


def drawable_flows(rows: Sequence[Mapping[str, object]], top: int = 25) -> list[Flow]:
    """The ``top`` busiest dyads (``{initiator, receiver, incidents}`` rows) between two distinct states on
    the map, busiest first."""
    shapes = world().shapes
    flows = [Flow(str(r["initiator"]), str(r["receiver"]), int(str(r["incidents"]))) for r in rows
             if r.get("initiator") and r.get("receiver") and r["initiator"] != r["receiver"]
             and r["initiator"] in shapes and r["receiver"] in shapes]
    flows.sort(key=lambda f: (-f.incidents, f.initiator, f.receiver))
    return flows[:top]


def arc(start: Point, end: Point, bend: float = 0.25) -> str:
    """SVG path data of a quadratic curve from ``start`` to ``end``, bowed to the left of its direction."""
    (x0, y0), (x1, y1) = start, end
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    cx, cy = mx + dy * bend, my - dx * bend
    return f"M{x0:.1f} {y0:.1f}Q{cx:.1f} {cy:.1f} {x1:.1f} {y1:.1f}"


def stroke_width(incidents: int, maximum: int) -> float:
    """The line width of a flow: 1 for the least, 9 for the busiest (square-root scale)."""
    if maximum <= 0:
        return 1.0
    return round(1 + 8 * math.sqrt(max(incidents, 0) / maximum), 1)


def flow_map(chart_id: str, title: str, flows: Sequence[Flow], *, csv_url: str | None,
             dyad_href: str = "/dyads?initiator={initiator}&receiver={receiver}",
             with_shapes: bool = False) -> Markup:
    """Flows drawn as arcs between the countries' centres over a grey world, width by incidents, arrow at
    the receiver; with a width legend and the same flows as a table (each linking to its dyad)."""
    if not flows:
        return figure(chart_id, title, '<p class="empty">No incidents between two known states match these '
                      'filters.</p>', csv_url=csv_url)
    shapes = world().shapes
    maximum = max(f.incidents for f in flows)
    marker = f"{chart_id}-arrow"
    parts = [_open_svg(chart_id, with_shapes),
             f'<defs><marker id="{escape(marker)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="3" '
             f'markerHeight="3" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{FLOW_COLOUR}"/>'
             f'</marker></defs>',
             "".join(f'<use href="#geo-{code.lower()}" class="land"/>' for code in shapes)]
    involved = sorted({f.initiator for f in flows} | {f.receiver for f in flows})
    for flow in sorted(flows, key=lambda f: f.incidents):  # the busiest drawn last, on top
        label = f"{name_of(flow.initiator)} → {name_of(flow.receiver)}: {flow.incidents} incidents"
        link = escape(dyad_href.format(initiator=flow.initiator, receiver=flow.receiver))
        parts.append(f'<a href="{link}" aria-label="{escape(label)}"><title>{escape(label)}</title>'
                     f'<path d="{arc(shapes[flow.initiator].centroid, shapes[flow.receiver].centroid)}" '
                     f'class="flow" stroke-width="{stroke_width(flow.incidents, maximum)}" '
                     f'marker-end="url(#{escape(marker)})"/></a>')
    for code in involved:
        x, y = shapes[code].centroid
        parts.append(f'<circle cx="{x}" cy="{y}" r="2.5" class="node"><title>{escape(name_of(code))}</title>'
                     f'</circle>')
    parts.append("</svg>")
    return figure(chart_id, title, "".join(parts) + _flow_table(chart_id, flows, dyad_href), csv_url=csv_url,
                  legend=width_legend(maximum))


def width_legend(maximum: int) -> str:
    """A legend of flow widths: the least, a middle and the busiest count."""
    levels = sorted({1, max(1, round(maximum / 4)), maximum})
    items = "".join(
        f'<li><svg width="40" height="12" aria-hidden="true"><line x1="2" y1="6" x2="38" y2="6" '
        f'stroke="{FLOW_COLOUR}" stroke-width="{stroke_width(n, maximum)}"/></svg>{n}</li>' for n in levels)
    return f'<ul class="legend" aria-label="Legend: line width is incidents">{items}<li>incidents (width)</li></ul>'


def _flow_table(chart_id: str, flows: Sequence[Flow], dyad_href: str) -> str:
    rows = "".join(
        f'<tr><td>{i}</td><th scope="row"><a href="{escape(dyad_href.format(initiator=f.initiator, receiver=f.receiver))}">'
        f'{escape(name_of(f.initiator))} → {escape(name_of(f.receiver))}</a></th><td class="num">{f.incidents}</td></tr>'
        for i, f in enumerate(flows, 1))
    return (f'<details class="geo-table"><summary>The flows as a table</summary><div class="table-wrap">'
            f'<table class="data" id="{escape(chart_id)}-table"><thead><tr><th scope="col">Rank</th>'
            f'<th scope="col">Initiator → receiver</th><th scope="col">Incidents</th></tr></thead>'
            f'<tbody>{rows}</tbody></table></div></details>')


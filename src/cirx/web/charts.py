"""Charts as server-rendered SVG: titled, with axes, legends and a CSV link, readable without JavaScript.

Each function takes the rows a page already computed (the same rows its CSV
download serves) and returns a ``<figure>`` as :class:`markupsafe.Markup`.
Every text is escaped; colours come from one palette that stays readable for
the common forms of colour blindness.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

#: Okabe-Ito palette (distinguishable with deuteranopia and protanopia), then greys.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#666666")
#: A sequential blue scale for counts (light to dark).
SEQUENTIAL = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")

Rows = Sequence[Mapping[str, Any]]


def colour(index: int) -> str:
    """The palette colour for series number ``index``."""
    return PALETTE[index % len(PALETTE)]


def shade(value: float, maximum: float) -> str:
    """The sequential colour for ``value`` on a 0..maximum scale, in the bands :func:`scale_legend` prints.

    Zero gets the lightest colour; band ``i`` (1-based) holds values in ``(max*(i-1)/n, max*i/n]``.
    """
    if maximum <= 0 or value <= 0:
        return SEQUENTIAL[0]
    steps = len(SEQUENTIAL) - 1
    band = max(1, math.ceil(steps * min(value, maximum) / maximum))
    return SEQUENTIAL[band]


def figure(chart_id: str, title: str, body: str, *, csv_url: str | None, legend: str = "",
           note: str = "") -> Markup:
    """Wrap an SVG (or table) in a titled figure with its legend and CSV download link."""
    link = (f'<a class="csv" href="{escape(csv_url)}" download>Download the data (CSV)</a>' if csv_url else "")
    caption = f'<figcaption id="{escape(chart_id)}-title">{escape(title)}</figcaption>'
    extra = f'<p class="chart-note">{escape(note)}</p>' if note else ""
    return Markup(f'<figure class="chart" id="{escape(chart_id)}" aria-labelledby="{escape(chart_id)}-title">'
                  f'{caption}{body}{legend}{extra}{link}</figure>')


def _empty(chart_id: str, title: str, csv_url: str | None) -> Markup:
    return figure(chart_id, title, '<p class="empty">No incidents match these filters.</p>', csv_url=csv_url)


def bar_chart(chart_id: str, title: str, rows: Rows, *, label: str, value: str, x_label: str,
              y_label: str, csv_url: str | None, href: str | None = None, limit: int = 20) -> Markup:
    """Horizontal bars, one per row (largest first, at most ``limit``); ``href`` may hold ``{label}``."""
    shown = sorted(rows, key=lambda r: -float(r[value] or 0))[:limit]
    if not shown:
        return _empty(chart_id, title, csv_url)
    maximum = max(float(r[value] or 0) for r in shown) or 1.0
    left, bar_height, width = 170, 20, 640
    plot = width - left - 50
    height = 30 + bar_height * len(shown) + 30
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-title" '
             f'class="bars" preserveAspectRatio="xMinYMin meet">']
    for i, row in enumerate(shown):
        y = 20 + i * bar_height
        length = plot * float(row[value] or 0) / maximum
        name = str(row[label])
        text = escape(name if len(name) <= 26 else name[:25] + "…")
        bar = (f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{bar_height - 6}" fill="{PALETTE[0]}">'
               f'<title>{escape(name)}: {escape(row[value])}</title></rect>')
        if href:
            bar = f'<a href="{escape(href.format(label=name))}">{bar}</a>'
        parts.append(f'<text x="{left - 6}" y="{y + bar_height - 6}" text-anchor="end">{text}</text>{bar}'
                     f'<text x="{left + length + 4:.1f}" y="{y + bar_height - 6}">{escape(row[value])}</text>')
    axis_y = 20 + bar_height * len(shown) + 4
    parts.append(f'<line x1="{left}" y1="16" x2="{left}" y2="{axis_y}" class="axis"/>'
                 f'<line x1="{left}" y1="{axis_y}" x2="{left + plot}" y2="{axis_y}" class="axis"/>'
                 f'<text x="{left + plot / 2}" y="{axis_y + 20}" text-anchor="middle" class="axis-label">'
                 f'{escape(x_label)}</text>'
                 f'<text x="10" y="12" class="axis-label">{escape(y_label)}</text></svg>')
    return figure(chart_id, title, "".join(parts), csv_url=csv_url)


def stacked_columns(chart_id: str, title: str, rows: Rows, *, x: str, series: str, value: str,
                    x_label: str, y_label: str, csv_url: str | None, max_series: int = 8) -> Markup:
    """Columns per ``x`` (e.g. year) stacked by ``series`` (e.g. type), with a legend; small series pooled."""
    if not rows:
        return _empty(chart_id, title, csv_url)
    totals: dict[str, float] = {}
    for row in rows:
        totals[str(row[series])] = totals.get(str(row[series]), 0) + float(row[value] or 0)
    kept = [name for name, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:max_series]]
    other = "other" if len(totals) > len(kept) else None
    names = kept + ([other] if other else [])
    columns: dict[str, dict[str, float]] = {}
    for row in rows:
        name = str(row[series]) if str(row[series]) in kept else str(other)
        cell = columns.setdefault(str(row[x]), {})
        cell[name] = cell.get(name, 0) + float(row[value] or 0)
    xs = sorted(columns)
    peak = max(sum(c.values()) for c in columns.values()) or 1.0
    width, height, left, bottom, top = 680, 300, 50, 40, 20
    plot_w, plot_h = width - left - 10, height - top - bottom
    step = plot_w / len(xs)
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-title" class="columns">']
    parts += grid_lines(peak, left=left, top=top, right=width - 10, plot_h=plot_h, label="{:.0f}")
    label_every = max(1, len(xs) // 12)
    for i, key in enumerate(xs):
        base: float = top + plot_h
        for j, name in enumerate(names):
            amount = columns[key].get(name, 0)
            if not amount:
                continue
            h = plot_h * amount / peak
            base -= h
            parts.append(f'<rect x="{left + i * step + 1:.1f}" y="{base:.1f}" width="{max(step - 2, 1):.1f}" '
                         f'height="{h:.1f}" fill="{colour(j)}"><title>{escape(key)}, {escape(name)}: '
                         f'{amount:.0f}</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{left + (i + 0.5) * step:.1f}" y="{top + plot_h + 16}" '
                         f'text-anchor="middle">{escape(key)}</text>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis"/>'
                 f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" class="axis"/>'
                 f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" class="axis-label">'
                 f'{escape(x_label)}</text><text x="4" y="12" class="axis-label">{escape(y_label)}</text></svg>')
    return figure(chart_id, title, "".join(parts), csv_url=csv_url, legend=legend(names))


def grid_lines(peak: float, *, left: float, top: float, right: float, plot_h: float, label: str) -> list[str]:
    """Five horizontal grid lines from 0 to ``peak``, each labelled on the left (``label``: a format)."""
    parts = []
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{label.format(peak * tick / 4)}</text>')
    return parts


def legend(names: Sequence[str]) -> str:
    """A legend: a swatch and a name per series, in palette order."""
    items = "".join(f'<li><span class="swatch" style="background:{colour(i)}"></span>{escape(name)}</li>'
                    for i, name in enumerate(names))
    return f'<ul class="legend" aria-label="Legend">{items}</ul>'


def scale_legend(maximum: float, unit: str) -> str:
    """A legend for the sequential scale from 0 to ``maximum``."""
    steps = len(SEQUENTIAL) - 1
    items = [f'<li><span class="swatch" style="background:{SEQUENTIAL[0]}"></span>none</li>']
    for i in range(1, steps + 1):
        low, high = maximum * (i - 1) / steps, maximum * i / steps
        if float(maximum).is_integer():  # counts: the whole numbers the band holds
            first, last = math.floor(low) + 1, math.floor(high)
            band = (f"{first}" if first == last else f"{first}–{last}") if first <= last else "(none)"
        else:
            band = f"more than {low:.3g} up to {high:.3g}" if i > 1 else f"up to {high:.3g}"
        items.append(f'<li><span class="swatch" style="background:{SEQUENTIAL[i]}"></span>{band}</li>')
    return f'<ul class="legend" aria-label="Legend: {escape(unit)}">{"".join(items)}</ul>'


def matrix(chart_id: str, title: str, rows: Rows, *, row: str, column: str, value: str, row_label: str,
           column_label: str, csv_url: str | None, href: str | None = None, limit: int = 15) -> Markup:
    """A heat-map table (rows x columns, the ``limit`` busiest of each); ``href`` may hold ``{row}``/``{column}``."""
    if not rows:
        return _empty(chart_id, title, csv_url)
    row_totals: dict[str, float] = {}
    column_totals: dict[str, float] = {}
    cells: dict[tuple[str, str], float] = {}
    for item in rows:
        r, c, v = str(item[row]), str(item[column]), float(item[value] or 0)
        row_totals[r] = row_totals.get(r, 0) + v
        column_totals[c] = column_totals.get(c, 0) + v
        cells[(r, c)] = cells.get((r, c), 0) + v
    top_rows = [k for k, _ in sorted(row_totals.items(), key=lambda kv: -kv[1])[:limit]]
    top_columns = [k for k, _ in sorted(column_totals.items(), key=lambda kv: -kv[1])[:limit]]
    peak = max(cells.values()) or 1.0
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in top_columns)
    body = []
    for r in top_rows:
        tds = []
        for c in top_columns:
            v = cells.get((r, c), 0)
            text = f"{v:.0f}" if v else ""
            if v and href:
                text = f'<a href="{escape(href.format(row=r, column=c))}">{text}</a>'
            tds.append(f'<td style="background:{shade(v, peak)}" class="{"dark" if v > peak / 2 else ""}" '
                       f'title="{escape(r)} → {escape(c)}: {v:.0f}">{text}</td>')
        body.append(f'<tr><th scope="row">{escape(r)}</th>{"".join(tds)}</tr>')
    table = (f'<div class="matrix-wrap"><table class="matrix"><caption class="visually-hidden">'
             f'{escape(row_label)} (rows) by {escape(column_label)} (columns)</caption>'
             f'<thead><tr><th scope="col">{escape(row_label)} ↓ / {escape(column_label)} →</th>{head}</tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table></div>')
    return figure(chart_id, title, table, csv_url=csv_url, legend=scale_legend(peak, "incidents"))

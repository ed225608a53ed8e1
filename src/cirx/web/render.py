"""Rendering pages: Jinja2 templates, the signed-in caller, charts with CSV downloads.

A page handler builds its context and the data of its charts, and calls
:func:`page`.  Each chart's rows are also downloadable as CSV at the page's own
URL with ``?csv=CHART`` added (the filters stay in the query string), so a CSV
always holds exactly what the chart shows to this caller.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from cirx.errors import NotFound

TEMPLATE_DIR = Path(__file__).parent / "templates"

#: The navigation bar: (path, label).
NAVIGATION = (
    ("/", "Overview"), ("/incidents", "Incidents"), ("/dyads", "Dyads"), ("/attribution", "Attribution desk"),
    ("/review", "Review desk"), ("/sharing", "Sharing"),
)

Rows = Sequence[Mapping[str, Any]]


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    """The template environment (built on first use, autoescaping on)."""
    environment = Jinja2Templates(directory=str(TEMPLATE_DIR))
    environment.env.globals["navigation"] = NAVIGATION
    environment.env.filters["query"] = query_string
    return environment


def query_string(params: Mapping[str, Any], **changes: Any) -> str:
    """``params`` with ``changes`` applied (None removes a key), as a query string starting with ``?``."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return "?" + urlencode(merged, doseq=True) if merged else ""


def csv_response(name: str, rows: Rows) -> Response:
    """Rows as a CSV download named ``NAME.csv`` (columns from the first row's keys)."""
    buffer = io.StringIO()
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    writer = csv.DictWriter(buffer, fieldnames=columns or ["empty"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def page(request: Request, template: str, context: dict[str, Any], *,
         charts: Mapping[str, Rows] | None = None, status_code: int = 200) -> Response:
    """Render ``template``, or the CSV of one chart when the query asks ``?csv=CHART``."""
    wanted = request.query_params.get("csv")
    if wanted is not None:
        if not charts or wanted not in charts:
            raise NotFound(f"this page has no chart {wanted!r}; it has: {', '.join(charts or {}) or 'none'}")
        return csv_response(wanted, charts[wanted])
    params = {k: v for k, v in request.query_params.multi_items() if k != "csv"}
    principal = getattr(request.state, "principal", None)
    body = {"request": request, "params": dict(params), "principal": principal,
            "signed_in_as": getattr(request.state, "signed_in_as", None), **context}
    return templates().TemplateResponse(request, template, body, status_code=status_code)


def csv_link(request: Request, chart: str) -> str:
    """The URL of a chart's CSV: this page's URL with ``csv=CHART`` added."""
    params = dict(request.query_params.multi_items())
    return request.url.path + query_string(params, csv=chart)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """An HTML error page for the workspace."""
    response = templates().TemplateResponse(
        request, "error.html", {"request": request, "params": {}, "principal": None, "signed_in_as": None,
                                "status": status, "title": title, "message": message}, status_code=status)
    return response  # type: ignore[return-value]

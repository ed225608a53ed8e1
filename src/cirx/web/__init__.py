"""The web workspace: server-rendered pages over the same services as the REST API.

``register(app)`` mounts the pages and ``/static`` on the FastAPI app built by
:func:`cirx.api.app.create_app`.  Every page reads through the caller's
:class:`~cirx.services.workspace.Workspace`, so the access policy narrows every
list, chart and count.  Every asset (CSS, JavaScript, country shapes) is served
from this package: no page ever asks another host for anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def register(app: FastAPI) -> None:
    """Mount the web workspace (pages and ``/static``) on ``app``."""
    from cirx.web.app import register as mount

    mount(app)


def warm_up() -> None:
    """Do once, before the first visitor, what the first page view would otherwise pay for: read and
    simplify the world map, load the filters' vocabularies (MISP taxonomies) and compile the page
    templates (``cirx serve`` calls it at start)."""
    from cirx.web import filters, geo, render

    geo.shape_defs()
    filters.filter_options()
    environment = render.templates().env
    for name in environment.list_templates(extensions=["html"]):
        environment.get_template(name)

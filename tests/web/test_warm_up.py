"""``cirx serve`` warms the workspace up: the map and every template are ready before the first visitor."""

from __future__ import annotations

from cirx.web import geo, render, warm_up


def test_warm_up_reads_the_map_and_compiles_every_template() -> None:
    warm_up()
    assert geo.shape_defs.cache_info().currsize == 1
    names = render.templates().env.list_templates(extensions=["html"])
    assert {"base.html", "overview.html", "incidents.html", "actor.html"} <= set(names)

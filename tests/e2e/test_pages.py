"""Every page of the workspace loads in Chromium, renders completely, and is usable (issue 7).

Each page is loaded as CERT-EE (signed in) and photographed at 1280x800 (and 375x740 for a few);
the guard fails a test on any console error, failed request or request to another host.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import (
    PAGES,
    PHONE,
    PHONE_PAGES,
    charts,
    fetch_csv,
    horizontal_overflow,
    render_problems,
    shoot,
    unlabelled_controls,
    visit,
)


@pytest.mark.parametrize("template", PAGES)
def test_page_loads_and_renders(template: str, new_context: ContextFactory, public_incident: str) -> None:
    path = template.format(incident=public_incident)
    context = new_context("owner")
    page = context.new_page()
    visit(page, path)
    shoot(page, template.replace("{incident}", "incident"), phone=template in PHONE_PAGES)
    assert render_problems(page) == []
    assert "cirx" in page.title()
    assert page.locator("header.site nav a").count() >= 6, "the navigation bar is missing"
    assert horizontal_overflow(page) <= 1, f"{path} scrolls sideways at 1280x800"
    assert unlabelled_controls(page) == [], f"{path}: controls without an accessible name"


@pytest.mark.parametrize("template", PHONE_PAGES)
def test_page_fits_a_phone(template: str, new_context: ContextFactory, public_incident: str) -> None:
    path = template.format(incident=public_incident)
    page = new_context("owner", viewport=PHONE).new_page()
    visit(page, path)
    assert render_problems(page) == []
    overflow = horizontal_overflow(page)
    assert overflow <= 1, f"{path} is {overflow}px wider than a 375px phone screen (sideways scrolling)"


@pytest.mark.parametrize("path", ["/", "/dyads", "/actors/G0007", "/countries/UA"])
def test_charts_have_titles_and_csv(path: str, new_context: ContextFactory) -> None:
    context = new_context("owner")
    page = context.new_page()
    visit(page, path)
    found = charts(page)
    assert found, f"{path} shows no chart (figure.chart)"
    for chart in found:
        assert chart["title"].strip(), f"{path}: chart {chart['id']!r} has no title"
        assert chart["drawn"], f"{path}: chart {chart['id']!r} draws nothing"
        assert chart["csv"], f"{path}: chart {chart['id']!r} has no CSV download"
        fetch_csv(context, chart["csv"])


def test_sign_in_form_for_the_anonymous_caller(new_context: ContextFactory) -> None:
    page = new_context("anonymous").new_page()
    visit(page, "/sharing")
    shoot(page, "sharing-signed-out")
    assert page.locator("form input[name=token], form input[type=password]").count() >= 1, \
        "/sharing offers no token or password field to sign in"
    assert render_problems(page) == []

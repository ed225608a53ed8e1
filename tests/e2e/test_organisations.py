"""Two signed-in organisations side by side: CERT-PT never sees CERT-EE's TLP:AMBER and TLP:RED incidents.

CERT-EE's secrets are incidents against Iceland (IS) and Greenland (GL).  EuRepoC has public incidents
against Iceland too, so a leak is a difference from the public view: every map tooltip, chart label and
CSV row that names Iceland or Greenland must read the same for CERT-PT as for the anonymous caller
(TLP:CLEAR only), and no page may carry a secret's name or id.  The owner's view must differ (its
counts include its own incidents), which shows the checks would see a leak.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.e2e.conftest import SECRET_NAMES, ContextFactory, Guard, LiveServer
from tests.e2e.helpers import csv_links, fetch_csv, visit
from tests.web.seed import SeededWorkspace

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

#: Pages whose charts, tooltips and CSVs count incidents by country.
COUNTING_PAGES = ("/", "/?by=initiator", "/dyads", "/dyads?initiator=RU&receiver=IS", "/dyads?initiator=IS&receiver=GL",
                  "/incidents", "/incidents?receiver=IS", "/countries/IS", "/countries/GL", "/countries/RU")
_CODE = re.compile(r"\b(IS|GL|ISL|GRL)\b")


def _mentions_secret_country(text: str) -> bool:
    return bool(_CODE.search(text) or re.search(r"iceland|greenland", text, re.IGNORECASE))


def secret_country_view(context: BrowserContext, page: Page) -> list[str]:
    """Everything ``page`` says about Iceland and Greenland: tooltips, chart labels and CSV rows, sorted."""
    found = [f"tooltip: {text.strip()}" for text in page.eval_on_selector_all(
        "svg title, [data-tooltip], [title]", """els => els.map(e =>
            e.tagName.toLowerCase() === 'title' ? e.textContent : (e.dataset.tooltip || e.getAttribute('title')))""")
        if text and _mentions_secret_country(text)]
    for url in csv_links(page):
        chart = url.rsplit("csv=", 1)[-1]
        for row in fetch_csv(context, url):
            cells = [str(v).strip() for v in row.values() if v is not None]
            if any(_CODE.fullmatch(c) or c.lower() in ("iceland", "greenland") or _CODE.search(c.replace(";", " "))
                   for c in cells):
                found.append(f"CSV {chart}: {row}")
    return sorted(found)


def test_outsider_never_sees_the_owners_secrets(new_context: ContextFactory, e2e_seed: SeededWorkspace,
                                                live_server: LiveServer, guard: Guard) -> None:
    owner_context, outsider_context = new_context("owner"), new_context("outsider")
    public_context = new_context("anonymous")
    owner, outsider, public = owner_context.new_page(), outsider_context.new_page(), public_context.new_page()
    secrets = (*SECRET_NAMES, *e2e_seed.secret_ids)

    # Counts, tooltips and CSVs: the outsider's read exactly as the public (anonymous) view; the owner's do not.
    leaks, owner_differs = {}, []
    for path in COUNTING_PAGES:
        visit(public, path)
        expected = secret_country_view(public_context, public)
        visit(owner, path)
        if secret_country_view(owner_context, owner) != expected:
            owner_differs.append(path)
        visit(outsider, path)
        html = outsider.content()
        named = [s for s in secrets if s in html]
        seen = secret_country_view(outsider_context, outsider)
        extra = [item for item in seen if item not in expected] + [f"missing: {i}" for i in expected if i not in seen]
        if named or extra:
            leaks[path] = named + extra
    assert leaks == {}, f"CERT-PT sees CERT-EE's AMBER/RED incidents: {leaks}"
    assert {"/", "/?by=initiator"} <= set(owner_differs), \
        f"the owner's overview maps count Iceland/Greenland as the public does: the check would not see a leak " \
        f"(the owner's view differs only on {owner_differs})"

    # Search: the owner finds the secrets by name, the outsider does not.
    for words, name in (("Glacier", SECRET_NAMES[0]), ("Fjord", SECRET_NAMES[1])):
        visit(owner, f"/incidents?q={words}")
        assert name in owner.locator("main").inner_text(), f"the owner's search for {words!r} misses {name!r}"
        visit(outsider, f"/incidents?q={words}")
        assert name not in outsider.content(), f"the outsider's search for {words!r} shows {name!r}"

    # The incident pages themselves: shown to the owner; to the outsider the same "not found" as a made-up id.
    unknown = "incident--00000000-0000-5000-8000-000000000000"
    guard.expect_status(f"{live_server.url}/incidents/{unknown}", 404)
    visit(outsider, f"/incidents/{unknown}", status=404)
    not_found = outsider.locator("main").inner_text().replace(unknown, "ID")
    for stix_id, name in zip(e2e_seed.secret_ids, SECRET_NAMES, strict=True):
        visit(owner, f"/incidents/{stix_id}")
        assert name in owner.locator("h1").inner_text()
        guard.expect_status(f"{live_server.url}/incidents/{stix_id}", 404)
        visit(outsider, f"/incidents/{stix_id}", status=404)
        assert name not in outsider.content()
        assert outsider.locator("main").inner_text().replace(stix_id, "ID") == not_found, \
            "the outsider's 'not found' for a secret incident differs from the one for a made-up id"

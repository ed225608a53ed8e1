"""What an analyst does in the workspace: filter, open an incident, attribute, upload a report, use the keyboard."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import ContextFactory, LiveServer
from tests.e2e.helpers import csv_links, fetch_csv, main_numbers, numeric, render_problems, shoot, visit
from tests.web.seed import SeededWorkspace

#: ICD 203's estimative terms (any one of them marks a calibrated hypothesis).
ICD_203 = ("almost no chance", "remote", "very unlikely", "highly improbable", "unlikely", "improbable",
           "roughly even chance", "roughly even odds", "likely", "probable", "very likely", "highly probable",
           "almost certain", "nearly certain")
#: Techniques ATT&CK links to APT28 (G0007).
APT28_TECHNIQUES = ("T1566.001", "T1059.001", "T1003.001", "T1071.001", "T1560.001", "T1036.005", "T1114.002",
                    "T1040", "T1110.003")
REPORT = """Fancy Bear phishing campaign against a ministry

The actor sent spearphishing emails with malicious Word attachments to staff of the ministry of defence.
When opened, the document ran a PowerShell script that downloaded a second stage from
hxxp://update-check-server[.]com/payload.bin.
The implant communicated with its command and control server at 185.86.148[.]227 over HTTPS.
The attackers dumped credentials from LSASS memory with Mimikatz and moved laterally over SMB.
Sample SHA-256: 0c2674c3a97c53082187d930efb645c2ef06f7d5e3dcb1b9e4b5e1a6f2a4c9d1
"""


def _csv_total(context, links: list[str]) -> float:  # type: ignore[no-untyped-def]
    return sum(value for url in links for row in fetch_csv(context, url) for cell in row.values()
               if (value := numeric(cell)) is not None)


def test_filters_change_the_overview(new_context: ContextFactory) -> None:
    context = new_context("anonymous")
    page = context.new_page()
    visit(page, "/")
    before, links_before = main_numbers(page), csv_links(page)
    form = page.locator("form.filters")
    form.locator("input[name=since]").fill("2020")
    form.locator("input[name=until]").fill("2021")
    form.locator("select[name=initiator_category]").select_option("state")
    with page.expect_navigation(wait_until="load"):
        form.get_by_role("button", name="Apply").click()
    assert "since=2020" in page.url and "initiator_category=state" in page.url
    shoot(page, "overview-filtered")
    assert render_problems(page) == []
    assert page.locator("form.filters select[name=initiator_category]").input_value() == "state"
    after, links_after = main_numbers(page), csv_links(page)
    assert after != before, "the overview's numbers did not change with the filter"
    assert links_after, "the overview has no CSV downloads"
    unfiltered = [url for url in links_after if "since=2020" not in url or "initiator_category=state" not in url]
    assert unfiltered == [], "charts that ignore the filter (their CSV links lose it)"
    assert _csv_total(context, links_after) < _csv_total(context, links_before)


def _result_count(page) -> int:  # type: ignore[no-untyped-def]
    """How many incidents the list says it found (the first "N incident(s)" in the content)."""
    text = page.locator("main").inner_text()
    match = re.search(r"([\d,]+)\s+(?:matching\s+)?incidents?\b", text, re.IGNORECASE)
    assert match, "the incident list does not say how many incidents it found"
    return int(match.group(1).replace(",", ""))


def test_filters_and_search_narrow_the_incident_list(new_context: ContextFactory) -> None:
    page = new_context("anonymous").new_page()
    visit(page, "/incidents")
    total = _result_count(page)
    form = page.locator("form.filters")
    form.locator("input[name=receiver]").fill("UA")
    form.locator("input[name=since]").fill("2022")
    with page.expect_navigation(wait_until="load"):
        form.get_by_role("button", name="Apply").click()
    assert "receiver=UA" in page.url
    narrowed = _result_count(page)
    assert 0 < narrowed < total
    shoot(page, "incidents-filtered")
    page.locator("form.filters input[name=q]").fill("Viasat")
    with page.expect_navigation(wait_until="load"):
        page.locator("form.filters").get_by_role("button", name="Apply").click()
    searched = _result_count(page)
    assert 0 < searched < narrowed
    assert "viasat" in page.locator("main").inner_text().lower()


def test_open_an_incident_from_the_list(new_context: ContextFactory) -> None:
    page = new_context("anonymous").new_page()
    visit(page, "/incidents")
    link = page.locator("main a[href^='/incidents/incident--']").first
    name = link.inner_text().strip()
    href = link.get_attribute("href")
    with page.expect_navigation(wait_until="load"):
        link.click()
    assert page.url.endswith(str(href))
    assert render_problems(page) == []
    assert name and name in page.locator("h1").inner_text()


def test_attribution_desk_ranks_hypotheses(new_context: ContextFactory) -> None:
    page = new_context("owner").new_page()
    visit(page, "/attribution")
    field = page.locator("main [name=techniques]")
    field.fill(", ".join(APT28_TECHNIQUES))
    with page.expect_navigation(wait_until="load"):
        page.locator("main form:has([name=techniques])").locator("button[type=submit], input[type=submit]") \
            .first.click()
    shoot(page, "attribution-result")
    assert render_problems(page) == []
    text = page.locator("main").inner_text()
    assert "APT28" in text, "APT28 is not among the hypotheses for its own techniques"
    assert re.search(r"\d+(\.\d+)?\s*%", text), "no probability shown"
    lowered = text.lower()
    assert any(term in lowered for term in ICD_203), "no ICD 203 estimative term shown"
    assert re.search(r"\bagainst\b", lowered) and re.search(r"\bfor\b", lowered), "no for/against table"
    if "APT29" in text:
        assert text.index("APT28") < text.index("APT29"), "APT28 should rank above APT29 on its own techniques"


def test_review_desk_turns_an_uploaded_report_into_a_draft(new_context: ContextFactory, writable_server: LiveServer,
                                                           tmp_path: Path) -> None:
    report = tmp_path / "fancy-bear-report.txt"
    report.write_text(REPORT, encoding="utf-8")
    page = new_context("owner", server=writable_server).new_page()
    visit(page, "/review")
    upload = page.locator("main input[type=file]")
    upload.set_input_files(str(report))
    with page.expect_navigation(wait_until="load"):
        page.locator("main form:has(input[type=file])").locator("button[type=submit], input[type=submit]") \
            .first.click()
    shoot(page, "review-draft")
    assert render_problems(page) == []
    text = page.locator("main").inner_text()
    assert "185.86.148.227" in text, "the draft does not show the (refanged) IPv4 indicator"
    assert "update-check-server.com" in text, "the draft does not show the (refanged) URL"
    assert "T1566.001" in text or "Spearphishing Attachment" in text, "the draft misses the phishing technique"
    assert "APT28" in text or "Fancy Bear" in text, "the draft does not link Fancy Bear"
    for action in ("Confirm", "Reject"):
        assert page.get_by_role("button", name=re.compile(action, re.IGNORECASE)).count() >= 1, \
            f"the draft offers no {action} button"


def test_keyboard_reaches_the_skip_link_and_the_navigation(new_context: ContextFactory) -> None:
    page = new_context("anonymous").new_page()
    visit(page, "/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')"), \
        "the first Tab does not reach the skip link"
    assert page.locator(".skip-link").is_visible(), "the focused skip link is not visible"
    reached = False
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('header.site nav')"):
            reached = True
            break
    assert reached, "Tab does not reach the main navigation"
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert render_problems(page) == []
    # The skip link moves the focus to the content.
    visit(page, "/incidents")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_sign_in_with_a_token_and_out(new_context: ContextFactory, e2e_seed: SeededWorkspace) -> None:
    page = new_context("anonymous").new_page()
    visit(page, "/sharing")
    assert "Signed in" not in page.locator("header.site").inner_text()
    form = page.locator("main form:has(input[name=token])")
    form.locator("input[name=token]").fill(e2e_seed.outsider_token)
    with page.expect_navigation(wait_until="load"):
        form.locator("button[type=submit], input[type=submit]").first.click()
    assert render_problems(page) == []
    assert "CERT-PT" in page.locator("header.site").inner_text(), "signing in with CERT-PT's token did not take"
    cookie = next(c for c in page.context.cookies() if c["name"] == "cirx_session")
    assert cookie["httpOnly"], "the session cookie is readable by scripts"
    assert cookie["value"] != e2e_seed.outsider_token, "the cookie should hold a session token, not the API token"
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=re.compile("sign out", re.IGNORECASE)).click()
    assert "CERT-PT" not in page.locator("header.site").inner_text()

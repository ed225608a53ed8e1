"""What the browser tests check on a page: it rendered, its charts, their CSVs, its numbers."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Response

REPO = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

#: The workspace's pages (issue 7's paths); "{incident}" is replaced by a public incident's id.
PAGES = ("/", "/incidents", "/incidents/{incident}", "/actors/G0007", "/countries/UA", "/dyads",
         "/attribution", "/review", "/sharing")
#: Pages also photographed and checked at phone width.
PHONE_PAGES = ("/", "/incidents", "/incidents/{incident}", "/actors/G0007")


def artifacts_dir() -> Path:
    """Where screenshots go: ``$CIRX_TEST_ARTIFACTS`` or ``test-artifacts/screenshots/`` in the checkout."""
    configured = os.environ.get("CIRX_TEST_ARTIFACTS")
    folder = Path(configured) if configured else REPO / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def slug(path: str) -> str:
    """A file name for a page path (``/`` is ``overview``)."""
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:80] or "overview"


def visit(page: Page, path: str, status: int = 200) -> Response:
    """Go to ``path`` and wait until it has loaded; asserts the HTTP status of the document."""
    response = page.goto(path, wait_until="load")
    assert response is not None, f"no response for {path}"
    assert response.status == status, f"{path}: HTTP {response.status}, expected {status}"
    return response


def shoot(page: Page, name: str, *, phone: bool = False) -> list[Path]:
    """Save a full-page screenshot at 1280x800 (and at 375x740 when ``phone``); returns the files."""
    folder = artifacts_dir()
    files = []
    original = page.viewport_size
    for size, wanted in ((DESKTOP, True), (PHONE, phone)):
        if not wanted:
            continue
        page.set_viewport_size(size)  # type: ignore[arg-type]
        path = folder / f"{slug(name)}-{size['width']}x{size['height']}.png"
        page.screenshot(path=str(path), full_page=True)
        files.append(path)
    if original:
        page.set_viewport_size(original)
    return files


_RENDERED = """() => {
  const problems = [];
  if (document.readyState !== 'complete') problems.push('document not complete: ' + document.readyState);
  for (const sheet of document.styleSheets) {
    try { if (!sheet.cssRules.length) problems.push('empty stylesheet ' + sheet.href); }
    catch (e) { problems.push('unreadable stylesheet ' + sheet.href); }
  }
  if (!document.styleSheets.length) problems.push('no stylesheet applied');
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0) problems.push('image not loaded: ' + img.src);
  }
  if (document.fonts && document.fonts.status !== 'loaded') problems.push('fonts: ' + document.fonts.status);
  const main = document.querySelector('main#main');
  if (!main) problems.push('no main#main');
  else if (main.innerText.trim().length < 20) problems.push('main is (nearly) empty');
  for (const figure of document.querySelectorAll('figure.chart')) {
    if (!figure.querySelector('svg, table, ol, ul, dl, .empty')) problems.push('chart draws nothing: ' + figure.id);
  }
  const h1 = document.querySelector('h1');
  if (!h1 || !h1.innerText.trim()) problems.push('no h1 heading');
  const origin = location.origin;
  for (const entry of performance.getEntriesByType('resource')) {
    if (!entry.name.startsWith(origin) && !entry.name.startsWith('data:')) problems.push('resource from ' + entry.name);
  }
  return problems;
}"""


def render_problems(page: Page) -> list[str]:
    """Why ``page`` did not render completely: document, stylesheets, images, fonts, heading, resources."""
    return list(page.evaluate(_RENDERED))


_UNLABELLED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') ||
                  el.getAttribute('aria-labelledby') || el.getAttribute('title');
    if (!named) bad.push(el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    const text = (el.textContent || '').trim() || el.getAttribute('aria-label') || el.getAttribute('title') ||
                 (el.querySelector('title') ? el.querySelector('title').textContent : '') ||
                 (el.querySelector('img[alt]') ? el.querySelector('img[alt]').alt : '');
    if (!text) bad.push(el.outerHTML.slice(0, 120));
  }
  return bad;
}"""


def unlabelled_controls(page: Page) -> list[str]:
    """Form controls without a label, and buttons or links without a name."""
    return list(page.evaluate(_UNLABELLED))


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scrolling)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def charts(page: Page) -> list[dict[str, Any]]:
    """Each chart figure: its id, caption, whether it has an SVG or table, and its CSV link."""
    return list(page.evaluate("""() => [...document.querySelectorAll('figure.chart')].map(f => ({
        id: f.id, title: (f.querySelector('figcaption') || {}).innerText || '',
        drawn: !!f.querySelector('svg, table, ol, ul, dl, .empty'),
        csv: (f.querySelector('a.csv') || {}).href || null}))"""))


def csv_links(page: Page) -> list[str]:
    """Every "Download the data (CSV)" link on the page (absolute URLs)."""
    return list(page.eval_on_selector_all("a.csv", "els => els.map(e => e.href)"))


def fetch_csv(context: BrowserContext, url: str) -> list[dict[str, str]]:
    """Download a chart's CSV with the context's cookies (so as the same caller); asserts HTTP 200 and CSV."""
    response = context.request.get(url)
    assert response.status == 200, f"{url}: HTTP {response.status}"
    assert response.headers.get("content-type", "").startswith("text/csv"), f"{url}: not CSV"
    return list(csv.DictReader(io.StringIO(response.text())))


def main_numbers(page: Page) -> list[str]:
    """The numbers shown in the page's content, outside the filter form (what a filter should change)."""
    text = page.evaluate("""() => {
        const main = document.querySelector('main').cloneNode(true);
        main.querySelectorAll('form.filters').forEach(f => f.remove());
        const titles = [...main.querySelectorAll('svg title')].map(t => t.textContent).join(' ');
        return main.innerText + ' ' + titles;
    }""")
    return re.findall(r"\d[\d,.]*", text)


def numeric(value: str) -> float | None:
    """A CSV cell as a number, or None."""
    try:
        return float(value.replace(",", ""))
    except (TypeError, ValueError):
        return None

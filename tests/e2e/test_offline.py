"""With the network gone, every page still renders completely and the browser never asks another host.

Two locks: Chromium resolves no name but 127.0.0.1 (``--host-resolver-rules``, set for every test), and
this context aborts any request that is not for the live server and logs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.e2e.conftest import ContextFactory, LiveServer
from tests.e2e.helpers import PAGES, artifacts_dir, render_problems, visit

if TYPE_CHECKING:
    from playwright.sync_api import Route


def test_every_page_renders_offline(new_context: ContextFactory, live_server: LiveServer,
                                    public_incident: str) -> None:
    context = new_context("owner")
    blocked: list[str] = []
    seen: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        seen.append(url)
        if url.startswith(live_server.url + "/") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", only_local)
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    for template in PAGES:
        path = template.format(incident=public_incident)
        visit(page, path)
        page.wait_for_load_state("networkidle")
        found = render_problems(page)
        if found:
            problems[path] = found
    (artifacts_dir() / "offline-requests.txt").write_text("\n".join(seen) + "\n")
    assert problems == {}, f"pages that did not render completely offline: {problems}"
    assert blocked == [], f"requests to other hosts: {blocked}"
    assert seen, "the route saw no request"
    assert all(url.startswith(live_server.url) for url in seen)

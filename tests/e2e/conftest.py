"""End-to-end fixtures: one live server and one headless Chromium per test session, guarded contexts.

- :func:`live_server`: uvicorn in a background thread on a free local port, serving the whole app
  (REST, TAXII, pages) over the web tests' seeded workspace with anonymous reads on;
- :func:`browser`: Debian's Chromium (``/usr/bin/chromium``, or ``$CIRX_CHROMIUM``) driven by Playwright,
  with every host name but 127.0.0.1 resolving to nothing, so no test can reach the network;
- :func:`new_context`: a browser context at 1280x800 for ``"owner"`` (CERT-EE), ``"outsider"``
  (CERT-PT) or ``"anonymous"``, signed in by setting the session cookie as the sign-in page does;
- :class:`Guard`: every context records console errors, page errors, failed requests, responses
  with status >= 400 and every request URL; a test fails on any of them (unless it declared the status
  it expects) and on any request to a host other than the live server.

Screenshots go to ``$CIRX_TEST_ARTIFACTS`` or ``test-artifacts/screenshots/``.  Without Chromium or
Playwright the tests skip, saying why; under ``CI=true`` that is a failure.

Under ``pytest -n 2`` each worker is its own session, so at most two servers and two browsers run.
(``--dist loadgroup`` would keep them on one worker, but with pytest 9.2 xdist 3.8 silently ignores
the groups: pytest-dev/pytest-xdist#1386.)
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import required, shared_data
from tests.e2e.helpers import DESKTOP
from tests.web.seed import SECRET_INCIDENTS, SeededWorkspace, seed

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Request, Response

CHROMIUM = Path(os.environ.get("CIRX_CHROMIUM", "/usr/bin/chromium"))
#: Chromium flags: headless, no GPU, no background traffic, and no name resolves except the loopback address.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
#: The names and countries of CERT-EE's AMBER and RED incidents, which CERT-PT must never see.
SECRET_NAMES = tuple(name for name, _, _ in SECRET_INCIDENTS.values())


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (.venv/bin/pip install playwright; `make test` installs it)"
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return (f"Chromium is not at {CHROMIUM} (apt-get install -y chromium chromium-driver; "
                "`make test` installs it)")
    return None


def require_browser() -> None:
    """Skip when Chromium or Playwright is missing; under CI=true fail instead."""
    required(browser_problem(), "the browser tests")


# --- the live server -------------------------------------------------------------------------------


class LiveServer:
    """The app under uvicorn in a background thread, on a free port of 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name=f"uvicorn-{self.port}", daemon=True)

    def start(self) -> LiveServer:
        """Start serving; returns once the server accepts connections."""
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the live server on {self.url} did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()


def serve_workspace(settings: Any) -> LiveServer:
    """A started live server over the store of ``settings``, anonymous reads on (its platform closes on stop)."""
    from cirx import Platform
    from cirx.api.app import create_app

    platform = Platform(replace(settings, anonymous_read=True)).init()
    server = LiveServer(create_app(platform))
    server.platform = platform  # type: ignore[attr-defined]
    return server.start()


def stop_workspace(server: LiveServer) -> None:
    """Stop the server and close its platform."""
    server.stop()
    server.platform.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def e2e_seed(tmp_path_factory: pytest.TempPathFactory) -> SeededWorkspace:
    """The web tests' seeded workspace (EuRepoC and two organisations' secrets), built once per session."""
    require_browser()
    shared = shared_data()
    return seed(tmp_path_factory.mktemp("e2e"), Path(shared))


@pytest.fixture(scope="session")
def live_server(e2e_seed: SeededWorkspace) -> Iterator[LiveServer]:
    """The read-only live server of the session (tests must not write through it)."""
    server = serve_workspace(e2e_seed.settings)
    yield server
    stop_workspace(server)


# --- the browser and its guarded contexts -----------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, one per test session."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Guard:
    """What the browser did during one test: requests, console errors, page errors, failures."""

    allowed_origin: set[str]
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[tuple[int, str]] = field(default_factory=list)
    expected: dict[str, int] = field(default_factory=dict)

    def expect_status(self, url: str, status: int) -> None:
        """Declare that ``url`` (absolute) answers ``status`` >= 400 in this test, so it is no failure."""
        self.expected[url] = status

    def attach(self, context: BrowserContext) -> None:
        """Record the events of ``context`` (and of every page it opens)."""
        context.on("request", self._request)
        context.on("requestfailed", self._failed)
        context.on("response", self._response)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.page_errors.append(str(error.error)))

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _failed(self, request: Request) -> None:
        # A load the browser itself cancelled because the page navigated on (a click before the favicon
        # arrived) is no failure of the server; a request to another host is caught as such anyway.
        if request.failure == "net::ERR_ABORTED" and _origin(request.url) in self.allowed_origin:
            return
        self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.error_responses.append((response.status, response.url))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        # Chromium logs every 4xx/5xx as a console error; a status the test declared is no error.
        if url in self.expected and "status of" in message.text:
            return
        self.console_errors.append(f"{message.text} (at {url or 'unknown'})")

    def foreign_requests(self) -> list[str]:
        """Requests to anything but the live servers (data: and blob: URLs are local)."""
        return [url for url in self.requests if not url.startswith(("data:", "blob:", "about:"))
                and _origin(url) not in self.allowed_origin]

    def problems(self) -> list[str]:
        """Every reason to fail the test."""
        found = [f"console error: {text}" for text in self.console_errors]
        found += [f"page error: {text}" for text in self.page_errors]
        found += [f"failed request: {text}" for text in self.failed_requests]
        found += [f"HTTP {status}: {url}" for status, url in self.error_responses
                  if self.expected.get(url) != status]
        found += [f"request to another host: {url}" for url in self.foreign_requests()]
        return found

    def check(self) -> None:
        """Fail the test when anything went wrong in the browser."""
        problems = self.problems()
        if problems:
            pytest.fail("the browser saw problems:\n  " + "\n  ".join(problems[:40]), pytrace=False)


def _origin(url: str) -> str:
    match = re.match(r"^([a-z][a-z0-9+.-]*://[^/?#]*)", url, re.IGNORECASE)
    return match.group(1).lower() if match else url


@pytest.fixture
def guard(live_server: LiveServer) -> Guard:
    """The test's guard; checked after the test body (a failure) and again at teardown."""
    return Guard({live_server.url})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a browser test that passed its own asserts when its guard saw problems."""
    result = yield
    guard = getattr(item, "funcargs", {}).get("guard")
    if isinstance(guard, Guard):
        guard.check()
    return result


ContextFactory = Callable[..., "BrowserContext"]


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer, e2e_seed: SeededWorkspace,
                guard: Guard) -> Iterator[ContextFactory]:
    """``new_context(who, server=live_server, viewport=DESKTOP)``: a guarded context, closed at teardown.

    ``who`` is ``"owner"`` (CERT-EE), ``"outsider"`` (CERT-PT) or ``"anonymous"``.
    """
    from cirx.web.session import SESSION_COOKIE

    tokens = {"owner": e2e_seed.owner_token, "outsider": e2e_seed.outsider_token, "anonymous": None}
    opened: list[BrowserContext] = []

    def factory(who: str = "anonymous", server: LiveServer | None = None,
                viewport: dict[str, int] | None = None) -> BrowserContext:
        server = server or live_server
        guard.allowed_origin.add(server.url)
        context = browser.new_context(base_url=server.url, viewport=viewport or DESKTOP)  # type: ignore[arg-type]
        context.set_default_timeout(20_000)
        token = tokens[who]
        if token:
            context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url}])
        guard.attach(context)
        opened.append(context)
        return context

    yield factory
    for context in opened:
        context.close()


def writable_copy(seeded: SeededWorkspace, folder: Path, techniques: set[str]) -> Any:
    """A copy of the seeded store in ``folder``, with a small technique model (seconds, not a minute).

    The default model trains on all of ATT&CK on first use (about a minute on two cores); this one
    knows only ``techniques`` and the negatives, which is all a smoke test of the review desk needs.
    """
    from cirx import Platform
    from cirx.extract.service import _ATTACK_TYPES, STORE_ONLY_THRESHOLD, model_path
    from cirx.extract.techniques import TechniqueModel, attack_examples

    folder.mkdir(parents=True, exist_ok=True)
    source = seeded.settings.resolved_database_url.removeprefix("sqlite:///")
    shutil.copyfile(source, folder / "cirx.db")
    settings = replace(seeded.settings, database_url=f"sqlite:///{folder / 'cirx.db'}", data_dir=folder)
    platform = Platform(settings).init()
    try:
        examples, names = attack_examples(platform.reader.iter_latest(_ATTACK_TYPES, include_revoked=False))
        model = TechniqueModel.train([e for e in examples if e.labels <= techniques],
                                     {t: names[t] for t in techniques}, min_examples=1,
                                     threshold=STORE_ONLY_THRESHOLD)
        path = model_path(platform)
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
    finally:
        platform.close()
    return settings


#: The techniques the review desk's small model knows (those of the test report, and a few others).
REVIEW_TECHNIQUES = {"T1566.001", "T1059.001", "T1003.001", "T1071.001", "T1105", "T1021.002", "T1027",
                     "T1204.002", "T1083", "T1082"}


@pytest.fixture
def writable_server(e2e_seed: SeededWorkspace, tmp_path: Path) -> Iterator[LiveServer]:
    """A second live server over its own copy of the seed, for tests that write (the review desk)."""
    settings = writable_copy(e2e_seed, tmp_path / "writable", REVIEW_TECHNIQUES)
    server = serve_workspace(settings)
    yield server
    stop_workspace(server)


@pytest.fixture(scope="session")
def public_incident(live_server: LiveServer) -> str:
    """The STIX id of a public (TLP:CLEAR) EuRepoC incident from Russia against Ukraine."""
    import httpx

    answer = httpx.get(f"{live_server.url}/api/incidents", params={"initiator": "RU", "receiver": "UA", "limit": 1},
                       timeout=30)
    answer.raise_for_status()
    incidents = answer.json()["incidents"]
    assert incidents, "the seed has no public RU -> UA incident"
    return str(incidents[0]["id"])

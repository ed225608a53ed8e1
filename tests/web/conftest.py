"""Fixtures of the web tests: one seeded workspace per test session, clients signed in as each organisation."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from cirx import Platform, Settings
from tests.conftest import shared_data
from tests.web.seed import SeededWorkspace, seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededWorkspace:
    """The seeded workspace (built once per test process; reads only, except where a test copies it)."""
    shared = shared_data()
    return seed(tmp_path_factory.mktemp("web"), Path(shared))


@pytest.fixture(scope="session")
def web_platform(seeded: SeededWorkspace) -> Iterator[Platform]:
    """The seeded platform, with anonymous reads allowed (TLP:CLEAR for callers without a session)."""
    platform = Platform(replace(seeded.settings, anonymous_read=True)).init()
    yield platform
    platform.close()


@pytest.fixture(scope="session")
def anonymous(web_platform: Platform) -> TestClient:
    """A browser without a session."""
    from cirx.api.app import create_app

    return TestClient(create_app(web_platform))


def signed_in(platform: Platform, token: str) -> TestClient:
    """A browser signed in with ``token`` (its session cookie set as the sign-in page sets it)."""
    from cirx.api.app import create_app
    from cirx.web.session import SESSION_COOKIE

    client = TestClient(create_app(platform))
    client.cookies.set(SESSION_COOKIE, token)
    return client


@pytest.fixture(scope="session")
def owner(web_platform: Platform, seeded: SeededWorkspace) -> TestClient:
    """CERT-EE, which owns the TLP:AMBER and TLP:RED incidents."""
    return signed_in(web_platform, seeded.owner_token)


@pytest.fixture(scope="session")
def outsider(web_platform: Platform, seeded: SeededWorkspace) -> TestClient:
    """CERT-PT, which must never see CERT-EE's AMBER and RED incidents."""
    return signed_in(web_platform, seeded.outsider_token)


@dataclass(frozen=True)
class TwoOrganisations:
    """A fresh, empty platform with CERT-A and CERT-B, and a browser signed in as each."""

    platform: Platform
    owner: TestClient
    other: TestClient


@pytest.fixture
def two_organisations(tmp_path: Path) -> Iterator[TwoOrganisations]:
    """For tests that import their own objects (CERT-A owns them, CERT-B must not see what is not shared)."""
    platform = Platform(Settings(database_url=f"sqlite:///{tmp_path / 'cirx.db'}", data_dir=tmp_path)).init()
    try:
        orgs = platform.organisations
        orgs.create("CERT-A", country="EE", sector="government")
        orgs.create("CERT-B", country="PT", sector="government")
        mine, _ = orgs.create_token("CERT-A", role="contributor", user="a@example.org")
        theirs, _ = orgs.create_token("CERT-B", role="contributor", user="b@example.org")
        yield TwoOrganisations(platform, signed_in(platform, mine), signed_in(platform, theirs))
    finally:
        platform.close()

"""Fixtures of the web tests: one seeded workspace per test session, clients signed in as each organisation."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cirx import Platform
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

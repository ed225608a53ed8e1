"""Every response carries ``Server-Timing: app;dur=MS`` (pages, REST, TAXII, errors)."""

from __future__ import annotations

import re
import warnings

from cirx import Platform
from cirx.api.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_every_response_says_how_long_the_app_took(sqlite_platform: Platform) -> None:
    client = TestClient(create_app(sqlite_platform))
    for path, status in (("/taxii2/", 401), ("/api/incidents", 401), ("/static/cirx.css", 200),
                         ("/no-such-page", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        assert re.fullmatch(r"app;dur=\d+\.\d", response.headers["server-timing"]), path

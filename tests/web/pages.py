"""What the web tests share: the seeded secrets' names and reading a chart's CSV download."""

from __future__ import annotations

import csv
import io
import warnings

from tests.web.seed import SECRET_INCIDENTS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SECRET_NAMES = [name for name, _, _ in SECRET_INCIDENTS.values()]


def csv_rows(client: TestClient, url: str) -> list[dict[str, str]]:
    """A CSV download (a chart's ``?csv=NAME``), parsed; it must answer 200 with a CSV media type."""
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))

"""Fixtures shared by the suite: platforms on SQLite and PostgreSQL, the shared datasets."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cirx import Platform, Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
POSTGRES_URL = os.environ.get("CIRX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skips the test when the datasets are not beside the checkout."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared datasets live in ../shared/data beside the checkout")
    return path


def _postgres_available() -> str | None:
    """None when the test server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as exc:  # any failure means: no usable server
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(exc).__name__}: {exc})"
    return None


def required(problem: str | None, what: str) -> None:
    """Skip the test when ``problem`` says a service is missing; under CI=true fail instead (CI needs ``what``)."""
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}; CI requires {what}")
        pytest.skip(problem)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL; skips (or fails under CI=true) when it does not answer."""
    required(_postgres_available(), "the PostgreSQL tests")
    return POSTGRES_URL


@pytest.fixture
def sqlite_platform(tmp_path: Path) -> Iterator[Platform]:
    """A platform on a fresh SQLite file."""
    platform = Platform(Settings(database_url=f"sqlite:///{tmp_path / 'cirx.db'}", data_dir=tmp_path)).init()
    yield platform
    platform.close()


@pytest.fixture
def postgres_platform(postgres_url: str, tmp_path: Path) -> Iterator[Platform]:
    """A platform on its own PostgreSQL schema, dropped afterwards."""
    import psycopg

    schema = f"cirx_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    platform = Platform(Settings(database_url=url, data_dir=tmp_path)).init()
    try:
        yield platform
    finally:
        platform.close()
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def platform(request: pytest.FixtureRequest) -> Platform:
    """The contract-suite platform: every test using it runs on SQLite and on PostgreSQL."""
    name = "sqlite_platform" if request.param == "sqlite" else "postgres_platform"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]

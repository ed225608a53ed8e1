"""Mount the web workspace on the FastAPI app: static assets, pages, HTML errors."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

#: The page modules under ``cirx.web.pages``, each with a ``router``.
PAGE_MODULES = ("overview", "incidents", "actors", "countries", "dyads", "attribution", "review", "sharing")


def register(app: FastAPI) -> None:
    """Serve ``/static`` and every page."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for name in PAGE_MODULES:
        app.include_router(import_module(f"cirx.web.pages.{name}").router)

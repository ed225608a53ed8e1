"""``cirx serve``: the web application (REST API, OpenAPI docs, TAXII) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from cirx.cli.common import DbOption, errors, handles_errors, platform


@handles_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port to listen on.")] = 8000,
    db: DbOption = None,
) -> None:
    """Serve the REST API (/api, docs at /docs) and TAXII 2.1 over HTTP with uvicorn."""
    import uvicorn

    from cirx.api.app import create_app

    app = create_app(platform(db))
    errors.print(f"cirx: serving http://{host}:{port}/api (OpenAPI docs at /docs)", highlight=False)
    uvicorn.run(app, host=host, port=port)

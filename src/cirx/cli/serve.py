"""``cirx serve``: the web workspace, the REST API (OpenAPI docs) and TAXII 2.1, under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cirx.cli.common import DbOption, errors, handles_errors
from cirx.config import Settings
from cirx.platform import Platform


@handles_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port to listen on.")] = 8000,
    db: DbOption = None,
    anonymous_read: Annotated[bool | None, typer.Option(
        "--anonymous-read/--no-anonymous-read",
        help="Let visitors without a token or session read TLP:CLEAR data (default: CIRX_ANONYMOUS_READ, off).",
    )] = None,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Worker processes (one per core on a shared server; each keeps its own caches).",
    )] = 1,
) -> None:
    """Serve the web workspace (/), the REST API (/api, docs at /docs) and TAXII 2.1 (/taxii2/) with uvicorn."""
    import uvicorn

    from cirx.api.app import create_app, tune_garbage_collector
    from cirx.extract.service import warm_up_model
    from cirx.web import warm_up

    settings = Settings.from_env(database_url=db, anonymous_read=anonymous_read)
    platform = Platform(settings).init()
    app = create_app(platform)
    if warm_up_model(platform) is not None:
        errors.print("cirx: building the report-extraction model in the background (about a minute; "
                     "`cirx extract train` builds a better one from TRAM data)", highlight=False)
    address = f"[{host}]" if ":" in host else host
    errors.print(f"cirx: serving the workspace at http://{address}:{port}/ "
                 f"(REST API at /api, docs at /docs, TAXII 2.1 at /taxii2/); anonymous reads of TLP:CLEAR "
                 f"{'on' if settings.anonymous_read else 'off: sign in at /sharing'}", highlight=False)
    if workers == 1:
        warm_up()
        tune_garbage_collector()
        uvicorn.run(app, host=host, port=port)
        return
    # Several processes: uvicorn starts each from the factory, which reads these settings back.
    os.environ["CIRX_DATABASE_URL"] = settings.resolved_database_url
    os.environ["CIRX_DATA_DIR"] = str(settings.data_dir)
    os.environ["CIRX_ANONYMOUS_READ"] = "true" if settings.anonymous_read else "false"
    uvicorn.run("cirx.api.app:app_from_env", factory=True, host=host, port=port, workers=workers)

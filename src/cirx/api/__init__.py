"""Web entrypoints: the REST API, the TAXII 2.1 server and (later) the workspace pages."""

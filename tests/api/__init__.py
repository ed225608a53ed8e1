"""Tests of the web entrypoints: the REST API under /api."""

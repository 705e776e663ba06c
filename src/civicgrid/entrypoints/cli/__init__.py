"""The command line: one door to the same services as the API and the pages."""

from civicgrid.entrypoints.cli.app import app, main

__all__ = ["app", "main"]

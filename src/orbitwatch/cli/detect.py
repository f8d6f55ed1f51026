"""orbitwatch CLI commands (detect)."""

from orbitwatch.cli.app import app  # noqa: F401

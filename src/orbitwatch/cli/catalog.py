"""orbitwatch CLI commands (catalog)."""

from orbitwatch.cli.app import app  # noqa: F401

"""orbitwatch CLI commands (run)."""

from orbitwatch.cli.app import app  # noqa: F401

"""orbitwatch CLI commands (screen)."""

from orbitwatch.cli.app import app  # noqa: F401

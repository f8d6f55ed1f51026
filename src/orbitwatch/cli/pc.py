"""orbitwatch CLI commands (pc)."""

from orbitwatch.cli.app import app  # noqa: F401

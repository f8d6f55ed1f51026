"""orbitwatch CLI commands (propagate)."""

from orbitwatch.cli.app import app  # noqa: F401

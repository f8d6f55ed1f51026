"""Command-line interface: ``orbitwatch COMMAND``.

Command modules register themselves on :data:`orbitwatch.cli.app.app` when
imported; this package imports them all.
"""

from __future__ import annotations

from orbitwatch.cli.app import app

# Each module below adds its commands to ``app``.
from orbitwatch.cli import catalog as _catalog  # noqa: F401,E402  ingest, objects, history
from orbitwatch.cli import propagate as _propagate  # noqa: F401,E402
from orbitwatch.cli import run as _run  # noqa: F401,E402
from orbitwatch.cli import screen as _screen  # noqa: F401,E402
from orbitwatch.cli import pc as _pc  # noqa: F401,E402
from orbitwatch.cli import detect as _detect  # noqa: F401,E402
from orbitwatch.cli import tracking as _tracking  # noqa: F401,E402  sites, passes, tasking
from orbitwatch.cli import service as _service  # noqa: F401,E402  serve, partner, token
from orbitwatch.cli import events as _events  # noqa: F401,E402  detect breakups


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]

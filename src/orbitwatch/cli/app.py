"""The Typer application object and options shared by every command.

Each command lives in its own module under ``orbitwatch.cli`` and is a thin
shell over core and store functions the service also calls.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

app = typer.Typer(
    name="orbitwatch",
    help="Combined space-domain awareness: catalog, screening, collision risk, behaviour.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
detect_app = typer.Typer(help="Detect behaviour in element-set histories.", no_args_is_help=True)
app.add_typer(detect_app, name="detect")

# Results go to stdout; progress, summaries and diagnostics go to stderr so
# that `orbitwatch screen --format jsonl > events.jsonl` stays machine-readable.
# Piped output (files, scripts, CI logs) gets tables 160 columns wide rather than 80.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)

DB_HELP = (
    "Database URL (sqlite:///PATH or postgresql+psycopg://...). "
    "Default: $ORBITWATCH_DB, else orbitwatch.db in the user data directory."
)


def fail(message: str, code: int = 1) -> None:
    """Print one clear error sentence to stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load_hbr_table(path):
    """CARA's hard-body-radius table for ``--hbr-table`` (None when not given);
    an unreadable file is one clear error, exit status 2."""
    if path is None:
        return None
    from orbitwatch.collision.hbr import read_hbr_table

    try:
        return read_hbr_table(path)
    except (OSError, ValueError) as exc:
        fail(str(exc), 2)


def show_progress(quiet: bool) -> bool:
    """Progress bars only for an interactive terminal and when not ``--quiet``."""
    return (not quiet) and sys.stderr.isatty()

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
    from rich.markup import escape

    # the message as written: a file name or a value with [brackets] or :colons: kept
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, emoji=False)
    raise typer.Exit(code)


def emit_json_line(record) -> None:
    """One JSON line on stdout, byte for byte as ``json.dumps`` writes it.

    Machine output does not go through the rich console, which would read
    ``[...]`` in a name as markup and ``:name:`` as an emoji code, and could
    wrap a long line."""
    import json

    sys.stdout.write(json.dumps(record) + "\n")


#: lets ``--history A B C`` (a shell glob after the option) name several files
MANY_PATHS = {"allow_extra_args": True}


def with_extra_paths(paths: list | None, ctx, option: str) -> list | None:
    """``paths`` given to ``option`` plus the bare words after them (``--history A B``:
    Typer takes ``A`` for the option and leaves ``B`` over)."""
    from pathlib import Path

    extra = list(getattr(ctx, "args", None) or [])
    if extra and not paths:
        fail(f"unexpected argument {extra[0]!r}: name files with {option}", 2)
    return (list(paths or []) + [Path(a) for a in extra]) or paths


def with_extra_paths_of_one(ctx, options: dict[str, list | None]) -> dict[str, list | None]:
    """``options`` (file option name to the paths given) with the bare words
    after them added to the one option given (``--catalog A B``, a shell glob).
    With bare words and more or fewer than one of those options given, which
    option they follow is unknown: an error naming the options."""
    if not getattr(ctx, "args", None):
        return options
    given = [name for name, paths in options.items() if paths]
    if len(given) != 1:
        fail(f"unexpected argument {ctx.args[0]!r}: name each file with its option "
             f"({', '.join(options)})", 2)
    return {**options, given[0]: with_extra_paths(options[given[0]], ctx, given[0])}


def time_option(value: str | None, option: str):
    """An ISO-8601 time given to ``option`` (None stays None); a bad one is one
    clear error naming the option."""
    if value is None:
        return None
    from orbitwatch.timeutil import parse_iso

    try:
        return parse_iso(value)
    except (ValueError, TypeError) as exc:
        fail(f"{option}: {value!r} is not an ISO-8601 time such as 2026-05-29T16:00:00Z ({exc})", 2)


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

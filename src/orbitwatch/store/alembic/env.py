"""Alembic environment for orbitwatch's store.

Used two ways:

* programmatically by :func:`orbitwatch.store.db.upgrade` (the normal path):
  the caller passes an open connection in ``config.attributes["connection"]``;
* from the command line for developers writing a new revision::

      alembic -c src/orbitwatch/store/alembic.ini -x url=sqlite:///dev.db revision -m "add conjunctions"
      alembic -c src/orbitwatch/store/alembic.ini -x url=sqlite:///dev.db upgrade head
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from orbitwatch.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    return url or config.get_main_option("sqlalchemy.url")


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url())
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

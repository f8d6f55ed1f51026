"""Storage: the shared catalog and everything partners pool, in SQLAlchemy 2.

Modules: ``models`` (tables, one declarative ``Base``), ``types`` (exact UTC
instants on every backend), ``db`` (URL, engine, Alembic migrations shipped in
``alembic/``, sessions), ``catalog`` (ingest and catalog queries), ``bulk``
(fast bulk writes), ``releasability`` (who may see what).  SQLite by default,
PostgreSQL by URL.
"""

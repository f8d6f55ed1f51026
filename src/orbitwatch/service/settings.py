"""Service settings (pydantic-settings): environment variables ``ORBITWATCH_*``.

``ORBITWATCH_DB`` is the same variable the CLI reads (see
:func:`orbitwatch.store.db.resolve_db_url`); the rest tune the service.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What ``orbitwatch serve`` runs with; every field can be set as ``ORBITWATCH_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="ORBITWATCH_", extra="ignore")

    #: database URL or SQLite path (default: the CLI's default store)
    db: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    #: largest page a list route returns (``limit`` is clipped to it)
    max_page_limit: int = 1000
    #: default page size of list routes
    default_page_limit: int = 100
    #: largest accepted upload, bytes
    max_upload_bytes: int = 256 * 1024 * 1024
    #: screening jobs run one at a time in this many background threads
    screening_threads: int = 1
    #: process workers per screening job (1: in the job's thread)
    screening_workers: int = 1
    #: longest screening window a job may ask for, seconds
    max_screening_span_s: float = 7 * 86400.0
    #: how often the live stream looks for new records, seconds
    stream_poll_s: float = 1.0
    #: keep-alive comment interval of the live stream, seconds
    stream_keepalive_s: float = 15.0

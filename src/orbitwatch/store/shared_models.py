"""SQLAlchemy models of the combined-operations service: the shared records.

These tables join :data:`orbitwatch.store.models.Base`'s metadata (one schema)
and are created by the Alembic revision ``0002_service``.

Every shared record carries ``partner`` (code of the contributor; ``None`` for
public data) and ``releasable_to`` (``ALL`` or comma-separated partner codes),
with the same meaning as on element sets (:mod:`orbitwatch.store.catalog`).

Tables
------
``tokens``          API bearer tokens: only the SHA-256 hex digest is kept.
``audit_log``       every read and write of shared records through the API.
``conjunctions``    close approaches (screening results or contributed), TEME states at TCA.
``events``          maneuver / proximity / breakup / geo_relocation / finding records (JSON payload).
``sensors``         contributed sensor sites (geodetic WGS-84 position).
``uploads``         files uploaded to ``POST /api/v1/ingest`` (digest, counts, outcome).
``screening_jobs``  background screening jobs: parameters, progress, outcome.

Units: distances km, speeds km/s, angles degrees, instants aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orbitwatch.store.models import RELEASABLE_ALL, Base
from orbitwatch.store.types import UTCDateTime

#: roles of API tokens, least to most privileged
ROLES = ("viewer", "analyst", "admin")
#: kinds of event records
EVENT_KINDS = ("maneuver", "proximity", "breakup", "geo_relocation", "finding", "notice")


class Token(Base):
    """An API token of one partner with one role; ``token_hash`` = sha256(token) hex."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    partner: Mapped[str] = mapped_column(String(32), ForeignKey("partners.code"), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One read or write of shared records: who (partner, token, role), when, what."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    partner: Mapped[str | None] = mapped_column(String(32))
    token_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(8), nullable=False)  # read | write
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    resource: Mapped[str] = mapped_column(String(32), nullable=False)
    record_ids: Mapped[str | None] = mapped_column(Text)  # comma-separated, truncated
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[int] = mapped_column(Integer, nullable=False)


class ConjunctionRow(Base):
    """A close approach between two catalog objects (object_1 < object_2 or primary first)."""

    __tablename__ = "conjunctions"
    __table_args__ = (Index("ix_conjunctions_tca", "tca"), Index("ix_conjunctions_feed_seq", "feed_seq"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    object_1: Mapped[int] = mapped_column(Integer, nullable=False)
    object_2: Mapped[int] = mapped_column(Integer, nullable=False)
    object_1_name: Mapped[str | None] = mapped_column(String(100))
    object_2_name: Mapped[str | None] = mapped_column(String(100))
    tca: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    miss_distance_km: Mapped[float] = mapped_column(Float, nullable=False)
    relative_speed_km_s: Mapped[float | None] = mapped_column(Float)
    miss_r_km: Mapped[float | None] = mapped_column(Float)
    miss_t_km: Mapped[float | None] = mapped_column(Float)
    miss_n_km: Mapped[float | None] = mapped_column(Float)
    pc: Mapped[float | None] = mapped_column(Float)
    pc_method: Mapped[str | None] = mapped_column(String(32))
    # TEME states at TCA: [x, y, z, vx, vy, vz] km, km/s
    state_1: Mapped[list | None] = mapped_column(JSON)
    state_2: Mapped[list | None] = mapped_column(JSON)
    screening_id: Mapped[int | None] = mapped_column(Integer)
    partner: Mapped[str | None] = mapped_column(String(32), ForeignKey("partners.code"))
    releasable_to: Mapped[str] = mapped_column(Text, nullable=False, default=RELEASABLE_ALL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # the order in which the row's current assessment was stored (under the feed
    # lock): a new row's, or a re-assessment in place, takes the next number, so
    # the live stream sends it and caches keyed on the data version see it
    feed_seq: Mapped[int | None] = mapped_column(Integer)


class EventRow(Base):
    """A behaviour record: ``kind`` in :data:`EVENT_KINDS`, details in ``payload`` (JSON)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_time", "time"), Index("ix_events_norad_id", "norad_id"),
                      Index("ix_events_superseded_by", "superseded_by"),
                      Index("ix_events_superseded_seq", "superseded_seq"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    norad_id: Mapped[int | None] = mapped_column(Integer)
    time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    title: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict | None] = mapped_column(JSON)
    partner: Mapped[str | None] = mapped_column(String(32), ForeignKey("partners.code"))
    releasable_to: Mapped[str] = mapped_column(Text, nullable=False, default=RELEASABLE_ALL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: the process that derived it (``run``, ``norms``); NULL: given by a person
    origin: Mapped[str | None] = mapped_column(String(16))
    #: the release that process was asked for (NULL: stored before revisions)
    derived_for: Mapped[str | None] = mapped_column(Text)
    #: when a later derivation replaced or withdrew it, and the record that replaced it
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_by: Mapped[int | None] = mapped_column(Integer)
    #: the order of supersessions (revision 0006), increasing in commit order: the stream's cursor
    superseded_seq: Mapped[int | None] = mapped_column(Integer)


class SensorRow(Base):
    """A sensor site: WGS-84 geodetic latitude/longitude (deg), altitude (km)."""

    __tablename__ = "sensors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(32))  # radar | optical | rf | laser
    latitude_deg: Mapped[float] = mapped_column(Float, nullable=False)
    longitude_deg: Mapped[float] = mapped_column(Float, nullable=False)
    altitude_km: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    partner: Mapped[str | None] = mapped_column(String(32), ForeignKey("partners.code"))
    releasable_to: Mapped[str] = mapped_column(Text, nullable=False, default=RELEASABLE_ALL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # site limits (revision 0003_sites; NULL = the Site default, see orbitwatch.tracking.sites)
    min_elevation_deg: Mapped[float | None] = mapped_column(Float)
    max_elevation_deg: Mapped[float | None] = mapped_column(Float)
    az_min_deg: Mapped[float | None] = mapped_column(Float)
    az_max_deg: Mapped[float | None] = mapped_column(Float)
    min_range_km: Mapped[float | None] = mapped_column(Float)
    max_range_km: Mapped[float | None] = mapped_column(Float)
    mask: Mapped[list | None] = mapped_column(JSON)  # [[az_deg, min_el_deg], ...]


class UploadRow(Base):
    """A file uploaded through the API and what became of it (``accepted``/``rejected``)."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filename: Mapped[str] = mapped_column(Text, nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    format: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    ingest_id: Mapped[int | None] = mapped_column(Integer)
    read: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    new: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    partner: Mapped[str | None] = mapped_column(String(32), ForeignKey("partners.code"))
    releasable_to: Mapped[str] = mapped_column(Text, nullable=False, default=RELEASABLE_ALL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ScreeningJobRow(Base):
    """A background screening job; its conjunctions carry its partner and releasability."""

    __tablename__ = "screening_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # queued running done failed
    params: Mapped[dict] = mapped_column(JSON, nullable=False)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    n_objects: Mapped[int | None] = mapped_column(Integer)
    n_conjunctions: Mapped[int | None] = mapped_column(Integer)
    # revision 0004_job_scope: the labels of the sets it screened, per reader counts
    scope: Mapped[dict | None] = mapped_column(JSON)
    token_id: Mapped[int | None] = mapped_column(Integer)
    partner: Mapped[str | None] = mapped_column(String(32), ForeignKey("partners.code"))
    releasable_to: Mapped[str] = mapped_column(Text, nullable=False, default=RELEASABLE_ALL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


tokens_table = Token.__table__
audit_table = AuditEntry.__table__
conjunctions_table = ConjunctionRow.__table__
events_table = EventRow.__table__
sensors_table = SensorRow.__table__
uploads_table = UploadRow.__table__
screening_jobs_table = ScreeningJobRow.__table__

"""SQLAlchemy 2 models: the shared catalog and its history.

One declarative :class:`Base` for every table of orbitwatch.  The schema is
created and changed **only** by the Alembic migrations in
``orbitwatch/store/alembic/versions`` (see :mod:`orbitwatch.store.db`); these
classes describe it for queries.  Other areas (conjunctions, events, sensors,
tokens…) add their tables here *and* in a new Alembic revision.

Tables
------
``partners``      partner nations/organisations that contribute records.
``objects``       one row per catalog object (NORAD id): its public catalogue
                  facts (SATCAT metadata and names from records releasable
                  to ``ALL``) plus the denormalised orbit of its newest
                  element set, for fast listing.
``object_facts``  catalogue facts from records released to some partners
                  only: one row per object and label (partner,
                  releasable_to), read only by those the label lets see it
                  (:mod:`orbitwatch.store.facts`).
``element_sets``  every mean-element set ever ingested (the history), unique
                  per (norad_id, epoch, source), with who contributed it
                  (``partner``) and who may see it (``releasable_to``).
``ingests``       one row per ingested file: counts and when.

Units: angles degrees, mean motion rev/day, ``bstar`` 1/earth-radii, altitudes
km above a 6378.135 km sphere, periods minutes, RCS m^2; instants aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from orbitwatch.store.types import UTCDateTime

#: constraint names are explicit so migrations on every backend agree
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: ``releasable_to`` value meaning "every partner"
RELEASABLE_ALL = "ALL"


class Base(DeclarativeBase):
    """Declarative base of every orbitwatch table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Partner(Base):
    """A contributing partner (nation, agency, operator), by short code (``US``, ``FR``…)."""

    __tablename__ = "partners"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))


class SpaceObject(Base):
    """One catalog object: its public SATCAT metadata and its newest orbit (denormalised).

    The metadata columns hold only what records releasable to ``ALL`` said;
    restricted records keep theirs in :class:`ObjectFactsRow`.
    """

    __tablename__ = "objects"

    norad_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(100))
    intl_designator: Mapped[str | None] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(16))
    object_type: Mapped[str | None] = mapped_column(String(16))
    launch_date: Mapped[date | None] = mapped_column(Date)
    launch_site: Mapped[str | None] = mapped_column(String(16))
    decay_date: Mapped[date | None] = mapped_column(Date)
    rcs_m2: Mapped[float | None] = mapped_column(Float)
    ops_status: Mapped[str | None] = mapped_column(String(8))
    # the ingest that last changed the public facts above (NULL: before revision
    # 0007); orders them against restricted facts when a reader sees both
    facts_ingest_id: Mapped[int | None] = mapped_column(Integer)
    # newest element set (or SATCAT orbit while there is none)
    latest_epoch: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # no index on regime: four values, and a scan of the objects table is cheap
    regime: Mapped[str | None] = mapped_column(String(4))
    perigee_km: Mapped[float | None] = mapped_column(Float)
    apogee_km: Mapped[float | None] = mapped_column(Float)
    inclination_deg: Mapped[float | None] = mapped_column(Float)
    period_min: Mapped[float | None] = mapped_column(Float)
    eccentricity: Mapped[float | None] = mapped_column(Float)


class ElementSetRow(Base):
    """One mean-element set (TLE or OMM) as ingested; the history of an object."""

    __tablename__ = "element_sets"
    # The unique key's index also serves per-object history and newest-per-object
    # queries.  There is deliberately no index on epoch alone: it would cost ingest
    # time on every row, and catalog-wide "since" queries scan well without it.
    __table_args__ = (
        UniqueConstraint("norad_id", "epoch", "source", name="uq_element_sets_key"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    norad_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("objects.norad_id", ondelete="CASCADE"), nullable=False
    )
    epoch: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    mean_motion_rev_day: Mapped[float] = mapped_column(Float, nullable=False)
    eccentricity: Mapped[float] = mapped_column(Float, nullable=False)
    inclination_deg: Mapped[float] = mapped_column(Float, nullable=False)
    raan_deg: Mapped[float] = mapped_column(Float, nullable=False)
    arg_perigee_deg: Mapped[float] = mapped_column(Float, nullable=False)
    mean_anomaly_deg: Mapped[float] = mapped_column(Float, nullable=False)
    bstar: Mapped[float] = mapped_column(Float, nullable=False)
    mean_motion_dot: Mapped[float] = mapped_column(Float, nullable=False)
    mean_motion_ddot: Mapped[float] = mapped_column(Float, nullable=False)
    classification: Mapped[str] = mapped_column(String(1), nullable=False)
    element_set_no: Mapped[int] = mapped_column(Integer, nullable=False)
    rev_at_epoch: Mapped[int] = mapped_column(Integer, nullable=False)
    ephemeris_type: Mapped[int] = mapped_column(Integer, nullable=False)
    line1: Mapped[str | None] = mapped_column(String(80))
    line2: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(64), nullable=False)
    partner: Mapped[str | None] = mapped_column(String(32), ForeignKey("partners.code"))
    releasable_to: Mapped[str] = mapped_column(Text, nullable=False, default=RELEASABLE_ALL)
    ingest_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ingests.id"))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ObjectFactsRow(Base):
    """Catalogue facts about one object from records of one restricted label.

    SATCAT records and the names, designators, owners and types that element
    sets carry, merged per (norad_id, partner, releasable_to) as the public
    facts are merged on ``objects`` (known values win; the name follows the
    newest element set).  There is no foreign key to ``objects``: a SATCAT
    record may name an object that has no element set, and a restricted
    record must not create a row that everyone lists.
    """

    __tablename__ = "object_facts"
    __table_args__ = (
        UniqueConstraint("norad_id", "partner", "releasable_to", name="uq_object_facts_label"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    norad_id: Mapped[int] = mapped_column(Integer, nullable=False)
    partner: Mapped[str | None] = mapped_column(String(32), ForeignKey("partners.code"))
    releasable_to: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str | None] = mapped_column(String(100))
    intl_designator: Mapped[str | None] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(16))
    object_type: Mapped[str | None] = mapped_column(String(16))
    launch_date: Mapped[date | None] = mapped_column(Date)
    launch_site: Mapped[str | None] = mapped_column(String(16))
    decay_date: Mapped[date | None] = mapped_column(Date)
    rcs_m2: Mapped[float | None] = mapped_column(Float)
    ops_status: Mapped[str | None] = mapped_column(String(8))
    # epoch of the newest element set of this label seen for the object (its
    # name follows that set)
    latest_epoch: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the ingest that last changed this row: newer facts win over older ones
    ingest_id: Mapped[int] = mapped_column(Integer, ForeignKey("ingests.id"), nullable=False)


class Ingest(Base):
    """One ingested file: what was read and what it added."""

    __tablename__ = "ingests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file: Mapped[str] = mapped_column(Text, nullable=False)
    format: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64), nullable=False)
    partner: Mapped[str | None] = mapped_column(String(32), ForeignKey("partners.code"))
    releasable_to: Mapped[str] = mapped_column(Text, nullable=False, default=RELEASABLE_ALL)
    read: Mapped[int] = mapped_column(Integer, nullable=False)
    new: Mapped[int] = mapped_column(Integer, nullable=False)
    duplicate: Mapped[int] = mapped_column(Integer, nullable=False)
    rejected: Mapped[int] = mapped_column(Integer, nullable=False)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


#: Core tables for bulk statements
partners_table = Partner.__table__
objects_table = SpaceObject.__table__
element_sets_table = ElementSetRow.__table__
ingests_table = Ingest.__table__
object_facts_table = ObjectFactsRow.__table__

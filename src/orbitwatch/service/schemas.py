"""Pydantic models of the API's requests and responses (they also make the OpenAPI document).

Instants are serialised as ISO-8601 UTC with a ``Z`` suffix (microseconds);
distances km, speeds km/s, angles degrees.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from orbitwatch.timeutil import iso_z

UtcDatetime = Annotated[datetime, PlainSerializer(lambda d: iso_z(d), return_type=str)]
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A list response: one page of ``data`` and ``count``, the total the caller may see."""

    data: list[T]
    count: int


class Shared(BaseModel):
    """Provenance of a shared record."""

    model_config = ConfigDict(from_attributes=True)
    partner: str | None = None
    releasable_to: str


class ObjectOut(BaseModel):
    """A catalog object with the orbit of its newest element set the caller may see."""

    norad_id: int
    name: str | None = None
    intl_designator: str | None = None
    owner: str | None = None
    object_type: str | None = None
    epoch: UtcDatetime | None = None
    regime: str | None = None
    perigee_km: float | None = None
    apogee_km: float | None = None
    inclination_deg: float | None = None
    period_min: float | None = None
    eccentricity: float | None = None
    rcs_m2: float | None = None
    launch_date: date | None = None
    decay_date: date | None = None


class ElementSetOut(Shared):
    """One stored element set plus derived quantities for plotting."""

    id: int
    norad_id: int
    epoch: UtcDatetime
    mean_motion_rev_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    bstar: float
    element_set_no: int
    source: str
    line1: str | None = None
    line2: str | None = None
    ingested_at: UtcDatetime
    semi_major_axis_km: float = Field(description="Brouwer mean semi-major axis, km")
    geo_longitude_deg: float | None = Field(
        None, description="east longitude of the sub-satellite point at epoch (near-GEO only), deg"
    )


class ConjunctionOut(Shared):
    id: int
    object_1: int
    object_2: int
    object_1_name: str | None = None
    object_2_name: str | None = None
    tca: UtcDatetime
    miss_distance_km: float
    relative_speed_km_s: float | None = None
    miss_r_km: float | None = None
    miss_t_km: float | None = None
    miss_n_km: float | None = None
    pc: float | None = None
    pc_method: str | None = None
    screening_id: int | None = None
    created_at: UtcDatetime


class EventOut(Shared):
    id: int
    kind: str
    norad_id: int | None = None
    time: UtcDatetime
    title: str | None = None
    payload: dict[str, Any] | None = None
    created_at: UtcDatetime
    #: ``run`` or ``norms`` for derived records; None for posted ones
    origin: str | None = None
    #: set when a later run replaced (``superseded_by``) or withdrew the record
    superseded_at: UtcDatetime | None = None
    superseded_by: int | None = None
    #: the visible records this one replaced
    supersedes: list[int] = []


class SupersededOut(BaseModel):
    """A record a later derivation revised (``superseded_by``: the record that
    replaced it) or withdrew (``superseded_by`` null), as the stream announces it."""

    id: int
    kind: str
    norad_id: int | None = None
    time: UtcDatetime
    superseded_at: UtcDatetime
    superseded_by: int | None = None


class EventIn(BaseModel):
    """A finding (or other event) contributed by an analyst.  A ``notice`` is an
    operator's notification of a manoeuvre of ``norad_id`` at ``time`` (the norms
    treat a manoeuvre notified before it happened as announced)."""

    kind: Literal["maneuver", "proximity", "breakup", "geo_relocation", "finding", "notice"] = "finding"
    time: datetime
    norad_id: int | None = None
    title: str | None = None
    payload: dict[str, Any] | None = None
    releasable_to: str | None = Field(None, description="CODE,CODE or ALL; default: own partner only")


class SensorOut(Shared):
    id: int
    code: str
    name: str | None = None
    kind: str | None = None
    latitude_deg: float
    longitude_deg: float
    altitude_km: float
    created_at: UtcDatetime


class RecordMessage(BaseModel):
    """One rejected record: file, line, field, message (as the CLI prints them)."""

    file: str
    line: int
    field: str
    message: str
    text: str = Field(description="FILE:LINE: FIELD: MESSAGE, as the CLI prints it")


class IngestOut(BaseModel):
    upload_id: int | None = None
    file: str
    format: str | None = None
    read: int
    new: int
    duplicate: int
    rejected: int
    stored: bool
    partner: str
    releasable_to: str
    messages: list[RecordMessage]


class UploadOut(Shared):
    id: int
    filename: str
    size_bytes: int
    sha256: str
    format: str | None = None
    outcome: str
    read: int
    new: int
    duplicate: int
    rejected: int
    created_at: UtcDatetime


class ScreeningIn(BaseModel):
    """Parameters of a screening job (the newest visible element set of each object is used)."""

    start: datetime | None = Field(None, description="window start (default: now)")
    span_s: float = Field(86400.0, gt=0, description="window length, s")
    threshold_km: float = Field(5.0, gt=0, le=200.0, description="report minima below this, km")
    primaries: list[int] | None = Field(None, description="screen these against the rest")
    ids: list[int] | None = Field(None, description="only these objects (default: all visible)")
    releasable_to: str | None = Field(None, description="of the results; default own partner only")


class ScreeningOut(Shared):
    id: int
    status: str
    params: dict[str, Any]
    done: int
    total: int
    message: str | None = None
    n_objects: int | None = None
    n_conjunctions: int | None = None
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    conjunctions: list[ConjunctionOut] | None = None


class PartnerOut(BaseModel):
    code: str
    name: str | None = None


class AuditOut(BaseModel):
    id: int
    at: UtcDatetime
    partner: str | None = None
    token_id: int | None = None
    role: str | None = None
    action: str
    method: str
    path: str
    resource: str
    record_ids: str | None = None
    count: int
    status: int


class PositionOut(BaseModel):
    norad_id: int
    lat_deg: float
    lon_deg: float
    alt_km: float
    regime: str | None = None


class Positions(BaseModel):
    time: UtcDatetime
    data: list[PositionOut]
    count: int


class TrackPoint(BaseModel):
    time: UtcDatetime
    lat_deg: float
    lon_deg: float
    alt_km: float


class Track(BaseModel):
    norad_id: int
    data: list[TrackPoint]
    count: int


class WhoAmI(BaseModel):
    partner: str
    role: str
    token_id: int


# ---------------------------------------------------------------------------
# sites, passes and tasking (issue 7; routes/sites.py, passes.py, tasking.py)


class SiteIn(BaseModel):
    """A ground sensor or station contributed by the caller's partner.

    Angles degrees, altitude metres above the WGS-84 ellipsoid, ranges km.
    ``mask``: ``[[az_deg, min_el_deg], ...]`` interpolated linearly in azimuth.
    """

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64, description="short unique code, e.g. 'FYL'")
    label: str | None = Field(None, max_length=200, description="long name")
    lat_deg: float = Field(ge=-90.0, le=90.0)
    lon_deg: float = Field(ge=-180.0, le=360.0)
    alt_m: float = 0.0
    kind: Literal["radar", "optical", "comms"] = "radar"
    min_elevation_deg: float = 0.0
    max_elevation_deg: float = 90.0
    az_min_deg: float = 0.0
    az_max_deg: float = 360.0
    min_range_km: float = 0.0
    max_range_km: float | None = None
    mask: list[tuple[float, float]] | None = None
    releasable_to: str | None = Field(None, description="CODE,CODE or ALL; default: own partner only")


class SiteOut(Shared):
    """A stored site with its limits (NULL limits shown as the site defaults)."""

    id: int
    code: str
    name: str | None = None
    kind: Literal["radar", "optical", "comms"]
    lat_deg: float
    lon_deg: float
    alt_m: float
    min_elevation_deg: float
    max_elevation_deg: float
    az_min_deg: float
    az_max_deg: float
    min_range_km: float
    max_range_km: float | None = None
    mask: list[tuple[float, float]] = []
    created_at: UtcDatetime


class PassOut(BaseModel):
    """One pass of one object over one site (``orbitwatch.tracking.passes.Pass``).

    Times ISO-8601 UTC ``Z`` (ms); at ``rise``, ``culmination`` and ``set``:
    azimuth/elevation (deg), slant range (km), range rate (km/s, positive receding).
    """

    model_config = ConfigDict(extra="allow")
    object: int
    name: str | None = None
    site_id: int
    site: str
    partner: str | None = None
    rise: str
    culmination: str
    set: str
    max_elevation_deg: float
    duration_s: float
    rise_az_deg: float
    rise_el_deg: float
    rise_range_km: float
    rise_range_rate_km_s: float
    culmination_az_deg: float
    culmination_el_deg: float
    culmination_range_km: float
    culmination_range_rate_km_s: float
    set_az_deg: float
    set_el_deg: float
    set_range_km: float
    set_range_rate_km_s: float
    rise_truncated: bool
    set_truncated: bool


class PassPage(BaseModel):
    """Passes sorted by rise time; ``count`` is the total before paging."""

    data: list[PassOut]
    count: int
    start: str
    end: str
    sites: list[int]


class TaskingIn(BaseModel):
    """A tasking request over the caller's visible sites and objects."""

    model_config = ConfigDict(extra="forbid")
    sites: list[int] = Field(min_length=1, max_length=200, description="site ids")
    start: datetime | None = Field(None, description="window start (default: now)")
    hours: float = Field(12.0, gt=0.0, le=72.0)
    priority: list[int] | None = Field(
        None, description="NORAD ids, most important first (default: objects in recent visible "
        "conjunctions and events, then element sets older than 3 days)")
    ids: list[int] | None = Field(
        None, description="objects to consider (default: the priority list if given, else every visible object)")
    min_el_deg: float | None = Field(None, ge=-5.0, le=90.0, description="overrides each site's minimum elevation")
    track_s: float = Field(120.0, gt=0.0)
    min_track_s: float = Field(30.0, ge=0.0)
    setup_s: float = Field(30.0, ge=0.0)
    revisits: int = Field(1, ge=1, le=20)
    min_revisit_s: float = Field(3600.0, ge=0.0)

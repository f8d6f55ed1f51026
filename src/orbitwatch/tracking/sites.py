"""Ground sites: radars, optical telescopes and communication stations.

A :class:`Site` is a WGS-84 location with the limits that decide whether it
can see an object: minimum elevation, an azimuth/elevation terrain mask, an
azimuth sector and maximum elevation (field of regard), and a range window.
Every site carries ``partner`` (who contributed it) and ``releasable_to``
(partner codes or ``ALL``) like every other shared record.

Storage: :class:`SiteFile` keeps sites in a JSON file (the CLI default is
``platformdirs.user_data_dir("orbitwatch")/sites.json``).  The functions
here take and return plain :class:`Site` lists so a database table can
replace the file later without touching the pass finder or the planner.

KeepTrack import: :func:`read_keeptrack_csv` maps the columns of the
``keeptrack_sensors.csv`` extract (thkruz/keeptrack.space sensor catalogs):
``objName`` -> ``name`` (unique short code), ``uiName`` -> ``label``,
``lat``/``lon`` (deg), ``alt`` (km -> m), ``minEl``/``maxEl``,
``minAz``/``maxAz`` (clockwise sector, may wrap through north),
``minRng``/``maxRng`` (km), ``type`` -> ``kind`` (phased-array, mechanical
and bistatic radars -> radar, optical -> optical, ground station -> comms),
``country`` -> ``partner`` (ISO 3166 alpha-2), ``operator`` -> ``operator``.
A ``maxEl`` above 90 (fence radars such as Space Fence or LeoLabs) means the
fan continues through the zenith into the opposite azimuth sector down to
elevation ``180 - maxEl``.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

KINDS = ("radar", "optical", "comms")

_KEEPTRACK_KIND = {
    "PHASED_ARRAY_RADAR": "radar",
    "MECHANICAL": "radar",
    "BISTATIC_RADIO_TELESCOPE": "radar",
    "OPTICAL": "optical",
    "GROUND_SENSOR_STATION": "comms",
}

_COUNTRY_CODE = {
    "United States": "US",
    "Russia": "RU",
    "France": "FR",
    "Australia": "AU",
    "China": "CN",
    "Republic of Korea": "KR",
    "United Kingdom": "GB",
    "Spain": "ES",
    "Norway": "NO",
    "Sweden": "SE",
    "Germany": "DE",
    "Italy": "IT",
    "Switzerland": "CH",
    "Belgium": "BE",
    "Finland": "FI",
    "Republic of China (Taiwan)": "TW",
    "Portugal": "PT",
    "Argentina": "AR",
    "Greenland": "GL",
    "Japan": "JP",
}


class SiteError(ValueError):
    """A site definition is invalid; the message names the source and field."""


@dataclass(frozen=True)
class Site:
    """One ground sensor or station.

    Angles in degrees, altitude in metres above the WGS-84 ellipsoid, ranges
    in km.  ``mask`` is a terrain/obstruction mask: points ``(az_deg,
    min_el_deg)`` interpolated linearly in azimuth around the circle; the
    effective minimum elevation is ``max(min_elevation_deg, mask(az))``.
    ``az_min_deg``/``az_max_deg`` bound the field of regard clockwise from
    ``az_min`` to ``az_max`` (equal or 0/360: all azimuths).
    ``max_range_km`` None means unlimited.
    """

    name: str
    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    kind: str = "radar"
    min_elevation_deg: float = 0.0
    mask: tuple[tuple[float, float], ...] = ()
    max_range_km: float | None = None
    partner: str = "UNKNOWN"
    releasable_to: tuple[str, ...] = ("ALL",)
    min_range_km: float = 0.0
    max_elevation_deg: float = 90.0
    az_min_deg: float = 0.0
    az_max_deg: float = 360.0
    label: str | None = None
    operator: str | None = None
    system: str | None = None
    freq_band: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        validate_site(self)

    # -- limits ---------------------------------------------------------
    @property
    def full_azimuth(self) -> bool:
        w = (self.az_max_deg - self.az_min_deg) % 360.0
        return w == 0.0 or (self.az_max_deg - self.az_min_deg) >= 360.0

    @property
    def is_fan(self) -> bool:
        """Field of regard continues through the zenith (``max_elevation_deg`` > 90)."""
        return self.max_elevation_deg > 90.0

    @property
    def lowest_elevation_deg(self) -> float:
        """The lowest elevation at which anything can be visible (for prefilters)."""
        low = self.min_elevation_deg
        if self.mask:
            low = max(low, min(m for _, m in self.mask))
        if self.is_fan:
            low = min(low, 180.0 - self.max_elevation_deg)
        return low

    def mask_min_el_deg(self, az_deg: np.ndarray) -> np.ndarray:
        """Effective minimum elevation at azimuths ``az_deg`` (deg)."""
        az = np.asarray(az_deg, dtype=float)
        base = np.full(az.shape, float(self.min_elevation_deg))
        if not self.mask:
            return base
        pts = sorted((a % 360.0, e) for a, e in self.mask)
        xa = np.array([p[0] for p in pts])
        ya = np.array([p[1] for p in pts])
        xp = np.concatenate([xa - 360.0, xa, xa + 360.0])
        yp = np.concatenate([ya, ya, ya])
        return np.maximum(base, np.interp(np.mod(az, 360.0), xp, yp))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["mask"] = [list(p) for p in self.mask]
        d["releasable_to"] = list(self.releasable_to)
        return d

    @classmethod
    def from_dict(cls, d: dict, where: str = "site") -> Site:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise SiteError(f"{where}: unknown field(s) {sorted(unknown)}")
        kw = dict(d)
        try:
            if "mask" in kw and kw["mask"] is not None:
                kw["mask"] = tuple((float(a), float(e)) for a, e in kw["mask"])
            if "releasable_to" in kw and kw["releasable_to"] is not None:
                rt = kw["releasable_to"]
                if isinstance(rt, str):
                    rt = [x.strip() for x in rt.split(",") if x.strip()]
                kw["releasable_to"] = tuple(rt)
            for key in (
                "lat_deg",
                "lon_deg",
                "alt_m",
                "min_elevation_deg",
                "min_range_km",
                "max_elevation_deg",
                "az_min_deg",
                "az_max_deg",
            ):
                if key in kw and kw[key] is not None:
                    kw[key] = float(kw[key])
            if kw.get("max_range_km") not in (None, ""):
                kw["max_range_km"] = float(kw["max_range_km"])
            else:
                kw["max_range_km"] = None
        except (TypeError, ValueError) as exc:
            raise SiteError(f"{where}: bad value: {exc}") from exc
        if "name" not in kw or "lat_deg" not in kw or "lon_deg" not in kw:
            raise SiteError(f"{where}: name, lat_deg and lon_deg are required")
        try:
            return cls(**kw)
        except SiteError as exc:
            raise SiteError(f"{where}: {exc}") from exc


def validate_site(s: Site) -> None:
    """Raise :class:`SiteError` naming the field when a limit is out of range."""
    if not s.name or not str(s.name).strip():
        raise SiteError("name: empty")
    if not -90.0 <= s.lat_deg <= 90.0:
        raise SiteError(f"lat_deg: {s.lat_deg} not in [-90, 90]")
    if not -180.0 <= s.lon_deg <= 360.0:
        raise SiteError(f"lon_deg: {s.lon_deg} not in [-180, 360]")
    if not -500.0 <= s.alt_m <= 10000.0:
        raise SiteError(f"alt_m: {s.alt_m} not in [-500, 10000] m")
    if s.kind not in KINDS:
        raise SiteError(f"kind: {s.kind!r} not one of {', '.join(KINDS)}")
    if not -5.0 <= s.min_elevation_deg <= 90.0:
        raise SiteError(f"min_elevation_deg: {s.min_elevation_deg} not in [-5, 90]")
    if not s.min_elevation_deg < s.max_elevation_deg <= 180.0:
        raise SiteError(f"max_elevation_deg: {s.max_elevation_deg} not in (min_elevation_deg, 180]")
    if s.max_range_km is not None and not s.max_range_km > s.min_range_km:
        raise SiteError(f"max_range_km: {s.max_range_km} not above min_range_km {s.min_range_km}")
    if s.min_range_km < 0:
        raise SiteError(f"min_range_km: {s.min_range_km} negative")
    for i, (a, e) in enumerate(s.mask):
        if not -90.0 <= e <= 90.0:
            raise SiteError(f"mask[{i}]: elevation {e} not in [-90, 90]")
    if not s.releasable_to:
        raise SiteError("releasable_to: empty (use ALL)")


# -- KeepTrack CSV ---------------------------------------------------------


def _num(row: dict, key: str, where: str, default: float | None = None) -> float | None:
    text = (row.get(key) or "").strip()
    if text == "":
        return default
    try:
        return float(text)
    except ValueError as exc:
        raise SiteError(f"{where}: {key}: not a number: {text!r}") from exc


def read_keeptrack_csv(path: str | Path) -> list[Site]:
    """Sites from the KeepTrack sensor extract (see module docstring for the mapping).

    Raises :class:`SiteError` naming file, line and field on a bad row.
    """
    path = Path(path)
    sites: list[Site] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for i, row in enumerate(reader, start=2):
            where = f"{path}:{i}"
            name = (row.get("objName") or "").strip()
            if not name:
                raise SiteError(f"{where}: objName: empty")
            typ = (row.get("type") or "").split(".")[-1].strip()
            kind = _KEEPTRACK_KIND.get(typ)
            if kind is None:
                raise SiteError(f"{where}: type: unknown sensor type {row.get('type')!r}")
            lat = _num(row, "lat", where)
            lon = _num(row, "lon", where)
            if lat is None or lon is None:
                raise SiteError(f"{where}: lat/lon: missing")
            alt_km = _num(row, "alt", where, 0.0)
            min_el = _num(row, "minEl", where, 0.0)
            max_el = _num(row, "maxEl", where, 90.0)
            az0 = _num(row, "minAz", where, 0.0)
            az1 = _num(row, "maxAz", where, 360.0)
            rmin = _num(row, "minRng", where, 0.0)
            rmax = _num(row, "maxRng", where, None)
            country = (row.get("country") or "").strip()
            operator = (row.get("operator") or "").strip().removeprefix("Operators.") or None
            try:
                site = Site(
                    name=name,
                    lat_deg=lat,
                    lon_deg=lon,
                    alt_m=alt_km * 1000.0,
                    kind=kind,
                    min_elevation_deg=min_el,
                    max_elevation_deg=max(max_el, min_el + 1e-6),
                    az_min_deg=az0,
                    az_max_deg=az1,
                    min_range_km=rmin,
                    max_range_km=rmax,
                    partner=_COUNTRY_CODE.get(country, country or "UNKNOWN"),
                    releasable_to=("ALL",),
                    label=(row.get("uiName") or row.get("name") or "").strip() or None,
                    operator=operator,
                    system=(row.get("system") or "").strip() or None,
                    freq_band=(row.get("freqBand") or "").strip() or None,
                    source=f"keeptrack:{(row.get('source_file') or '').strip()}",
                )
            except SiteError as exc:
                raise SiteError(f"{where}: {exc}") from exc
            sites.append(site)
    return sites


def read_sites_file(path: str | Path) -> list[Site]:
    """Read sites from a KeepTrack CSV, a CSV with :class:`Site` field names, or JSON."""
    path = Path(path)
    if not path.exists():
        raise SiteError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SiteError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
        if isinstance(data, dict):
            data = data.get("sites", [])
        return [Site.from_dict(d, where=f"{path}: site {i}") for i, d in enumerate(data)]
    with path.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), [])
    if "objName" in header:
        return read_keeptrack_csv(path)
    sites = []
    with path.open(newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            row = {k: v for k, v in row.items() if v not in (None, "")}
            if "mask" in row:
                row["mask"] = json.loads(row["mask"])
            sites.append(Site.from_dict(row, where=f"{path}:{i}"))
    return sites


# -- JSON file store --------------------------------------------------------


def default_sites_file() -> Path:
    """``$ORBITWATCH_SITES`` or ``user_data_dir("orbitwatch")/sites.json``."""
    env = os.environ.get("ORBITWATCH_SITES")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("orbitwatch")) / "sites.json"


@dataclass
class SiteFile:
    """Sites kept in one JSON file: ``{"sites": [Site.to_dict(), ...]}``."""

    path: Path
    sites: list[Site] = field(default_factory=list)

    @classmethod
    def open(cls, path: str | Path | None = None) -> SiteFile:
        p = Path(path) if path else default_sites_file()
        if not p.exists():
            return cls(p, [])
        return cls(p, read_sites_file(p))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"sites": [s.to_dict() for s in self.sites]}, indent=1))
        tmp.replace(self.path)

    def upsert(self, new: list[Site]) -> tuple[int, int]:
        """Add or replace by name; returns ``(added, replaced)``."""
        index = {s.name: i for i, s in enumerate(self.sites)}
        added = replaced = 0
        for s in new:
            if s.name in index:
                self.sites[index[s.name]] = s
                replaced += 1
            else:
                index[s.name] = len(self.sites)
                self.sites.append(s)
                added += 1
        return added, replaced

    def get(self, key: str) -> Site:
        return find_site(self.sites, key)


def find_site(sites: list[Site], key: str) -> Site:
    """Site by exact name, else case-insensitive name or label; SiteError if none/ambiguous."""
    for s in sites:
        if s.name == key:
            return s
    k = key.strip().lower()
    hits = [s for s in sites if s.name.lower() == k or (s.label or "").lower() == k]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise SiteError(f"no site named {key!r} (see `orbitwatch sites list`)")
    raise SiteError(f"site name {key!r} is ambiguous: {', '.join(h.name for h in hits)}")


def sites_of_partner(sites: list[Site], partner: str) -> list[Site]:
    return [s for s in sites if s.partner.upper() == partner.upper()]


def site_from_coords(text: str, *, kind: str = "radar", min_elevation_deg: float = 0.0) -> Site:
    """``"LAT,LON,ALT_M"`` -> an ad-hoc site named by its coordinates."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (2, 3):
        raise SiteError(f"--site-coords: expected LAT,LON[,ALT_M], got {text!r}")
    try:
        vals = [float(p) for p in parts]
    except ValueError as exc:
        raise SiteError(f"--site-coords: not numbers: {text!r}") from exc
    alt = vals[2] if len(vals) == 3 else 0.0
    return Site(
        name=f"{vals[0]:.5f},{vals[1]:.5f},{alt:.0f}",
        lat_deg=vals[0],
        lon_deg=vals[1],
        alt_m=alt,
        kind=kind,
        min_elevation_deg=min_elevation_deg,
    )


def with_min_elevation(site: Site, min_el_deg: float | None) -> Site:
    """A copy with a raised/lowered minimum elevation (None: unchanged)."""
    if min_el_deg is None:
        return site
    return replace(
        site,
        min_elevation_deg=float(min_el_deg),
        max_elevation_deg=max(site.max_elevation_deg, float(min_el_deg) + 1e-6),
    )


def visible_sites(sites: list[Site], partner: str) -> list[Site]:
    """Sites a partner may see: its own, and those releasable to ``ALL`` or to it."""
    code = partner.strip().upper()
    return [
        s
        for s in sites
        if s.partner.upper() == code
        or "ALL" in {r.upper() for r in s.releasable_to}
        or code in {r.upper() for r in s.releasable_to}
    ]
